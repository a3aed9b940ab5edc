"""The reports' framework: who may open them, region scoping (another region is a 404 for page and exports),
date ranges (default 30 days, reversed and too long refused with a field error), bad filter values, and the
exports: CSV with a BOM and Vietnamese intact, XLSX a workbook with the rows, both streamed; each export audited."""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.core.time import vietnam_today
from portal.reports.base import REPORTS
from portal.reports.cells import nearest_rank
from portal.reports.export import BOM, csv_chunks

SLUGS = sorted(REPORTS)


@pytest.mark.parametrize("slug", SLUGS)
def test_supervisor_opens_each_report_with_default_range(client, login, slug):
    login(Role.SUPERVISOR, region=1)
    page = client.get(f"/reports/{slug}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    today = vietnam_today()
    assert f'value="{today.isoformat()}"' in html
    assert f'value="{(today - timedelta(days=29)).isoformat()}"' in html
    assert 'id="report-canvas"' in html and "data-chart='{" in html and "chart.umd.min.js" in html


def test_index_lists_reports_and_agents_are_refused(app, client, login):
    login(Role.SUPERVISOR, region=2)
    html = client.get("/reports/").get_data(as_text=True)
    for slug in SLUGS:
        assert f"/reports/{slug}" in html
    agent = app.test_client()
    login(Role.AGENT, region=2, on=agent)
    assert agent.get("/reports/").status_code == 403
    assert agent.get(f"/reports/{SLUGS[0]}.csv").status_code == 403


@pytest.mark.parametrize("suffix", ["", ".csv", ".xlsx"])
def test_another_regions_report_is_404(client, login, suffix, db):
    login(Role.SUPERVISOR, region=1)
    assert client.get(f"/reports/{SLUGS[0]}{suffix}?region=2").status_code == 404
    own = client.get(f"/reports/{SLUGS[0]}{suffix}?region=1")
    assert own.status_code == 200 and own.get_data()
    denied = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "access.denied_region")).all()
    assert denied


def test_unknown_report_is_404(client, login):
    login(Role.SUPERVISOR, region=0)
    assert client.get("/reports/nope").status_code == 404
    assert client.get("/reports/nope.csv").status_code == 404


@pytest.mark.parametrize("args, message", [
    ("date_from=2026-05-10&date_to=2026-05-01", "Ngày kết thúc phải bằng hoặc sau ngày bắt đầu."),
    ("date_from=2020-01-01&date_to=2026-05-01", "Khoảng ngày dài nhất là 366 ngày"),
    ("date_from=hôm-qua", "Not a valid date value"),
])
def test_bad_ranges_are_field_errors(client, login, args, message):
    login(Role.SUPERVISOR, region=0)
    for suffix in ("", ".csv"):
        response = client.get(f"/reports/{SLUGS[0]}{suffix}?{args}")
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert "invalid-feedback" in html
        if "Not a valid" not in message:
            assert message in html


@pytest.mark.parametrize("args", ["channel=fax", "sim=nano", "region=99", "region=x"])
def test_bad_filter_values_are_field_errors_for_head_office(client, login, args):
    login(Role.SUPERVISOR, region=0)
    response = client.get(f"/reports/{SLUGS[0]}?{args}")
    assert response.status_code == 400
    assert "is-invalid" in response.get_data(as_text=True)


def test_a_full_year_is_allowed(client, login):
    login(Role.SUPERVISOR, region=0)
    assert client.get(f"/reports/{SLUGS[0]}?date_from=2025-01-01&date_to=2025-12-31").status_code == 200


def test_csv_has_bom_and_vietnamese_round_trips():
    data = b"".join(csv_chunks(["Lý do", "Số lượt"], iter([("Sai thông tin giấy tờ", 3)] * 1201)))
    assert data.startswith(BOM.encode("utf-8"))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["Lý do", "Số lượt"] and rows[1] == ["Sai thông tin giấy tờ", "3"] and len(rows) == 1202


def test_exports_stream_and_are_audited(client, login, db):
    login(Role.SUPERVISOR, region=3)
    response = client.get(f"/reports/{SLUGS[0]}.csv?channel=web")
    assert response.is_streamed
    assert response.headers["Content-Disposition"].startswith("attachment;")
    body = response.get_data()
    assert body.startswith(BOM.encode("utf-8"))
    xlsx = client.get(f"/reports/{SLUGS[0]}.xlsx")
    assert xlsx.is_streamed
    with zipfile.ZipFile(io.BytesIO(xlsx.get_data())) as book:
        assert "xl/worksheets/sheet1.xml" in book.namelist()
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "report.exported")
                                 .order_by(AuditEntry.id)).all()
    assert [e.detail["format"] for e in entries] == ["csv", "xlsx"]
    assert entries[0].detail["channel"] == "web" and entries[0].detail["region"] == 3
    assert entries[0].region_id == 3


def test_nearest_rank():
    assert nearest_rank(0.5, 4) == 2
    assert nearest_rank(0.9, 10) == 9
    assert nearest_rank(0.9, 1) == 1
    assert nearest_rank(0.0, 5) == 1


def test_the_reports_are_in_the_supervision_drop_down_and_on_the_home_page(client, login):
    login(Role.SUPERVISOR, region=1)
    html = client.get("/").get_data(as_text=True)
    menu = html.split('data-bs-toggle="dropdown"', 1)[1].split("</ul>", 1)[0]
    assert 'href="/reports/">Báo cáo' in menu
    cards = html.split("</nav>", 1)[1]
    assert 'href="/reports/"' in cards and "Phễu đăng ký, tổ video call" in cards


def test_csv_moments_are_vietnam_time_in_whole_seconds():
    from datetime import datetime

    from portal.reports.export import _cell

    assert _cell(datetime(2026, 12, 3, 17, 5, 9, 123456)) == "2026-12-04 00:05:09"  # UTC+7 since 1975
    assert _cell(datetime(1970, 1, 1)) == "1970-01-01 08:00:00"  # the South's UTC+8 then: through the time zone
