"""Payment attempts: one row per trip to the bank (VNPay ``vnp_TxnRef``), many per order after failures."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.models import status_enum
from portal.core.time import utcnow
from portal.extensions import db
from portal.orders.models import Order


class PaymentStatus(StrEnum):
    PENDING = "pending"  # sent to the bank, no IPN yet
    PAID = "paid"  # IPN 00: the source of truth
    FAILED = "failed"  # IPN with a failure code (51 insufficient funds, ...)
    CANCELLED = "cancelled"  # IPN 24: the customer cancelled at the bank
    EXPIRED = "expired"  # IPN 11: the bank page timed out

    @property
    def label(self) -> str:
        return str(PAYMENT_STATUS_LABELS[self])


PAYMENT_STATUS_LABELS = {
    PaymentStatus.PENDING: _l("Đang chờ ngân hàng xác nhận"),
    PaymentStatus.PAID: _l("Đã thanh toán"),
    PaymentStatus.FAILED: _l("Thanh toán không thành công"),
    PaymentStatus.CANCELLED: _l("Đã hủy thanh toán"),
    PaymentStatus.EXPIRED: _l("Hết thời gian thanh toán"),
}

# The one transition table of the payments domain: an attempt is settled once, by its IPN.
PAYMENT_TRANSITIONS = {
    PaymentStatus.PENDING: {PaymentStatus.PAID, PaymentStatus.FAILED, PaymentStatus.CANCELLED,
                            PaymentStatus.EXPIRED},
}


class Payment(db.Model):
    __tablename__ = "payment"
    audit_as = "payment"  # audit actions read "payment.<status>"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    txn_ref: Mapped[str] = mapped_column(String(40), unique=True)  # vnp_TxnRef, one per attempt
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    gateway: Mapped[str] = mapped_column(String(20), default="vnpay")
    amount: Mapped[int] = mapped_column(BigInteger)  # VND; the bank is asked for amount × 100
    status: Mapped[PaymentStatus] = mapped_column(status_enum(PaymentStatus), default=PaymentStatus.PENDING)
    client_ip: Mapped[str] = mapped_column(String(45), default="")
    bank_code: Mapped[str] = mapped_column(String(20), default="")
    transaction_no: Mapped[str] = mapped_column(String(40), default="")  # vnp_TransactionNo, the bank's id
    response_code: Mapped[str] = mapped_column(String(4), default="")  # vnp_ResponseCode of the IPN
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)  # vnp_ExpireDate
    paid_at: Mapped[datetime | None] = mapped_column(DateTime)  # vnp_PayDate, UTC
    settled_at: Mapped[datetime | None] = mapped_column(DateTime)  # when the IPN was processed

    @property
    def is_paid(self) -> bool:
        return self.status == PaymentStatus.PAID

    @property
    def is_pending(self) -> bool:
        """Sent to the bank, no IPN yet (the customer may have closed the bank's page)."""
        return self.status == PaymentStatus.PENDING

    @property
    def did_not_go_through(self) -> bool:
        """Failed, cancelled or timed out at the bank: the customer may pay again while the hold lasts."""
        return self.status in (PaymentStatus.FAILED, PaymentStatus.CANCELLED, PaymentStatus.EXPIRED)

    order: Mapped[Order] = relationship()

    @property
    def region_id(self) -> int:  # audit rows carry the order's region
        return self.order.region_id
