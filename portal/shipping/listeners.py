"""What shipping does when an order moves (portal.core.events): the carrier's order, the board, the store screen.

Listening rather than being called: a move made anywhere — a customer paying at the bank, cancelling on the
site, an unpaid hold expiring, a courier's callback — reaches an open board and store screen without a reload.
"""
from __future__ import annotations

from typing import Any

from portal.core.events import StatusEvent, status_changed, status_committed
from portal.core.jobs import enqueue_after_commit
from portal.core.roles import HEAD_OFFICE
from portal.extensions import socketio
from portal.orders.models import Order, OrderStatus
from portal.shipping.sockets import NAMESPACE, STORE_NAMESPACE, store_room


@status_changed.connect_via(Order)
def _carrier_follows(_sender: type, obj: Order, event: StatusEvent, **_kw: Any) -> None:
    """SHIP-8.2: a confirmed home delivery goes to the carrier; a cancelled one is withdrawn from it."""
    from portal.shipping.jobs import cancel_carrier_order, create_carrier_order

    if event.to_status == OrderStatus.WAITING_PICKUP and obj.by_delivery:
        enqueue_after_commit(create_carrier_order, obj.id)
    elif event.to_status == OrderStatus.CANCELLED and obj.carrier_order_code:
        enqueue_after_commit(cancel_carrier_order, obj.id)


@status_committed.connect_via(Order)
def _live_screens(_sender: type, event: StatusEvent, **_kw: Any) -> None:
    """Tell the boards of the order's region and of head office, and its store's screen, that it moved."""
    data = {"order_id": event.object_id, "order_no": event.data.get("order_no"), "from": event.from_status,
            "to": event.to_status, "region_id": event.region_id, "store_id": event.data.get("store_id")}
    if event.data.get("on_board") and event.to_status != OrderStatus.AWAITING_PAYMENT:  # unpaid: not on a tab
        socketio.emit("order_moved", data, namespace=NAMESPACE, to=f"region:{event.region_id}")
        if event.region_id != HEAD_OFFICE:
            socketio.emit("order_moved", data, namespace=NAMESPACE, to=f"region:{HEAD_OFFICE}")
    if event.data.get("receive_method") == "store" and event.data.get("store_id"):
        socketio.emit("store_order", data, namespace=STORE_NAMESPACE, to=store_room(event.data["store_id"]))
