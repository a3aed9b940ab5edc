"""64-bit prices end to end: a ngũ quý at 5,000,000,000 VND is found, held, ordered and paid through the bank."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import select

from portal.extensions import db as _db
from portal.gateways import vnpay
from portal.holds.models import HoldLine, HoldTicket
from portal.numbers.models import PhoneNumber
from portal.numbers.services import NewNumber, add_numbers, set_price_tier
from portal.orders.models import Order, OrderStatus
from tests.conftest import CUSTOMER_PASSWORD, writing_now
from tests.orders.conftest import hold_form
from tests.payments.test_sandbox_bank import _choose, _pay_url, _state

API = "/api/app/v1"
FIVE_BILLION = 5_000_000_000  # past 2^31 - 1 = 2,147,483,647


def test_a_five_billion_number_is_found_held_ordered_and_paid__HOLD_1_HOLD_3_HOLD_14(bank, client, db, make_customer):
    with writing_now(db):
        add_numbers([NewNumber("0909999999", price=FIVE_BILLION, region_id=2), NewNumber("0903686868", region_id=2)])
        db.session.commit()
    customer = make_customer("0912345678", full_name="Nguyễn Văn An")
    found = client.get(f"{API}/numbers", query_string={"min_price": 3_000_000_000}).get_json()
    assert [(n["number"], n["price"]) for n in found["items"]] == [("0909999999", FIVE_BILLION)]
    assert client.get(f"{API}/numbers", query_string={"sort": "price_desc"}).get_json()["items"][0]["price"] == \
        FIVE_BILLION
    page = client.get("/chonso/tim-so", query_string={"ends_with": "9999999"}).get_data(as_text=True)
    assert "5.000.000.000" in page

    token = client.post(f"{API}/token", json={"phone": customer.phone, "password": CUSTOMER_PASSWORD}).get_json()
    auth = {"Authorization": f"Bearer {token['token']}", "Idempotency-Key": "five-billion"}
    body = hold_form(number="0909999999", sim_type="esim", receive_method="email", payment_method="online")
    placed = client.post(f"{API}/orders", json=body, headers=auth)
    assert placed.status_code == 201, placed.get_json()
    order = db.session.scalar(select(Order).where(Order.order_no == placed.get_json()["order_no"]))
    assert order.number_price == FIVE_BILLION and order.total == FIVE_BILLION + order.sim_fee
    ticket = db.session.get(HoldTicket, order.ticket_id)
    assert ticket.amount == FIVE_BILLION
    assert db.session.scalar(select(HoldLine.price).where(HoldLine.ticket_id == ticket.id)) == FIVE_BILLION

    pay_url = _pay_url(order)
    amount = dict(parse_qsl(urlsplit(pay_url).query))["vnp_Amount"]
    assert amount == str(order.total * 100) and len(amount) <= 12  # VNPay's Numeric[1,12]
    _choose(bank, pay_url, "success")
    assert _state(order)[0] == OrderStatus.PENDING  # paid: the eSIM now waits for its e-mail


def test_a_price_tier_and_a_custom_price_past_two_billion_are_kept(db):
    add_numbers([NewNumber("0908888888"), NewNumber("0907777777", price=3_500_000_000)])
    set_price_tier("ngu_quy", 2_600_000_000, None)
    db.session.commit()
    _db.session.expire_all()
    prices = dict(db.session.execute(select(PhoneNumber.number, PhoneNumber.price)).all())
    assert prices == {"0908888888": 2_600_000_000, "0907777777": 3_500_000_000}


def test_an_amount_past_vnpays_twelve_digits_is_refused_before_the_bank():
    gateway = vnpay.VnpayGateway("TMN", "SECRET", "https://bank.test/pay")
    request = vnpay.PayRequest("t1", vnpay.MAX_AMOUNT + 1, "x", "127.0.0.1", "https://portal.test/return",
                               vnpay.datetime(2026, 1, 1), vnpay.datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        gateway.pay_url(request)
