"""Partner API holds (E-3.2, checklist 19): hold, look up, cancel; one channel never sees another's tickets."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from portal.core.models import AuditEntry
from portal.core.time import utcnow
from portal.holds.models import HoldLine, HoldTicket
from portal.numbers.models import NumberStatus, PhoneNumber
from tests.partners.conftest import assert_error

HOLD = {"number": "0903126868", "customer_phone": "0912345678", "sim_type": "esim"}


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _status(db, number: str) -> NumberStatus:
    return db.session.scalar(select(PhoneNumber.status).where(PhoneNumber.number == number))


def test_hold_a_number_answers_201_with_the_ticket__E_3_2(api, stock, db):
    stock(("0903126868", 1_500_000))
    response = api.post("/holds", json=HOLD)
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"hold_code", "number", "numbers", "status", "sim_type", "amount", "expires_at", "created_at"}
    assert (body["number"], body["numbers"], body["status"], body["sim_type"], body["amount"]) == (
        "0903126868", ["0903126868"], "active", "esim", 1_500_000)
    assert len(body["hold_code"]) == 10 and body["expires_at"].endswith("Z") and body["created_at"].endswith("Z")
    assert response.headers["Location"].endswith(f"/api/v1/holds/{body['hold_code']}")
    assert response.headers["Idempotent-Replayed"] == "false"
    assert _status(db, "0903126868") == NumberStatus.HELD
    ticket = db.session.scalar(select(HoldTicket))
    assert ticket.channel == api.partner.channel and ticket.customer_phone == "0912345678"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "hold.create"))
    assert (entry.actor_kind, entry.actor_id) == ("partner", api.partner.id)


def test_hold_a_pair_on_one_ticket__E_3_2(api, stock, db):
    stock(("0903123456", 100_000), ("0933123456", 200_000))
    response = api.post("/holds", json={"numbers": ["0903123456", "0933123456"], "customer_phone": "0912345678",
                                        "sim_type": "physical"})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["numbers"] == ["0903123456", "0933123456"] and body["number"] == "0903123456"
    assert body["amount"] == 300_000 and body["sim_type"] == "physical"
    assert _count(db, HoldLine) == 2


def test_a_pair_that_is_not_a_pair_is_refused(api, stock, db):
    stock("0903123456", "0777000111")
    response = api.post("/holds", json={"numbers": ["0903123456", "0777000111"], "customer_phone": "0912345678",
                                        "sim_type": "esim"})
    assert_error(response, 422, "not_a_pair")
    assert _count(db, HoldTicket) == 0


@pytest.mark.parametrize("status", [NumberStatus.HELD, NumberStatus.SOLD, NumberStatus.LOCKED])
def test_hold_on_a_number_not_for_sale_is_409_and_changes_nothing(api, stock, db, status):
    stock("0903126868")
    db.session.execute(update(PhoneNumber).values(status=status))
    db.session.commit()
    assert_error(api.post("/holds", json=HOLD), 409, "number_not_available")
    assert _count(db, HoldTicket) == 0 and _status(db, "0903126868") == status


def test_hold_on_a_held_number_is_409(api, stock, make_partner, api_for):
    stock("0903126868")
    assert api.post("/holds", json=HOLD).status_code == 201
    _other, key = make_partner("Kênh B")
    assert_error(api_for(key).post("/holds", json={**HOLD, "customer_phone": "0987654321"}), 409,
                 "number_not_available")


def test_hold_on_an_unknown_number_is_404(api, stock, db):
    stock("0903126868")
    assert_error(api.post("/holds", json={**HOLD, "number": "0903000000"}), 404, "number_not_found")
    assert_error(api.post("/holds", json={**HOLD, "number": "0123456789"}), 422, "bad_number")
    assert _count(db, HoldTicket) == 0


@pytest.mark.parametrize(("body", "status", "code"), [
    ("{not json", 400, "bad_json"),
    ("", 400, "bad_json"),
    ('["0903126868"]', 400, "bad_json"),
    pytest.param("[" * 5000 + "]" * 5000, 400, "bad_json", id="deeply-nested"),
    (b"\xff\xfe", 400, "bad_json"),
    (json.dumps({"customer_phone": "0912345678", "sim_type": "esim"}), 422, "missing_field"),
    (json.dumps({"number": "0903126868", "sim_type": "esim"}), 422, "missing_field"),
    (json.dumps({"number": "0903126868", "customer_phone": "0912345678"}), 422, "missing_field"),
    (json.dumps({**HOLD, "number": 903126868}), 422, "bad_field_type"),
    (json.dumps({**HOLD, "numbers": "0903126868"}), 422, "bad_field_type"),
    (json.dumps({**HOLD, "numbers": [1, 2]}), 422, "bad_field_type"),
    (json.dumps({**HOLD, "customer_phone": 912345678}), 422, "bad_field_type"),
    (json.dumps({**HOLD, "numbers": []}), 422, "bad_numbers"),
    (json.dumps({**HOLD, "numbers": ["0903126868"] * 3}), 422, "bad_numbers"),
    (json.dumps({**HOLD, "numbers": ["0933556868"]}), 422, "bad_numbers"),  # number not among numbers
    (json.dumps({**HOLD, "number": "09031268ab"}), 422, "bad_number"),
    pytest.param(json.dumps({**HOLD, "number": "9" * 10_000}), 422, "bad_number", id="10000-digits"),
    (json.dumps({**HOLD, "customer_phone": "12345"}), 422, "bad_customer_phone"),
    (json.dumps({**HOLD, "sim_type": "nano"}), 422, "bad_sim_type"),
])
def test_bad_hold_requests_are_refused_and_change_nothing(api, stock, db, body, status, code):
    stock("0903126868", "0933556868")
    response = api.post("/holds", data=body, headers={"Content-Type": "application/json"})
    assert_error(response, status, code)
    assert _count(db, HoldTicket) == 0 and _status(db, "0903126868") == NumberStatus.AVAILABLE


def test_a_body_over_the_limit_is_413(api, stock, db):
    stock("0903126868")
    response = api.post("/holds", json={**HOLD, "padding": "x" * 20_000})
    assert_error(response, 413, "too_large")
    assert _count(db, HoldTicket) == 0


def test_idempotency_key_replays_the_same_ticket__E_3_2(api, stock, db):
    stock("0903126868", "0933556868")
    first = api.post("/holds", json=HOLD, headers={"Idempotency-Key": "order-1"})
    again = api.post("/holds", json=HOLD, headers={"Idempotency-Key": "order-1"})
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert _count(db, HoldTicket) == 1
    other = api.post("/holds", json={**HOLD, "number": "0933556868"}, headers={"Idempotency-Key": "order-1"})
    assert_error(other, 422, "idempotency_key_reused")
    assert _count(db, HoldTicket) == 1 and _status(db, "0933556868") == NumberStatus.AVAILABLE
    assert_error(api.post("/holds", json=HOLD, headers={"Idempotency-Key": "k" * 81}), 422, "bad_idempotency_key")
    assert_error(api.post("/holds", json=HOLD, headers={"Idempotency-Key": "có dấu"}), 422, "bad_idempotency_key")
    assert_error(api.post("/holds", json=HOLD, headers={"Idempotency-Key": ""}), 422, "bad_idempotency_key")


def test_idempotency_keys_are_per_channel(api, stock, make_partner, api_for, db):
    stock("0903126868", "0933556868")
    assert api.post("/holds", json=HOLD, headers={"Idempotency-Key": "order-1"}).status_code == 201
    _b, key = make_partner("Kênh B")
    response = api_for(key).post("/holds", json={**HOLD, "number": "0933556868"},
                                 headers={"Idempotency-Key": "order-1"})
    assert response.status_code == 201 and response.get_json()["number"] == "0933556868"
    assert _count(db, HoldTicket) == 2


def test_look_up_and_cancel_own_ticket__E_3_2(api, stock, db):
    stock("0903126868")
    code = api.post("/holds", json=HOLD).get_json()["hold_code"]
    response = api.get(f"/holds/{code}")
    assert response.status_code == 200 and response.get_json()["hold_code"] == code
    typed = f"{code[:5].lower()}-{code[5:]}"  # what a person types is forgiven
    assert api.get(f"/holds/{typed}").get_json()["hold_code"] == code
    cancelled = api.delete(f"/holds/{code}")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert _status(db, "0903126868") == NumberStatus.AVAILABLE
    again = api.delete(f"/holds/{code}")  # a retried DELETE: same answer, nothing more happens
    assert again.status_code == 200 and again.get_json()["status"] == "cancelled"
    assert len(list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "hold.cancelled")))) == 1
    assert api.get(f"/holds/{code}").get_json()["status"] == "cancelled"


def test_channel_b_cannot_see_or_cancel_channel_a_ticket__checklist_19(api, stock, make_partner, api_for, db):
    stock("0903126868")
    code = api.post("/holds", json=HOLD).get_json()["hold_code"]
    _b, key = make_partner("Kênh B")
    other = api_for(key)
    assert_error(other.get(f"/holds/{code}"), 404, "hold_not_found")
    assert_error(other.delete(f"/holds/{code}"), 404, "hold_not_found")
    mine = api.get(f"/holds/{code}").get_json()
    assert mine["status"] == "active" and _status(db, "0903126868") == NumberStatus.HELD


def test_unknown_and_odd_hold_codes_are_404(api):
    for code in ("ACDEFGHJKM", "x" * 300, "%00", "ĐĐĐ", "<script>"):
        assert_error(api.get(f"/holds/{code}"), 404, "hold_not_found")


def test_an_expired_hold_reads_expired_and_cannot_be_cancelled(api, stock, db):
    stock("0903126868")
    code = api.post("/holds", json=HOLD).get_json()["hold_code"]
    db.session.execute(update(HoldTicket).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert api.get(f"/holds/{code}").get_json()["status"] == "expired"
    assert_error(api.delete(f"/holds/{code}"), 409, "hold_expired")
    assert db.session.scalar(select(HoldTicket.status)).value == "active"  # the sweeper's job, not a GET's


def test_a_held_number_comes_back_once_its_hold_expired(api, stock, db, make_partner, api_for):
    stock("0903126868")
    api.post("/holds", json=HOLD)
    db.session.execute(update(HoldTicket).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    _b, key = make_partner("Kênh B")
    assert api_for(key).post("/holds", json=HOLD).status_code == 201


def test_a_paid_hold_cannot_be_cancelled_through_the_partner_api(api, stock, db):
    """Issue 10: PAID → CANCELLED only through an order's cancellation (with its refund), never a DELETE."""
    from portal.holds import services as holds

    stock("0903126868")
    code = api.post("/holds", json=HOLD).get_json()["hold_code"]
    holds.mark_paid(db.session.scalar(select(HoldTicket)))
    db.session.commit()
    error = assert_error(api.delete(f"/holds/{code}"), 409, "hold_paid")
    assert "thanh toán" in error["message"]
    db.session.expire_all()
    assert db.session.scalar(select(HoldTicket.status)).value == "paid"
    assert _status(db, "0903126868") == NumberStatus.HELD
    assert api.get(f"/holds/{code}").get_json()["status"] == "paid"


@pytest.mark.parametrize("swept_first", [False, True], ids=["before-the-sweeper", "after-the-sweeper"])
def test_delete_after_expiry_answers_hold_expired_whichever_runs_first(api, stock, db, swept_first):
    """Issue 10: the documented hold_expired, never invalid_transition, once the sweeper has expired the hold."""
    from portal.holds import services as holds

    stock("0903126868")
    code = api.post("/holds", json=HOLD).get_json()["hold_code"]
    db.session.execute(update(HoldTicket).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    if swept_first:
        assert holds.expire_holds() == 1
        db.session.commit()
    assert_error(api.delete(f"/holds/{code}"), 409, "hold_expired")
    assert api.get(f"/holds/{code}").get_json()["status"] == "expired"
