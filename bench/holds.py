"""Holds under load, through ``portal.holds.services.hold_numbers`` (each call in its own app context and session).

    .venv/bin/python -m bench.holds --engine postgres
    .venv/bin/python -m bench.holds --engine sqlite

(a) race: ``--racers`` threads (default 100) released together by a barrier all hold the same
    available number and commit: exactly one ticket must hold it, the others get ``Conflict``.
(b) throughput: ``--processes`` worker processes × ``--threads`` threads (default 2 × 4 and 2 × 8) hold
    distinct available numbers (one each, hold + commit, as a request does) for ``--seconds`` (10);
    ``--runs`` (3) runs per configuration, the median is reported.

Needs the inventory of ``bench.inventory``. Every ticket the benchmark makes has channel
``bench``; before and after each run those tickets are deleted and their numbers made available
again, so reruns start from the same inventory (their audit entries stay: the log is append-only).
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import statistics
import threading
import time
from collections import Counter

from bench.common import (
    SEED,
    add_common_args,
    database_url,
    engine_version,
    label,
    machine_facts,
    make_app,
    replace_section,
)

CHANNEL = "bench"
CUSTOMER = "0912345678"


def _engine_options(url: str, connections: int) -> dict:
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": connections, "max_overflow": 0, "pool_timeout": 120,
                                         "pool_pre_ping": not url.startswith("sqlite")}}


def hold_one(number: str) -> str:
    """One request's worth of work: hold, commit; returns "ok", "conflict" or the error's name."""
    from portal.core.errors import Conflict
    from portal.core.sqlite import writing
    from portal.extensions import db
    from portal.holds.services import hold_numbers

    try:
        with writing():  # what the app does for a POST on SQLite (BEGIN IMMEDIATE); nothing on PostgreSQL
            hold_numbers([number], CUSTOMER, "physical", CHANNEL)
            db.session.commit()
        return "ok"
    except Conflict:
        db.session.rollback()
        return "conflict"
    except Exception as exc:  # counted and reported, never hidden
        db.session.rollback()
        return type(exc).__name__


def cleanup() -> int:
    """Delete the benchmark's tickets and give their numbers back; returns how many tickets there were."""
    from sqlalchemy import String as Str
    from sqlalchemy import delete, func, select, update

    from portal.core.models import StatusChange
    from portal.core.sqlite import writing
    from portal.extensions import db
    from portal.holds.models import HoldLine, HoldTicket
    from portal.numbers.models import NumberStatus, PhoneNumber

    ours = select(HoldTicket.id).where(HoldTicket.channel == CHANNEL)
    with writing():
        n = db.session.scalar(select(func.count()).select_from(ours.subquery())) or 0
        db.session.execute(update(PhoneNumber).where(PhoneNumber.hold_ticket_id.in_(ours))
                           .values(status=NumberStatus.AVAILABLE, hold_ticket_id=None))
        db.session.execute(delete(HoldLine).where(HoldLine.ticket_id.in_(ours)))
        db.session.execute(delete(StatusChange).where(
            StatusChange.object_type == "hold_ticket",
            StatusChange.object_id.in_(select(func.cast(HoldTicket.id, Str)).where(HoldTicket.channel == CHANNEL))))
        db.session.execute(delete(HoldTicket).where(HoldTicket.channel == CHANNEL))
        db.session.commit()
    return n


def _vacuum(db) -> None:
    """PostgreSQL: the runs leave ~10,000 dead row versions per configuration in phone_number and its
    indexes; without a VACUUM the next search benchmark pays for them (index-only scans fall back to the heap)."""
    from sqlalchemy import text

    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE phone_number, hold_ticket, hold_line, status_change"))


def _available(n: int, seed: int) -> list[str]:
    """``n`` available numbers spread over the inventory (random ids, fixed seed)."""
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.numbers.models import NumberStatus, PhoneNumber

    top = db.session.scalar(select(func.max(PhoneNumber.id))) or 0
    rng = random.Random(seed)
    ids = rng.sample(range(1, top + 1), min(top, n * 2))
    found: list[str] = []
    for start in range(0, len(ids), 5_000):
        found += db.session.scalars(select(PhoneNumber.number).where(
            PhoneNumber.id.in_(ids[start:start + 5_000]), PhoneNumber.status == NumberStatus.AVAILABLE)).all()
        if len(found) >= n:
            break
    rng.shuffle(found)
    return found[:n]


def race(app, racers: int) -> dict:
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.holds.models import HoldLine, HoldStatus, HoldTicket
    from portal.numbers.models import PhoneNumber

    with app.app_context():
        cleanup()
        number = _available(1, SEED + 1)[0]
    barrier = threading.Barrier(racers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def racer() -> None:
        with app.app_context():
            barrier.wait()
            outcome = hold_one(number)
            db.session.remove()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=racer) for _ in range(racers)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    with app.app_context():
        tickets = db.session.scalar(select(func.count()).select_from(HoldTicket).join(HoldLine).where(
            HoldLine.number == number, HoldTicket.status == HoldStatus.ACTIVE)) or 0
        row = db.session.scalar(select(PhoneNumber).where(PhoneNumber.number == number))
        holder = row.hold_ticket_id
        status = row.status.value
        cleanup()
        db.session.remove()
    return {"number": number, "outcomes": Counter(outcomes), "tickets": tickets, "status": status,
            "holder": holder, "seconds": elapsed}


def _worker(url: str, threads: int, numbers: list[str], start_at, ready, results) -> None:
    """A process of the throughput run: ``threads`` threads, each holding its share of ``numbers``."""
    app = make_app(url, **_engine_options(url, threads))
    shares = [numbers[i::threads] for i in range(threads)]
    counts = Counter()
    lock = threading.Lock()

    def loop(share: list[str], deadline_box: list[float]) -> None:
        from portal.extensions import db

        mine = Counter()
        with app.app_context():  # warm the connection before the clock starts
            db.session.connection()
            db.session.rollback()
            db.session.remove()
        barrier.wait()
        for number in share:
            if time.time() >= deadline_box[0]:
                break
            with app.app_context():
                mine[hold_one(number)] += 1
                db.session.remove()
        else:
            mine["ran_out_of_numbers"] += 1
        with lock:
            counts.update(mine)
            ended[0] = max(ended[0], time.time())

    barrier = threading.Barrier(threads + 1)
    deadline_box, ended = [0.0], [0.0]
    workers = [threading.Thread(target=loop, args=(share, deadline_box)) for share in shares]
    for w in workers:
        w.start()
    ready.put(1)
    begin, deadline_box[0] = start_at.get()  # the parent's common start and deadline (wall clock)
    time.sleep(max(0.0, begin - time.time()))
    barrier.wait()
    for w in workers:
        w.join()
    results.put((dict(counts), ended[0]))


def throughput(url: str, processes: int, threads: int, seconds: float, app) -> dict:
    """Holds per second of ``processes`` × ``threads`` workers holding distinct numbers for ``seconds``."""
    with app.app_context():
        from portal.extensions import db

        cleanup()
        # 1,000 numbers per thread: more than a thread holds in 10 s here ("ran_out_of_numbers" says otherwise).
        numbers = _available(processes * threads * 1_000, SEED + threads * 1000 + processes)
        db.session.remove()
    ctx = mp.get_context("spawn")
    start_at, ready, results = ctx.Queue(), ctx.Queue(), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(url, threads, numbers[p::processes], start_at, ready, results))
             for p in range(processes)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=120)
    begin = time.time() + 1.0
    for _ in procs:
        start_at.put((begin, begin + seconds))
    totals, finished = Counter(), begin
    for _ in procs:
        counts, ended = results.get(timeout=seconds + 300)
        totals.update(counts)
        finished = max(finished, ended)
    for p in procs:
        p.join()
    with app.app_context():
        from portal.extensions import db

        made = cleanup()
        db.session.remove()
    # The last holds of each thread may end a little after the deadline: divide by the time actually taken.
    elapsed = max(seconds, finished - begin)
    return {"holds": totals.get("ok", 0), "tickets": made, "per_second": totals.get("ok", 0) / elapsed,
            "outcomes": dict(totals), "elapsed": elapsed}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(parser)
    parser.add_argument("--racers", type=int, default=100)
    parser.add_argument("--race-connections", type=int, default=40,
                        help="connection pool of the race (PostgreSQL's max_connections is shared; default 40)")
    parser.add_argument("--configs", default="2x4,2x8", help="processes x threads, comma separated")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args(argv)
    url = database_url(args)
    connections = args.racers if url.startswith("sqlite") else min(args.racers, args.race_connections)
    app = make_app(url, **_engine_options(url, connections))
    with app.app_context():
        from portal.extensions import db

        version = engine_version(db)
        db.session.remove()
    facts = machine_facts()
    lines = [f"**{version}, {args.count:,} numbers**, {facts}.", ""]

    r = race(app, args.racers)
    verdict = "yes" if r["tickets"] == 1 and r["outcomes"].get("ok") == 1 else "**NO**"
    print(f"race: {r}", flush=True)
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(r["outcomes"].items()))
    lines += [f"- Race: {args.racers} threads (pool of {connections} connections) hold {r['number']} at once: "
              f"{outcomes}; active tickets holding it: **{r['tickets']}** (exactly one: {verdict}); "
              f"number status {r['status']}; all done in {r['seconds']:.2f} s.", ""]

    lines += ["| processes × threads | runs (holds/s) | median holds/s | ≥ 200/s | outcomes of the median run |",
              "|---|---|---:|---|---|"]
    for config in args.configs.split(","):
        processes, threads = (int(x) for x in config.lower().split("x"))
        runs = [throughput(url, processes, threads, args.seconds, app) for _ in range(args.runs)]
        for run in runs:
            print(f"{config}: {run}", flush=True)
        rates = [run["per_second"] for run in runs]
        median = statistics.median(rates)
        mid = sorted(runs, key=lambda run: run["per_second"])[len(runs) // 2]
        verdict = "yes" if median >= 200 else "**NO**"
        lines.append(f"| {processes} × {threads} | {', '.join(f'{x:.0f}' for x in rates)} | {median:.0f} | "
                     f"{verdict} | {mid['outcomes']} |")
        print(lines[-1], flush=True)
    with app.app_context():
        from portal.extensions import db

        db.session.remove()
        _vacuum(db)
        db.engine.dispose()
    body = "\n".join(lines)
    print("\n" + body)
    if not args.no_readme:
        replace_section(f"holds-{args.engine}-{label(args.count)}", body)


if __name__ == "__main__":
    main()
