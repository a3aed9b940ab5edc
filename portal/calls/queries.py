"""Reading calls: a dossier's live call, the customer's place in the queue and estimated wait, an agent's pending
offer and live call, the agent's figures for the day, the region's waiting count (the nav badge), and per region
for the supervisors' wall: the calls waiting and the agents by state."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app, g, has_app_context
from flask_login import current_user
from sqlalchemy import and_, case, func, or_, select

from portal.calls.models import (
    IN_CALL,
    LIVE,
    WAITING,
    AgentPresence,
    Call,
    CallOffer,
    CallStatus,
    OfferOutcome,
    PresenceStatus,
)
from portal.core import backlog
from portal.core.time import VIETNAM, utcnow
from portal.extensions import db


def live_call_of(dossier_id: int) -> Call | None:
    return db.session.scalar(select(Call).where(Call.dossier_id == dossier_id, Call.status.in_(LIVE)))


def last_call_of(dossier_id: int) -> Call | None:
    return db.session.scalar(select(Call).where(Call.dossier_id == dossier_id).order_by(Call.id.desc()).limit(1))


def customer_live_call(customer_id: int) -> Call | None:
    return db.session.scalar(select(Call).where(Call.customer_id == customer_id, Call.status.in_(LIVE))
                             .order_by(Call.id.desc()).limit(1))


def call_offers(call: Call) -> list[CallOffer]:
    return list(db.session.scalars(select(CallOffer).where(CallOffer.call_id == call.id).order_by(CallOffer.id)))


def pending_offer(agent_id: int) -> CallOffer | None:
    return db.session.scalar(select(CallOffer).where(CallOffer.agent_id == agent_id,
                                                     CallOffer.outcome == OfferOutcome.PENDING))


def agent_live_call(agent_id: int) -> Call | None:
    return db.session.scalar(select(Call).where(Call.agent_id == agent_id, Call.status.in_(IN_CALL))
                             .order_by(Call.id.desc()).limit(1))


def wrap_up_call(agent_id: int) -> Call | None:
    presence = db.session.get(AgentPresence, agent_id)
    return db.session.get(Call, presence.wrap_up_call_id) if presence and presence.wrap_up_call_id else None


def presence_of(agent_id: int) -> AgentPresence | None:
    return db.session.get(AgentPresence, agent_id)


def _average_handle(conn, region_id: int) -> float:
    """Seconds from answer to end of the region's last 20 ended calls (the setting until there are some)."""
    rows = conn.execute(select(Call.answered_at, Call.ended_at).where(
        Call.region_id == region_id, Call.status == CallStatus.ENDED, Call.answered_at.is_not(None))
        .order_by(Call.ended_at.desc()).limit(20)).all()
    if not rows:
        return float(current_app.config["CALL_DEFAULT_HANDLE_SECONDS"])
    return sum((end - start).total_seconds() for start, end in rows) / len(rows)


def queue_positions(conn, region_id: int) -> list[dict[str, Any]]:
    """The ``queue`` message of every waiting call of the region: place (1 = next) and estimated wait."""
    calls = conn.execute(select(Call.id, Call.status).where(Call.region_id == region_id, Call.status.in_(WAITING))
                         .order_by(Call.requested_at, Call.id)).all()
    if not calls:
        return []
    agents, handle = 1, 0.0
    if any(status != CallStatus.RINGING for _call_id, status in calls):  # a wait to estimate (ringing: none)
        agents = conn.scalar(select(func.count()).select_from(AgentPresence).where(
            AgentPresence.region_id == region_id, AgentPresence.status != PresenceStatus.OFFLINE)) or 0
        handle = _average_handle(conn, region_id)
    out = []
    for place, (call_id, status) in enumerate(calls, start=1):
        eta = 0 if status == CallStatus.RINGING else int(handle * place / max(agents, 1))
        out.append({"call_id": call_id, "status": status.value if hasattr(status, "value") else status,
                    "position": place, "eta_seconds": eta})
    return out


POSITIONS_READ = "call_queue_positions"  # flask.g: region → the places read just before this request's commit


def queue_state(call: Call) -> dict[str, Any]:
    """The JSON answer and the ``queue`` message for one call (the places read after this request's commit for the
    ``queue`` messages when it has them, once: not read again for the answer)."""
    if call.is_waiting:
        read = g.get(POSITIONS_READ, {}).pop(call.region_id, None) if has_app_context() else None
        for row in read if read is not None else queue_positions(db.session.connection(), call.region_id):
            if row["call_id"] == call.id:
                return row
    return {"call_id": call.id, "status": call.status.value, "position": 0, "eta_seconds": 0}


def _today_start_utc() -> datetime:
    local_midnight = datetime.now(VIETNAM).replace(hour=0, minute=0, second=0, microsecond=0)
    return local_midnight.astimezone(UTC).replace(tzinfo=None)


def figures(agent_id: int) -> dict[str, Any]:
    """The agent's own day (Vietnam time): calls answered, average handle time of those ended, rings missed."""
    since = _today_start_utc()
    answered = db.session.execute(select(Call.answered_at, Call.ended_at).where(
        Call.agent_id == agent_id, Call.answered_at >= since)).all()
    handled = [(end - start).total_seconds() for start, end in answered if end is not None]
    missed = db.session.scalar(select(func.count(CallOffer.id)).where(
        CallOffer.agent_id == agent_id, CallOffer.outcome == OfferOutcome.MISSED, CallOffer.offered_at >= since)) or 0
    return {"calls": len(answered), "avg_handle_seconds": int(sum(handled) / len(handled)) if handled else 0,
            "missed": missed}


def waiting_count(user: Any = None) -> int:
    """The nav badge: calls waiting in the agent's region (head office: all)."""
    user = user or current_user
    stmt = select(func.count(Call.id)).where(Call.status.in_(WAITING))
    if not user.is_head_office:
        stmt = stmt.where(Call.region_id == user.region_id)
    return db.session.scalar(stmt) or 0


def waiting_by_region(now: datetime) -> dict[int, backlog.Backlog]:
    """The wall: calls waiting for an agent (queued or ringing) per serving region, the longest wait (from the
    request), and how many have waited longer than CALL_ANSWER_TARGET_SECONDS (the answer target)."""
    target = timedelta(seconds=current_app.config["CALL_ANSWER_TARGET_SECONDS"])
    return backlog.by_region(Call.region_id, Call.requested_at, Call.status.in_(WAITING), now - target)


# An agent's state on the wall, from the presence row and the calls: in a call (connected, or dropped and resumable)
# whatever the presence says; otherwise offline, finishing a call's wrap-up, available (a ring may be out), or away.
AGENT_STATES = ("available", "on_call", "wrap_up", "away", "offline")


def agents_by_region() -> dict[int, dict[str, int]]:
    """The wall: ``{region_id: {state: agents}}`` over the desk's presence rows (one grouped query)."""
    in_call = select(Call.id).where(Call.agent_id == AgentPresence.staff_id, Call.status.in_(IN_CALL)).exists()
    state = case((in_call, "on_call"), (AgentPresence.status == PresenceStatus.OFFLINE, "offline"),
                 (AgentPresence.wrap_up_call_id.is_not(None), "wrap_up"),
                 (AgentPresence.status == PresenceStatus.AVAILABLE, "available"), else_="away").label("state")
    rows = select(AgentPresence.region_id, state).subquery()
    out: dict[int, dict[str, int]] = {}
    for region_id, name, n in db.session.execute(select(rows.c.region_id, rows.c.state, func.count())
                                                 .group_by(rows.c.region_id, rows.c.state)):
        out.setdefault(int(region_id), dict.fromkeys(AGENT_STATES, 0))[name] = int(n)
    return out


def region_waiting(region_id: int) -> list[Call]:
    return list(db.session.scalars(select(Call).where(Call.region_id == region_id, Call.status.in_(WAITING))
                                   .order_by(Call.requested_at).limit(50)))


def queued_for(region_id: int) -> list[Call]:
    """Queued calls this region's agent may take: its own, and those of regions overflowing here once due."""
    from portal.calls.models import RegionCallSettings

    own = select(Call).where(or_(Call.region_id == region_id, and_(Call.home_region_id == region_id,
                                                                    Call.overflowed_at.is_not(None))),
                             Call.status == CallStatus.QUEUED)
    now = utcnow()
    backups = db.session.scalars(select(RegionCallSettings).where(
        RegionCallSettings.backup_region_id == region_id)).all()
    overdue = [and_(Call.home_region_id == s.region_id,
                    Call.requested_at <= now - timedelta(seconds=s.overflow_after_seconds)) for s in backups]
    calls = list(db.session.scalars(own.order_by(Call.requested_at).limit(20)))
    for cond in overdue:
        calls += db.session.scalars(select(Call).where(cond, Call.status == CallStatus.QUEUED,
                                                       Call.overflowed_at.is_(None)).limit(20))
    return sorted(calls, key=lambda c: c.requested_at)


def stale_offers(now: datetime) -> list[CallOffer]:
    return list(db.session.scalars(select(CallOffer).where(CallOffer.outcome == OfferOutcome.PENDING,
                                                           CallOffer.expires_at <= now).limit(200)))


def callbacks(region_id: int) -> list[Any]:
    """The region's booked callbacks from half an hour ago on, soonest first (the desk lists them)."""
    from portal.calls.models import CallbackBooking

    return list(db.session.scalars(select(CallbackBooking).where(
        CallbackBooking.region_id == region_id, CallbackBooking.cancelled_at.is_(None),
        CallbackBooking.slot_start >= utcnow() - timedelta(minutes=30)).order_by(CallbackBooking.slot_start)
        .limit(30)))


def calls_of_dossier(dossier_id: int) -> list[Any]:
    """Every call of a dossier, newest first, with its snapshots and whether a recording can be played."""
    from portal.calls.models import CallRecordingChunk, CallSnapshot

    calls = list(db.session.scalars(select(Call).where(Call.dossier_id == dossier_id).order_by(Call.id.desc())))
    shots = db.session.scalars(select(CallSnapshot).where(CallSnapshot.dossier_id == dossier_id,
                                                          CallSnapshot.deleted_at.is_(None))).all()
    recorded = set(db.session.scalars(select(CallRecordingChunk.call_id).where(
        CallRecordingChunk.call_id.in_([c.id for c in calls]), CallRecordingChunk.seq == 0,
        CallRecordingChunk.deleted_at.is_(None))))
    return [{"call": c, "snapshots": [s for s in shots if s.call_id == c.id], "recorded": c.id in recorded}
            for c in calls]
