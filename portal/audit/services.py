"""Searching the audit log, within the reader's region."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from portal.core.access import in_region
from portal.core.models import AuditEntry
from portal.extensions import db

PER_PAGE = 50


@dataclass
class AuditQuery:
    action: str = ""
    actor: str = ""
    object_type: str = ""
    object_id: str = ""
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1


def search_audit(q: AuditQuery) -> tuple[list[AuditEntry], int]:
    """Entries matching ``q``, newest first, and the total count; region-scoped (checklist 11)."""
    stmt = in_region(select(AuditEntry), AuditEntry.region_id)
    if q.action:
        stmt = stmt.where(AuditEntry.action.startswith(q.action))
    if q.actor:
        stmt = stmt.where(AuditEntry.actor_name == q.actor.strip().lower())
    if q.object_type:
        stmt = stmt.where(AuditEntry.object_type == q.object_type)
    if q.object_id:
        stmt = stmt.where(AuditEntry.object_id == q.object_id)
    if q.date_from:
        stmt = stmt.where(AuditEntry.at >= datetime.combine(q.date_from, time.min) - timedelta(hours=7))
    if q.date_to:
        stmt = stmt.where(AuditEntry.at < datetime.combine(q.date_to, time.min) + timedelta(hours=17))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(
        stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(PER_PAGE).offset((q.page - 1) * PER_PAGE)
    ).all()
    return list(rows), total
