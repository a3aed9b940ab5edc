"""What the invoices domain does when orders and refunds move (portal.core.events): a paid order gets its
e-invoice (opened in the transaction that pays it, issued by a job after the commit); a refund paid back adjusts
or cancels it."""
from __future__ import annotations

from typing import Any

from portal.core.events import StatusEvent, status_changed
from portal.core.jobs import enqueue_after_commit
from portal.invoices import services
from portal.orders.models import Order, OrderStatus
from portal.payments.models import Refund, RefundStatus


@status_changed.connect_via(Order)
def _order_paid(_sender: type, obj: Order, event: StatusEvent, **_kw: Any) -> None:
    """Paid online (the IPN's move), or cash collected at the door or the store: an invoice, once per order."""
    from portal.invoices.jobs import ISSUE_RETRY, issue_invoice

    if obj.paid_at is None or event.to_status == OrderStatus.CANCELLED.value:
        return
    if services.open_invoice(obj) is not None:
        enqueue_after_commit(issue_invoice, obj.id, retry=ISSUE_RETRY)


@status_changed.connect_via(Refund)
def _refunded(_sender: type, obj: Refund, event: StatusEvent, **_kw: Any) -> None:
    """The bank paid the money back: the invoice follows (adjusted down, or cancelled)."""
    from portal.invoices.jobs import ISSUE_RETRY, adjust_invoice

    if event.to_status == RefundStatus.DONE.value:
        enqueue_after_commit(adjust_invoice, obj.order_id, obj.id, retry=ISSUE_RETRY)
