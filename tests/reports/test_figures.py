"""The video desk's and the review queue's figures against data made through the domains' own moves (orders
placed and delivered, dossiers moved along the dossiers' transition table, calls requested, rung, answered and
ended by the calls domain, review decisions by portal.dossiers.review), with the recorded moments then put at known
times so that every count, share, median and percentile is checked exactly."""
from __future__ import annotations

import csv
import io
import itertools
import zipfile

from sqlalchemy import select

from portal.calls import lifecycle as calls
from portal.calls.models import Call, CallOffer, OfferOutcome
from portal.core.actors import SystemActor
from portal.core.roles import Role
from portal.core.states import transition
from portal.dossiers import lifecycle as dossiers
from portal.dossiers import review
from portal.dossiers.models import DOSSIER_TRANSITIONS, DossierStatus
from portal.dossiers.review_models import ReviewDecision
from portal.dossiers.signing import SigningInput
from portal.reports import calls as desk
from portal.reports import review as review_report
from portal.reports.base import Figure
from portal.reports.cells import Cells, collect
from portal.reports.filters import Scope
from tests.conftest import writing_now
from tests.dossiers.conftest import signature_png
from tests.reports.conftest import ARGS, DAY, set_columns, set_moves, vn

SYSTEM = SystemActor("Kiểm thử")
ONE_DAY = Scope(DAY, DAY)


def _move(db, dossier, *statuses: DossierStatus) -> None:
    with writing_now(db):
        for status in statuses:
            transition(dossier, status, SYSTEM, DOSSIER_TRANSITIONS, "Kiểm thử")
        db.session.commit()


def _figures(page) -> dict[str, Figure]:
    return {str(figure.label): figure for figure in page.figures}


def _cells(app, report, scope: Scope) -> Cells:
    """The figures ``report.page(scope)`` reads, as it reads them: after ``page_of``, from the cells it built, or
    from the source."""
    with app.test_request_context():
        return collect(report, scope)


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response.is_streamed
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


# --- video desk --------------------------------------------------------------------------------------------------

_holders = itertools.count(1)


def _ready(db, lan, delivered_order):
    """A dossier in "Chờ gọi video" under a made-up ID number of its own (one ID may hold only three numbers)."""
    order = delivered_order(lan)
    with writing_now(db):
        dossier = dossiers.open_dossier(order, lan)
        dossier.id_number = f"0011907{next(_holders):05d}"
        db.session.flush()
        transition(dossier, DossierStatus.READY_FOR_CALL, SYSTEM, DOSSIER_TRANSITIONS, "eKYC (kiểm thử)")
        db.session.commit()
    return dossier


def _request(db, dossier, lan) -> Call:
    with writing_now(db):
        call = calls.request_call(dossier, lan, "web")
        db.session.commit()
    return call


def _pending(db, call) -> CallOffer:
    return db.session.scalar(select(CallOffer).where(CallOffer.call_id == call.id,
                                                     CallOffer.outcome == OfferOutcome.PENDING))


def test_video_desk_counts_percentiles_per_agent_and_per_hour__ACT_8(
        app, client, db, login, lan, delivered_order, available_agent, at_times, page_of):
    first_agent, second_agent = available_agent(region=1), available_agent(region=1)
    answered = _request(db, _ready(db, lan, delivered_order), lan)
    rung_first = _pending(db, answered)
    x = first_agent if rung_first.agent_id == first_agent.id else second_agent
    y = second_agent if x is first_agent else first_agent
    with writing_now(db):
        calls.miss_offer(rung_first)  # X lets it ring out: Y is rung
        db.session.commit()
    with writing_now(db):
        calls.accept_offer(_pending(db, answered).id, y)
        calls.finish(answered, y, True)
        db.session.commit()
    hung_up = _request(db, _ready(db, lan, delivered_order), lan)  # rings X (Y is wrapping up); the customer hangs up
    with writing_now(db):
        calls.cancel_call(hung_up, lan)
        db.session.commit()
    second = _request(db, _ready(db, lan, delivered_order), lan)  # X answers this one
    with writing_now(db):
        calls.accept_offer(_pending(db, second).id, x)
        calls.finish(second, x, True)
        db.session.commit()
    expired = _request(db, _ready(db, lan, delivered_order), lan)  # X and Y both wrapping up: nobody rung, it times out
    with writing_now(db):
        calls.expire_waiting(expired)
        db.session.commit()

    def times():
        set_columns(db, Call, answered.id, requested_at=vn(9), answered_at=vn(9, 0, 30), ended_at=vn(9, 5, 30))
        set_columns(db, Call, hung_up.id, requested_at=vn(9, 30), ended_at=vn(9, 31))
        set_columns(db, Call, second.id, requested_at=vn(14), answered_at=vn(14, 1, 30), ended_at=vn(14, 11, 30))
        set_columns(db, Call, expired.id, requested_at=vn(14, 10), ended_at=vn(14, 20))

    at_times(times)
    page = page_of(desk.REPORT, ONE_DAY)
    f = _figures(page)
    assert [f[label].value for label in ("Cuộc gọi yêu cầu", "Đã đổ chuông", "Đã nhận", "Nhỡ (hết giờ chờ)",
                                         "Khách bỏ khi chờ", "Rớt giữa chừng")] == [4, 3, 2, 1, 1, 0]
    assert f["Chờ (p50 / p90)"].value == "30 giây / 1.5 phút"
    assert f["Thời gian xử lý (trung vị)"].value == "5.0 phút" and str(f["Thời gian xử lý (trung vị)"].note) == (
        "trung bình 7.5 phút")
    cells = _cells(app, desk.REPORT, ONE_DAY)  # the page's figures, read the same way (source or cells)
    assert (cells.quantile("wait", 0.5), cells.quantile("wait", 0.9)) == (30, 90)  # waits [30, 90]: nearest rank
    assert (cells.quantile("handle", 0.5), cells.mean("handle")) == (300, 450)  # handle times [300, 600]
    agents = {name: rest for name, *rest in desk.per_agent(cells)}
    assert agents[x.full_name] == [3, 1, 1, 1, 600]  # rung 3 times: missed, withdrawn (hung up), accepted
    assert agents[y.full_name] == [1, 1, 0, 1, 300]
    assert desk.per_hour(cells) == {9: (2, 1), 14: (2, 1)}
    by_agent, by_hour = page.tables
    assert [list(row) for row in by_agent.rows] == [[x.full_name, 3, 1, 1, 1, "10.0 phút"],
                                                    [y.full_name, 1, 1, 0, 1, "5.0 phút"]]
    assert list(by_hour.rows) == [("09:00", 2, 1), ("14:00", 2, 1)]
    assert page.chart is not None and sum(page.chart.datasets[0][1]) == 2 and sum(page.chart.datasets[1][1]) == 2
    assert _figures(page_of(desk.REPORT, Scope(DAY, DAY, region_id=2)))["Cuộc gọi yêu cầu"].value == 0
    for scope, requested in ((Scope(DAY, DAY, channel="web", sim_type="physical"), 4),
                             (Scope(DAY, DAY, sim_type="esim"), 0), (Scope(DAY, DAY, channel="partner"), 0)):
        assert _figures(page_of(desk.REPORT, scope))["Cuộc gọi yêu cầu"].value == requested, scope

    login(Role.SUPERVISOR, region=1)
    html = client.get(f"/reports/video-desk?{ARGS}").get_data(as_text=True)
    assert "30 giây / 1.5 phút" in html and x.full_name in html
    rows = _csv(client.get(f"/reports/video-desk.csv?{ARGS}"))
    assert [(r[0], r[9], r[10]) for r in rows[1:]] == [(str(answered.id), "30", "300"), (str(hung_up.id), "", ""),
                                                      (str(second.id), "90", "600"), (str(expired.id), "", "")]


# --- review queue ------------------------------------------------------------------------------------------------

def test_review_queue_time_to_decision_rates_reasons_and_resubmissions__ACT_11(
        app, client, db, login, make_staff, submitted, at_times, page_of):
    reviewer = make_staff(Role.CONNECTION, 1)
    ok, refused, redo = submitted(), submitted(), submitted()
    with writing_now(db):
        review.approve(ok, reviewer)
        review.reject(refused, reviewer, "id_unreadable", "")
        review.ask_redo(redo, reviewer, ["signature"], "Ký lại rõ hơn")
        db.session.commit()
    with writing_now(db):
        from portal.dossiers import signing

        signing.submit(redo, dossiers_customer(redo), SigningInput(signature_png(), redo.order.sim_serial, None))
        db.session.commit()
    with writing_now(db):
        review.approve(redo, reviewer)
        db.session.commit()

    def decision_ids(dossier):
        return db.session.scalars(select(ReviewDecision.id).where(ReviewDecision.dossier_id == dossier.id)
                                  .order_by(ReviewDecision.id)).all()

    def times():
        set_moves(db, ok, "submitted", vn(9))
        set_columns(db, ReviewDecision, decision_ids(ok)[0], at=vn(10))
        set_moves(db, refused, "submitted", vn(9))
        set_columns(db, ReviewDecision, decision_ids(refused)[0], at=vn(11))
        set_moves(db, redo, "submitted", vn(9), vn(12))
        asked, approved = decision_ids(redo)
        set_columns(db, ReviewDecision, asked, at=vn(9, 30))
        set_columns(db, ReviewDecision, approved, at=vn(13))

    at_times(times)
    page = page_of(review_report.REPORT, ONE_DAY)
    f = _figures(page)
    assert [f[label].value for label in ("Quyết định", "Duyệt", "Từ chối", "Yêu cầu bổ sung",
                                         "Duyệt lần một (bốn mắt)")] == [4, 2, 1, 1, 0]
    assert (f["Thời gian đến quyết định (trung vị)"].value, f["Thời gian đến quyết định (p90)"].value) == (
        "60.0 phút", "2.0 giờ")
    cells = _cells(app, review_report.REPORT, ONE_DAY)  # the page's figures, read the same way (source or cells)
    assert (cells.quantile("waited", 0.5), cells.quantile("waited", 0.9)) == (3600, 7200)  # [1800, 3600, 3600, 7200]
    assert f["Hồ sơ gửi lại"].value == 1
    assert review_report.reasons(cells) == [("Ảnh giấy tờ không rõ hoặc bị che", 1)]
    assert list(page.tables[0].rows) == [("Ảnh giấy tờ không rõ hoặc bị che", 1)]
    assert page.chart is not None and list(page.chart.labels) == ["Ảnh giấy tờ không rõ hoặc bị che"]
    assert _figures(page_of(review_report.REPORT, Scope(DAY, DAY, region_id=2)))["Quyết định"].value == 0
    for scope, decided in ((Scope(DAY, DAY, 1, "web", "physical"), 4), (Scope(DAY, DAY, sim_type="esim"), 0),
                           (Scope(DAY, DAY, channel="app"), 0)):
        assert _figures(page_of(review_report.REPORT, scope))["Quyết định"].value == decided, scope

    login(Role.SUPERVISOR, region=1)
    html = client.get(f"/reports/review-queue?{ARGS}").get_data(as_text=True)
    assert "50.0 %" in html and "Ảnh giấy tờ không rõ hoặc bị che" in html
    rows = _csv(client.get(f"/reports/review-queue.csv?{ARGS}"))
    assert [(r[1], r[5], r[9]) for r in rows[1:]] == [
        (str(ok.id), "Duyệt", "3600"), (str(refused.id), "Từ chối", "7200"),
        (str(redo.id), "Yêu cầu bổ sung", "1800"), (str(redo.id), "Duyệt", "3600")]
    assert rows[2][6] == "Ảnh giấy tờ không rõ hoặc bị che"
    book = client.get(f"/reports/review-queue.xlsx?{ARGS}")
    assert book.status_code == 200 and book.is_streamed
    with zipfile.ZipFile(io.BytesIO(book.get_data())) as xlsx:
        sheet = xlsx.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert sheet.count("<row ") == 5  # the header and the four decisions
    assert "Ảnh giấy tờ không rõ hoặc bị che" in sheet and "Yêu cầu bổ sung" in sheet


def dossiers_customer(dossier):
    from portal.customers.models import Customer
    from portal.extensions import db

    return db.session.get(Customer, dossier.customer_id)
