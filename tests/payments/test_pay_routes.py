"""Starting a payment as a customer: the site's button (HOLD-12) and the app API; only one's own order."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import select

from portal.appapi.tokens import issue_token
from portal.orders.models import OrderStatus
from portal.payments.models import Payment, PaymentStatus
from tests.conftest import csrf_from
from tests.payments.conftest import ipn_params

IPN = "/payments/vnpay/ipn"


def _pay(client, order):
    token = csrf_from(client.get("/chonso/tai-khoan").get_data(as_text=True))
    return client.post(f"/chonso/don-hang/{order.order_no}/thanh-toan", data={"csrf_token": token})


def test_the_pay_button_sends_the_customer_to_the_bank__HOLD_12(client, login_customer, make_order, app, db):
    customer = login_customer()
    order = make_order(customer=customer)
    answer = _pay(client, order)
    assert answer.status_code == 303
    location = answer.headers["Location"]
    assert location.startswith(app.config["VNPAY_PAY_URL"] + "?")
    params = dict(parse_qsl(urlsplit(location).query))
    payment = db.session.scalar(select(Payment).where(Payment.txn_ref == params["vnp_TxnRef"]))
    assert payment.order_id == order.id and payment.status == PaymentStatus.PENDING
    assert params["vnp_IpAddr"] == "127.0.0.1"


def test_another_customers_order_is_404(client, login_customer, make_order, make_customer, db):
    login_customer()
    order = make_order(customer=make_customer())
    assert _pay(client, order).status_code == 404
    assert db.session.scalar(select(Payment)) is None


def test_anonymous_visitors_are_sent_to_sign_in(client, make_order):
    order = make_order()
    answer = client.post(f"/chonso/don-hang/{order.order_no}/thanh-toan")
    assert answer.status_code in (302, 303) and "/chonso/dang-nhap" in answer.headers["Location"]


def test_the_button_needs_a_csrf_token(client, login_customer, make_order):
    order = make_order(customer=login_customer())
    assert client.post(f"/chonso/don-hang/{order.order_no}/thanh-toan").status_code == 400


def test_a_paid_order_cannot_be_paid_again(client, login_customer, make_order, db):
    order = make_order(customer=login_customer())
    params = dict(parse_qsl(urlsplit(_pay(client, order).headers["Location"]).query))
    payment = db.session.scalar(select(Payment).where(Payment.txn_ref == params["vnp_TxnRef"]))
    assert client.get(IPN, query_string=ipn_params(payment)).get_json()["RspCode"] == "00"
    answer = _pay(client, order)
    assert answer.status_code == 409 and "không còn chờ thanh toán" in answer.get_data(as_text=True)


def _bearer(db, customer) -> dict[str, str]:
    _row, token = issue_token(customer, "test")
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_app_api_starts_a_payment_and_lists_attempts(client, make_order, make_customer, db):
    customer = make_customer()
    order = make_order(customer=customer)
    headers = _bearer(db, customer)
    answer = client.post(f"/api/app/v1/orders/{order.order_no}/payments", headers=headers)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["pay_url"].startswith("https://") and body["payment"]["status"] == "pending"
    assert body["payment"]["amount"] == order.total
    listed = client.get(f"/api/app/v1/orders/{order.order_no}/payments", headers=headers).get_json()
    assert listed["order_status"] == OrderStatus.AWAITING_PAYMENT.value and listed["can_pay"] is True
    assert [p["txn_ref"] for p in listed["payments"]] == [body["payment"]["txn_ref"]]


def test_app_api_refuses_other_customers_and_no_token(client, make_order, make_customer, db):
    order = make_order(customer=make_customer())
    stranger = _bearer(db, make_customer())
    answer = client.post(f"/api/app/v1/orders/{order.order_no}/payments", headers=stranger)
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "order_not_found"
    assert client.post(f"/api/app/v1/orders/{order.order_no}/payments").status_code == 401


def test_pages_let_the_pay_form_redirect_to_the_bank_only(client, app):
    csp = client.get("/chonso/dang-nhap").headers["Content-Security-Policy"]
    assert "form-action 'self' https://sandbox.vnpayment.test;" in csp  # the configured bank's origin, no other
