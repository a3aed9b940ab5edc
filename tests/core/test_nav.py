"""The top bar: work screens inline, the supervisors' screens in one "Giám sát" drop-down (so the bar stays on one
line at 1366 px), admin-only screens in the /admin/ hub, not in the bar."""
from __future__ import annotations

import re

from portal.core.roles import Role


def _bar(html: str) -> str:
    return html[html.index('<ul class="navbar-nav'):html.index("</ul>\n      <div")]


def test_a_supervisor_finds_the_oversight_screens_in_one_drop_down(client, login):
    login(Role.SUPERVISOR, region=1)
    bar = _bar(client.get("/").get_data(as_text=True))
    toggle, menu = bar.split('data-bs-toggle="dropdown"', 1)[1].split('<ul class="dropdown-menu">', 1)
    assert ">Giám sát" in toggle
    for label in ("Màn hình giám sát", "Hòa mạng mSale", "Nhật ký hệ thống", "Kho số", "Hoàn tiền"):
        assert re.search(rf'class="dropdown-item[^"]*" href="[^"]+">{label}', menu), label
    assert bar.count('data-bs-toggle="dropdown"') == 1
    before = bar.split('class="nav-item dropdown"')[0]
    assert ">Đơn hàng<" in before and ">Phiếu giữ số<" in before  # work screens stay inline, before it


def test_the_drop_down_marks_the_page_you_are_on(client, login):
    login(Role.SUPERVISOR, region=1)
    bar = _bar(client.get("/audit/").get_data(as_text=True))
    assert 'class="nav-link dropdown-toggle active"' in bar
    assert re.search(r'class="dropdown-item active" href="/audit/">Nhật ký hệ thống', bar)


def test_an_admin_reaches_configuration_through_the_hub_not_the_bar(client, login):
    login(Role.ADMIN, region=0)
    bar = _bar(client.get("/").get_data(as_text=True))
    assert 'href="/admin/">Quản trị' in bar
    assert "Đối tác API" not in bar and "Cài đặt gọi video" not in bar


def test_an_agent_has_no_drop_down(client, login):
    login(Role.AGENT, region=1)
    bar = _bar(client.get("/").get_data(as_text=True))
    assert "dropdown" not in bar and ">Bàn gọi video" in bar


def test_every_entry_s_icon_is_drawn(app):
    """A card whose icon has no rule in portal.css shows the round default instead."""
    from pathlib import Path

    from portal.core.nav import entries

    css = (Path(app.root_path).parent / "static/css/portal.css").read_text()
    with app.app_context():
        missing = {item.icon for item in entries() if item.icon and f".portal-icon-{item.icon} {{" not in css}
    assert missing == set()
