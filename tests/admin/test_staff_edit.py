"""Editing a staff member (issue 14 §3): name, role, region and store through portal.core.editing — consistent values
or field errors with nothing saved, region scoping, before/after audit, two admins at once (409), explicit
disable/enable, and a sign-in that does not make an admin's open form stale."""
from __future__ import annotations

from sqlalchemy import select

from portal.auth.models import Staff, StaffStatus
from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.org.models import Store
from tests.conftest import page_csrf

from .conftest import version_on


def _edit(client, staff: Staff, version: int | None = None, **changes) -> object:
    data = {"csrf_token": page_csrf(client, f"/admin/staff/{staff.id}"),
            "version": staff.version if version is None else version, "full_name": staff.full_name,
            "role": staff.role.value, "region_id": str(staff.region_id),
            "store_code": staff.store.code if staff.store else ""}
    data.update(changes)
    return client.post(f"/admin/staff/{staff.id}", data=data)


def _fresh(db, staff: Staff) -> Staff:
    db.session.expire_all()
    return db.session.get(Staff, staff.id)


def _audits(db, action: str = "staff.update") -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_admin_renames_staff_audited_before_and_after_sessions_kept(app, client, login, make_staff, db):
    target = make_staff(Role.AGENT, region=1)
    old_name = target.full_name
    target_client = app.test_client()
    login(staff=target, on=target_client)
    admin = login(Role.ADMIN, region=1)
    response = _edit(client, target, full_name="  Lê   Thị Hồng ")
    assert response.status_code == 302
    assert _fresh(db, target).full_name == "Lê Thị Hồng"
    [row] = _audits(db)
    assert row.actor_id == admin.id and row.object_id == str(target.id)
    assert row.detail == {"before": {"full_name": old_name}, "after": {"full_name": "Lê Thị Hồng"}}
    assert target_client.get("/").status_code == 200  # a new name changes no rights: still signed in
    page = client.get(f"/admin/staff/{target.id}").get_data(as_text=True)
    assert "Lê Thị Hồng" in page and "Lịch sử thay đổi" in page


def test_moving_a_clerk_to_another_regions_store_ends_their_sessions(app, client, login, make_staff, db):
    clerk = make_staff(Role.CLERK, region=1)
    clerk_client = app.test_client()
    login(staff=clerk, on=clerk_client)
    login(Role.ADMIN, region=0)
    assert _edit(client, clerk, region_id="2", store_code="CH-HCM-02").status_code == 302
    moved = _fresh(db, clerk)
    assert (moved.region_id, moved.store.code) == (2, "CH-HCM-02")
    assert _audits(db)[0].detail["after"] == {"region_id": 2, "store_id": moved.store_id}
    assert clerk_client.get("/").status_code == 401  # new region, new rights: signed in again


def test_a_store_of_another_region_is_a_field_error_and_nothing_is_saved(client, login, make_staff, db):
    clerk = make_staff(Role.CLERK, region=1)
    login(Role.ADMIN, region=0)
    response = _edit(client, clerk, region_id="1", store_code="CH-HCM-01", full_name="Tên mới")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Cửa hàng CH-HCM-01 thuộc CTKV2, không thuộc khu vực đã chọn (CTKV1)." in html
    assert 'id="store_code-error"' in html  # beside the field
    assert _fresh(db, clerk).full_name != "Tên mới" and _audits(db) == []


def test_a_clerk_without_a_store_and_an_unknown_store_are_refused(client, login, make_staff, db):
    clerk = make_staff(Role.CLERK, region=1)
    login(Role.ADMIN, region=1)
    no_store = _edit(client, clerk, store_code="")
    assert no_store.status_code == 422
    assert "Nhân viên cửa hàng phải thuộc một cửa hàng của khu vực đã chọn." in no_store.get_data(as_text=True)
    unknown = _edit(client, clerk, store_code="CH-KHONG-CO")
    assert unknown.status_code == 422
    assert "Không có cửa hàng đang hoạt động với mã CH-KHONG-CO." in unknown.get_data(as_text=True)
    assert _fresh(db, clerk).store.code == "CH-HN-01"


def test_regional_admin_cannot_move_staff_out_of_their_region(client, login, make_staff, db):
    agent = make_staff(Role.AGENT, region=3)
    login(Role.ADMIN, region=3)
    response = _edit(client, agent, region_id="5")
    assert response.status_code == 422
    assert "Bạn chỉ quản lý nhân viên trong khu vực của mình (CTKV3)." in response.get_data(as_text=True)
    assert _fresh(db, agent).region_id == 3


def test_regional_admin_editing_another_regions_staff_gets_404(client, login, make_staff, db):
    other = make_staff(Role.AGENT, region=5)
    login(Role.ADMIN, region=3)
    assert _edit(client, other, full_name="Đổi tên").status_code == 404
    assert _fresh(db, other).full_name != "Đổi tên"
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "access.denied_region"))


def test_second_admin_with_an_older_form_is_told_and_the_first_edit_stays(app, client, login, make_staff, db):
    target = make_staff(Role.AGENT, region=1)
    first = app.test_client()
    login(Role.ADMIN, region=1, on=first)
    login(Role.ADMIN, region=1)
    drawn = version_on(client.get(f"/admin/staff/{target.id}").get_data(as_text=True))
    assert _edit(first, target, full_name="Tên của người thứ nhất").status_code == 302
    late = _edit(client, target, version=drawn, full_name="Tên của người thứ hai")
    html = late.get_data(as_text=True)
    assert late.status_code == 409
    assert "Một người khác vừa sửa mục này trước bạn." in html
    assert 'value="Tên của người thứ nhất"' in html  # the form shows the latest values…
    assert "<strong>Tên của người thứ hai</strong>" in html  # …and what the second admin typed, beside them
    assert version_on(html) == drawn + 1  # saving again now is an informed choice
    assert _fresh(db, target).full_name == "Tên của người thứ nhất"
    assert len(_audits(db)) == 1


def test_signing_in_does_not_make_an_open_edit_form_stale(app, client, login, make_staff, db):
    target = make_staff(Role.AGENT, region=1)
    login(Role.ADMIN, region=1)
    drawn = version_on(client.get(f"/admin/staff/{target.id}").get_data(as_text=True))
    login(staff=target, on=app.test_client())  # last_login_at written, the version left alone
    assert _fresh(db, target).last_login_at is not None
    assert _edit(client, target, version=drawn, full_name="Tên mới").status_code == 302


def test_admin_cannot_change_their_own_role_or_region(client, login, db):
    me = login(Role.ADMIN, region=1)
    response = _edit(client, me, role="agent")
    assert response.status_code == 422
    assert "Bạn không thể tự đổi vai trò, khu vực hay cửa hàng của mình." in response.get_data(as_text=True)
    assert _fresh(db, me).role == Role.ADMIN


def test_two_admins_disabling_at_once_leave_the_account_disabled(app, client, login, make_staff, db):
    """The button posts what it means (disable), not a toggle: the second press does not unlock the account."""
    target = make_staff(Role.AGENT, region=1)
    other = app.test_client()
    login(Role.ADMIN, region=1, on=other)
    login(Role.ADMIN, region=1)
    for c in (client, other):
        c.post(f"/admin/staff/{target.id}/status",
               data={"csrf_token": page_csrf(c), "action": "disable", "reason": "nghỉ việc"})
    assert _fresh(db, target).status == StaffStatus.DISABLED
    client.post(f"/admin/staff/{target.id}/status", data={"csrf_token": page_csrf(client), "action": "enable"})
    assert _fresh(db, target).status == StaffStatus.ACTIVE


def test_staff_page_offers_only_the_admins_stores_and_regions(client, login, make_staff, db):
    clerk = make_staff(Role.CLERK, region=1)
    login(Role.ADMIN, region=1)
    html = client.get(f"/admin/staff/{clerk.id}").get_data(as_text=True)
    assert "CH-HN-02" in html and "CH-HCM-01" not in html
    assert 'value="1"' in html and "CTKV5" not in html
    store = db.session.scalar(select(Store).where(Store.code == "CH-HN-01"))
    assert f"{store.code} — {store.name}" in html
