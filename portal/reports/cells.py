"""Report figures from pre-aggregated cells, so that a page over a year of a million orders reads thousands of rows,
not millions.

A report gives its **facts**: ``facts(scope)`` yields one ``Fact`` per thing it counts — the Vietnam day it belongs
to, the filters' three dimensions (region, channel, SIM type), a key ("step:paid") and, for a duration or an amount,
a value. Its ``distributions`` name the keys whose quantiles the page shows: their values are also counted in
buckets (one per whole second below ``EXACT_BELOW`` seconds, then each ``BUCKET_RATIO`` times wider than the last).

``rebuild(report, first, last)`` turns the facts of those days into ``report_cell`` rows — one per day and
combination of the filters (each dimension either its value or "all"), holding that day's figures as one JSON object —
and marks the days built; a month whose days are all built also gets a month row, made from its day rows. A page
(``collect``) reads, for its exact filter combination, the month rows of the whole months in its range and the day
rows of its other built days — a year is a dozen rows and a few dozen days — and adds their figures up; the days not
built and the live days (today, and the ``REPORT_LIVE_DAYS`` before it if set), which change by the minute, it
computes from the source through the same facts. The periodic job ``refresh_cells`` builds each day
once it is no longer live and rebuilds the recent ones (``REPORT_RECHECK_DAYS``) every ``REPORT_REFRESH_MINUTES``,
since a ticket held last week may connect today; ``flask reports rebuild`` rebuilds any range.

Counts, sums, means and the largest value are exact; a quantile is the largest value of the bucket that holds its
nearest rank — at most ``BUCKET_RATIO`` − 1 (10 %) above the exact value, and exact when that bucket holds one value."""
from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from flask import current_app
from sqlalchemy import and_, delete, func, insert, or_, select

from portal.core.digits import is_ascii_digits
from portal.core.sqlite import reading
from portal.core.time import utcnow, vietnam_today
from portal.extensions import db
from portal.reports.filters import MAX_DAYS, Scope
from portal.reports.models import ReportCell, ReportDay

if TYPE_CHECKING:
    from collections.abc import Callable


class Source(Protocol):
    """What cells need of a report (portal.reports.base.Report)."""

    @property
    def slug(self) -> str: ...

    @property
    def distributions(self) -> frozenset[str]: ...

    @property
    def facts(self) -> Callable[[Scope], Iterable[Fact]]: ...

ALL_REGIONS, NO_REGION = -1, -2
ALL, NONE = "*", ""
DAY, MONTH = "d", "m"  # report_cell.grain: a day's figures, or a whole month's (every day of it built)
EXACT_BELOW = 20
BUCKET_RATIO = 1.1
_LOG_RATIO = math.log(BUCKET_RATIO)
BUILD_BATCH_DAYS = 7  # days rebuilt per transaction


class Fact(NamedTuple):
    day: date  # the Vietnam day the fact belongs to (the report's date filter reads it)
    region_id: int | None
    channel: str | None  # hold_ticket.channel as stored ("partner:7" is grouped as "partner")
    sim_type: str | None
    key: str
    value: float | None = None  # a duration or an amount (for ``n`` > 1: their sum)
    n: int = 1  # how many things this fact counts (a count read already grouped, e.g. searches per day)


def nearest_rank(q: float, n: int) -> int:
    """The 1-based rank of the ``q`` quantile (0..1) among ``n`` sorted values: ceil(q·n) in integers, 1..n."""
    return min(max(1, -(-int(q * 1000) * n // 1000)), n)


VIETNAM_OFFSET = timedelta(hours=7)  # Asia/Ho_Chi_Minh keeps no daylight saving


def vietnam_day(at: datetime) -> date:
    """The Vietnam calendar day of a naive UTC moment (UTC+7 all year: plain arithmetic, called per fact)."""
    return (at + VIETNAM_OFFSET).date()


def seconds(earlier: datetime | None, later: datetime | None) -> float | None:
    """``later - earlier`` in seconds; None unless both are known and in that order."""
    if earlier is None or later is None or later < earlier:
        return None
    return (later - earlier).total_seconds()


def bucket(value: float) -> int:
    """The bucket of a non-negative value: whole seconds below EXACT_BELOW, then geometric."""
    if value < EXACT_BELOW:
        return int(value)
    return EXACT_BELOW + int(math.log(value / EXACT_BELOW) / _LOG_RATIO)


def _channel(channel: str | None) -> str:
    if not channel:
        return NONE
    return "partner" if channel.startswith("partner:") else channel


@dataclass
class Cells:
    """Figures by key: how many, their sum, the largest value."""

    values: dict[str, list[Any]] = field(default_factory=dict)
    built_at: datetime | None = None  # the oldest build of the stored days read; None: all computed live
    distributions: frozenset[str] = frozenset()  # the keys whose "<key>#<bucket>" figures are buckets

    def add(self, key: str, n: int, total: float, top: float | None) -> None:
        cell = self.values.get(key)
        if cell is None:
            self.values[key] = [n, total, top]
            return
        cell[0] += n
        cell[1] += total
        if top is not None and (cell[2] is None or top > cell[2]):
            cell[2] = top

    def n(self, key: str) -> int:
        cell = self.values.get(key)
        return int(cell[0]) if cell else 0

    def total(self, key: str) -> float:
        cell = self.values.get(key)
        return float(cell[1]) if cell else 0.0

    def top(self, key: str) -> float | None:
        cell = self.values.get(key)
        return None if not cell or cell[2] is None else float(cell[2])

    def mean(self, key: str) -> float | None:
        n = self.n(key)
        return round(self.total(key) / n, 3) if n else None

    def quantile(self, key: str, q: float) -> float | None:
        """The ``q`` quantile of a distribution's values (nearest rank; see the module's note on buckets)."""
        prefix = key + "#"
        buckets = sorted((int(k[len(prefix):]), cell) for k, cell in self.values.items() if k.startswith(prefix))
        n = sum(int(cell[0]) for _b, cell in buckets)
        if not n:
            return None
        rank, seen = nearest_rank(q, n), 0
        for _b, cell in buckets:
            seen += int(cell[0])
            if seen >= rank:
                return round(float(cell[2]), 3)
        return None  # pragma: no cover — the ranks add up to n

    def under(self, prefix: str) -> dict[str, tuple[int, float, float | None]]:
        """The figures whose key starts with ``prefix`` (a distribution's buckets left out), by the rest of the key."""
        return {k[len(prefix):]: (int(c[0]), float(c[1]), c[2]) for k, c in self.values.items()
                if k.startswith(prefix) and not self._bucket(k)}

    def _bucket(self, key: str) -> bool:
        name, sep, number = key.rpartition("#")
        return bool(sep) and is_ascii_digits(number) and name in self.distributions


def _count(figures: dict[str, list[Any]], fact: Fact, distributions: frozenset[str]) -> None:
    """Count ``fact`` into ``figures`` (key → [n, total, top]): its key, and its bucket if it is a distribution's."""
    key, value, n = fact.key, fact.value, fact.n
    keys = (key, f"{key}#{bucket(value)}") if (
        value is not None and n == 1 and value >= 0 and key in distributions) else (key,)
    for k in keys:
        cell = figures.get(k)
        if cell is None:
            figures[k] = [n, value or 0.0, value]
            continue
        cell[0] += n
        if value is not None:
            cell[1] += value
            if cell[2] is None or value > cell[2]:
                cell[2] = value


def _aggregate(facts: Iterable[Fact], distributions: frozenset[str]) -> dict[tuple, dict[str, list[Any]]]:
    """(day, region, channel, sim) → key → [n, total, top], each fact counted for its own value and for "all" of
    each dimension (8 combinations)."""
    out: dict[tuple, dict[str, list[Any]]] = defaultdict(dict)
    for fact in facts:
        region = NO_REGION if fact.region_id is None else fact.region_id
        channel, sim = _channel(fact.channel), fact.sim_type or NONE
        for r in (region, ALL_REGIONS):
            for c in (channel, ALL):
                for s in (sim, ALL):
                    _count(out[(fact.day, r, c, s)], fact, distributions)
    return out


def live_days() -> int:
    return int(current_app.config["REPORT_LIVE_DAYS"])


def _dims(scope: Scope) -> tuple[int, str, str]:
    return (ALL_REGIONS if scope.region_id is None else scope.region_id, scope.channel or ALL,
            scope.sim_type or ALL)


def runs(days: list[date]) -> Iterator[tuple[date, date]]:
    """Consecutive days as (first, last) runs."""
    start = prev = None
    for day in days:
        if start is None:
            start = prev = day
        elif day == prev + timedelta(days=1):
            prev = day
        else:
            yield start, prev
            start = prev = day
    if start is not None:
        yield start, prev


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _month_days(first_of_month: date) -> list[date]:
    following = _next_month(first_of_month)
    return [first_of_month + timedelta(days=i) for i in range((following - first_of_month).days)]


def _add_rows(cells: Cells, rows: Iterable[str]) -> None:
    for figures in rows:
        for key, (n, total, top) in json.loads(figures).items():
            cells.add(key, n, total, top)


def collect(report: Source, scope: Scope) -> Cells:
    """The report's figures over ``scope``: whole built months from their month rows, other built days from their
    day rows, the rest (days not built, live days) from the source."""
    cells = Cells(distributions=report.distributions)
    closed_until = min(scope.date_to, vietnam_today() - timedelta(days=live_days() + 1))
    built: dict[date, datetime] = {}
    if closed_until >= scope.date_from:
        built = dict(db.session.execute(select(ReportDay.day, ReportDay.built_at).where(
            ReportDay.report == report.slug, ReportDay.day >= scope.date_from, ReportDay.day <= closed_until)).all())
    if built:
        months = sorted({d.replace(day=1) for d in built})
        months = [m for m in months if all(d in built for d in _month_days(m))]
        in_months = {d for m in months for d in _month_days(m)}
        days = sorted(d for d in built if d not in in_months)
        region, channel, sim = _dims(scope)
        where = (ReportCell.report == report.slug, ReportCell.region_id == region, ReportCell.channel == channel,
                 ReportCell.sim_type == sim)
        if months:
            _add_rows(cells, db.session.scalars(select(ReportCell.figures).where(
                *where, ReportCell.grain == MONTH, ReportCell.day >= months[0], ReportCell.day <= months[-1])))
        if days:
            ranges = [and_(ReportCell.day >= a, ReportCell.day <= b) for a, b in runs(days)]
            _add_rows(cells, db.session.scalars(select(ReportCell.figures).where(
                *where, ReportCell.grain == DAY, or_(*ranges))))
        cells.built_at = min(built.values())
    todo = [scope.date_from + timedelta(days=i) for i in range((scope.date_to - scope.date_from).days + 1)]
    todo = [day for day in todo if day not in built]
    for first, last in runs(todo):
        _add_facts(cells, report.facts(Scope(first, last, scope.region_id, scope.channel, scope.sim_type)),
                   report.distributions, first, last)
    return cells


def _add_facts(cells: Cells, facts: Iterable[Fact], distributions: frozenset[str], first: date, last: date) -> None:
    """Add up facts of ``first``..``last`` (the page's live days: already filtered, so no dimensions to keep)."""
    for fact in facts:
        if first <= fact.day <= last:
            _count(cells.values, fact, distributions)


def _dumps(figures: dict[str, list[Any]]) -> str:
    return json.dumps({k: [n, round(total, 3), top] for k, (n, total, top) in figures.items()},
                      separators=(",", ":"), ensure_ascii=False)


def _rebuild_month(report: Source, first_of_month: date) -> int:
    """The month rows of a month from its day rows, when every day of it is built (else none: a page reads its
    days)."""
    days = _month_days(first_of_month)
    db.session.execute(delete(ReportCell).where(ReportCell.report == report.slug, ReportCell.grain == MONTH,
                                                ReportCell.day == first_of_month))
    built = db.session.scalar(select(func.count()).select_from(ReportDay).where(
        ReportDay.report == report.slug, ReportDay.day >= days[0], ReportDay.day <= days[-1]))
    if built != len(days):
        return 0
    merged: dict[tuple, Cells] = defaultdict(Cells)
    for region, channel, sim, figures in db.session.execute(
            select(ReportCell.region_id, ReportCell.channel, ReportCell.sim_type, ReportCell.figures).where(
                ReportCell.report == report.slug, ReportCell.grain == DAY, ReportCell.day >= days[0],
                ReportCell.day <= days[-1])):
        _add_rows(merged[(region, channel, sim)], (figures,))
    rows = [{"report": report.slug, "region_id": r, "channel": c, "sim_type": s, "grain": MONTH,
             "day": first_of_month, "figures": _dumps(cells.values)} for (r, c, s), cells in merged.items()]
    if rows:
        db.session.execute(insert(ReportCell), rows)
    return len(rows)


def rebuild(report: Source, first: date, last: date) -> int:
    """Build the cells of ``first``..``last`` (both included) from the source, BUILD_BATCH_DAYS per transaction,
    then the month rows of the months touched; the number of rows written."""
    written = 0
    day = first
    while day <= last:
        end = min(last, day + timedelta(days=BUILD_BATCH_DAYS - 1))
        with reading():  # SQLite: read the source without the write lock, which the writes below take briefly
            cells = _aggregate(report.facts(Scope(day, end)), report.distributions)
        db.session.rollback()  # end the read transaction: nothing was written in it
        db.session.execute(delete(ReportCell).where(ReportCell.report == report.slug, ReportCell.grain == DAY,
                                                    ReportCell.day >= day, ReportCell.day <= end))
        db.session.execute(delete(ReportDay).where(ReportDay.report == report.slug, ReportDay.day >= day,
                                                   ReportDay.day <= end))
        rows = [{"report": report.slug, "day": d, "region_id": r, "channel": c, "sim_type": s, "grain": DAY,
                 "figures": _dumps(figures)} for (d, r, c, s), figures in cells.items() if day <= d <= end]
        if rows:
            db.session.execute(insert(ReportCell), rows)
        now = utcnow()
        db.session.execute(insert(ReportDay), [{"report": report.slug, "day": day + timedelta(days=i),
                                                "built_at": now} for i in range((end - day).days + 1)])
        db.session.commit()
        written += len(rows)
        day = end + timedelta(days=1)
    for month in sorted(_months_between(first, last)):
        written += _rebuild_month(report, month)
        db.session.commit()
    return written


def _months_between(first: date, last: date) -> set[date]:
    out, month = set(), first.replace(day=1)
    while month <= last:
        out.add(month)
        month = _next_month(month)
    return out


def closed_days(days: int = MAX_DAYS) -> tuple[date, date]:
    """The first and last of the ``days`` most recent closed days (no longer live: their cells may be built)."""
    last = vietnam_today() - timedelta(days=live_days() + 1)
    return last - timedelta(days=days - 1), last


def recheck_from() -> date:
    """The first of the recent closed days that the periodic job rebuilds (REPORT_RECHECK_DAYS of them)."""
    return closed_days()[1] - timedelta(days=int(current_app.config["REPORT_RECHECK_DAYS"]) - 1)


def forget_days(days: Iterable[date]) -> None:
    """Days whose figures changed after their cells were built and that no refresh would rebuild (older than the
    recheck window): no longer built, for every report, in the caller's transaction. A page reads them from the
    source again at once (``collect``: a month with a day not built is read by its days) and the next refresh builds
    them again (``due_days``: the days not built)."""
    db.session.execute(delete(ReportDay).where(ReportDay.day.in_(sorted(set(days)))))


def due_days(report: Source, now: datetime | None = None) -> list[date]:
    """The closed days of the last MAX_DAYS that are not built, and the recent ones built more than
    REPORT_REFRESH_MINUTES ago."""
    cfg = current_app.config
    now = now or utcnow()
    first, last = closed_days()
    recent = recheck_from()
    stale = now - timedelta(minutes=int(cfg["REPORT_REFRESH_MINUTES"]))
    built = dict(db.session.execute(select(ReportDay.day, ReportDay.built_at).where(
        ReportDay.report == report.slug, ReportDay.day >= first, ReportDay.day <= last)).all())
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return [d for d in days if d not in built or (d >= recent and built[d] < stale)]
