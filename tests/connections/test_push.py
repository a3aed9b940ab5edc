"""Pushing approved dossiers to mSale, exactly once from the customer's point of view (ACT-11..16, ESIM-10..13;
checklist 25–28): the submission opened with the approval, its stable key, a lost answer settled by a status query
before any resend, a push killed mid-call, retries running out, the poll, the supervisors' flag."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from portal.connections import jobs, services
from portal.connections.models import MsaleSubmission, SubmissionStatus
from portal.core.models import AuditEntry, OutboxJob
from portal.core.roles import Role
from portal.core.states import transition
from portal.core.time import utcnow
from portal.dossiers import queries
from portal.dossiers.models import Dossier, DossierStatus
from portal.gateways.msale import MsaleClient, msale
from tests.connections.conftest import APPROVE, REVIEWER


def _submission(db, dossier) -> MsaleSubmission:
    db.session.commit()
    return db.session.scalar(select(MsaleSubmission).where(MsaleSubmission.dossier_id == dossier.id))


def _dossier(db, dossier) -> Dossier:
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Dossier, dossier.id)


def test_the_approval_opens_one_submission_and_queues_its_push__ACT_11(db, approved):
    dossier = approved()
    submission = _submission(db, dossier)
    assert submission.status == SubmissionStatus.PENDING and submission.attempt == 1
    assert submission.idempotency_key == f"dossier-{dossier.id}-1"
    pushes = db.session.scalars(select(OutboxJob).where(OutboxJob.func.like("%push_to_msale"))).all()
    assert [row.args for row in pushes] == [[submission.id]]


def test_an_approval_that_rolls_back_queues_nothing__checklist_27(db, lan, delivered_order):
    from portal.dossiers import lifecycle

    dossier = lifecycle.open_dossier(delivered_order(lan), lan)
    transition(dossier, DossierStatus.APPROVED, REVIEWER, APPROVE)
    db.session.rollback()
    assert db.session.scalar(select(func.count(MsaleSubmission.id))) == 0
    assert db.session.scalar(select(func.count(OutboxJob.id)).where(OutboxJob.func.like("%push_to_msale"))) == 0


def test_push_then_poll_connects_a_physical_sim__ACT_12_ACT_14(db, approved, msale_box):
    dossier = approved()
    submission = _submission(db, dossier)
    assert jobs.push_to_msale(submission.id) == "accepted"
    submission = _submission(db, dossier)
    assert submission.status == SubmissionStatus.ACCEPTED and submission.msale_ref and submission.tries == 1
    assert jobs.push_to_msale(submission.id) is None  # run again (RQ is at-least-once): nothing to do
    msale_box.tick()
    submission.next_poll_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert jobs.poll_msale()["settled"] == 1
    found = _dossier(db, dossier)
    assert found.status == DossierStatus.CONNECTED and found.msale_ref == submission.msale_ref
    assert [(s.step, s.action.value) for s in queries.timeline(found)][-1] == ("ACT-14", "connected")
    assert msale_box.stats()["connections"] == 1 and len(msale_box.all()) == 1


def test_an_esim_is_issued_its_activation_code__ESIM_13(db, approved, msale_box):
    dossier = approved(esim=True)
    submission = _submission(db, dossier)
    jobs.push_to_msale(submission.id)
    msale_box.tick()
    submission = _submission(db, dossier)
    submission.next_poll_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    jobs.poll_msale()
    found = _dossier(db, dossier)
    assert found.status == DossierStatus.QR_ISSUED
    assert found.activation_code == msale_box.get(submission.idempotency_key)["activation_code"]
    assert found.activation_code.startswith("LPA:1$")


def test_a_refusal_carries_mSales_reason__ACT_16(db, approved, msale_box):
    dossier = approved(id_number="001190012349")  # the sandbox refuses ID numbers ending in 9
    submission = _submission(db, dossier)
    jobs.push_to_msale(submission.id)
    msale_box.tick()
    _submission(db, dossier).next_poll_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    jobs.poll_msale()
    found = _dossier(db, dossier)
    assert found.status == DossierStatus.CONNECTION_REFUSED and "Cơ sở dữ liệu quốc gia" in found.last_reason
    assert _submission(db, dossier).status == SubmissionStatus.REFUSED


def test_a_lost_answer_is_settled_by_the_status_query_not_a_resend__checklist_25(db, approved, msale_box,
                                                                                  monkeypatch):
    dossier = approved()
    submission = _submission(db, dossier)
    msale_box.set_fault("lost", 2)  # the submit's answer and the status query right after it are both lost
    submits = []
    real_submit = MsaleClient.submit
    monkeypatch.setattr(MsaleClient, "submit", lambda self, *a: submits.append(a) or real_submit(self, *a))
    try:
        jobs.push_to_msale(submission.id)
        raise AssertionError("the first try should fail")
    except Exception as exc:
        assert "500" in str(exc)
    submission = _submission(db, dossier)
    assert submission.status == SubmissionStatus.SENT and "500" in submission.last_error
    assert jobs.push_to_msale(submission.id) == "accepted"  # the retry: the status query says queued
    assert len(submits) == 1 and len(msale_box.all()) == 1


def test_timeouts_and_garbage_are_settled_by_the_key_at_once(db, approved, msale_box):
    for fault in ("timeout", "garbage"):
        dossier = approved()
        submission = _submission(db, dossier)
        msale_box.set_fault(fault)
        assert jobs.push_to_msale(submission.id) == "accepted"
        assert _submission(db, dossier).status == SubmissionStatus.ACCEPTED
    assert len(msale_box.all()) == 2


def test_a_500_before_mSale_did_anything_is_sent_again_with_the_same_key(db, approved, msale_box):
    dossier = approved()
    submission = _submission(db, dossier)
    msale_box.set_fault("error")
    try:
        jobs.push_to_msale(submission.id)
    except Exception:
        pass
    assert msale_box.all() == []
    assert jobs.push_to_msale(submission.id) == "accepted"
    assert [r["idempotency_key"] for r in msale_box.all()] == [submission.idempotency_key]


def test_a_push_killed_after_sending_is_found_not_sent_twice__checklist_26(db, approved, msale_box, monkeypatch):
    """The worker died between mSale's acceptance and our record of it: the next run asks first."""
    dossier = approved()
    submission = _submission(db, dossier)
    services.mark_sending(submission)
    db.session.commit()
    msale().submit(services.payload_of(submission.dossier), submission.idempotency_key)  # then SIGKILL
    monkeypatch.setattr(MsaleClient, "submit", lambda *a: (_ for _ in ()).throw(AssertionError("resent")))
    assert jobs.push_to_msale(submission.id) == "accepted"
    assert len(msale_box.all()) == 1


def test_the_last_failed_try_marks_it_failed_for_the_failed_jobs_page__checklist_28(db, approved, msale_box,
                                                                                     monkeypatch):
    dossier = approved()
    submission = _submission(db, dossier)
    msale_box.set_fault("error", 10)
    monkeypatch.setattr(jobs, "_last_try", lambda: True)
    try:
        jobs.push_to_msale(submission.id)
    except Exception:
        pass
    submission = _submission(db, dossier)
    assert submission.status == SubmissionStatus.FAILED and "500" in submission.last_error
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "msale.push_failed")) is not None
    # A person requeues it once mSale is back: it asks by the key, then sends, once.
    msale_box.set_fault("error", 0)
    monkeypatch.undo()
    assert jobs.push_to_msale(submission.id) == "accepted"
    assert len(msale_box.all()) == 1


def test_a_push_whose_worker_died_is_run_again_by_the_poll(db, approved, msale_box):
    dossier = approved()
    submission = _submission(db, dossier)
    submission.updated_at = utcnow() - timedelta(minutes=10)
    db.session.commit()
    assert jobs.poll_msale()["asked"] == 1
    assert _submission(db, dossier).status == SubmissionStatus.ACCEPTED


def test_dossiers_waiting_too_long_are_flagged_to_their_regions_supervisors(db, approved, client, login,
                                                                              make_staff):
    dossier = approved()
    submission = _submission(db, dossier)
    fresh = approved()
    submission.created_at = utcnow() - timedelta(minutes=31)
    db.session.commit()
    assert [s.dossier_id for s in services.waiting_too_long()] == [dossier.id]
    login(Role.SUPERVISOR, region=1)
    page = client.get("/msale/").get_data(as_text=True)
    assert dossier.ticket.hold_code in page and fresh.ticket.hold_code not in page
    other = client.__class__(client.application, client.response_wrapper)
    login(Role.SUPERVISOR, region=2, on=other)
    assert dossier.ticket.hold_code not in other.get("/msale/").get_data(as_text=True)
    agent = client.__class__(client.application, client.response_wrapper)
    login(Role.AGENT, region=1, on=agent)
    assert agent.get("/msale/").status_code == 403
