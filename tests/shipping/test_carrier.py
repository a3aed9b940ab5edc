"""The carrier over HTTP: GHN protocol against the sandbox, the idempotent job, signed callbacks (SHIP-8.2, 22)."""
from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from portal.core.roles import Role
from portal.core.time import utcnow
from portal.gateways.ghn import SIGNATURE_HEADER, CarrierError, GhnClient, Parcel, carrier, sign
from portal.orders.models import Order, OrderStatus
from portal.shipping import jobs
from portal.shipping.models import CarrierEvent
from tests.shipping.conftest import SECRET, confirm_now

WEBHOOK = "/shipping/carrier/ghn/webhook"


def _parcel(code: str = "DH-T-1") -> Parcel:
    return Parcel(client_order_code=code, to_name="Trần Thị Bình", to_phone="0987654321", to_address="1 Hàng Bài",
                  to_ward_name="Tràng Tiền", to_district_name="Hoàn Kiếm", to_province_name="Hà Nội",
                  cod_amount=545_000, pick_at=utcnow() + timedelta(hours=2), pickup_address="Kho SIM")


def _reload(db, order) -> Order:
    db.session.commit()  # end our read transaction: SQLite (WAL) would keep showing its snapshot
    return db.session.get(Order, order.id)


def test_client_speaks_ghn_and_the_sandbox_keeps_client_codes_unique__SHIP_8_2(app, sandbox):
    client = GhnClient(sandbox.url, sandbox.token, sandbox.shop_id)
    created = client.create_order(_parcel())
    assert created.order_code.startswith("GY") and created.status == "ready_to_pick"
    with pytest.raises(CarrierError) as err:
        client.create_order(_parcel())
    assert not err.value.transient and "client_order_code" in str(err.value)
    assert client.find_by_client_code("DH-T-1").order_code == created.order_code
    assert client.detail(created.order_code).client_order_code == "DH-T-1"
    assert client.find_by_client_code("DH-NOPE") is None


def test_the_sandbox_refuses_a_wrong_token(sandbox):
    response = requests.post(sandbox.url + "/shiip/public-api/v2/shipping-order/create", json={},
                             headers={"Token": "wrong", "ShopId": sandbox.shop_id}, timeout=5)
    assert response.status_code == 401 and response.json()["code"] == 401


def test_the_job_run_twice_creates_one_carrier_order__SHIP_8_2(app, db, sandbox, make_order, make_staff):
    order = make_order()
    confirm_now(order, make_staff(Role.SHIPPING, region=1))
    first = jobs.create_carrier_order(order.id)
    assert jobs.create_carrier_order(order.id) is None  # the order has its code: nothing to do
    assert _reload(db, order).carrier_order_code == first
    assert [p["client_order_code"] for p in sandbox.all()] == [order.order_no]


def test_a_timed_out_first_call_is_found_by_client_code_not_created_again__SHIP_8_2(app, db, sandbox, make_order,
                                                                                     make_staff):
    """The carrier created the order but our call timed out: the retry finds it by client_order_code."""
    order = make_order()
    confirm_now(order, make_staff(Role.SHIPPING, region=1))
    with app.app_context():
        already = carrier().create_order(jobs.parcel_for(_reload(db, order)))
    assert jobs.create_carrier_order(order.id) == already.order_code
    assert len(sandbox.all()) == 1


def test_two_jobs_racing_past_the_lookup_still_end_with_one_order__SHIP_8_2(app, db, sandbox, make_order,
                                                                            make_staff, monkeypatch):
    order = make_order()
    confirm_now(order, make_staff(Role.SHIPPING, region=1))
    with app.app_context():
        already = carrier().create_order(jobs.parcel_for(_reload(db, order)))
    # This run's look-up missed (the other run had not created it yet); its create is refused as a duplicate.
    real_find = GhnClient.find_by_client_code
    calls = []

    def find_late(self, code):
        calls.append(code)
        return None if len(calls) == 1 else real_find(self, code)

    monkeypatch.setattr(GhnClient, "find_by_client_code", find_late)
    assert jobs.create_carrier_order(order.id) == already.order_code
    assert len(sandbox.all()) == 1


def test_an_unreachable_carrier_is_a_transient_error_for_retry(app, db, make_order, make_staff):
    order = make_order()
    confirm_now(order, make_staff(Role.SHIPPING, region=1))
    app.config["GHN_URL"], saved = "http://127.0.0.1:9", app.config["GHN_URL"]
    try:
        with pytest.raises(CarrierError) as err:
            jobs.create_carrier_order(order.id)
        assert err.value.transient
    finally:
        app.config["GHN_URL"] = saved
    assert _reload(db, order).carrier_order_code is None


def _post(client, body: dict, secret: str | None = SECRET, signature: str | None = None):
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers[SIGNATURE_HEADER] = signature
    elif secret:
        headers[SIGNATURE_HEADER] = sign(raw, secret)
    return client.post(WEBHOOK, data=raw, headers=headers)


def test_callbacks_fail_closed_without_a_secret__checklist_23(app, client, make_order):
    order = make_order()
    app.config["GHN_WEBHOOK_SECRET"], saved = "", app.config["GHN_WEBHOOK_SECRET"]
    try:
        response = _post(client, {"ClientOrderCode": order.order_no, "Status": "picked"}, secret="anything")
    finally:
        app.config["GHN_WEBHOOK_SECRET"] = saved
    assert response.status_code == 401 and response.json["error"]["code"] == "bad_signature"


def test_callbacks_with_a_bad_or_missing_signature_are_401__checklist_23(app, client, db, sandbox, make_order):
    order = make_order()
    body = {"ClientOrderCode": order.order_no, "Status": "delivered", "CODAmount": 545_000}
    assert _post(client, body, signature="0" * 64).status_code == 401
    assert _post(client, body, secret="another-secret").status_code == 401
    assert _post(client, body, secret=None).status_code == 401
    assert _reload(db, order).status == OrderStatus.PENDING
    assert db.session.scalar(select(CarrierEvent.id)) is None


def test_a_callback_for_an_unknown_order_is_404_and_logged(app, client, db, sandbox):
    from portal.core.models import AuditEntry

    response = _post(client, {"OrderCode": "GYNOPE", "ClientOrderCode": "DH000", "Status": "delivered"})
    assert response.status_code == 404 and response.json["error"]["code"] == "order_not_found"
    db.session.expire_all()
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "carrier.unknown_order"))


def test_a_signed_callback_moves_the_order_and_a_duplicate_is_harmless__SHIP_22(app, client, db, sandbox,
                                                                                make_order, make_staff):
    order = make_order()
    confirm_now(order, make_staff(Role.SHIPPING, region=1))
    body = {"OrderCode": "GYTEST01", "ClientOrderCode": order.order_no, "Status": "picked",
            "Time": "2026-11-25T03:00:00.000Z", "CODAmount": 545_000}
    first = _post(client, body)
    assert first.status_code == 200 and first.json["data"]["outcome"] == "applied"
    again = _post(client, body)
    assert again.status_code == 200 and again.json["data"]["outcome"] == "duplicate"
    order = _reload(db, order)
    assert order.status == OrderStatus.DELIVERING and order.carrier_order_code == "GYTEST01"


def test_the_sandbox_sends_signed_callbacks_the_live_portal_accepts__SHIP_9_22(app, db, sandbox, portal_server,
                                                                              make_order, make_staff):
    """Sandbox over HTTP → the portal over HTTP: timers move the order, the simulator delivers with cash."""
    order = make_order()
    confirm_now(order, make_staff(Role.SHIPPING, region=1))
    code = jobs.create_carrier_order(order.id)
    sandbox.webhook_url = portal_server + WEBHOOK
    sandbox.step_seconds = 0.2
    with sandbox.connect() as conn:
        conn.execute("UPDATE parcel SET next_at = 0")
    sandbox.start_timers()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and _reload(db, order).status != OrderStatus.DELIVERING:
        time.sleep(0.2)
    while time.monotonic() < deadline and sandbox.get(order_code=code)["status"] != "delivering":
        time.sleep(0.2)
    assert _reload(db, order).status == OrderStatus.DELIVERING
    response = requests.post(f"{sandbox.url}/sim/{code}/delivered", data={"amount": "545000"}, timeout=10,
                             allow_redirects=False)
    assert response.status_code == 302
    assert sandbox.get(order_code=code)["last_callback_result"] == "HTTP 200"
    order = _reload(db, order)
    assert order.status == OrderStatus.DELIVERED and order.cash_collected == 545_000 and not order.cash_mismatch
    page = requests.get(sandbox.url + "/", timeout=5).text
    assert "Giao thành công" in page and order.order_no in page
