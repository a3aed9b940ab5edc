"""What the orders domain does when one of its orders moves (portal.core.events): the customer is told."""
from __future__ import annotations

from typing import Any

from portal.core.events import StatusEvent, status_changed
from portal.core.jobs import enqueue_after_commit
from portal.orders.models import Order, OrderStatus

# The moves a customer hears of by e-mail (in-app, every move is on the notifications page).
TOLD = frozenset({OrderStatus.WAITING_PICKUP, OrderStatus.DELIVERING, OrderStatus.DELIVERED, OrderStatus.CANCELLED})


@status_changed.connect_via(Order)
def _tell_the_customer(_sender: type, obj: Order, event: StatusEvent, **_kw: Any) -> None:
    """Confirmed or at the store, handed to the courier, delivered, refused or cancelled: an e-mail, once per move."""
    from portal.orders.jobs import mail_status_change

    if event.from_status is not None and event.to_status in TOLD and obj.email:
        enqueue_after_commit(mail_status_change, obj.id, event.change_id, event.to_status, event.reason[:300])
