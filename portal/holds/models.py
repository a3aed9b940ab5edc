"""Hold tickets and the numbers they hold."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.models import status_enum
from portal.core.time import utcnow
from portal.extensions import Model
from portal.numbers.models import PhoneNumber


class HoldStatus(StrEnum):
    ACTIVE = "active"  # held, unpaid, until expires_at
    RESERVED = "reserved"  # kept for a cash-on-delivery order: no expiry, ends with the order (paid or cancelled)
    PAID = "paid"  # paid: kept until activation or cancellation
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    COMPLETED = "completed"  # the line is connected: the number is sold

    @property
    def label(self) -> str:
        return str(HOLD_STATUS_LABELS[self])


HOLD_STATUS_LABELS = {
    HoldStatus.ACTIVE: _l("Đang giữ"),
    HoldStatus.RESERVED: _l("Giữ cho đơn thanh toán khi nhận"),
    HoldStatus.PAID: _l("Đã thanh toán"),
    HoldStatus.EXPIRED: _l("Hết hạn"),
    HoldStatus.CANCELLED: _l("Đã hủy"),
    HoldStatus.COMPLETED: _l("Hoàn tất"),
}

# The one transition table of the holds domain.
HOLD_TRANSITIONS = {
    HoldStatus.ACTIVE: {HoldStatus.RESERVED, HoldStatus.PAID, HoldStatus.EXPIRED, HoldStatus.CANCELLED},
    HoldStatus.RESERVED: {HoldStatus.PAID, HoldStatus.CANCELLED},
    HoldStatus.PAID: {HoldStatus.CANCELLED, HoldStatus.COMPLETED},
}
LIVE = (HoldStatus.ACTIVE, HoldStatus.RESERVED, HoldStatus.PAID)


class SimType(StrEnum):
    PHYSICAL = "physical"
    ESIM = "esim"

    @property
    def label(self) -> str:
        return str({SimType.PHYSICAL: _l("SIM vật lý"), SimType.ESIM: _l("eSIM")}[self])


class HoldTicket(Model):
    """Phiếu giữ số: what the customer keeps, identified by its hold code (mã giữ số)."""

    __tablename__ = "hold_ticket"
    audit_as = "hold"  # audit actions read "hold.<status>"
    __table_args__ = (
        UniqueConstraint("channel", "idempotency_key", name="uq_hold_ticket_idempotency"),
        Index("ix_hold_ticket_status_expires", "status", "expires_at"),
        Index("ix_hold_ticket_channel_created", "channel", "created_at"),  # partners report (0022_reports)
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hold_code: Mapped[str] = mapped_column(String(12), unique=True)
    customer_phone: Mapped[str] = mapped_column(String(10), index=True)
    channel: Mapped[str] = mapped_column(String(40))  # "partner:<id>", "web", "app", "backoffice"
    sim_type: Mapped[SimType] = mapped_column(status_enum(SimType, length=10))
    status: Mapped[HoldStatus] = mapped_column(status_enum(HoldStatus), default=HoldStatus.ACTIVE)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)  # the number's home region
    amount: Mapped[int] = mapped_column(BigInteger, default=0)  # price of the held numbers, VND
    idempotency_key: Mapped[str | None] = mapped_column(String(80))
    request_fingerprint: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)

    lines: Mapped[list[HoldLine]] = relationship(back_populates="ticket", order_by="HoldLine.id")

    @property
    def numbers(self) -> list[str]:
        return [line.number for line in self.lines]

    @property
    def is_live(self) -> bool:
        return self.status in LIVE and not self.is_past_expiry

    @property
    def is_past_expiry(self) -> bool:
        """Unpaid and past its time: as good as expired, whether or not the sweeper has run yet."""
        return self.status == HoldStatus.ACTIVE and self.expires_at <= utcnow()

    @property
    def kept_for_order(self) -> bool:
        """Reserved for a cash-on-delivery order: it ends when the cash is collected or the order is cancelled."""
        return self.status == HoldStatus.RESERVED

    @property
    def expires(self) -> bool:
        """Whether the clock can end this hold (a reserved or paid one ends only with its order)."""
        return self.status == HoldStatus.ACTIVE


class HoldLine(Model):
    """One number of a ticket, with the price it was held at."""

    __tablename__ = "hold_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("hold_ticket.id"), index=True)
    number_id: Mapped[int] = mapped_column(ForeignKey("phone_number.id"), index=True)
    number: Mapped[str] = mapped_column(String(10))
    price: Mapped[int] = mapped_column(BigInteger)  # VND

    ticket: Mapped[HoldTicket] = relationship(back_populates="lines")
    phone_number: Mapped[PhoneNumber] = relationship()
