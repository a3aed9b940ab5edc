"""Socket.IO for the desk (``/desk``, agents) and the customer (``/call``): ringing, presence, accepting, and the
WebRTC signalling relay between the two parties of a connected call (docs/calls.md, "Socket.IO").

Rooms are joined by the server only: an agent's socket joins ``call:<id>`` when it wins the call (or reconnects
holding it), a customer's when it has that live call. A signalling message is relayed only from a party of a
connected call, and only when it is well-formed and small; anything else is dropped with a warning (no content)
and the call goes on. On connect and ``resync`` the pending offer and the live call are re-read from the database.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from flask import request
from flask_login import current_user
from flask_socketio import Namespace, disconnect, emit, join_room

from portal.calls import lifecycle, notify, queries, units
from portal.calls.models import Call, PresenceStatus
from portal.core import redis as portal_redis
from portal.core.realtime import StaffNamespace, same_origin
from portal.core.roles import Role
from portal.core.sqlite import writing
from portal.extensions import db, socketio

log = logging.getLogger(__name__)
DESK_GONE = "portal:calls:desk_gone"  # staff id → when their last desk socket closed (unix time)
KINDS = frozenset({"offer", "answer", "candidate", "bye"})
MAX_MESSAGE = 64 * 1024
MAX_SDP = 32 * 1024
MAX_CANDIDATE = 2 * 1024


def valid_signal(data: Any) -> tuple[int, str, dict] | None:
    """(call_id, kind, data) of a well-formed signalling message, else None."""
    if not isinstance(data, dict) or set(data) - {"call_id", "kind", "data"}:
        return None
    call_id, kind, payload = data.get("call_id"), data.get("kind"), data.get("data")
    if type(call_id) is not int or kind not in KINDS or not isinstance(payload, dict):
        return None
    try:
        size = len(json.dumps(data))
        part = len(json.dumps(payload))
    except (TypeError, ValueError):
        return None
    if size > MAX_MESSAGE:
        return None
    if kind in ("offer", "answer") and not (isinstance(payload.get("sdp"), str) and len(payload["sdp"]) <= MAX_SDP):
        return None
    if kind == "candidate" and part > MAX_CANDIDATE:
        return None
    return call_id, kind, payload


def _dropped(side: str, why: str, call_id: Any = None) -> dict[str, Any]:
    log.warning("signal dropped from %s (sid %s): %s, call %r", side, request.sid, why,
                call_id if type(call_id) is int else "?")
    return {"ok": False, "code": "invalid_signal"}


def relay(data: Any, side: str, is_party: Callable[[Call], bool], to_namespace: str) -> dict[str, Any]:
    """Pass a signalling message to the other party's room: well-formed, small, from a party of a connected call."""
    message = valid_signal(data)
    if message is None:
        return _dropped(side, "malformed or too large", data.get("call_id") if isinstance(data, dict) else None)
    call_id, kind, payload = message
    call = db.session.get(Call, call_id)
    if call is None or not is_party(call) or not call.is_connected:
        return _dropped(side, "not a party of a connected call", call_id)
    socketio.emit("signal", {"call_id": call_id, "kind": kind, "data": payload}, namespace=to_namespace,
                  to=call.room)
    return {"ok": True}


def _act(fn: Callable[..., Any], *args: Any) -> tuple[Any, dict[str, Any] | None]:
    """Run a move in one transaction (SQLite's write lock up front); a refusal rolls back and is the ack."""
    db.session.commit()  # end the read transaction the event began (the user's row): on SQLite it cannot upgrade
    with writing():
        result, refusal = units.attempt(fn, *args)
    return result, units.refuse(refusal) if refusal else None


def _int(data: Any, key: str) -> int | None:
    value = data.get(key) if isinstance(data, dict) else None
    return value if type(value) is int else None


class DeskNamespace(StaffNamespace):
    """``/desk``: the agents' desk (admins may take calls too; supervisors read the page but are not rung)."""

    roles = frozenset({Role.AGENT, Role.ADMIN})

    def on_connect(self, auth: Any = None) -> None:
        super().on_connect(auth)
        portal_redis.connection().hdel(DESK_GONE, str(current_user.id))
        self._resync()

    def on_disconnect(self, reason: Any = None) -> None:
        super().on_disconnect(reason)
        if not current_user.is_authenticated:
            return
        connection = portal_redis.connection()
        open_desks = [ns for ns in connection.hvals(f"portal:sockets:staff:{current_user.id}") if ns == b"/desk"]
        if not open_desks:  # the last desk tab closed: offline after a grace period (jobs.sweep_calls)
            connection.hset(DESK_GONE, str(current_user.id), str(int(time.time())))

    def _resync(self) -> None:
        agent_id = current_user.id
        presence = queries.presence_of(agent_id)
        emit("presence", {"status": presence.status.value if presence else PresenceStatus.OFFLINE.value})
        offer = queries.pending_offer(agent_id)
        if offer is not None:
            from flask import current_app

            emit("ring", notify.ring_payload(offer, offer.call, current_app.config["CALL_RING_SECONDS"]))
        live = queries.agent_live_call(agent_id) or queries.wrap_up_call(agent_id)
        if live is not None:
            if live.in_call:
                join_room(live.room)
            emit("call_state", {"call_id": live.id, "status": live.status.value})
        emit("figures", queries.figures(agent_id))

    def on_resync(self, data: Any = None) -> dict[str, Any]:
        self._resync()
        return {"ok": True}

    def on_presence(self, data: Any = None) -> dict[str, Any]:
        status = next((s for s in PresenceStatus if isinstance(data, dict) and data.get("status") == s.value), None)
        if status is None:
            return {"ok": False, "code": "bad_status"}
        devices_ok = bool(data.get("devices_ok"))
        _row, refusal = _act(lifecycle.set_presence, current_user._get_current_object(), status, devices_ok)
        return refusal or {"ok": True, "status": status.value}

    def on_accept(self, data: Any = None) -> dict[str, Any]:
        offer_id = _int(data, "offer_id")
        if offer_id is None:
            return {"ok": False, "code": "bad_request"}
        call, refusal = _act(lifecycle.accept_offer, offer_id, current_user._get_current_object())
        if refusal:
            return refusal
        join_room(call.room)
        return {"ok": True, "call_id": call.id, "room": call.room}

    def on_decline(self, data: Any = None) -> dict[str, Any]:
        offer_id = _int(data, "offer_id")
        if offer_id is None:
            return {"ok": False, "code": "bad_request"}
        _none, refusal = _act(lifecycle.decline_offer, offer_id, current_user._get_current_object())
        return refusal or {"ok": True}

    def on_signal(self, data: Any = None) -> dict[str, Any]:
        return relay(data, "agent", lambda call: call.agent_id == current_user.id, notify.CALL)


class CallNamespace(Namespace):
    """``/call``: customers only — the customer session cookie, or the app's token in the handshake's ``auth``."""

    _tokens: dict[str, str] = {}  # sid → the app token it connected with (this process's sockets)

    def _customer(self) -> Any:
        token = self._tokens.get(request.sid)
        if token is not None:
            from portal.appapi.tokens import authenticate_token

            row = authenticate_token(token)
            return row.customer if row else None
        from portal.customers.session import current_customer

        return current_customer()

    def on_connect(self, auth: Any = None) -> None:
        if not same_origin():
            raise ConnectionRefusedError("origin")
        if isinstance(auth, dict) and isinstance(auth.get("token"), str):
            self._tokens[request.sid] = auth["token"][:200]
        customer = self._customer()
        if customer is None:
            self._tokens.pop(request.sid, None)
            raise ConnectionRefusedError("unauthenticated")
        portal_redis.connection().hset(notify.customer_sockets_key(customer.id), request.sid, self.namespace)
        self._resync(customer)

    def _resync(self, customer: Any) -> None:
        call = queries.customer_live_call(customer.id)
        if call is None:
            return
        join_room(call.room)
        if call.is_dropped:
            _act(lifecycle.resume, call, customer)
        if call.is_waiting:
            emit("queue", queries.queue_state(call))
        elif call.is_connected:
            agent = call.agent
            emit("accepted", {"call_id": call.id, "agent_name": (agent.full_name or agent.username).split()[-1]})

    def on_disconnect(self, reason: Any = None) -> None:
        customer = self._customer_or_none_quietly()  # before forgetting the app's token
        self._tokens.pop(request.sid, None)
        if customer is None:
            return
        key = notify.customer_sockets_key(customer.id)
        connection = portal_redis.connection()
        connection.hdel(key, request.sid)
        if connection.hlen(key) == 0:
            call = queries.customer_live_call(customer.id)
            if call is not None and call.is_connected:
                _act(lifecycle.drop, call, customer)
                if connection.hlen(key):
                    # A socket came (a reload) while the call was being dropped: it read the call still connected
                    # and will not resume it, so the drop is undone here (a concurrent resume is refused: one wins).
                    call = queries.customer_live_call(customer.id)
                    if call is not None and call.is_dropped:
                        _act(lifecycle.resume, call, customer)

    def _customer_or_none_quietly(self) -> Any:
        try:
            return self._customer()
        except Exception:
            log.exception("customer of a closing socket not found")
            return None

    def trigger_event(self, event: str, *args: Any) -> Any:
        if event in ("connect", "disconnect") or not hasattr(self, f"on_{event}"):
            return super().trigger_event(event, *args)
        handler = getattr(self, f"on_{event}")

        def guarded(*handler_args: Any) -> Any:
            customer = self._customer()  # re-checked at every event: a signed-out session loses its socket
            if customer is None:
                disconnect()
                return None
            return handler(customer, *handler_args)

        return self.socketio._handle_event(guarded, event, self.namespace, *args)

    def on_resync(self, customer: Any, data: Any = None) -> dict[str, Any]:
        self._resync(customer)
        return {"ok": True}

    def on_hangup(self, customer: Any, data: Any = None) -> dict[str, Any]:
        call = queries.customer_live_call(customer.id)
        if call is None:
            return {"ok": True}
        _none, refusal = _act(lifecycle.cancel_call, call, customer)
        return refusal or {"ok": True}

    def on_signal(self, customer: Any, data: Any = None) -> dict[str, Any]:
        return relay(data, "customer", lambda call: call.customer_id == customer.id, notify.DESK)


DESK = DeskNamespace(notify.DESK)
CALL = CallNamespace(notify.CALL)
