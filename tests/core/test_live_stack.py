"""A real web server and a real RQ worker, sharing the test's database and Redis.

A job enqueued after a commit runs in the worker; its socket emit travels
through the Redis message queue to the web process and reaches a signed-in
Socket.IO client. Also: the real engine.io handshake refuses anonymous and
foreign-origin sockets.
"""
from __future__ import annotations

import threading

import pytest
import requests
import socketio as socketio_client

from portal.core import jobs
from portal.core.roles import Role
from portal.core.sqlite import writing
from tests.conftest import live_staff_session
from tests.core import sample_jobs

pytestmark = pytest.mark.slow


def _cookie_header(session: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def test_job_in_a_real_worker_reaches_a_signed_in_socket_through_redis(live, make_staff, db):
    staff = make_staff(Role.AGENT, region=2)
    session = live_staff_session(live, staff.username)
    received: list[dict] = []
    arrived = threading.Event()
    sio = socketio_client.Client(reconnection=False)

    @sio.on("notice", namespace="/staff")
    def _notice(data):
        received.append(data)
        arrived.set()

    sio.connect(live, namespaces=["/staff"], headers={"Cookie": _cookie_header(session)}, transports=["websocket"],
                wait_timeout=10)
    try:
        staff_id = staff.id
        db.session.commit()  # end the read transaction; the write below takes SQLite's lock up front
        with writing():
            jobs.enqueue_after_commit(sample_jobs.announce, staff_id, "Có cuộc gọi mới")
            db.session.commit()
        assert arrived.wait(30), "the worker's emit never reached the socket"
        assert received == [{"text": "Có cuộc gọi mới"}]
    finally:
        sio.disconnect()


def test_real_handshake_refuses_anonymous_and_foreign_origin_sockets(live, make_staff):
    anonymous = socketio_client.Client(reconnection=False)
    with pytest.raises(socketio_client.exceptions.ConnectionError):
        anonymous.connect(live, namespaces=["/staff"], transports=["websocket"], wait_timeout=5)

    staff = make_staff(Role.AGENT, region=2)
    session = live_staff_session(live, staff.username)
    foreign = socketio_client.Client(reconnection=False)
    with pytest.raises(socketio_client.exceptions.ConnectionError):
        foreign.connect(live, namespaces=["/staff"], transports=["websocket"], wait_timeout=5,
                        headers={"Cookie": _cookie_header(session), "Origin": "https://evil.example"})
