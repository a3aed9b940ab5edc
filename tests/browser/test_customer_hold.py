"""In a real browser at phone size (390×844): a customer finds a number, fills the hold form (the eSIM and
store-pickup switches work without a CSP violation), checks the summary and lands on the ticket (HOLD-1..14)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import CUSTOMER_PASSWORD
from tests.orders.conftest import customer, numbers  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = os.environ.get("SCREENSHOTS_DIR")


def _shot(page, tmp_path: Path, name: str) -> None:
    page.screenshot(path=str(Path(SHOTS or tmp_path) / f"{name}.png"), full_page=True)


def test_customer_holds_a_number_with_store_pickup_and_sees_the_ticket(live, browser, numbers, customer,  # noqa: F811
                                                                       tmp_path):
    console: list[str] = []
    page = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN").new_page()
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.goto(f"{live}/chonso/dang-nhap")
    page.fill("#phone", customer.phone)
    page.fill("#password", CUSTOMER_PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live}/chonso/tim-so?mode=dieu-kien&pattern=09*")
    _shot(page, tmp_path, "search")
    page.click("a[href='/chonso/giu-so/0903686868']")
    page.wait_for_selector("#hold-form")

    page.check("input[name=sim_type][value=esim]")
    assert not page.is_visible("input[name=payment_method][value=cod]")  # HOLD-6: eSIM is paid online
    page.check("input[name=sim_type][value=physical]")
    page.check("input[name=receive_method][value=store]")
    page.select_option("#province", "Cần Thơ")
    first_store = page.locator("#store-list .cs-store-option").first.get_attribute("data-province")
    assert first_store == "Cần Thơ"  # HOLD-9: the customer's province first
    page.fill("#full_name", "Nguyễn Văn An")
    page.fill("#id_number", "092090001234")
    page.fill("#birth_date", "1990-05-17")
    page.check("input[name=gender][value=male]")
    page.fill("#ward", "Phường Ninh Kiều")
    page.fill("#address", "51 Đường 30/4")
    page.check("input[name=store_code][value=CH-CT-01]")
    page.check("input[name=payment_method][value=cod]")
    _shot(page, tmp_path, "hold-form")
    page.click("#hold-form button[type=submit]")
    page.wait_for_selector("text=Xác nhận đơn hàng")
    _shot(page, tmp_path, "summary")
    page.click("button:has-text(\"Xác nhận giữ số\")")
    page.wait_for_selector(".cs-code")
    _shot(page, tmp_path, "ticket")
    assert page.is_visible("text=Chờ nhận tại cửa hàng")  # SHIP-6: sent to the store
    assert not [m for m in console if "Content Security Policy" in m], console
