"""portal/reports/cells.py with a report of made-up facts: the page's figures are the same whether computed from the
source or read from cells built per day and per month, for every filter combination and any date range; quantiles
from buckets; which days the periodic job builds; the CLI."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.core.time import utcnow, vietnam_today
from portal.reports import cells as cells_module
from portal.reports.cells import ALL, ALL_REGIONS, MONTH, Cells, Fact, bucket, collect, due_days, rebuild
from portal.reports.filters import Scope
from portal.reports.models import ReportCell, ReportDay

TODAY = vietnam_today()
FIRST = TODAY - timedelta(days=80)  # the made-up facts cover the 80 days before today: two whole months at least
CHANNELS = ("web", "app", "partner:1", "partner:2", None)


@dataclass
class MadeUp:
    """A report's facts from a list (what a report's SQL would return), filtered by the scope as facts must be."""

    facts_list: list[Fact]
    slug: str = "made-up"
    distributions: frozenset[str] = frozenset({"wait"})
    calls: list[Scope] = field(default_factory=list)

    def facts(self, scope: Scope):
        self.calls.append(scope)
        for fact in self.facts_list:
            if not scope.date_from <= fact.day <= scope.date_to:
                continue
            if scope.region_id is not None and fact.region_id != scope.region_id:
                continue
            if scope.channel is not None and not (fact.channel or "").startswith(
                    "partner:" if scope.channel == "partner" else scope.channel):
                continue
            if scope.sim_type is not None and fact.sim_type != scope.sim_type:
                continue
            yield fact


def made_up(seed: int = 7, count: int = 3000) -> MadeUp:
    rnd = random.Random(seed)
    facts = []
    for _ in range(count):
        day = FIRST + timedelta(days=rnd.randrange(81))
        dims = (rnd.choice((1, 2, 3, None)), rnd.choice(CHANNELS), rnd.choice(("physical", "esim")))
        facts.append(Fact(day, *dims, "calls"))
        if rnd.random() < 0.7:
            facts.append(Fact(day, *dims, "wait", round(rnd.expovariate(1 / 90), 3)))
        facts.append(Fact(day, *dims, f"hour:{rnd.randrange(24)}"))
        facts.append(Fact(day, None, dims[1], None, "searches", n=rnd.randrange(1, 5)))
    return MadeUp(facts)


def _figures(cells: Cells) -> dict:
    return {key: (n, round(total, 3), top) for key, (n, total, top) in cells.values.items()}


@pytest.fixture
def all_closed(app, monkeypatch):
    monkeypatch.setitem(app.config, "REPORT_LIVE_DAYS", -1)  # today closed too: every day may be built


SCOPES = [Scope(FIRST, TODAY), Scope(FIRST + timedelta(days=5), TODAY - timedelta(days=3), 2),
          Scope(FIRST, TODAY, None, "partner"), Scope(FIRST, TODAY, None, None, "esim"),
          Scope(FIRST + timedelta(days=1), TODAY, 3, "web", "physical"), Scope(TODAY, TODAY, 1, "app"),
          Scope(FIRST, TODAY, None, "partner", "esim")]


@pytest.mark.parametrize("scope", SCOPES, ids=lambda s: f"{s.date_from}-{s.date_to}-{s.region_id}-{s.channel}-"
                                                        f"{s.sim_type}")
def test_built_cells_give_the_figures_the_source_gives(app, db, all_closed, scope):
    report = made_up()
    with app.app_context():
        live = collect(report, scope)
        assert live.built_at is None
        rebuild(report, FIRST, TODAY)
        report.calls.clear()
        built = collect(report, scope)
        assert built.built_at is not None and report.calls == []  # nothing recomputed from the source
        assert _figures(built) == _figures(live)
        assert built.n("calls") > 0 and built.quantile("wait", 0.5) == live.quantile("wait", 0.5)


def test_whole_months_are_read_from_their_month_row(app, db, all_closed):
    report = made_up()
    with app.app_context():
        rebuild(report, FIRST, TODAY)
        month = (FIRST.replace(day=28) + timedelta(days=4)).replace(day=1)  # the first whole month of the facts
        row = db.session.execute(select(ReportCell).where(
            ReportCell.report == report.slug, ReportCell.grain == MONTH, ReportCell.day == month,
            ReportCell.region_id == ALL_REGIONS, ReportCell.channel == ALL, ReportCell.sim_type == ALL)).scalar_one()
        following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        in_month = [f for f in report.facts_list if month <= f.day < following and f.key == "calls"]
        assert f'"calls":[{len(in_month)},' in row.figures
        # a month not wholly built has no month row: one of its days rebuilt alone drops nothing
        db.session.execute(ReportDay.__table__.delete().where(ReportDay.day == month))
        db.session.commit()
        rebuild(report, month + timedelta(days=3), month + timedelta(days=3))
        assert db.session.scalar(select(func.count()).select_from(ReportCell).where(
            ReportCell.grain == MONTH, ReportCell.day == month)) == 0
        scope = Scope(month, following - timedelta(days=1))
        assert collect(report, scope).n("calls") == len(in_month)  # the day not built is computed from the source


def test_live_days_are_always_from_the_source(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "REPORT_LIVE_DAYS", 0)
    report = made_up()
    with app.app_context():
        rebuild(report, FIRST, TODAY - timedelta(days=1))
        report.calls.clear()
        collect(report, Scope(FIRST, TODAY))
        assert [(s.date_from, s.date_to) for s in report.calls] == [(TODAY, TODAY)]


def test_quantiles_from_buckets_are_exact_for_lone_values_and_within_ten_percent():
    cells = Cells()
    values = [3.0, 12.0, 30.0, 90.0, 300.0, 7200.0]
    for v in values:
        cells.add("t", 1, v, v)
        cells.add(f"t#{bucket(v)}", 1, v, v)
    assert [cells.quantile("t", q) for q in (0.1, 0.5, 0.9, 1.0)] == [3.0, 30.0, 7200.0, 7200.0]
    rnd = random.Random(3)
    many = sorted(rnd.lognormvariate(5, 1.5) for _ in range(5000))
    cells = Cells()
    for v in many:
        cells.add(f"t#{bucket(v)}", 1, v, v)
    for q in (0.5, 0.9, 0.99):
        exact = many[cells_module.nearest_rank(q, len(many)) - 1]
        assert exact <= cells.quantile("t", q) <= exact * 1.1 + 1e-9
    assert [bucket(v) for v in (0, 0.5, 19.9, 20, 21.9, 22)] == [0, 0, 19, 20, 20, 21]


def test_due_days_are_the_unbuilt_and_the_stale_recent(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "REPORT_LIVE_DAYS", 0)
    monkeypatch.setitem(app.config, "REPORT_RECHECK_DAYS", 10)
    monkeypatch.setitem(app.config, "REPORT_REFRESH_MINUTES", 60)
    report = made_up(count=50)
    yesterday = TODAY - timedelta(days=1)
    with app.app_context():
        assert len(due_days(report)) == 366 and due_days(report)[-1] == yesterday
        rebuild(report, yesterday - timedelta(days=365), yesterday)
        assert due_days(report) == []
        assert due_days(report, now=utcnow() + timedelta(minutes=61)) == [
            yesterday - timedelta(days=i) for i in range(9, -1, -1)]


def test_refresh_job_and_cli_build_the_registered_reports(app, db, monkeypatch):
    from portal.reports.base import REPORTS
    from portal.reports.jobs import refresh_cells

    monkeypatch.setitem(app.config, "REPORT_LIVE_DAYS", 0)
    funnel = REPORTS["funnel"]
    with app.app_context():
        done = refresh_cells()
        assert done["funnel"] == 62  # a fresh install: the most recent 62 days first
        days = db.session.scalars(select(ReportDay.day).where(ReportDay.report == funnel.slug)).all()
        assert max(days) == TODAY - timedelta(days=1) and len(days) == 62
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reports", "rebuild", "--days", "3", "--report", "funnel"])
    assert result.exit_code == 0, result.output
    assert f"funnel: {TODAY - timedelta(days=3)}..{TODAY - timedelta(days=1)}" in result.output
    result = runner.invoke(args=["reports", "rebuild", "--report", "nope"])
    assert result.exit_code != 0 and "unknown report(s): nope" in result.output


def test_first_of_months():
    assert cells_module._month_days(date(2024, 2, 1))[-1] == date(2024, 2, 29)
    assert len(cells_module._month_days(date(2026, 12, 1))) == 31


def test_under_leaves_out_only_a_distributions_buckets():
    cells = Cells(distributions=frozenset({"wait"}))
    for key in ("wait", "wait#3", "reason:lỗi #5", "reason:mã #A1"):
        cells.add(key, 1, 1.0, 1.0)
    assert sorted(cells.under("reason:")) == ["lỗi #5", "mã #A1"]
    assert list(cells.under("wait")) == [""]
