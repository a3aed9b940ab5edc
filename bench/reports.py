"""Supervisor reports with 1,000,000 orders and dossiers (issue 14, "Figures").

    .venv/bin/python -m bench.reports --engine sqlite     # /tmp/bench-data/bench-reports-1000000.db
    .venv/bin/python -m bench.reports --engine postgres   # database bench_reports (--database to change)
    .venv/bin/python -m bench.reports --engine sqlite --build-only
    .venv/bin/python -m bench.reports --engine postgres --no-pages --no-cells   # the exports alone

Builds (once; ``--rebuild`` to start again) the data set of ``bench.reports_data`` through the real migrations,
then ANALYZE (VACUUM ANALYZE on PostgreSQL). Then, for each report under /reports/: the page (GET through the Flask
test client) as a head-office supervisor and as a CTKV1 supervisor, over the default 30 days and over 365 days,
p50/p95 over ``--runs`` requests, beside a same-run baseline (a bare ``SELECT count(*)`` over the report's main
table); and each export (CSV and XLSX) over 365 days for head office: rows/s and the growth of this process's peak
RSS while streaming. Targets: page p95 ≤ 1 s; export ≥ 20,000 rows/s with flat memory.
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")

from bench.common import (  # noqa: E402
    DEFAULT_DATA_DIR,
    PG_HOST,
    PG_USER,
    machine_facts,
    open_bench_app,
    replace_section,
    staff_id,
)

PASSWORD = "bench-reports-password"  # noqa: S105 - a throwaway benchmark database


def database_url(args) -> str:
    if args.engine == "sqlite":
        return f"sqlite:///{args.data_dir / f'bench-reports-{args.count}.db'}"
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:5432/{args.database}"



def _partners(db) -> None:
    from sqlalchemy import func, select

    from portal.partners.models import Partner
    from portal.partners.services import create_partner

    for n in range(db.session.scalar(select(func.count()).select_from(Partner)) or 0, 3):
        create_partner(f"Kênh bench {n + 1}")
        db.session.commit()


def _analyze(db) -> None:
    from sqlalchemy import text

    if db.engine.dialect.name == "sqlite":
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        for table in ("hold_ticket", "customer_order", "payment", "refund", "dossier", "call", "call_offer",
                      "dossier_review_decision", "msale_submissions", "status_change"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT coalesce(max(id), 1) FROM {table}))"))


def prepare(args):
    from sqlalchemy import func, select

    from bench.reports_data import build
    from portal.core.roles import Role
    from portal.extensions import db
    from portal.orders.models import Order

    app = open_bench_app(database_url(args), args.engine, args.data_dir / f"bench-reports-{args.count}.db",
                         args.rebuild)
    with app.app_context():
        agents = [staff_id(db, PASSWORD, f"bench_ag{r}_{n}", Role.AGENT, r) for r in range(1, 10) for n in (1, 2)]
        reviewers = [staff_id(db, PASSWORD, f"bench_cn{r}", Role.CONNECTION, r) for r in range(1, 10)]
        _partners(db)
        have = db.session.scalar(select(func.count()).select_from(Order))
        if have != args.count:
            if have > args.count:
                raise SystemExit(f"the database holds {have} orders, not {args.count}: use --rebuild")
            print(f"==> building {args.count:,} orders and dossiers (from {have + 1:,})", flush=True)
            facts = build(db, args.count, agents, reviewers, start=have + 1)
            print(f"    built: {facts}; analysing", flush=True)
            started = time.perf_counter()
            _analyze(db)
            print(f"    analysed in {time.perf_counter() - started:.0f} s", flush=True)
        only = set(args.reports.split(",")) if args.reports else None
        args.cells_built = [] if args.no_cells else build_cells(db, args.count, only)
    return app


def build_cells(db, count: int, only: set[str] | None = None) -> list[str]:
    """Build the cells of every closed day of the year for each report (``only``: those measured) whose days are not
    all built (what the periodic job does on a running system, here at once); a table row per report built now."""
    from sqlalchemy import func, select

    from portal.reports.base import all_reports
    from portal.reports.cells import closed_days, rebuild
    from portal.reports.filters import MAX_DAYS
    from portal.reports.models import ReportCell, ReportDay

    first, last = closed_days()
    out = []
    for report in all_reports():
        if only is not None and report.slug not in only:
            continue
        built = db.session.scalar(select(func.count()).select_from(ReportDay).where(
            ReportDay.report == report.slug, ReportDay.day >= first, ReportDay.day <= last))
        db.session.rollback()
        if built == MAX_DAYS:
            continue
        print(f"==> building the cells of {report.slug}, {first}..{last}", flush=True)
        started = time.perf_counter()
        rebuild(report, first, last)
        seconds = time.perf_counter() - started
        rows = db.session.scalar(select(func.count()).select_from(ReportCell).where(ReportCell.report == report.slug))
        db.session.rollback()
        out.append(f"| {report.slug} | {MAX_DAYS} | {rows:,} | {seconds:.0f} | {seconds / MAX_DAYS * 1000:.0f} |")
        print(f"    {out[-1]}", flush=True)
    if out:
        out = [f"Cells built for {count:,} orders and dossiers (`portal.reports.cells.rebuild`, as the periodic job "
               "does day by day):", "", "| report | days | cell rows | seconds | ms per day |",
               "|---|---:|---:|---:|---:|", *out]
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--data-dir", type=type(DEFAULT_DATA_DIR), default=DEFAULT_DATA_DIR)
    parser.add_argument("--database", default="bench_reports", help="PostgreSQL database (default bench_reports)")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--no-readme", action="store_true")
    parser.add_argument("--reports", help="comma-separated slugs (default: every report)")
    parser.add_argument("--no-pages", action="store_true",
                        help="measure the exports only (the results go to the block reports-exports-<engine>-<count>)")
    parser.add_argument("--no-exports", action="store_true")
    parser.add_argument("--export-reports", help="comma-separated slugs whose exports run (default: every report)")
    parser.add_argument("--no-xlsx", action="store_true")
    parser.add_argument("--no-cells", action="store_true",
                        help="do not build the reports' missing cells first (pages then compute those days live)")
    args = parser.parse_args(argv)

    app = prepare(args)
    if args.build_only:
        return
    from bench.reports_pages import run

    body = run(app, args, machine_facts())
    if getattr(args, "cells_built", None):
        body += ["", *args.cells_built]
    print("\n".join(body))
    if not args.no_readme:
        kind = "reports-exports" if args.no_pages else "reports"
        replace_section(f"{kind}-{args.engine}-{args.count}", "\n".join(body))

if __name__ == "__main__":
    main()
