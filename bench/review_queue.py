"""The connection team's review queue with 200,000 dossiers (issue 13, "Figures"): the first page of every tab.

    .venv/bin/python -m bench.review_queue --engine sqlite     # /tmp/bench-data/bench-review-200000.db
    .venv/bin/python -m bench.review_queue --engine postgres   # database test_review (--database to change)

Builds (once; ``--rebuild`` to start again) 200,000 dossiers with their hold tickets by bulk INSERT through the
real migrations, ANALYZE (VACUUM ANALYZE on PostgreSQL), then times ``GET /review/?tab=<tab>`` — the whole page:
access and region scoping, the five counts, the tab's first 50 rows with their tickets, the ages, the
claim holders, the template — through the Flask test client for a head-office supervisor (all regions) and a
CTKV1 connection-team member, plus a search by hold code and an eSIM filter. Target: p95 ≤ 100 ms.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import time
from datetime import date, timedelta

os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")

from bench.common import (  # noqa: E402
    DEFAULT_DATA_DIR,
    PG_HOST,
    PG_USER,
    SEED,
    engine_version,
    machine_facts,
    ms,
    open_bench_app,
    page_table,
    replace_section,
    staff_id,
    summary,
)
from bench.orders import _analyze, _code  # noqa: E402

PASSWORD = "bench-review-password"  # noqa: S105 - a throwaway benchmark database
TABS = ("new", "mine", "msale", "rejected", "done")
# status: share of dossiers — most are long connected; a day's work waits in the queue.
STATUS_MIX = [("draft", 8), ("ready_for_call", 4), ("verified", 2), ("abandoned", 6), ("submitted", 6),
              ("approved", 3), ("qr_issued", 1), ("rejected", 4), ("redo", 2), ("connection_refused", 2),
              ("connected", 62)]


def database_url(args) -> str:
    if args.engine == "sqlite":
        return f"sqlite:///{args.data_dir / f'bench-review-{args.count}.db'}"
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:5432/{args.database}"


def build(db, count: int, reviewer_ids: list[int]) -> float:
    """Bulk-insert ``count`` dossiers (one hold ticket each) over 180 days and nine regions; a tenth of the
    waiting ones claimed by the region's reviewers."""
    from sqlalchemy import insert

    from portal.core.time import utcnow
    from portal.dossiers.models import Dossier
    from portal.holds.models import HoldTicket

    rng = random.Random(SEED)
    statuses = [s for s, w in STATUS_MIX for _ in range(w)]
    now = utcnow()
    started = time.perf_counter()
    chunk = 10_000
    for base in range(0, count, chunk):
        tickets, dossiers = [], []
        for i in range(base, min(base + chunk, count)):
            created = now - timedelta(seconds=int((count - i) * 180 * 86400 / count))
            region = rng.choice((1, 1, 2, 2, 2, 3, 4, 5, 6, 7, 8, 9))
            sim = "esim" if rng.random() < 0.2 else "physical"
            status = rng.choice(statuses)
            phone = f"09{rng.randrange(10**8):08d}"
            channel = "web" if rng.random() < 0.7 else "app" if rng.random() < 0.5 else "partner:7"
            submitted = status not in ("draft", "ready_for_call", "verified", "abandoned")
            submitted_at = created + timedelta(hours=1) if submitted else None
            if status == "submitted":  # the queue: submitted within the last two hours
                submitted_at = now - timedelta(seconds=rng.randrange(7200))
            claimed = status == "submitted" and region == 1 and rng.random() < 0.1
            tickets.append({"id": i + 1, "hold_code": _code(i * 7919 + 13), "customer_phone": phone,
                            "channel": channel, "sim_type": sim, "status": "paid", "region_id": region,
                            "amount": 500_000, "request_fingerprint": "", "created_at": created,
                            "expires_at": created + timedelta(minutes=30)})
            dossiers.append({
                "id": i + 1, "ticket_id": i + 1, "region_id": region, "sim_type": sim, "status": status,
                "full_name": "Nguyễn Văn An", "id_type": "cccd", "id_number": f"{rng.randrange(10**12):012d}",
                "birth_date": date(1990, 1, 2), "gender": "male", "address": "12 Lý Thường Kiệt",
                "ward": "Phường Cửa Nam", "district": "Hoàn Kiếm", "province": "Hà Nội", "email": "",
                "contact_phone": phone, "last_reason": "", "created_at": created,
                "updated_at": submitted_at or created, "submitted_at": submitted_at,
                "submissions": 1 if submitted else 0, "reject_code": "", "redo_parts": [],
                "reviewer_id": rng.choice(reviewer_ids) if claimed else None,
                "review_active_at": now if claimed else None,
            })
        db.session.execute(insert(HoldTicket), tickets)
        db.session.execute(insert(Dossier), dossiers)
        db.session.commit()
        print(f"    {min(base + chunk, count):,} dossiers", flush=True)
    return time.perf_counter() - started



def prepare(args):
    from sqlalchemy import func, select, text

    from portal.core.roles import Role
    from portal.dossiers.models import Dossier
    from portal.extensions import db

    app = open_bench_app(database_url(args), args.engine, args.data_dir / f"bench-review-{args.count}.db",
                         args.rebuild)
    with app.app_context():
        reviewers = [staff_id(db, PASSWORD, f"bench_rv{i}", Role.CONNECTION, 1) for i in range(1, 4)]
        have = db.session.scalar(select(func.count()).select_from(Dossier))
        if have != args.count:
            if have:
                raise SystemExit(f"the database holds {have} dossiers, not {args.count}: use --rebuild")
            print(f"==> building {args.count:,} dossiers", flush=True)
            seconds = build(db, args.count, reviewers)
            print(f"    built in {seconds:.0f} s; analysing", flush=True)
            _analyze(db)
            if db.engine.dialect.name == "postgresql":
                with db.engine.begin() as conn:
                    conn.execute(text("SELECT setval('dossier_id_seq', (SELECT max(id) FROM dossier))"))
    return app


def _sign_in(app, username: str, role, region: int):
    from portal.extensions import db

    with app.app_context():
        staff_id(db, PASSWORD, username, role, region)
    client = app.test_client()
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.status_code
    return client


def measure(client, params: dict, runs: int, warmup: int) -> dict:
    """Wall time and this process's CPU time per request: on a machine shared by several engineers the wall time
    mostly measures the wait for a core; the CPU time is the page's own cost."""
    wall, cpu = [], []
    for n in range(warmup + runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get("/review/", query_string=params)
        elapsed, elapsed_cpu = (time.perf_counter() - started) * 1000, (time.process_time() - started_cpu) * 1000
        assert response.status_code == 200, (params, response.status_code)
        if n >= warmup:
            wall.append(elapsed)
            cpu.append(elapsed_cpu)
    return {**summary(wall), "cpu": summary(cpu)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--data-dir", type=type(DEFAULT_DATA_DIR), default=DEFAULT_DATA_DIR)
    parser.add_argument("--database", default="test_review", help="PostgreSQL database (default test_review)")
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args(argv)

    from portal.core.roles import Role
    from portal.extensions import db

    app = prepare(args)
    facts = machine_facts()
    with app.app_context():
        version = engine_version(db)
        code = _code(1234 * 7919 + 13)
    viewers = {"head office (all regions)": _sign_in(app, "bench_rv_ho", Role.SUPERVISOR, 0),
               "CTKV1 connection": _sign_in(app, "bench_rv1", Role.CONNECTION, 1)}
    rows = []
    for viewer, client in viewers.items():
        for tab in TABS:
            s = measure(client, {"tab": tab}, args.runs, args.warmup)
            rows.append((viewer, f"tab {tab}", s))
            print(f"{viewer:<26} tab {tab:<10} median {ms(s['median'])} ms  p95 {ms(s['p95'])} ms  "
                  f"CPU p95 {ms(s['cpu']['p95'])} ms", flush=True)
        for label, params in (("search by hold code", {"tab": "done", "q": code}),
                              ("eSIM, new", {"tab": "new", "sim": "esim"})):
            s = measure(client, params, args.runs, args.warmup)
            rows.append((viewer, label, s))
            print(f"{viewer:<26} {label:<19} median {ms(s['median'])} ms  p95 {ms(s['p95'])} ms  "
                  f"CPU p95 {ms(s['cpu']['p95'])} ms", flush=True)
    body = page_table(f"**{version}**, {args.count:,} dossiers — {facts}", rows, args.runs, args.warmup)
    cpu_worst = max(s["cpu"]["p95"] for _v, label, s in rows if label.startswith("tab"))
    body += ["", "CPU time of the request in this process (the page's own work, without the wait for a core):",
             "", "| viewer | page | CPU median ms | CPU p95 ms |", "|---|---|---:|---:|"]
    body += [f"| {v} | {label} | {ms(s['cpu']['median'])} | {ms(s['cpu']['p95'])} |" for v, label, s in rows]
    body += ["", f"Worst CPU p95 of a tab's first page: **{ms(cpu_worst)} ms**."]
    print("\n".join(body))
    if not args.no_readme:
        replace_section(f"review-{args.engine}", "\n".join(body))


if __name__ == "__main__":
    main()
