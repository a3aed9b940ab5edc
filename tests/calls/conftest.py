"""Call fixtures: a dossier brought to "Chờ gọi video" (its eKYC run is the dossiers' tests' business: here the move
is made directly), agents of a region, sockets of the desk and of the customer through Flask-SocketIO's test
client."""
from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import event

from portal.auth.models import Staff
from portal.calls import lifecycle
from portal.calls.models import PresenceStatus
from portal.core.actors import SystemActor
from portal.core.roles import Role
from portal.core.states import transition
from portal.dossiers import lifecycle as dossiers
from portal.dossiers.models import DOSSIER_TRANSITIONS, Dossier, DossierStatus
from portal.extensions import db as _db
from portal.extensions import socketio
from tests.conftest import writing_now
from tests.dossiers import conftest as dossier_fixtures

# The dossiers' fixtures, used here too.
numbers, lan, media_root = dossier_fixtures.numbers, dossier_fixtures.lan, dossier_fixtures.media_root
delivered_order = dossier_fixtures.delivered_order

SYSTEM = SystemActor("Kiểm thử")


@contextlib.contextmanager
def executed() -> Iterator[list[tuple[str, object]]]:
    """The statements the engine sends meanwhile, as (SQL, execution context), in order."""
    seen: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, _params, context, _many) -> None:
        seen.append((statement, context))

    event.listen(_db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(_db.engine, "before_cursor_execute", record)


def verb(statement: str) -> str:
    return statement.split()[0].upper()


def fresh(fn, *args, **kwargs):
    """Run as a server would: outside the test's app context (so nothing is cached in ``g``)."""
    return contextvars.Context().run(fn, *args, **kwargs)


@pytest.fixture
def ready_dossier(db, lan, delivered_order) -> Callable[..., Dossier]:
    """``ready_dossier()`` → LAN's dossier (Hà Nội, region 1) in READY_FOR_CALL."""

    def make(customer=None) -> Dossier:
        customer = customer or lan
        with writing_now(db):
            dossier = dossiers.open_dossier(delivered_order(customer), customer)
            transition(dossier, DossierStatus.READY_FOR_CALL, SYSTEM, DOSSIER_TRANSITIONS, "eKYC (kiểm thử)")
            db.session.commit()
        return dossier

    return make


@pytest.fixture
def available_agent(db, make_staff) -> Callable[..., Staff]:
    """``available_agent(region=1)`` → an agent whose presence is Sẵn sàng (devices checked)."""

    def make(region: int = 1) -> Staff:
        agent = make_staff(Role.AGENT, region)
        with writing_now(db):
            lifecycle.set_presence(agent, PresenceStatus.AVAILABLE, devices_ok=True)
            db.session.commit()
        return agent

    return make


def desk_socket(app, client):
    return fresh(socketio.test_client, app, namespace="/desk", flask_test_client=client)


def call_socket(app, client, **kwargs):
    return fresh(socketio.test_client, app, namespace="/call", flask_test_client=client, **kwargs)


def received(sock, namespace: str, name: str, wait: float = 2.0) -> list:
    """The ``name`` events the socket got (waiting a little for them)."""
    deadline = time.monotonic() + wait
    got: list = []
    while time.monotonic() < deadline:
        got += [m["args"][0] for m in sock.get_received(namespace) if m["name"] == name]
        if got:
            return got
        time.sleep(0.02)
    return got


@pytest.fixture(autouse=True)
def waiting_counts_at_once(app):
    """The desks' waiting count unthrottled (tests/calls/test_sockets.py tests the throttle with its own)."""
    app.config["CALL_WAITING_EVERY_MS"] = 0
    yield
    app.config.pop("CALL_WAITING_EVERY_MS", None)
