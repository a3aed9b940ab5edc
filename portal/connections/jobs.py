"""Pushing approved dossiers to mSale and bringing its results back (ACT-11..13, ESIM-10..13; checklist 25, 26, 28).

``push_to_msale(submission_id)``: exactly once from the customer's point of view. The submission's idempotency key
is stable (``dossier-<id>-<attempt>``) and mSale keeps it unique; a try that may have reached mSale before (a
timeout, a 5xx, a garbage answer, a worker killed mid-call: the submission says ``sent``) first asks mSale for the
status by that key, and sends again only if mSale never had it. The ``sent`` marker is committed before the request
leaves. Transient failures are retried with backoff (``MSALE_RETRY_INTERVALS``); the last try moves the submission
to ``failed`` and the job lands on the failed-jobs page (/admin/jobs/failed), whose requeue asks mSale first too.

``poll_msale``: every ``MSALE_POLL_INTERVAL_SECONDS``, the submissions whose result is late (no callback after
``MSALE_POLL_AFTER_SECONDS``) are asked for by key; a push left ``pending`` or ``sent`` that long (its worker died)
is run again, safely.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from rq import get_current_job
from sqlalchemy import or_, select

from portal.config import MSALE_POLL_INTERVAL_SECONDS
from portal.connections import services
from portal.connections.models import MsaleSubmission, SubmissionStatus
from portal.core.errors import Conflict
from portal.core.jobs import job, periodic
from portal.core.time import utcnow
from portal.extensions import db
from portal.gateways.msale import Msale, MsaleError, msale

log = logging.getLogger(__name__)
NOTHING_TO_DO = (SubmissionStatus.ACCEPTED, SubmissionStatus.CONNECTED, SubmissionStatus.REFUSED)


def _job_id() -> str:
    current = get_current_job()
    return current.id if current else "-"


def _last_try() -> bool:
    current = get_current_job()
    return current is not None and not current.retries_left


def _no_more_retries() -> None:
    """A refusal that no retry can change (mSale answered 4xx): straight to the failed-jobs page."""
    current = get_current_job()
    if current is not None:
        current.retries_left = 0


def _settle_by_status(submission: MsaleSubmission, gateway: Msale, source: str) -> bool:
    """Ask mSale by the key; True if it knew the submission (and its answer is applied)."""
    found = gateway.status(submission.idempotency_key)
    if found.state == "unknown":
        return False
    services.apply_result(submission, found, source)
    return True


def send(submission: MsaleSubmission, gateway: Msale, source: str = "push") -> str:
    """One try: a status query first when an earlier try may have reached mSale, then the submit."""
    key = submission.idempotency_key
    if submission.may_have_reached_msale and _settle_by_status(submission, gateway, source):
        return submission.status.value
    payload = services.payload_of(submission.dossier)
    services.mark_sending(submission)
    db.session.commit()  # "sent" survives whatever happens to this process during the call
    try:
        accepted = gateway.submit(payload, key)
    except MsaleError as exc:
        if exc.maybe_accepted:  # the answer was lost: settle it by the key now if mSale can say
            try:
                if _settle_by_status(submission, gateway, source):
                    return submission.status.value
            except MsaleError:
                pass
        raise
    db.session.refresh(submission)
    if submission.status not in NOTHING_TO_DO:
        services.record_accepted(submission, accepted)
        if accepted.status in ("connected", "refused"):  # a replayed key whose result mSale already has
            _settle_by_status(submission, gateway, source)
    log.info("job %s: %s is %s at mSale (%s)", _job_id(), key, accepted.status, accepted.msale_ref)
    return submission.status.value


@job
def push_to_msale(submission_id: int) -> str | None:
    """ACT-11, ESIM-10: send an approved dossier to mSale's connection queue, once (see the module docstring)."""
    submission = db.session.get(MsaleSubmission, submission_id)
    if submission is None or submission.status in NOTHING_TO_DO:
        log.info("job %s: submission %s needs no push", _job_id(), submission_id)
        return None
    try:
        return send(submission, msale())
    except Conflict:  # a callback settled it while we were talking to mSale
        db.session.rollback()
        return None
    except MsaleError as exc:
        db.session.rollback()
        submission = db.session.get_one(MsaleSubmission, submission_id)
        if not exc.transient:
            _no_more_retries()
        services.record_error(submission, str(exc), last_try=_last_try() or not exc.transient)
        db.session.commit()
        log.warning("job %s: push of %s failed: %s", _job_id(), submission.idempotency_key, exc)
        raise


@periodic(interval=MSALE_POLL_INTERVAL_SECONDS)
@job
def poll_msale(limit: int = 200) -> dict[str, int]:
    """ACT-12, ESIM-11: ask mSale for the results that are late, and rerun pushes whose worker died."""
    now = utcnow()
    stuck_before = now - timedelta(seconds=current_app.config["MSALE_POLL_AFTER_SECONDS"])
    due = db.session.scalars(select(MsaleSubmission).where(or_(
        (MsaleSubmission.status == SubmissionStatus.ACCEPTED) & (MsaleSubmission.next_poll_at <= now),
        MsaleSubmission.status.in_((SubmissionStatus.PENDING, SubmissionStatus.SENT))
        & (MsaleSubmission.updated_at < stuck_before),
    )).order_by(MsaleSubmission.id).limit(limit)).all()
    ids = [s.id for s in due]
    gateway = msale()
    counts = {"asked": 0, "settled": 0, "errors": 0}
    for submission_id in ids:
        submission = db.session.get(MsaleSubmission, submission_id)
        if submission is None:
            continue
        counts["asked"] += 1
        try:
            if submission.status == SubmissionStatus.ACCEPTED:
                if _settle_by_status(submission, gateway, "poll") and submission.status != SubmissionStatus.ACCEPTED:
                    counts["settled"] += 1
            else:
                send(submission, gateway, "poll")
            db.session.commit()
        except (MsaleError, Conflict) as exc:
            db.session.rollback()
            counts["errors"] += 1
            log.warning("job %s: poll of submission %s: %s", _job_id(), submission_id, exc)
    if ids:
        log.info("job %s: msale poll %s", _job_id(), counts)
    return counts
