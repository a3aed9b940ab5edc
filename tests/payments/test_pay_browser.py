"""In a real browser at phone size: the bank says no, the customer retries from the return page, then pays
(HOLD-12, HOLD-14) — screenshots of the bank page and both return pages."""
from __future__ import annotations

import pytest

from portal.core.sqlite import writing
from portal.extensions import db as _db
from portal.payments import services
from tests.conftest import CUSTOMER_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_customer_cancels_at_the_bank_retries_and_pays(bank, browser, make_customer, make_order,
                                                       tmp_path):
    customer = make_customer()
    order = make_order("esim", customer=customer)
    console: list[str] = []
    page = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN").new_page()
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.goto(f"{bank['portal']}/chonso/dang-nhap")
    page.fill("input[name=phone]", customer.phone)
    page.fill("input[name=password]", CUSTOMER_PASSWORD)
    page.click("form[method=post] button[type=submit]")
    page.wait_for_load_state()

    _db.session.rollback()  # a fresh transaction that takes SQLite's write lock up front (the sign-in wrote)
    with writing():
        url = services.start_payment(order, customer, "127.0.0.1")
        _db.session.commit()
    page.goto(url)
    page.wait_for_selector("text=550.000 VND")
    page.screenshot(path=str(tmp_path / "bank.png"))
    page.click("button:has-text(\"Hủy giao dịch\")")
    page.wait_for_selector("#payment-result")
    assert "Đã hủy thanh toán" in page.inner_text("#payment-result")
    page.screenshot(path=str(tmp_path / "cancelled.png"))

    page.click("button:has-text(\"Thanh toán qua VNPay\")")  # retry, from the return page
    page.wait_for_selector("text=550.000 VND")
    page.click("button:has-text(\"Thanh toán thành công\")")
    page.wait_for_selector("#payment-result")
    assert "Thanh toán thành công" in page.inner_text("#payment-result")
    assert page.inner_text("#order-status") == "Chờ xử lý"
    page.screenshot(path=str(tmp_path / "paid.png"))
    assert not [m for m in console if "Content Security Policy" in m]
