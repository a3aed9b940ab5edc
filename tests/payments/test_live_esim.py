"""The whole eSIM purchase on real processes (HOLD-6, HOLD-12, HOLD-14, E-2.2): the customer signs in on a live
web server, pays at the sandbox bank, the bank's IPN pays the order, and the real worker e-mails the hold code
through the outbox sandbox and marks the order delivered."""
from __future__ import annotations

import re
import time

import pytest
import requests
from sqlalchemy import select

from portal.extensions import db as _db
from portal.gateways.outbox_sandbox import create_sandbox
from portal.gateways.vnpay_sandbox import create_app as create_bank
from portal.orders.models import Order, OrderStatus
from portal.orders.services import format_order_no
from tests.conftest import CUSTOMER_PASSWORD
from tests.payments.conftest import SECRET, TMN, ServerThread

pytestmark = pytest.mark.slow
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


class Later:
    """A WSGI app chosen after the server is bound (the bank needs the portal's URL, and the portal the bank's)."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@pytest.fixture
def outside(monkeypatch, tmp_path):
    """The bank and the mail outbox on their ports, with the live portal's environment pointing at them."""
    bank, outbox = Later(), ServerThread(create_sandbox(tmp_path / "outbox.db"))
    bank_server = ServerThread(bank)
    for name, value in {"VNPAY_TMN_CODE": TMN, "VNPAY_HASH_SECRET": SECRET, "MAIL_URL": outbox.url,
                        "VNPAY_PAY_URL": f"{bank_server.url}/paymentv2/vpcpay.html"}.items():
        monkeypatch.setenv(name, value)
    yield {"bank": bank, "bank_url": bank_server.url, "outbox": outbox.url}
    bank_server.stop()
    outbox.stop()


def test_esim_paid_at_the_bank_is_delivered_by_email(outside, live, make_customer, make_order, tmp_path):
    outside["bank"].app = create_bank(TMN, SECRET, f"{live}/payments/vnpay/ipn", tmp_path / "bank.db")
    customer = make_customer()
    order = make_order("esim", customer=customer)
    browser = requests.Session()
    token = CSRF.search(browser.get(f"{live}/chonso/dang-nhap").text).group(1)
    signed_in = browser.post(f"{live}/chonso/dang-nhap", data={"phone": customer.phone,
                                                               "password": CUSTOMER_PASSWORD, "csrf_token": token})
    assert signed_in.status_code == 200 and "chonso_sid" in browser.cookies
    token = CSRF.search(browser.get(f"{live}/chonso/tai-khoan").text).group(1)
    bank_page = browser.post(f"{live}/chonso/don-hang/{order.order_no}/thanh-toan", data={"csrf_token": token})
    assert bank_page.url.startswith(outside["bank_url"]) and "550.000 VND" in bank_page.text
    action = re.search(r'<form method="post" action="([^"]+)"', bank_page.text).group(1)
    result = browser.post(outside["bank_url"] + action, data={"outcome": "success"})
    assert "Thanh toán thành công" in result.text  # the return page, after the IPN
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        _db.session.commit()
        status = _db.session.scalar(select(Order.status).where(Order.id == order.id))
        if status == OrderStatus.DELIVERED:
            break
        time.sleep(0.3)
    assert status == OrderStatus.DELIVERED, (tmp_path / "worker.log").read_text()[-2000:]
    [mail] = requests.get(f"{outside['outbox']}/outbox.json", params={"to": order.email}, timeout=5).json()["messages"]
    assert order.ticket.hold_code in mail["body"] and format_order_no(order.order_no) in mail["subject"]
