"""The call request's short path (docs/calls.md, "Routing"): with an agent free the call is written already ringing
with its first offer, and its history, audit and events are those of a queued call rung at once; the agent rung
for another call meanwhile, or two tabs at once, fall back to the queued path and still make one call, one ring."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from portal.calls import lifecycle, queries, routing
from portal.calls.models import Call, CallOffer, CallStatus, OfferOutcome
from portal.core.events import status_changed
from portal.core.models import AuditEntry, StatusChange
from portal.extensions import db as _db
from tests.calls.conftest import executed, verb
from tests.conftest import writing_now


def test_a_call_with_a_free_agent_is_written_ringing_with_the_history_of_both_steps(db, lan, ready_dossier,
                                                                                     available_agent):
    agent = available_agent(region=1)
    dossier = ready_dossier()
    moves: list[tuple[str | None, str]] = []

    def heard(_sender, event=None, **_kw) -> None:
        moves.append((event.from_status, event.to_status))

    status_changed.connect(heard, sender=Call)
    try:
        with writing_now(db):
            call = lifecycle.request_call(dossier, lan, "web")
            db.session.commit()
    finally:
        status_changed.disconnect(heard, sender=Call)
    assert moves == [(None, "queued"), ("queued", "ringing")]
    db.session.refresh(call)
    assert call.status == CallStatus.RINGING and call.offered_at == call.requested_at
    offer = queries.pending_offer(agent.id)
    assert offer.call_id == call.id and offer.offered_at == call.offered_at
    history = db.session.execute(select(StatusChange.from_status, StatusChange.to_status, StatusChange.actor_id)
                                 .where(StatusChange.object_type == "call", StatusChange.object_id == str(call.id))
                                 .order_by(StatusChange.id)).all()
    assert [(h.from_status, h.to_status) for h in history] == [(None, "queued"), ("queued", "ringing")]
    assert history[0].actor_id == lan.id and history[1].actor_id is None  # the customer asked; the router rang
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "call",
                                                                 AuditEntry.object_id == str(call.id))
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["call.requested", "call.ringing"]


def test_the_request_sends_few_statements_before_the_ring(db, lan, ready_dossier, available_agent, monkeypatch):
    """The short path's statements up to the ring: the free agents, the call and its offer (INSERT … ON CONFLICT
    DO NOTHING: no live-call look-up first, no savepoint), the two history rows and the two audit rows (one INSERT
    each where the database returns many ids at once: PostgreSQL), the commit. The reference data (rules, hours,
    holidays, region names) comes from the process's copy: no statement once it is read; no UPDATE of the call."""
    from portal.calls import reference
    from portal.extensions import socketio

    available_agent(region=1)
    dossier = ready_dossier()
    rung_after: list[int] = []
    with executed() as sent:
        def emit(name, *args, **kwargs) -> None:
            if name == "ring":
                rung_after.append(len(sent))

        monkeypatch.setattr(socketio, "emit", emit)
        with writing_now(db):
            db.session.refresh(dossier)  # as a request has them: just read
            db.session.refresh(lan)
            reference.current()
            sent.clear()
            call = lifecycle.request_call(dossier, lan, "web")
            db.session.commit()
    seen = [verb(statement) for statement, _context in sent]
    assert call.status == CallStatus.RINGING and len(rung_after) == 1
    before_ring = seen[:rung_after[0]]
    batched = _db.engine.dialect.name == "postgresql"
    assert before_ring.count("SELECT") == 1 and "UPDATE" not in before_ring, before_ring
    assert not [s for s in before_ring if s == "SAVEPOINT"][1:], before_ring  # the test's own commit's only
    assert before_ring.count("INSERT") == (4 if batched else 6), before_ring


def test_every_statement_of_the_request_is_compiled_once_per_process__E_1_5(db, lan, ready_dossier, available_agent,
                                                                     make_customer):
    """SQLAlchemy compiles a statement that has no cache key at every execution: the dialects' INSERT … ON CONFLICT
    has none, and compiling the call's and the offer's again was a quarter of the request's CPU before the ring. The
    second call's statements, from the request to its commit, all come from the compiled cache."""
    from sqlalchemy.engine.interfaces import CacheStats

    available_agent(region=1)
    available_agent(region=1)
    with writing_now(db):
        lifecycle.request_call(ready_dossier(make_customer("0905000002")), lan, "web")
        db.session.commit()
    dossier = ready_dossier()
    with writing_now(db), executed() as sent:
        call = lifecycle.request_call(dossier, lan, "web")
        db.session.commit()
    seen = [(verb(statement), context.cache_hit) for statement, context in sent
            if verb(statement) in ("SELECT", "INSERT", "UPDATE", "DELETE")]
    assert call.status == CallStatus.RINGING
    assert [kind for kind, _hit in seen].count("INSERT") >= 4, seen
    assert [(kind, hit) for kind, hit in seen if hit != CacheStats.CACHE_HIT] == [], seen


def test_the_first_agent_rung_for_another_call_meanwhile_the_next_one_is_rung(db, lan, ready_dossier,
                                                                            available_agent, make_customer,
                                                                            monkeypatch):
    taken, free = available_agent(region=1), available_agent(region=1)
    other = ready_dossier(make_customer("0905000001"))
    with writing_now(db):
        first = lifecycle.request_call(other, lan, "web")
        db.session.commit()
    busy = queries.pending_offer(taken.id) and taken or free  # whoever the first call rang
    idle = free if busy is taken else taken
    assert queries.pending_offer(busy.id).call_id == first.id
    real = routing.candidates

    def stale(call, region_id, skip_tried=True):  # a router that read the agents just before the other ring
        return [busy.id, *real(call, region_id, skip_tried)]

    monkeypatch.setattr(routing, "candidates", stale)
    with writing_now(db):
        call = lifecycle.request_call(ready_dossier(), lan, "web")
        db.session.commit()
    assert call.status == CallStatus.RINGING
    assert queries.pending_offer(idle.id).call_id == call.id and queries.pending_offer(busy.id).call_id == first.id
    history = db.session.scalars(select(StatusChange.to_status).where(
        StatusChange.object_type == "call", StatusChange.object_id == str(call.id)).order_by(StatusChange.id)).all()
    assert history == ["queued", "ringing"]


@pytest.mark.usefixtures("committed_db")
def test_two_tabs_at_once_with_an_agent_free_make_one_call_and_one_ring(app, db, lan, ready_dossier,
                                                                       available_agent):
    from portal.dossiers.models import Dossier

    available_agent(region=1)
    available_agent(region=1)
    dossier_id, customer_id = ready_dossier().id, lan.id
    db.session.commit()
    barrier = threading.Barrier(2)
    calls: list[int] = []
    errors: list[BaseException] = []

    def ask() -> None:
        from portal.core.sqlite import writing
        from portal.customers.models import Customer

        with app.app_context():
            barrier.wait()
            try:
                with writing():
                    call = lifecycle.request_call(_db.session.get(Dossier, dossier_id),
                                                  _db.session.get(Customer, customer_id))
                    _db.session.commit()
                    calls.append(call.id)
            except BaseException as exc:  # noqa: BLE001 (reported below)
                errors.append(exc)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    db.session.commit()
    assert not errors and len(calls) == 2 and calls[0] == calls[1]
    assert db.session.scalar(select(func.count(Call.id))) == 1
    assert db.session.scalar(select(func.count(CallOffer.id)).where(CallOffer.outcome == OfferOutcome.PENDING)) == 1


def test_the_places_of_ringing_calls_are_read_without_agents_or_handle_times__E_1_5(db, lan, ready_dossier,
                                                                              available_agent, make_customer):
    """After every request and hang-up the region's places are read for the ``queue`` messages: a ringing call
    waits for nothing (an estimate of 0), so the agents on duty and the last handle times are read only when a
    call is queued."""
    available_agent(region=1)
    with writing_now(db):
        ringing = lifecycle.request_call(ready_dossier(), lan, "web")
        db.session.commit()
    with executed() as sent:
        with _db.engine.connect() as connection:
            alone = queries.queue_positions(connection, 1)
        selects_alone = _selects(sent)
        other = make_customer("0905000003")
        with writing_now(db):
            queued = lifecycle.request_call(ready_dossier(other), other, "web")  # nobody else free: queued
            db.session.commit()
        sent.clear()
        with _db.engine.connect() as connection:
            both = queries.queue_positions(connection, 1)
    assert alone == [{"call_id": ringing.id, "status": "ringing", "position": 1, "eta_seconds": 0}]
    assert len(selects_alone) == 1, selects_alone
    assert queued.status == CallStatus.QUEUED and both[0]["call_id"] == ringing.id and both[0]["eta_seconds"] == 0
    assert both[1]["call_id"] == queued.id and both[1]["position"] == 2 and both[1]["eta_seconds"] > 0
    assert len(_selects(sent)) == 3, sent


def _selects(sent: list[tuple[str, object]]) -> list[str]:
    """The SELECTs (not SQLite's PRAGMAs of a new connection)."""
    return [statement for statement, _context in sent if verb(statement) == "SELECT"]
