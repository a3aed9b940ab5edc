"""The carrier's callback before it reaches the service (SHIP-22, checklist 23): a fresh timestamp under the
signature, amounts that are whole VND within bounds; every refusal a stable code, the authentic ones audited."""
from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from sqlalchemy import select

from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.gateways.ghn import SIGNATURE_HEADER, sign
from portal.orders.models import Order, OrderStatus
from portal.shipping.models import CarrierEvent
from tests.shipping.conftest import SECRET, confirm_now

WEBHOOK = "/shipping/carrier/ghn/webhook"
WINDOW = 300  # the default GHN_WEBHOOK_TOLERANCE_SECONDS


def _reload(db, order) -> Order:
    db.session.commit()  # end our read transaction: SQLite (WAL) would keep showing its snapshot
    return db.session.get(Order, order.id)


def _mac(raw: bytes, signed: str) -> str:
    return hmac.new(SECRET.encode(), signed.encode() + b"." + raw, hashlib.sha256).hexdigest()


def _post(client, raw: bytes | dict, header: str | None = None, at: int | None = None):
    """POST a callback signed at ``at`` (now by default), or with the given signature header."""
    if isinstance(raw, dict):
        raw = json.dumps(raw).encode()
    if header is None:
        header = sign(raw, SECRET, timestamp=at)
    return client.post(WEBHOOK, data=raw, headers={"Content-Type": "application/json", SIGNATURE_HEADER: header})


def _refusals(db) -> list[dict]:
    db.session.expire_all()
    return [e.detail for e in db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "carrier.callback_refused").order_by(AuditEntry.id))]


@pytest.fixture
def waiting(db, sandbox, make_order, make_staff) -> Order:
    """An order confirmed for pickup, as the carrier knows it."""
    order = make_order()
    confirm_now(order, make_staff(Role.SHIPPING, region=1))
    return _reload(db, order)


def _body(order: Order, status: str = "picked", **extra) -> dict:
    return {"OrderCode": "GYHOOK01", "ClientOrderCode": order.order_no, "Status": status,
            "Time": f"2026-11-25T10:{len(status):02d}:00.000Z", "CODAmount": 545_000, **extra}


# --- freshness: the timestamp is signed, and must be within the window ------------------------------------------

def test_a_freshly_signed_callback_is_applied__SHIP_22(client, db, waiting):
    now = int(time.time())
    response = _post(client, _body(waiting), at=now - WINDOW // 2)  # a little late, still inside the window
    assert response.status_code == 200 and response.json["data"]["outcome"] == "applied"
    assert _reload(db, waiting).status == OrderStatus.DELIVERING


@pytest.mark.parametrize("offset", [-(WINDOW + 60), -86_400 * 30, WINDOW + 60], ids=["old", "a-month-old", "future"])
def test_a_callback_signed_outside_the_window_is_refused_and_audited(client, db, waiting, offset):
    response = _post(client, _body(waiting), at=int(time.time()) + offset)
    assert response.status_code == 401 and response.json["error"]["code"] == "timestamp_outside_window"
    assert _reload(db, waiting).status == OrderStatus.WAITING_PICKUP
    assert db.session.scalar(select(CarrierEvent.id)) is None
    (refusal,) = _refusals(db)
    assert refusal["code"] == "timestamp_outside_window" and abs(refusal["age_seconds"] + offset) <= 5


@pytest.mark.parametrize("header", [
    "v1={mac_of_body}",  # the old scheme: an HMAC of the body alone, no timestamp
    "{mac_of_body}",
    "t=,v1={mac}",
    "v1={mac}",  # the right HMAC, but the timestamp it covers left out
    "t={now},t={now},v1={mac}",
    "t=١٧٠٠٠٠٠٠٠٠,v1={mac}",  # Arabic-Indic digits: int() would read them
], ids=["old-scheme", "bare-hex", "empty-t", "no-t", "two-t", "non-ascii-t"])
def test_a_callback_without_a_signed_timestamp_is_refused(client, db, waiting, header):
    raw = json.dumps(_body(waiting)).encode()
    now = str(int(time.time()))
    header = header.format(now=now, mac=_mac(raw, now),
                           mac_of_body=hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest())
    response = _post(client, raw, header=header)
    assert response.status_code == 401 and response.json["error"]["code"] == "bad_signature"
    assert _reload(db, waiting).status == OrderStatus.WAITING_PICKUP


def test_a_tampered_timestamp_breaks_the_signature(client, db, waiting):
    """An old callback re-sent with a fresh t: the HMAC covers t, so it no longer matches."""
    raw = json.dumps(_body(waiting)).encode()
    old = sign(raw, SECRET, timestamp=int(time.time()) - 3600)
    fresh = old.replace(old.split(",")[0], f"t={int(time.time())}")
    response = _post(client, raw, header=fresh)
    assert response.status_code == 401 and response.json["error"]["code"] == "bad_signature"
    assert _reload(db, waiting).status == OrderStatus.WAITING_PICKUP
    assert _refusals(db) == []  # not authentic: logged, not audited (anyone can send garbage)


def test_a_replay_inside_the_window_is_still_a_duplicate__checklist_23(client, db, waiting):
    body = _body(waiting)
    assert _post(client, body, at=int(time.time()) - 10).json["data"]["outcome"] == "applied"
    again = _post(client, body)  # the same event, signed again a moment later
    assert again.status_code == 200 and again.json["data"]["outcome"] == "duplicate"
    assert len(db.session.scalars(select(CarrierEvent.id)).all()) == 1


def test_a_rotated_secret_may_sign_twice(client, db, waiting):
    """As Stripe: several v1 signatures, one of them with the current secret, is accepted."""
    raw = json.dumps(_body(waiting)).encode()
    now = str(int(time.time()))
    other = hmac.new(b"the-old-secret", now.encode() + b"." + raw, hashlib.sha256).hexdigest()
    response = _post(client, raw, header=f"t={now},v1={other},v1={_mac(raw, now)}")
    assert response.status_code == 200 and response.json["data"]["outcome"] == "applied"


# --- amounts: whole VND, 0 ≤ amount ≤ CARRIER_MAX_AMOUNT -----------------------------------------------------------

BAD_AMOUNTS = {
    "1e30": "1e+30", "nan": "NaN", "infinity": "Infinity", "minus-infinity": "-Infinity", "negative": "-1",
    "negative-cod": "-545000", "fraction": "545000.5", "true": "true", "string": '"545000"', "list": "[545000]",
    "object": '{"v": 545000}', "over-the-bound": "1000000000001", "huge-int": "9" * 40,
}


@pytest.mark.parametrize("literal", BAD_AMOUNTS.values(), ids=BAD_AMOUNTS.keys())
@pytest.mark.parametrize("field", ["CODAmount", "TotalFee"])
def test_a_signed_callback_with_a_bad_amount_is_400_and_audited(client, db, waiting, field, literal):
    body = json.dumps(_body(waiting, "delivered", **{field: "@"})).replace('"@"', literal).encode()
    response = _post(client, body)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.json["error"]["code"] == "bad_amount" and field in response.json["error"]["message"]
    assert _reload(db, waiting).status == OrderStatus.WAITING_PICKUP
    assert db.session.scalar(select(CarrierEvent.id)) is None
    (refusal,) = _refusals(db)
    assert refusal["code"] == "bad_amount" and refusal["field"] == field


def test_not_a_number_anywhere_in_the_body_is_400(client, db, waiting):
    body = json.dumps(_body(waiting, Weight=float("nan"), Extra={"n": float("inf")})).encode()
    response = _post(client, body)
    assert response.status_code == 400 and response.json["error"]["code"] == "bad_json"
    assert db.session.scalar(select(CarrierEvent.id)) is None


@pytest.mark.parametrize("field,value", [("Status", 7), ("OrderCode", ["GY"]), ("ClientOrderCode", {"a": 1}),
                                         ("Reason", False), ("Time", 1700000000)])
def test_a_text_field_of_another_type_is_400(client, db, waiting, field, value):
    response = _post(client, _body(waiting, **{field: value}))
    assert response.status_code == 400 and response.json["error"]["code"] == "bad_field"
    assert field in response.json["error"]["message"]


def test_whole_amounts_up_to_the_bound_are_accepted(app, client, db, waiting, monkeypatch):
    monkeypatch.setitem(app.config, "CARRIER_MAX_AMOUNT", 600_000)
    assert _post(client, _body(waiting, "picked")).status_code == 200
    assert _post(client, _body(waiting, "delivered", CODAmount=600_001)).json["error"]["code"] == "bad_amount"
    # 545000.0 is a whole number written as a float: read as 545000
    raw = json.dumps(_body(waiting, "delivered")).replace("545000", "545000.0").encode()
    response = _post(client, raw)
    assert response.status_code == 200 and response.json["data"]["outcome"] == "applied"
    order = _reload(db, waiting)
    assert order.status == OrderStatus.DELIVERED and order.cash_collected == 545_000 and not order.cash_mismatch
    event = db.session.scalar(select(CarrierEvent).where(CarrierEvent.status == "delivered"))
    assert event.cod_amount == 545_000 and isinstance(event.payload["CODAmount"], int)


def test_an_amount_of_zero_or_none_is_fine(client, db, waiting):
    assert _post(client, _body(waiting, "picked", CODAmount=0)).status_code == 200
    body = _body(waiting, "delivering")
    del body["CODAmount"]
    assert _post(client, body).status_code == 200
