"""mSale's signed result callbacks (ACT-12, ESIM-11; checklist 23): applied once; duplicate, late or contradicting
ones change nothing; tampered, unsigned or stale ones are refused (401/400) and audited."""
from __future__ import annotations

import json
import time

from sqlalchemy import select

from portal.connections import jobs
from portal.connections.models import MsaleSubmission, SubmissionStatus
from portal.core.models import AuditEntry
from portal.dossiers.models import Dossier, DossierStatus
from tests.connections.conftest import post_callback


def _pushed(db, approved, msale_box, **kw) -> tuple[Dossier, MsaleSubmission]:
    dossier = approved(**kw)
    db.session.commit()
    submission = db.session.scalar(select(MsaleSubmission).where(MsaleSubmission.dossier_id == dossier.id))
    jobs.push_to_msale(submission.id)
    msale_box.tick()
    return dossier, submission


def _reload(db, obj):
    db.session.commit()
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def _refusals() -> list[str]:
    from portal.extensions import db

    return [e.detail["code"] for e in db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "msale.callback_refused").order_by(AuditEntry.id))]


def test_the_callback_connects_once_and_a_duplicate_changes_nothing__ACT_14(db, client, approved, msale_box):
    dossier, submission = _pushed(db, approved, msale_box)
    body = msale_box.callback_body(msale_box.get(submission.idempotency_key))
    first = post_callback(client, body)
    assert first.status_code == 200 and first.json["applied"] is True
    assert _reload(db, dossier).status == DossierStatus.CONNECTED
    again = post_callback(client, body)  # mSale resends (signed afresh)
    assert again.status_code == 200 and again.json["applied"] is False
    late = json.loads(body)
    late["status"] = "queued"
    assert post_callback(client, late).json["applied"] is False  # a late "queued": nothing moves back
    contradicting = {**json.loads(body), "status": "refused", "reason": "?"}
    assert post_callback(client, contradicting).json["applied"] is False
    assert _reload(db, dossier).status == DossierStatus.CONNECTED
    assert _reload(db, submission).status == SubmissionStatus.CONNECTED


def test_an_esim_callback_issues_the_qr_code__ESIM_13(db, client, approved, msale_box):
    dossier, submission = _pushed(db, approved, msale_box, esim=True)
    row = msale_box.get(submission.idempotency_key)
    assert post_callback(client, msale_box.callback_body(row)).status_code == 200
    found = _reload(db, dossier)
    assert found.status == DossierStatus.QR_ISSUED and found.activation_code == row["activation_code"]


def test_tampered_unsigned_stale_or_garbage_callbacks_are_refused_and_audited(db, client, approved, msale_box):
    dossier, submission = _pushed(db, approved, msale_box)
    body = msale_box.callback_body(msale_box.get(submission.idempotency_key))
    tampered = body.replace(b'"connected"', b'"refused"')
    from portal.gateways.signing import sign
    from tests.gateways.msale_fixtures import MSALE_SECRET

    assert post_callback(client, tampered, header=sign(body, MSALE_SECRET)).status_code == 401
    assert post_callback(client, body, header="").status_code == 401
    assert post_callback(client, body, secret="not-the-secret").status_code == 401
    assert post_callback(client, body, timestamp=int(time.time()) - 3600).status_code == 401
    assert post_callback(client, b"[1, 2]").status_code == 400
    assert post_callback(client, {"idempotency_key": submission.idempotency_key, "status": "exploded"}
                         ).status_code == 400
    assert post_callback(client, {"idempotency_key": "dossier-0-9", "status": "connected"}).status_code == 404
    assert _reload(db, dossier).status == DossierStatus.APPROVED
    assert _refusals() == ["bad_signature", "bad_signature", "bad_signature", "timestamp_outside_window",
                           "bad_json", "bad_field"]


def test_no_secret_configured_refuses_every_callback(app, db, client, approved, msale_box):
    dossier, submission = _pushed(db, approved, msale_box)
    app.config["MSALE_SECRET"] = ""
    body = msale_box.callback_body(msale_box.get(submission.idempotency_key))
    assert post_callback(client, body).status_code == 401
    assert _reload(db, dossier).status == DossierStatus.APPROVED


def test_a_callback_before_the_push_recorded_the_acceptance_still_counts(db, client, approved, msale_box):
    """mSale may answer by callback before our push job has written "accepted" (the job then finds it settled)."""
    dossier = approved()
    db.session.commit()
    submission = db.session.scalar(select(MsaleSubmission).where(MsaleSubmission.dossier_id == dossier.id))
    from portal.connections import services
    from portal.gateways.msale import msale

    services.mark_sending(submission)
    db.session.commit()
    msale().submit(services.payload_of(submission.dossier), submission.idempotency_key)
    msale_box.tick()
    post_callback(client, msale_box.callback_body(msale_box.get(submission.idempotency_key)))
    assert _reload(db, dossier).status == DossierStatus.CONNECTED
    assert jobs.push_to_msale(submission.id) is None
    assert len(msale_box.all()) == 1


def test_an_esim_connected_without_its_activation_code_waits_for_a_proper_answer(db, client, approved, msale_box):
    dossier, submission = _pushed(db, approved, msale_box, esim=True)
    body = json.loads(msale_box.callback_body(msale_box.get(submission.idempotency_key)))
    body["activation_code"] = ""
    assert post_callback(client, body).json["applied"] is False
    assert _reload(db, dossier).status == DossierStatus.APPROVED
