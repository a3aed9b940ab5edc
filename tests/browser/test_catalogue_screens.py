"""In a real browser (1366×768), with the real web server: the admin screens of the catalogues and templates —
packages, offers, rejection reasons, message templates (preview of a Vietnamese SMS: UCS-2), the desk's settings,
partner keys, price tiers and the inventory import — and a stale edit answered with the latest values.
Screenshots: test-artifacts/admin-screens/."""
from __future__ import annotations

from pathlib import Path

import pytest

from portal.core.roles import Role
from tests.conftest import staff_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "admin-screens"


def test_the_admin_screens_at_1366(live, browser, make_staff):
    SHOTS.mkdir(parents=True, exist_ok=True)
    admin = make_staff(Role.ADMIN, region=0)
    console: list[str] = []
    page = staff_page(browser, live, admin.username, console)
    page.wait_for_selector("text=Xin chào")

    def shot(name: str, path: str | None = None) -> None:
        if path:
            page.goto(f"{live}{path}")
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    shot("01-home", "/")
    for card in ("Gói cước", "Lý do từ chối", "Mẫu tin nhắn và e-mail", "Cài đặt gọi video", "Nhập số"):
        assert page.locator(f"text={card}").count() >= 1, card  # every screen is reachable from the home page

    page.goto(f"{live}/promotions/packages/new")
    page.fill("#code", "C90N")
    page.fill("#name", "C90N")
    page.fill("#monthly_price", "90.000")
    page.fill("#allowance", "1,5 GB/ngày; miễn phí gọi nội mạng dưới 20 phút")
    page.click("button:has-text(\"Lưu\")")
    page.wait_for_selector("text=Đã lưu gói cước C90N.")
    shot("02-packages")
    shot("03-offers", "/promotions/")
    page.click("a:has-text(\"TN4G\")")
    shot("04-offer-edit")

    shot("05-reject-reasons", "/admin/reject-reasons/")
    page.click("a:has-text(\"Nghi ngờ giả mạo\")")
    shot("06-reject-reason-edit")

    shot("07-messages", "/admin/messages/")
    page.goto(f"{live}/admin/messages/customers.otp_activate")
    page.fill("#body", "Mã kích hoạt Chọn số Online của bạn là {{ otp }}, có hiệu lực {{ minutes }} phút. "
                       "Không chia sẻ mã này cho bất kỳ ai.")
    page.click("button:has-text(\"Xem trước\")")
    page.wait_for_selector("#sms-length:has-text(\"UCS-2\")")
    assert "Mã kích hoạt Chọn số Online của bạn là 123456" in page.inner_text("#message-preview")
    shot("08-message-preview")
    page.fill("#body", "Mã {{ ma_otp }}")
    page.click("button:has-text(\"Lưu\")")
    page.wait_for_selector("text=Biến không có trong mẫu này")
    shot("09-message-error")
    shot("10-message-email", "/admin/messages/orders.placed")

    shot("11-calls", "/admin/calls/")
    shot("12-calls-hours", "/admin/calls/hours/1")
    shot("13-calls-settings", "/admin/calls/settings/1")
    page.goto(f"{live}/admin/calls/")
    page.select_option("#province", "Hà Nội")
    page.select_option("#region_id", "3")
    page.click("#call-rule-form button[type=submit]")
    page.wait_for_selector("text=Đã thêm quy tắc định tuyến.")
    page.click("#call-rule-form ~ table a:has-text(\"Sửa\")")
    page.wait_for_url("**/admin/calls/rules/*")
    rule_url = page.url
    other = staff_page(browser, live, make_staff(Role.ADMIN, region=0).username, console)
    other.wait_for_selector("text=Xin chào")
    other.goto(rule_url)
    other.fill("#priority", "20")
    other.click("button:has-text(\"Lưu\")")
    other.wait_for_selector("text=Đã lưu quy tắc định tuyến.")
    page.fill("#priority", "30")
    page.click("button:has-text(\"Lưu\")")
    page.wait_for_selector("text=Một người khác vừa sửa mục này trước bạn")
    assert page.input_value("#priority") == "20" and "30" in page.inner_text("#stale-sent")
    shot("14-calls-rule-stale")

    shot("15-partners", "/partners/")
    shot("16-price-tiers", "/numbers/price-tiers")
    shot("17-import", "/numbers/import")
    assert not [m for m in console if "Content Security Policy" in m or "Uncaught" in m], console
