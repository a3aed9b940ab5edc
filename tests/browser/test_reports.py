"""The reports in Chromium at 1366×768 as a regional supervisor: the funnel page draws its chart (Chart.js on the
canvas, pixels painted), the filters and figures fit, no console error; screenshots of the index and each report
into test-artifacts/reports/ (or SHOTS_DIR)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from portal.core.actors import SystemActor
from portal.core.roles import Role
from portal.core.states import transition
from portal.dossiers import lifecycle
from portal.dossiers.models import DossierStatus
from tests.conftest import staff_page, writing_now
from tests.dossiers.conftest import checks_once, delivered_order, lan, media_root, numbers  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
ANY_MOVE = {status: set(DossierStatus) for status in DossierStatus}
PAINTED = """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
  for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; } return n; }"""


def test_a_supervisor_sees_the_funnel_chart_drawn(live, browser, db, make_staff, lan, delivered_order):  # noqa: F811
    shots = Path(os.environ.get("SHOTS_DIR", ROOT / "test-artifacts" / "reports"))
    shots.mkdir(parents=True, exist_ok=True)
    orders = [delivered_order(lan) for _ in range(3)]
    with writing_now(db):
        for n, order in enumerate(orders[:2]):
            dossier = lifecycle.open_dossier(order, lan)
            dossier.id_number = f"00119099{n:04d}"  # made up
            db.session.flush()
            for status in (DossierStatus.READY_FOR_CALL, DossierStatus.VERIFIED, DossierStatus.SUBMITTED)[:n + 2]:
                transition(dossier, status, SystemActor("Kiểm thử"), ANY_MOVE, "Kiểm thử")
        db.session.commit()
    staff = make_staff(Role.SUPERVISOR, region=orders[0].region_id)
    console: list[str] = []
    page = staff_page(browser, live, staff.username, console)
    page.wait_for_selector("text=Xin chào")
    page.goto(f"{live}/reports/")
    page.wait_for_selector("text=Phễu đăng ký theo bước")
    page.screenshot(path=str(shots / "index-1366.png"))
    page.click("text=Phễu đăng ký theo bước")
    page.wait_for_selector("#report-canvas[data-drawn='1']")
    assert page.eval_on_selector("#report-canvas", PAINTED) > 500
    assert page.inner_text(".reports-table tbody tr:first-child").startswith("Giữ số")
    page.screenshot(path=str(shots / "funnel-1366.png"), full_page=True)
    filters = page.eval_on_selector(".reports-filters", "f => f.getBoundingClientRect().height")
    assert filters < 120, filters  # one row of filters at 1366 px
    for slug in ("video-desk", "review-queue", "msale"):
        page.goto(f"{live}/reports/{slug}")
        page.wait_for_selector("#report-canvas[data-drawn='1']")
        page.screenshot(path=str(shots / f"{slug}-1366.png"), full_page=True)
    assert console == []
    page.goto(f"{live}/reports/funnel?date_from=2026-05-10&date_to=2026-05-01")  # answered 400, with the message
    page.wait_for_selector(".invalid-feedback >> text=Ngày kết thúc phải bằng hoặc sau ngày bắt đầu.")
    page.screenshot(path=str(shots / "funnel-bad-range-1366.png"))
