"""Reading mSale submissions per region for the supervisors' wall (portal/wall): what the supervisors' /msale/ page
lists, counted. A dossier is *stuck at mSale* when it is flagged there (approved, no result from mSale after
MSALE_FLAG_MINUTES) or its push failed (out of retries, waiting for a person to requeue it)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, not_
from sqlalchemy.orm import join

from portal.connections.models import MsaleSubmission, SubmissionStatus
from portal.connections.services import awaiting_msale, flag_cutoff
from portal.core import backlog
from portal.dossiers.models import Dossier, DossierStatus

_WITH_DOSSIER = join(MsaleSubmission, Dossier, Dossier.id == MsaleSubmission.dossier_id)


def stuck_by_region(now: datetime) -> dict[int, backlog.Backlog]:
    """Stuck submissions per dossier region: how many, the oldest push, and how many waited past the turnaround
    (MSALE_FLAG_MINUTES: the SLA breaches; a failed push younger than that is stuck but not yet a breach). Read as
    two disjoint parts, each on its index — the flagged ones by the dossier's (region, status), the other failed
    pushes by the submission's status — where one OR would walk every dossier."""
    cutoff = flag_cutoff(now)
    late = MsaleSubmission.created_at < cutoff
    flagged = and_(awaiting_msale(), late)
    failed = and_(MsaleSubmission.status == SubmissionStatus.FAILED, not_(and_(Dossier.status == DossierStatus.APPROVED,
                                                                              late)))
    return backlog.merged(backlog.by_region(Dossier.region_id, MsaleSubmission.created_at, flagged, cutoff,
                                            _WITH_DOSSIER),
                          backlog.by_region(Dossier.region_id, MsaleSubmission.created_at, failed, cutoff,
                                            _WITH_DOSSIER))


def failed_by_region(now: datetime) -> dict[int, int]:
    """Pushes out of retries per dossier region (the /msale/ page's second list)."""
    rows = backlog.by_region(Dossier.region_id, MsaleSubmission.created_at,
                             MsaleSubmission.status == SubmissionStatus.FAILED, now, _WITH_DOSSIER)
    return {region_id: b.waiting for region_id, b in rows.items()}
