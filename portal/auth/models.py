"""Staff members and their server-side sessions."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.editing import Versioned
from portal.core.models import status_enum
from portal.core.roles import HEAD_OFFICE, Role
from portal.core.time import utcnow
from portal.extensions import Model
from portal.org.models import Region, Store


class StaffStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"

    @property
    def label(self) -> str:
        return str({StaffStatus.ACTIVE: _l("Đang hoạt động"), StaffStatus.DISABLED: _l("Đã khóa")}[self])


STAFF_TRANSITIONS = {
    StaffStatus.ACTIVE: {StaffStatus.DISABLED},
    StaffStatus.DISABLED: {StaffStatus.ACTIVE},
}


class Staff(Versioned, UserMixin, Model):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    full_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(status_enum(Role))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("store.id"))
    status: Mapped[StaffStatus] = mapped_column(status_enum(StaffStatus), default=StaffStatus.ACTIVE)
    # A one-time password (a CSV import's, an admin's reset): the next sign-in must choose a new one first.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)

    region: Mapped[Region] = relationship()
    store: Mapped[Store | None] = relationship()

    actor_kind = "staff"

    @property
    def audit_name(self) -> str:
        return self.username

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled staff cannot sign in
        return self.status == StaffStatus.ACTIVE

    @property
    def is_head_office(self) -> bool:
        return self.region_id == HEAD_OFFICE

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class StaffSession(Model):
    """A signed-in browser. The cookie carries the token; the row says whether it still counts."""

    __tablename__ = "staff_session"

    # SHA-256 of the token in the cookie: a copy of this table signs nobody in.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_reason: Mapped[str | None] = mapped_column(String(20))  # logout, disabled, idle, expired
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    staff: Mapped[Staff] = relationship()
