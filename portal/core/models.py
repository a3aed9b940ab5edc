"""Models every domain shares: the audit log, status history and the job outbox."""
from __future__ import annotations

from datetime import datetime
from enum import Enum as PyEnum
from typing import Any

from sqlalchemy import JSON, DateTime, Enum, Index, Integer, String, event
from sqlalchemy.orm import Mapped, Session, UOWTransaction, mapped_column

from portal.core.time import utcnow
from portal.extensions import Model


def status_enum(enum_cls: type[PyEnum], length: int = 20) -> Enum:
    """A string-valued enum column (portable: a VARCHAR with the enum's values, no native type)."""
    return Enum(enum_cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e],
                validate_strings=True)


class AuditEntry(Model):
    """Append-only: who did what to which record, when (UTC) and from where."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_object", "object_type", "object_id"),
        Index("ix_audit_entry_region_at", "region_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_name: Mapped[str] = mapped_column(String(80), default="")
    actor_kind: Mapped[str] = mapped_column(String(16), default="staff")  # staff, system, partner, customer
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    # The region of the record (not of the actor): region scoping of the audit page.
    region_id: Mapped[int | None] = mapped_column(Integer)
    ip: Mapped[str | None] = mapped_column(String(45))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class StatusChange(Model):
    """One row per state-machine move, written only by portal.core.states.transition."""

    __tablename__ = "status_change"
    __table_args__ = (
        Index("ix_status_change_object", "object_type", "object_id"),
        # Reports: the time an object spent in each status (index-only), moves of a kind over a period.
        Index("ix_status_change_object_to_at", "object_type", "object_id", "to_status", "at"),
        Index("ix_status_change_type_at", "object_type", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(64))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(80), default="")
    reason: Mapped[str] = mapped_column(String(500), default="")


class OutboxJob(Model):
    """A job made real by a commit; deleted by the job's own successful commit.

    The row is written in the same transaction as the decision that needs the
    job, so a decision is never without its job even if Redis is down at commit
    time (checklist 27, 29); the outbox sweeper re-enqueues what Redis lost.
    """

    __tablename__ = "outbox_job"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # = the RQ job id
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    queue: Mapped[str] = mapped_column(String(20), default="default")
    func: Mapped[str] = mapped_column(String(200))
    args: Mapped[list[Any]] = mapped_column(JSON, default=list)
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    retry_intervals: Mapped[list[int]] = mapped_column(JSON, default=list)


@event.listens_for(Session, "before_flush")
def _audit_is_append_only(session: Session, _ctx: UOWTransaction, _instances: object) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise PermissionError("the audit log is append-only")
