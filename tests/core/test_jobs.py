"""The job seam (issue 2 §7; checklist 26–29): enqueue after commit, outbox recovery, failed jobs."""
from __future__ import annotations

from datetime import timedelta

import pytest
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.registry import FailedJobRegistry
from sqlalchemy import select

from portal.core import jobs
from portal.core import redis as portal_redis
from portal.core.models import AuditEntry, OutboxJob
from portal.core.roles import Role
from tests.conftest import page_csrf
from tests.core import sample_jobs


def _queue() -> Queue:
    return Queue("default", connection=portal_redis.connection())


def _work() -> None:
    SimpleWorker([_queue()], connection=portal_redis.connection()).work(burst=True)


def test_nothing_is_enqueued_when_the_transaction_rolls_back(db):
    """Checklist 27: the transaction that decides fails → no job."""
    jobs.enqueue_after_commit(sample_jobs.record, "never")
    db.session.rollback()
    assert _queue().count == 0
    assert db.session.scalar(select(OutboxJob)) is None


def test_job_is_enqueued_only_after_commit(db):
    job_id = jobs.enqueue_after_commit(sample_jobs.record, "hello")
    db.session.flush()
    assert _queue().count == 0  # flushed is not committed
    db.session.commit()
    assert _queue().job_ids == [job_id]
    assert db.session.get(OutboxJob, job_id) is not None


def test_a_job_that_succeeds_clears_its_outbox_row(db):
    job_id = jobs.enqueue_after_commit(sample_jobs.record, "xin chào")
    db.session.commit()
    _work()
    db.session.expire_all()
    assert db.session.get(OutboxJob, job_id) is None
    row = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "test.job_ran"))
    assert row.detail == {"text": "xin chào"} and row.actor_kind == "system"


def test_only_decorated_jobs_can_be_enqueued(db):
    with pytest.raises(TypeError):
        jobs.enqueue_after_commit(sample_jobs.not_a_job)


def test_decision_taken_while_redis_is_down_is_delivered_when_it_returns(db, monkeypatch):
    """Checklist 29: the commit stands, the outbox keeps the job, the sweeper delivers it."""

    def redis_down(*args, **kwargs):
        from redis.exceptions import ConnectionError

        raise ConnectionError("redis is away")

    monkeypatch.setattr(jobs, "_push", redis_down)
    job_id = jobs.enqueue_after_commit(sample_jobs.record, "late")
    db.session.commit()  # does not raise: the decision is kept
    monkeypatch.undo()
    assert _queue().count == 0
    row = db.session.get(OutboxJob, job_id)
    row.created_at -= timedelta(minutes=5)
    db.session.commit()
    assert jobs.sweep_outbox() == 1
    assert _queue().job_ids == [job_id]
    _work()
    db.session.expire_all()
    assert db.session.get(OutboxJob, job_id) is None
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "test.job_ran"))


def test_sweeper_leaves_queued_and_failed_jobs_alone(db):
    job_id = jobs.enqueue_after_commit(sample_jobs.record, "queued")
    db.session.commit()
    db.session.get(OutboxJob, job_id).created_at -= timedelta(minutes=5)
    db.session.commit()
    assert jobs.sweep_outbox() == 0
    assert _queue().count == 1


def test_failed_job_lands_in_the_failed_registry_and_an_admin_requeues_it(db, client, login):
    """Checklist 26, 28: out of retries → failed registry → a person requeues; no duplicate."""
    job_id = jobs.enqueue_after_commit(sample_jobs.always_fails, "HS-1", retry=[])
    db.session.commit()
    _work()
    registry = FailedJobRegistry("default", connection=portal_redis.connection())
    assert registry.get_job_ids() == [job_id]
    assert db.session.get(OutboxJob, job_id) is not None  # still owed

    login(Role.ADMIN, region=0)
    page = client.get("/admin/jobs/failed").get_data(as_text=True)
    assert job_id in page and "mSale answered 503" in page
    response = client.post(f"/admin/jobs/failed/{job_id}/requeue", data={"csrf_token": page_csrf(client)})
    assert response.status_code == 302
    assert registry.get_job_ids() == [] and _queue().job_ids == [job_id]
    # Asking again does not put a second copy on the queue.
    client.post(f"/admin/jobs/failed/{job_id}/requeue", data={"csrf_token": page_csrf(client)})
    assert _queue().job_ids == [job_id]
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "job.requeue"))


def test_retries_are_scheduled_with_backoff(db):
    job_id = jobs.enqueue_after_commit(sample_jobs.always_fails, "HS-2", retry=[30, 60])
    db.session.commit()
    job = Job.fetch(job_id, connection=portal_redis.connection())
    assert job.retries_left == 2 and job.retry_intervals == [30, 60]


def test_periodic_jobs_are_registered_for_the_cron_loop():
    assert any(spec["func"] is jobs.sweep_outbox and spec["interval"] == 60 for spec in jobs.PERIODIC)
