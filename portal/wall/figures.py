"""What the wall shows, read from each domain's query module: per region, the calls waiting and the longest wait,
the agents by state, the dossiers waiting for review and the oldest, the dossiers stuck at mSale; across the system,
the failed jobs; and the SLA breaches (docs/wall.md, "SLA breaches"):

* a call waiting for an agent longer than CALL_ANSWER_TARGET_SECONDS;
* a dossier waiting for review longer than REVIEW_TARGET_MINUTES;
* a dossier waiting on mSale longer than MSALE_FLAG_MINUTES (its turnaround: what /msale/ flags).

``read_figures`` is one set of grouped COUNT/MIN queries for every region at once (no rows fetched), as JSON-able
data that every room's snapshot is cut from (``snapshot``): a regional room gets its own region only, head office
the totals and the per-region breakdown.
"""
from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Any

from flask import current_app

from portal.calls.queries import AGENT_STATES, agents_by_region, waiting_by_region
from portal.connections.queries import failed_by_region, stuck_by_region
from portal.core.backlog import Backlog
from portal.core.jobs import failed_summary
from portal.core.roles import HEAD_OFFICE
from portal.core.time import utcnow
from portal.dossiers.review_queries import queue_by_region
from portal.org.services import regions


def iso(at: datetime | None) -> str | None:
    """Naive UTC as ISO 8601 with its Z, for the page's clock (which ticks the ages)."""
    return at.replace(microsecond=0).isoformat() + "Z" if at is not None else None


def short_name(name: str) -> str:
    """"Công ty Dịch vụ MobiFone Khu vực 1 (Hà Nội)" → "Hà Nội": what a wall across the room has space for."""
    found = re.search(r"\(([^)]+)\)\s*$", name)
    return found.group(1) if found else name


def _queue(b: Backlog, count: str) -> dict[str, Any]:
    return {count: b.waiting, "oldest": iso(b.oldest), "over": b.overdue}


def _empty() -> dict[str, Any]:
    return {"calls": {"waiting": 0, "oldest": None, "over": 0}, "agents": dict.fromkeys(AGENT_STATES, 0),
            "review": {"waiting": 0, "oldest": None, "over": 0},
            "msale": {"stuck": 0, "failed": 0, "oldest": None, "over": 0}, "breaches": 0}


def read_figures(now: datetime | None = None) -> dict[str, Any]:
    """Every region's figures and the failed jobs, as they stand now (JSON-able; cached by ``portal.wall.live``)."""
    now = now or utcnow()
    calls, agents, review = waiting_by_region(now), agents_by_region(), queue_by_region(now)
    stuck, failed = stuck_by_region(now), failed_by_region(now)
    jobs, oldest_job = failed_summary()
    by_region: dict[str, dict[str, Any]] = {}
    for region in regions():
        entry = _empty()
        entry["calls"] = _queue(calls.get(region.id, Backlog()), "waiting")
        entry["agents"].update(agents.get(region.id, {}))
        entry["review"] = _queue(review.get(region.id, Backlog()), "waiting")
        entry["msale"] = {**_queue(stuck.get(region.id, Backlog()), "stuck"), "failed": failed.get(region.id, 0)}
        entry["breaches"] = entry["calls"]["over"] + entry["review"]["over"] + entry["msale"]["over"]
        by_region[str(region.id)] = {"code": region.code, "name": short_name(region.name), **entry}
    return {"computed": time.time(), "at": iso(now), "regions": by_region,
            "failed_jobs": {"count": jobs, "oldest": iso(oldest_job)}}


def _oldest(*values: str | None) -> str | None:
    present = [v for v in values if v]
    return min(present) if present else None  # the same ISO format throughout: text order is time order


def _total(entries: list[dict[str, Any]]) -> dict[str, Any]:
    total = _empty()
    for entry in entries:
        for part in ("calls", "review", "msale", "agents"):
            for key, value in entry[part].items():
                if key == "oldest":
                    total[part][key] = _oldest(total[part][key], value)
                else:
                    total[part][key] += value
        total["breaches"] += entry["breaches"]
    return total


def targets() -> dict[str, int]:
    """The SLA thresholds as the page shows them."""
    config = current_app.config
    return {"call_answer_seconds": config["CALL_ANSWER_TARGET_SECONDS"],
            "review_minutes": config["REVIEW_TARGET_MINUTES"], "msale_minutes": config["MSALE_FLAG_MINUTES"]}


def _region_part(entry: dict[str, Any]) -> dict[str, Any]:
    return {key: entry[key] for key in ("calls", "agents", "review", "msale", "breaches")}


def _busy(entry: dict[str, Any]) -> bool:
    """Anything to show (head office's own row appears only then: its staff serve no region's queue)."""
    agents = sum(n for state, n in entry["agents"].items() if state != "offline")
    return bool(entry["calls"]["waiting"] or entry["review"]["waiting"] or entry["msale"]["stuck"] or agents)


def snapshot(figures: dict[str, Any], region_id: int) -> dict[str, Any]:
    """One room's snapshot: a region's own figures; head office (region 0) the totals and every region's row. ``at``:
    when the figures were read; ``now``: when the snapshot was cut (the page's clock follows the server's)."""
    head_office = region_id == HEAD_OFFICE
    rows = [{"id": int(rid), "code": e["code"], "name": e["name"], **_region_part(e)}
            for rid, e in sorted(figures["regions"].items(), key=lambda item: int(item[0]))
            if head_office and (int(rid) != HEAD_OFFICE or _busy(e))]
    if head_office:
        total = _total([_region_part(e) for e in figures["regions"].values()])
    else:
        total = _region_part(figures["regions"].get(str(region_id)) or _empty())
    now = utcnow().isoformat(timespec="milliseconds") + "Z"  # to the millisecond: the page's clock follows it
    return {"region_id": region_id, "head_office": head_office, "at": figures["at"], "now": now,
            "targets": targets(), "total": total, "regions": rows, "failed_jobs": figures["failed_jobs"]}
