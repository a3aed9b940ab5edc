"""Payment attempts (one row per trip to the bank, VNPay ``vnp_TxnRef``; many per order after failures) and
refunds (at most one per paid attempt: money the portal must give back)."""
from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.models import status_enum
from portal.core.time import utcnow
from portal.extensions import Model
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


class Payment(Model):
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


class RefundStatus(StrEnum):
    DUE = "due"  # money to give back: waits for a supervisor's "Hoàn tiền"
    SENDING = "sending"  # a supervisor asked: the job is talking to the bank
    DONE = "done"  # the bank accepted the refund (its answer 00, or querydr shows the payment refunded)
    FAILED = "failed"  # the bank refused (its reason kept) or never answered: retried or closed by a person
    CLOSED = "closed"  # closed by hand with a note (refunded outside the system, …)

    @property
    def label(self) -> str:
        return str(REFUND_STATUS_LABELS[self])


REFUND_STATUS_LABELS = {
    RefundStatus.DUE: _l("Cần hoàn tiền"),
    RefundStatus.SENDING: _l("Đang gửi ngân hàng"),
    RefundStatus.DONE: _l("Đã hoàn tiền"),
    RefundStatus.FAILED: _l("Hoàn tiền không thành công"),
    RefundStatus.CLOSED: _l("Đã đóng"),
}

# The refunds' transition table: a person sends (again) or closes; only the sending job moves a SENDING refund.
REFUND_TRANSITIONS = {
    RefundStatus.DUE: {RefundStatus.SENDING, RefundStatus.CLOSED},
    RefundStatus.SENDING: {RefundStatus.DONE, RefundStatus.FAILED},
    RefundStatus.FAILED: {RefundStatus.SENDING, RefundStatus.CLOSED},
}


class RefundReason(StrEnum):
    ORDER_CANCELLED = "order_cancelled"  # an order paid online was cancelled (customer, staff, carrier return)
    LATE_PAYMENT = "late_payment"  # the money came after the hold had ended or the order was cancelled
    PAID_TWICE = "paid_twice"  # a second successful payment of an order already paid

    @property
    def label(self) -> str:
        return str({RefundReason.ORDER_CANCELLED: _l("Đơn đã thanh toán bị hủy"),
                    RefundReason.LATE_PAYMENT: _l("Tiền về sau khi phiếu giữ số đã hết hạn hoặc bị hủy"),
                    RefundReason.PAID_TWICE: _l("Đơn đã được thanh toán trước đó (thanh toán hai lần)")}[self])


# What VNPay's refund answer codes mean (its merchant web API guide), shown with a failed refund.
REFUND_ANSWERS = {
    "02": _l("Tổng số tiền hoàn lớn hơn số tiền gốc, hoặc mã định danh kết nối không hợp lệ"),
    "03": _l("Dữ liệu gửi sang không đúng định dạng"),
    "04": _l("Không cho phép hoàn toàn phần sau khi đã hoàn một phần"),
    "13": _l("Chỉ cho phép hoàn một phần"),
    "91": _l("Không tìm thấy giao dịch cần hoàn"),
    "93": _l("Số tiền hoàn không hợp lệ: phải nhỏ hơn hoặc bằng số tiền còn có thể hoàn"),
    "94": _l("Yêu cầu hoàn tiền bị trùng lặp"),
    "95": _l("Giao dịch không thành công tại VNPay: VNPay từ chối xử lý"),
    "97": _l("Sai chữ ký (checksum)"),
    "98": _l("VNPay hết thời gian xử lý"),
    "99": _l("Lỗi khác"),
}
NO_ANSWER = _l("Ngân hàng không trả lời (đã hỏi lại nhiều lần); bấm “Gửi lại” để hỏi lại và gửi nếu chưa hoàn")
STUCK_AFTER = timedelta(minutes=30)  # a refund "sending" for longer is flagged on the page (checklist 26)


class Refund(Model):
    """Money to give back for one paid attempt, and what the bank said when asked to."""

    __tablename__ = "refund"
    __table_args__ = (Index("ix_refund_region_status", "region_id", "status"),
                      Index("ix_refund_status_created", "status", "created_at"),
                      Index("ix_refund_created_region", "created_at", "region_id"))  # reports (0022_reports)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), unique=True)  # one refund per payment
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))  # the order's: who may see and send it
    amount: Mapped[int] = mapped_column(BigInteger)  # VND
    reason: Mapped[RefundReason] = mapped_column(status_enum(RefundReason))
    detail: Mapped[str] = mapped_column(String(300), default="")  # e.g. the order's cancel reason
    status: Mapped[RefundStatus] = mapped_column(status_enum(RefundStatus), default=RefundStatus.DUE)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(80), default="")  # who made it due (a person or the bank)
    # The current attempt (a person's "Hoàn tiền" or "Gửi lại"): a new vnp_RequestId each, kept for the job's reruns.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    request_id: Mapped[str] = mapped_column(String(32), default="")
    requested_by_id: Mapped[int | None] = mapped_column(Integer)
    requested_by: Mapped[str] = mapped_column(String(80), default="")
    requested_at: Mapped[datetime | None] = mapped_column(DateTime)
    bank_call_at: Mapped[datetime | None] = mapped_column(DateTime)  # a job is talking to the bank (a lease)
    # VNPay's answer.
    response_code: Mapped[str] = mapped_column(String(4), default="")
    bank_message: Mapped[str] = mapped_column(String(255), default="")
    transaction_no: Mapped[str] = mapped_column(String(40), default="")  # the refund's vnp_TransactionNo
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)  # done, failed or closed
    close_note: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    payment: Mapped[Payment] = relationship()
    order: Mapped[Order] = relationship()

    @property
    def can_send(self) -> bool:
        """A person may press "Hoàn tiền" (or "Gửi lại" after a failure)."""
        return self.status in (RefundStatus.DUE, RefundStatus.FAILED)

    @property
    def can_close(self) -> bool:
        """A person may close it by hand with a note (never while the bank is being asked)."""
        return self.status in (RefundStatus.DUE, RefundStatus.FAILED)

    @property
    def is_stuck(self) -> bool:
        """Sending for too long: the job may have run out of retries."""
        return (self.status == RefundStatus.SENDING and self.requested_at is not None
                and utcnow() - self.requested_at > STUCK_AFTER)

    @property
    def bank_reason(self) -> str:
        """VNPay's answer in words: our reading of its code, then its own message."""
        if not (self.response_code or self.bank_message):
            return str(NO_ANSWER)
        known = REFUND_ANSWERS.get(self.response_code)
        parts = [f"{self.response_code}: {known}" if known else self.response_code, self.bank_message]
        return " — ".join(p for p in parts if p)
