"""``/shipping``: the order board's live updates (an order moved: refresh the counts and the rows)."""
from __future__ import annotations

from typing import Any

from flask_login import current_user

from portal.core.realtime import StaffNamespace, emit_after_commit
from portal.core.roles import HEAD_OFFICE, Role
from portal.orders.models import Order, OrderStatus

NAMESPACE = "/shipping"
BOARD_ROLES = frozenset({Role.SHIPPING, Role.SUPERVISOR, Role.ADMIN})


class BoardNamespace(StaffNamespace):
    """Shipping staff and supervisors; each socket hears its own region's room (head office: region 0 gets all)."""

    roles = BOARD_ROLES

    def on_ping(self, data: Any = None) -> dict:
        """Lets the board check that its socket is alive and still signed in."""
        return {"ok": True, "region": current_user.region_id}


def notify_board(order: Order, before: OrderStatus | None) -> None:
    """After the commit, tell the boards of the order's region and of head office that it moved."""
    data = {"order_id": order.id, "order_no": order.order_no, "from": before.value if before else None,
            "to": order.status.value, "region_id": order.region_id, "store_id": order.store_id}
    emit_after_commit("order_moved", data, namespace=NAMESPACE, to=f"region:{order.region_id}")
    if order.region_id != HEAD_OFFICE:
        emit_after_commit("order_moved", data, namespace=NAMESPACE, to=f"region:{HEAD_OFFICE}")
