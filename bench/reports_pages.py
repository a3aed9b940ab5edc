"""The measuring half of bench.reports: report pages (p50/p95 beside a same-run ``SELECT count(*)``) and exports
(rows/s, growth of the resident memory while streaming)."""
from __future__ import annotations

import os
import re
import time
from datetime import timedelta
from pathlib import Path

from bench.common import engine_version, ms, staff_id, summary

# The table each report mostly reads: the baseline counts it in the same loop.
MAIN_TABLE = {"shipping": "customer_order", "promotions": "customer_order", "partners": "hold_ticket",
              "msale": "msale_submissions", "funnel": "hold_ticket", "video-desk": "call",
              "review-queue": "dossier_review_decision"}


def _sign_in(app, username: str, region: int):
    from bench.reports import PASSWORD
    from portal.core.roles import Role
    from portal.extensions import db

    with app.app_context():
        staff_id(db, PASSWORD, username, Role.SUPERVISOR, region)
    client = app.test_client()
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.status_code
    return client


def _rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20


def _baseline(app, table: str) -> float:
    from sqlalchemy import text

    from portal.extensions import db

    with app.app_context():
        started = time.perf_counter()
        db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608 - a fixed table name
        elapsed = (time.perf_counter() - started) * 1000
        db.session.remove()
    return elapsed


def measure_page(app, client, path: str, params: dict, table: str, runs: int, warmup: int) -> tuple[dict, dict]:
    wall, base = [], []
    for n in range(warmup + runs):
        started = time.perf_counter()
        response = client.get(path, query_string=params)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (path, params, response.status_code)
        b = _baseline(app, table)
        if n >= warmup:
            wall.append(elapsed)
            base.append(b)
    return summary(wall), summary(base)


def measure_export(client, path: str, params: dict) -> dict:
    """Stream one export to nowhere; rows counted from the CSV lines (XLSX: the caller gives the CSV's count)."""
    rss0 = peak = _rss_mb()
    started = time.perf_counter()
    response = client.get(path, query_string=params, buffered=False)
    assert response.status_code == 200, (path, response.status_code)
    size = lines = 0
    for n, chunk in enumerate(response.response):
        size += len(chunk)
        if path.endswith(".csv"):
            lines += chunk.count(b"\n")
        if n % 50 == 0:
            peak = max(peak, _rss_mb())
    response.close()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "bytes": size, "rows": max(0, lines - 1), "rss_growth": max(peak, _rss_mb()) - rss0}


def measure_rows(app, slug: str, days: int) -> float:
    """The report's export rows alone (no writer, no HTTP), head office over ``days`` days: the ceiling of its
    exports' rows/s on this data and machine."""
    from portal.core.time import vietnam_today
    from portal.reports.base import REPORTS
    from portal.reports.export import export_rows
    from portal.reports.filters import Scope

    today = vietnam_today()
    with app.app_context():
        started = time.perf_counter()
        count = sum(1 for _ in export_rows(REPORTS[slug].rows, Scope(today - timedelta(days=days - 1), today)))
        return count / (time.perf_counter() - started)


def run(app, args, facts: str) -> list[str]:
    from portal.core.time import vietnam_today
    from portal.extensions import db
    from portal.reports.base import all_reports

    with app.app_context():
        version = engine_version(db)
        slugs = [r.slug for r in all_reports()]
    if args.reports:
        slugs = [s for s in slugs if s in args.reports.split(",")]
    today = vietnam_today()
    year = {"date_from": (today - timedelta(days=364)).isoformat(), "date_to": today.isoformat()}
    viewers = {"head office": _sign_in(app, "bench_rp_ho", 0), "CTKV1": _sign_in(app, "bench_rp_1", 1)}
    body = [f"**{version}**, {args.count:,} orders and dossiers — {facts}"]
    if not args.no_pages:
        body += ["", *_pages(app, args, slugs, viewers, year)]
    if args.no_exports:
        return body
    body += ["", "Exports, head office, 365 days (streamed through the test client, read to the end; beside them the "
             "report's rows alone, read without a writer or HTTP: the most its exports can reach; the load average "
             "over the last minute when the row was done):", "",
             "| report | format | rows | seconds | rows/s | MB | RSS growth MB | rows alone rows/s | load |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    slowest = None
    for slug in [s for s in slugs if not args.export_reports or s in args.export_reports.split(",")]:
        rows, lines = None, []
        for fmt in ("csv", "xlsx"):
            if fmt == "xlsx" and args.no_xlsx:
                continue
            e = measure_export(viewers["head office"], f"/reports/{slug}.{fmt}", year)
            rows = e["rows"] if fmt == "csv" else rows
            rate = (rows or 0) / e["seconds"] if e["seconds"] else 0
            slowest = rate if slowest is None else min(slowest, rate)
            lines.append((f"| {slug} | {fmt} | {rows:,} | {e['seconds']:.1f} | {rate:,.0f} | "
                          f"{e['bytes'] / 2**20:.0f} | {e['rss_growth']:.0f} |", f"{os.getloadavg()[0]:.1f} |"))
        alone = measure_rows(app, slug, 365)  # after the exports, so with the same warm cache as the second
        body += [f"{line} {alone:,.0f} | {load}" for line, load in lines]
        print(*body[-len(lines):], sep="\n", flush=True)
    if slowest is not None:
        body += ["", f"Slowest export: **{slowest:,.0f} rows/s** (target ≥ 20,000: "
                 f"{'met' if slowest >= 20_000 else 'NOT met'})."]
    return body


def _pages(app, args, slugs: list[str], viewers: dict, year: dict) -> list[str]:
    body = ["| report | viewer | range | median ms | p95 ms | baseline `count(*)` median ms |",
            "|---|---|---|---:|---:|---:|"]
    worst = 0.0
    for slug in slugs:
        table = MAIN_TABLE.get(slug, "customer_order")
        for viewer, client in viewers.items():
            for label, params in (("30 days", {}), ("365 days", year),
                                  ("365 days, partner channels, eSIM", {**year, "channel": "partner", "sim": "esim"})):
                page, base = measure_page(app, client, f"/reports/{slug}", params, table, args.runs, args.warmup)
                worst = max(worst, page["p95"])
                body.append(f"| {slug} | {viewer} | {label} | {ms(page['median'])} | {ms(page['p95'])} | "
                            f"{ms(base['median'])} |")
                print(body[-1], flush=True)
    body += ["", f"Worst page p95: **{ms(worst)} ms** (target ≤ 1000 ms: {'met' if worst <= 1000 else 'NOT met'}). "
             f"{args.runs} requests per row after {args.warmup} warm-up; the baseline is a bare `SELECT count(*)` "
             "over the report's main table, run right after each request."]
    return body
