"""What every call request reads and admins rarely change, kept in each process: the routing rules, the business
hours of every region, the holidays, the regions' names (docs/calls.md, "Reference data in memory").

A change is seen by the next request of every process: each request compares its process's copy with a version
number in Redis (one GET, once per request) and reads the tables again when it differs. Whatever changes one of
these tables through the ORM (the admin screens of ``portal.calls.configuration`` and ``portal.admin``, the CLI, a
test) drops this process's copy at the flush and, once the transaction commits, bumps the version: the other
processes follow at their next request. Without Redis nothing is kept: the tables are read at every request.

The tables are read on a connection of their own, what is committed now (as ``portal.org.places`` does): the
version is read first, so a copy read just before a change is kept under the old number and replaced at the next
request after the bump. Services read ``current()``; the admin screens keep reading the rows themselves (they
need the rows' versions).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from flask import g, has_request_context, request
from redis.exceptions import RedisError
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from portal.calls.models import BusinessHours, Holiday, RoutingRule
from portal.core import redis as portal_redis
from portal.core import sqlite
from portal.core.tx import after_commit
from portal.extensions import db
from portal.org.models import Region

log = logging.getLogger(__name__)
VERSION_KEY = "portal:calls:reference:version"
WATCHED = (RoutingRule, BusinessHours, Holiday, Region)
_REQUEST_KEY = "_calls_reference"  # flask.g: (the request, its copy): Redis asked once per request
_CHANGED_KEY = "portal_calls_reference_changed"  # session.info: bump the version at this transaction's commit


@dataclass(frozen=True)
class Rule:
    """An admins' routing rule as routing reads it (``RoutingRule.matches``)."""

    id: int
    province: str
    channel: str
    region_id: int
    priority: int

    def matches(self, province: str, channel: str) -> bool:
        return (not self.province or self.province == province) and (not self.channel or self.channel == channel)


@dataclass(frozen=True)
class Hours:
    """A weekday's opening hours (Vietnam time) of a region's desk."""

    weekday: int
    opens: time
    closes: time


@dataclass(frozen=True)
class Reference:
    rules: tuple[Rule, ...] = ()  # by priority, then id
    hours: Mapping[int, Mapping[int, Hours]] = field(default_factory=dict)  # region → weekday → hours
    holidays: frozenset[tuple[int | None, date]] = frozenset()  # (region or None for all, day)
    region_names: Mapping[int, str] = field(default_factory=dict)

    def week(self, region_id: int) -> dict[int, Hours]:
        return dict(self.hours.get(region_id, {}))

    def is_holiday(self, region_id: int, day: date) -> bool:
        return (None, day) in self.holidays or (region_id, day) in self.holidays


@dataclass
class _Cache:
    reference: Reference | None = None
    version: bytes | None = None  # Redis's version number when ``reference`` was read


_cache = _Cache()
_lock = threading.Lock()


def _read() -> Reference:
    with sqlite.reading(), db.engine.connect() as connection:
        rules = tuple(Rule(*row) for row in connection.execute(
            select(RoutingRule.id, RoutingRule.province, RoutingRule.channel, RoutingRule.region_id,
                   RoutingRule.priority).order_by(RoutingRule.priority, RoutingRule.id)))
        hours: dict[int, dict[int, Hours]] = {}
        for region_id, weekday, opens, closes in connection.execute(
                select(BusinessHours.region_id, BusinessHours.weekday, BusinessHours.opens, BusinessHours.closes)):
            hours.setdefault(region_id, {})[weekday] = Hours(weekday, opens, closes)
        holidays = frozenset((region_id, day) for region_id, day in connection.execute(
            select(Holiday.region_id, Holiday.day)))
        names = dict(connection.execute(select(Region.id, Region.name)).tuples().all())
    return Reference(rules, hours, holidays, names)


def current() -> Reference:
    """The reference data as committed (this process's copy when Redis's version number has not moved)."""
    if has_request_context():
        kept = g.get(_REQUEST_KEY)
        if kept is not None and kept[0] is _this_request():
            return kept[1]
    try:
        version = portal_redis.connection().get(VERSION_KEY)
    except RedisError:
        log.warning("calls reference version unreadable: reading the tables")
        return _read()  # not kept (nor for the request): without the version a copy could not be refreshed
    with _lock:
        if _cache.reference is None or version != _cache.version:
            _cache.reference, _cache.version = _read(), version
        reference = _cache.reference
    if has_request_context():
        setattr(g, _REQUEST_KEY, (_this_request(), reference))
    return reference


def _this_request() -> object:
    """The request itself: an app context (and its ``g``) may outlive one request (a CLI, a test's client)."""
    return request._get_current_object()  # type: ignore[attr-defined]


def changed() -> None:
    """After a commit that changed the tables: this process reads them again at once, the others at their next
    request (a new version number)."""
    forget()
    try:
        portal_redis.connection().incr(VERSION_KEY)
    except RedisError:  # the other processes keep their copy until the version moves: say so loudly
        log.exception("calls reference version not bumped: other processes may route by old rules until it is")


def forget() -> None:
    """Drop this process's copy (and this request's): the next ``current()`` reads the tables."""
    with _lock:
        _cache.reference, _cache.version = None, None
    if has_request_context():
        g.pop(_REQUEST_KEY, None)


def _touches(session: Session) -> bool:
    return any(isinstance(obj, WATCHED) for rows in (session.new, session.dirty, session.deleted) for obj in rows)


@event.listens_for(Session, "before_flush")
def _watch(session: Session, _flush_context: Any, _instances: Any) -> None:
    """A flush writing one of the tables: this process's copy goes now, the version moves at the commit."""
    if _touches(session):
        _changing(session)


def _changing(session: Session) -> None:
    forget()
    if not session.info.get(_CHANGED_KEY):
        session.info[_CHANGED_KEY] = True
        after_commit(changed)


@event.listens_for(Session, "do_orm_execute")
def _watch_statements(state: Any) -> None:
    """An ORM UPDATE or DELETE statement on one of the tables (no flush sees those rows): as ``_watch``."""
    if not (state.is_update or state.is_delete) or state.bind_mapper is None:
        return
    if state.bind_mapper.class_ in WATCHED:
        _changing(state.session)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _done(session: Session) -> None:
    session.info.pop(_CHANGED_KEY, None)
