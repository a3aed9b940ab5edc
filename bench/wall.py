"""What one push of the supervisors' wall costs the database (docs/wall.md): the figures of every region read once.

    .venv/bin/python -m bench.wall --engine sqlite     # /tmp/bench-data/bench-wall-200000.db
    .venv/bin/python -m bench.wall --engine postgres   # database bench_wall (--database to change)

Builds (once; ``--rebuild`` to start again) the review queue benchmark's 200,000 dossiers (bench/review_queue.py:
6 % waiting for review, 3 % approved), one mSale submission per dossier that reached mSale (approved ones spread
over the last two hours, a twentieth of them failed), 100,000 calls over 180 days of which 200 are waiting, and
300 agents with a desk presence (some of them in a call or its wrap-up); then ANALYZE. Times
``portal.wall.figures.read_figures()`` — the six queries every push reads (calls waiting, agents by state, review
queue, stuck and failed at mSale, the regions) plus RQ's failed registries — and cutting the ten rooms' snapshots
from it.
"""
from __future__ import annotations

import argparse
import os
import random
import time
from datetime import timedelta

os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")

from bench import common  # noqa: E402
from bench.orders import _analyze  # noqa: E402
from bench.review_queue import _staff  # noqa: E402
from bench.review_queue import build as build_dossiers  # noqa: E402

CALLS = 100_000
WAITING_CALLS = 200
AGENTS = 300
WARMUP = 5


COUNT = 200_000  # dossiers, as the review queue's benchmark
SQLITE = common.DEFAULT_DATA_DIR / f"bench-wall-{COUNT}.db"


def database_url(engine: str, database: str) -> str:
    if engine == "sqlite":
        return f"sqlite:///{SQLITE}"
    return f"postgresql+psycopg://{common.PG_USER}@{common.PG_HOST}:5432/{database}"


def build_rest(db, count: int) -> None:
    """Agents and their presence, calls, mSale submissions, on top of the dossiers."""
    from sqlalchemy import insert, select

    from portal.auth.models import Staff
    from portal.calls.models import AgentPresence, Call
    from portal.connections.models import MsaleSubmission
    from portal.core.time import utcnow
    from portal.dossiers.models import Dossier

    rng = random.Random(common.SEED + 1)
    now = utcnow()
    agents = [{"id": 1_000_000 + i, "username": f"bench_wall_vc{i}", "full_name": f"VC {i}", "password_hash": "-",
               "role": "agent", "region_id": 1 + i % 9, "status": "active"} for i in range(AGENTS)]
    db.session.execute(insert(Staff), agents)
    calls, presence = [], []
    for i in range(CALLS):
        region = rng.choice((1, 1, 2, 2, 2, 3, 4, 5, 6, 7, 8, 9))
        requested = now - timedelta(seconds=int((CALLS - i) * 180 * 86400 / CALLS))
        calls.append({"id": i + 1, "dossier_id": rng.randrange(1, count + 1), "region_id": region,
                      "home_region_id": region, "status": "ended", "requested_at": requested,
                      "answered_at": requested + timedelta(seconds=40), "ended_at": requested + timedelta(minutes=4),
                      "outcome": "passed", "channel": "web"})
    live = rng.sample(range(count), WAITING_CALLS + AGENTS // 5)  # one live call per dossier
    for n, dossier in enumerate(live[:WAITING_CALLS]):
        region = 1 + n % 9
        calls.append({"id": CALLS + n + 1, "dossier_id": dossier + 1, "region_id": region, "home_region_id": region,
                      "status": rng.choice(("queued", "queued", "ringing")), "channel": "web",
                      "requested_at": now - timedelta(seconds=rng.randrange(600))})
    for n, agent in enumerate(agents):
        state = rng.choice(("available", "paused", "offline", "offline", "in_call", "wrap_up"))
        call_id = None
        if state in ("in_call", "wrap_up"):
            call_id = CALLS + WAITING_CALLS + n + 1
            calls.append({"id": call_id, "dossier_id": live[WAITING_CALLS + n % (AGENTS // 5)] + 1
                          if state == "in_call" else rng.randrange(1, count + 1),
                          "region_id": agent["region_id"], "home_region_id": agent["region_id"],
                          "status": "connected" if state == "in_call" else "ended", "agent_id": agent["id"],
                          "requested_at": now - timedelta(minutes=5), "channel": "web"})
        presence.append({"staff_id": agent["id"], "region_id": agent["region_id"],
                         "status": {"paused": "paused", "offline": "offline"}.get(state, "available"),
                         "since": now, "wrap_up_call_id": call_id if state == "wrap_up" else None})
    # One live call per dossier: keep the first connected call of each dossier only.
    seen: set[int] = set()
    live_calls = []
    for call in calls:
        if call["status"] in ("queued", "ringing", "connected"):
            if call["dossier_id"] in seen:
                call["status"] = "ended"
            seen.add(call["dossier_id"])
        live_calls.append(call)
    for base in range(0, len(live_calls), 10_000):
        db.session.execute(insert(Call), live_calls[base:base + 10_000])
    db.session.execute(insert(AgentPresence), presence)
    rows = db.session.execute(select(Dossier.id, Dossier.status).where(
        Dossier.status.in_(("approved", "qr_issued", "connected", "connection_refused")))).all()
    submissions = []
    for dossier_id, status in rows:
        waiting = status == "approved"
        submissions.append({
            "dossier_id": dossier_id, "attempt": 1, "idempotency_key": f"dossier-{dossier_id}-1",
            "status": ("failed" if rng.random() < 0.05 else "accepted") if waiting else
            "refused" if status == "connection_refused" else "connected",
            "created_at": now - timedelta(seconds=rng.randrange(7200)) if waiting else now - timedelta(days=30)})
    for base in range(0, len(submissions), 10_000):
        db.session.execute(insert(MsaleSubmission), submissions[base:base + 10_000])
    db.session.commit()
    print(f"    {AGENTS} agents, {len(live_calls):,} calls, {len(submissions):,} mSale submissions", flush=True)


def prepare(args):
    """The app on the wall's benchmark database, built the first time (or again with ``--rebuild``)."""
    from sqlalchemy import func, select

    from portal.core.roles import Role
    from portal.dossiers.models import Dossier
    from portal.extensions import db

    app = common.open_bench_app(database_url(args.engine, args.database), args.engine, SQLITE, args.rebuild)
    with app.app_context():
        built = db.session.scalar(select(func.count()).select_from(Dossier))
        if not built:
            print(f"==> building {COUNT:,} dossiers, their calls, agents and mSale pushes", flush=True)
            build_dossiers(db, COUNT, [_staff(db, "bench_wall_dn1", Role.CONNECTION, 1)])
            build_rest(db, COUNT)
            _analyze(db)
        elif built != COUNT:
            raise SystemExit(f"the database holds {built} dossiers, not {COUNT}: use --rebuild")
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--database", default="bench_wall", help="PostgreSQL database (default bench_wall)")
    parser.add_argument("--runs", type=int, default=100, help="reads timed, after five unmeasured")
    parser.add_argument("--rebuild", action="store_true", help="build the data again")
    parser.add_argument("--no-readme", action="store_true", help="print only")
    args = parser.parse_args(argv)

    from portal.extensions import db
    from portal.wall.figures import read_figures, snapshot

    app = prepare(args)
    facts = common.machine_facts()
    wall, cpu = [], []
    with app.app_context():
        version = common.engine_version(db)
        for n in range(WARMUP + args.runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            figures = read_figures()
            rooms = [snapshot(figures, region) for region in range(10)]
            elapsed, elapsed_cpu = (time.perf_counter() - started) * 1000, (time.process_time() - started_cpu) * 1000
            db.session.rollback()
            if n >= WARMUP:
                wall.append(elapsed)
                cpu.append(elapsed_cpu)
        total = rooms[0]["total"]
    s, c, ms = common.summary(wall), common.summary(cpu), common.ms
    print(f"read the figures + 10 snapshots: median {ms(s['median'])} ms  p95 {ms(s['p95'])} ms  "
          f"max {ms(s['max'])} ms  (CPU p95 {ms(c['p95'])} ms)")
    print(f"head office sees: {total['calls']['waiting']} calls waiting, {total['review']['waiting']} dossiers "
          f"waiting for review, {total['msale']['stuck']} stuck at mSale, {total['breaches']} SLA breaches")
    if args.no_readme:
        return
    body = [f"**{args.engine}** ({version}), {COUNT:,} dossiers; {facts}.", "",
            "| what | median ms | p95 ms | max ms | CPU p95 ms |", "|---|---:|---:|---:|---:|",
            f"| `read_figures()` + the ten rooms' snapshots | {ms(s['median'])} | {ms(s['p95'])} | {ms(s['max'])} "
            f"| {ms(c['p95'])} |", "",
            f"{args.runs} reads after {WARMUP} warm-up; the wall it read: {total['calls']['waiting']} calls "
            f"waiting, {total['review']['waiting']} dossiers waiting for review, {total['msale']['stuck']} stuck at "
            f"mSale, {total['breaches']} SLA breaches."]
    common.replace_section(f"wall-{args.engine}", "\n".join(body))


if __name__ == "__main__":
    main()
