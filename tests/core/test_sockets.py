"""Socket.IO: staff-only connections (issue 2 §8; checklist 5, 31)."""
from __future__ import annotations

import contextvars
import time

from portal.core.roles import Role
from portal.extensions import socketio
from tests.conftest import page_csrf


def _connect(app, client, **kwargs):
    return fresh(socketio.test_client, app, namespace="/staff", flask_test_client=client, **kwargs)


def fresh(fn, *args, **kwargs):
    """Run as a server would: outside the test's app context (so nothing is cached in ``g``)."""
    return contextvars.Context().run(fn, *args, **kwargs)


def test_anonymous_socket_is_refused(app, client):
    sock = _connect(app, client)
    assert not sock.is_connected("/staff")


def test_signed_in_agent_is_accepted_and_answered(app, client, login):
    staff = login(Role.AGENT, region=3)
    sock = _connect(app, client)
    assert sock.is_connected("/staff")
    assert fresh(sock.emit, "ping", {}, namespace="/staff", callback=True) == {"ok": True, "staff": staff.id}
    sock.disconnect(namespace="/staff")


def test_socket_from_a_foreign_origin_is_refused(app, client, login):
    login(Role.AGENT, region=3)
    sock = _connect(app, client, headers={"Origin": "https://evil.example"})
    assert not sock.is_connected("/staff")


def test_region_rooms_are_joined_by_the_server_not_the_client(app, client, login):
    """A socket hears its own region's room; emits to another region do not reach it."""
    login(Role.AGENT, region=3)
    sock = _connect(app, client)
    socketio.emit("notice", {"n": 5}, namespace="/staff", to="region:5")
    socketio.emit("notice", {"n": 3}, namespace="/staff", to="region:3")
    deadline = time.monotonic() + 3
    received = []
    while time.monotonic() < deadline and not received:
        received = [m["args"][0]["n"] for m in sock.get_received("/staff") if m["name"] == "notice"]
        time.sleep(0.05)
    assert received == [3]


def test_disabling_staff_closes_their_open_socket(app, client, login, make_staff):
    victim = make_staff(Role.AGENT, region=1)
    victim_client = app.test_client()
    login(staff=victim, on=victim_client)
    sock = _connect(app, victim_client)
    assert sock.is_connected("/staff")

    login(Role.ADMIN, region=1)
    client.post(f"/admin/staff/{victim.id}/status", data={"csrf_token": page_csrf(client)})
    deadline = time.monotonic() + 5
    while sock.is_connected("/staff") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not sock.is_connected("/staff")


def test_revoked_session_loses_its_socket_on_the_next_event(app, client, login):
    login(Role.AGENT, region=1)
    sock = _connect(app, client)
    client.post("/logout", headers={"X-CSRFToken": page_csrf(client)})
    # The test client's cookie jar was cleared by logout; replay the old cookie as an attacker would.
    reply = fresh(sock.emit, "ping", {}, namespace="/staff", callback=True)
    assert not reply  # no pong for a revoked session
    assert not sock.is_connected("/staff")
