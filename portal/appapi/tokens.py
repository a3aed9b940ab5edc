"""App bearer tokens: issued at sign-in (one per device), stored hashed, revocable, expiring."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import update

from portal.core.time import utcnow
from portal.customers.models import Customer, CustomerApiToken, CustomerStatus
from portal.extensions import db

TOKEN_SCHEME = "csa_"  # "Chọn số app": recognisable in a leak, never confused with a partner key (cso_)  # noqa: S105
TOKEN_FORMAT = re.compile(r"csa_[A-Za-z0-9_-]{43}")
TOUCH_EVERY = timedelta(minutes=5)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(customer: Customer, device: str = "") -> tuple[CustomerApiToken, str]:
    """A new token for ``customer`` (in the current transaction); the plaintext is returned once."""
    token = TOKEN_SCHEME + secrets.token_urlsafe(32)
    now = utcnow()
    row = CustomerApiToken(id=_hash(token), customer_id=customer.id, device=" ".join(device.split())[:80],
                           created_at=now, last_used_at=now,
                           expires_at=now + timedelta(days=current_app.config["APP_TOKEN_DAYS"]))
    db.session.add(row)
    return row, token


def authenticate_token(token: str | None) -> CustomerApiToken | None:
    """The live token row (active customer, not revoked, not expired), or None."""
    if not token or not TOKEN_FORMAT.fullmatch(token):
        return None  # garbage never reaches the database
    row = db.session.get(CustomerApiToken, _hash(token))
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if row.customer.status != CustomerStatus.ACTIVE:
        return None
    if now - row.last_used_at > TOUCH_EVERY:
        from portal.core.tx import independently

        independently(_touch, row.id, now)
    return row


def _touch(connection, token_id: str, now) -> None:
    connection.execute(update(CustomerApiToken).where(CustomerApiToken.id == token_id).values(last_used_at=now))


def revoke_token(row: CustomerApiToken, reason: str = "logout") -> None:
    db.session.execute(update(CustomerApiToken).where(CustomerApiToken.id == row.id,
                                                      CustomerApiToken.revoked_at.is_(None))
                       .values(revoked_at=utcnow(), revoked_reason=reason))
