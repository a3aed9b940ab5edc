"""The rejection-reason catalogue (ACT-11, ESIM-10): seeded from the codes the review always had; admins add reasons,
change labels and order, deactivate; a reason in use cannot be deleted; the review offers the active ones in order;
decisions keep showing the label of their code, deactivated or not. Every change audited before/after; a stale edit
is refused (409) with the latest values shown."""
from __future__ import annotations

import re

from sqlalchemy import select

from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.dossiers.review_models import DEFAULT_REJECT_REASONS, RejectionReason, ReviewDecision
from tests.conftest import page_csrf

OPTION = re.compile(r'<option value="([a-z_]+)">([^<]*)</option>')


def _reason(db, code: str) -> RejectionReason:
    db.session.expire_all()
    return db.session.scalar(select(RejectionReason).where(RejectionReason.code == code))


def _audits(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _post(client, path: str, **data):
    return client.post(path, data={"csrf_token": page_csrf(client, "/admin/reject-reasons/"), **data})


def _offered(client, dossier_id: int) -> list[tuple[str, str]]:
    page = client.get(f"/review/{dossier_id}").get_data(as_text=True)
    form = page.split('name="reason_code"', 1)[1].split("</select>", 1)[0]
    return OPTION.findall(form)


def test_the_catalogue_starts_with_the_reasons_the_review_had(db):
    rows = list(db.session.scalars(select(RejectionReason).order_by(RejectionReason.position)))
    assert [(r.code, r.label) for r in rows] == list(DEFAULT_REJECT_REASONS.items())
    assert all(r.active for r in rows)


def test_the_review_offers_the_active_reasons_in_their_order__ACT_11(client, db, login, submitted):
    dossier = submitted("physical")
    login(Role.ADMIN, region=0)
    assert _post(client, "/admin/reject-reasons/new", code="sim_damaged", label="SIM bị hỏng hoặc gãy",
                 position=5).status_code == 302
    fraud = _reason(db, "suspected_fraud")
    assert _post(client, f"/admin/reject-reasons/{fraud.id}", version=fraud.version, code="x", label=fraud.label,
                 position=fraud.position).status_code == 302  # "active" unticked: deactivated
    reviewer = client.application.test_client()
    login(Role.CONNECTION, region=1, on=reviewer)
    offered = _offered(reviewer, dossier.id)
    assert offered[0] == ("sim_damaged", "SIM bị hỏng hoặc gãy")  # position 5: first
    assert "suspected_fraud" not in dict(offered) and len(offered) == len(DEFAULT_REJECT_REASONS)
    refused = reviewer.post(f"/review/{dossier.id}/tu-choi", data={
        "csrf_token": page_csrf(reviewer, "/review/"), "reason_code": "suspected_fraud", "note": "x"})
    assert refused.status_code == 422  # a deactivated reason is not a choice any more
    done = reviewer.post(f"/review/{dossier.id}/tu-choi", data={
        "csrf_token": page_csrf(reviewer, "/review/"), "reason_code": "sim_damaged", "note": "Gãy chân SIM"})
    assert done.status_code == 303
    db.session.expire_all()
    assert dossier.reject_code == "sim_damaged" and dossier.last_reason == "SIM bị hỏng hoặc gãy: Gãy chân SIM"


def test_a_decision_keeps_showing_its_label_after_the_reason_is_relabelled_and_deactivated(client, db, login,
                                                                                           submitted):
    dossier = submitted("physical")
    reviewer = login(Role.CONNECTION, region=1)
    client.post(f"/review/{dossier.id}/tu-choi", data={"csrf_token": page_csrf(client, "/review/"),
                                                       "reason_code": "id_invalid", "note": ""})
    decision = db.session.scalar(select(ReviewDecision).where(ReviewDecision.dossier_id == dossier.id))
    assert decision.reviewer_id == reviewer.id and decision.reason_label == "Giấy tờ hết hạn hoặc không hợp lệ"
    admin = client.application.test_client()
    login(Role.ADMIN, region=0, on=admin)
    reason = _reason(db, "id_invalid")
    response = admin.post(f"/admin/reject-reasons/{reason.id}", data={
        "csrf_token": page_csrf(admin, "/admin/reject-reasons/"), "version": reason.version,
        "label": "Giấy tờ đã hết hạn", "position": reason.position})  # and deactivated
    assert response.status_code == 302
    db.session.expire_all()
    decision = db.session.get(ReviewDecision, decision.id)
    assert decision.reason_label == "Giấy tờ đã hết hạn"  # the code's label, though no longer offered
    assert "Giấy tờ đã hết hạn" in client.get(f"/review/{dossier.id}").get_data(as_text=True)


def test_admin_adds_and_edits_a_reason_audited_before_and_after(client, db, login):
    admin = login(Role.ADMIN, region=0)
    assert _post(client, "/admin/reject-reasons/new", code="Sim_Lost ", label="  Mất   SIM ",
                 position=90).status_code == 302
    reason = _reason(db, "sim_lost")
    assert (reason.label, reason.position, reason.active, reason.version) == ("Mất SIM", 90, True, 1)
    [created] = _audits(db, "reject_reason.create")
    assert created.actor_id == admin.id and created.detail == {
        "before": None, "after": {"code": "sim_lost", "label": "Mất SIM", "position": 90, "active": True}}
    assert _post(client, f"/admin/reject-reasons/{reason.id}", version=1, label="Mất SIM trên đường giao",
                 position=95, active="y").status_code == 302
    [updated] = _audits(db, "reject_reason.update")
    assert updated.object_id == str(reason.id) and updated.detail == {
        "before": {"label": "Mất SIM", "position": 90}, "after": {"label": "Mất SIM trên đường giao", "position": 95}}
    assert _reason(db, "sim_lost").version == 2
    assert "Mất SIM trên đường giao" in client.get("/admin/reject-reasons/").get_data(as_text=True)


def test_duplicates_and_bad_values_are_field_errors_and_nothing_is_saved(client, db, login):
    login(Role.ADMIN, region=0)
    before = db.session.scalar(select(RejectionReason.id).order_by(RejectionReason.id.desc()))
    cases = [({"code": "other", "label": "Khác nữa", "position": 1}, "Mã lý do other đã có"),
             ({"code": "new_one", "label": "nghi ngờ GIẢ MẠO", "position": 1}, "đã có (mã suspected_fraud)"),
             ({"code": "Mã có dấu", "label": "Lý do mới", "position": 1}, "Mã gồm chữ thường không dấu"),
             ({"code": "new_two", "label": "Lý do mới", "position": 20000}, "")]
    for data, message in cases:
        response = _post(client, "/admin/reject-reasons/new", **data)
        assert response.status_code == 422 and message in response.get_data(as_text=True)
        assert 'class="form-control is-invalid"' in response.get_data(as_text=True)
    assert db.session.scalar(select(RejectionReason.id).order_by(RejectionReason.id.desc())) == before
    assert _audits(db, "reject_reason.create") == []


def test_the_last_active_reason_cannot_be_deactivated(client, db, login):
    login(Role.ADMIN, region=0)
    rows = list(db.session.scalars(select(RejectionReason).order_by(RejectionReason.id)))
    for row in rows[1:]:
        row.active = False
    db.session.commit()
    last = rows[0]
    response = _post(client, f"/admin/reject-reasons/{last.id}", version=last.version, label=last.label,
                     position=last.position)
    assert response.status_code == 422 and "Phải còn ít nhất một lý do" in response.get_data(as_text=True)
    assert _reason(db, last.code).active


def test_an_unused_reason_is_deleted_and_a_used_one_is_only_deactivated(client, db, login, submitted):
    login(Role.ADMIN, region=0)
    _post(client, "/admin/reject-reasons/new", code="spare", label="Lý do dự phòng", position=1)
    spare = _reason(db, "spare")
    assert _post(client, f"/admin/reject-reasons/{spare.id}/delete", version=spare.version).status_code == 302
    assert _reason(db, "spare") is None
    [deleted] = _audits(db, "reject_reason.delete")
    assert deleted.detail["before"]["code"] == "spare" and deleted.detail["after"] is None
    dossier = submitted("physical")
    reviewer = client.application.test_client()
    login(Role.CONNECTION, region=1, on=reviewer)
    reviewer.post(f"/review/{dossier.id}/tu-choi", data={"csrf_token": page_csrf(reviewer, "/review/"),
                                                         "reason_code": "id_mismatch", "note": ""})
    used = _reason(db, "id_mismatch")
    listing = client.get("/admin/reject-reasons/").get_data(as_text=True)
    assert f"/admin/reject-reasons/{used.id}/delete" not in listing  # no delete button for a reason in use
    refused = _post(client, f"/admin/reject-reasons/{used.id}/delete", version=used.version)
    assert refused.status_code == 409 and "chỉ có thể ngừng dùng" in refused.get_data(as_text=True)
    assert _reason(db, "id_mismatch") is not None


def test_two_admins_editing_one_reason_the_second_is_told_and_nothing_is_lost(client, db, login):
    login(Role.ADMIN, region=0)
    other = client.application.test_client()
    login(Role.ADMIN, region=0, on=other)
    reason = _reason(db, "id_unreadable")
    drawn = reason.version  # both admins open the page at this version
    first = other.post(f"/admin/reject-reasons/{reason.id}", data={
        "csrf_token": page_csrf(other, "/admin/reject-reasons/"), "version": drawn,
        "label": "Ảnh giấy tờ mờ", "position": 10, "active": "y"})
    assert first.status_code == 302
    second = _post(client, f"/admin/reject-reasons/{reason.id}", version=drawn, label="Ảnh giấy tờ bị lóa",
                   position=12, active="y")
    html = second.get_data(as_text=True)
    assert second.status_code == 409 and "Một người khác vừa sửa mục này trước bạn" in html
    assert 'value="Ảnh giấy tờ mờ"' in html  # the latest values in the form
    assert "Ảnh giấy tờ bị lóa" in html and 'id="stale-sent"' in html  # and what the second admin had typed
    assert f'name="version" type="hidden" value="{drawn + 1}"' in html
    assert _reason(db, "id_unreadable").label == "Ảnh giấy tờ mờ"
    assert len(_audits(db, "reject_reason.update")) == 1
