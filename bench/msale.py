"""mSale push figures (issue 13): 1,000 approved dossiers pushed through the sandbox mSale by 2 RQ workers.

    .venv/bin/python -m bench.msale                      # PostgreSQL, 1,000 dossiers, 2 workers
    .venv/bin/python -m bench.msale --kill               # the same, one worker SIGKILLed mid-run
    .venv/bin/python -m bench.msale --engine sqlite --no-readme

Real processes, as ``make run`` starts them: the portal's web server (``python wsgi.py``, which takes mSale's
signed callbacks), 2 workers (``python worker.py``: RQ with its scheduler and the cron loop that runs the poll), and
the sandbox mSale (``python -m portal.gateways.msale_sandbox``, which connects each dossier ``--delay`` seconds after
it was queued and counts connections per dossier). Redis: 127.0.0.1:6379 db 8 (``BENCH_MSALE_REDIS_URL``), flushed
first; database: PostgreSQL ``bench_msale`` (dropped and created again) or a SQLite file under /tmp/bench-data.

The bench process prepares N dossiers ready for review (their hold tickets through ``holds.services.hold_numbers``,
the dossiers inserted as verified), then approves them all — the same status move and event the review queue's
``approve`` makes, so the listener opens each submission and queues its push after the commit — and watches the
database: "pushed" when every submission is accepted by mSale, "connected" when every dossier is Đã hòa mạng (the
result by callback, or by the poll). With ``--kill``, one worker's process group gets SIGKILL once 40 % are pushed;
the poll (every ``MSALE_POLL_INTERVAL_SECONDS``, here 5) reruns pushes left ``pending`` or ``sent`` for more than
``MSALE_POLL_AFTER_SECONDS`` (here 10), asking mSale by the key first. At the end the sandbox must have exactly N
connections, one per dossier.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.common import DEFAULT_DATA_DIR, PG_HOST, PG_USER, machine_facts, replace_section

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
REDIS_URL = os.environ.get("BENCH_MSALE_REDIS_URL", "redis://127.0.0.1:6379/8")
SECRET = "bench-msale-secret"  # noqa: S105


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, timeout: float = 60) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with opener.open(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def database_url(engine: str) -> str:
    if engine == "sqlite":
        path = DEFAULT_DATA_DIR / "bench-msale.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    subprocess.run(["dropdb", "--if-exists", "-h", PG_HOST, "-U", PG_USER, "bench_msale"], check=True)
    subprocess.run(["createdb", "-h", PG_HOST, "-U", PG_USER, "bench_msale"], check=True)
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:5432/bench_msale"


def environment(url: str, port: int, msale_port: int, delay: float) -> dict[str, str]:
    instance = DEFAULT_DATA_DIR / "instance-msale"
    instance.mkdir(parents=True, exist_ok=True)
    (instance / "msale_sandbox.db").unlink(missing_ok=True)
    return dict(os.environ, DATABASE_URL=url, REDIS_URL=REDIS_URL, PORTAL_INSTANCE=str(instance), HOST="127.0.0.1",
                PORT=str(port), PYTHONUNBUFFERED="1", SECRET_KEY="bench-secret-key",
                PUBLIC_ORIGIN=f"http://127.0.0.1:{port}", MSALE_URL=f"http://127.0.0.1:{msale_port}",
                MSALE_SECRET=SECRET, MSALE_CALLBACK_URL=f"http://127.0.0.1:{port}/msale/callback",
                MSALE_SANDBOX_DELAY_SECONDS=str(delay), MSALE_SANDBOX_REFUSE_DIGIT="x",
                MSALE_POLL_AFTER_SECONDS="10", MSALE_POLL_INTERVAL_SECONDS="5", MSALE_RETRY_INTERVALS="1,2,5,10,30",
                MAIL_URL="http://127.0.0.1:9", SMS_URL="http://127.0.0.1:9", RQ_WORKER_FORK=os.environ.get(
                    "RQ_WORKER_FORK", "0"))


def prepare(count: int) -> list[int]:
    """N hold tickets through the holds service, N dossiers ready for review; returns their ids."""
    from datetime import date

    from portal.dossiers.models import Dossier, DossierStatus
    from portal.extensions import db
    from portal.holds import services as holds
    from portal.holds.models import SimType
    from portal.numbers.services import NewNumber, add_numbers
    from portal.orders.models import Gender, IdType

    numbers = [f"0906{n:06d}" for n in range(count)]
    add_numbers([NewNumber(n, region_id=1, price=500_000) for n in numbers])
    db.session.commit()
    ids = []
    for i, number in enumerate(numbers):
        ticket, _ = holds.hold_numbers([number], f"0912{i:06d}", "esim" if i % 10 == 0 else "physical", "web")
        dossier = Dossier(ticket_id=ticket.id, region_id=1, sim_type=SimType.ESIM if i % 10 == 0 else SimType.PHYSICAL,
                          status=DossierStatus.VERIFIED, full_name="Nguyễn Văn Bench", id_type=IdType.CCCD,
                          id_number=f"0010900{i:05d}", birth_date=date(1990, 1, 2), gender=Gender.MALE,
                          address="5 Phạm Hùng", ward="Mỹ Đình 2", district="Nam Từ Liêm", province="Hà Nội",
                          email="", contact_phone="0912345678", last_reason="")
        db.session.add(dossier)
        db.session.flush()
        ids.append(dossier.id)
        if i % 200 == 199:
            db.session.commit()
    db.session.commit()
    return ids


def approve(ids: list[int]) -> None:
    """The connection team's approvals: the status move and its event, as the review queue makes them."""
    from portal.core.actors import SystemActor
    from portal.core.sqlite import writing
    from portal.core.states import transition
    from portal.dossiers.models import Dossier, DossierStatus
    from portal.extensions import db

    reviewer = SystemActor("Tổ đấu nối (bench)")
    allowed = {DossierStatus.VERIFIED: {DossierStatus.APPROVED}}
    for start in range(0, len(ids), 50):
        with writing():
            for dossier in db.session.scalars(db.select(Dossier).where(Dossier.id.in_(ids[start:start + 50]))):
                transition(dossier, DossierStatus.APPROVED, reviewer, allowed, "Duyệt (bench)")
            db.session.commit()  # after the commit: the 50 push jobs go to Redis


def counts() -> tuple[dict[str, int], dict[str, int]]:
    from sqlalchemy import func, select

    from portal.connections.models import MsaleSubmission
    from portal.dossiers.models import Dossier
    from portal.extensions import db

    db.session.rollback()
    subs = dict(db.session.execute(select(MsaleSubmission.status, func.count()).group_by(MsaleSubmission.status)).all())
    dossiers = dict(db.session.execute(select(Dossier.status, func.count()).group_by(Dossier.status)).all())
    return {str(k.value): v for k, v in subs.items()}, {str(k.value): v for k, v in dossiers.items()}


def run(args: argparse.Namespace) -> dict:
    import redis
    import requests
    from rq.suspension import resume, suspend

    url = database_url(args.engine)
    port, msale_port = free_port(), free_port()
    env = environment(url, port, msale_port, args.delay)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "PORTAL_INSTANCE", "MSALE_URL",
                                           "MSALE_SECRET", "MSALE_CALLBACK_URL", "SECRET_KEY", "PUBLIC_ORIGIN")})
    redis.Redis.from_url(REDIS_URL).flushdb()
    subprocess.run([PY, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    from portal import create_app
    from portal.core.domains import ensure_reference_data

    app = create_app({"SOCKETIO_QUEUE": False, "RATELIMIT_ENABLED": False})
    children: dict[str, subprocess.Popen] = {}
    logs = DEFAULT_DATA_DIR / "bench-msale-logs"
    logs.mkdir(parents=True, exist_ok=True)

    def start(name: str, argv: list[str]) -> None:
        out = open(logs / f"{name}.log", "w")  # noqa: SIM115
        children[name] = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,  # noqa: S603
                                          start_new_session=True)

    result: dict = {"engine": args.engine, "count": args.count, "workers": args.workers, "kill": args.kill,
                    "delay": args.delay, "facts": machine_facts()}
    try:
        with app.app_context():
            ensure_reference_data()
            t0 = time.perf_counter()
            ids = prepare(args.count)
            result["prepare_s"] = time.perf_counter() - t0
            start("msale", [PY, "-m", "portal.gateways.msale_sandbox", "--port", str(msale_port)])
            start("web", [PY, "wsgi.py"])
            for n in range(args.workers):
                start(f"worker{n + 1}", [PY, "worker.py"])
            wait_ready(f"http://127.0.0.1:{msale_port}/healthz")
            wait_ready(f"http://127.0.0.1:{port}/healthz")
            time.sleep(2)  # the workers connect to Redis
            # The approvals queue their 1,000 pushes while the workers are suspended (RQ's own switch), so that the
            # clock measures the workers' work, not the bench's approvals competing with them for the two cores.
            connection = redis.Redis.from_url(REDIS_URL)
            suspend(connection)
            t0 = time.perf_counter()
            approve(ids)
            result["approve_s"] = time.perf_counter() - t0
            resume(connection)
            started = time.perf_counter()
            killed_at = None
            pushed_at = connected_at = None
            timeline = []
            while time.perf_counter() - started < args.timeout:
                subs, dossiers = counts()
                elapsed = time.perf_counter() - started
                done = subs.get("accepted", 0) + subs.get("connected", 0) + subs.get("refused", 0)
                finished = dossiers.get("connected", 0) + dossiers.get("qr_issued", 0)
                timeline.append((round(elapsed, 1), done, finished))
                if args.kill and killed_at is None and done >= 0.4 * args.count:
                    os.killpg(children["worker1"].pid, signal.SIGKILL)
                    killed_at = elapsed
                    print(f"  {elapsed:.1f} s: SIGKILL worker1 ({done} pushed)", flush=True)
                if pushed_at is None and done >= args.count:
                    pushed_at = elapsed
                if finished >= args.count:
                    connected_at = elapsed
                    break
                time.sleep(0.5)
            subs, dossiers = counts()
            stats = requests.get(f"http://127.0.0.1:{msale_port}/sandbox/stats.json", timeout=10).json()
    finally:
        for proc in children.values():
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for proc in children.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    result.update(pushed_s=pushed_at, connected_s=connected_at, killed_at_s=killed_at, submissions=subs,
                  dossiers=dossiers, sandbox=stats, timeline=timeline[::4])
    return result


def report(r: dict) -> str:
    def s(v):
        return "—" if v is None else f"{v:.1f} s"

    ok = (r["sandbox"]["connections"] == r["count"] and not r["sandbox"]["connected_twice"]
          and r["sandbox"]["dossiers"] == r["count"])
    kill = f", worker1 SIGKILLed at {s(r['killed_at_s'])}" if r["kill"] else ""
    return "\n".join([
        f"`python -m bench.msale --engine {r['engine']}{' --kill' if r['kill'] else ''}` — {r['facts']}",
        "",
        f"{r['count']} approved dossiers (10 % eSIM), {r['workers']} RQ workers (real processes), sandbox delay "
        f"{r['delay']} s{kill}.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| approving (the bench's {r['count']:,} status moves + enqueue, workers suspended; not timed below) | "
        f"{s(r['approve_s'])} |",
        f"| every submission accepted by mSale (pushed), from the workers' start | {s(r['pushed_s'])} |",
        f"| every dossier Đã hòa mạng / Chờ quét mã QR (results back by callback or poll) | {s(r['connected_s'])} |",
        f"| submissions by status at the end | {r['submissions']} |",
        f"| dossiers by status at the end | {r['dossiers']} |",
        f"| sandbox: dossiers / connections / connected twice | {r['sandbox']['dossiers']} / "
        f"{r['sandbox']['connections']} / {len(r['sandbox']['connected_twice'])} |",
        f"| none lost, none connected twice | {'yes' if ok else 'NO'} |",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kill", action="store_true", help="SIGKILL one worker once 40 %% are pushed")
    parser.add_argument("--delay", type=float, default=1.0, help="the sandbox's seconds in its queue")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args(argv)
    result = run(args)
    text = report(result)
    print(text)
    print("timeline (s, pushed, connected):", result["timeline"])
    if not args.no_readme:
        replace_section(f"msale-{args.engine}{'-kill' if args.kill else ''}", text)
    return 0 if result["connected_s"] is not None else 1


if __name__ == "__main__":
    sys.exit(main())
