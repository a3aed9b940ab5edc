"""Every move of a video call, named (E-1.5, E-3.5, E-5.1, ACT-8, ESIM-7): the only code that changes
``Call.status``, and the agents' presence and offers with it.

``request_call`` (customer) → ``offer_next`` rings the longest-idle available agent of the region (an offer row
with its expiry; the ring timeout job and the sweep call ``miss_offer``) → ``accept_offer`` claims the call in the
database (conditional UPDATEs: exactly one winner, the loser hears ``call_taken``) → ``finish`` gives the verdict
(the dossier moves through ``portal.dossiers.lifecycle``) → ``wrap_up`` before the next ring. ``drop`` /
``resume`` / ``abandon_dropped`` handle a lost connection. Status moves go through ``core.states.transition``
(history, audit ``call.<status>``, events). Services never commit; emits happen after the commit (notify).
"""
from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.dialects.sqlite.base import SQLiteDialect
from sqlalchemy.exc import IntegrityError

from portal.auth.models import Staff
from portal.calls import hours, notify, queries, routing
from portal.calls.models import (
    CALL_TRANSITIONS,
    FAIL_REASON_LABELS,
    LIVE_SQL,
    NOTE_REQUIRED,
    PENDING_SQL,
    AgentPresence,
    Call,
    CallOffer,
    CallStatus,
    OfferOutcome,
    PresenceStatus,
)
from portal.core.actors import Actor
from portal.core.audit import audit
from portal.core.errors import Conflict, Invalid, NotFound
from portal.core.states import Move, record_change, record_changes, transition
from portal.core.time import utcnow
from portal.core.tx import after_commit, rowcount
from portal.dossiers import lifecycle as dossiers
from portal.dossiers.models import Dossier
from portal.extensions import db

log = logging.getLogger(__name__)


class OutsideHours(Conflict):
    """The region's desk is closed: the message carries the hours; the page offers a callback slot."""


def _move(call: Call, to: CallStatus, actor: Actor | None, reason: str = "", **values: Any) -> None:
    transition(call, to, actor, CALL_TRANSITIONS, reason, **values)


def _cfg(name: str) -> int:
    return int(current_app.config[name])


# --- the customer ---------------------------------------------------------------------------------------------

def request_call(dossier: Dossier, customer: Actor, channel: str = "web") -> Call:
    """E-1.5 "Gọi video": refused before eKYC passed and outside hours; a second request returns the live call.

    In few statements (docs/calls.md, "Routing"): the live call is looked for only when the request would be
    refused or its INSERT finds one (``ON CONFLICT DO NOTHING`` on the one-live-call-per-dossier index, no
    savepoint); with an agent free the call is written already ringing with its offer."""
    if not dossier.may_call:
        return _live_or(dossier, Conflict("not_ready_for_call", _(
            "Hồ sơ chưa sẵn sàng để gọi video: vui lòng hoàn tất xác thực thông tin (eKYC) trước.")))
    region_id = routing.region_for(dossier)
    if not hours.is_open(region_id):
        return _live_or(dossier, OutsideHours("outside_hours", _(
            "Ngoài giờ làm việc của tổng đài video. Giờ làm việc: %(h)s.", h=hours.hours_text(region_id))))
    now = utcnow()
    agents = routing.candidates(None, region_id, skip_tried=False)  # a new call: nobody has been rung for it
    call = _insert_call(dossier, region_id, channel, now, ringing=bool(agents))
    if call is None:  # the same customer's other tab got there first: one call
        return _live_or(dossier, Conflict("stale_state", _("Cuộc gọi vừa được người khác xử lý.")))
    ring_seconds = _cfg("CALL_RING_SECONDS")
    offer = _insert_offer(call, agents[0], now, ring_seconds) if agents else None
    if agents and offer is None:  # that agent was rung for another call a moment ago: the queued path below
        call.status, call.offered_at = CallStatus.QUEUED, None
    if offer is not None:
        record_changes(call, [Move(None, CallStatus.QUEUED, customer, _requested()),
                              Move(CallStatus.QUEUED, CallStatus.RINGING, None, "", {"offered_at": now})],
                       before_publish=lambda: _audit_request(call, customer))  # one INSERT with the move's audit
        notify.join_customer_sockets(call.customer_id, call.id)
        _rung(call, offer, ring_seconds)
        return call
    record_change(call, None, CallStatus.QUEUED, customer, _requested())
    _audit_request(call, customer)
    notify.join_customer_sockets(call.customer_id, call.id)
    offer_next(call)  # no savepoint: no other router can see this call before the commit, none can race for it
    notify.queue_changed(call.region_id)
    return call


def _live_or(dossier: Dossier, refusal: Conflict) -> Call:
    """The dossier's live call (a second request returns it), else the refusal."""
    live = queries.live_call_of(dossier.id)
    if live is None:
        raise refusal
    return live


def _requested() -> str:
    return _("Khách yêu cầu gọi video")


def _insert(model: Any, conflict: str, where: str, values: dict[str, Any]) -> Any:
    """INSERT … ON CONFLICT DO NOTHING on a partial unique index, RETURNING the row as a persistent object (None:
    the index already holds one). PostgreSQL and SQLite alike; no savepoint needed to survive the conflict."""
    row = {column.key: _default(column) for column in _defaulted(model) if column.key not in values}
    row.update(values)
    stmt = _insert_statement(model, conflict, where, tuple(sorted(row)), db.session.get_bind().dialect.name)
    return db.session.scalars(stmt, row, execution_options={"populate_existing": True}).first()


@functools.cache
def _defaulted(model: Any) -> tuple[Any, ...]:
    """The model's columns with a Python-side default (read once: ``_insert`` is on the ring's path)."""
    return tuple(column for column in model.__table__.c if column.default is not None)


def _default(column: Any) -> Any:
    """A column's Python-side default, as SQLAlchemy's INSERT would have filled it in."""
    if column.default.is_callable:
        return column.default.arg(None)  # SQLAlchemy's wrapper of a no-argument function takes the context
    if column.default.is_scalar:
        return column.default.arg
    raise TypeError(f"{column}: only scalar and callable defaults are filled in")


@functools.cache
def _insert_statement(model: Any, conflict: str, where: str, keys: tuple[str, ...], dialect: str) -> Any:
    """The statement of ``_insert``, built once per shape. SQLAlchemy 2.0 gives the dialects' INSERT … ON CONFLICT
    no cache key, so it compiled it again at every execution (a quarter of the "Gọi video" request's CPU, before
    the ring); the same SQL as a textual statement with typed parameters and columns is cached like any other.
    ``keys`` are every column given a value (``_insert`` fills in the defaults), so no other is rendered."""
    table = model.__table__
    insert, compiler = ((postgresql.insert, PGDialect) if dialect == "postgresql" else (sqlite.insert, SQLiteDialect))
    stmt = (insert(table).values({key: bindparam(key) for key in keys})
            .on_conflict_do_nothing(index_elements=[conflict], index_where=text(where)).returning(*table.c))
    sql = str(stmt.compile(dialect=compiler(paramstyle="named")))  # ":key" parameters, as text() reads them
    textual = text(sql).bindparams(*(bindparam(key, type_=table.c[key].type) for key in keys)).columns(*table.c)
    return select(model).from_statement(textual)


def _insert_call(dossier: Dossier, region_id: int, channel: str, now: datetime, ringing: bool) -> Call | None:
    return _insert(Call, "dossier_id", LIVE_SQL, {
        "dossier_id": dossier.id, "customer_id": dossier.customer_id, "region_id": region_id,
        "home_region_id": region_id, "status": CallStatus.RINGING if ringing else CallStatus.QUEUED,
        "channel": channel[:10], "requested_at": now, "updated_at": now, "offered_at": now if ringing else None})


def _insert_offer(call: Call, agent_id: int, now: datetime, ring_seconds: int) -> CallOffer | None:
    return _insert(CallOffer, "agent_id", PENDING_SQL, {
        "call_id": call.id, "agent_id": agent_id, "offered_at": now,
        "expires_at": now + timedelta(seconds=ring_seconds), "outcome": OfferOutcome.PENDING})


def _audit_request(call: Call, customer: Actor) -> None:
    audit("call.requested", call, actor=customer, detail={"dossier_id": call.dossier_id, "channel": call.channel})


def cancel_call(call: Call, customer: Actor) -> None:
    """The customer hangs up: a waiting call is cancelled; a call in progress counts as dropped (resumable)."""
    if call.is_waiting:
        freed = _withdraw_offers(call, "cancelled")
        _move(call, CallStatus.CANCELLED, customer, _("Khách gác máy"), outcome="cancelled", ended_at=utcnow())
        notify.queue_changed(call.region_id)
        if freed:
            dispatch(call.region_id)  # the agent rung for it may take the next caller
    elif call.is_connected:
        drop(call, customer)


def resume(call: Call, customer: Actor) -> bool:
    """The customer is back within CALL_RESUME_SECONDS: the call is connected again (the agent re-offers WebRTC)."""
    if not call.is_dropped or call.resumable_until is None or utcnow() > call.resumable_until:
        return False
    _move(call, CallStatus.CONNECTED, customer, _("Khách kết nối lại"), resumable_until=None)
    _announce_connected(call)
    return True


# --- routing --------------------------------------------------------------------------------------------------

def offer_next(call: Call) -> CallOffer | None:
    """Ring the longest-idle free agent of the call's region (after the overflow delay: the backup region's)."""
    if call.status != CallStatus.QUEUED:
        return None
    agents = routing.pick_agents(call)
    if not agents:
        backup = routing.overflow_to(call)
        if backup is None:
            return None
        old = call.region_id
        call.region_id, call.overflowed_at = backup, utcnow()
        db.session.flush()
        audit("call.overflowed", call, detail={"from_region": old, "to_region": backup})
        notify.queue_changed(old)
        agents = routing.pick_agents(call)
    ring_seconds = _cfg("CALL_RING_SECONDS")
    for agent_id in agents:
        now = utcnow()
        offer = CallOffer(call_id=call.id, agent_id=agent_id, offered_at=now,
                          expires_at=now + timedelta(seconds=ring_seconds))
        try:
            with db.session.begin_nested():
                db.session.add(offer)
        except IntegrityError:  # rung for another call a moment ago
            continue
        _move(call, CallStatus.RINGING, None, "", offered_at=now)
        _rung(call, offer, ring_seconds)
        return offer
    return None


def _rung(call: Call, offer: CallOffer, ring_seconds: int) -> None:
    """The offer is written: the ring goes out first after the commit, then the timeout job and the queue places."""
    notify.ring(offer, call, ring_seconds)
    after_commit(_schedule_timeout, offer.id, ring_seconds)
    notify.queue_changed(call.region_id)


def try_offer(call: Call) -> CallOffer | None:
    """``offer_next`` in a savepoint: a router that lost a race to another leaves nothing behind."""
    try:
        with db.session.begin_nested():
            return offer_next(call)
    except Conflict:
        return None


def dispatch(region_id: int) -> int:
    """Offer the region's queued calls (and those overflowing to it) to its free agents, oldest first."""
    rung = 0
    for call in queries.queued_for(region_id):
        if try_offer(call) is not None:  # a call of another region rings there first if someone is free
            rung += 1
    return rung


def _schedule_timeout(offer_id: int, seconds: int) -> None:
    """after_commit: the ring timeout as a delayed RQ job (the periodic sweep catches what Redis loses)."""
    from portal.core.jobs import queue

    try:
        queue("default").enqueue_in(timedelta(seconds=seconds + 1), "portal.calls.jobs.expire_offer", offer_id)
    except Exception:
        log.warning("ring timeout of offer %s not scheduled; the sweep will expire it", offer_id)


def _withdraw_offers(call: Call, reason: str, keep: int | None = None) -> bool:
    """Stop ringing the call at other desks; True if any agent was freed (then ``dispatch`` their region)."""
    offers = [o for o in queries.call_offers(call) if o.is_pending and o.id != keep]
    for offer in offers:
        offer.outcome, offer.decided_at = OfferOutcome.WITHDRAWN, utcnow()
        notify.ring_cancelled(offer, reason)
    db.session.flush()
    return bool(offers)


def miss_offer(offer: CallOffer, reason: str = "timeout") -> None:
    """Not answered in time (or declined): counted missed for the agent, the call rings the next one."""
    if not offer.is_pending:
        return
    call = offer.call
    if call.status == CallStatus.RINGING:
        _move(call, CallStatus.QUEUED, None, _("Không trả lời: chuyển người khác"))  # the call row first: no deadlock
    result = db.session.execute(update(CallOffer).where(CallOffer.id == offer.id,
                                                        CallOffer.outcome == OfferOutcome.PENDING)
                                .values(outcome=OfferOutcome.MISSED, decided_at=utcnow())
                                .execution_options(synchronize_session=False))
    if rowcount(result) != 1:
        raise Conflict("stale_state", _("Cuộc gọi vừa được người khác xử lý."))
    db.session.refresh(offer)
    notify.ring_cancelled(offer, reason)
    notify.figures(offer.agent_id)
    try_offer(call)


def accept_offer(offer_id: int, agent: Actor) -> Call:
    """The agent answers: the call is claimed by a conditional UPDATE (ringing → connected), then the offer
    (pending → accepted); whoever comes second hears ``call_taken`` (or ``offer_expired``) and nothing changes."""
    offer = db.session.get(CallOffer, offer_id)
    if offer is None or offer.agent_id != agent.id:
        raise NotFound("offer_not_found", _("Không tìm thấy cuộc gọi này."))
    if not offer.is_pending:
        if offer.outcome == OfferOutcome.MISSED:
            raise Conflict("offer_expired", _("Cuộc gọi đã hết thời gian đổ chuông."))
        raise Conflict("call_taken", _("Cuộc gọi đã được nhân viên khác nhận."))
    call = offer.call
    now = utcnow()
    try:
        _move(call, CallStatus.CONNECTED, agent, _("Nhân viên nhận cuộc gọi"), agent_id=agent.id, answered_at=now,
              recording=routing.recording_on(call.region_id))
    except Conflict:
        raise Conflict("call_taken", _("Cuộc gọi đã được nhân viên khác nhận.")) from None
    result = db.session.execute(update(CallOffer).where(CallOffer.id == offer.id,
                                                        CallOffer.outcome == OfferOutcome.PENDING)
                                .values(outcome=OfferOutcome.ACCEPTED, decided_at=now)
                                .execution_options(synchronize_session=False))
    if rowcount(result) != 1:  # the timeout won: the caller rolls back
        raise Conflict("offer_expired", _("Cuộc gọi đã hết thời gian đổ chuông."))
    freed = _withdraw_offers(call, "taken", keep=offer.id)
    _announce_connected(call)
    notify.queue_changed(call.region_id)
    if freed:
        dispatch(call.region_id)
    return call


def _announce_connected(call: Call) -> None:
    first_name = (call.agent.full_name or call.agent.username).split()[-1] if call.agent else ""
    notify.to_customer(call, "accepted", {"call_id": call.id, "agent_name": first_name})
    notify.call_state(call)


def decline_offer(offer_id: int, agent: Actor) -> None:
    offer = db.session.get(CallOffer, offer_id)
    if offer is None or offer.agent_id != agent.id:
        raise NotFound("offer_not_found", _("Không tìm thấy cuộc gọi này."))
    miss_offer(offer, "declined")


# --- agents ---------------------------------------------------------------------------------------------------

def presence_row(agent: Staff) -> AgentPresence:
    row = db.session.get(AgentPresence, agent.id)
    if row is None:
        row = AgentPresence(staff_id=agent.id, region_id=agent.region_id, status=PresenceStatus.OFFLINE,
                            since=utcnow())
        db.session.add(row)
        db.session.flush()
    return row


def set_presence(agent: Staff, status: PresenceStatus, devices_ok: bool = False) -> AgentPresence:
    """Sẵn sàng / Tạm nghỉ / Ngoại tuyến; going available needs the camera and microphone checked."""
    row = presence_row(agent)
    now = utcnow()
    if status == PresenceStatus.AVAILABLE:
        if not devices_ok and row.devices_checked_at is None:
            raise Invalid("devices_unchecked", _("Vui lòng kiểm tra camera và micro trước khi sẵn sàng nhận cuộc "
                                                 "gọi."))
        if devices_ok:
            row.devices_checked_at = now
    if row.status != status:
        row.status, row.since = status, now
        audit("call.presence", None, actor=agent, region_id=agent.region_id, detail={"status": status.value})
        notify.presence_moved(row.region_id)
    db.session.flush()
    if status != PresenceStatus.AVAILABLE:
        pending = queries.pending_offer(agent.id)
        if pending is not None:
            miss_offer(pending, "declined")
    else:
        dispatch(row.region_id)
    notify.presence(agent.id, status.value)
    return row


def _wrap_up_pending(call: Call) -> None:
    if call.agent_id is None:
        return
    row = db.session.get(AgentPresence, call.agent_id)
    if row is not None:
        row.wrap_up_call_id, row.last_call_ended_at = call.id, utcnow()


def drop(call: Call, actor: Actor | None) -> None:
    """The connection is lost mid-call: resumable for CALL_RESUME_SECONDS, else abandoned by the sweep."""
    if not call.is_connected:
        return
    until = utcnow() + timedelta(seconds=_cfg("CALL_RESUME_SECONDS"))
    _move(call, CallStatus.DROPPED, actor, _("Mất kết nối"), resumable_until=until)
    notify.to_customer(call, "dropped", {"call_id": call.id, "resumable_until": until.isoformat() + "Z"})
    notify.call_state(call)


def abandon_dropped(call: Call) -> None:
    _move(call, CallStatus.ABANDONED, None, _("Không kết nối lại kịp"), outcome="abandoned", ended_at=utcnow())
    _wrap_up_pending(call)
    notify.to_customer(call, "ended", {"call_id": call.id, "passed": None,
                                       "reason": _("Cuộc gọi bị gián đoạn quá lâu. Vui lòng gọi lại.")})
    notify.call_state(call)


def expire_waiting(call: Call) -> None:
    freed = _withdraw_offers(call, "timeout")
    _move(call, CallStatus.EXPIRED, None, _("Quá thời gian chờ"), outcome="expired", ended_at=utcnow())
    notify.to_customer(call, "ended", {"call_id": call.id, "passed": None,
                                       "reason": _("Hiện chưa có nhân viên rảnh. Vui lòng gọi lại sau.")})
    notify.queue_changed(call.region_id)
    if freed:
        dispatch(call.region_id)


def _own_call(call: Call, agent: Actor) -> None:
    if call.agent_id != agent.id:
        raise NotFound("call_not_found", _("Không tìm thấy cuộc gọi này."))


def finish(call: Call, agent: Actor, passed: bool, reason_code: str = "", note: str = "") -> None:
    """The verdict (ACT-8, ESIM-7): pass → the dossier is verified; fail with a catalogue reason → the customer is
    told why and may call again."""
    _own_call(call, agent)
    if not call.in_call:
        raise Conflict("call_not_in_progress", _("Cuộc gọi không còn diễn ra."))
    note = " ".join((note or "").split())[:500]
    if not call.dossier.may_call:  # the customer changed details or photos during the call: eKYC must run again
        told = _("Hồ sơ đã thay đổi trong lúc gọi: vui lòng xác thực thông tin lại rồi gọi lại.")
        _end(call, agent, "void", "dossier_changed", note, told, None)
        return
    if passed:
        dossiers.video_passed(call.dossier, agent)
        reason_code, told = "", _("Xác minh video đạt. Bước tiếp theo: ký hợp đồng.")
    else:
        if reason_code not in FAIL_REASON_LABELS:
            raise Invalid("reason_required", _("Vui lòng chọn lý do xác minh không đạt."))
        if reason_code in NOTE_REQUIRED and not note:
            raise Invalid("note_required", _("Vui lòng ghi rõ lý do."))
        told = str(FAIL_REASON_LABELS[reason_code]) + (f": {note}" if reason_code in NOTE_REQUIRED else "")
        dossiers.video_failed(call.dossier, agent, told)
    _end(call, agent, "passed" if passed else "failed", reason_code, note, told, passed)


def _end(call: Call, agent: Actor, outcome: str, reason_code: str, note: str, told: str,
         passed: bool | None) -> None:
    _move(call, CallStatus.ENDED, agent, told, outcome=outcome, reason_code=reason_code, note=note,
          ended_at=utcnow(), resumable_until=None)
    _wrap_up_pending(call)
    notify.to_customer(call, "ended", {"call_id": call.id, "passed": passed, "reason": told})
    notify.call_state(call)
    if call.agent_id is not None:
        notify.figures(call.agent_id)


def wrap_up(call: Call, agent: Staff, outcome: str, note: str = "") -> None:
    """After the call: the agent's outcome and note; the next ring may come."""
    from portal.calls.models import WRAP_UP_OUTCOMES

    _own_call(call, agent)
    if call.is_live:
        raise Conflict("call_not_ended", _("Cuộc gọi chưa kết thúc."))
    if outcome not in dict(WRAP_UP_OUTCOMES):
        raise Invalid("outcome_required", _("Vui lòng chọn kết quả cuộc gọi."))
    call.wrap_up_outcome, call.wrap_up_note = outcome, " ".join((note or "").split())[:500]
    call.wrap_up_done_at = utcnow()
    row = presence_row(agent)
    if row.wrap_up_call_id == call.id:
        row.wrap_up_call_id = None
        notify.presence_moved(row.region_id)
    db.session.flush()
    audit("call.wrapped_up", call, actor=agent, detail={"outcome": outcome})
    if row.is_available:
        dispatch(row.region_id)
