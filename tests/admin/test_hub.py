"""/admin/ (issue 14 §3): every configuration screen of every domain in one place, read from the navigation."""
from __future__ import annotations

from portal.core.nav import ADMINS, entries
from portal.core.roles import Role


def test_hub_lists_every_admin_only_screen_of_every_domain(app, client, login):
    login(Role.ADMIN, region=0)
    html = client.get("/admin/").get_data(as_text=True)
    with app.test_request_context():
        expected = [item for item in entries() if item.roles == ADMINS and item.endpoint != "admin.hub"]
        urls = {item.endpoint: item.url for item in expected}
    assert len(expected) >= 10
    for endpoint, url in urls.items():
        assert f'href="{url}" data-endpoint="{endpoint}"' in html, endpoint
    for label in ("Nhân sự", "Nhập nhân viên từ CSV", "Khu vực và shopcode", "Cửa hàng", "Tỉnh/thành → khu vực",
                  "Cài đặt gọi video", "Ưu đãi", "Đối tác API", "Nhập số", "Bảng giá", "Tác vụ lỗi"):
        assert f">{label}</h2>" in html, label
    assert ">Đơn hàng</h2>" not in html  # a work screen admins share with other roles, not configuration


def test_regional_admin_hub_leaves_out_head_office_screens(client, login):
    login(Role.ADMIN, region=4)
    html = client.get("/admin/").get_data(as_text=True)
    assert ">Cửa hàng</h2>" in html and "Tỉnh/thành → khu vực" not in html
    assert "Bạn quản lý Công ty Dịch vụ MobiFone Khu vực 4 (Ninh Bình)" in html


def test_admins_menu_leads_to_the_hub_and_others_are_refused(client, login, app):
    login(Role.ADMIN, region=1)
    home = client.get("/").get_data(as_text=True)
    assert 'href="/admin/">Quản trị' in home
    other = app.test_client()
    login(Role.SUPERVISOR, region=0, on=other)
    assert other.get("/admin/").status_code == 403
