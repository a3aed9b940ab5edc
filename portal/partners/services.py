"""Partner keys: create (the plaintext key is returned once), revoke, authenticate a Bearer key (E-3.1).

A key is one long-lived credential per partner, found by its printed prefix and checked against its SHA-256
(``core.tokens.digest``), with no idle limit; revoking it is a status transition with an audit row. That is why
keys are not one more ``core.tokens.TokenKind`` (those are sessions: many per owner, idle and absolute limits).
"""
from __future__ import annotations

import hmac
import re
import secrets

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.core.actors import Actor
from portal.core.audit import audit
from portal.core.errors import Conflict, Invalid
from portal.core.states import transition
from portal.core.time import utcnow
from portal.core.tokens import digest
from portal.extensions import db
from portal.partners.models import PARTNER_TRANSITIONS, Partner, PartnerStatus

KEY_SCHEME = "cso_"  # "Chọn số Online": lets secret scanners and people recognise a leaked key
PREFIX_LENGTH = len(KEY_SCHEME) + 8  # shown on the keys page; 48 random bits make collisions rare
KEY_FORMAT = re.compile(r"cso_[A-Za-z0-9_-]{43}")  # 32 bytes, URL-safe base64 without padding
NAME_MAX = 80


def _new_key() -> str:
    while True:
        key = KEY_SCHEME + secrets.token_urlsafe(32)
        if not db.session.scalar(select(Partner.id).where(Partner.key_prefix == key[:PREFIX_LENGTH])):
            return key


def create_partner(name: str, actor: Actor | None = None) -> tuple[Partner, str]:
    """Register a sales channel; returns it and its API key, which is never shown again."""
    name = " ".join((name or "").split())
    if not 2 <= len(name) <= NAME_MAX:
        raise Invalid("bad_partner_name", _("Tên đối tác phải từ 2 đến %(n)d ký tự.", n=NAME_MAX))
    if db.session.scalar(select(Partner.id).where(func.lower(Partner.name) == name.lower())):
        raise Conflict("partner_name_taken", _("Đã có đối tác tên “%(name)s”.", name=name))
    key = _new_key()
    partner = Partner(
        name=name, key_prefix=key[:PREFIX_LENGTH], key_hash=digest(key), status=PartnerStatus.ACTIVE,
        created_by_id=getattr(actor, "id", None), created_by_name=getattr(actor, "username", None) or "cli",
    )
    db.session.add(partner)
    db.session.flush()
    # "prefix", not "key_prefix": the audit log redacts any detail named like a key.
    audit("partner.create", partner, actor=actor, detail={"before": None, "after": {
        "name": name, "prefix": partner.key_prefix, "status": partner.status.value}})
    return partner, key


def revoke_partner(partner: Partner, actor: Actor | None = None, reason: str = "") -> None:
    """Revoke a partner's key at once: its next call is refused (401); its tickets stay as they are. Two admins
    revoking at once: the conditional UPDATE of the status lets one through, the other is refused (409)."""
    before = {"status": partner.status.value, "revoked_at": None, "revoked_by": None}
    transition(partner, PartnerStatus.REVOKED, actor, PARTNER_TRANSITIONS, reason, revoked_at=utcnow(),
               revoked_by_id=getattr(actor, "id", None), revoked_by_name=getattr(actor, "username", None) or "cli")
    audit("partner.revoke", partner, actor=actor, detail={"before": before, "after": {
        "status": partner.status.value, "revoked_at": partner.revoked_at.isoformat() if partner.revoked_at else None,
        "revoked_by": partner.revoked_by_name, "reason": reason[:300]}})


def authenticate(key: str | None) -> Partner | None:
    """The active partner whose key this is, or None (unknown, malformed or revoked)."""
    if not key or not KEY_FORMAT.fullmatch(key):
        return None  # never reaches the database: no odd bytes in SQL, no work for garbage
    partner = db.session.scalar(select(Partner).where(Partner.key_prefix == key[:PREFIX_LENGTH]))
    if partner is None or not hmac.compare_digest(partner.key_hash, digest(key)):
        return None
    return partner if partner.is_active else None

