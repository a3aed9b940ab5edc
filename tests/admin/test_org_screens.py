"""Regions, shopcodes and stores on the admin screens (issue 14 §3): happy paths, field errors with nothing saved
(duplicate codes, a shopcode or store of another region, an unknown province), region scoping (404), before/after
audit, a stale edit (409), and a store with open pickup orders that cannot close."""
from __future__ import annotations

from sqlalchemy import select

from portal.auth.models import Staff
from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.orders.models import OrderStatus
from portal.org.models import Region, Shopcode, Store
from tests.conftest import page_csrf

from .conftest import version_on


def _audit(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _store(db, code: str = "CH-HN-01") -> Store:
    db.session.expire_all()
    return db.session.scalar(select(Store).where(Store.code == code))


def _store_form(client, store: Store, version: int | None = None, **changes) -> dict:
    data = {"csrf_token": page_csrf(client, f"/admin/stores/{store.id}"),
            "version": store.version if version is None else version, "name": store.name, "address": store.address,
            "province": store.province, "region_id": str(store.region_id), "shopcode": store.shopcode or "",
            "active": "y" if store.active else ""}
    data.update(changes)
    return {k: v for k, v in data.items() if v != "" or k != "active"}


# --- regions and shopcodes -----------------------------------------------------------------------------------------

def test_region_name_edit_is_audited_and_its_code_stays(client, login, db):
    login(Role.ADMIN, region=0)
    page = client.get("/admin/regions/3").get_data(as_text=True)
    response = client.post("/admin/regions/3", data={"csrf_token": page_csrf(client), "version": version_on(page),
                                                      "name": "Công ty Dịch vụ MobiFone Khu vực 3 (Đà Nẵng – Huế)",
                                                      "code": "KV3"})
    assert response.status_code == 302
    db.session.expire_all()
    region = db.session.get(Region, 3)
    assert region.code == "CTKV3" and region.name.endswith("(Đà Nẵng – Huế)")
    [row] = _audit(db, "region.update")
    assert row.detail["before"] == {"name": "Công ty Dịch vụ MobiFone Khu vực 3 (Đà Nẵng)"}
    assert row.region_id == 3


def test_regional_admin_sees_and_edits_only_their_region(client, login, db):
    login(Role.ADMIN, region=3)
    listing = client.get("/admin/regions").get_data(as_text=True)
    assert "CTKV3" in listing and "CTKV5" not in listing
    assert client.get("/admin/regions/5").status_code == 404
    assert client.post("/admin/regions/5", data={"csrf_token": page_csrf(client), "version": 1,
                                                 "name": "Đổi tên"}).status_code == 404
    assert client.get("/admin/shopcodes/KV5ONL").status_code == 404
    db.session.expire_all()
    assert db.session.get(Region, 5).name != "Đổi tên"


def test_shopcode_created_in_its_region_and_a_duplicate_code_refused(client, login, db):
    login(Role.ADMIN, region=2)
    created = client.post("/admin/regions/2/shopcodes", data={"csrf_token": page_csrf(client),
                                                              "new-code": " kv2q1 ", "new-name": "Kênh Quận 1"})
    assert created.status_code == 302
    row = db.session.get(Shopcode, "KV2Q1")
    assert row.region_id == 2 and row.active
    assert _audit(db, "shopcode.create")[0].detail["after"] == {"code": "KV2Q1", "region_id": 2, "name": "Kênh Quận 1",
                                                                "active": True}
    duplicate = client.post("/admin/regions/2/shopcodes", data={"csrf_token": page_csrf(client),
                                                                "new-code": "KV1ONL", "new-name": "Trùng"})
    assert duplicate.status_code == 422
    assert "Mã KV1ONL đã có shopcode khác dùng." in duplicate.get_data(as_text=True)
    assert db.session.get(Shopcode, "KV1ONL").name == "Kênh online CTKV1"


def test_a_shopcode_an_active_store_uses_cannot_be_deactivated(client, login, db):
    login(Role.ADMIN, region=1)
    page = client.get("/admin/shopcodes/KV1ONL").get_data(as_text=True)
    response = client.post("/admin/shopcodes/KV1ONL", data={"csrf_token": page_csrf(client),
                                                            "version": version_on(page), "name": "Kênh online"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Chưa thể ngừng dùng: 2 cửa hàng đang hoạt động dùng shopcode này (CH-HN-01, CH-HN-02)." in html
    db.session.expire_all()
    assert db.session.get(Shopcode, "KV1ONL").active and _audit(db, "shopcode.update") == []


def test_a_shopcode_no_store_uses_is_renamed_and_retired_with_its_audit(client, login, db):
    login(Role.ADMIN, region=2)
    client.post("/admin/regions/2/shopcodes", data={"csrf_token": page_csrf(client), "new-code": "KV2CU",
                                                    "new-name": "Kênh cũ"})
    page = client.get("/admin/shopcodes/KV2CU").get_data(as_text=True)
    response = client.post("/admin/shopcodes/KV2CU", data={"csrf_token": page_csrf(client),
                                                           "version": version_on(page), "name": "Kênh cũ (ngừng)"})
    assert response.status_code == 302
    db.session.expire_all()
    row = db.session.get(Shopcode, "KV2CU")
    assert (row.name, row.active) == ("Kênh cũ (ngừng)", False)
    [audit] = _audit(db, "shopcode.update")
    assert (audit.object_id, audit.region_id) == ("KV2CU", 2)
    assert audit.detail == {"before": {"name": "Kênh cũ", "active": True},
                            "after": {"name": "Kênh cũ (ngừng)", "active": False}}
    new_store = client.get("/admin/stores/new").get_data(as_text=True)
    assert "KV2CU" not in new_store  # a retired shopcode is not offered to new stores


# --- stores --------------------------------------------------------------------------------------------------------

def _new_store(client, **changes):
    data = {"csrf_token": page_csrf(client, "/admin/stores/new"), "code": "ch-dn-02", "name": "Cửa hàng Sơn Trà",
            "address": "12 Ngô Quyền, Sơn Trà", "province": "Đà Nẵng", "region_id": "3", "shopcode": "KV3ONL"}
    data.update(changes)
    return client.post("/admin/stores/new", data=data)


def test_store_created_with_its_values_audited(client, login, db):
    login(Role.ADMIN, region=3)
    response = _new_store(client)
    assert response.status_code == 302
    store = _store(db, "CH-DN-02")
    assert (store.region_id, store.shopcode, store.province, store.active) == (3, "KV3ONL", "Đà Nẵng", True)
    assert _audit(db, "store.create")[0].detail["after"]["code"] == "CH-DN-02"
    assert "CH-DN-02" in client.get("/admin/stores").get_data(as_text=True)


def test_store_form_errors_beside_their_fields_and_nothing_saved(client, login, db):
    login(Role.ADMIN, region=0)
    response = _new_store(client, code="CH-HN-01", province="Hà Giang", shopcode="KV1ONL")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Mã CH-HN-01 đã có cửa hàng khác dùng." in html
    assert "Vui lòng chọn một trong 34 tỉnh/thành phố." in html  # Hà Giang merged into Tuyên Quang in 2025
    assert "Shopcode KV1ONL thuộc CTKV1, không thuộc khu vực của cửa hàng." in html
    assert 'id="code-error"' in html and 'id="province-error"' in html and 'id="shopcode-error"' in html
    assert 'value="Cửa hàng Sơn Trà"' in html  # what was typed stays
    assert _store(db, "CH-DN-02") is None and _audit(db, "store.create") == []


def test_regional_admin_cannot_create_or_open_another_regions_store(client, login, db):
    login(Role.ADMIN, region=3)
    response = _new_store(client, region_id="5", shopcode="KV5ONL")
    assert response.status_code == 422
    assert "Bạn chỉ quản lý khu vực của mình (CTKV3)." in response.get_data(as_text=True)
    assert client.get(f"/admin/stores/{_store(db, 'CH-HP-01').id}").status_code == 404
    assert "CH-HP-01" not in client.get("/admin/stores").get_data(as_text=True)


def test_store_edit_audited_before_and_after(client, login, db):
    login(Role.ADMIN, region=1)
    store = _store(db)
    assert client.post(f"/admin/stores/{store.id}", data=_store_form(
        client, store, address="218 Trần Duy Hưng, Cầu Giấy")).status_code == 302
    assert _store(db).address == "218 Trần Duy Hưng, Cầu Giấy"
    [row] = _audit(db, "store.update")
    assert row.detail == {"before": {"address": "216 Trần Duy Hưng, Cầu Giấy"},
                          "after": {"address": "218 Trần Duy Hưng, Cầu Giấy"}}


def test_a_store_with_open_pickup_orders_cannot_close_and_says_why(client, login, make_order, db):
    order = make_order(region=1, receive="store", store="CH-HN-02")
    make_order(region=1, receive="store", store="CH-HN-02", status=OrderStatus.DELIVERED)
    login(Role.ADMIN, region=1)
    store = _store(db, "CH-HN-02")
    response = client.post(f"/admin/stores/{store.id}", data=_store_form(client, store, active=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (f"Chưa thể ngừng hoạt động: cửa hàng còn 1 đơn nhận tại cửa hàng chưa giao xong ({order.order_no})."
            in html)
    assert _store(db, "CH-HN-02").active


def test_a_store_without_open_orders_closes_and_leaves_the_order_form(client, login, db):
    login(Role.ADMIN, region=1)
    store = _store(db, "CH-HN-02")
    assert client.post(f"/admin/stores/{store.id}", data=_store_form(client, store, active="")).status_code == 302
    assert not _store(db, "CH-HN-02").active
    assert _audit(db, "store.update")[0].detail == {"before": {"active": True}, "after": {"active": False}}
    from portal.orders.services import stores_for

    assert "CH-HN-02" not in [s.code for s in stores_for("Hà Nội")]


def test_a_store_with_staff_keeps_its_region(client, login, make_staff, db):
    make_staff(Role.CLERK, region=1, store="CH-HN-01")
    login(Role.ADMIN, region=0)
    store = _store(db)
    response = client.post(f"/admin/stores/{store.id}", data=_store_form(client, store, region_id="2",
                                                                         shopcode="KV2ONL"))
    assert response.status_code == 422
    assert "Cửa hàng có 1 nhân viên" in response.get_data(as_text=True)
    assert _store(db).region_id == 1


def test_second_admin_editing_a_store_is_told_and_nothing_is_lost(app, client, login, db):
    first = app.test_client()
    login(Role.ADMIN, region=1, on=first)
    login(Role.ADMIN, region=1)
    store = _store(db)
    drawn = version_on(client.get(f"/admin/stores/{store.id}").get_data(as_text=True))
    assert first.post(f"/admin/stores/{store.id}", data=_store_form(first, store, name="Tên thứ nhất")) \
        .status_code == 302
    late = client.post(f"/admin/stores/{store.id}", data=_store_form(client, store, version=drawn,
                                                                     address="Địa chỉ thứ hai"))
    html = late.get_data(as_text=True)
    assert late.status_code == 409
    assert 'value="Tên thứ nhất"' in html and "<strong>Địa chỉ thứ hai</strong>" in html
    assert (_store(db).name, _store(db).address) == ("Tên thứ nhất", "216 Trần Duy Hưng, Cầu Giấy")


def test_store_page_lists_its_staff(client, login, make_staff, db):
    clerk = make_staff(Role.CLERK, region=1, store="CH-HN-01")
    login(Role.ADMIN, region=1)
    html = client.get(f"/admin/stores/{_store(db).id}").get_data(as_text=True)
    assert clerk.username in html
    assert db.session.scalar(select(Staff.store_id).where(Staff.id == clerk.id)) == _store(db).id
