"""Work waiting, per region, in one grouped query: how many, since when the oldest, how many past their target.

Live screens (the supervisors' wall, portal/wall) read each domain's queue through that domain's query module; the
domains build their figures with ``by_region`` so that every queue is counted the same way: one ``GROUP BY`` over
an indexed ``(region_id, status, <since>)`` walk, no rows fetched.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import case, func, select

from portal.extensions import db


class Backlog(NamedTuple):
    """One region's queue: items waiting, when the oldest began waiting (naive UTC), items past the target."""

    waiting: int = 0
    oldest: datetime | None = None
    overdue: int = 0


def by_region(region: Any, since: Any, where: Any, due_before: datetime, from_: Any = None) -> dict[int, Backlog]:
    """``{region_id: Backlog}`` of the rows matching ``where``, grouped by ``region``: ``since`` is when each began
    waiting, and a row whose ``since`` is before ``due_before`` is overdue. ``from_``: a join, when ``region`` lives
    on another table than the queue's rows."""
    stmt = select(region, func.count(), func.min(since), func.sum(case((since < due_before, 1), else_=0)))
    if from_ is not None:
        stmt = stmt.select_from(from_)
    stmt = stmt.where(where).group_by(region)
    return {int(r): Backlog(int(n or 0), oldest, int(late or 0)) for r, n, oldest, late in db.session.execute(stmt)}


def merged(*parts: dict[int, Backlog]) -> dict[int, Backlog]:
    """Backlogs of disjoint sets of rows, added up per region (a queue read in two index-friendly queries)."""
    out: dict[int, Backlog] = {}
    for part in parts:
        for region, b in part.items():
            have = out.get(region, Backlog())
            oldest = min((t for t in (have.oldest, b.oldest) if t is not None), default=None)
            out[region] = Backlog(have.waiting + b.waiting, oldest, have.overdue + b.overdue)
    return out
