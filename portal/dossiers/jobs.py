"""Retention of ID photos (checklist 34): dossiers left alone are abandoned, and the photos of ended dossiers are
deleted once the retention period has passed; so are the objects of photos a retake replaced. Audited, safe to run
twice (it looks only at what is still due)."""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from portal.core.actors import SystemActor
from portal.core.errors import Conflict
from portal.core.jobs import job, periodic
from portal.core.time import utcnow
from portal.dossiers import lifecycle
from portal.dossiers.models import MAY_ABANDON, MEDIA_PURGED_WHEN, Dossier, DossierMedia
from portal.extensions import db
from portal.media.storage import storage

log = logging.getLogger(__name__)
RETENTION = SystemActor("Hệ thống (lưu trữ hồ sơ)")
BATCH = 200


@periodic(interval=3600)
@job
def apply_retention() -> dict[str, int]:
    """Abandon dossiers untouched for DOSSIER_ABANDON_DAYS; delete the photos of those ended more than
    DOSSIER_MEDIA_RETENTION_DAYS ago, and the objects of replaced photos."""
    cfg = current_app.config
    now = utcnow()
    stale = db.session.scalars(select(Dossier).where(
        Dossier.status.in_(MAY_ABANDON), Dossier.updated_at < now - timedelta(days=cfg["DOSSIER_ABANDON_DAYS"]))
        .order_by(Dossier.id).limit(BATCH)).all()
    abandoned = 0
    for dossier in stale:
        try:
            lifecycle.abandon(dossier, RETENTION, _("Quá %(n)d ngày không cập nhật", n=cfg["DOSSIER_ABANDON_DAYS"]))
            abandoned += 1
        except Conflict:
            continue  # the customer moved it a moment ago
    due = db.session.scalars(select(Dossier).where(
        Dossier.status.in_(MEDIA_PURGED_WHEN), Dossier.media_purged_at.is_(None),
        Dossier.ended_at < now - timedelta(days=cfg["DOSSIER_MEDIA_RETENTION_DAYS"]))
        .order_by(Dossier.id).limit(BATCH)).all()
    purged = sum(lifecycle.purge_media(dossier, RETENTION) for dossier in due)
    replaced = db.session.scalars(select(DossierMedia).where(
        DossierMedia.replaced_at.is_not(None), DossierMedia.deleted_at.is_(None)).limit(BATCH * 3)).all()
    for media in replaced:
        storage().delete(media.storage_name)
        media.deleted_at = now
    if abandoned or purged or replaced:
        log.info("dossier retention: %d abandoned, %d photos of ended dossiers and %d replaced photos deleted",
                 abandoned, purged, len(replaced))
    return {"abandoned": abandoned, "photos_deleted": purged, "replaced_deleted": len(replaced)}
