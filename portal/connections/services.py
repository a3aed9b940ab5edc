"""The rules of a submission to mSale: opened with the approval, settled by whatever brings mSale's answer first
(the push job's status query, the signed callback, the poll), each answer applied once.

Results move the dossier through its own named moves (``portal.dossiers.lifecycle.connected / connection_refused /
qr_issued``); a duplicate, late or stale answer changes nothing. Services never commit.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, func, select

from portal.connections.models import DONE, SUBMISSION_TRANSITIONS, WAITING, MsaleSubmission, SubmissionStatus
from portal.core.actors import SystemActor
from portal.core.audit import audit
from portal.core.errors import Conflict
from portal.core.states import record_change, transition
from portal.core.time import utcnow
from portal.dossiers import lifecycle
from portal.dossiers.models import Dossier, DossierStatus
from portal.extensions import db
from portal.gateways.msale import Accepted, MsaleStatus, Submission, Subscriber

log = logging.getLogger(__name__)
MSALE = SystemActor("mSale")


def _move(submission: MsaleSubmission, to: SubmissionStatus, reason: str = "", **values: Any) -> None:
    transition(submission, to, MSALE, SUBMISSION_TRANSITIONS, reason, **values)


def open_submission(dossier: Dossier) -> MsaleSubmission:
    """ACT-11, ESIM-10: the approved dossier goes to mSale — its next attempt, with a stable idempotency key."""
    attempt = (db.session.scalar(select(func.max(MsaleSubmission.attempt))
                                 .where(MsaleSubmission.dossier_id == dossier.id)) or 0) + 1
    now = utcnow()
    submission = MsaleSubmission(dossier_id=dossier.id, attempt=attempt,
                                 idempotency_key=f"dossier-{dossier.id}-{attempt}", status=SubmissionStatus.PENDING,
                                 created_at=now, updated_at=now, last_error="", tries=0)
    db.session.add(submission)
    db.session.flush()
    record_change(submission, None, SubmissionStatus.PENDING, MSALE, "")
    return submission


def callback_url() -> str:
    cfg = current_app.config
    return cfg["MSALE_CALLBACK_URL"] or (cfg["PUBLIC_ORIGIN"].rstrip("/") + "/msale/callback"
                                         if cfg["PUBLIC_ORIGIN"] else "")


def payload_of(dossier: Dossier) -> Submission:
    """What mSale receives (docs/msale.md): the number, the SIM and the subscriber's declared and verified details."""
    ticket = dossier.ticket
    msisdn = ticket.lines[0].number if ticket.lines else ""
    # The SIM's serial: the dossier's own once the signing step records it (branch review), else the order's.
    iccid = getattr(dossier, "sim_serial", None) or (dossier.order.sim_serial if dossier.order else "") or ""
    subscriber = Subscriber(full_name=dossier.full_name, id_type=dossier.id_type.value, id_number=dossier.id_number,
                            birth_date=dossier.birth_date.isoformat(), gender=dossier.gender.value,
                            address=", ".join(p for p in (dossier.address, dossier.ward, dossier.district,
                                                          dossier.province) if p),
                            province=dossier.province)
    return Submission(dossier_ref=f"HS-{dossier.id}", sim_type=dossier.sim_type.value, msisdn=msisdn,
                      subscriber=subscriber, iccid=iccid if not dossier.is_esim else "", callback_url=callback_url())


def mark_sending(submission: MsaleSubmission) -> None:
    """Before a request leaves: recorded (and committed by the caller) so that a try killed mid-call is followed
    by a status query, never a blind resend."""
    if submission.status != SubmissionStatus.SENT:
        _move(submission, SubmissionStatus.SENT, "", tries=submission.tries + 1)
    else:
        submission.tries += 1


def record_error(submission: MsaleSubmission, error: str, last_try: bool) -> None:
    """A try failed; the last one moves the submission to FAILED (its job goes to the failed-jobs page)."""
    submission.last_error = error[:300]
    if last_try and submission.status in (SubmissionStatus.PENDING, SubmissionStatus.SENT):
        _move(submission, SubmissionStatus.FAILED, error[:300], last_error=error[:300])
        audit("msale.push_failed", submission.dossier, actor=MSALE,
              detail={"key": submission.idempotency_key, "error": error[:200]})


def record_accepted(submission: MsaleSubmission, accepted: Accepted) -> None:
    """mSale queued it (E-4.1): wait for the callback; the poll asks after MSALE_POLL_AFTER_SECONDS."""
    if accepted.status in ("connected", "refused"):  # a replayed key whose result is known: the status query says
        return
    if submission.status in (SubmissionStatus.SENT, SubmissionStatus.FAILED):
        _move(submission, SubmissionStatus.ACCEPTED, "", msale_ref=accepted.msale_ref, last_error="",
              next_poll_at=_next_poll())


def _next_poll() -> datetime:
    return utcnow() + timedelta(seconds=current_app.config["MSALE_POLL_AFTER_SECONDS"])


def apply_result(submission: MsaleSubmission, result: MsaleStatus, source: str) -> bool:
    """An answer from mSale (``source``: push, callback, poll) applied once; True if it changed anything.
    queued → accepted; connected → Đã hòa mạng (physical) or Chờ quét mã QR (eSIM, its activation code);
    refused → Từ chối hòa mạng with the reason. A duplicate, a late "queued" or an answer contradicting a settled
    one changes nothing (logged)."""
    if result.state == "unknown":
        return False
    if submission.status in DONE:
        if result.state != "queued" and result.state != submission.status.value:
            log.warning("msale %s: %s says %s but the submission is %s; kept", submission.idempotency_key, source,
                        result.state, submission.status.value)
        return False
    ref = result.msale_ref or submission.msale_ref or ""
    if result.state == "queued":
        if submission.status == SubmissionStatus.ACCEPTED:
            submission.next_poll_at = _next_poll()
            return False
        _move(submission, SubmissionStatus.ACCEPTED, source, msale_ref=ref, next_poll_at=_next_poll())
        return True
    dossier = submission.dossier
    if result.state == "connected" and dossier.is_esim and not result.activation_code:
        log.warning("msale %s: an eSIM connected without an activation code (%s); asked again by the poll",
                    submission.idempotency_key, source)
        return False
    if result.state == "connected":
        _move(submission, SubmissionStatus.CONNECTED, source, msale_ref=ref, next_poll_at=None, last_error="")
        _settle_dossier(dossier, lambda: lifecycle.qr_issued(dossier, MSALE, result.activation_code)
                        if dossier.is_esim else lifecycle.connected(dossier, MSALE, ref))
    else:
        _move(submission, SubmissionStatus.REFUSED, result.reason, msale_ref=ref, next_poll_at=None,
              last_error=result.reason[:300])
        _settle_dossier(dossier, lambda: lifecycle.connection_refused(dossier, MSALE, result.reason))
    audit(f"msale.{result.state}", dossier, actor=MSALE, detail={"key": submission.idempotency_key, "ref": ref,
                                                                 "source": source})
    return True


def _settle_dossier(dossier: Dossier, move: Callable[[], object]) -> None:
    """The dossier's own move; a dossier that moved on meanwhile (withdrawn, scanned already) keeps its state."""
    if dossier.is_esim and dossier.status == DossierStatus.CONNECTED:
        return
    try:
        move()  # the named moves check the status before writing anything
    except Conflict as exc:
        log.warning("msale result for dossier %s not applied: %s (%s)", dossier.id, exc.code, dossier.status.value)


def flag_cutoff(now: datetime | None = None) -> datetime:
    """A submission opened before this has waited on mSale longer than MSALE_FLAG_MINUTES (its turnaround)."""
    return (now or utcnow()) - timedelta(minutes=current_app.config["MSALE_FLAG_MINUTES"])


def awaiting_msale() -> Any:
    """The condition (on a submission joined to its dossier) of an approved dossier still without mSale's result."""
    # IN the waiting statuses, not NOT IN the done ones: the same rows, but (status, …) indexed, where nearly every
    # submission ever made is done.
    return and_(MsaleSubmission.status.in_(WAITING), Dossier.status == DossierStatus.APPROVED)


def waiting_too_long(region_ids: list[int] | None = None, limit: int = 200) -> list[MsaleSubmission]:
    """Dossiers waiting on mSale longer than MSALE_FLAG_MINUTES (flagged to supervisors), oldest first."""
    stmt = (select(MsaleSubmission).join(Dossier, Dossier.id == MsaleSubmission.dossier_id)
            .where(awaiting_msale(), MsaleSubmission.created_at < flag_cutoff())
            .order_by(MsaleSubmission.created_at).limit(limit))
    if region_ids is not None:
        stmt = stmt.where(Dossier.region_id.in_(region_ids))
    return list(db.session.scalars(stmt))


def find_by_key(key: str) -> MsaleSubmission | None:
    return db.session.scalar(select(MsaleSubmission).where(MsaleSubmission.idempotency_key == key))
