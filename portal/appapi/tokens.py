"""App bearer tokens (``csa_…``): issued at sign-in (one per device), stored hashed, revocable, expiring.

The mechanism is ``portal.core.tokens`` with the customers' ``APP_TOKENS`` kind (portal.customers.tokens).
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app

from portal.core import tokens
from portal.core.time import utcnow
from portal.customers.models import Customer, CustomerApiToken
from portal.customers.tokens import APP_TOKENS


def issue_token(customer: Customer, device: str = "") -> tuple[CustomerApiToken, str]:
    """A new token for ``customer`` (in the current transaction); the plaintext is returned once."""
    return tokens.issue(APP_TOKENS, customer.id, device=" ".join(device.split())[:80],
                        expires_at=utcnow() + timedelta(days=current_app.config["APP_TOKEN_DAYS"]))


def authenticate_token(token: str | None) -> CustomerApiToken | None:
    """The live token row (active customer, not revoked, not expired), or None."""
    return tokens.look_up(APP_TOKENS, token).row


def revoke_token(row: CustomerApiToken, reason: str = "logout") -> None:
    tokens.end(APP_TOKENS, row.id, reason)
