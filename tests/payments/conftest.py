"""Payments fixtures: known VNPay settings, orders awaiting payment, signed IPN parameters, the sandbox bank."""
from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from datetime import date

import pytest
import requests
from werkzeug.serving import make_server

from portal.customers.models import Customer
from portal.gateways import vnpay
from portal.holds.services import hold_numbers
from portal.numbers.services import NewNumber, add_numbers
from portal.orders.models import Gender, IdType, Order, PaymentMethod, ReceiveMethod
from portal.payments.models import Payment
from tests.conftest import writing_now

TMN = "TESTTMN1"
SECRET = "TESTHASHSECRET0123456789ABCDEFGH"
PRICE = 500_000


@pytest.fixture(autouse=True)
def vnpay_settings(app, monkeypatch):
    monkeypatch.setitem(app.config, "VNPAY_TMN_CODE", TMN)
    monkeypatch.setitem(app.config, "VNPAY_HASH_SECRET", SECRET)
    monkeypatch.setitem(app.config, "VNPAY_PAY_URL", "https://sandbox.vnpayment.test/paymentv2/vpcpay.html")
    monkeypatch.setitem(app.config, "VNPAY_RETURN_URL", "")


class Mailbox:
    """Stands in for the mail gateway: keeps what it is given."""

    def __init__(self):
        self.sent: list[dict] = []

    def send(self, to: str, subject: str, text: str, html: str | None = None, key: str | None = None) -> str:
        self.sent.append({"to": to, "subject": subject, "text": text})
        return f"<{len(self.sent)}@test>"


@pytest.fixture
def mailbox(monkeypatch) -> Mailbox:
    box = Mailbox()
    monkeypatch.setattr("portal.notify.outbox.mail_gateway", lambda: box)
    return box


@pytest.fixture
def make_order(db, make_customer) -> Callable:
    """``make_order("esim")`` → a committed order awaiting online payment, its hold live."""
    counter = iter(range(10, 99))

    def make(sim: str = "physical", customer: Customer | None = None, total: int = PRICE + 50_000) -> Order:
        n = next(counter)
        number = f"09031268{n}"
        customer = customer or make_customer()
        with writing_now(db):  # a live worker may be committing (tests with the live stack)
            return _make(n, number, sim, customer, total)

    def _make(n: int, number: str, sim: str, customer: Customer, total: int) -> Order:
        add_numbers([NewNumber(number, price=PRICE, region_id=2)])
        ticket, _ = hold_numbers([number], customer.phone, sim, "web")
        receive = ReceiveMethod.EMAIL if sim == "esim" else ReceiveMethod.DELIVERY
        order = Order(order_no=f"DH2611{n:04d}", ticket_id=ticket.id, customer_id=customer.id, channel="web",
                      region_id=2, sim_type=ticket.sim_type, receive_method=receive,
                      payment_method=PaymentMethod.ONLINE, full_name=customer.full_name, id_type=IdType.CCCD,
                      id_number="079095001234", birth_date=date(1995, 3, 4), gender=Gender.MALE,
                      address="12 Lê Lợi", ward="Phường Bến Nghé", district="Quận 1",
                      province="Thành phố Hồ Chí Minh", email="an@example.vn", contact_phone=customer.phone,
                      number_price=PRICE, sim_fee=50_000 if total > PRICE else 0, total=total)
        db.session.add(order)
        db.session.commit()
        return order

    return make


def ipn_params(payment: Payment, code: str = "00", amount: int | None = None, secret: str = SECRET,
               **override: str) -> dict[str, str]:
    """What VNPay sends for ``payment`` (IPN and return URL alike), signed."""
    params = {
        "vnp_Amount": str((payment.amount if amount is None else amount) * 100),
        "vnp_BankCode": "NCB",
        "vnp_BankTranNo": "VNP14226112" if code == "00" else "",
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": f"Thanh toan don hang {payment.order.order_no}",
        "vnp_PayDate": "20261125223015",
        "vnp_ResponseCode": code,
        "vnp_TmnCode": TMN,
        "vnp_TransactionNo": "14226112" if code == "00" else "0",
        "vnp_TransactionStatus": "00" if code == "00" else "02",
        "vnp_TxnRef": payment.txn_ref,
        **override,
    }
    params["vnp_SecureHash"] = vnpay.sign(params, secret)
    return params


class ServerThread:
    """A WSGI app on a free local port, in a thread (werkzeug's make_server)."""

    def __init__(self, wsgi_app):
        self.server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def bank(app, committed_db, tmp_path, monkeypatch) -> Iterator[dict]:
    """The portal and the sandbox bank, each served over real HTTP; the portal's settings point at the bank."""
    from portal.gateways.vnpay_sandbox import create_app as sandbox_app

    portal = ServerThread(app)
    sandbox = ServerThread(sandbox_app(TMN, SECRET, f"{portal.url}/payments/vnpay/ipn",
                                       tmp_path / "sandbox.db", retry_delays=(0.2, 0.5)))
    monkeypatch.setitem(app.config, "VNPAY_PAY_URL", f"{sandbox.url}/paymentv2/vpcpay.html")
    monkeypatch.setitem(app.config, "VNPAY_API_URL", f"{sandbox.url}/merchant_webapi/api/transaction")
    monkeypatch.setitem(app.config, "VNPAY_RETURN_URL", f"{portal.url}/payments/vnpay/return")
    yield {"portal": portal.url, "bank": sandbox.url}
    sandbox.stop()
    portal.stop()


def pay(order: Order) -> Payment:
    """Pay ``order`` as VNPay's IPN would (no bank): an attempt, then a successful signed IPN; committed."""
    from portal.customers.models import Customer
    from portal.extensions import db
    from portal.payments import services

    services.start_payment(order, db.session.get(Customer, order.customer_id), "127.0.0.1")
    db.session.commit()
    payment = services.last_payment(order)
    assert services.handle_ipn(ipn_params(payment)) == services.CONFIRMED
    db.session.commit()
    return payment


BANK_FORM = re.compile(r'<form method="post" action="([^"]+)"')


def pay_at_bank(bank: dict, order: Order) -> Payment:
    """Pay ``order`` through the sandbox bank (pay page → "success" → IPN to the portal); the paid attempt."""
    from portal.customers.models import Customer
    from portal.extensions import db
    from portal.payments import services

    url = services.start_payment(order, db.session.get(Customer, order.customer_id), "127.0.0.1")
    db.session.commit()
    page = requests.get(url, timeout=10)
    action = BANK_FORM.search(page.text).group(1)
    requests.post(bank["bank"] + action, data={"outcome": "success"}, allow_redirects=False, timeout=20)
    db.session.commit()
    db.session.expire_all()
    payment = services.last_payment(order)
    assert payment.status.value == "paid", payment.status
    return payment


@pytest.fixture
def cancel(make_staff) -> Callable:
    """``cancel(order)``: a shipping clerk of the order's region cancels it (SHIP-3), committed."""
    from portal.core.roles import Role
    from portal.extensions import db
    from portal.orders.lifecycle import cancel as cancel_order

    def do(order: Order, reason: str = "Khách đổi ý") -> None:
        staff = make_staff(Role.SHIPPING, region=order.region_id)
        cancel_order(db.session.get(Order, order.id), staff, reason)
        db.session.commit()

    return do
