"""In a real browser at phone size: the sandbox bank's page, the choice, and the return page (HOLD-12, HOLD-14)."""
from __future__ import annotations

import pytest

from portal.extensions import db as _db
from portal.payments import services
from tests.browser.test_staff_desk import browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_customer_pays_at_the_sandbox_bank_and_sees_the_result(bank, browser, make_order, tmp_path):  # noqa: F811
    from portal.customers.models import Customer

    order = make_order("esim")
    url = services.start_payment(order, _db.session.get(Customer, order.customer_id), "127.0.0.1")
    _db.session.commit()
    console: list[str] = []
    page = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN").new_page()
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.goto(url)
    page.wait_for_selector("text=550.000 VND")
    page.screenshot(path=str(tmp_path / "bank.png"))
    page.click("button:has-text(\"Thanh toán thành công\")")
    page.wait_for_selector("#payment-result")
    assert "Thanh toán thành công" in page.inner_text("#payment-result")
    assert page.inner_text("#order-status") == "Chờ xử lý"
    page.screenshot(path=str(tmp_path / "return.png"))
    assert not [m for m in console if "Content Security Policy" in m]
