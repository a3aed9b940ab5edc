"""The app API of the orders domain (/api/app/v1): search modes, quote, place order, my orders, detail."""
from __future__ import annotations

from sqlalchemy import func, select

from portal.orders.models import Order
from tests.conftest import CUSTOMER_PASSWORD

from .conftest import hold_form

API = "/api/app/v1"


def _token(client, customer) -> dict:
    response = client.post(f"{API}/token", json={"phone": customer.phone, "password": CUSTOMER_PASSWORD})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_search_modes_need_no_token__HOLD_1(client, numbers):
    body = client.get(f"{API}/numbers?pattern=0903*").get_json()
    assert [n["number"] for n in body["items"]] == ["0903686868"]
    assert client.get(f"{API}/numbers/by-name?name=an").status_code == 200
    assert client.get(f"{API}/numbers/feng-shui?birth_date=1990-05-17").status_code == 200
    assert client.get(f"{API}/numbers/pairs").status_code == 200
    bad = client.get(f"{API}/numbers/feng-shui?birth_date=17-05-1990")
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "bad_birth_date"


def test_place_order_is_idempotent_and_lists__HOLD_3(client, numbers, customer, db):
    auth = _token(client, customer)
    body = {**hold_form(sim_type="esim", receive_method="email", payment_method="online")}
    quote = client.post(f"{API}/orders/quote", json=body, headers=auth)
    assert quote.status_code == 200 and quote.get_json()["amounts"]["total"] == 525_000
    assert client.post(f"{API}/orders", json=body, headers=auth).get_json()["error"]["code"] == \
        "missing_idempotency_key"
    first = client.post(f"{API}/orders", json=body, headers={**auth, "Idempotency-Key": "k1"})
    again = client.post(f"{API}/orders", json=body, headers={**auth, "Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.get_json()["order_no"] == again.get_json()["order_no"]
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    code = first.get_json()["hold_code"]
    assert [o["hold_code"] for o in client.get(f"{API}/orders", headers=auth).get_json()["items"]] == [code]
    assert client.get(f"{API}/orders/{first.get_json()['order_no']}", headers=auth).get_json()["hold_code"] == code
    detail = client.get(f"{API}/orders/{code}", headers=auth).get_json()
    assert detail["status"] == "awaiting_payment" and [e["status"] for e in detail["timeline"]] == [
        "active", "awaiting_payment"]


def test_field_errors_name_each_field__HOLD_5(client, numbers, customer):
    auth = _token(client, customer)
    response = client.post(f"{API}/orders", json=hold_form(gender="female", sim_type="esim", payment_method="cod",
                                                          receive_method="email"),
                           headers={**auth, "Idempotency-Key": "k2"})
    error = response.get_json()["error"]
    assert response.status_code == 422 and error["code"] == "invalid_fields"
    assert {k: v["code"] for k, v in error["fields"].items()} == {"gender": "cccd_gender",
                                                                  "payment_method": "esim_online_only"}


def test_another_customers_order_is_404_and_no_token_is_401(client, numbers, customer, make_customer):
    auth = _token(client, customer)
    code = client.post(f"{API}/orders", json=hold_form(), headers={**auth, "Idempotency-Key": "k"}).get_json()[
        "hold_code"]
    other = _token(client, make_customer())
    response = client.get(f"{API}/orders/{code}", headers=other)
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "order_not_found"
    assert client.get(f"{API}/orders").status_code == 401


def test_every_orders_route_is_in_the_app_openapi_document(app, client):
    from portal.appapi.openapi import document

    paths = document()["paths"]
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("orders_app."):
            path = rule.rule.removeprefix(API).replace("<", "{").replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert method.lower() in paths.get(path, {}), (path, method)
