"""The mSale report's figures against submissions made through the connections' own moves (approval opens the
submission; mark_sending, record_accepted, apply_result, record_error): outcomes, turnaround median and p90 from
the status_change row that settled each, refusals and failures by reason, region scoping, and the export's rows."""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.connections import services
from portal.connections.models import MsaleSubmission
from portal.core.models import StatusChange
from portal.core.roles import Role
from portal.core.time import utcnow, vietnam_today
from portal.gateways.msale import Accepted, MsaleStatus
from portal.reports import msale
from portal.reports.filters import Scope
from tests.conftest import writing_now

REFUSAL = "Sai thông tin giấy tờ tùy thân"


def _settle(db, dossier, outcome: str, seconds: int, error: str = "Hết thời gian chờ mSale") -> None:
    """Move the dossier's submission to ``outcome`` through the services, then date it: sent ``seconds`` before
    its answer (made an hour ago)."""
    with writing_now(db):
        sub = db.session.scalars(select(MsaleSubmission).where(MsaleSubmission.dossier_id == dossier.id)).one()
        if outcome != "pending":
            services.mark_sending(sub)
        if outcome in ("connected", "refused"):
            services.record_accepted(sub, Accepted(msale_ref=f"MS-{sub.id}", status="queued"))
            services.apply_result(sub, MsaleStatus(outcome, f"MS-{sub.id}", REFUSAL if outcome == "refused" else ""),
                                  "callback")
        elif outcome == "failed":
            services.record_error(sub, error, last_try=True)
        made = utcnow() - timedelta(hours=1)
        db.session.execute(update(MsaleSubmission).where(MsaleSubmission.id == sub.id).values(created_at=made))
        db.session.execute(update(StatusChange).where(StatusChange.object_type == MsaleSubmission.__tablename__,
                                                      StatusChange.object_id == str(sub.id),
                                                      StatusChange.to_status == outcome)
                           .values(at=made + timedelta(seconds=seconds)))
        db.session.commit()


@pytest.fixture
def submissions(db, approved):
    plan = [("connected", 120), ("connected", 600), ("refused", 1800), ("failed", 30), ("pending", 0)]
    dossiers = []
    for n, (outcome, seconds) in enumerate(plan):
        dossier = approved(id_number=f"00119077{n:04d}")  # made up; one ID may hold only 3 numbers
        _settle(db, dossier, outcome, seconds)
        dossiers.append(dossier)
    return dossiers


def _scope(region: int | None, **kwargs) -> Scope:
    today = vietnam_today()
    return Scope(today - timedelta(days=29), today, region, **kwargs)


def test_figures__ACT_12_ACT_14_ACT_16(page_of, submissions):
    region = submissions[0].region_id
    page = page_of(msale.REPORT, _scope(region))
    figures = {str(f.label): f.value for f in page.figures}
    assert figures["Lượt gửi mSale"] == 5
    assert figures["Đã hòa mạng"] == 2 and figures["Bị từ chối"] == 1 and figures["Lỗi gửi"] == 1
    assert figures["Đang chờ"] == 1
    assert figures["Thời gian xử lý (trung vị)"] == "10.0 phút"  # 120, 600, 1800 s
    assert figures["Thời gian xử lý (p90)"] == "30.0 phút"
    assert page.chart is not None and list(page.chart.datasets[0][1]) == [1, 1, 1, 0, 0]
    refusals, failures = page.tables
    assert list(refusals.rows) == [(REFUSAL, 1)]
    assert list(failures.rows) == [("Hết thời gian chờ mSale", 1)]


def test_other_region_and_other_days_see_nothing(page_of, submissions):
    other = 9 if submissions[0].region_id != 9 else 8
    assert {str(f.label): f.value for f in page_of(msale.REPORT, _scope(other)).figures}["Lượt gửi mSale"] == 0
    old = Scope(vietnam_today() - timedelta(days=90), vietnam_today() - timedelta(days=60), None)
    assert {str(f.label): f.value for f in page_of(msale.REPORT, old).figures}["Lượt gửi mSale"] == 0
    assert {str(f.label): f.value for f in page_of(msale.REPORT, _scope(None)).figures}["Lượt gửi mSale"] == 5
    for channel, sim, made in (("web", "physical", 5), (None, "esim", 0), ("partner", None, 0)):
        scope = _scope(None, channel=channel, sim_type=sim)
        assert {str(f.label): f.value for f in page_of(msale.REPORT, scope).figures}["Lượt gửi mSale"] == made, scope


def test_a_long_last_error_is_cut_to_its_first_100_characters(page_of, db, approved):
    long_error = "Lỗi #502 kết nối mSale: " + "chi tiết " * 30  # 294 characters, kept whole in last_error (300)
    dossier = approved(id_number="001190779999")
    _settle(db, dossier, "failed", 30, error=long_error)
    page = page_of(msale.REPORT, _scope(dossier.region_id))
    assert list(page.tables[1].rows) == [(long_error[:msale.REASON_CHARS], 1)]  # a "#" in it is text, not a bucket


def test_page_and_export_rows(client, login, submissions):
    region = submissions[0].region_id
    login(Role.SUPERVISOR, region=region)
    html = client.get("/reports/msale").get_data(as_text=True)
    assert REFUSAL in html and "10.0 phút" in html
    response = client.get("/reports/msale.csv")
    assert response.is_streamed
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0][0] == "Mã lượt gửi" and len(rows) == 6
    by_status = {row[6]: row for row in rows[1:]}
    assert by_status["refused"][9] == "1800" and by_status["refused"][10] == REFUSAL
    assert by_status["connected"][3] == str(region)
    assert by_status["pending"][9] == ""
    xlsx = client.get("/reports/msale.xlsx")
    assert xlsx.is_streamed
    data = xlsx.get_data()
    try:
        import openpyxl
    except ImportError:  # not a requirement: read the workbook's sheet XML itself
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            sheet = book.read("xl/worksheets/sheet1.xml").decode()
            strings = sheet + (book.read("xl/sharedStrings.xml").decode()
                               if "xl/sharedStrings.xml" in book.namelist() else "")
        assert sheet.count("<row ") == 6 and REFUSAL in strings and "Mã lượt gửi" in strings
    else:
        values = list(openpyxl.load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True))
        assert len(values) == 6 and REFUSAL in {v[10] for v in values[1:]}
