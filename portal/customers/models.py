"""Customer accounts. A customer signs in by phone number + password once the phone is proven by SMS OTP."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.models import status_enum
from portal.core.time import utcnow
from portal.extensions import Model


class CustomerStatus(StrEnum):
    PENDING = "pending"  # registered, phone not yet proven by OTP (AUTH-8)
    ACTIVE = "active"  # AUTH-12
    DISABLED = "disabled"

    @property
    def label(self) -> str:
        return str(CUSTOMER_STATUS_LABELS[self])


CUSTOMER_STATUS_LABELS = {
    CustomerStatus.PENDING: _l("Chờ kích hoạt"),
    CustomerStatus.ACTIVE: _l("Đang hoạt động"),
    CustomerStatus.DISABLED: _l("Đã khóa"),
}

# The one transition table of the customers domain.
CUSTOMER_TRANSITIONS = {
    CustomerStatus.PENDING: {CustomerStatus.ACTIVE, CustomerStatus.DISABLED},
    CustomerStatus.ACTIVE: {CustomerStatus.DISABLED},
    CustomerStatus.DISABLED: {CustomerStatus.ACTIVE, CustomerStatus.PENDING},  # back to before (activated or not)
}


class Customer(Model):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(10), unique=True)  # 0xxxxxxxxx, the sign-in name
    full_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(200))
    status: Mapped[CustomerStatus] = mapped_column(status_enum(CustomerStatus), default=CustomerStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)

    actor_kind = "customer"

    @property
    def is_disabled(self) -> bool:
        return self.status == CustomerStatus.DISABLED

    @property
    def audit_name(self) -> str:
        return f"KH {self.phone[:3]}****{self.phone[-3:]}"


class CustomerSession(Model):
    """A signed-in browser on the customer site (its own cookie, apart from staff's Flask-Login session)."""

    __tablename__ = "customer_session"

    # SHA-256 of the token in the cookie: a copy of this table signs nobody in.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_reason: Mapped[str | None] = mapped_column(String(20))  # logout, idle, expired, disabled, password
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    customer: Mapped[Customer] = relationship()


class CustomerApiToken(Model):
    """A bearer token of the mobile app (/api/app/v1), one per signed-in device; revocable."""

    __tablename__ = "customer_api_token"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the token
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    device: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(20))  # logout, password, disabled

    customer: Mapped[Customer] = relationship()


class OtpPurpose(StrEnum):
    ACTIVATE = "activate"  # AUTH-8
    RESET_PASSWORD = "reset_password"  # PWD-3  # noqa: S105


class CustomerOtp(Model):
    """A one-time code sent by SMS. Only its keyed hash is stored (checklist 14).

    Good for one purpose, a few minutes, one use; wrong tries are counted in
    Redis (an atomic INCR before comparing, so parallel guesses cannot share a try).
    Once verified for a password reset it carries a short-lived reset grant
    (hashed too) that the new-password step must present (PWD-7).
    """

    __tablename__ = "customer_otp"
    __table_args__ = (Index("ix_customer_otp_phone_purpose", "phone", "purpose"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    phone: Mapped[str] = mapped_column(String(10))
    purpose: Mapped[OtpPurpose] = mapped_column(status_enum(OtpPurpose))
    code_hash: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256 under the app's secret
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)  # right code entered, or burned, or replaced
    grant_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    grant_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
