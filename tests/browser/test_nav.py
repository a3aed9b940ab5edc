"""The top bar in Chromium at 1366×768: one line for a head-office supervisor and admin (the oversight screens in
the "Giám sát" drop-down, configuration in the hub), and the drop-down opens and leads to its pages.
Screenshots: SHOTS_DIR, or the test's tmp_path."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from portal.core.roles import Role
from tests.conftest import staff_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ADMIN])
def test_the_bar_stays_on_one_line_and_its_drop_down_leads_to_the_wall(live, browser, make_staff, tmp_path, role):
    shots = Path(os.environ.get("SHOTS_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    staff = make_staff(role, region=0)
    console: list[str] = []
    page = staff_page(browser, live, staff.username, console)
    page.wait_for_selector("text=Xin chào")
    heights = page.eval_on_selector_all(".portal-navbar .nav-link", "links => links.map(a => a.offsetHeight)")
    assert heights and max(heights) == min(heights), heights  # no entry wraps onto a second line
    bar = page.eval_on_selector(".portal-navbar", "n => n.offsetHeight")
    assert bar <= 64, bar
    page.click("nav >> text=Giám sát")
    page.wait_for_selector(".dropdown-menu.show >> text=Màn hình giám sát")
    page.screenshot(path=str(shots / f"nav-{role.value}-1366.png"))
    page.click(".dropdown-menu.show >> text=Nhật ký hệ thống")
    page.wait_for_url("**/audit/**")
    assert page.locator(".nav-link.dropdown-toggle.active").count() == 1
    assert console == []
