"""Routing (issue 12 §2, §3): a call rings the longest-idle available agent of the region; not answered in time →
missed for that agent and offered to the next; after each call the agent wraps up before the next ring; the desk's
figures for the day; the accept race (one winner; on PostgreSQL with threads too)."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from portal.calls import jobs, lifecycle, queries
from portal.calls.models import AgentPresence, Call, CallOffer, CallStatus, OfferOutcome, PresenceStatus
from portal.core.errors import Conflict
from portal.core.models import AuditEntry
from portal.core.time import utcnow
from portal.dossiers.models import DossierStatus
from tests.conftest import writing_now


def _call(db, dossier, lan) -> Call:
    with writing_now(db):
        call = lifecycle.request_call(dossier, lan, "web")
        db.session.commit()
    return call


def test_a_call_rings_the_longest_idle_available_agent_of_the_region(db, lan, ready_dossier, available_agent):
    """E-3.5: the call is routed to the video-call team of the dossier's region."""
    busy_recently = available_agent(region=1)
    idle_longest = available_agent(region=1)
    available_agent(region=2)  # another region: never rung for a Hà Nội dossier
    now = utcnow()
    db.session.execute(update(AgentPresence).where(AgentPresence.staff_id == busy_recently.id)
                       .values(last_call_ended_at=now - timedelta(minutes=1)))
    db.session.execute(update(AgentPresence).where(AgentPresence.staff_id == idle_longest.id)
                       .values(last_call_ended_at=now - timedelta(minutes=30)))
    db.session.commit()

    call = _call(db, ready_dossier(), lan)
    assert call.status == CallStatus.RINGING and call.region_id == 1
    offer = queries.pending_offer(idle_longest.id)
    assert offer is not None and offer.call_id == call.id
    assert offer.expires_at - offer.offered_at == timedelta(seconds=20)
    assert queries.pending_offer(busy_recently.id) is None
    requested = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "call.requested"))
    assert requested.actor_kind == "customer" and requested.region_id == 1


def test_nobody_available_the_call_waits_and_rings_when_an_agent_becomes_available(db, lan, ready_dossier,
                                                                                   make_staff):
    call = _call(db, ready_dossier(), lan)
    assert call.status == CallStatus.QUEUED
    assert queries.queue_state(call)["position"] == 1
    agent = make_staff()
    with writing_now(db):
        with pytest.raises(Conflict.__mro__[1]) as refused:  # Invalid: the camera and microphone first
            lifecycle.set_presence(agent, PresenceStatus.AVAILABLE)
        assert refused.value.code == "devices_unchecked"
        lifecycle.set_presence(agent, PresenceStatus.AVAILABLE, devices_ok=True)
        db.session.commit()
    db.session.refresh(call)
    assert call.status == CallStatus.RINGING and queries.pending_offer(agent.id).call_id == call.id


def test_ring_timeout_counts_missed_and_offers_the_next_agent(db, lan, ready_dossier, available_agent):
    first, second = available_agent(), available_agent()
    call = _call(db, ready_dossier(), lan)
    offer = queries.pending_offer(first.id) or queries.pending_offer(second.id)
    rung_first = offer.agent_id
    assert not jobs.expire_offer(offer.id)  # not due yet: nothing happens
    db.session.execute(update(CallOffer).where(CallOffer.id == offer.id).values(expires_at=utcnow()))
    db.session.commit()

    assert jobs.expire_offer(offer.id)
    db.session.refresh(offer)
    db.session.refresh(call)
    assert offer.outcome == OfferOutcome.MISSED
    other = second.id if rung_first == first.id else first.id
    assert call.status == CallStatus.RINGING and queries.pending_offer(other).call_id == call.id
    assert queries.figures(rung_first)["missed"] == 1 and queries.figures(other)["missed"] == 0
    assert not jobs.expire_offer(offer.id)  # twice: nothing more


def test_the_sweep_expires_offers_too_and_a_lone_agent_is_rung_again(db, lan, ready_dossier, available_agent):
    agent = available_agent()
    call = _call(db, ready_dossier(), lan)
    db.session.execute(update(CallOffer).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert jobs.sweep_calls()["missed"] == 1
    db.session.refresh(call)
    offers = queries.call_offers(call)
    assert [o.outcome for o in offers] == [OfferOutcome.MISSED, OfferOutcome.PENDING]
    assert offers[1].agent_id == agent.id and call.status == CallStatus.RINGING


def test_accept_verdict_wrap_up_then_the_next_ring(db, lan, ready_dossier, available_agent, make_customer):
    agent = available_agent()
    dossier = ready_dossier()
    call = _call(db, dossier, lan)
    offer = queries.pending_offer(agent.id)
    with writing_now(db):
        lifecycle.accept_offer(offer.id, agent)
        db.session.commit()
    assert call.status == CallStatus.CONNECTED and call.agent_id == agent.id and call.answered_at

    second = _call(db, ready_dossier(), lan)  # another dossier's call waits: the agent is busy
    assert second.status == CallStatus.QUEUED
    with writing_now(db):
        lifecycle.finish(call, agent, True)
        db.session.commit()
    db.session.refresh(dossier)
    assert dossier.status == DossierStatus.VERIFIED and call.outcome == "passed"
    assert queries.wrap_up_call(agent.id).id == call.id
    db.session.refresh(second)
    assert second.status == CallStatus.QUEUED  # no ring before the wrap-up
    with writing_now(db):
        lifecycle.wrap_up(call, agent, "verified", "Khách hợp tác tốt")
        db.session.commit()
    db.session.refresh(second)
    assert second.status == CallStatus.RINGING and queries.pending_offer(agent.id).call_id == second.id
    figures = queries.figures(agent.id)
    assert figures["calls"] == 1 and figures["missed"] == 0 and figures["avg_handle_seconds"] >= 0


def test_accepting_a_taken_call_is_refused_and_changes_nothing(db, lan, ready_dossier, available_agent):
    winner, late = available_agent(), available_agent()
    call = _call(db, ready_dossier(), lan)
    mine = queries.pending_offer(winner.id) or queries.pending_offer(late.id)
    winner, late = (winner, late) if mine.agent_id == winner.id else (late, winner)
    # As if both desks had been rung (an offer for the other too): only one can take the call.
    other = CallOffer(call_id=call.id, agent_id=late.id, offered_at=utcnow(), expires_at=mine.expires_at)
    db.session.add(other)
    db.session.commit()
    with writing_now(db):
        lifecycle.accept_offer(mine.id, winner)
        db.session.commit()
    db.session.refresh(other)
    assert other.outcome == OfferOutcome.WITHDRAWN
    with writing_now(db), pytest.raises(Conflict) as refused:
        lifecycle.accept_offer(other.id, late)
    assert refused.value.code == "call_taken"
    db.session.rollback()
    db.session.refresh(call)
    assert call.agent_id == winner.id and call.status == CallStatus.CONNECTED


@pytest.mark.usefixtures("committed_db")
def test_two_agents_accepting_at_once_exactly_one_wins(app, db, lan, ready_dossier, available_agent):
    """Threads with real commits (SQLite's write lock, PostgreSQL's row locks): one winner, the other call_taken."""
    a, b = available_agent(), available_agent()
    call = _call(db, ready_dossier(), lan)
    first = queries.pending_offer(a.id) or queries.pending_offer(b.id)
    late = b if first.agent_id == a.id else a
    with writing_now(db):
        db.session.add(CallOffer(call_id=call.id, agent_id=late.id, offered_at=utcnow(),
                                 expires_at=first.expires_at))
        db.session.commit()
    offers = {o.agent_id: o.id for o in queries.call_offers(call)}
    db.session.commit()
    barrier = threading.Barrier(2)
    results: dict[int, str] = {}

    def accept(agent_id: int) -> None:
        from portal.auth.models import Staff
        from portal.core.sqlite import writing
        from portal.extensions import db as _db

        with app.app_context():
            agent = _db.session.get(Staff, agent_id)
            _db.session.commit()  # a read transaction cannot take SQLite's write lock later
            barrier.wait()
            try:
                with writing():
                    lifecycle.accept_offer(offers[agent_id], agent)
                    _db.session.commit()
                results[agent_id] = "ok"
            except Conflict as exc:
                _db.session.rollback()
                results[agent_id] = exc.code
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=accept, args=(agent_id,)) for agent_id in offers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results.values()) == ["call_taken", "ok"]
    db.session.commit()  # a fresh snapshot: what the threads committed
    won = next(agent_id for agent_id, r in results.items() if r == "ok")
    call = db.session.get(Call, call.id)
    assert call.agent_id == won and call.status == CallStatus.CONNECTED
    outcomes = sorted(o.outcome.value for o in queries.call_offers(call))
    assert outcomes == ["accepted", "withdrawn"]


def test_the_ring_timeout_is_scheduled_in_rq(db, lan, ready_dossier, available_agent):
    from portal.core.jobs import queue

    available_agent()
    _call(db, ready_dossier(), lan)
    scheduled = queue("default").scheduled_job_registry.get_job_ids()
    assert len(scheduled) == 1
    from rq.job import Job

    from portal.core import redis as portal_redis

    job = Job.fetch(scheduled[0], connection=portal_redis.connection())
    assert job.func_name == "portal.calls.jobs.expire_offer"


def test_the_sweep_is_a_periodic_job_every_few_seconds():
    from portal.core.jobs import PERIODIC

    spec = next(s for s in PERIODIC if s["func"] is jobs.sweep_calls)
    assert spec["interval"] <= 10


@pytest.mark.usefixtures("committed_db")
def test_accept_against_the_ring_timeout_at_the_same_moment_one_outcome(app, db, lan, ready_dossier,
                                                                        available_agent):
    """The agent clicks as the timeout fires: either the call is theirs (the timeout does nothing) or it was missed
    (the accept is refused) — never both, never neither."""
    agent = available_agent()
    call = _call(db, ready_dossier(), lan)
    offer_id, agent_id = queries.pending_offer(agent.id).id, agent.id
    with writing_now(db):
        db.session.execute(update(CallOffer).where(CallOffer.id == offer_id).values(expires_at=utcnow()))
        db.session.commit()
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def run(name: str) -> None:
        from portal.auth.models import Staff
        from portal.core.sqlite import writing
        from portal.extensions import db as _db

        with app.app_context():
            staff = _db.session.get(Staff, agent_id)
            _db.session.commit()
            barrier.wait()
            try:
                if name == "accept":
                    with writing():
                        lifecycle.accept_offer(offer_id, staff)
                        _db.session.commit()
                    results[name] = "ok"
                else:
                    results[name] = jobs.expire_offer(offer_id)
            except Conflict as exc:
                _db.session.rollback()
                results[name] = exc.code
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run, args=(name,)) for name in ("accept", "timeout")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results in ({"accept": "ok", "timeout": False}, {"accept": "offer_expired", "timeout": True},
                       {"accept": "call_taken", "timeout": True}), results
    db.session.commit()
    call = db.session.get(Call, call.id)
    offer = db.session.get(CallOffer, offer_id)
    if results["accept"] == "ok":
        assert call.status == CallStatus.CONNECTED and offer.outcome == OfferOutcome.ACCEPTED
    else:
        assert call.agent_id is None and offer.outcome == OfferOutcome.MISSED


def test_a_hang_up_while_ringing_frees_the_agent_for_the_next_caller(db, lan, ready_dossier, available_agent,
                                                                     make_customer):
    agent = available_agent()
    first = _call(db, ready_dossier(), lan)
    other = make_customer()
    second = _call(db, ready_dossier(other), other)
    assert first.status == CallStatus.RINGING and second.status == CallStatus.QUEUED
    with writing_now(db):
        lifecycle.cancel_call(first, lan)
        db.session.commit()
    db.session.refresh(second)
    assert first.status == CallStatus.CANCELLED and second.status == CallStatus.RINGING
    assert queries.pending_offer(agent.id).call_id == second.id


def test_a_dossier_changed_during_the_call_ends_it_void_and_asks_for_ekyc_again(db, lan, ready_dossier,
                                                                                available_agent):
    from portal.core.states import transition
    from portal.dossiers.models import DOSSIER_TRANSITIONS

    agent = available_agent()
    dossier = ready_dossier()
    call = _call(db, dossier, lan)
    with writing_now(db):
        lifecycle.accept_offer(queries.pending_offer(agent.id).id, agent)
        transition(dossier, DossierStatus.DRAFT, lan, DOSSIER_TRANSITIONS, "Khách sửa thông tin")
        lifecycle.finish(call, agent, True)
        db.session.commit()
    assert call.status == CallStatus.ENDED and call.outcome == "void" and call.reason_code == "dossier_changed"
    assert dossier.status == DossierStatus.DRAFT and queries.wrap_up_call(agent.id).id == call.id


@pytest.mark.usefixtures("committed_db")
def test_two_tabs_asking_at_the_same_moment_make_one_call(app, db, lan, ready_dossier):
    from portal.dossiers.models import Dossier

    dossier_id, customer_id = ready_dossier().id, lan.id
    db.session.commit()
    barrier = threading.Barrier(2)
    calls: list[int] = []

    def ask() -> None:
        from portal.core.sqlite import writing
        from portal.customers.models import Customer
        from portal.extensions import db as _db

        with app.app_context():
            barrier.wait()
            try:
                with writing():
                    call = lifecycle.request_call(_db.session.get(Dossier, dossier_id),
                                                  _db.session.get(Customer, customer_id))
                    _db.session.commit()
                    calls.append(call.id)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    db.session.commit()
    assert len(calls) == 2 and calls[0] == calls[1]
    assert db.session.scalar(select(func.count(Call.id))) == 1
