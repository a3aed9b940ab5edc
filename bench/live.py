"""What the socket benchmarks share: real server processes, signed-in cookies, and socket clients in child processes.

The servers are the production ones: ``gunicorn -c gunicorn.conf.py wsgi:app`` (one gthread worker each), on a
PostgreSQL database of their own (``bench_sockets``, migrated and seeded with ``seed-demo``) and a real Redis
(``BENCH_REDIS_URL``, db 13), so that two servers share one Socket.IO message queue as production's do.

Cookies are made the way a sign-in makes them, without the password check (an argon2 hash per socket would be
the benchmark): a session row through ``portal.core.tokens.issue`` and the signed Flask cookie carrying its id
(staff), or the customer session token in its own cookie (customers).
"""
from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.common import DEFAULT_DATA_DIR, PG_HOST, PG_USER, REDIS_URL, ensure_pg_database

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
SECRET_KEY = "bench-sockets-secret-key-not-for-production"
DEFAULT_DATABASE = "bench_sockets"
BENCH_PASSWORD = "Bench-sockets-2026!"


def database_url(name: str = DEFAULT_DATABASE) -> str:
    if name in ("test", "postgres", "root", "template0", "template1"):
        raise SystemExit(f"refusing to use database {name!r}: the socket benchmarks have their own")
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:5432/{name}"


def server_env(url: str, port: int, **extra: str) -> dict[str, str]:
    instance = DEFAULT_DATA_DIR / "instance-sockets"
    instance.mkdir(parents=True, exist_ok=True)
    return {**os.environ, "DATABASE_URL": url, "REDIS_URL": REDIS_URL, "SECRET_KEY": SECRET_KEY,
            "PORTAL_INSTANCE": str(instance), "HOST": "127.0.0.1", "PORT": str(port), "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(ROOT), **extra}


def add_args(parser) -> None:
    parser.add_argument("--database", default=DEFAULT_DATABASE, help=f"PostgreSQL database ({DEFAULT_DATABASE})")
    parser.add_argument("--no-write", action="store_true", help="print the table, leave bench/README.md alone")


def set_up(args) -> tuple[str, str, object]:
    """The database (prepared), the machine's facts before the run, and the app in this process."""
    from bench.common import machine_facts

    url = database_url(args.database)
    facts = machine_facts()
    prepare_database(url)
    return url, facts, make_app(url)


def prepare_database(url: str) -> None:
    """Create, migrate and seed (idempotent) the benchmark's database, as ``make run`` does its own."""
    ensure_pg_database(url)
    env = server_env(url, 0)
    for step in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run([PY, "-m", "flask", "--app", "wsgi", *step], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)


def make_app(url: str):
    """The app in this process, on the servers' database and secret key (to make staff and sign them in)."""
    from bench.common import make_app as common_make_app

    return common_make_app(url, SECRET_KEY=SECRET_KEY)


def ensure_staff(role: str, count: int, prefix: str, regions: tuple[int, ...] = (1,), store: str | None = None):
    """``count`` staff members named ``<prefix>001``… (created when missing, spread over ``regions``)."""
    from sqlalchemy import select

    from portal.auth.models import Staff
    from portal.auth.services import create_staff
    from portal.extensions import db

    names = [f"{prefix}{i:03d}" for i in range(1, count + 1)]
    existing = {s.username: s for s in db.session.scalars(select(Staff).where(Staff.username.in_(names)))}
    for i, name in enumerate(names):
        if name not in existing:
            existing[name] = create_staff(name, BENCH_PASSWORD, role, regions[i % len(regions)], store,
                                          full_name=f"Bench {name}")
    db.session.commit()
    return [existing[n] for n in names]


def staff_cookie(app, staff) -> str:
    """A ``Cookie`` header signing ``staff`` in: a new server-side session, as the sign-in form opens one."""
    from portal.auth.services import STAFF_SESSIONS
    from portal.core import tokens
    from portal.extensions import db

    _row, token = tokens.issue(STAFF_SESSIONS, staff.id, ip="127.0.0.1", user_agent="bench")
    db.session.commit()
    signed = app.session_interface.get_signing_serializer(app).dumps(
        {"_user_id": str(staff.id), "_fresh": True, "sid": token})
    return f"{app.config['SESSION_COOKIE_NAME']}={signed}"


def customer_cookie(app, customer) -> str:
    """A ``Cookie`` header signing ``customer`` in on the customer web."""
    from portal.core import tokens
    from portal.customers.tokens import WEB_SESSIONS
    from portal.extensions import db

    _row, token = tokens.issue(WEB_SESSIONS, customer.id, remember=False, ip="127.0.0.1", user_agent="bench")
    db.session.commit()
    return f"{app.config['CUSTOMER_COOKIE_NAME']}={token}"


def http_session(*cookies: str) -> requests.Session:
    """A browser's HTTP session carrying ``cookies`` ("name=value", as the helpers above make them) in its jar,
    so that cookies the server sets later (the Flask session's) join them as a browser's would."""
    session = requests.Session()
    for cookie in cookies:
        if cookie:
            name, value = cookie.split("=", 1)
            session.cookies.set(name, value)
    return session


@dataclass
class Server:
    """One web process as production runs it (gunicorn master + its one gthread worker)."""

    port: int
    process: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pid(self) -> int:
        import psutil

        children = psutil.Process(self.process.pid).children()
        if len(children) != 1:
            raise RuntimeError(f"gunicorn on {self.port} has {len(children)} workers, expected 1")
        return children[0].pid

    def worker_cpu(self) -> float:
        """CPU seconds (user + system) the worker has used so far."""
        import psutil

        times = psutil.Process(self.worker_pid()).cpu_times()
        return times.user + times.system

    def worker_memory(self) -> tuple[int, int]:
        """The worker's resident set (bytes) and thread count."""
        import psutil

        worker = psutil.Process(self.worker_pid())
        return worker.memory_info().rss, worker.num_threads()


@contextlib.contextmanager
def servers(url: str, ports: list[int], **extra: str) -> Iterator[list[Server]]:
    """Start one gunicorn per port (``gunicorn.conf.py``), wait for /healthz, stop them at the end."""
    logs = DEFAULT_DATA_DIR / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    started: list[Server] = []
    try:
        for port in ports:
            log = logs / f"gunicorn-{port}.log"
            with open(log, "w") as out:
                process = subprocess.Popen(  # noqa: S603
                    [PY, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                    env=server_env(url, port, **extra), stdin=subprocess.DEVNULL, stdout=out,
                    stderr=subprocess.STDOUT, start_new_session=True)
            started.append(Server(port, process, log))
        for server in started:
            _wait_ready(server)
        yield started
    finally:
        for server in started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.process.pid, signal.SIGTERM)
        for server in started:
            try:
                server.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.process.pid, signal.SIGKILL)
                server.process.wait()


def _wait_ready(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn on {server.port} exited:\n{server.log.read_text()[-2000:]}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(server.url + "/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn on {server.port} did not answer in {timeout:.0f} s")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- socket clients in child processes ------------------------------------------------------------------------

@dataclass(frozen=True)
class Spec:
    """One browser tab's socket: the namespaces it opens over one connection, and its cookie."""

    url: str
    namespaces: tuple[str, ...]
    cookie: str
    tag: str = ""  # what the caller wants back with events (e.g. the agent's staff id)


def _hold(specs: list[Spec], events: tuple[str, ...], conn, reports) -> None:
    """A child process: connect every spec (websocket transport), say how many, then wait for commands.

    Commands: ("call", n, event, data, namespace) → n rounds of ``event`` with an acknowledgement, every socket
    that opened ``namespace`` in turn, answered with the round trips (ms) and the acks; ("close",) → disconnect all
    and exit. Every event in ``events`` is put on ``reports`` as (event, tag, monotonic time of arrival, data).
    """
    import socketio

    clients: list[tuple[Spec, socketio.Client]] = []
    failures: list[str] = []
    for spec in specs:
        client = socketio.Client(reconnection=False)
        for event in events:
            for namespace in spec.namespaces:
                client.on(event, _reporter(reports, event, spec.tag), namespace=namespace)
        try:
            client.connect(spec.url, namespaces=list(spec.namespaces), transports=["websocket"],
                           headers={"Cookie": spec.cookie}, wait_timeout=20)
            clients.append((spec, client))
        except Exception as exc:  # noqa: BLE001 (counted and shown: a refused socket is a result)
            failures.append(f"{type(exc).__name__}: {exc}")
    conn.send(("connected", len(clients), failures[:5]))
    while True:
        command = conn.recv()
        if command[0] == "call":
            _, rounds, event, data, namespace = command
            times: list[float] = []
            acks: list = []
            for _round in range(rounds):
                for spec, client in clients:
                    if namespace not in spec.namespaces:
                        continue
                    start = time.perf_counter()
                    acks.append(client.call(event, data, namespace=namespace, timeout=10))
                    times.append((time.perf_counter() - start) * 1000)
            conn.send(("call", times, acks))
        elif command[0] == "close":
            for _spec, client in clients:
                with contextlib.suppress(Exception):
                    client.disconnect()
            conn.send(("closed",))
            return


def _reporter(reports, event: str, tag: str):
    def on_event(data=None):
        reports.put((event, tag, time.monotonic(), data))
    return on_event


class Clients:
    """Socket clients spread over ``processes`` child processes (a process holds a few hundred threads)."""

    def __init__(self, specs: list[Spec], processes: int, events: tuple[str, ...] = ()):
        ctx = mp.get_context("spawn")
        self.reports = ctx.Queue()
        self.children: list[tuple[mp.Process, object]] = []
        for i in range(processes):
            part = specs[i::processes]
            if not part:
                continue
            parent, child = ctx.Pipe()
            process = ctx.Process(target=_hold, args=(part, events, child, self.reports), daemon=True)
            process.start()
            self.children.append((process, parent))
        self.connected = 0
        self.failures: list[str] = []
        for _process, pipe in self.children:
            _tag, count, failures = pipe.recv()
            self.connected += count
            self.failures += failures

    def call(self, event: str, data, namespace: str, rounds: int = 1) -> tuple[list[float], list]:
        """``event`` with an ack from every socket on ``namespace`` in turn, the processes one after the other:
        the round trips (ms) and the acks."""
        times: list[float] = []
        acks: list = []
        for _process, pipe in self.children:
            pipe.send(("call", rounds, event, data, namespace))
            _tag, part_times, part_acks = pipe.recv()
            times += part_times
            acks += part_acks
        return times, acks

    def echo(self, rounds: int = 1, namespace: str = "/staff") -> list[float]:
        """Round trips (ms) of the staff sockets' ``ping`` (NotifyNamespace: an ack after the session check)."""
        return self.call("ping", {}, namespace, rounds)[0]

    def close(self) -> None:
        for _process, pipe in self.children:
            with contextlib.suppress(OSError, BrokenPipeError):
                pipe.send(("close",))
        for process, pipe in self.children:
            with contextlib.suppress(EOFError, OSError):
                if pipe.poll(30):
                    pipe.recv()
            process.join(10)
            if process.is_alive():
                process.kill()
