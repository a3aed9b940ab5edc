"""The desk's timers: an unanswered ring (a delayed RQ job per offer, ``enqueue_in``), and a sweep every few
seconds that catches whatever Redis lost — expired offers, queued calls to route (overflow included), calls waiting
too long, dropped calls past their resume window. Both idempotent: they look only at what is still due."""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from portal.calls import lifecycle, queries
from portal.calls.models import Call, CallOffer, CallStatus
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
    result = {"missed": missed, "routed": routed, "expired": expired, "abandoned": len(dropped)}
    if any(result.values()):
        log.info("calls sweep: %s", result)
    return result
