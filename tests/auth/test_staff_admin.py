"""Staff administration: create, disable (server-side revocation), role change; region scoping (checklist 5, 11)."""
from __future__ import annotations

from sqlalchemy import select

from portal.auth.models import Staff, StaffStatus
from portal.core.models import AuditEntry, StatusChange
from portal.core.roles import Role
from tests.conftest import page_csrf


def test_admin_creates_staff_with_a_form(client, login, db):
    login(Role.ADMIN, region=0)
    token = page_csrf(client, "/admin/staff")
    response = client.post("/admin/staff", data={
        "csrf_token": token, "username": "vc.moi", "full_name": "Nguyễn Thị Mới", "role": "clerk",
        "region_id": "2", "store_code": "CH-HCM-02", "password": "mat-khau-rat-dai-1"})
    assert response.status_code == 302
    staff = db.session.scalar(select(Staff).where(Staff.username == "vc.moi"))
    assert staff.role == Role.CLERK and staff.region_id == 2 and staff.store.code == "CH-HCM-02"
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "staff.create"))


def test_create_form_keeps_input_and_says_what_is_wrong(client, login):
    login(Role.ADMIN, region=0)
    token = page_csrf(client, "/admin/staff")
    response = client.post("/admin/staff", data={
        "csrf_token": token, "username": "ch.moi", "full_name": "Trần Văn Bán", "role": "clerk",
        "region_id": "2", "store_code": "", "password": "mat-khau-rat-dai-1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nhân viên cửa hàng phải thuộc một cửa hàng của khu vực đã chọn." in html
    assert 'value="Trần Văn Bán"' in html


def test_regional_admin_cannot_create_staff_in_another_region(client, login, db):
    login(Role.ADMIN, region=3)
    token = page_csrf(client, "/admin/staff")
    response = client.post("/admin/staff", data={
        "csrf_token": token, "username": "lan.kv5", "full_name": "Lan", "role": "agent",
        "region_id": "5", "password": "mat-khau-rat-dai-1"})
    assert response.status_code == 422
    assert db.session.scalar(select(Staff).where(Staff.username == "lan.kv5")) is None


def test_disabling_staff_refuses_their_next_request(app, client, login, make_staff, db):
    victim = make_staff(Role.AGENT, region=1)
    victim_client = app.test_client()
    login(staff=victim, on=victim_client)
    assert victim_client.get("/").status_code == 200

    login(Role.ADMIN, region=1)
    response = client.post(f"/admin/staff/{victim.id}/status",
                           data={"csrf_token": page_csrf(client), "reason": "nghỉ việc"})
    assert response.status_code == 302

    refused = victim_client.get("/")
    assert refused.status_code == 401
    assert "Tài khoản của bạn đã bị khóa" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Staff, victim.id).status == StaffStatus.DISABLED
    change = db.session.scalar(select(StatusChange).where(StatusChange.object_id == str(victim.id)))
    assert (change.from_status, change.to_status, change.reason) == ("active", "disabled", "nghỉ việc")


def test_role_change_ends_sessions_so_new_rights_apply(app, client, login, make_staff, db):
    target = make_staff(Role.AGENT, region=1)
    target_client = app.test_client()
    login(staff=target, on=target_client)
    login(Role.ADMIN, region=0)
    client.post(f"/admin/staff/{target.id}", data={
        "csrf_token": page_csrf(client), "version": target.version, "full_name": target.full_name,
        "role": "supervisor", "region_id": "1", "store_code": ""})
    assert target_client.get("/").status_code == 401
    db.session.expire_all()
    assert db.session.get(Staff, target.id).role == Role.SUPERVISOR
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "staff.update")).detail == {
        "before": {"role": "agent"}, "after": {"role": "supervisor"}}


def test_admin_cannot_disable_themselves(client, login, db):
    me = login(Role.ADMIN, region=0)
    client.post(f"/admin/staff/{me.id}/status", data={"csrf_token": page_csrf(client)})
    db.session.expire_all()
    assert db.session.get(Staff, me.id).status == StaffStatus.ACTIVE
    assert client.get("/").status_code == 200


def test_region_3_admin_opening_region_5_staff_gets_404_and_an_audit_row(client, login, make_staff, db):
    """Issue 2 bad input: a region-3 user opening a region-5 record by its URL."""
    other = make_staff(Role.AGENT, region=5)
    me = login(Role.ADMIN, region=3)
    response = client.get(f"/admin/staff/{other.id}")
    assert response.status_code == 404
    assert "Không tìm thấy" in response.get_data(as_text=True)
    row = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "access.denied_region"))
    assert (row.actor_id, row.object_type, row.object_id, row.region_id) == (me.id, "staff", str(other.id), 5)
    # Acting on it is refused the same way, and nothing changes.
    client.post(f"/admin/staff/{other.id}/status", data={"csrf_token": page_csrf(client)})
    db.session.expire_all()
    assert db.session.get(Staff, other.id).status == StaffStatus.ACTIVE


def test_regional_lists_show_only_their_region(client, login, make_staff):
    make_staff(Role.AGENT, region=5, username="chi.kv5")
    make_staff(Role.AGENT, region=3, username="binh.kv3")
    login(Role.ADMIN, region=3)
    html = client.get("/admin/staff").get_data(as_text=True)
    assert "binh.kv3" in html and "chi.kv5" not in html


def test_head_office_sees_every_region(client, login, make_staff):
    make_staff(Role.AGENT, region=5, username="chi.kv5")
    make_staff(Role.AGENT, region=3, username="binh.kv3")
    login(Role.ADMIN, region=0)
    html = client.get("/admin/staff").get_data(as_text=True)
    assert "binh.kv3" in html and "chi.kv5" in html


def test_audit_page_is_region_scoped(client, login, make_staff, db):
    from portal.core.audit import audit

    audit("test.kv5", region_id=5, detail={"note": "khu vực 5"})
    audit("test.kv3", region_id=3, detail={"note": "khu vực 3"})
    db.session.commit()
    login(Role.SUPERVISOR, region=3)
    html = client.get("/audit/?action=test").get_data(as_text=True)
    assert "test.kv3" in html and "test.kv5" not in html


def test_forbidden_route_is_audited(client, login, db):
    me = login(Role.AGENT, region=2)
    assert client.get("/admin/staff").status_code == 403
    row = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "access.forbidden"))
    assert row.actor_id == me.id and row.detail["path"] == "/admin/staff"
