"""Side effects run after the commit that makes them real, never before.

Services register callbacks with ``after_commit``; a rollback discards them.
Views (and the job wrapper) own the one commit per unit of work.

SQLAlchemy fires its commit and rollback events for savepoints too (``begin_nested``): a savepoint released
is not a commit, so the callbacks wait for the outermost one; a savepoint rolled back discards only the callbacks
registered inside it. Each callback carries the savepoint depth it was registered at for that.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import CursorResult, Result, event
from sqlalchemy.orm import Session

from portal.extensions import db

log = logging.getLogger(__name__)
_KEY = "portal_after_commit"
_FIRST = "portal_after_commit_first"
_INDEPENDENT = "portal_independent"


def savepoint_depth(session: Session) -> int:
    """How many savepoints (``begin_nested``) are open in the session: 0 in the outermost transaction."""
    depth, transaction = 0, session.get_nested_transaction()
    while transaction is not None:
        depth += transaction.nested
        transaction = transaction.parent
    return depth


def after_commit(fn: Callable[..., Any], *args: Any, first: bool = False, **kwargs: Any) -> None:
    """Run ``fn(*args, **kwargs)`` once the current transaction commits; ``first``: before the others (in the
    order so registered), for what someone is waiting for (the ring at an agent's desk)."""
    session = db.session()
    session.info.setdefault(_FIRST if first else _KEY, []).append((savepoint_depth(session), fn, args, kwargs))


def _keep(session: Session, keep: Callable[[int], bool], depth: Callable[[int], int] = lambda d: d) -> None:
    for key in (_FIRST, _KEY):
        if key in session.info:
            session.info[key] = [(depth(d), *rest) for d, *rest in session.info[key] if keep(d)]


@event.listens_for(Session, "after_commit")
def _run_callbacks(session: Session) -> None:
    depth = savepoint_depth(session)
    if depth:  # a savepoint released: what it registered now belongs to the transaction around it
        _keep(session, lambda _d: True, lambda d: min(d, depth - 1))
        return
    for _depth, fn, args, kwargs in session.info.pop(_FIRST, []) + session.info.pop(_KEY, []):
        try:
            fn(*args, **kwargs)
        except Exception:  # the commit stands; the outbox or the client catches up
            log.exception("after-commit callback %s failed", getattr(fn, "__name__", fn))


@event.listens_for(Session, "after_rollback")
def _discard_callbacks(session: Session) -> None:
    depth = savepoint_depth(session)  # 0: the whole transaction; else the savepoint rolled back to
    _keep(session, lambda d: 0 < depth > d)


def independently(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run ``fn`` in a transaction of its own when the current unit of work ends, whatever its outcome.

    For writes that must survive a refusal (the audit row of a denied access, a
    failed sign-in, ending an expired session). Deferred rather than done at
    once: the unit of work's own transaction may hold SQLite's write lock, and a
    second connection waiting for it would wait forever.
    """
    db.session.info.setdefault(_INDEPENDENT, []).append((fn, args, kwargs))


def run_independent_writes(_exc: BaseException | None = None) -> None:
    """teardown_appcontext (and the job wrapper): end our transaction, then run the deferred writes."""
    pending = db.session.info.pop(_INDEPENDENT, [])
    if not pending:
        return
    db.session.rollback()  # committed work is kept; anything else was going to be discarded anyway
    for fn, args, kwargs in pending:
        try:
            with db.engine.begin() as connection:
                fn(connection, *args, **kwargs)
        except Exception:
            log.exception("independent write %s failed", getattr(fn, "__name__", fn))


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE matched. Its result is a cursor's, though ``Session.execute`` is typed as
    returning any ``Result`` (SQLAlchemy issue 12913)."""
    return cast(CursorResult[Any], result).rowcount
