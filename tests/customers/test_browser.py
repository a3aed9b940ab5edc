"""In a real browser at phone size (390×844): register with the OTP read from the sandbox's outbox page, sign out,
sign in again — no CSP violation on the way. Screenshots go to test-artifacts/customers/."""
from __future__ import annotations

import re

import pytest

from tests.conftest import CUSTOMER_PASSWORD, ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = ROOT / "test-artifacts" / "customers"
PHONE = "0903111222"


def _phone_page(browser, console):  # noqa: F811
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN", device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    return page


def test_register_activate_sign_out_and_sign_in_on_a_phone__AUTH_3_AUTH_18(outbox, live, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    console: list[str] = []
    page = _phone_page(browser, console)

    page.goto(f"{live}/chonso/dang-ky")
    page.fill("#phone", "0903 111 222")
    page.fill("#full_name", "Lê Văn Bình")
    page.fill("#password", "ngan1")
    page.fill("#password_again", "ngan1")
    page.click("button[type=submit]")
    page.wait_for_selector("#password-error")
    assert page.input_value("#phone") == "0903 111 222" and page.input_value("#full_name") == "Lê Văn Bình"
    page.screenshot(path=str(SHOTS / "register-errors.png"), full_page=True)

    page.fill("#password", CUSTOMER_PASSWORD)
    page.fill("#password_again", CUSTOMER_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Kích hoạt tài khoản")
    page.screenshot(path=str(SHOTS / "activate.png"), full_page=True)

    inbox = _phone_page(browser, [])
    inbox.goto(f"{outbox.url}/outbox?to={PHONE}")
    text = inbox.inner_text("article.msg .body")
    inbox.screenshot(path=str(SHOTS / "outbox.png"), full_page=True)
    code = re.search(r"\b(\d{6})\b", text).group(1)

    page.fill("#otp", code)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Tài khoản đã được kích hoạt")
    assert "Lê Văn Bình" in page.inner_text("main")
    page.screenshot(path=str(SHOTS / "account.png"), full_page=True)

    page.click("header button:has-text('Đăng xuất')")
    page.wait_for_selector("text=Bạn đã đăng xuất.")
    page.screenshot(path=str(SHOTS / "signed-out.png"), full_page=True)

    page.fill("#phone", PHONE)
    page.fill("#password", CUSTOMER_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live}/chonso/tai-khoan")
    assert "0903 111 222" in page.inner_text("main")
    assert not [m for m in console if "Content Security Policy" in m], console


def test_forgot_password_screens_on_a_phone__PWD_2_PWD_8(outbox, live, browser, make_customer):
    """AUTH-14: does not remember the password, goes to Forgot password."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    customer = make_customer(PHONE)
    console: list[str] = []
    page = _phone_page(browser, console)
    page.goto(f"{live}/chonso/dang-nhap")
    page.screenshot(path=str(SHOTS / "sign-in.png"), full_page=True)
    page.click("text=Quên mật khẩu?")
    page.fill("#phone", customer.phone)
    page.click("button[type=submit]")
    page.wait_for_selector("#otp")
    page.fill("#otp", outbox.last_otp(customer.phone))
    page.click("button[type=submit]")
    page.wait_for_selector("text=Đặt mật khẩu mới")
    page.fill("#password", "mat-khau-moi-2026")
    page.fill("#password_again", "mat-khau-moi-2027")
    page.click("button[type=submit]")
    page.wait_for_selector("#password_again-error")
    page.screenshot(path=str(SHOTS / "new-password-error.png"), full_page=True)
    page.fill("#password", "mat-khau-moi-2026")
    page.fill("#password_again", "mat-khau-moi-2026")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Mật khẩu đã được đổi")
    assert not [m for m in console if "Content Security Policy" in m], console
