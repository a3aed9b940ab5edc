"""Dates and times on the staff pages in an English Chromium, which orders a native date input mm/dd/yyyy and
shows times as 05:00 PM: the portal's fields read and take dd/mm/yyyy and 24-hour times (flatpickr, through
static/js/portal.js, with its Vietnamese calendar on Vietnamese pages), and the forms still send what the server
reads (ISO dates, HH:MM). Screenshots into test-artifacts/dates/ (or SHOTS_DIR)."""
from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.core.roles import Role
from portal.core.time import vietnam_to_utc, vietnam_today
from portal.orders.models import Order
from tests.conftest import staff_page
from tests.shipping.conftest import make_order  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
OPEN = "() => getComputedStyle(document.querySelector('.flatpickr-calendar.open')).opacity === '1'"


def _english(browser, live: str, staff) -> tuple:
    """A page of an en-US Chromium signed in as ``staff``, and its console errors."""
    console: list[str] = []
    page = staff_page(browser, live, staff.username, console, locale="en-US")
    page.wait_for_selector("text=Xin chào")
    return page, console


def _shots() -> Path:
    shots = Path(os.environ.get("SHOTS_DIR", ROOT / "test-artifacts" / "dates"))
    shots.mkdir(parents=True, exist_ok=True)
    return shots


def test_report_dates_read_day_month_year(live, browser, make_staff):
    page, console = _english(browser, live, make_staff(Role.SUPERVISOR, region=1))
    page.goto(f"{live}/reports/funnel?date_from=2026-11-03&date_to=2026-11-25")
    shown = page.locator("#date_from")
    assert shown.get_attribute("type") == "text" and shown.input_value() == "03/11/2026"
    assert page.input_value("#date_to") == "25/11/2026"
    assert page.input_value("input[name=date_from]") == "2026-11-03"  # what the form sends
    page.click("#date_from")
    calendar = page.locator(".flatpickr-calendar.open")
    calendar.wait_for()
    assert "Tháng mười một" in calendar.inner_text() and "T2" in calendar.inner_text()  # Monday first
    year = page.locator(".flatpickr-calendar.open .cur-year")
    header = page.locator(".flatpickr-calendar.open .flatpickr-months").bounding_box()
    at = year.bounding_box()
    assert year.input_value() == "2026"
    assert header["y"] <= at["y"] + at["height"] / 2 <= header["y"] + header["height"]  # beside the long month name
    assert at["x"] + at["width"] <= header["x"] + header["width"]
    page.wait_for_function(OPEN)  # its opening animation over
    page.screenshot(path=str(_shots() / "report-date-picker-1366.png"))
    page.keyboard.press("Escape")
    shown.fill("01/11/2026")
    shown.press("Enter")
    page.click("button:has-text('Xem')")
    page.wait_for_url(re.compile(r"date_from=2026-11-01&date_to=2026-11-25"))
    assert page.input_value("#date_from") == "01/11/2026"
    assert console == []


def test_business_hours_read_24_hours__E_1_5(live, browser, make_staff):
    page, console = _english(browser, live, make_staff(Role.ADMIN, region=0))
    page.goto(f"{live}/admin/calls/hours/1")
    monday = page.locator("input[name=closes_0] + input")  # the visible input flatpickr puts after the field
    assert page.input_value("input[name=opens_0] + input") == "08:00" and monday.input_value() == "17:00"
    monday.fill("17:30")
    monday.press("Enter")
    page.screenshot(path=str(_shots() / "business-hours-1366.png"))
    page.click("button:has-text('Lưu giờ làm việc')")
    page.wait_for_selector(".alert-success")
    page.goto(f"{live}/admin/calls/hours/1")
    assert page.input_value("input[name=closes_0]") == "17:30" and monday.input_value() == "17:30"
    assert console == []


def test_pickup_time_reads_day_month_year_and_24_hours__SHIP_8(live, browser, make_staff, make_order, db):  # noqa: F811
    order = make_order(region=1, payment="online")
    page, console = _english(browser, live, make_staff(Role.SHIPPING, region=1))
    page.goto(f"{live}/shipping/orders/{order.id}")
    tomorrow = vietnam_today() + timedelta(days=1)
    page.fill("#pickup_address", "Kho SIM, 5 Phạm Hùng, Hà Nội")
    when = page.locator("#pickup_at")
    when.fill(f"{tomorrow:%d/%m/%Y} 14:30")
    when.press("Enter")
    assert page.input_value("input[name=pickup_at]") == f"{tomorrow:%Y-%m-%d}T14:30"
    page.screenshot(path=str(_shots() / "pickup-time-1366.png"))
    page.click("button:has-text('Xác nhận đơn')")
    page.wait_for_selector("text=Đã xác nhận đơn")
    assert f"{tomorrow:%d/%m/%Y} 14:30" in page.inner_text("main")  # the order's page, as the portal prints it
    db.session.rollback()  # see what the server committed
    at = db.session.scalar(select(Order.pickup_at).where(Order.id == order.id))
    assert at == vietnam_to_utc(datetime.combine(tomorrow, datetime.min.time()).replace(hour=14, minute=30))
    assert console == []
