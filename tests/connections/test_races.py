"""Races: the same result arriving five times at once, by callback and by the push's own status query, applies
once (runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL: checklist 23, 25)."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from portal.connections import jobs, services
from portal.connections.models import MsaleSubmission, SubmissionStatus
from portal.core.models import StatusChange
from portal.dossiers.models import Dossier, DossierStatus
from portal.gateways.msale import msale
from tests.connections.conftest import CALLBACK
from tests.gateways.msale_fixtures import MSALE_SECRET


@pytest.mark.usefixtures("committed_db")
def test_five_identical_callbacks_and_the_push_at_once_connect_once(app, db, approved, msale_box):
    from portal.gateways.signing import sign

    dossier = approved()
    submission = db.session.scalar(select(MsaleSubmission).where(MsaleSubmission.dossier_id == dossier.id))
    services.mark_sending(submission)
    db.session.commit()
    msale().submit(services.payload_of(submission.dossier), submission.idempotency_key)  # the answer never recorded
    msale_box.tick()
    raw = msale_box.callback_body(msale_box.get(submission.idempotency_key))
    barrier = threading.Barrier(6)
    answers: list = []
    errors: list = []

    def callback():
        client = app.test_client()
        barrier.wait()
        answers.append(client.post(CALLBACK, data=raw, headers={"Content-Type": "application/json",
                                                               "X-Msale-Signature": sign(raw, MSALE_SECRET)}))

    def push():
        with app.app_context():
            barrier.wait()
            try:
                jobs.push_to_msale(submission.id)
            except Exception as exc:  # a stale move is fine (another thread applied it); anything else is not
                errors.append(exc)

    threads = [threading.Thread(target=callback) for _ in range(5)] + [threading.Thread(target=push)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [r.status_code for r in answers] == [200] * 5 and not errors
    assert sum(r.json["applied"] for r in answers) <= 1
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Dossier, dossier.id).status == DossierStatus.CONNECTED
    assert db.session.get(MsaleSubmission, submission.id).status == SubmissionStatus.CONNECTED
    moves = db.session.scalar(select(func.count(StatusChange.id)).where(
        StatusChange.object_type == "dossier", StatusChange.object_id == str(dossier.id),
        StatusChange.to_status == "connected"))
    assert moves == 1 and msale_box.stats()["connections"] == 1
