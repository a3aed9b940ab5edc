"""Issuing e-invoices (issue_invoice) and adjusting them after a refund (adjust_invoice).

Both are idempotent on the provider's side: the invoice's key is ``order-<order id>``, an adjustment's
``refund-<refund id>``; the provider answers the same invoice or adjustment again instead of a second one. A try
whose answer was lost looks the invoice up by its key first. A provider that is down when the order is paid: the
job is retried with backoff (then the failed-jobs page; a requeue issues it, still once)."""
from __future__ import annotations

import logging

from portal.core.jobs import job
from portal.extensions import db
from portal.gateways.einvoice import EinvoiceError, einvoice
from portal.invoices import services
from portal.invoices.models import Invoice, InvoiceStatus
from portal.payments.models import Refund, RefundStatus

log = logging.getLogger(__name__)
ISSUE_RETRY = [30, 60, 300, 900, 3600, 3600 * 6]


@job
def issue_invoice(order_id: int) -> str | None:
    """Issue the paid order's e-invoice once; the lookup code and PDF then show on the customer's ticket page."""
    invoice = db.session.scalar(db.select(Invoice).where(Invoice.order_id == order_id))
    if invoice is None or invoice.status != InvoiceStatus.PENDING:
        return None
    gateway = einvoice()
    invoice.tries += 1
    try:
        issued = gateway.find(invoice.idempotency_key) if invoice.tries > 1 else None
        issued = issued or gateway.issue(services.request_of(invoice.order), invoice.idempotency_key)
    except EinvoiceError as exc:
        db.session.rollback()
        invoice = db.session.get_one(Invoice, invoice.id)
        invoice.tries += 1
        invoice.last_error = str(exc)[:300]
        db.session.commit()
        log.warning("invoice of order %s not issued yet: %s", order_id, exc)
        raise
    services.record_issued(invoice, issued)
    return issued.invoice_no


@job
def adjust_invoice(order_id: int, refund_id: int) -> str | None:
    """A refund was paid back: adjust the invoice down by its amount, or cancel it when nothing is left."""
    invoice = db.session.scalar(db.select(Invoice).where(Invoice.order_id == order_id))
    refund = db.session.get(Refund, refund_id)
    if invoice is None or refund is None or refund.status != RefundStatus.DONE or invoice.is_cancelled:
        return None
    if invoice.is_pending:
        raise EinvoiceError("the invoice is not issued yet: the adjustment waits for it")
    gateway = einvoice()
    reason = f"Hoàn tiền đơn hàng {invoice.order.order_no}"
    if refund.amount >= invoice.total:
        adjusted = gateway.cancel(invoice.idempotency_key, reason)
    else:
        adjusted = gateway.adjust(invoice.idempotency_key, f"refund-{refund.id}", refund.amount, reason)
    services.record_adjusted(invoice, adjusted, refund.id)
    return adjusted.status
