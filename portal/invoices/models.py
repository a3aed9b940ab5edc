"""E-invoices of paid orders (hóa đơn điện tử): one per order, its own transition table; only
``portal.invoices.services`` moves an invoice."""
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


class InvoiceStatus(StrEnum):
    PENDING = "pending"  # the order is paid; the provider has not issued it yet (down, or the job not run)
    ISSUED = "issued"
    ADJUSTED = "adjusted"  # a refund reduced it (hóa đơn điều chỉnh giảm)
    CANCELLED = "cancelled"  # refunded in full

    @property
    def label(self) -> str:
        return str(INVOICE_STATUS_LABELS[self])


INVOICE_STATUS_LABELS = {
    InvoiceStatus.PENDING: _l("Đang xuất hóa đơn"),
    InvoiceStatus.ISSUED: _l("Đã xuất hóa đơn"),
    InvoiceStatus.ADJUSTED: _l("Hóa đơn đã điều chỉnh"),
    InvoiceStatus.CANCELLED: _l("Hóa đơn đã hủy"),
}

INVOICE_TRANSITIONS = {
    InvoiceStatus.PENDING: {InvoiceStatus.ISSUED},
    InvoiceStatus.ISSUED: {InvoiceStatus.ADJUSTED, InvoiceStatus.CANCELLED},
    InvoiceStatus.ADJUSTED: {InvoiceStatus.ADJUSTED, InvoiceStatus.CANCELLED},
}


class Invoice(db.Model):
    """The e-invoice of one paid order; the provider's idempotency key is ``order-<order id>``."""

    __tablename__ = "invoice"
    audit_as = "invoice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), unique=True)  # one invoice per order
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[InvoiceStatus] = mapped_column(status_enum(InvoiceStatus), default=InvoiceStatus.PENDING)
    total: Mapped[int] = mapped_column(BigInteger)  # VND, as issued (then as adjusted)
    invoice_no: Mapped[str | None] = mapped_column(String(20))
    series: Mapped[str | None] = mapped_column(String(20))
    lookup_code: Mapped[str | None] = mapped_column(String(40))  # mã tra cứu
    lookup_url: Mapped[str | None] = mapped_column(String(300))
    pdf_url: Mapped[str | None] = mapped_column(String(300))
    last_error: Mapped[str] = mapped_column(String(300), default="")
    tries: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    order: Mapped[Order] = relationship()

    @property
    def status_label(self) -> str:
        return self.status.label

    @property
    def is_pending(self) -> bool:
        return self.status == InvoiceStatus.PENDING

    @property
    def is_cancelled(self) -> bool:
        return self.status == InvoiceStatus.CANCELLED

    @property
    def region_id(self) -> int:
        return self.order.region_id
