"""Real time through Flask-SocketIO (threading mode, Redis message queue).

Every namespace derives from ``StaffNamespace``: a connection is refused
unless it carries a live staff session, and it joins the rooms named by what
they carry (``staff:<id>``, ``region:<n>``, ``role:<role>``). Delivery is
at-most-once: the truth is in the database and pages re-read it on reconnect.
"""
from __future__ import annotations

import logging
from typing import Any, cast

from flask import current_app, request
from flask_login import current_user
from flask_socketio import Namespace, disconnect, join_room

from portal.core import redis as portal_redis
from portal.core.tx import after_commit
from portal.extensions import socketio

log = logging.getLogger(__name__)


def _sockets_key(staff_id: int) -> str:
    return f"portal:sockets:staff:{staff_id}"


def emit_after_commit(event: str, data: Any, *, namespace: str, to: str) -> None:
    """Emit once the current transaction commits (from a request or a job)."""
    after_commit(socketio.emit, event, data, namespace=namespace, to=to)


def disconnect_staff(staff_id: int) -> None:
    """Close every open socket of one staff member, in whichever process holds it."""
    key = _sockets_key(staff_id)
    connection = portal_redis.connection()
    sockets = cast(dict[bytes, bytes], connection.hgetall(key))  # redis-py types sync and async answers as one
    for sid, namespace in sockets.items():
        socketio.server.disconnect(sid.decode(), namespace=namespace.decode())
    connection.delete(key)


def open_socket_count(staff_id: int) -> int:
    """How many sockets of one staff member are open now, in every process (the admin's staff page shows it)."""
    return int(cast(int, portal_redis.connection().hlen(_sockets_key(staff_id))))


def _sid() -> str:
    """The socket whose event is being handled."""
    return request.sid  # type: ignore[attr-defined]  # Flask-SocketIO adds it to Flask's request, which lacks it


def same_origin() -> bool:
    """Whether the handshake comes from our own pages (engine.io checks too; this is the portal's own rule)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser cross-site request (browsers always send Origin on websockets)
    allowed = {request.host_url.rstrip("/")}
    allowed.update(current_app.config.get("SOCKETIO_ORIGINS") or [])
    return origin.rstrip("/") in allowed


class StaffNamespace(Namespace):
    """A namespace for signed-in staff; subclasses list the roles they admit."""

    roles: frozenset[str] | None = None  # None: any staff member

    def on_connect(self, auth: Any = None) -> None:
        if not same_origin():
            raise ConnectionRefusedError("origin")
        if not current_user.is_authenticated:
            raise ConnectionRefusedError("unauthenticated")
        if self.roles is not None and current_user.role not in self.roles:
            raise ConnectionRefusedError("forbidden")
        join_room(f"staff:{current_user.id}")
        join_room(f"region:{current_user.region_id}")
        join_room(f"role:{current_user.role}")
        portal_redis.connection().hset(_sockets_key(current_user.id), _sid(), self.namespace)

    def on_disconnect(self, reason: Any = None) -> None:
        if current_user.is_authenticated:
            portal_redis.connection().hdel(_sockets_key(current_user.id), _sid())

    def trigger_event(self, event: str, *args: Any) -> Any:
        handler = getattr(self, f"on_{event}", None)
        if handler is None or event in ("connect", "disconnect"):
            return super().trigger_event(event, *args)

        def guarded(*handler_args: Any) -> Any:
            # Runs inside the request context Flask-SocketIO builds for each event, so
            # the session is re-checked every time: a revoked session loses its socket.
            if not current_user.is_authenticated:
                disconnect()
                return None
            return handler(*handler_args)

        return self.socketio._handle_event(guarded, event, self.namespace, *args)


class NotifyNamespace(StaffNamespace):
    """``/staff``: notices for any signed-in staff member (e.g. session revoked)."""

    def on_ping(self, data: Any = None) -> dict:
        """Lets a page check that its socket is alive and still signed in."""
        return {"ok": True, "staff": current_user.id}


STAFF_NOTICES = NotifyNamespace("/staff")
