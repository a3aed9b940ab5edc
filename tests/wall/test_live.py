"""Keeping walls live: a committed change flags its region and head office; the pusher sends a flagged room a fresh
snapshot, a burst of changes at most once per WALL_PUSH_EVERY_MS (the last change still goes out), every room a
refresh each WALL_REFRESH_SECONDS from figures read once; with a real database commit and the pusher's own thread,
the snapshot reaches the socket with nothing else to do."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest

from portal.calls import lifecycle as calls
from portal.calls.models import PresenceStatus
from portal.core import redis as portal_redis
from portal.core.roles import Role
from portal.dossiers.models import DossierStatus
from portal.wall import figures as wall_figures
from portal.wall import live
from tests.conftest import writing_now
from tests.wall.conftest import snapshots


def _flagged() -> set[int]:
    connection = portal_redis.connection()
    return {int(key.decode().rsplit(":", 1)[1]) for key in connection.keys(live.DIRTY.format("*"))}


def test_a_submitted_dossier_flags_its_region_and_head_office(dossier_at):
    dossier_at(4, DossierStatus.READY_FOR_CALL)  # not a status the wall shows
    assert _flagged() == set()
    dossier_at(4, DossierStatus.SUBMITTED)
    assert _flagged() == {0, 4}


def test_an_agent_going_available_flags_the_region(db, make_staff):
    agent = make_staff(Role.AGENT, 6)
    with writing_now(db):
        calls.set_presence(agent, PresenceStatus.AVAILABLE, devices_ok=True)
        db.session.commit()
    assert _flagged() == {0, 6}


def test_a_change_reaches_the_open_wall(client, login, wall_socket, dossier_at):
    login(Role.SUPERVISOR, region=1)
    sock = wall_socket(client)
    [first] = snapshots(sock)
    assert first["total"]["review"]["waiting"] == 0
    dossier_at(1, DossierStatus.SUBMITTED, timedelta(minutes=2))
    assert live.tick(live.PUSHER.rooms()) == [1]
    [pushed] = snapshots(sock)
    assert pushed["total"]["review"]["waiting"] == 1
    assert live.tick({1}) == []  # nothing new, not due for a refresh


def test_a_burst_is_one_push_per_interval_and_its_last_change_goes_out(app, client, login, wall_socket, dossier_at):
    login(Role.SUPERVISOR, region=1)
    sock = wall_socket(client)
    snapshots(sock)
    pushes = 0
    for _ in range(50):  # fifty changes, each looked at at once (as by two processes: the key is in Redis)
        live.changed(1)
        pushes += len(live.tick({0, 1}))
    assert pushes == 2  # CTKV1's room and head office's, once each
    assert len(snapshots(sock)) == 1
    first = time.monotonic()
    dossier_at(1, DossierStatus.SUBMITTED)  # during the interval: held back …
    assert live.tick({1}) == [] and _flagged() >= {1}
    deadline = first + 5
    while not (pushed := live.tick({1})) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pushed == [1]  # … and sent once the interval is over
    assert time.monotonic() - first >= app.config["WALL_PUSH_EVERY_MS"] / 1000 * 0.8
    [last] = snapshots(sock)
    assert last["total"]["review"]["waiting"] == 1


def test_the_periodic_refresh_reads_the_figures_once_for_every_room(app, monkeypatch, db):
    reads = []
    real = wall_figures.read_figures
    monkeypatch.setattr(live, "read_figures", lambda: reads.append(1) or real())
    monkeypatch.setitem(app.config, "WALL_PUSH_EVERY_MS", 1)
    monkeypatch.setitem(app.config, "WALL_REFRESH_SECONDS", 0)  # every room due at every look
    assert sorted(live.tick({0, 1, 2, 3})) == [0, 1, 2, 3] and len(reads) == 1
    time.sleep(0.01)
    assert sorted(live.tick({0, 1, 2, 3})) == [0, 1, 2, 3] and len(reads) == 1  # cached (WALL_CACHE_SECONDS)
    live.changed(2)
    time.sleep(0.01)
    live.tick({0, 1, 2, 3})
    assert len(reads) == 2  # a change is always read afresh


@pytest.mark.usefixtures("committed_db")
def test_the_pushers_thread_delivers_a_committed_change(app, client, login, wall_socket, dossier_at):
    app.config["WALL_LOOP"] = True
    login(Role.SUPERVISOR, region=1)
    sock = wall_socket(client)
    snapshots(sock)
    dossier_at(1, DossierStatus.SUBMITTED)
    pushed = snapshots(sock, wait=5)
    assert pushed and pushed[-1]["total"]["review"]["waiting"] == 1
