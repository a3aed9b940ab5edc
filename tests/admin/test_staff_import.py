"""Importing staff from CSV (issue 14 §3): a preview with each bad line's error, then all accounts in one transaction
with a one-time password each, shown once and never logged."""
from __future__ import annotations

import io
import logging
import re
from urllib.parse import unquote

from sqlalchemy import func, select

from portal.auth.models import Staff
from portal.core.models import AuditEntry
from portal.core.roles import Role
from tests.conftest import csrf_from, page_csrf

GOOD = ("username,full_name,role,region,store\n"
        "lan.nguyen,Nguyễn Thị Lan,agent,CTKV1,\n"
        "binh.tran,Trần Văn Bình,clerk,CTKV1,CH-HN-02\n"
        "hoa.le,Lê Thị Hoa,Giám sát,1,\n")
TOKEN = re.compile(r'name="token" type="hidden" value="([0-9a-f]+)"')
PASSWORD = re.compile(r"<code class=\"portal-one-time-password\" data-password>([^<]+)</code>")


def _upload(client, text: str, name: str = "nhan-vien.csv", raw: bytes | None = None):
    token = page_csrf(client, "/admin/staff/import")
    return client.post("/admin/staff/import", content_type="multipart/form-data", data={
        "csrf_token": token, "file": (io.BytesIO(raw if raw is not None else text.encode("utf-8-sig")), name)})


def _confirm(client, preview_html: str):
    return client.post("/admin/staff/import/confirm", data={
        "csrf_token": csrf_from(preview_html), "token": TOKEN.search(preview_html).group(1)})


def _staff_count(db) -> int:
    return db.session.scalar(select(func.count(Staff.id)))


def test_a_file_with_bad_lines_says_what_is_wrong_with_each_and_creates_nothing(client, login, make_staff, db):
    make_staff(Role.AGENT, region=1, username="da.co")
    login(Role.ADMIN, region=0)
    before = _staff_count(db)
    response = _upload(client, "username;full_name;role;region;store\n"
                               "moi.mot;Người Một;agent;CTKV1;\n"  # 2: good
                               "da.co;Người Hai;agent;CTKV1;\n"  # 3: taken in the database
                               "moi.mot;Người Ba;agent;CTKV2;\n"  # 4: same username as line 2
                               "moi.bon;Người Bốn;tong-dai-vien;CTKV1;\n"  # 5: unknown role
                               "moi.nam;Người Năm;agent;CTKV12;\n"  # 6: unknown region
                               "moi.sau;Người Sáu;clerk;CTKV1;CH-KHONG-CO\n"  # 7: unknown store
                               "moi.bay;Người Bảy;clerk;CTKV1;CH-HCM-01\n"  # 8: store of another region
                               "moi.tam;Người Tám;clerk;CTKV1;\n"  # 9: clerk without a store
                               "Sai Ten;;agent;CTKV1;\n")  # 10: bad username, no name
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-import-errors="8"' in html and "Xác nhận nhập" not in html
    for message in ("Tên đăng nhập da.co đã có trong hệ thống.", "Tên đăng nhập trùng với dòng 2 của tệp.",
                    "Vai trò “tong-dai-vien” không có.", "Khu vực “CTKV12” không có",
                    "Không có cửa hàng đang hoạt động với mã CH-KHONG-CO.",
                    "Cửa hàng CH-HCM-01 thuộc CTKV2, không thuộc khu vực đã chọn (CTKV1).",
                    "Nhân viên cửa hàng phải thuộc một cửa hàng của khu vực đã chọn.",
                    "Tên đăng nhập chỉ gồm chữ thường", "Thiếu họ và tên."):
        assert message in html, message
    assert re.search(r'<tr class="table-danger" data-line="4">', html)
    assert not re.search(r'<tr class="table-danger" data-line="2">', html)  # the first of a pair is fine
    assert _staff_count(db) == before


def test_a_regional_admins_file_may_name_only_their_region(client, login, db):
    login(Role.ADMIN, region=3)
    html = _upload(client, "username,full_name,role,region\nmot.kv3,Một,agent,\nhai.kv5,Hai,agent,CTKV5\n") \
        .get_data(as_text=True)
    assert "Bạn chỉ quản lý nhân viên trong khu vực của mình (CTKV3)." in html
    assert 'data-import-errors="1"' in html  # the empty region is theirs


def test_good_file_previews_then_creates_every_account_with_a_one_time_password(app, client, login, db, caplog):
    admin = login(Role.ADMIN, region=1)
    before = _staff_count(db)
    preview = _upload(client, GOOD)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Tệp hợp lệ: 3 tài khoản sẽ được tạo." in html
    assert _staff_count(db) == before  # nothing yet
    with caplog.at_level(logging.DEBUG):
        done = _confirm(client, html)
    page = done.get_data(as_text=True)
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    passwords = PASSWORD.findall(page)
    assert len(passwords) == 3 and len(set(passwords)) == 3 and all(len(p) == 16 for p in passwords)
    created = {s.username: s for s in db.session.scalars(select(Staff).where(Staff.username.in_(
        ["lan.nguyen", "binh.tran", "hoa.le"])))}
    assert created["binh.tran"].role == Role.CLERK and created["binh.tran"].store.code == "CH-HN-02"
    assert created["hoa.le"].role == Role.SUPERVISOR and created["hoa.le"].region_id == 1
    # The download carries the same passwords; nothing else does.
    href = re.search(r'href="data:text/csv;charset=utf-8,([^"]+)" download', page).group(1)
    assert all(p in unquote(href) for p in passwords)
    audits = list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.action.in_(["staff.create", "staff.import"]), AuditEntry.actor_id == admin.id)))
    assert sorted(a.action for a in audits) == ["staff.create"] * 3 + ["staff.import"]
    assert not any(p in repr(a.detail) for a in audits for p in passwords)
    assert not any(p in record.getMessage() for record in caplog.records for p in passwords)
    # Each new account signs in with its one-time password.
    newcomer = app.test_client()
    signed_in = newcomer.post("/login", data={"username": "lan.nguyen", "password": passwords[0],
                                              "csrf_token": csrf_from(newcomer.get("/login").get_data(as_text=True))})
    assert signed_in.status_code == 302
    # The same confirmation again (a reload, a double click) imports nothing twice.
    again = _confirm(client, html)
    assert again.status_code == 302 and _staff_count(db) == before + 3


def test_a_username_taken_between_preview_and_confirmation_creates_none(client, login, make_staff, db):
    login(Role.ADMIN, region=1)
    html = _upload(client, GOOD).get_data(as_text=True)
    before = _staff_count(db)
    make_staff(Role.AGENT, region=1, username="binh.tran")
    response = _confirm(client, html)
    assert response.status_code == 409
    assert "Tên đăng nhập binh.tran đã có trong hệ thống." in response.get_data(as_text=True)
    assert _staff_count(db) == before + 1  # only the one made meanwhile: lan.nguyen and hoa.le were not created
    assert db.session.scalar(select(Staff).where(Staff.username == "lan.nguyen")) is None


def test_another_admin_cannot_confirm_my_upload(app, client, login, db):
    login(Role.ADMIN, region=1)
    html = _upload(client, GOOD).get_data(as_text=True)
    other = app.test_client()
    login(Role.ADMIN, region=1, on=other)
    response = other.post("/admin/staff/import/confirm", data={
        "csrf_token": page_csrf(other), "token": TOKEN.search(html).group(1)})
    assert response.status_code == 302
    assert db.session.scalar(select(Staff).where(Staff.username == "lan.nguyen")) is None


def test_files_that_cannot_be_read_are_refused_with_what_to_do(client, login, db):
    login(Role.ADMIN, region=1)
    latin = _upload(client, "", raw="username,full_name,role\nlan,Lê Hà,agent\n".encode("latin-1"))
    assert latin.status_code == 422 and "CSV UTF-8" in latin.get_data(as_text=True)
    headless = _upload(client, "lan,Nguyễn Thị Lan,agent\n")
    assert "Dòng đầu của tệp phải là tiêu đề cột" in headless.get_data(as_text=True)
    too_many = _upload(client, "username,full_name,role\n" + "".join(f"u{i:04d},Tên,agent\n" for i in range(201)))
    assert "tối đa 200 nhân viên" in too_many.get_data(as_text=True)


def test_a_one_time_password_is_replaced_at_the_first_sign_in(app, client, login, db):
    login(Role.ADMIN, region=1)
    page = _confirm(client, _upload(client, GOOD).get_data(as_text=True)).get_data(as_text=True)
    password = PASSWORD.findall(page)[0]
    newcomer = app.test_client()
    newcomer.post("/login", data={"username": "lan.nguyen", "password": password,
                                  "csrf_token": csrf_from(newcomer.get("/login").get_data(as_text=True))})
    for path in ("/", "/holds/"):  # every page leads to the password form first
        response = newcomer.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/password")
    form = newcomer.get("/password").get_data(as_text=True)
    assert "Bạn đang dùng mật khẩu dùng một lần" in form
    same = newcomer.post("/password", data={"csrf_token": csrf_from(form), "current": password, "new": password,
                                            "confirm": password})
    assert same.status_code == 422 and "Mật khẩu mới phải khác mật khẩu hiện tại." in same.get_data(as_text=True)
    wrong = newcomer.post("/password", data={"csrf_token": csrf_from(form), "current": "sai-mat-khau-1",
                                             "new": "mat-khau-cua-rieng-toi", "confirm": "mat-khau-cua-rieng-toi"})
    assert wrong.status_code == 422 and "Mật khẩu hiện tại không đúng." in wrong.get_data(as_text=True)
    done = newcomer.post("/password", data={"csrf_token": csrf_from(form), "current": password,
                                            "new": "mat-khau-cua-rieng-toi", "confirm": "mat-khau-cua-rieng-toi"})
    assert done.status_code == 302
    assert newcomer.get("/").status_code == 200
    staff = db.session.scalar(select(Staff).where(Staff.username == "lan.nguyen"))
    db.session.refresh(staff)
    assert not staff.must_change_password and staff.version == 1  # the owner's own change is not an admin's edit
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "staff.password_changed")).actor_id \
        == staff.id


def test_an_admins_password_reset_is_one_time_too(app, client, login, make_staff, db):
    target = make_staff(Role.AGENT, region=1)
    login(Role.ADMIN, region=1)
    client.post(f"/admin/staff/{target.id}/password", data={"csrf_token": page_csrf(client),
                                                            "password": "mat-khau-quan-tri-dat"})
    them = app.test_client()
    them.post("/login", data={"username": target.username, "password": "mat-khau-quan-tri-dat",
                              "csrf_token": csrf_from(them.get("/login").get_data(as_text=True))})
    assert them.get("/").headers["Location"].endswith("/password")
    assert them.get("/holds/", headers={"Accept": "application/json"}).status_code == 403
