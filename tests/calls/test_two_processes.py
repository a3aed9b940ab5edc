"""Two web processes sharing the database and Redis (issue 12 §6): a call requested through one rings an agent whose
desk socket is held by the other, the accept and the signalling cross between them through Flask-SocketIO's Redis
message queue. Routing state is in the database only."""
from __future__ import annotations

import contextlib
import threading
import time

import pytest
import requests
import socketio as socketio_client

from portal.devstack import HOST, Service, services
from tests.conftest import _free_port, _live_env, _running, csrf_from, live_staff_session

from .test_pages import JSON

pytestmark = pytest.mark.slow
SDP = {"type": "offer", "sdp": "v=0\r\n"}


@pytest.fixture
def two_webs(app, committed_db, tmp_path):
    """Two web processes as ``make run`` and production run them (gunicorn, gunicorn.conf.py), A and B, on the
    test's database and Redis."""
    ports = _free_port(), _free_port()
    with contextlib.ExitStack() as stack:
        for name, port in zip(("web_a", "web_b"), ports, strict=True):
            env = _live_env(app, tmp_path, port)
            web = Service(name, _web_argv(port), ready_url=f"http://{HOST}:{port}/healthz")
            stack.enter_context(_running([web], env, tmp_path))
        yield tuple(f"http://{HOST}:{port}" for port in ports)


def _web_argv(port: int) -> list[str]:
    return next(s.argv for s in services(port) if s.name == "web")


def _cookies(session: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)


def _customer_session(base: str, phone: str) -> requests.Session:
    from tests.conftest import CUSTOMER_PASSWORD

    session = requests.Session()
    token = csrf_from(session.get(f"{base}/chonso/dang-nhap").text)
    signed_in = session.post(f"{base}/chonso/dang-nhap", data={"phone": phone, "password": CUSTOMER_PASSWORD,
                                                               "csrf_token": token}, allow_redirects=False)
    assert signed_in.status_code == 302
    return session


class Listener:
    """A Socket.IO client that keeps what it hears, by event name."""

    def __init__(self, namespace: str, events: tuple[str, ...]):
        self.namespace, self.heard = namespace, {e: [] for e in events}
        self.got = {e: threading.Event() for e in events}
        self.client = socketio_client.Client(reconnection=False)
        for event in events:
            self.client.on(event, self._keeper(event), namespace=namespace)

    def _keeper(self, event: str):
        def keep(data):
            self.heard[event].append(data)
            self.got[event].set()
        return keep

    def connect(self, base: str, session: requests.Session) -> None:
        self.client.connect(base, namespaces=[self.namespace], headers={"Cookie": _cookies(session)},
                            transports=["websocket"], wait_timeout=10)

    def wait(self, event: str, seconds: float = 15) -> list:
        assert self.got[event].wait(seconds), f"no {event} arrived on {self.namespace}"
        self.got[event].clear()
        return self.heard[event]

    def call(self, event: str, data: dict) -> dict:
        return self.client.call(event, data, namespace=self.namespace, timeout=10)


def test_a_call_requested_on_one_process_rings_an_agent_on_the_other_and_signals_cross(
        two_webs, db, lan, ready_dossier, available_agent):
    web_a, web_b = two_webs
    agent = available_agent()
    dossier = ready_dossier()
    code = dossier.ticket.hold_code
    db.session.commit()

    desk = Listener("/desk", ("ring", "signal", "call_state"))
    desk.connect(web_b, live_staff_session(web_b, agent.username))  # the agent's desk is held by B
    customer_session = _customer_session(web_a, lan.phone)
    customer = Listener("/call", ("queue", "accepted", "signal", "ended"))
    customer.connect(web_a, customer_session)  # the customer's page by A
    try:
        page = customer_session.get(f"{web_a}/chonso/hoa-mang/{code}/goi-video").text
        started = time.monotonic()
        asked = customer_session.post(f"{web_a}/chonso/hoa-mang/{code}/goi-video", headers=JSON,
                                      data={"csrf_token": csrf_from(page)})
        answered = time.monotonic() - started
        assert asked.status_code == 200, asked.text[:300]
        call_id = asked.json()["call_id"]
        ring = desk.wait("ring")[0]
        latency = time.monotonic() - started
        assert ring["call_id"] == call_id and ring["customer_name"] == dossier.full_name
        print(f"request on A answered in {answered * 1000:.0f} ms; ring on B after {latency * 1000:.0f} ms")

        assert desk.call("accept", {"offer_id": ring["offer_id"]}) == {"ok": True, "call_id": call_id,
                                                                        "room": f"call:{call_id}"}
        assert customer.wait("accepted")[0]["call_id"] == call_id  # emitted by B, heard through A

        assert desk.call("signal", {"call_id": call_id, "kind": "offer", "data": SDP}) == {"ok": True}
        assert customer.wait("signal")[0] == {"call_id": call_id, "kind": "offer", "data": SDP}
        answer = {"call_id": call_id, "kind": "answer", "data": {"type": "answer", "sdp": "v=0\r\n"}}
        assert customer.call("signal", answer) == {"ok": True}
        assert desk.wait("signal")[0] == answer
    finally:
        customer.client.disconnect()
        desk.client.disconnect()
