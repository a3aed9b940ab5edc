"""What the desk and the customer hear over Socket.IO, emitted once the transaction commits (docs/calls.md).

Agents' sockets (``/desk``) sit in ``staff:<id>`` and, during a call, ``call:<id>``; customers' (``/call``) in
``call:<id>`` of their own live call only. The truth is in the database: every socket re-reads it on connect and
``resync``; a lost message costs nothing but a moment.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

from blinker import Namespace
from flask import current_app, g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.calls import reference
from portal.calls.models import Call, CallOffer
from portal.calls.queries import POSITIONS_READ
from portal.core import redis as portal_redis
from portal.core.realtime import emit_after_commit
from portal.core.tx import after_commit, savepoint_depth
from portal.extensions import db, socketio

log = logging.getLogger(__name__)
DESK = "/desk"
CALL = "/call"
_QUEUE_KEY = "portal_calls_queue_regions"
presence_committed = Namespace().signal("presence-committed")
"""An agent's presence or wrap-up changed (no status move of a call: those are ``core.events``), sent once the
transaction commits with the region's id as sender. Live screens listen (the supervisors' wall); receivers get
no row and run no SQL."""


def customer_sockets_key(customer_id: int) -> str:
    return f"portal:sockets:customer:{customer_id}"


def ring_payload(offer: CallOffer, call: Call, ring_seconds: int) -> dict[str, Any]:
    region = reference.current().region_names.get(call.dossier.region_id) or call.dossier.region.name
    return {"offer_id": offer.id, "call_id": call.id, "dossier_id": call.dossier_id,
            "customer_name": call.dossier.full_name,
            "region": region if call.region_id == call.home_region_id else f"{region} (↪)",
            "expires_at": offer.expires_at.isoformat() + "Z", "ring_seconds": ring_seconds}


def ring(offer: CallOffer, call: Call, ring_seconds: int) -> None:
    """The ring goes out first after the commit: an agent waits for it, the rest (queue places, counts, the
    timeout job) can come a moment later."""
    after_commit(socketio.emit, "ring", ring_payload(offer, call, ring_seconds), namespace=DESK,
                 to=f"staff:{offer.agent_id}", first=True)


def ring_cancelled(offer: CallOffer, reason: str) -> None:
    emit_after_commit("ring_cancelled", {"offer_id": offer.id, "reason": reason}, namespace=DESK,
                      to=f"staff:{offer.agent_id}")


def call_state(call: Call, agent_id: int | None = None) -> None:
    agent_id = agent_id or call.agent_id
    if agent_id:
        emit_after_commit("call_state", {"call_id": call.id, "status": call.status.value}, namespace=DESK,
                          to=f"staff:{agent_id}")


def presence(agent_id: int, status: str) -> None:
    emit_after_commit("presence", {"status": status}, namespace=DESK, to=f"staff:{agent_id}")


def presence_moved(region_id: int) -> None:
    """Tell ``presence_committed``'s receivers once the transaction commits; one failing does not stop the rest."""
    after_commit(_tell_presence, region_id)


def _tell_presence(region_id: int) -> None:
    for receiver in presence_committed.receivers_for(region_id):
        try:
            receiver(region_id)
        except Exception:
            log.exception("presence_committed receiver failed for region %s", region_id)


def figures(agent_id: int) -> None:
    """The agent's figures for the day, as they stand in this transaction, once it commits."""
    from portal.calls.queries import figures as day_figures

    db.session.flush()
    emit_after_commit("figures", day_figures(agent_id), namespace=DESK, to=f"staff:{agent_id}")


def to_customer(call: Call, event: str, data: dict[str, Any]) -> None:
    emit_after_commit(event, data, namespace=CALL, to=call.room)


def join_customer_sockets(customer_id: int | None, call_id: int) -> None:
    """After the commit, put the customer's open ``/call`` sockets (any process) in the call's room."""
    if customer_id is not None:
        after_commit(_enter_rooms, customer_id, call_id)


def _enter_rooms(customer_id: int, call_id: int) -> None:
    for sid in portal_redis.connection().hkeys(customer_sockets_key(customer_id)):
        socketio.server.enter_room(sid.decode(), f"call:{call_id}", namespace=CALL)


def queue_changed(region_id: int) -> None:
    """Every waiting customer of the region hears their new place and wait, and the region's desks the count, once
    the transaction commits: the places are read once per region however many moves changed them, after the ring
    (on a connection of their own: the session's transaction is over by then)."""
    db.session.info.setdefault(_QUEUE_KEY, set()).add(region_id)


@event.listens_for(Session, "before_commit")
def _queue_messages(session: Session) -> None:
    if savepoint_depth(session):  # a savepoint released: the places are read once, after the real commit
        return
    regions = session.info.pop(_QUEUE_KEY, None)
    if regions:
        after_commit(_send_queue, sorted(regions), _waiting_interval())


def _send_queue(regions: list[int], interval: float) -> None:
    from portal.calls.queries import queue_positions

    read = g.setdefault(POSITIONS_READ, {}) if has_app_context() else {}
    with db.engine.connect() as connection:
        for region_id in regions:
            read[region_id] = queue_positions(connection, region_id)
    for region_id in regions:
        for data in read[region_id]:
            socketio.emit("queue", data, namespace=CALL, to=f"call:{data['call_id']}")
        # The desks of the region: how many wait (the nav badge and the desk's list follow it), coalesced.
        WAITING.changed(region_id, len(read[region_id]), interval)


@event.listens_for(Session, "after_rollback")
def _forget_queue(session: Session) -> None:
    if not savepoint_depth(session):
        session.info.pop(_QUEUE_KEY, None)


def _waiting_interval() -> float:
    return int(current_app.config.get("CALL_WAITING_EVERY_MS", 250)) / 1000 if has_app_context() else 0.25


class WaitingCounts:
    """The region's waiting count for its desks (one emit to the ``region:<n>`` room of ``/desk``, which reaches
    every desk of the region, in any process), at most one per region per interval in this process: a change
    within the interval of the last message is held and sent when the interval is over, the latest count
    winning. The last count of a burst always goes out."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent_at: dict[int, float] = {}
        self._held: dict[int, int] = {}  # region → the count to send when its interval is over

    def changed(self, region_id: int, count: int, interval: float) -> None:
        with self._lock:
            if region_id in self._held:  # a message is due already: it will carry this count
                self._held[region_id] = count
                return
            wait = self._sent_at.get(region_id, float("-inf")) + interval - time.monotonic()
            if wait > 0:
                self._held[region_id] = count
            else:
                self._sent_at[region_id] = time.monotonic()
        if wait > 0:
            socketio.start_background_task(self._send_later, region_id, wait)
        else:
            self._emit(region_id, count)

    def _send_later(self, region_id: int, wait: float) -> None:
        socketio.sleep(wait)
        with self._lock:
            count = self._held.pop(region_id, None)
            self._sent_at[region_id] = time.monotonic()
        if count is not None:
            self._emit(region_id, count)

    @staticmethod
    def _emit(region_id: int, count: int) -> None:
        try:
            socketio.emit("waiting", {"region_id": region_id, "count": count}, namespace=DESK,
                          to=f"region:{region_id}")
        except Exception:  # the desks re-read the count on reconnect and resync
            log.exception("waiting count of region %s not sent", region_id)


WAITING = WaitingCounts()
