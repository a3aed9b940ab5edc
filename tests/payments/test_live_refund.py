"""A refund on real processes (issue 10), everything ``make run`` runs: the customer pays at the sandbox bank, staff
cancel the order, a supervisor presses "Hoàn tiền", and the real worker sends the refund to the sandbox bank once."""
from __future__ import annotations

import re
import time

import pytest
import requests
from sqlalchemy import select

from portal.core.roles import Role
from portal.extensions import db as _db
from portal.payments.models import Refund, RefundStatus
from tests.conftest import CUSTOMER_PASSWORD, live_csrf, live_staff_session

pytestmark = pytest.mark.slow
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def _wait_for(refund_id: int, status: RefundStatus, stack, tmp_path) -> Refund:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        _db.session.commit()
        _db.session.expire_all()
        refund = _db.session.get(Refund, refund_id)
        if refund.status == status:
            return refund
        time.sleep(0.3)
    pytest.fail(f"refund {refund.status}: {(tmp_path / 'worker.log').read_text()[-2000:]}")


def test_a_cancelled_order_is_refunded_once_by_the_worker(make_staff, make_customer, make_order, live_stack,
                                                           tmp_path):
    make_staff(Role.SHIPPING, region=2, username="gv2")
    make_staff(Role.SUPERVISOR, region=2, username="gs2")
    customer = make_customer()
    order = make_order(customer=customer)
    site = requests.Session()
    token = CSRF.search(site.get(f"{live_stack.url}/chonso/dang-nhap").text).group(1)
    site.post(f"{live_stack.url}/chonso/dang-nhap", data={"phone": customer.phone, "password": CUSTOMER_PASSWORD,
                                                          "csrf_token": token})
    token = CSRF.search(site.get(f"{live_stack.url}/chonso/tai-khoan").text).group(1)
    bank_page = site.post(f"{live_stack.url}/chonso/don-hang/{order.order_no}/thanh-toan", data={"csrf_token": token})
    action = re.search(r'<form method="post" action="([^"]+)"', bank_page.text).group(1)
    assert "Thanh toán thành công" in site.post(live_stack.vnpay + action, data={"outcome": "success"}).text

    shipping = live_staff_session(live_stack.url, "gv2")
    detail = f"{live_stack.url}/shipping/orders/{order.id}"
    cancelled = shipping.post(f"{detail}/cancel", data={"reason": "Khách đổi ý", "csrf_token": live_csrf(shipping,
                                                                                                          detail)})
    assert cancelled.status_code == 200
    _db.session.commit()
    refund = _db.session.scalar(select(Refund).where(Refund.order_id == order.id))
    assert refund.status == RefundStatus.DUE

    supervisor = live_staff_session(live_stack.url, "gs2")
    page = f"{live_stack.url}/payments/refunds"
    assert f'data-refund="{refund.id}"' in supervisor.get(page).text
    token = live_csrf(supervisor, page)
    for _ in range(2):  # a double click
        supervisor.post(f"{page}/{refund.id}/send", data={"csrf_token": token})
    refund = _wait_for(refund.id, RefundStatus.DONE, live_stack, tmp_path)
    assert refund.transaction_no and refund.response_code == "00"
    ledger = requests.get(f"{live_stack.vnpay}/sandbox/refunds/{refund.payment.txn_ref}", timeout=5).json()
    assert len(ledger["requests"]) == 1 and ledger["refunded"] == order.total
    assert "Đã hoàn tiền" in supervisor.get(f"{page}?tab=done").text
