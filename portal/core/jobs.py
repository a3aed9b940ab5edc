"""Background jobs: RQ behind one small seam (STYLE: Redash's pattern).

* ``@job`` marks a function as a job: it runs inside an app context, commits
  once at the end, and deletes its outbox row in that same commit.
* ``enqueue_after_commit`` writes an outbox row in the caller's transaction and
  pushes the job to Redis once that transaction commits, so a rolled-back
  decision enqueues nothing and a decision taken while Redis is away is
  delivered by ``sweep_outbox`` when it returns.
* ``periodic`` registers a job for the worker's cron loop (worker.py).

Jobs take ids, never ORM objects, reload their rows and return quietly when the
state has moved on: RQ delivers at least once.
"""
from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from flask import Flask, current_app, has_app_context
from rq import Queue, Retry, get_current_job
from rq.job import Job
from sqlalchemy import delete, select

from portal.core import redis as portal_redis
from portal.core.models import OutboxJob
from portal.core.time import utcnow
from portal.core.tx import after_commit, run_independent_writes
from portal.extensions import db

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_RETRY = [10, 30, 60, 300, 900]
PERIODIC: list[dict[str, Any]] = []
_worker_app: Flask | None = None
_app_factory: Callable[[], Flask] | None = None


def set_worker_app(app: Flask) -> None:
    """worker.py builds the app once and hands it here."""
    global _worker_app
    _worker_app = app


def set_app_factory(factory: Callable[[], Flask]) -> None:
    """The app factory (portal.create_app registers itself): a job run with no app at all builds one with it."""
    global _app_factory
    _app_factory = factory


def queue(name: str = "default") -> Queue:
    return Queue(name, connection=portal_redis.connection())


def func_path(fn: Callable) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def job(fn: F) -> F:
    """Make ``fn`` a job: app context, one commit, outbox row cleared on success."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            return _run(fn, args, kwargs)
        with _app().app_context():
            try:
                return _run(fn, args, kwargs)
            finally:
                db.session.remove()

    run.is_portal_job = True  # type: ignore[attr-defined]  # a mark on the function, read by enqueue's check
    return cast(F, run)  # functools.wraps keeps fn's signature, which mypy cannot follow


def _app() -> Flask:
    """The worker's app: the one worker.py handed over, else one built (once) by the registered factory."""
    app = _worker_app
    if app is None:
        if _app_factory is None:
            raise RuntimeError("no app: worker.py sets it, portal.create_app registers the factory")
        app = _app_factory()
        set_worker_app(app)
    return app


def _run(fn: Callable, args: tuple, kwargs: dict) -> Any:
    from portal.core.sqlite import writing

    rq_job = get_current_job()
    job_id = rq_job.id if rq_job else "-"
    log.info("job %s started: %s", job_id, func_path(fn))
    try:
        with writing():  # jobs write: on SQLite, take the write lock when the transaction begins
            result = fn(*args, **kwargs)
            if rq_job is not None:
                db.session.execute(delete(OutboxJob).where(OutboxJob.id == rq_job.id))
            db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("job %s failed: %s", job_id, func_path(fn))
        raise
    finally:
        run_independent_writes()
    log.info("job %s finished", job_id)
    return result


def enqueue_after_commit(
    fn: Callable, *args: Any, queue_name: str = "default", retry: list[int] | None = None, **kwargs: Any
) -> str:
    """Queue ``fn(*args, **kwargs)`` to run once the current transaction commits."""
    if not getattr(fn, "is_portal_job", False):
        raise TypeError(f"{func_path(fn)} is not decorated with @job")
    row = OutboxJob(
        id=str(uuid.uuid4()),
        queue=queue_name,
        func=func_path(fn),
        args=list(args),
        kwargs=kwargs,
        retry_intervals=DEFAULT_RETRY if retry is None else retry,
    )
    db.session.add(row)
    after_commit(_push, row.id, row.queue, row.func, row.args, row.kwargs, row.retry_intervals)
    return row.id


def _push(job_id: str, queue_name: str, func: str, args: list, kwargs: dict, intervals: list[int]) -> None:
    retry = Retry(max=len(intervals), interval=intervals) if intervals else None
    queue(queue_name).enqueue(
        func, args=tuple(args), kwargs=kwargs, job_id=job_id, retry=retry, failure_ttl=30 * 24 * 3600
    )


def periodic(interval: int, queue_name: str = "low") -> Callable[[F], F]:
    """Run this job every ``interval`` seconds from the worker's cron loop."""

    def mark(fn: F) -> F:
        PERIODIC.append({"func": fn, "queue_name": queue_name, "interval": interval})
        return fn

    return mark


@periodic(interval=60)
@job
def sweep_outbox(older_than_seconds: int = 30) -> int:
    """Re-enqueue outbox jobs that Redis never received or lost (checklist 29)."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    rows = db.session.scalars(select(OutboxJob).where(OutboxJob.created_at < cutoff).limit(500)).all()
    connection = portal_redis.connection()
    pushed = 0
    for row in rows:
        if Job.exists(row.id, connection=connection):
            continue  # queued, running, scheduled for retry, or failed (requeue is a person's call)
        _push(row.id, row.queue, row.func, row.args, row.kwargs, row.retry_intervals)
        pushed += 1
    if pushed:
        log.warning("outbox: re-enqueued %d job(s) Redis did not have", pushed)
    return pushed


def failed_jobs() -> list[Job]:
    """Jobs that ran out of retries, newest first, across the app's queues."""
    from rq.registry import FailedJobRegistry

    found: list[Job] = []
    connection = portal_redis.connection()
    for name in current_app.config["RQ_QUEUES"]:
        registry = FailedJobRegistry(name, connection=connection)
        ids = registry.get_job_ids()
        found.extend(j for j in Job.fetch_many(ids, connection=connection) if j is not None)
    return sorted(found, key=lambda j: j.ended_at or j.created_at, reverse=True)


def failed_summary() -> tuple[int, datetime | None]:
    """How many jobs ran out of retries across the app's queues, and when the oldest of them failed (naive UTC): a
    count and one job per queue, for live screens (``failed_jobs`` reads every job)."""
    from rq.registry import FailedJobRegistry

    connection = portal_redis.connection()
    count, oldest = 0, None
    for name in current_app.config["RQ_QUEUES"]:
        registry = FailedJobRegistry(name, connection=connection)
        count += registry.count
        first = registry.get_job_ids(0, 0)  # ordered by expiry: the same failure TTL, so the earliest failure
        found = Job.fetch_many(first, connection=connection) if first else []
        ended = [j.ended_at.replace(tzinfo=None) for j in found if j is not None and j.ended_at is not None]
        if ended and (oldest is None or ended[0] < oldest):
            oldest = ended[0]
    return count, oldest


def requeue_failed(job_id: str) -> bool:
    """Put a failed job back on its queue; False if it is no longer failed."""
    from rq.registry import FailedJobRegistry

    connection = portal_redis.connection()
    try:
        rq_job = Job.fetch(job_id, connection=connection)
    except Exception:
        return False
    registry = FailedJobRegistry(rq_job.origin, connection=connection)
    if job_id not in registry.get_job_ids():
        return False
    registry.requeue(job_id)
    return True
