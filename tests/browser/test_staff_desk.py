"""In a real browser (Debian's Chromium through Playwright): sign in, see the live connection, be signed out
when an admin disables the account — no CSP violation on the way."""
from __future__ import annotations

import pytest

from portal.core.roles import Role
from tests.conftest import staff_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_agent_signs_in_and_goes_live_then_is_signed_out_when_disabled(live, browser, make_staff, tmp_path):
    agent = make_staff(Role.AGENT, region=2)
    admin = make_staff(Role.ADMIN, region=2)
    console: list[str] = []

    page = staff_page(browser, live, agent.username, console)
    page.wait_for_selector("text=Xin chào")
    page.wait_for_selector("#socket-status[data-state=online]", timeout=15_000)
    page.screenshot(path=str(tmp_path / "agent-home.png"))

    admin_page = staff_page(browser, live, admin.username, console)
    admin_page.goto(f"{live}/admin/staff/{agent.id}")
    admin_page.fill("#reason", "nghỉ việc")
    admin_page.click("button:has-text(\"Khóa tài khoản\")")
    admin_page.wait_for_selector("text=Đã khóa tài khoản.")

    # The server closes the agent's socket; the page reloads onto the sign-in form saying why.
    page.wait_for_selector("text=Tài khoản của bạn đã bị khóa", timeout=15_000)
    assert "/login" in page.url or page.locator("#password").count() == 1
    assert not [m for m in console if "Content Security Policy" in m]


def test_wrong_password_keeps_the_username_and_says_so(live, browser, make_staff):
    staff = make_staff(Role.SHIPPING, region=1)
    console: list[str] = []
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.goto(f"{live}/login")
    page.fill("#username", staff.username)
    page.fill("#password", "sai-mat-khau-roi")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Tên đăng nhập hoặc mật khẩu không đúng.")
    assert page.input_value("#username") == staff.username
    assert not [m for m in console if "Content Security Policy" in m]
