"""Disabling a staff member ends their sessions and closes every open Socket.IO connection at once (checklist 5;
issue 14 §3): on each staff namespace (/staff, /desk, /review, /shipping) in this process with Flask-SocketIO's
test client, and across processes through the Redis message queue (a socket held by one web process, the admin's
request served by another)."""
from __future__ import annotations

import contextvars
import threading
import time

import pytest
import socketio as socketio_client

from portal.core.realtime import open_socket_count
from portal.core.roles import Role
from portal.extensions import socketio
from tests.conftest import live_csrf, live_staff_session, page_csrf

NAMESPACES = ("/staff", "/desk", "/review", "/shipping")


def _fresh(fn, *args, **kwargs):
    """As a server runs it: outside the test's app context."""
    return contextvars.Context().run(fn, *args, **kwargs)


def _until(condition, seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def test_disabling_closes_every_namespace_socket_and_ends_the_sessions(app, client, login, make_staff, db):
    victim = make_staff(Role.ADMIN, region=1)  # an admin may open all four screens
    victim_client = app.test_client()
    login(staff=victim, on=victim_client)
    sockets = {ns: _fresh(socketio.test_client, app, namespace=ns, flask_test_client=victim_client)
               for ns in NAMESPACES}
    assert all(sock.is_connected(ns) for ns, sock in sockets.items())
    assert open_socket_count(victim.id) == len(NAMESPACES)
    bystander = make_staff(Role.AGENT, region=1)
    bystander_client = app.test_client()
    login(staff=bystander, on=bystander_client)
    bystander_socket = _fresh(socketio.test_client, app, namespace="/desk", flask_test_client=bystander_client)

    login(Role.ADMIN, region=0)
    started = time.monotonic()
    response = client.post(f"/admin/staff/{victim.id}/status",
                           data={"csrf_token": page_csrf(client), "action": "disable", "reason": "nghỉ việc"})
    assert response.status_code == 302
    assert _until(lambda: not any(sock.is_connected(ns) for ns, sock in sockets.items()))
    assert time.monotonic() - started < 2  # at once, not at the socket's next event
    assert open_socket_count(victim.id) == 0
    assert victim_client.get("/").status_code == 401
    assert bystander_socket.is_connected("/desk")  # nobody else's socket is touched
    bystander_socket.disconnect(namespace="/desk")


def test_a_disabled_staff_member_cannot_open_a_socket_again(app, client, login, make_staff, db):
    victim = make_staff(Role.AGENT, region=1)
    victim_client = app.test_client()
    login(staff=victim, on=victim_client)
    login(Role.ADMIN, region=1)
    client.post(f"/admin/staff/{victim.id}/status", data={"csrf_token": page_csrf(client), "action": "disable"})
    again = _fresh(socketio.test_client, app, namespace="/desk", flask_test_client=victim_client)
    assert not again.is_connected("/desk")


@pytest.mark.slow
def test_a_socket_held_by_another_web_process_is_closed_through_the_message_queue(two_webs, make_staff):
    web_a, web_b = two_webs
    victim = make_staff(Role.AGENT, region=2)
    admin = make_staff(Role.ADMIN, region=2)
    victim_session = live_staff_session(web_b, victim.username)
    gone = threading.Event()
    sock = socketio_client.Client(reconnection=False)
    sock.on("disconnect", lambda *_reason: gone.set(), namespace="/desk")
    cookie = "; ".join(f"{c.name}={c.value}" for c in victim_session.cookies)
    sock.connect(web_b, namespaces=["/staff", "/desk"], headers={"Cookie": cookie}, transports=["websocket"],
                 wait_timeout=10)
    try:
        assert sock.connected
        admin_session = live_staff_session(web_a, admin.username)
        started = time.monotonic()
        disabled = admin_session.post(f"{web_a}/admin/staff/{victim.id}/status", allow_redirects=False, data={
            "csrf_token": live_csrf(admin_session, f"{web_a}/admin/staff/{victim.id}"), "action": "disable"})
        assert disabled.status_code == 302
        assert gone.wait(5), "web B kept the disabled agent's socket open"
        assert time.monotonic() - started < 5
        assert _until(lambda: not sock.connected)  # /staff too: the whole connection is gone
        assert victim_session.get(f"{web_b}/", allow_redirects=False).status_code == 401
    finally:
        sock.disconnect()
