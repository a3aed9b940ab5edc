"""The rules of an order's e-invoice: opened when the order is paid, issued once through the provider, adjusted or
cancelled when its money is refunded. Services never commit."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.core.actors import SystemActor
from portal.core.audit import audit
from portal.core.states import record_change, transition
from portal.core.time import utcnow
from portal.extensions import db
from portal.gateways.einvoice import InvoiceLine, InvoiceRequest, IssuedInvoice
from portal.invoices.models import INVOICE_TRANSITIONS, Invoice, InvoiceStatus
from portal.orders.models import Order

PROVIDER = SystemActor("Nhà cung cấp hóa đơn điện tử")


def open_invoice(order: Order) -> Invoice | None:
    """The paid order's invoice, to be issued (None if it has one: one per order, the unique key decides)."""
    if db.session.scalar(select(Invoice.id).where(Invoice.order_id == order.id)) is not None:
        return None
    now = utcnow()
    invoice = Invoice(order_id=order.id, idempotency_key=f"order-{order.id}", status=InvoiceStatus.PENDING,
                      total=order.total, created_at=now, updated_at=now, last_error="", tries=0)
    try:
        with db.session.begin_nested():
            db.session.add(invoice)
            db.session.flush()
    except IntegrityError:
        return None
    record_change(invoice, None, InvoiceStatus.PENDING, None, "")
    return invoice


def request_of(order: Order) -> InvoiceRequest:
    """The invoice's lines: the number, the SIM, the delivery (one line for the total if offers changed it)."""
    lines = [InvoiceLine(_("Số thuê bao %(n)s", n=", ".join(order.ticket.numbers)), 1, order.number_price),
             InvoiceLine(_("Phí SIM"), 1, order.sim_fee)]
    if order.delivery_fee:
        lines.append(InvoiceLine(_("Phí giao hàng"), 1, order.delivery_fee))
    lines = [line for line in lines if line.unit_price]
    if sum(line.amount for line in lines) != order.total:
        lines = [InvoiceLine(_("Đơn hàng %(o)s", o=order.order_no), 1, order.total)]
    address = ", ".join(p for p in (order.address, order.ward, order.district, order.province) if p)
    return InvoiceRequest(order.order_no, order.full_name, order.email, address, tuple(lines))


def record_issued(invoice: Invoice, issued: IssuedInvoice) -> None:
    """The provider issued it (or had issued it before: the same key answers the same invoice)."""
    values: dict[str, Any] = {
        "invoice_no": issued.invoice_no, "series": issued.series, "lookup_code": issued.lookup_code,
        "lookup_url": issued.lookup_url, "pdf_url": issued.pdf_url, "total": issued.total, "last_error": ""}
    if invoice.status == InvoiceStatus.PENDING:
        transition(invoice, InvoiceStatus.ISSUED, PROVIDER, INVOICE_TRANSITIONS, "", **values)
        audit("invoice.issued", invoice, actor=PROVIDER, detail={"no": issued.invoice_no, "series": issued.series})


def record_adjusted(invoice: Invoice, adjusted: IssuedInvoice, refund_id: int) -> None:
    """A refund reduced the invoice (adjusted) or took all of it back (cancelled)."""
    to = InvoiceStatus.CANCELLED if adjusted.status == "cancelled" else InvoiceStatus.ADJUSTED
    if invoice.status == InvoiceStatus.CANCELLED or (to == invoice.status and adjusted.total == invoice.total):
        return
    transition(invoice, to, PROVIDER, INVOICE_TRANSITIONS, _("Hoàn tiền"), total=adjusted.total)
    audit(f"invoice.{to.value}", invoice, actor=PROVIDER, detail={"refund": refund_id, "total": adjusted.total})


def invoice_of(order: Order) -> Invoice | None:
    return db.session.scalar(select(Invoice).where(Invoice.order_id == order.id))
