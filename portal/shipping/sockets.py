"""Live screens of shipping: ``/shipping`` (the order board) and ``/store`` (a store's pickup screen)."""
from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_socketio import join_room

from portal.core.realtime import StaffNamespace
from portal.core.roles import Role

NAMESPACE = "/shipping"
STORE_NAMESPACE = "/store"
BOARD_ROLES = frozenset({Role.SHIPPING, Role.SUPERVISOR, Role.ADMIN})


def store_room(store_id: int) -> str:
    return f"store:{store_id}"


class BoardNamespace(StaffNamespace):
    """Shipping staff and supervisors; each socket hears its own region's room (head office: region 0 gets all)."""

    roles = BOARD_ROLES

    def on_ping(self, data: Any = None) -> dict:
        """Lets the board check that its socket is alive and still signed in."""
        return {"ok": True, "region": current_user.region_id}


class StoreNamespace(StaffNamespace):
    """Store clerks: each socket hears its own store's room only (joined by the server, never by the client)."""

    roles = frozenset({Role.CLERK})

    def on_connect(self, auth: Any = None) -> None:
        super().on_connect(auth)
        if current_user.store_id is None:
            raise ConnectionRefusedError("no_store")
        join_room(store_room(current_user.store_id))

    def on_ping(self, data: Any = None) -> dict:
        """Lets the store screen check that its socket is alive and still signed in."""
        return {"ok": True, "store": current_user.store_id}
