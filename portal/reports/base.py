"""What a report is: a slug and a title, ``build(scope)`` giving the page (figures, a chart, tables) from
aggregate queries, and ``rows(scope)`` giving the export's rows one at a time (a server-side cursor), with
``headers``; an export runs outside the request (a streamed body), on a connection of its own. Reports register
themselves in ``REPORTS`` (portal/reports/catalogue.py imports their modules)."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Connection

from portal.extensions import db
from portal.reports.filters import Scope

EXPORT_BATCH = 2000  # rows fetched per round trip by an export's cursor


@dataclass(frozen=True)
class Figure:
    """One headline number: a label and its value as shown (already formatted), with an optional note."""

    label: Any
    value: Any
    note: Any = ""


@dataclass(frozen=True)
class Table:
    title: Any
    headers: Sequence[Any]
    rows: Sequence[Sequence[Any]]
    numeric_from: int = 1  # columns from this index on are right-aligned


@dataclass(frozen=True)
class Chart:
    """A Chart.js chart: ``kind`` ("bar", "line"), the x labels, and datasets as (label, values)."""

    kind: str
    labels: Sequence[Any]
    datasets: Sequence[tuple[Any, Sequence[float | int | None]]]
    stacked: bool = False
    horizontal: bool = False
    y_title: Any = ""

    def spec(self) -> dict[str, Any]:
        """The JSON the page embeds for static/js/reports.js."""
        return {"kind": self.kind, "labels": [str(label) for label in self.labels], "stacked": self.stacked,
                "horizontal": self.horizontal, "yTitle": str(self.y_title),
                "datasets": [{"label": str(label), "data": list(values)} for label, values in self.datasets]}


@dataclass(frozen=True)
class Page:
    figures: Sequence[Figure] = ()
    chart: Chart | None = None
    tables: Sequence[Table] = ()
    notes: Sequence[Any] = ()


@dataclass(frozen=True)
class Report:
    slug: str
    title: Any
    description: Any
    build: Callable[[Scope], Page]
    headers: Sequence[Any]
    rows: Callable[[Scope, Connection], Iterator[Sequence[Any]]]  # the export's rows, read on that connection
    order: int = 100
    extra: dict[str, Any] = field(default_factory=dict)


REPORTS: dict[str, Report] = {}


def register(report: Report) -> Report:
    if report.slug in REPORTS and REPORTS[report.slug] is not report:
        raise ValueError(f"report {report.slug} registered twice")
    REPORTS[report.slug] = report
    return report


def all_reports() -> list[Report]:
    return sorted(REPORTS.values(), key=lambda r: (r.order, r.slug))


def stream(stmt: Any, conn: Connection | None = None) -> Iterator[Any]:
    """The rows of ``stmt`` through a server-side cursor (PostgreSQL) / batched fetch, never all in memory; on
    ``conn`` (an export's own connection) or the session's."""
    conn = conn if conn is not None else db.session.connection()
    result = conn.execution_options(yield_per=EXPORT_BATCH).execute(stmt)
    try:
        yield from result
    finally:
        result.close()


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) of already sorted values, nearest rank; None when there are none."""
    if not sorted_values:
        return None
    rank = max(1, -(-int(q * 1000) * len(sorted_values) // 1000))  # ceil(q·n), in integers
    return sorted_values[min(rank, len(sorted_values)) - 1]


def minutes(seconds: float | None) -> str:
    """A duration for a figure: "—" when unknown, else minutes with one decimal (seconds under a minute)."""
    if seconds is None:
        return "—"
    if seconds < 60:
        shown = f"{seconds:.0f}"
        return _("%(n)s giây", n=shown)
    if seconds < 3600 * 2:
        shown = f"{seconds / 60:.1f}"
        return _("%(n)s phút", n=shown)
    shown = f"{seconds / 3600:.1f}"
    return _("%(n)s giờ", n=shown)


def share(part: int, whole: int) -> str:
    return "—" if not whole else f"{100 * part / whole:.1f} %"
