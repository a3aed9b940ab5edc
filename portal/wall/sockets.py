"""``/wall``: the supervisors' live wall. Supervisors and admins only; each socket is in its own region's room
(``region:<n>``, joined by the server: head office's is region 0, which hears every region), gets the room's
snapshot on connect and on ``resync``, then whatever ``portal.wall.live`` pushes to the room."""
from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_login import current_user
from flask_socketio import emit

from portal.core.nav import OVERSIGHT
from portal.core.realtime import StaffNamespace
from portal.wall import live


class WallNamespace(StaffNamespace):
    """Supervisors and admins, each on their own region's room."""

    roles = OVERSIGHT

    def on_connect(self, auth: Any = None) -> None:
        super().on_connect(auth)
        emit(live.EVENT, live.current(current_user.region_id))
        live.opened(current_user.region_id)
        live.PUSHER.joined(current_app._get_current_object(), request.sid,  # type: ignore[attr-defined]
                           current_user.region_id)

    def on_disconnect(self, reason: Any = None) -> None:
        live.PUSHER.left(request.sid)  # type: ignore[attr-defined]
        super().on_disconnect(reason)

    def on_resync(self, data: Any = None) -> dict[str, Any]:
        """The page asks for its room's snapshot again (after a reconnect, or when it suspects a lost push)."""
        emit(live.EVENT, live.current(current_user.region_id))
        return {"ok": True, "region": current_user.region_id}


WALL = WallNamespace(live.NAMESPACE)
