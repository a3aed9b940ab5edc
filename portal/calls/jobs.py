"""The desk's timers: an unanswered ring (a delayed RQ job per offer, ``enqueue_in``), and a sweep every few
seconds that catches whatever Redis lost — expired offers, queued calls to route (overflow included), calls waiting
too long, dropped calls past their resume window. Both idempotent: they look only at what is still due."""
from __future__ import annotations

import logging
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from portal.calls import lifecycle, queries
from portal.calls.models import AgentPresence, Call, CallOffer, CallStatus, PresenceStatus
from portal.core import redis as portal_redis
from portal.core.errors import Conflict
from portal.core.jobs import job, periodic
from portal.core.time import utcnow
from portal.extensions import db

log = logging.getLogger(__name__)
BATCH = 100


@job
def expire_offer(offer_id: int) -> bool:
    """The ring timeout of one offer: still pending and past its expiry → missed, the next agent is rung."""
    offer = db.session.get(CallOffer, offer_id)
    if offer is None or not offer.is_pending or offer.expires_at > utcnow():
        return False
    try:
        with db.session.begin_nested():
            lifecycle.miss_offer(offer)
    except Conflict:
        return False  # accepted a moment ago
    return True


@periodic(interval=3600)
@job
def purge_call_media() -> int:
    """Snapshots and recordings follow the retention of the dossier's ID photos (portal.dossiers.jobs)."""
    from portal.calls.media import purge_of_dossiers

    return purge_of_dossiers()


@periodic(interval=5, queue_name="default")
@job
def sweep_calls() -> dict[str, int]:
    """Expired offers → missed; queued calls routed (or expired after CALL_MAX_WAIT_SECONDS); dropped calls past
    ``resumable_until`` → abandoned."""
    now = utcnow()
    missed = sum(expire_offer(offer.id) for offer in queries.stale_offers(now))
    max_wait = timedelta(seconds=current_app.config["CALL_MAX_WAIT_SECONDS"])
    queued = db.session.scalars(select(Call).where(Call.status == CallStatus.QUEUED)
                                .order_by(Call.requested_at).limit(BATCH)).all()
    expired = routed = 0
    for call in queued:
        if now - call.requested_at > max_wait:
            lifecycle.expire_waiting(call)
            expired += 1
        elif lifecycle.try_offer(call) is not None:
            routed += 1
    dropped = db.session.scalars(select(Call).where(Call.status == CallStatus.DROPPED,
                                                    Call.resumable_until < now).limit(BATCH)).all()
    for call in dropped:
        lifecycle.abandon_dropped(call)
    result = {"missed": missed, "routed": routed, "expired": expired, "abandoned": len(dropped),
              "offline": _desks_gone()}
    if any(result.values()):
        log.info("calls sweep: %s", result)
    return result


def _desks_gone() -> int:
    """Agents whose every desk tab has been closed for CALL_DESK_GRACE_SECONDS are set offline (a reconnect within
    the grace keeps their presence and their pending ring)."""
    from portal.auth.models import Staff
    from portal.calls.sockets import DESK_GONE

    connection = portal_redis.connection()
    cutoff = time.time() - current_app.config["CALL_DESK_GRACE_SECONDS"]
    gone = 0
    for staff_id, since in connection.hgetall(DESK_GONE).items():
        if float(since) > cutoff:
            continue
        connection.hdel(DESK_GONE, staff_id)
        presence = db.session.get(AgentPresence, int(staff_id))
        staff = db.session.get(Staff, int(staff_id))
        if presence is not None and staff is not None and presence.status != PresenceStatus.OFFLINE:
            lifecycle.set_presence(staff, PresenceStatus.OFFLINE)
            gone += 1
    return gone
