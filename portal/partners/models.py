"""Partners: the sales channels that call the partner API, one API key each (E-3.1)."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.models import status_enum
from portal.core.time import utcnow
from portal.extensions import Model


class PartnerStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"  # the key no longer opens anything; the channel's tickets stay

    @property
    def label(self) -> str:
        return str({PartnerStatus.ACTIVE: _l("Đang hoạt động"), PartnerStatus.REVOKED: _l("Đã thu hồi")}[self])


# The one transition table of the partners domain: a revoked key stays revoked (issue a new partner key).
PARTNER_TRANSITIONS = {PartnerStatus.ACTIVE: {PartnerStatus.REVOKED}}


class Partner(Model):
    """A sales channel and its API key.

    Only the SHA-256 of the key is stored: the key is 32 random bytes, so a slow
    password hash would add nothing but latency. ``key_prefix`` (the key's first
    characters, not secret) finds the row; the hash is compared in constant time.
    """

    __tablename__ = "partner"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[PartnerStatus] = mapped_column(status_enum(PartnerStatus), default=PartnerStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_by_name: Mapped[str] = mapped_column(String(80), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    revoked_by_name: Mapped[str | None] = mapped_column(String(80))

    actor_kind = "partner"  # how the audit log names it when it acts

    @property
    def channel(self) -> str:
        """The hold channel of this partner's tickets: each partner sees only its own."""
        return f"partner:{self.id}"

    @property
    def audit_name(self) -> str:
        return f"{self.channel} {self.name}"

    @property
    def is_active(self) -> bool:
        return self.status == PartnerStatus.ACTIVE
