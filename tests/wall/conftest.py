"""Wall fixtures: rows put where the wall looks — dossiers in a status and region with a given wait, calls waiting or
connected, agents in each state, mSale submissions — made directly (how they got there is each domain's own tests'
business; the moves still go through ``core.states.transition``, so the wall's listeners hear them), and wall
sockets through Flask-SocketIO's test client."""
from __future__ import annotations

import contextvars
import itertools
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.calls.models import AgentPresence, Call, CallStatus, PresenceStatus
from portal.connections.models import MsaleSubmission, SubmissionStatus
from portal.core.actors import SystemActor
from portal.core.roles import Role
from portal.core.states import transition
from portal.core.time import utcnow
from portal.dossiers import lifecycle
from portal.dossiers.models import Dossier, DossierStatus
from portal.extensions import socketio
from portal.wall import live
from tests.conftest import writing_now
from tests.dossiers import conftest as dossier_fixtures

numbers, lan, media_root = dossier_fixtures.numbers, dossier_fixtures.lan, dossier_fixtures.media_root
delivered_order = dossier_fixtures.delivered_order

SYSTEM = SystemActor("Kiểm thử")
ANY_MOVE = {status: set(DossierStatus) for status in DossierStatus}  # the wall reads statuses; how is not ours
_holders = itertools.count(1)  # a made-up ID number per dossier: the per-ID limit is the dossiers' tests' business


@pytest.fixture(autouse=True)
def no_pusher_thread(app):
    """Tests tick the pusher themselves (``live.tick``) unless they start it (a committed database: its thread
    reads the database on its own connection)."""
    app.config["WALL_LOOP"] = False
    yield
    app.config.pop("WALL_LOOP", None)


@pytest.fixture
def dossier_at(db, lan, delivered_order) -> Callable[..., Dossier]:
    """``dossier_at(region, status, waited=timedelta())`` → a committed dossier of that region in that status,
    submitted ``waited`` ago."""

    def make(region: int, status: DossierStatus, waited: timedelta = timedelta()) -> Dossier:
        order = delivered_order(lan)
        with writing_now(db):
            dossier = lifecycle.open_dossier(order, lan)
            dossier.region_id = region
            dossier.id_number = f"0011900{next(_holders):05d}"
            dossier.submitted_at = utcnow() - waited
            db.session.flush()
            if status != dossier.status:
                transition(dossier, status, SYSTEM, ANY_MOVE, "Kiểm thử")
            db.session.commit()
        return dossier

    return make


@pytest.fixture
def call_at(db, dossier_at) -> Callable[..., Call]:
    """``call_at(region, status=QUEUED, waited=timedelta(), agent=None)`` → a call of that region, requested
    ``waited`` ago."""

    def make(region: int, status: CallStatus = CallStatus.QUEUED, waited: timedelta = timedelta(),
             agent=None) -> Call:
        dossier = dossier_at(region, DossierStatus.READY_FOR_CALL)
        with writing_now(db):
            call = Call(dossier_id=dossier.id, region_id=region, home_region_id=region, status=status,
                        requested_at=utcnow() - waited, agent_id=agent.id if agent else None)
            db.session.add(call)
            db.session.commit()
        return call

    return make


@pytest.fixture
def agent_in(db, make_staff, call_at) -> Callable[..., object]:
    """``agent_in(region, state)`` → an agent whose desk shows ``state``: available, on_call, wrap_up, away,
    offline."""

    def make(region: int, state: str):
        agent = make_staff(Role.AGENT, region)
        status = {"away": PresenceStatus.PAUSED, "offline": PresenceStatus.OFFLINE}.get(state,
                                                                                       PresenceStatus.AVAILABLE)
        wrap_up = None
        if state == "on_call":
            call_at(region, CallStatus.CONNECTED, agent=agent)
        elif state == "wrap_up":
            wrap_up = call_at(region, CallStatus.ENDED, agent=agent).id
        with writing_now(db):
            db.session.add(AgentPresence(staff_id=agent.id, region_id=region, status=status, since=utcnow(),
                                         wrap_up_call_id=wrap_up))
            db.session.commit()
        return agent

    return make


@pytest.fixture
def at_msale(db, dossier_at) -> Callable[..., MsaleSubmission]:
    """``at_msale(region, status, age, dossier_status=APPROVED)`` → a dossier pushed to mSale ``age`` ago."""

    def make(region: int, status: SubmissionStatus, age: timedelta,
             dossier_status: DossierStatus = DossierStatus.APPROVED) -> MsaleSubmission:
        dossier = dossier_at(region, dossier_status)
        with writing_now(db):
            # An approval opens the submission itself (connections' listener): this one is put where the test wants.
            row = db.session.scalar(select(MsaleSubmission).where(MsaleSubmission.dossier_id == dossier.id))
            if row is None:
                row = MsaleSubmission(dossier_id=dossier.id, attempt=1, idempotency_key=f"dossier-{dossier.id}-1")
                db.session.add(row)
            row.status, row.created_at = status, utcnow() - age
            db.session.commit()
        return row

    return make


def fresh(fn, *args, **kwargs):
    """Run as a server would: outside the test's app context (so nothing is cached in ``g``)."""
    return contextvars.Context().run(fn, *args, **kwargs)


@pytest.fixture
def wall_socket(app):
    """``wall_socket(client, **kwargs)`` → a ``/wall`` test socket with that client's session; closed at the end
    (the pusher keeps a process's sockets by room, and its thread runs while there are any)."""
    opened = []

    def connect(client, **kwargs):
        sock = fresh(socketio.test_client, app, namespace="/wall", flask_test_client=client, **kwargs)
        opened.append(sock)
        return sock

    yield connect
    for sock in opened:
        if sock.is_connected("/wall"):
            fresh(sock.disconnect, namespace="/wall")
    assert live.PUSHER.wait_stopped(5), "the wall's pusher thread outlived its last socket"


def snapshots(sock, wait: float = 0.0) -> list[dict]:
    """The snapshots the socket got (waiting up to ``wait`` seconds for the first)."""
    deadline = time.monotonic() + wait
    while True:
        got = [m["args"][0] for m in sock.get_received("/wall") if m["name"] == "snapshot"]
        if got or time.monotonic() >= deadline:
            return got
        time.sleep(0.02)
