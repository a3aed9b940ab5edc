"""What the desk and the customer hear over Socket.IO, emitted once the transaction commits (docs/calls.md).

Agents' sockets (``/desk``) sit in ``staff:<id>`` and, during a call, ``call:<id>``; customers' (``/call``) in
``call:<id>`` of their own live call only. The truth is in the database: every socket re-reads it on connect and
``resync``; a lost message costs nothing but a moment.
"""
from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.calls.models import Call, CallOffer
from portal.core import redis as portal_redis
from portal.core.realtime import emit_after_commit
from portal.core.tx import after_commit
from portal.extensions import db, socketio

log = logging.getLogger(__name__)
DESK = "/desk"
CALL = "/call"
_QUEUE_KEY = "portal_calls_queue_regions"


def customer_sockets_key(customer_id: int) -> str:
    return f"portal:sockets:customer:{customer_id}"


def ring_payload(offer: CallOffer, call: Call, ring_seconds: int) -> dict[str, Any]:
    return {"offer_id": offer.id, "call_id": call.id, "dossier_id": call.dossier_id,
            "customer_name": call.dossier.full_name, "region": call.dossier.region.name if call.region_id ==
            call.home_region_id else f"{call.dossier.region.name} (↪)",
            "expires_at": offer.expires_at.isoformat() + "Z", "ring_seconds": ring_seconds}


def ring(offer: CallOffer, call: Call, ring_seconds: int) -> None:
    emit_after_commit("ring", ring_payload(offer, call, ring_seconds), namespace=DESK, to=f"staff:{offer.agent_id}")


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
    """Every waiting customer of the region hears their new place and wait once the transaction commits (the
    places are read just before the commit: an after-commit hook must not open a transaction of its own)."""
    db.session.info.setdefault(_QUEUE_KEY, set()).add(region_id)


@event.listens_for(Session, "before_commit")
def _queue_messages(session: Session) -> None:
    regions = session.info.pop(_QUEUE_KEY, None)
    if not regions:
        return
    from portal.calls.queries import queue_positions

    session.flush()
    for region_id in sorted(regions):
        positions = queue_positions(session.connection(), region_id)
        for data in positions:
            after_commit(socketio.emit, "queue", data, namespace=CALL, to=f"call:{data['call_id']}")
        # The desks of the region: how many wait (the nav badge and the desk's list follow it).
        after_commit(socketio.emit, "waiting", {"region_id": region_id, "count": len(positions)}, namespace=DESK,
                     to=f"region:{region_id}")


@event.listens_for(Session, "after_rollback")
def _forget_queue(session: Session) -> None:
    session.info.pop(_QUEUE_KEY, None)
