"""The funnel report's figures against hold tickets brought along the process by the domains' own fixtures and moves:
orders delivered (tests/dossiers' ``delivered_order``), dossiers opened (``lifecycle.open_dossier``) and moved through
``core.states.transition`` (which writes the status_change rows the funnel reads): counts at each step, drop-off,
the median time at a step, region scoping and the export's rows."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import update

from portal.core.actors import SystemActor
from portal.core.models import StatusChange
from portal.core.roles import Role
from portal.core.states import transition
from portal.core.time import vietnam_today
from portal.dossiers import lifecycle
from portal.dossiers.models import DossierStatus
from portal.reports import funnel
from portal.reports.filters import Scope
from tests.conftest import writing_now

SYSTEM = SystemActor("Kiểm thử")
ANY_MOVE = {status: set(DossierStatus) for status in DossierStatus}
PATH = (DossierStatus.READY_FOR_CALL, DossierStatus.VERIFIED, DossierStatus.SUBMITTED, DossierStatus.APPROVED,
        DossierStatus.CONNECTED)


@pytest.fixture
def tickets(db, lan, delivered_order):
    """Four delivered orders: one with no dossier, one eKYC passed, one submitted (10 minutes after its video call),
    one connected (submitted 30 minutes after its video call)."""
    made = []
    for n, reached in enumerate((0, 1, 3, 5)):
        order = delivered_order(lan)
        with writing_now(db):
            dossier = lifecycle.open_dossier(order, lan) if reached else None
            if dossier is not None:
                dossier.id_number = f"00119088{n:04d}"  # made up; one ID may hold only 3 numbers
                db.session.flush()
                for status in PATH[:reached]:
                    transition(dossier, status, SYSTEM, ANY_MOVE, "Kiểm thử")
                db.session.flush()
                if reached >= 3:
                    video = db.session.scalar(StatusChange.__table__.select().with_only_columns(StatusChange.at)
                                              .where(StatusChange.object_type == "dossier",
                                                     StatusChange.object_id == str(dossier.id),
                                                     StatusChange.to_status == "verified"))
                    db.session.execute(update(StatusChange).where(
                        StatusChange.object_type == "dossier", StatusChange.object_id == str(dossier.id),
                        StatusChange.to_status == "submitted")
                        .values(at=video + timedelta(minutes=30 if reached == 5 else 10)))
            db.session.commit()
        made.append(order)
    return made


def _scope(region: int | None) -> Scope:
    today = vietnam_today()
    return Scope(today - timedelta(days=29), today, region)


def test_counts_drop_off_and_time_at_step__HOLD_1_HOLD_12_SHIP_22_ACT_7_ACT_8_ACT_10_ACT_14(page_of, tickets):
    region = tickets[0].region_id
    page = page_of(funnel.REPORT, _scope(region))
    rows = {row[1]: row for row in page.tables[0].rows}
    counts = [row[2] for row in page.tables[0].rows]
    assert counts == [4, 4, 4, 3, 2, 2, 1]
    assert rows["ACT-7 · ESIM-6"][4] == "1 (25.0 %)"  # delivered 4 → eKYC 3
    assert rows["ACT-14 · ESIM-15"][3] == "25.0 %"
    assert rows["ACT-8 · ESIM-7"][5] == "10.0 phút"  # verified → submitted: 10 and 30 min, nearest-rank median
    assert page.chart is not None and list(page.chart.datasets[0][1]) == counts


def test_other_region_sees_none_and_head_office_all(page_of, tickets):
    region = tickets[0].region_id
    other = 9 if region != 9 else 8
    assert [r[2] for r in page_of(funnel.REPORT, _scope(other)).tables[0].rows] == [0] * 7
    assert page_of(funnel.REPORT, _scope(None)).tables[0].rows[0][2] == 4


def test_export_rows(client, login, tickets):
    login(Role.SUPERVISOR, region=tickets[0].region_id)
    assert "ACT-14" in client.get("/reports/funnel").get_data(as_text=True)
    response = client.get("/reports/funnel.csv")
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert len(rows) == 5 and rows[0][1] == "Mã giữ số"
    assert sorted(sum(1 for v in row[5:] if v) for row in rows[1:]) == [3, 4, 6, 7]


@pytest.mark.parametrize("grouped_from_days", [1, 1000], ids=["grouped", "probed"])
def test_export_rows_are_each_tickets_first_moves_in_ticket_order(app, db, tickets, monkeypatch, grouped_from_days):
    """``rows``: one row per ticket of the scope, in ticket order, each step at the dossier's *first* move to it
    (a dossier sent back and submitted again keeps its first submission), the order's payment and delivery — read
    from one grouped pass over the history (a long range) or probed per ticket (a short one)."""
    monkeypatch.setattr(funnel, "GROUPED_FROM_DAYS", grouped_from_days)
    from sqlalchemy import select

    from portal.dossiers.models import Dossier
    from portal.holds.models import HoldTicket, SimType

    submitted = db.session.scalar(select(Dossier).where(Dossier.ticket_id == tickets[2].ticket_id))
    with writing_now(db):  # the third ticket's dossier: back to the call, verified and submitted again
        for status in (DossierStatus.READY_FOR_CALL, DossierStatus.VERIFIED, DossierStatus.SUBMITTED):
            transition(submitted, status, SYSTEM, ANY_MOVE, "Kiểm thử")
        db.session.flush()
        again = max(db.session.scalars(select(StatusChange.id).where(
            StatusChange.object_id == str(submitted.id), StatusChange.to_status == "submitted")))
        db.session.execute(update(StatusChange).where(StatusChange.id == again)
                           .values(at=db.session.get(StatusChange, again - 4).at + timedelta(hours=1)))
        db.session.commit()
    first = {}
    for change in db.session.scalars(select(StatusChange).where(StatusChange.object_type == "dossier")):
        key = (int(change.object_id), change.to_status)
        first[key] = min(first.get(key, change.at), change.at)
    expected = []
    for order in sorted(tickets, key=lambda o: o.ticket_id):
        ticket = db.session.get(HoldTicket, order.ticket_id)
        dossier = db.session.scalar(select(Dossier.id).where(Dossier.ticket_id == ticket.id))
        moves = [first.get((dossier, status.value)) for status in funnel.DOSSIER_STEPS.values()]
        expected.append((ticket.id, ticket.hold_code, ticket.channel, str(SimType(ticket.sim_type).label),
                         order.region_id, ticket.created_at, ticket.paid_at or order.paid_at, order.delivered_at,
                         *moves))
    assert [m is not None for m in expected[2][8:]] == [True, True, True, False]
    assert expected[2][10] < max(c.at for c in db.session.scalars(select(StatusChange).where(
        StatusChange.object_id == str(submitted.id), StatusChange.to_status == "submitted")))
    with app.test_request_context(), db.engine.connect() as conn:
        assert [tuple(row) for row in funnel.rows(_scope(None), conn)] == expected
        assert list(funnel.rows(_scope(tickets[0].region_id), conn)) == list(funnel.rows(_scope(None), conn))
        other = 9 if tickets[0].region_id != 9 else 8
        assert list(funnel.rows(_scope(other), conn)) == []


def test_a_late_move_reopens_the_day_its_ticket_was_held__HOLD_1_ACT_7(app, db, lan, delivered_order, monkeypatch):
    """A ticket held 50 days ago, past the recheck window (REPORT_RECHECK_DAYS, 40), whose dossier passes eKYC today:
    the funnel of that day, built before, shows it at once (the day is read from the source again) and the next
    refresh builds it again. A move of a recent ticket leaves the built days alone."""
    from datetime import datetime, time

    from portal.core.time import vietnam_to_utc
    from portal.holds.models import HoldTicket
    from portal.reports.base import REPORTS
    from portal.reports.cells import collect, due_days, rebuild
    from portal.reports.models import ReportDay

    monkeypatch.setitem(app.config, "REPORT_LIVE_DAYS", 0)
    report, today = REPORTS["funnel"], vietnam_today()
    old, recent = today - timedelta(days=50), today - timedelta(days=3)
    orders = [delivered_order(lan), delivered_order(lan)]
    with writing_now(db):
        for order, day in zip(orders, (old, recent), strict=True):
            db.session.execute(update(HoldTicket).where(HoldTicket.id == order.ticket_id).values(
                created_at=vietnam_to_utc(datetime.combine(day, time(10)))))
        db.session.commit()

    def built() -> set:
        return set(db.session.scalars(ReportDay.__table__.select().with_only_columns(ReportDay.day)
                                      .where(ReportDay.report == "funnel", ReportDay.day.in_((old, recent)))))

    def ekyc(day) -> int:
        db.session.expire_all()
        return collect(report, Scope(day, day)).n("step:ekyc")

    with app.test_request_context():
        rebuild(report, old, recent)
        assert built() == {old, recent} and ekyc(old) == ekyc(recent) == 0
        for n, order in enumerate(orders):
            with writing_now(db):
                dossier = lifecycle.open_dossier(order, lan)
                dossier.id_number = f"00119077{n:04d}"  # made up
                db.session.flush()
                transition(dossier, DossierStatus.READY_FOR_CALL, SYSTEM, ANY_MOVE, "Kiểm thử")
                db.session.commit()
        assert built() == {recent}  # the old day forgotten with the move; the recent one waits for its refresh
        assert ekyc(old) == 1 and ekyc(recent) == 0
        assert old in due_days(report)
        rebuild(report, old, old)
        assert built() == {old, recent} and ekyc(old) == 1
