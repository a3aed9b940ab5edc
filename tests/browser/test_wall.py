"""Issue 14, item 2: the supervisors' live wall in Chromium on the real web server and worker (``live``).

Head office's wall and CTKV1's are open; a customer asks for a video call over HTTP (the web process commits it,
its listener flags the rooms, its pusher sends the snapshot) and a dossier is submitted by this test's own process
(flagged through Redis, found by the web process's pusher): both walls' figures change without a reload. The ages
tick between pushes; a dropped socket says "Mất kết nối — đang kết nối lại…" and comes back. Screenshots at
1366×768 and 1920×1080: /work/notes/shots/wall-*.png.
"""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import delete

from portal.calls.models import CallStatus
from portal.connections.models import SubmissionStatus
from portal.core import redis as portal_redis
from portal.core.models import OutboxJob
from portal.core.roles import Role
from portal.dossiers.models import DossierStatus
from tests.conftest import CUSTOMER_PASSWORD, csrf_from, live_csrf, staff_page, writing_now
from tests.wall import conftest as wall

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = Path("/work/notes/shots")
SUBMITTED = DossierStatus.SUBMITTED

# The wall's factories (tests/wall/conftest.py) and what they stand on.
numbers, lan, media_root, delivered_order = wall.numbers, wall.lan, wall.media_root, wall.delivered_order
dossier_at, call_at, agent_in, at_msale = wall.dossier_at, wall.call_at, wall.agent_in, wall.at_msale


@pytest.fixture
def busy_wall(db, dossier_at, call_at, agent_in, at_msale, make_staff):
    """Written before ``live`` starts (listed first): a morning's work in three regions, late here and there; and
    the customer's dossier waiting for its video call."""
    for waited in (timedelta(minutes=4), timedelta(minutes=1), timedelta(seconds=20)):
        call_at(1, waited=waited)
    for state in ("available", "available", "on_call", "wrap_up", "away"):
        agent_in(1, state)
    for waited in (48, 25, 12, 3):
        dossier_at(1, SUBMITTED, timedelta(minutes=waited))
    at_msale(1, SubmissionStatus.ACCEPTED, timedelta(minutes=52))
    at_msale(1, SubmissionStatus.FAILED, timedelta(minutes=6))
    call_at(2, CallStatus.RINGING, waited=timedelta(seconds=40))
    agent_in(2, "available")
    agent_in(2, "on_call")
    for waited in (15, 2):
        dossier_at(2, SUBMITTED, timedelta(minutes=waited))
    dossier_at(3, SUBMITTED, timedelta(minutes=35))
    agent_in(9, "away")
    ready = dossier_at(1, DossierStatus.READY_FOR_CALL)
    with writing_now(db):  # the pushes and invoices these moves queued are not this test's: nothing for the worker
        db.session.execute(delete(OutboxJob))
        db.session.commit()
    portal_redis.connection().flushdb()
    return {"ready": ready, "head_office": make_staff(Role.SUPERVISOR, 0), "hanoi": make_staff(Role.SUPERVISOR, 1)}


def _figure(page, path: str) -> str:
    return page.inner_text(f'.wall-tiles [data-f="{path}"]')


def _shot(page, name: str, size: tuple[int, int]) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / f"wall-{name}-{size[0]}x{size[1]}.png"))
    # Nothing scrolls: the page is exactly the screen.
    assert page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]") == \
        list(size), name


def _customer_asks_for_a_call(base: str, customer, hold_code: str) -> None:
    """E-1.5 over HTTP, as the customer's page does it: sign in, then "Gọi video"."""
    web = requests.Session()
    signed_in = web.post(f"{base}/chonso/dang-nhap", data={
        "phone": customer.phone, "password": CUSTOMER_PASSWORD,
        "csrf_token": live_csrf(web, f"{base}/chonso/dang-nhap")}, allow_redirects=False)
    assert signed_in.status_code == 302
    url = f"{base}/chonso/hoa-mang/{hold_code}/goi-video"
    answer = web.post(url, data={"csrf_token": csrf_from(web.get(url).text)}, headers={"Accept": "application/json"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] in ("queued", "ringing")


def test_the_wall_follows_a_call_and_a_submission_without_a_reload(busy_wall, live, browser, db, dossier_at, lan):
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    console: list[str] = []
    walls = {}
    for name in ("head_office", "hanoi"):
        page = staff_page(browser, live, busy_wall[name].username, console)
        page.on("pageerror", lambda error: console.append(f"Uncaught {error}"))
        page.goto(f"{live}/wall/")
        page.wait_for_selector("#wall[data-live=online]", timeout=15_000)
        page.evaluate("window.__sameDocument = true")
        walls[name] = page
    hq, hanoi = walls["head_office"], walls["hanoi"]

    assert "Toàn quốc" in hq.inner_text(".wall-title") and "CTKV1 · Hà Nội" in hanoi.inner_text(".wall-title")
    assert (_figure(hq, "calls.waiting"), _figure(hanoi, "calls.waiting")) == ("4", "3")
    assert (_figure(hq, "review.waiting"), _figure(hanoi, "review.waiting")) == ("7", "4")
    assert _figure(hanoi, "agents.available") == "2" and _figure(hanoi, "agents.on_call") == "1"
    assert hanoi.get_attribute("#tile-calls", "data-level") == "bad"  # 4 minutes against a 2-minute target
    assert hq.inner_text('#wall-regions tr[data-region="2"] [data-f="review.waiting"]') == "2"
    # The oldest call's age ticks on the page between pushes: 4:xx (made 4 minutes old), a second later more.
    before = hanoi.inner_text('.wall-tiles [data-age="calls.oldest"]')
    assert re.fullmatch(r"[45]:[0-5]\d", before), before
    hanoi.wait_for_timeout(1_600)
    assert hanoi.inner_text('.wall-tiles [data-age="calls.oldest"]') != before, console
    for size in ((1366, 768), (1920, 1080)):
        _shot(hq, "head-office", size)
        _shot(hanoi, "ctkv1", size)
    hq.set_viewport_size({"width": 1366, "height": 768})
    hanoi.set_viewport_size({"width": 1366, "height": 768})

    # A call requested on the live web process: both walls count it.
    _customer_asks_for_a_call(live, lan, busy_wall["ready"].ticket.hold_code)
    expect(hanoi.locator('.wall-tiles [data-f="calls.waiting"]')).to_have_text("4", timeout=10_000)
    expect(hq.locator('.wall-tiles [data-f="calls.waiting"]')).to_have_text("5", timeout=10_000)
    expect(hq.locator('#wall-regions tr[data-region="1"] [data-f="calls.waiting"]')).to_have_text("4")

    # A dossier submitted by another process (this one): flagged through Redis, pushed by the web's pusher.
    dossier_at(1, SUBMITTED)
    expect(hanoi.locator('.wall-tiles [data-f="review.waiting"]')).to_have_text("5", timeout=10_000)
    expect(hq.locator('.wall-tiles [data-f="review.waiting"]')).to_have_text("8", timeout=10_000)

    # The socket drops: the wall says so over the last figures, then comes back by itself.
    hanoi.evaluate("window.portal.connect('/wall').disconnect()")
    expect(hanoi.locator("#wall-offline")).to_be_visible()
    expect(hanoi.locator("#wall-offline")).to_contain_text("Mất kết nối — đang kết nối lại…")
    assert hanoi.get_attribute("#wall", "data-live") == "offline"
    for size in ((1366, 768), (1920, 1080)):
        _shot(hanoi, "ctkv1-offline", size)
    hanoi.evaluate("window.portal.connect('/wall').connect()")
    expect(hanoi.locator("#wall[data-live=online]")).to_be_attached(timeout=10_000)
    expect(hanoi.locator("#wall-offline")).to_be_hidden()

    for page in (hq, hanoi):
        assert page.evaluate("window.__sameDocument") is True  # never reloaded
        assert re.fullmatch(r"\d\d:\d\d:\d\d", page.inner_text("#wall-updated"))
    assert not [m for m in console if "Content Security Policy" in m or "Uncaught" in m], console
