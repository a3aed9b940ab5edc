"""The wall's figures against rows the test makes: calls waiting and the longest wait, agents by state, dossiers
waiting for review and the oldest, stuck at mSale, failed jobs, SLA breaches; a regional supervisor's snapshot
holds their region only, head office's the totals and each region's row."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from rq import Queue, SimpleWorker

from portal.calls.models import CallStatus
from portal.connections.models import SubmissionStatus
from portal.core import jobs
from portal.core import redis as portal_redis
from portal.core.time import utcnow
from portal.dossiers.models import DossierStatus
from portal.wall.figures import read_figures, snapshot
from tests.core import sample_jobs

SUBMITTED, APPROVED = DossierStatus.SUBMITTED, DossierStatus.APPROVED


def _at(iso: str | None) -> datetime:
    assert iso is not None
    return datetime.fromisoformat(iso.removesuffix("Z"))


def _about(iso: str | None, ago: timedelta) -> bool:
    return abs(_at(iso) - (utcnow() - ago)) < timedelta(seconds=30)


@pytest.fixture
def two_regions(db, call_at, agent_in, dossier_at, at_msale):
    """CTKV1 busy and late on every count, CTKV2 with a little of each, one failed job."""
    call_at(1, waited=timedelta(minutes=5))  # past the 120 s answer target
    call_at(1, CallStatus.RINGING, waited=timedelta(seconds=30))
    call_at(1, CallStatus.EXPIRED, waited=timedelta(minutes=20))  # no longer waiting
    for state in ("available", "on_call", "wrap_up", "away", "offline"):
        agent_in(1, state)
    dossier_at(1, SUBMITTED, timedelta(minutes=45))  # past the 30-minute review target
    dossier_at(1, SUBMITTED, timedelta(minutes=10))
    dossier_at(1, SUBMITTED, timedelta(minutes=5))
    dossier_at(1, DossierStatus.REJECTED, timedelta(hours=2))  # decided: not waiting
    at_msale(1, SubmissionStatus.ACCEPTED, timedelta(minutes=40))  # past the 30-minute turnaround: stuck
    at_msale(1, SubmissionStatus.SENT, timedelta(minutes=5))  # on time: not stuck
    at_msale(1, SubmissionStatus.FAILED, timedelta(minutes=2))  # out of retries: stuck, not yet a breach
    at_msale(1, SubmissionStatus.CONNECTED, timedelta(hours=3), DossierStatus.CONNECTED)  # answered
    call_at(2, waited=timedelta(seconds=10))
    agent_in(2, "available")
    dossier_at(2, SUBMITTED, timedelta(minutes=50))
    jobs.enqueue_after_commit(sample_jobs.always_fails, "HS-1", retry=[], queue_name="low")
    db.session.commit()
    # Its own queue: the pushes to mSale the approvals enqueued (on "default") are not run.
    SimpleWorker([Queue("low", connection=portal_redis.connection())],
                 connection=portal_redis.connection()).work(burst=True)


def test_a_regional_snapshot_counts_its_own_region_only(two_regions):
    snap = snapshot(read_figures(), 1)
    total = snap["total"]
    assert not snap["head_office"] and snap["regions"] == []
    assert (total["calls"]["waiting"], total["calls"]["over"]) == (2, 1)
    assert _about(total["calls"]["oldest"], timedelta(minutes=5))
    assert total["agents"] == {"available": 1, "on_call": 1, "wrap_up": 1, "away": 1, "offline": 1}
    assert (total["review"]["waiting"], total["review"]["over"]) == (3, 1)
    assert _about(total["review"]["oldest"], timedelta(minutes=45))
    assert (total["msale"]["stuck"], total["msale"]["failed"], total["msale"]["over"]) == (2, 1, 1)
    assert _about(total["msale"]["oldest"], timedelta(minutes=40))
    assert total["breaches"] == 3  # one call, one review, one mSale past their targets
    assert snap["failed_jobs"]["count"] == 1 and _about(snap["failed_jobs"]["oldest"], timedelta())
    assert snap["targets"] == {"call_answer_seconds": 120, "review_minutes": 30, "msale_minutes": 30}

    other = snapshot(read_figures(), 2)["total"]  # CTKV2's own, none of CTKV1's
    assert (other["calls"]["waiting"], other["calls"]["over"], other["review"]["waiting"]) == (1, 0, 1)
    assert other["agents"]["available"] == 1 and other["msale"]["stuck"] == 0 and other["breaches"] == 1
    assert snapshot(read_figures(), 5)["total"]["calls"]["waiting"] == 0


def test_head_office_sees_the_totals_and_every_region(two_regions):
    snap = snapshot(read_figures(), 0)
    total = snap["total"]
    assert snap["head_office"]
    assert (total["calls"]["waiting"], total["review"]["waiting"], total["msale"]["stuck"]) == (3, 4, 2)
    assert total["agents"]["available"] == 2 and total["breaches"] == 4
    assert _about(total["review"]["oldest"], timedelta(minutes=50))  # CTKV2's is the oldest
    rows = {row["id"]: row for row in snap["regions"]}
    assert sorted(rows) == list(range(1, 10))  # head office's own row only when it has work
    assert rows[1]["code"] == "CTKV1" and rows[1]["name"] == "Hà Nội"
    assert (rows[1]["calls"]["waiting"], rows[1]["review"]["over"], rows[1]["breaches"]) == (2, 1, 3)
    assert (rows[2]["calls"]["waiting"], rows[2]["review"]["over"], rows[2]["breaches"]) == (1, 1, 1)
    assert rows[9]["calls"]["waiting"] == rows[9]["review"]["waiting"] == rows[9]["breaches"] == 0


def test_thresholds_come_from_the_settings(app, two_regions):
    app.config.update(CALL_ANSWER_TARGET_SECONDS=20, REVIEW_TARGET_MINUTES=60, MSALE_FLAG_MINUTES=1)
    try:
        total = snapshot(read_figures(), 1)["total"]
    finally:
        app.config.update(CALL_ANSWER_TARGET_SECONDS=120, REVIEW_TARGET_MINUTES=30, MSALE_FLAG_MINUTES=30)
    assert total["calls"]["over"] == 2 and total["review"]["over"] == 0
    # Past a one-minute turnaround: the 40-minute one, the 5-minute one and the failed push of 2 minutes.
    assert (total["msale"]["stuck"], total["msale"]["over"]) == (3, 3)
    assert snapshot(read_figures(), 1)["targets"]["msale_minutes"] == 30


def test_an_empty_wall_reads_zeros(db):
    total = snapshot(read_figures(), 0)["total"]
    assert total["calls"] == {"waiting": 0, "oldest": None, "over": 0} and total["breaches"] == 0
    assert total["review"]["oldest"] is None and total["msale"]["stuck"] == 0
