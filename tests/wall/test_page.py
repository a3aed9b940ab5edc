"""The wall page: supervisors and admins, in Vietnamese, the figures as they stand; head office with the regions'
table, a region without; the menu entry "Màn hình giám sát"."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from portal.core.roles import Role
from portal.dossiers.models import DossierStatus


def _config(html: str) -> dict:
    found = re.search(r"id=\"wall-config\" hidden data-json='([^']*)'", html)
    assert found
    return json.loads(found.group(1).replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
                      .replace("&lt;", "<").replace("&gt;", ">"))


def test_a_regional_supervisor_sees_their_region(client, login, dossier_at):
    dossier_at(1, DossierStatus.SUBMITTED, timedelta(minutes=40))
    dossier_at(2, DossierStatus.SUBMITTED)
    login(Role.SUPERVISOR, region=1)
    html = client.get("/wall/").get_data(as_text=True)
    for label in ("Màn hình giám sát", "Cuộc gọi đang chờ", "Chờ lâu nhất", "Nhân viên video call", "Sẵn sàng",
                  "Đang gọi", "Đang ghi chú", "Tạm nghỉ", "Hồ sơ chờ duyệt", "Kẹt ở mSale", "Tác vụ lỗi",
                  "Vi phạm SLA", "Gọi chờ quá 2 phút", "Chờ duyệt quá 30 phút", "Chờ mSale quá 30 phút",
                  "Mất kết nối — đang kết nối lại…", "CTKV1 · Hà Nội"):
        assert label in html, label
    assert 'id="wall-regions"' not in html
    snap = _config(html)["snapshot"]
    assert snap["total"]["review"] == {**snap["total"]["review"], "waiting": 1, "over": 1}
    assert '<span data-f="review.waiting">1</span>' in html


def test_head_office_has_the_regions_table(client, login, dossier_at):
    dossier_at(3, DossierStatus.SUBMITTED)
    login(Role.ADMIN, region=0)
    html = client.get("/wall/").get_data(as_text=True)
    assert 'id="wall-regions"' in html and "Toàn quốc" in html
    assert len(re.findall(r'<tr data-region="\d+">', html)) == 9
    assert _config(html)["snapshot"]["total"]["review"]["waiting"] == 1


@pytest.mark.parametrize("role", [Role.AGENT, Role.CONNECTION, Role.SHIPPING])
def test_other_roles_neither_open_it_nor_see_the_entry(client, login, role):
    login(role, region=1)
    assert client.get("/wall/").status_code == 403
    assert "Màn hình giám sát" not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ADMIN])
def test_the_menu_has_the_entry(client, login, role):
    login(role, region=1)
    home = client.get("/").get_data(as_text=True)
    assert re.search(r'href="/wall/">Màn hình giám sát', home)
