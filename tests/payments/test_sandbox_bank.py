"""The sandbox bank end to end over HTTP: pay page → bank page → IPN to the portal → return URL (HOLD-12, HOLD-14)."""
from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from sqlalchemy import select

from portal.core.time import utcnow
from portal.extensions import db as _db
from portal.gateways import vnpay
from portal.orders.models import Order, OrderStatus
from portal.payments import services
from portal.payments.models import Payment, PaymentStatus
from tests.payments.conftest import SECRET, TMN

ACTION = re.compile(r'<form method="post" action="([^"]+)"')


def _pay_url(order) -> str:
    from portal.customers.models import Customer

    url = services.start_payment(order, _db.session.get(Customer, order.customer_id), "127.0.0.1")
    _db.session.commit()
    return url


def _choose(bank: dict, pay_url: str, outcome: str) -> requests.Response:
    page = requests.get(pay_url, timeout=10)
    assert page.status_code == 200, page.text[:300]
    action = ACTION.search(page.text).group(1)
    return requests.post(bank["bank"] + action, data={"outcome": outcome}, allow_redirects=False, timeout=20)


def _state(order) -> tuple[OrderStatus, PaymentStatus]:
    _db.session.commit()
    _db.session.expire_all()
    payment = _db.session.scalar(select(Payment).where(Payment.order_id == order.id).order_by(Payment.id.desc()))
    return _db.session.get(Order, order.id).status, payment.status


def test_pay_through_the_sandbox_bank__HOLD_14(bank, make_order):
    order = make_order()
    pay_url = _pay_url(order)
    assert pay_url.startswith(bank["bank"] + "/paymentv2/vpcpay.html?")
    page = requests.get(pay_url, timeout=10)
    assert "550.000 VND" in page.text and "Thanh toán thành công" in page.text and "Không đủ số dư" in page.text
    back = _choose(bank, pay_url, "success")
    assert back.status_code == 302 and back.headers["Location"].startswith(bank["portal"] + "/payments/vnpay/return?")
    returned = dict(parse_qsl(urlsplit(back.headers["Location"]).query, keep_blank_values=True))
    assert vnpay.verify(returned, SECRET) and returned["vnp_ResponseCode"] == "00"
    assert _state(order) == (OrderStatus.PENDING, PaymentStatus.PAID)  # the IPN came before the browser
    shown = requests.get(back.headers["Location"], timeout=10).text
    assert "Thanh toán thành công" in shown
    ledger = requests.get(f"{bank['bank']}/sandbox/transactions/{returned['vnp_TxnRef']}", timeout=5).json()
    assert ledger["ipn_attempts"] == 1 and ledger["ipn_answer"] == "00"


@pytest.mark.parametrize(("outcome", "code", "status"), [("cancel", "24", PaymentStatus.CANCELLED),
                                                         ("insufficient", "51", PaymentStatus.FAILED),
                                                         ("timeout", "11", PaymentStatus.EXPIRED)])
def test_unsuccessful_outcomes_leave_the_order_awaiting_payment_and_allow_a_retry(bank, make_order, outcome, code,
                                                                                  status):
    order = make_order()
    back = _choose(bank, _pay_url(order), outcome)
    assert dict(parse_qsl(urlsplit(back.headers["Location"]).query))["vnp_ResponseCode"] == code
    assert _state(order) == (OrderStatus.AWAITING_PAYMENT, status)
    assert "Thanh toán qua VNPay" in requests.get(back.headers["Location"], timeout=10).text  # retry button
    _choose(bank, _pay_url(order), "success")
    assert _state(order) == (OrderStatus.PENDING, PaymentStatus.PAID)


def test_the_bank_retries_the_ipn_until_the_merchant_confirms(bank, make_order, app, monkeypatch):
    order = make_order()
    pay_url = _pay_url(order)
    page = requests.get(pay_url, timeout=10)
    monkeypatch.setitem(app.config, "VNPAY_HASH_SECRET", "rotated-too-early")  # the portal answers 97 for now
    back = requests.post(bank["bank"] + ACTION.search(page.text).group(1), data={"outcome": "success"},
                         allow_redirects=False, timeout=20)
    assert _state(order) == (OrderStatus.AWAITING_PAYMENT, PaymentStatus.PENDING)
    monkeypatch.setitem(app.config, "VNPAY_HASH_SECRET", SECRET)
    txn_ref = dict(parse_qsl(urlsplit(back.headers["Location"]).query))["vnp_TxnRef"]
    deadline = time.monotonic() + 30  # the bank retries on its own timer: generous on a loaded machine
    while _state(order)[0] != OrderStatus.PENDING and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _state(order) == (OrderStatus.PENDING, PaymentStatus.PAID)
    ledger = requests.get(f"{bank['bank']}/sandbox/transactions/{txn_ref}", timeout=5).json()
    assert ledger["ipn_attempts"] >= 2 and ledger["ipn_answer"] == "00"


def _signed_pay_url(bank: dict, secret: str = SECRET, **override) -> str:
    params = {"vnp_Version": "2.1.0", "vnp_Command": "pay", "vnp_TmnCode": TMN, "vnp_Amount": "1000000",
              "vnp_CurrCode": "VND", "vnp_TxnRef": "T-1", "vnp_OrderInfo": "Thu", "vnp_OrderType": "other",
              "vnp_Locale": "vn", "vnp_ReturnUrl": "http://x.test/r", "vnp_IpAddr": "127.0.0.1",
              "vnp_CreateDate": vnpay.vn_time(utcnow()),
              "vnp_ExpireDate": vnpay.vn_time(utcnow() + timedelta(minutes=5))}
    params.update(override)
    return f"{bank['bank']}/paymentv2/vpcpay.html?{vnpay.signed_query(params, secret)}"


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"secret": "wrong"}, "70"),
    ({"vnp_TmnCode": "OTHER001"}, "72"),
    ({"vnp_Amount": "1000050"}, "03"),
    ({"vnp_Version": "2.0.0"}, "03"),
    ({"vnp_ExpireDate": vnpay.vn_time(datetime(2020, 1, 1))}, "15"),
])
def test_the_bank_refuses_bad_pay_requests_like_vnpay(bank, kwargs, code):
    answer = requests.get(_signed_pay_url(bank, **kwargs), timeout=10)
    assert answer.status_code == 400 and f"Mã lỗi: {code}" in answer.text


def test_the_bank_refuses_a_tampered_amount(bank):
    url = _signed_pay_url(bank).replace("vnp_Amount=1000000", "vnp_Amount=100")
    assert "Mã lỗi: 70" in requests.get(url, timeout=10).text


def test_querydr_reports_the_transaction(bank, make_order):
    order = make_order()
    back = _choose(bank, _pay_url(order), "success")
    txn_ref = dict(parse_qsl(urlsplit(back.headers["Location"]).query))["vnp_TxnRef"]
    answer = vnpay.query_transaction(f"{bank['bank']}/merchant_webapi/api/transaction", TMN, SECRET, txn_ref,
                                     utcnow(), "127.0.0.1")
    assert answer["vnp_ResponseCode"] == "00" and answer["vnp_TransactionStatus"] == "00"
    assert answer["vnp_Amount"] == str(order.total * 100)
    unknown = vnpay.query_transaction(f"{bank['bank']}/merchant_webapi/api/transaction", TMN, SECRET, "NOPE",
                                      utcnow(), "127.0.0.1")
    assert unknown["vnp_ResponseCode"] == "91"
    assert vnpay.query_transaction(f"{bank['bank']}/merchant_webapi/api/transaction", TMN, "wrong", txn_ref,
                                   utcnow(), "127.0.0.1") is None  # the bank answers 97 signed with its secret
