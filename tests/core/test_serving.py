"""How web processes serve pages and sockets (gunicorn.conf.py, docs/serving.md).

The settings follow the environment (a thread per socket plus threads for pages); the hooks raise the open-files
limit and set the threads' stack; and a real gunicorn holding as many signed-in sockets as it was sized for
still answers pages, each socket costing the threads the docs say.
"""
from __future__ import annotations

import gc
import resource
import runpy
import threading
import time
from pathlib import Path

import psutil
import pytest
import requests
import socketio as socketio_client

from portal import config as portal_config
from portal.core.roles import Role
from tests.conftest import live_staff_session

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def _settings(monkeypatch, **env: str) -> dict:
    for name in ("WEB_SOCKETS", "WEB_PAGE_THREADS", "WEB_THREAD_STACK_KB", "HOST", "PORT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


class FakeLog:
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def warning(self, message: str, *args) -> None:
        self.warnings.append(message % args)


class FakeServer:
    def __init__(self) -> None:
        self.log = FakeLog()


def test_threads_are_the_sockets_plus_the_pages_in_one_gthread_worker(monkeypatch):
    default = _settings(monkeypatch)
    assert (default["workers"], default["worker_class"]) == (1, "gthread")
    assert default["threads"] == 1000 + 32
    assert default["bind"] == "127.0.0.1:5000"
    assert default["max_requests"] == 0  # a restart would drop every socket
    assert default["control_socket_disable"] is True  # several gunicorns on one machine would share its path
    sized = _settings(monkeypatch, WEB_SOCKETS="2000", WEB_PAGE_THREADS="64", HOST="0.0.0.0", PORT="8000")
    assert sized["threads"] == 2064
    assert sized["worker_connections"] > sized["threads"]  # kept-alive page connections besides
    assert sized["bind"] == "0.0.0.0:8000"


def test_post_fork_gives_every_later_thread_the_configured_stack(monkeypatch):
    settings = _settings(monkeypatch, WEB_THREAD_STACK_KB="768")
    before = threading.stack_size()
    try:
        settings["post_fork"](None, None)
        assert threading.stack_size() == 768 * 1024
    finally:
        threading.stack_size(before)


def test_post_worker_init_takes_the_loaded_app_out_of_the_collectors_view(monkeypatch):
    settings = _settings(monkeypatch, WEB_GC_LOG="1")
    callbacks = list(gc.callbacks)
    server = FakeServer()
    try:
        settings["post_worker_init"](server)
        assert gc.get_freeze_count() > 0
        assert len(gc.callbacks) == len(callbacks) + 1  # WEB_GC_LOG=1: long full collections are logged
    finally:
        gc.unfreeze()
        gc.callbacks[:] = callbacks


def test_on_starting_raises_the_open_files_limit_to_what_the_sockets_need(monkeypatch):
    settings = _settings(monkeypatch, WEB_SOCKETS="300", WEB_PAGE_THREADS="10")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = settings["worker_connections"] + 256
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"hard limit {hard} below {needed}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
    try:
        server = FakeServer()
        settings["on_starting"](server)
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == needed
        assert not any("open files" in w for w in server.log.warnings)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_proxy_fix_comes_from_the_environment():
    assert portal_config.load({"PROXY_FIX": "1"})["PROXY_FIX"] is True
    assert portal_config.load({})["PROXY_FIX"] is False


SOCKETS = 12


@pytest.fixture
def small_web(monkeypatch):
    """Before ``live`` starts: a process sized for SOCKETS sockets and two page threads."""
    monkeypatch.setenv("WEB_SOCKETS", str(SOCKETS))
    monkeypatch.setenv("WEB_PAGE_THREADS", "2")


@pytest.mark.slow
def test_a_process_sized_for_n_sockets_holds_them_and_still_answers_pages(small_web, live, make_staff):
    staff = make_staff(Role.SHIPPING, region=1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in live_staff_session(live, staff.username).cookies)
    worker = _gunicorn_worker(live)
    threads_before = worker.num_threads()
    clients = []
    try:
        for _ in range(SOCKETS):
            client = socketio_client.Client(reconnection=False)
            client.connect(live, namespaces=["/staff", "/shipping"], transports=["websocket"],
                           headers={"Cookie": cookie}, wait_timeout=10)
            clients.append(client)
        assert all(c.call("ping", {}, namespace="/shipping", timeout=10)["ok"] for c in clients)
        # Every socket holds a pool thread and three helpers (docs/serving.md); none is a page's.
        assert worker.num_threads() - threads_before >= 4 * SOCKETS - 2
        started = time.monotonic()
        for path in ("/login", "/healthz"):
            assert requests.get(live + path, timeout=10).status_code == 200
        assert time.monotonic() - started < 5
    finally:
        for client in clients:
            client.disconnect()


def _gunicorn_worker(base: str) -> psutil.Process:
    """The worker of the gunicorn listening on ``base``'s port (its master listens on it too)."""
    port = int(base.rsplit(":", 1)[1])
    ours = []
    for process in psutil.process_iter(["cmdline"]):
        if "gunicorn.conf.py" not in " ".join(process.info["cmdline"] or []):
            continue
        try:
            if any(c.laddr and c.laddr.port == port for c in process.net_connections(kind="tcp")):
                ours.append(process)
        except psutil.Error:
            continue
    (worker,) = [p for p in ours if p.ppid() in {q.pid for q in ours}]
    return worker
