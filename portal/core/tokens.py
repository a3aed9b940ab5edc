"""One mechanism for the tokens that keep someone signed in: staff sessions, customer web sessions, app tokens.

The plaintext goes to the browser or the app once; the table keeps only its SHA-256 as the row's id, so a copy
of the table signs nobody in. A row counts until it is ended (sign-out, password reset, disabling, a role
change…), sits idle past its idle limit, passes its absolute end, or its owner may no longer sign in; a look-up
that finds one of the last three ends the row in a transaction of its own (``core.tx.independently``), so a GET
that merely notices commits nothing else. A live row's last-seen time is written at most every ``touch_every``,
in its own transaction too.

A ``TokenKind`` says how one table is read::

    STAFF_SESSIONS = TokenKind(StaffSession, owner_column="staff_id",
                               limits=lambda row: (timedelta(minutes=30), row.created_at + timedelta(hours=12)),
                               owner_active=lambda row: row.staff.is_active)

    row, token = issue(STAFF_SESSIONS, staff.id, ip=ip)     # in the caller's transaction; the token goes out once
    found = look_up(STAFF_SESSIONS, token)                   # found.row, or found.ended: why it no longer counts
    end(STAFF_SESSIONS, found.row.id, "logout")              # in the caller's transaction
    end_all(STAFF_SESSIONS, staff.id, "disabled")

Partner API keys are not tokens of this kind: one long-lived key per partner, found by its printed prefix,
with no idle limit, revoked by a status transition with its audit row (``portal.partners.services``).
"""
from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update

from portal.core.time import utcnow
from portal.core.tx import independently, rowcount
from portal.extensions import db

TOKEN_BYTES = 32  # 256 random bits: 43 characters of URL-safe base64


def digest(token: str) -> str:
    """The SHA-256 (hex) under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenKind:
    """How one table of hashed tokens is read: its columns, its limits and its owner's check."""

    model: type
    owner_column: str  # the owner's id column: "staff_id", "customer_id"
    limits: Callable[[Any], tuple[timedelta | None, datetime]]  # a row's idle limit (None: none) and absolute end
    owner_active: Callable[[Any], bool]  # whether the row's owner may still use it
    touch_every: timedelta = timedelta(minutes=1)
    prefix: str = ""  # "csa_": a token recognisable in a leak
    seen_column: str = "last_seen_at"
    ended_column: str = "ended_at"
    reason_column: str = "ended_reason"
    load: tuple[Any, ...] = ()  # loader options for the look-up: joinedload(Model.owner) reads the owner with it
    format: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "format", re.compile(re.escape(self.prefix) + r"[A-Za-z0-9_-]{43}"))

    def column(self, name: str) -> Any:
        return getattr(self.model, name)


@dataclass(frozen=True)
class Lookup:
    """A live row, or why the token no longer counts (``idle``, ``expired``, ``disabled``, ``logout``…; None if
    it never did)."""

    row: Any = None
    ended: str | None = None


def issue(kind: TokenKind, owner_id: int, **columns: Any) -> tuple[Any, str]:
    """A new row for ``owner_id`` in the current transaction, and its token: returned once, never stored."""
    token = kind.prefix + secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    row = kind.model(id=digest(token), created_at=now, **{kind.owner_column: owner_id, kind.seen_column: now},
                     **columns)
    db.session.add(row)
    return row, token


def look_up(kind: TokenKind, token: str | None, owner_id: Any = None) -> Lookup:
    """The live row of ``token`` (of ``owner_id``, when given); a row found past its limits is ended on the way."""
    if not token or not kind.format.fullmatch(token):
        return Lookup()  # garbage never reaches the database
    row = db.session.get(kind.model, digest(token), options=kind.load)
    if row is None or (owner_id is not None and str(getattr(row, kind.owner_column)) != str(owner_id)):
        return Lookup()
    if getattr(row, kind.ended_column) is not None:
        return Lookup(ended=getattr(row, kind.reason_column))
    now = utcnow()
    seen = getattr(row, kind.seen_column)
    idle, absolute_end = kind.limits(row)
    reason = None
    if idle is not None and now - seen > idle:
        reason = "idle"
    elif now >= absolute_end:
        reason = "expired"
    elif not kind.owner_active(row):
        reason = "disabled"
    if reason:
        independently(_end, kind, row.id, reason, now)
        return Lookup(ended=reason)
    if now - seen > kind.touch_every:
        independently(_touch, kind, row.id, now)
    return Lookup(row)


def end(kind: TokenKind, row_id: str, reason: str) -> None:
    """End one row in the current transaction (sign-out); ending an ended row changes nothing."""
    _end(db.session, kind, row_id, reason, utcnow())


def end_all(kind: TokenKind, owner_id: int, reason: str) -> int:
    """End every open row of ``owner_id`` in the current transaction; how many were open."""
    result = db.session.execute(
        update(kind.model).where(kind.column(kind.owner_column) == owner_id, kind.column(kind.ended_column).is_(None))
        .values({kind.ended_column: utcnow(), kind.reason_column: reason}))
    return rowcount(result)


def _end(connection: Any, kind: TokenKind, row_id: str, reason: str, now: datetime) -> None:
    connection.execute(update(kind.model).where(kind.column("id") == row_id, kind.column(kind.ended_column).is_(None))
                       .values({kind.ended_column: now, kind.reason_column: reason}))


def _touch(connection: Any, kind: TokenKind, row_id: str, now: datetime) -> None:
    connection.execute(update(kind.model).where(kind.column("id") == row_id).values({kind.seen_column: now}))
