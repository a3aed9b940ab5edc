"""Province → region (issue 14 §3): a table seeded from places.PROVINCES, edited by head office with before/after
audit; routing reads it at once (new orders follow, existing ones keep their region); two admins at once."""
from __future__ import annotations

import re

from sqlalchemy import select

from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.orders import services as orders
from portal.org.models import ProvinceRegion
from portal.org.places import PROVINCES, province_regions, region_of_province
from tests.conftest import page_csrf
from tests.orders.conftest import hold_form

ROW = re.compile(r'name="version_(\d+)" value="(\d+)">\s*<input type="hidden" name="was_\d+" value="(\d+)">')


def _row(db, province: str) -> ProvinceRegion:
    db.session.expire_all()
    return db.session.scalar(select(ProvinceRegion).where(ProvinceRegion.province == province))


def _form(html: str) -> dict[str, str]:
    """Every row as the page draws it: region, version and the region shown."""
    data = {}
    for row_id, version, region in ROW.findall(html):
        data.update({f"region_{row_id}": region, f"version_{row_id}": version, f"was_{row_id}": region})
    assert len(data) == 3 * 34
    return data


def _post(client, data: dict, **regions: int):
    return client.post("/admin/provinces", data={**data, "csrf_token": page_csrf(client),
                                                 **{f"region_{k}": str(v) for k, v in regions.items()}})


def test_the_table_is_seeded_from_the_constant(db):
    assert province_regions() == PROVINCES
    assert db.session.scalar(select(ProvinceRegion.region_id).where(ProvinceRegion.province == "Huế")) == 3


def test_head_office_moves_a_province_new_orders_follow_existing_keep_their_region(client, login, numbers, customer,
                                                                                   db):
    before, _ = orders.place_order(hold_form(), customer, "web", "before-change")  # TP. Hồ Chí Minh → CTKV2
    db.session.commit()
    admin = login(Role.ADMIN, region=0)
    page = client.get("/admin/provinces").get_data(as_text=True)
    assert "Chỉ áp dụng cho đơn hàng và hồ sơ mới." in page
    hcm = _row(db, "TP. Hồ Chí Minh")
    response = _post(client, _form(page), **{str(hcm.id): 8})
    assert response.status_code == 302
    assert "TP. Hồ Chí Minh CTKV2 → CTKV8" in client.get("/admin/provinces").get_data(as_text=True)
    assert region_of_province("tp. hồ chí minh") == 8  # this process, at once: no cache to wait for
    after, _ = orders.place_order(hold_form(number="0933686868"), customer, "web", "after-change")
    db.session.commit()
    db.session.expire_all()
    assert (before.region_id, after.region_id) == (2, 8)
    [row] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "province_region.update")).all()
    assert row.actor_id == admin.id and row.object_id == str(hcm.id)
    assert row.detail == {"before": {"region_id": 2}, "after": {"region_id": 8}}


def test_an_unknown_region_is_a_field_error_and_nothing_is_saved(client, login, db):
    login(Role.ADMIN, region=0)
    data = _form(client.get("/admin/provinces").get_data(as_text=True))
    hue, hanoi = _row(db, "Huế"), _row(db, "Hà Nội")
    response = _post(client, data, **{str(hue.id): 0, str(hanoi.id): 2})  # 0: head office serves no province
    assert response.status_code == 422
    assert "Vui lòng chọn một công ty khu vực (CTKV1–CTKV9)." in response.get_data(as_text=True)
    assert (_row(db, "Huế").region_id, _row(db, "Hà Nội").region_id) == (3, 1)  # Hà Nội's valid change not kept


def test_second_admin_changing_the_same_province_is_told(app, client, login, db):
    first = app.test_client()
    login(Role.ADMIN, region=0, on=first)
    login(Role.ADMIN, region=0)
    mine = _form(client.get("/admin/provinces").get_data(as_text=True))
    theirs = _form(first.get("/admin/provinces").get_data(as_text=True))
    hue, hanoi = _row(db, "Huế"), _row(db, "Hà Nội")
    assert _post(first, theirs, **{str(hue.id): 4}).status_code == 302
    late = _post(client, mine, **{str(hue.id): 7, str(hanoi.id): 5})
    html = late.get_data(as_text=True)
    assert late.status_code == 409
    assert "Một người khác vừa sửa mục này trước bạn." in html
    assert re.search(r"<td>Huế</td><td>CTKV4</td><td><strong>CTKV7</strong></td>", html)
    assert (_row(db, "Huế").region_id, _row(db, "Hà Nội").region_id) == (4, 1)  # the first kept, none of mine


def test_a_province_the_second_admin_left_alone_is_no_conflict(app, client, login, db):
    first = app.test_client()
    login(Role.ADMIN, region=0, on=first)
    login(Role.ADMIN, region=0)
    mine = _form(client.get("/admin/provinces").get_data(as_text=True))
    hue, hanoi = _row(db, "Huế"), _row(db, "Hà Nội")
    assert _post(first, _form(first.get("/admin/provinces").get_data(as_text=True)), **{str(hue.id): 4}) \
        .status_code == 302
    assert _post(client, mine, **{str(hanoi.id): 5}).status_code == 302
    assert (_row(db, "Huế").region_id, _row(db, "Hà Nội").region_id) == (4, 5)


def test_regional_admins_cannot_open_the_routing_table(client, login):
    login(Role.ADMIN, region=2)
    assert client.get("/admin/provinces").status_code == 403
    assert client.post("/admin/provinces", data={"csrf_token": page_csrf(client)}).status_code == 403


def test_another_processs_change_is_seen_within_the_refresh_interval(db):
    """A process keeps the rows; another process's change (a new row value, then its version bump in Redis) is
    picked up at the next comparison, at most REFRESH_SECONDS later, and not before the version moves."""
    from sqlalchemy import update

    from portal.core import redis as portal_redis
    from portal.org import places

    assert region_of_province("Huế") == 3
    db.session.execute(update(ProvinceRegion).where(ProvinceRegion.province == "Huế").values(region_id=4))
    places._cache.checked -= places.REFRESH_SECONDS  # time has passed, but nobody said the table changed
    assert region_of_province("Huế") == 3
    portal_redis.connection().incr(places.VERSION_KEY)  # the other process's changed(), after its commit
    assert region_of_province("Huế") == 3  # compared again only once the interval is over…
    places._cache.checked -= places.REFRESH_SECONDS
    assert region_of_province("Huế") == 4  # …then read again
