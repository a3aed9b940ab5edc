"""The connection team's review queue (/review, ACT-11, ESIM-10): tabs, counts, filters and ages; claims (one
reviewer at a time, free again when idle; a race has one winner on both engines); approve (four eyes where the
region asks), reject with a reason, ask for parts again; notes; every view audited; another region is a 404;
the list is told of new items through Socket.IO."""
from __future__ import annotations

import contextvars
import re
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.auth.models import Staff
from portal.core.errors import Conflict, Invalid
from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.core.sqlite import writing
from portal.core.time import utcnow
from portal.dossiers import lifecycle, review, review_queries
from portal.dossiers.models import Dossier, DossierStatus
from portal.dossiers.review_models import Decision, ReviewDecision
from portal.extensions import db as _db
from portal.extensions import socketio
from tests.conftest import page_csrf

ROW = re.compile(r'data-row="(\d+)"')


def _audits(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _post(client, path: str, **data):
    token = page_csrf(client, "/review/")
    return client.post(path, data={"csrf_token": token, **data})


def _reload(db, dossier: Dossier) -> Dossier:
    db.session.expire_all()
    return db.session.get(Dossier, dossier.id)


def test_a_submitted_dossier_is_in_the_regions_new_tab_with_its_age__ACT_11(client, db, app, login, submitted):
    dossier = submitted("physical")
    esim = submitted("esim")
    with writing():
        db.session.get(Dossier, dossier.id).submitted_at = utcnow() - timedelta(minutes=45)  # past the 30' target
        db.session.commit()
    login(Role.CONNECTION, region=1)
    html = client.get("/review/").get_data(as_text=True)
    assert ROW.findall(html) == [str(dossier.id), str(esim.id)]  # oldest first
    assert 'data-count="new">2<' in html and 'data-count="mine">0<' in html
    assert "review-overdue" in html and "45 phút" in html and "Chưa ai nhận" in html
    assert ROW.findall(client.get("/review/?sim=esim").get_data(as_text=True)) == [str(esim.id)]
    assert ROW.findall(client.get(f"/review/?q={dossier.ticket.hold_code.lower()}").get_data(as_text=True)) == [
        str(dossier.id)]
    assert ROW.findall(client.get("/review/?channel=partner").get_data(as_text=True)) == []
    assert len(ROW.findall(client.get("/review/?channel=web&q=0912345678").get_data(as_text=True))) == 2
    home = client.get("/").get_data(as_text=True)
    assert 'href="/review/"' in home and "Duyệt hồ sơ" in home
    assert re.search(r'data-nav-count="review.index"\s*>2<', home)


def test_the_review_page_shows_everything_side_by_side_and_audits_each_look__ACT_11(client, db, login, submitted):
    dossier = submitted("physical")
    staff = login(Role.CONNECTION, region=1)
    page = client.get(f"/review/{dossier.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert dossier.sim_serial in html and "Nguyễn Thị Lan Anh" in html and "So khớp khuôn mặt" in html
    assert html.count('class="pv-thumb"') == 3 and "data-contract" in html and "Khớp SIM đã giao" in html
    assert "data-snapshots" not in html  # the video desk's hook stays empty until it gives snapshots
    assert "ACT-10" in html
    for kind, mime in (("signature", "image/png"), ("sim_photo", "image/jpeg"), ("contract", "application/pdf")):
        response = client.get(f"/review/{dossier.id}/tai-lieu/{kind}")
        assert response.status_code == 200 and response.headers["Content-Type"] == mime
        assert response.headers["Cache-Control"] == "no-store"
    assert client.get(f"/review/{dossier.id}/tai-lieu/nothing").status_code == 404
    assert [a.actor_id for a in _audits(db, "dossier.review_view")] == [staff.id]
    assert [a.detail["kind"] for a in _audits(db, "dossier.document_view")] == ["signature", "sim_photo", "contract"]


@pytest.mark.parametrize("role", [Role.CONNECTION, Role.SUPERVISOR])
def test_another_regions_reviewer_gets_404_and_an_audit_row__ACT_11(client, db, login, submitted, role):
    dossier = submitted("physical")
    staff = login(role, region=2)
    assert client.get(f"/review/{dossier.id}").status_code == 404
    assert client.get(f"/review/{dossier.id}/tai-lieu/contract").status_code == 404
    if role == Role.CONNECTION:
        assert _post(client, f"/review/{dossier.id}/duyet").status_code == 404
    assert ROW.findall(client.get("/review/").get_data(as_text=True)) == []
    assert {a.actor_id for a in _audits(db, "access.denied_region")} == {staff.id}
    assert _reload(db, dossier).status == DossierStatus.SUBMITTED


def test_claim_approve_and_a_second_approval_is_refused__ACT_11(client, db, login, submitted):
    dossier = submitted("physical")
    staff = login(Role.CONNECTION, region=1)
    assert _post(client, f"/review/{dossier.id}/nhan").status_code == 303
    assert 'data-count="mine">1<' in client.get("/review/?tab=mine").get_data(as_text=True)
    assert _post(client, f"/review/{dossier.id}/duyet").status_code == 303
    dossier = _reload(db, dossier)
    assert dossier.status == DossierStatus.APPROVED and dossier.decided_by_id == staff.id
    again = _post(client, f"/review/{dossier.id}/duyet")
    assert again.status_code == 409 and "đã được duyệt trước đó" in again.get_data(as_text=True)
    reject = _post(client, f"/review/{dossier.id}/tu-choi", reason_code="id_mismatch", note="x")
    assert reject.status_code == 409 and "Hồ sơ đã được quyết định" in reject.get_data(as_text=True)
    assert [d.decision for d in db.session.scalars(select(ReviewDecision))] == [Decision.APPROVED]
    assert ROW.findall(client.get("/review/?tab=msale").get_data(as_text=True)) == [str(dossier.id)]
    assert _audits(db, "dossier.approved")  # the status event's audit row


def test_a_dossier_claimed_by_someone_else_cannot_be_decided__ACT_11(client, app, db, login, make_staff,
                                                                      submitted):
    dossier = submitted("physical")
    other = make_staff(Role.CONNECTION, 1)
    review.claim(dossier, other)
    db.session.commit()
    login(Role.CONNECTION, region=1)
    for path, data in (("duyet", {}), ("tu-choi", {"reason_code": "other", "note": "Ảnh mờ"}),
                       ("bo-sung", {"parts": "signature"}), ("nhan", {})):
        response = _post(client, f"/review/{dossier.id}/{path}", **data)
        assert response.status_code == 409, path
        assert f"Hồ sơ đang được {other.display_name} duyệt" in response.get_data(as_text=True)
    assert _reload(db, dossier).status == DossierStatus.SUBMITTED


def test_an_idle_claim_is_free_again__ACT_11(app, db, make_staff, submitted):
    dossier = submitted("physical")
    first, second = make_staff(Role.CONNECTION, 1), make_staff(Role.CONNECTION, 1)
    assert review.claim(dossier, first)
    with pytest.raises(Conflict) as exc:
        review.claim(dossier, second)
    assert exc.value.code == "claimed_by_other"
    dossier.review_active_at = utcnow() - timedelta(minutes=app.config["REVIEW_CLAIM_IDLE_MINUTES"] + 1)
    db.session.flush()
    assert review.claim(dossier, second) and dossier.reviewer_id == second.id


def test_reject_needs_a_catalogue_reason_and_tells_the_customer__ACT_11(client, db, login, submitted,
                                                                        login_customer):
    dossier = submitted("physical")
    login(Role.CONNECTION, region=1)
    unknown = _post(client, f"/review/{dossier.id}/tu-choi", reason_code="because", note="")
    assert unknown.status_code == 422 and "Vui lòng chọn lý do từ chối" in unknown.get_data(as_text=True)
    bare_other = _post(client, f"/review/{dossier.id}/tu-choi", reason_code="other", note=" ")
    assert bare_other.status_code == 422
    done = _post(client, f"/review/{dossier.id}/tu-choi", reason_code="portrait_mismatch", note="Ảnh chân dung tối")
    assert done.status_code == 303
    dossier = _reload(db, dossier)
    assert dossier.status == DossierStatus.REJECTED and dossier.reject_code == "portrait_mismatch"
    assert dossier.last_reason == "Chân dung không khớp ảnh trên giấy tờ: Ảnh chân dung tối"
    assert lifecycle.reject(dossier, db.session.get(Staff, dossier.decided_by_id), "portrait_mismatch",
                            "Ảnh chân dung tối") is False  # the same decision again: a no-op


def test_supervisors_read_and_assign_but_do_not_decide(client, app, db, login, make_staff, submitted):
    dossier = submitted("physical")
    reviewer = make_staff(Role.CONNECTION, 1)
    login(Role.SUPERVISOR, region=1)
    html = client.get(f"/review/{dossier.id}").get_data(as_text=True)
    assert "Giao cho" in html and "data-approve" not in html
    assert _post(client, f"/review/{dossier.id}/duyet").status_code == 403
    assert _post(client, f"/review/{dossier.id}/giao", reviewer_id=str(reviewer.id)).status_code == 303
    assert _reload(db, dossier).reviewer_id == reviewer.id
    outsider = make_staff(Role.CONNECTION, 2)
    assert _post(client, f"/review/{dossier.id}/giao", reviewer_id=str(outsider.id)).status_code == 404
    assert _post(client, f"/review/{dossier.id}/ghi-chu", text="Kiểm tra lại địa chỉ").status_code == 303
    assert "Kiểm tra lại địa chỉ" in client.get(f"/review/{dossier.id}").get_data(as_text=True)
    for role in (Role.AGENT, Role.CLERK):
        other = app.test_client()
        login(role, region=1, on=other)
        assert other.get("/review/").status_code == 403


def test_four_eyes_need_two_different_reviewers__ACT_11(app, db, make_staff, submitted):
    dossier = submitted("physical")
    first, second = make_staff(Role.CONNECTION, 1), make_staff(Role.CONNECTION, 1)
    app.config["REVIEW_FOUR_EYES_REGIONS"] = [1]
    try:
        assert lifecycle.approve(dossier, first)
        assert dossier.status == DossierStatus.SUBMITTED and dossier.first_approver_id == first.id
        with pytest.raises(Conflict) as exc:
            lifecycle.approve(dossier, first)
        assert exc.value.code == "four_eyes_same_reviewer"
        assert lifecycle.approve(dossier, second)
        assert dossier.status == DossierStatus.APPROVED and dossier.decided_by_id == second.id
    finally:
        app.config["REVIEW_FOUR_EYES_REGIONS"] = []
    decisions = [d.decision for d in db.session.scalars(select(ReviewDecision).order_by(ReviewDecision.id))]
    assert decisions == [Decision.FIRST_APPROVAL, Decision.APPROVED]


def test_ask_redo_refuses_parts_that_do_not_apply__ESIM_10(db, make_staff, submitted):
    dossier = submitted("esim")
    reviewer = make_staff(Role.CONNECTION, 1)
    with pytest.raises(Invalid):
        lifecycle.ask_redo(dossier, reviewer, ["sim_photo"], "")  # an eSIM has no SIM photo
    with pytest.raises(Invalid):
        lifecycle.ask_redo(dossier, reviewer, [], "")
    assert lifecycle.ask_redo(dossier, reviewer, ["signature"], "Chữ ký quá nhỏ")
    assert dossier.status == DossierStatus.REDO and dossier.redo_parts == ["signature"]
    assert lifecycle.ask_redo(dossier, reviewer, ["signature"], "") is False


def _socket(app, client):
    return contextvars.Context().run(socketio.test_client, app, namespace="/review", flask_test_client=client)


def test_the_queue_hears_a_new_submission_of_its_region_only__ACT_11(app, client, db, login, verified, submitted):
    """A real Socket.IO connection: the review queue is told when a dossier of its region is submitted."""
    login(Role.CONNECTION, region=1)
    sock = _socket(app, client)
    assert sock.is_connected("/review")
    dossier = submitted("esim")
    deadline, moved = time.monotonic() + 3, []
    while time.monotonic() < deadline and not moved:
        moved = [m["args"][0] for m in sock.get_received("/review") if m["name"] == "dossier_moved"]
        time.sleep(0.05)
    assert [(m["row_id"], m["what"]) for m in moved] == [(dossier.id, "submitted")]
    sock.disconnect(namespace="/review")
    other = app.test_client()
    login(Role.CLERK, region=1, on=other)
    assert not _socket(app, other).is_connected("/review")


def test_the_list_partial_carries_the_menu_count(client, login, submitted):
    submitted("esim")
    login(Role.CONNECTION, region=1)
    html = client.get("/review/_list").get_data(as_text=True)
    assert 'data-nav-count-for="review.index" data-count="1"' in html


@pytest.mark.usefixtures("committed_db")
def test_reviewers_racing_to_claim_leave_one_winner__ACT_11(app, db, make_staff, submitted):
    """SQLite and PostgreSQL: the claim is a conditional UPDATE; eight reviewers at once, one gets it."""
    dossier = submitted("physical")
    reviewers = [make_staff(Role.CONNECTION, 1).id for _ in range(8)]
    start, outcomes = threading.Barrier(len(reviewers)), []

    def run(staff_id: int) -> None:
        with app.app_context():
            start.wait()
            try:
                with writing():
                    staff = _db.session.get(Staff, staff_id)
                    review.claim(_db.session.get(Dossier, dossier.id), staff)
                    _db.session.commit()
                outcomes.append(staff_id)
            except Conflict as exc:
                _db.session.rollback()
                outcomes.append(exc.code)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run, args=(r,)) for r in reviewers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    winners = [o for o in outcomes if isinstance(o, int)]
    assert len(winners) == 1 and sorted(o for o in outcomes if not isinstance(o, int)) == ["claimed_by_other"] * 7
    db.session.rollback()
    assert db.session.get(Dossier, dossier.id).reviewer_id == winners[0]


def test_the_queue_counts_by_tab(db, make_staff, submitted):
    """The grouped count splits the waiting ones into new and mine, and counts the other tabs."""
    from flask_login import login_user

    mine, theirs, approved = submitted("physical"), submitted("esim"), submitted("esim")
    me, other = make_staff(Role.CONNECTION, 1), make_staff(Role.CONNECTION, 1)
    review.claim(mine, me)
    review.claim(theirs, other)
    lifecycle.approve(approved, other)
    db.session.flush()
    with db.session.no_autoflush:
        from flask import current_app

        with current_app.test_request_context():
            login_user(me)
            counts = review_queries.tab_counts(review_queries.Filters(), me.id)
    assert counts == {review_queries.Tab.NEW: 1, review_queries.Tab.MINE: 1, review_queries.Tab.MSALE: 1,
                      review_queries.Tab.REJECTED: 0, review_queries.Tab.DONE: 0}
