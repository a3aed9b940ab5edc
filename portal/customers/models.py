"""Customer accounts. A customer signs in by phone number + password once the phone is proven by SMS OTP."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.models import status_enum
from portal.core.time import utcnow
from portal.extensions import db


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
    CustomerStatus.DISABLED: {CustomerStatus.ACTIVE},
}


class Customer(db.Model):
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
    def audit_name(self) -> str:
        return f"KH {self.phone[:3]}****{self.phone[-3:]}"
