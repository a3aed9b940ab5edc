"""Keeping the walls live: a change marks its region's room dirty; the process that holds wall sockets pushes each
dirty room a fresh snapshot, at most once per WALL_PUSH_EVERY_MS, and every room a refreshed one each
WALL_REFRESH_SECONDS (ages cross their targets, jobs fail, with nothing committed). docs/wall.md.

Why through Redis: the changes are committed in any process — a web request, the worker's jobs (mSale's answers,
the calls' sweep) — and listeners may not run SQL while a commit finishes, while the sockets live in the web
processes. So a listener only sets ``portal:wall:dirty:<region>`` (and head office's), and each process with wall
sockets runs one loop thread (``PUSHER``, started by the first wall socket, ended with the last) that looks at the
flags of its own rooms. ``SET portal:wall:pushed:<region> NX PX <interval>`` is the coalescing: whichever process
takes it pushes (to the room, in every process, through the message queue), nobody else until it lapses; a flag
set meanwhile stays set, so the last change of a burst always goes out, one interval later at most. The figures
are one set of grouped queries for every region (``figures.read_figures``), read again for every dirty push and
shared, cached in Redis, by periodic refreshes and newly opened walls.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from flask import Flask, current_app

from portal.core import redis as portal_redis
from portal.core.roles import HEAD_OFFICE
from portal.extensions import socketio
from portal.wall.figures import read_figures, snapshot

log = logging.getLogger(__name__)
NAMESPACE = "/wall"
EVENT = "snapshot"
DIRTY = "portal:wall:dirty:{}"  # set by a change: the room needs a fresh snapshot
PUSHED = "portal:wall:pushed:{}"  # held for WALL_PUSH_EVERY_MS after a push to the room, by whichever process
SENT = "portal:wall:sent:{}"  # when the room last got a snapshot (unix time): the periodic refresh
FIGURES = "portal:wall:figures"  # the last figures read (JSON), with their "computed" unix time
FLAG_TTL = 3600  # a flag nobody pushes (no wall open) goes away by itself


def room(region_id: int) -> str:
    return f"region:{region_id}"


def changed(region_id: int | None) -> None:
    """Something a wall shows changed in this region (after the commit: Redis only, no SQL); head office's room
    always hears it."""
    regions = {HEAD_OFFICE} | ({region_id} if region_id is not None else set())
    try:
        pipe = portal_redis.connection().pipeline(transaction=False)
        for region in regions:
            pipe.set(DIRTY.format(region), "1", ex=FLAG_TTL)
        pipe.execute()
    except Exception:  # the periodic refresh catches up; a status move must not fail for the wall
        log.exception("wall: change of region %s not flagged", region_id)
    PUSHER.wake()


def figures(max_age: float) -> dict[str, Any]:
    """The cached figures if read less than ``max_age`` seconds ago, else read now (and cached for the others)."""
    connection = portal_redis.connection()
    if max_age > 0:
        cached = connection.get(FIGURES)
        if cached:
            data = json.loads(cached)
            if time.time() - float(data.get("computed", 0)) < max_age:
                return data
    data = read_figures()
    connection.set(FIGURES, json.dumps(data), ex=max(60, 4 * current_app.config["WALL_REFRESH_SECONDS"]))
    return data


def current(region_id: int) -> dict[str, Any]:
    """A room's snapshot for a wall that just opened or reconnected: figures at most one push interval old."""
    return snapshot(figures(current_app.config["WALL_PUSH_EVERY_MS"] / 1000), region_id)


def opened(region_id: int) -> None:
    """A wall socket joined the room with a fresh snapshot: the room's refresh clock starts now if it had none (the
    first in the room), so that the pusher does not send the same figures again at once."""
    portal_redis.connection().set(SENT.format(region_id), str(time.time()), nx=True, ex=FLAG_TTL)


def tick(rooms: set[int]) -> list[int]:
    """One look at these rooms (held by this process): push a snapshot to each one that is dirty or due for its
    refresh, unless a push to it went out less than WALL_PUSH_EVERY_MS ago (from any process). The rooms pushed."""
    if not rooms:
        return []
    config = current_app.config
    connection = portal_redis.connection()
    order = sorted(rooms)
    dirty = connection.mget([DIRTY.format(r) for r in order])
    sent = connection.mget([SENT.format(r) for r in order])
    now = time.time()
    due, fresh = [], False
    for region, flagged, last in zip(order, dirty, sent, strict=True):
        refresh = last is None or now - float(last) >= config["WALL_REFRESH_SECONDS"]
        if not (flagged or refresh):
            continue
        if not connection.set(PUSHED.format(region), "1", nx=True, px=max(1, config["WALL_PUSH_EVERY_MS"])):
            continue  # pushed a moment ago: the flag stays, for the next push
        if flagged:
            connection.delete(DIRTY.format(region))  # before reading: a later change flags it again
            fresh = True
        due.append(region)
    if not due:
        return []
    data = figures(0 if fresh else config["WALL_CACHE_SECONDS"])
    for region in due:
        connection.set(SENT.format(region), str(now), ex=FLAG_TTL)
        socketio.emit(EVENT, snapshot(data, region), namespace=NAMESPACE, to=room(region))
    return due


class Pusher:
    """This process's wall sockets by room, and the one thread that keeps them live while there are any."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: dict[str, int] = {}  # sid → region
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()

    def rooms(self) -> set[int]:
        with self._lock:
            return set(self._sockets.values())

    def joined(self, app: Flask, sid: str, region_id: int) -> None:
        with self._lock:
            self._sockets[sid] = region_id
            start = app.config.get("WALL_LOOP", True) and (self._thread is None or not self._thread.is_alive())
            if start:
                self._thread = threading.Thread(target=self._run, args=(app,), name="wall-pusher", daemon=True)
                self._thread.start()

    def left(self, sid: str) -> None:
        with self._lock:
            self._sockets.pop(sid, None)

    def wake(self) -> None:
        self._wake.set()

    def wait_stopped(self, timeout: float) -> bool:
        """Whether the thread has ended (no wall socket left in this process) within ``timeout`` seconds."""
        thread = self._thread
        if thread is not None:
            self._wake.set()
            thread.join(timeout)
        return self._thread is None or not self._thread.is_alive()

    def _run(self, app: Flask) -> None:
        poll = app.config["WALL_POLL_MS"] / 1000
        while True:
            rooms = self.rooms()
            if not rooms:
                with self._lock:  # a socket joining now starts a new thread
                    if not self._sockets:
                        self._thread = None
                        return
                continue
            self._wake.clear()
            try:
                with app.app_context():
                    tick(rooms)
            except Exception:  # Redis or the database away: try again at the next poll
                log.exception("wall: push failed")
            self._wake.wait(poll)


PUSHER = Pusher()
