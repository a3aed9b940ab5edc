"""What payments does when an order moves (portal.core.events); refunds listen in portal.payments.refunds."""
from __future__ import annotations

from typing import Any

from portal.core.events import StatusEvent, status_changed
from portal.core.jobs import enqueue_after_commit
from portal.orders.models import Order, OrderStatus


@status_changed.connect_via(Order)
def _email_paid_esim(_sender: type, obj: Order, event: StatusEvent, **_kw: Any) -> None:
    """HOLD-6, E-2.2: a paid eSIM order is delivered by e-mail (its hold code and how to activate)."""
    from portal.payments.delivery import send_esim_email

    if obj.by_email and event.from_status == OrderStatus.AWAITING_PAYMENT and event.to_status == OrderStatus.PENDING:
        enqueue_after_commit(send_esim_email, obj.id)
