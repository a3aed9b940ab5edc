"""Submissions of approved dossiers to mSale (ACT-11..13, ESIM-10..13, E-4.1, E-4.2): one row per attempt, its own
transition table.

A dossier approved by the connection team gets a submission; the push job sends it with the submission's stable
idempotency key ``dossier-<id>-<attempt>`` (mSale keeps keys unique, so a resend never makes a second
connection). A dossier refused, updated and approved again gets the next attempt. Only
``portal.connections.services`` moves a submission.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.models import status_enum
from portal.core.time import utcnow
from portal.dossiers.models import Dossier
from portal.extensions import db


class SubmissionStatus(StrEnum):
    PENDING = "pending"  # created with the approval; the push job not run yet
    SENT = "sent"  # a request went out and its answer is not known: the next try asks mSale by the key first
    ACCEPTED = "accepted"  # in mSale's connection queue (E-4.1)
    CONNECTED = "connected"  # mSale connected the line (eSIM: and issued the activation code) (E-4.2)
    REFUSED = "refused"  # mSale refused it, with its reason
    FAILED = "failed"  # the push ran out of retries: on the failed-jobs page for a person to requeue

    @property
    def label(self) -> str:
        return str(SUBMISSION_STATUS_LABELS[self])


SUBMISSION_STATUS_LABELS = {
    SubmissionStatus.PENDING: _l("Chờ gửi mSale"),
    SubmissionStatus.SENT: _l("Đã gửi, chưa rõ kết quả"),
    SubmissionStatus.ACCEPTED: _l("Trong hàng đợi mSale"),
    SubmissionStatus.CONNECTED: _l("mSale đã hòa mạng"),
    SubmissionStatus.REFUSED: _l("mSale từ chối"),
    SubmissionStatus.FAILED: _l("Gửi mSale lỗi"),
}

SUBMISSION_TRANSITIONS = {
    SubmissionStatus.PENDING: {SubmissionStatus.SENT, SubmissionStatus.FAILED},
    # A result may come (callback, poll, status query) before the push job records the acceptance.
    SubmissionStatus.SENT: {SubmissionStatus.ACCEPTED, SubmissionStatus.CONNECTED, SubmissionStatus.REFUSED,
                            SubmissionStatus.FAILED},
    SubmissionStatus.ACCEPTED: {SubmissionStatus.CONNECTED, SubmissionStatus.REFUSED},
    # A person requeued the failed job: it asks mSale by the key, then sends again if mSale never had it.
    SubmissionStatus.FAILED: {SubmissionStatus.SENT, SubmissionStatus.ACCEPTED, SubmissionStatus.CONNECTED,
                              SubmissionStatus.REFUSED},
}
WAITING = frozenset({SubmissionStatus.PENDING, SubmissionStatus.SENT, SubmissionStatus.ACCEPTED,
                     SubmissionStatus.FAILED})  # no result from mSale yet
DONE = frozenset({SubmissionStatus.CONNECTED, SubmissionStatus.REFUSED})


class MsaleSubmission(db.Model):
    """One push of one dossier to mSale."""

    __tablename__ = "msale_submissions"
    audit_as = "msale_submission"
    __table_args__ = (
        UniqueConstraint("dossier_id", "attempt", name="uq_msale_submissions_dossier_attempt"),
        Index("ix_msale_submissions_status_poll", "status", "next_poll_at"),
        Index("ix_msale_submissions_created", "created_at"),  # reports (migration 0022_reports)
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)  # dossier-<id>-<attempt>
    status: Mapped[SubmissionStatus] = mapped_column(status_enum(SubmissionStatus), default=SubmissionStatus.PENDING)
    msale_ref: Mapped[str | None] = mapped_column(String(40))
    last_error: Mapped[str] = mapped_column(String(300), default="")  # the last failure, or mSale's refusal
    tries: Mapped[int] = mapped_column(Integer, default=0)  # requests sent (submit), for the supervisor's page
    next_poll_at: Mapped[datetime | None] = mapped_column(DateTime)  # the poll job asks mSale after this
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    dossier: Mapped[Dossier] = relationship()

    @property
    def status_label(self) -> str:
        return self.status.label

    @property
    def is_waiting(self) -> bool:
        return self.status in WAITING

    @property
    def is_failed(self) -> bool:
        return self.status == SubmissionStatus.FAILED

    @property
    def may_have_reached_msale(self) -> bool:
        """A request went out before: ask mSale by the key before sending again (a lost answer)."""
        return self.tries > 0

    def status_data(self) -> dict:
        return {"dossier_id": self.dossier_id, "region_id": self.dossier.region_id if self.dossier else None}
