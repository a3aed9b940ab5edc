"""Supervisors' view of mSale (/msale/): dossiers waiting on mSale longer than MSALE_FLAG_MINUTES (flagged), and
pushes that ran out of retries (their jobs are on the failed-jobs page to requeue). Region-scoped."""
from __future__ import annotations

from flask import current_app, render_template
from flask_login import current_user
from sqlalchemy import select

from portal.connections import bp, services
from portal.connections.models import MsaleSubmission, SubmissionStatus
from portal.core.access import allow
from portal.core.nav import OVERSIGHT
from portal.dossiers.models import Dossier
from portal.extensions import db


def _regions() -> list[int] | None:
    return None if current_user.is_head_office else [current_user.region_id]


def flagged_count(user) -> int:
    """The nav badge: dossiers waiting on mSale too long in the user's region."""
    return len(services.waiting_too_long(None if user.is_head_office else [user.region_id]))


@bp.get("/")
@allow(*OVERSIGHT)
def index():
    regions = _regions()
    failed = select(MsaleSubmission).join(Dossier, Dossier.id == MsaleSubmission.dossier_id).where(
        MsaleSubmission.status == SubmissionStatus.FAILED).order_by(MsaleSubmission.updated_at.desc()).limit(200)
    if regions is not None:
        failed = failed.where(Dossier.region_id.in_(regions))
    return render_template("connections/index.html", waiting=services.waiting_too_long(regions),
                           failed=list(db.session.scalars(failed)), minutes=current_app.config["MSALE_FLAG_MINUTES"])
