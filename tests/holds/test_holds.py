"""Holds (HOLD-1, E-2.2, E-3.2; checklist 16, 18): one holder per number, expiry, cancellation, look-up."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.core.errors import Conflict, Invalid, NotFound
from portal.core.models import StatusChange
from portal.core.sqlite import writing
from portal.core.time import utcnow
from portal.extensions import db as _db
from portal.holds import services as holds
from portal.holds.models import HoldLine, HoldStatus, HoldTicket
from portal.numbers.models import NumberStatus, PhoneNumber
from portal.numbers.services import NewNumber, add_numbers


@pytest.fixture
def numbers(db):
    add_numbers([NewNumber("0903686868", region_id=2), NewNumber("0933686868", region_id=2),
                 NewNumber("0909123456", region_id=5), NewNumber("0909123457", region_id=5),
                 NewNumber("0778001122", region_id=3)])
    db.session.commit()


def _number(db, number: str) -> PhoneNumber:
    db.session.expire_all()
    return db.session.scalar(select(PhoneNumber).where(PhoneNumber.number == number))


def test_hold_creates_a_ticket_with_an_unguessable_code__HOLD_1(numbers, db):
    ticket, replayed = holds.hold_numbers(["0903 686 868"], "0912345678", "esim", "web")
    db.session.commit()
    assert not replayed and ticket.status == HoldStatus.ACTIVE
    assert len(ticket.hold_code) == 10 and set(ticket.hold_code) <= set(holds.HOLD_CODE_ALPHABET)
    assert not set(ticket.hold_code) & set("0O1IL2Z5S8B")
    assert ticket.numbers == ["0903686868"] and ticket.region_id == 2
    assert ticket.expires_at - ticket.created_at == timedelta(minutes=30)
    number = _number(db, "0903686868")
    assert number.status == NumberStatus.HELD and number.hold_ticket_id == ticket.id


def test_a_held_number_cannot_be_held_again__E_3_2(numbers, db):
    holds.hold_numbers(["0903686868"], "0912345678", "physical", "web")
    db.session.commit()
    with pytest.raises(Conflict) as err:
        holds.hold_numbers(["0903686868"], "0987654321", "physical", "web")
    assert err.value.code == "number_not_available"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(HoldTicket)) == 1


def test_unknown_and_sold_numbers_are_refused(numbers, db):
    with pytest.raises(NotFound) as err:
        holds.hold_numbers(["0909999990"], "0912345678", "esim", "web")
    assert err.value.code == "number_not_found"
    db.session.rollback()
    sold = _number(db, "0778001122")
    sold.status = NumberStatus.SOLD
    db.session.commit()
    with pytest.raises(Conflict):
        holds.hold_numbers(["0778001122"], "0912345678", "esim", "web")
    db.session.rollback()


@pytest.mark.parametrize("raw, phone, sim, code", [
    (["12345"], "0912345678", "esim", "bad_number"),
    (["0203686868"], "0912345678", "esim", "bad_number"),
    (["0903686868"], "12345", "esim", "bad_customer_phone"),
    (["0903686868"], "0912345678", "nano", "bad_sim_type"),
    ([], "0912345678", "esim", "bad_numbers"),
    (["0903686868"] * 3, "0912345678", "esim", "bad_numbers"),
    (["0903686868", "0909123456"], "0912345678", "esim", "not_a_pair"),
])
def test_bad_hold_requests_change_nothing(numbers, db, raw, phone, sim, code):
    with pytest.raises(Invalid) as err:
        holds.hold_numbers(raw, phone, sim, "web")
    assert err.value.code == code
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(HoldTicket)) == 0
    assert _number(db, "0903686868").status == NumberStatus.AVAILABLE


def test_a_pair_is_held_in_one_step(numbers, db):
    ticket, _ = holds.hold_numbers(["0903686868", "0933686868"], "0912345678", "physical", "web")
    db.session.commit()
    assert sorted(ticket.numbers) == ["0903686868", "0933686868"]
    assert {_number(db, n).status for n in ticket.numbers} == {NumberStatus.HELD}
    assert ticket.amount == sum(line.price for line in ticket.lines)


def test_a_pair_with_one_number_taken_holds_neither(numbers, db):
    holds.hold_numbers(["0909123457"], "0912345678", "physical", "web")
    db.session.commit()
    with pytest.raises(Conflict):
        holds.hold_numbers(["0909123456", "0909123457"], "0987654321", "physical", "web")
    db.session.rollback()
    assert _number(db, "0909123456").status == NumberStatus.AVAILABLE


def test_idempotency_key_returns_the_same_ticket(numbers, db):
    first, replayed = holds.hold_numbers(["0903686868"], "0912345678", "esim", "partner:1", idempotency_key="k-1")
    db.session.commit()
    again, replayed = holds.hold_numbers(["0903686868"], "0912345678", "esim", "partner:1", idempotency_key="k-1")
    assert replayed and again.id == first.id
    with pytest.raises(Invalid) as err:
        holds.hold_numbers(["0933686868"], "0912345678", "esim", "partner:1", idempotency_key="k-1")
    assert err.value.code == "idempotency_key_reused"


def _age(db, ticket_id: int, minutes: int = 31) -> None:
    ticket = db.session.get(HoldTicket, ticket_id)
    ticket.expires_at = utcnow() - timedelta(minutes=minutes - 30)
    db.session.commit()


def test_expired_hold_frees_the_number_and_the_old_code_no_longer_holds_it(numbers, db):
    """Checklist 18: past expiry the number is free again."""
    ticket, _ = holds.hold_numbers(["0903686868"], "0912345678", "esim", "web")
    db.session.commit()
    code, ticket_id = ticket.hold_code, ticket.id
    _age(db, ticket_id)
    assert holds.expire_holds() == 1
    db.session.expire_all()
    assert db.session.get(HoldTicket, ticket_id).status == HoldStatus.EXPIRED
    assert _number(db, "0903686868").status == NumberStatus.AVAILABLE
    assert holds.lookup_hold(code, "0912345678").status == HoldStatus.EXPIRED
    history = db.session.scalars(select(StatusChange.to_status).where(StatusChange.object_id == str(ticket_id)))
    assert list(history) == ["active", "expired"]


def test_a_new_hold_does_not_wait_for_the_expiry_job(numbers, db):
    ticket, _ = holds.hold_numbers(["0903686868"], "0912345678", "esim", "web")
    db.session.commit()
    _age(db, ticket.id)
    other, _ = holds.hold_numbers(["0903686868"], "0987654321", "esim", "web")
    db.session.commit()
    assert _number(db, "0903686868").hold_ticket_id == other.id
    db.session.expire_all()
    assert db.session.get(HoldTicket, ticket.id).status == HoldStatus.EXPIRED


def test_paid_hold_does_not_expire(numbers, db):
    ticket, _ = holds.hold_numbers(["0903686868"], "0912345678", "esim", "web")
    holds.mark_paid(ticket)
    db.session.commit()
    _age(db, ticket.id)
    assert holds.expire_holds() == 0
    assert _number(db, "0903686868").status == NumberStatus.HELD


def test_expired_hold_cannot_be_paid(numbers, db):
    ticket, _ = holds.hold_numbers(["0903686868"], "0912345678", "esim", "web")
    db.session.commit()
    _age(db, ticket.id)
    with pytest.raises(Conflict) as err:
        holds.mark_paid(db.session.get(HoldTicket, ticket.id))
    assert err.value.code == "hold_expired"


def test_cancel_frees_the_numbers_and_cannot_happen_twice(numbers, db):
    ticket, _ = holds.hold_numbers(["0903686868", "0933686868"], "0912345678", "physical", "web")
    db.session.commit()
    holds.cancel_hold(ticket, None, "khách đổi ý")
    db.session.commit()
    assert {_number(db, n).status for n in ("0903686868", "0933686868")} == {NumberStatus.AVAILABLE}
    with pytest.raises(Conflict):
        holds.cancel_hold(db.session.get(HoldTicket, ticket.id), None, "lần hai")


def test_lookup_by_code_and_phone_gives_no_hint_about_the_code(numbers, db):
    ticket, _ = holds.hold_numbers(["0903686868"], "0912345678", "esim", "web")
    db.session.commit()
    assert holds.lookup_hold(ticket.hold_code.lower(), "+84912345678").id == ticket.id
    messages = set()
    for code, phone in ((ticket.hold_code, "0987654321"), ("ACDEFGHJKM", "0912345678"), (ticket.hold_code, "x")):
        with pytest.raises(NotFound) as err:
            holds.lookup_hold(code, phone)
        messages.add((err.value.code, err.value.message))
    assert len(messages) == 1


def test_a_channel_sees_only_its_own_tickets(numbers, db):
    ticket, _ = holds.hold_numbers(["0903686868"], "0912345678", "esim", "partner:1")
    db.session.commit()
    assert holds.ticket_for_channel(ticket.hold_code, "partner:1").id == ticket.id
    with pytest.raises(NotFound):
        holds.ticket_for_channel(ticket.hold_code, "partner:2")


@pytest.mark.usefixtures("committed_db")
def test_100_concurrent_holds_of_one_number_leave_exactly_one_ticket(app, numbers, db):
    """Checklist 16, on SQLite here and on PostgreSQL in the second pass of make test."""
    results: list[str] = []
    start = threading.Barrier(100)

    def attempt(i: int) -> None:
        with app.app_context():
            start.wait()
            try:
                with writing():
                    holds.hold_numbers(["0903686868"], f"09{i:08d}", "esim", "web")
                    _db.session.commit()
                results.append("won")
            except Conflict:
                _db.session.rollback()
                results.append("409")
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == ["409"] * 99 + ["won"]
    db.session.commit()  # end the test's own read snapshot before looking
    assert db.session.scalar(select(func.count()).select_from(HoldTicket)) == 1
    assert db.session.scalar(select(func.count()).select_from(HoldLine)) == 1
    assert _number(db, "0903686868").status == NumberStatus.HELD


@pytest.mark.usefixtures("committed_db")
def test_two_people_cancelling_at_once_cannot_both_win(app, numbers, db):
    """A race-safe transition: of two simultaneous decisions on one ticket, one is refused."""
    ticket, _ = holds.hold_numbers(["0903686868"], "0912345678", "esim", "web")
    db.session.commit()
    ticket_id, outcomes = ticket.id, []
    start = threading.Barrier(2)

    def cancel(who: str) -> None:
        with app.app_context():
            start.wait()  # before the transactions begin: SQLite queues the writers, PostgreSQL locks the row
            with writing():
                t = _db.session.get(HoldTicket, ticket_id)
                try:
                    holds.cancel_hold(t, None, who)
                    _db.session.commit()
                    outcomes.append(who)
                except Conflict:
                    _db.session.rollback()
                    outcomes.append("conflict")
            _db.session.remove()

    threads = [threading.Thread(target=cancel, args=(who,)) for who in ("an", "binh")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) in (["an", "conflict"], ["binh", "conflict"])
    db.session.commit()  # end the test's own read snapshot before looking
    history = db.session.scalars(select(StatusChange.to_status).where(StatusChange.object_id == str(ticket_id))
                                .order_by(StatusChange.id))
    assert list(history) == ["active", "cancelled"]


def test_a_paid_hold_is_cancelled_only_by_its_orders_cancellation(numbers, db):
    """Issue 10: cancel_hold refuses a paid hold (hold_paid) unless the order's cancellation asks (allow_paid)."""
    ticket, _ = holds.hold_numbers(["0903686868"], "0912345678", "esim", "web")
    holds.mark_paid(ticket)
    db.session.commit()
    with pytest.raises(Conflict) as err:
        holds.cancel_hold(ticket, None, "nhân viên hủy")
    assert err.value.code == "hold_paid"
    db.session.rollback()
    assert _number(db, "0903686868").status == NumberStatus.HELD
    holds.cancel_hold(db.session.get(HoldTicket, ticket.id), None, "DH1: khách hủy đơn", allow_paid=True)
    db.session.commit()
    assert db.session.get(HoldTicket, ticket.id).status == HoldStatus.CANCELLED
    assert _number(db, "0903686868").status == NumberStatus.AVAILABLE


def test_cancelling_an_expired_hold_says_expired_after_the_sweeper_too(numbers, db):
    ticket, _ = holds.hold_numbers(["0903686868"], "0912345678", "esim", "web")
    db.session.commit()
    _age(db, ticket.id)
    assert holds.expire_holds() == 1
    db.session.commit()
    with pytest.raises(Conflict) as err:
        holds.cancel_hold(db.session.get(HoldTicket, ticket.id), None, "muộn")
    assert err.value.code == "hold_expired"
