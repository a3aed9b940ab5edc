"""Issue 10's "done when": an order placed on the customer site and paid at the sandbox bank appears on an open
order board and on its store's pickup screen, then moves when the customer cancels it — no reload anywhere.

Everything ``make run`` runs (live_stack): the bank's IPN reaches the web process, whose commit publishes the move
(portal.core.events); shipping's listener emits to both screens through Redis. SHIP-2, SHIP-3, SHIP-6, HOLD-12.
Screenshots: test-artifacts/live-screens/.
"""
from __future__ import annotations

import pytest

from portal.core.roles import Role
from portal.numbers.services import NewNumber, add_numbers
from tests.conftest import CUSTOMER_PASSWORD, ROOT, staff_page, writing_now

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = ROOT / "test-artifacts" / "live-screens"
NUMBER, STORE = "0939112233", "CH-CT-01"  # Cần Thơ → CTKV9


@pytest.fixture
def people(db, make_staff, make_customer):
    """Written before live_stack starts (this fixture is listed first): no race with the worker's first jobs."""
    with writing_now(db):
        add_numbers([NewNumber(NUMBER, region_id=9, price=300_000)])
        db.session.commit()
    return {"shipper": make_staff(Role.SHIPPING, region=9), "clerk": make_staff(Role.CLERK, region=9, store=STORE),
            "customer": make_customer("0903777111", full_name="Lê Văn Bình")}


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _customer_places_and_pays(browser, stack, customer) -> object:
    """HOLD-2..14 on the phone-sized customer site: store pickup, paid online at the sandbox bank."""
    page = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN", is_mobile=True).new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{stack.url}/chonso/dang-nhap")
    page.fill("#phone", customer.phone)
    page.fill("#password", CUSTOMER_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{stack.url}/chonso/tai-khoan")
    page.goto(f"{stack.url}/chonso/giu-so/{NUMBER}")
    page.fill("#id_number", "092090001234")
    page.fill("#birth_date", "1990-05-17")
    page.check("input[name=gender][value=male]")
    page.select_option("#province", "Cần Thơ")
    page.fill("#ward", "Phường Ninh Kiều")
    page.fill("#address", "51 Đường 30/4")
    page.check("input[name=receive_method][value=store]")
    page.check(f"input[name=store_code][value={STORE}]")
    page.check("input[name=payment_method][value=online]")
    page.click("#hold-form button[type=submit]")
    page.wait_for_selector("text=Xác nhận đơn hàng")
    page.locator("main form").first.locator("button[type=submit]").click()
    page.wait_for_selector(".cs-code")
    page.get_by_role("button", name="Thanh toán qua VNPay").first.click()
    page.wait_for_url(f"{stack.vnpay}/**")
    page.get_by_role("button", name="Thanh toán thành công").first.click()
    page.wait_for_url(f"{stack.url}/payments/vnpay/return**")
    return page


def test_a_paid_order_appears_and_moves_on_the_board_and_the_store_screen_live__SHIP_2_3_6(people, live_stack,
                                                                                          browser):
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    console: list[str] = []
    board = staff_page(browser, live_stack.url, people["shipper"].username, console)
    board.goto(f"{live_stack.url}/shipping/?tab=waiting_pickup")
    board.wait_for_selector("#board[data-live=online]", timeout=15_000)
    store = staff_page(browser, live_stack.url, people["clerk"].username, console)
    store.goto(f"{live_stack.url}/shipping/store/")
    store.wait_for_selector("#store-list[data-live=online]", timeout=15_000)
    assert board.inner_text('[data-count="waiting_pickup"]') == "0"
    assert "Không có đơn nào" in store.inner_text("#store-list")
    for page in (board, store):
        page.evaluate("window.__sameDocument = true")

    phone = _customer_places_and_pays(browser, live_stack, people["customer"])
    assert "Thanh toán thành công" in phone.inner_text("#payment-result")

    # The IPN paid the order: it appears, on the board's tab and at its store, with the count in the menu.
    expect(board.locator('[data-count="waiting_pickup"]')).to_have_text("1", timeout=15_000)
    expect(board.locator("#board tbody")).to_contain_text("Lê Văn Bình")
    expect(store.locator("#store-list tbody")).to_contain_text("Lê Văn Bình", timeout=15_000)
    expect(store.locator('[data-nav-count="shipping.store.index"]')).to_have_text("1")
    _shot(board, "1-board-paid")
    _shot(store, "2-store-paid")

    # The customer cancels on the site (SHIP-3): it moves to Đã hủy on the board and leaves the store's list.
    phone.goto(f"{live_stack.url}/chonso/phieu-cua-toi")
    phone.locator("a.cs-ticket-link").first.click()
    phone.once("dialog", lambda dialog: dialog.accept())
    phone.get_by_role("button", name="Hủy đơn hàng").click()
    phone.wait_for_selector("text=Đã hủy đơn hàng")
    expect(board.locator('[data-count="cancelled"]')).to_have_text("1", timeout=15_000)
    expect(board.locator('[data-count="waiting_pickup"]')).to_have_text("0")
    expect(store.locator("#store-list")).to_contain_text("Không có đơn nào", timeout=15_000)
    expect(store.locator('[data-nav-count="shipping.store.index"]')).to_be_hidden()
    _shot(board, "3-board-cancelled")
    _shot(store, "4-store-cancelled")
    for page in (board, store):
        assert page.evaluate("window.__sameDocument") is True  # never reloaded
    assert not [m for m in console if "Content Security Policy" in m], console
