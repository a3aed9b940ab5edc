"""What a report is: a slug and a title, ``build(scope)`` giving the page (figures, a chart, tables) from
aggregate queries, and ``rows(scope)`` giving the export's rows one at a time (a server-side cursor), with
``headers``; an export runs outside the request (a streamed body), on a connection of its own. Reports register
themselves in ``REPORTS`` (portal/reports/catalogue.py imports their modules)."""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Connection, Integer, Select, String, cast

from portal.dossiers.models import Dossier
from portal.extensions import db
from portal.holds.models import HoldTicket
from portal.reports.cells import Cells, Fact, collect
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
    built_at: datetime | None = None  # the oldest build of the pre-aggregated days it read (None: all from source)


@dataclass(frozen=True)
class Report:
    """``build(scope, cells)`` makes the page from the figures ``facts`` gives (portal.reports.cells: pre-aggregated
    per day, the live days from the source); ``distributions`` are the fact keys whose quantiles it shows."""

    slug: str
    title: Any
    description: Any
    build: Callable[[Scope, Cells], Page]
    headers: Sequence[Any]
    rows: Callable[[Scope, Connection], Iterator[Sequence[Any]]]  # the export's rows, read on that connection
    facts: Callable[[Scope], Iterable[Fact]]
    distributions: frozenset[str] = frozenset()
    order: int = 100
    extra: dict[str, Any] = field(default_factory=dict)

    def page(self, scope: Scope) -> Page:
        cells = collect(self, scope)
        return replace(self.build(scope, cells), built_at=cells.built_at)


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
    # On the statement, not the connection: Connection.execution_options() changes the connection in place, and
    # every later statement on it (a ROLLBACK TO SAVEPOINT too) would become a server-side cursor.
    result = conn.execute(stmt, execution_options={"yield_per": EXPORT_BATCH})
    try:
        yield from result
    finally:
        result.close()


def labels() -> Callable[[Any], str]:
    """``label(member)``: an enum member's label as text, translated once per export (a lazy string looks its
    catalogue up each time it is read); "" for None. Make one per export: the language is the request's."""
    return functools.cache(lambda member: "" if member is None else str(member.label))


def translated() -> Callable[[str], str]:
    """``gettext`` of catalogue texts, once per distinct text per export."""
    return functools.cache(_)


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


def by_dossier(stmt: Select, scope: Scope, *, dossier_id: Any, at: Any, dims: bool = False) -> Select:
    """Limit ``stmt`` (rows tied to a dossier by ``dossier_id``: an integer column, or status_change's text
    object_id) to ``scope``: ``at`` in the days, the dossier's region and SIM type, the hold ticket's channel
    (joined only when a channel is asked for, or with ``dims``: a report's facts carry the channel)."""
    # status_change's text id cast to the dossier's integer key, not the key to text: the dossier is then looked up
    # by its primary key for each history row of the days (SQLite otherwise scanned every dossier first)
    as_text = isinstance(dossier_id.type, String)
    stmt = stmt.join(Dossier, Dossier.id == (cast(dossier_id, Integer) if as_text else dossier_id))
    if scope.channel or dims:
        stmt = stmt.join(HoldTicket, HoldTicket.id == Dossier.ticket_id)
    return scope.apply(stmt, at=at, region=Dossier.region_id, channel=HoldTicket.channel, sim=Dossier.sim_type)
