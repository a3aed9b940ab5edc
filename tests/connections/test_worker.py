"""The push job under a real RQ worker (STYLE: one test that runs a worker): retries with backoff, then the failed
registry and the failed-jobs page; the requeue sends once (checklist 26, 28)."""
from __future__ import annotations

from rq import Queue, SimpleWorker
from rq.registry import FailedJobRegistry
from sqlalchemy import select

from portal.connections.models import MsaleSubmission, SubmissionStatus
from portal.core import jobs as core_jobs
from portal.core import redis as portal_redis
from portal.core.roles import Role


def _work() -> None:
    connection = portal_redis.connection()
    SimpleWorker([Queue("default", connection=connection)], connection=connection).work(burst=True)


def test_a_push_out_of_retries_is_on_the_failed_jobs_page_and_its_requeue_sends_once(app, db, approved, msale_box,
                                                                                       client, login):
    connection = portal_redis.connection()
    Queue("default", connection=connection).empty()
    app.config["MSALE_RETRY_INTERVALS"] = [0]  # one retry at once (production: 10 s … 15 min)
    try:
        msale_box.set_fault("error", 10)  # mSale answers 500 to everything
        dossier = approved()
        _work()
    finally:
        app.config["MSALE_RETRY_INTERVALS"] = [10, 30, 60, 300, 900]
    db.session.commit()
    db.session.expire_all()
    submission = db.session.scalar(select(MsaleSubmission).where(MsaleSubmission.dossier_id == dossier.id))
    # the second run asked mSale by the key first (500 again): one request was sent, never a blind resend
    assert submission.status == SubmissionStatus.FAILED and submission.tries == 1
    failed = [j for j in core_jobs.failed_jobs() if j.func_name.endswith("push_to_msale")]
    assert [j.args for j in failed] == [(submission.id,)]
    login(Role.ADMIN)
    page = client.get("/admin/jobs/failed").get_data(as_text=True)
    assert failed[0].id in page and "push_to_msale" in page
    msale_box.set_fault("error", 0)
    assert core_jobs.requeue_failed(failed[0].id)
    _work()
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(MsaleSubmission, submission.id).status == SubmissionStatus.ACCEPTED
    assert len(msale_box.all()) == 1
    assert failed[0].id not in FailedJobRegistry("default", connection=connection).get_job_ids()
