"""The inventory page (filters, counts, refusals beside the form) and the price tiers page."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.numbers.classes import DEFAULT_PRICE_TIERS
from portal.numbers.models import NumberStatus, PhoneNumber, PriceTier
from portal.numbers.services import NewNumber, add_numbers
from tests.conftest import page_csrf


@pytest.fixture
def inventory(db):
    add_numbers([
        NewNumber("0903125868", region_id=1),                      # lộc phát
        NewNumber("0933125868", region_id=2, price=9_000_000),     # lộc phát, custom price
        NewNumber("0899999999", region_id=3),                      # ngũ quý
        NewNumber("0702471350", region_id=4),                      # thường
        NewNumber("0702471351", region_id=4),                      # thường
        NewNumber("0765432170", region_id=5, status=NumberStatus.LOCKED),  # thường, locked
    ])
    db.session.execute(update(PhoneNumber).where(PhoneNumber.number == "0702471351")
                       .values(status=NumberStatus.SOLD))
    db.session.commit()


NUMBER_CELL = re.compile(r'<td class="numbers-number"><a href="/numbers/\d+">([\d ]+)</a></td>')


def numbers_on(html: str) -> list[str]:
    return [m.replace(" ", "") for m in NUMBER_CELL.findall(html)]


def page(client, **args) -> str:
    response = client.get("/numbers/", query_string=args)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_inventory_lists_every_status_with_class_price_badge_and_region(client, login, inventory):
    login(Role.SUPERVISOR, region=0)
    html = page(client, sort="number")
    assert numbers_on(html) == ["0702471350", "0702471351", "0765432170", "0899999999", "0903125868", "0933125868"]
    assert "0899 999 999" in html and "Ngũ quý" in html and "50.000.000 ₫" in html
    assert "9.000.000 ₫" in html and "giá riêng" in html
    assert 'status-badge status-sold">Đã bán' in html and 'status-badge status-locked">Khóa' in html
    assert "<td>KV3</td>" in html or re.search(r"<td>\s*\w*3\s*</td>", html)


@pytest.mark.parametrize("args, expected", [
    ({"prefix": "0903"}, ["0903125868"]),
    ({"contains": "25868"}, ["0903125868", "0933125868"]),
    ({"ends_with": "9999"}, ["0899999999"]),
    ({"pattern": "09*5868"}, ["0903125868", "0933125868"]),
    ({"avoid": "68"}, ["0702471350", "0702471351"]),
    ({"number_class": "loc_phat"}, ["0903125868", "0933125868"]),
    ({"min_price": "1.000.000", "max_price": "10000000"}, ["0903125868", "0933125868"]),
    ({"status": "locked"}, ["0765432170"]),
    ({"status": "available", "number_class": "thuong"}, ["0702471350"]),
])
def test_inventory_filters(client, login, inventory, args, expected):
    login(Role.ADMIN, region=0)
    assert numbers_on(page(client, sort="number", **args)) == expected


def test_sorting_by_price_descending(client, login, inventory):
    login(Role.ADMIN, region=0)
    assert numbers_on(page(client, sort="price_desc"))[:2] == ["0899999999", "0933125868"]


def test_counts_by_status_and_by_class(client, login, inventory):
    login(Role.ADMIN, region=0)
    html = page(client, status="held")  # the panel counts the whole inventory, whatever the filter
    summary = html[html.index("numbers-status-summary"):html.index("portal-filters")]
    counts = dict(re.findall(r'status-(\w+)">[^<]+</span></a>\s*<strong class="ms-1">(\d+)</strong>', summary))
    assert counts == {"available": "4", "held": "0", "sold": "1", "locked": "1"}
    panel = html[html.index("numbers-class-counts"):]
    rows = re.findall(r'number_class=(\w+)">[^<]+</a></td>\s*<td class="text-end">(\d+)</td>\s*'
                      r'<td class="text-end pe-3">(\d+)</td>', panel)
    assert rows == [("ngu_quy", "1", "1"), ("loc_phat", "2", "2"), ("thuong", "1", "3")]
    assert "6 số trong kho" in html


def test_a_reversed_price_range_is_said_beside_the_form_keeping_what_was_typed(client, login, inventory):
    login(Role.ADMIN, region=0)
    html = page(client, min_price="5.000.000", max_price="1000000", contains="68")
    assert 'id="max_price-error">Giá từ phải nhỏ hơn hoặc bằng giá đến.' in html
    assert 'value="5.000.000"' in html and 'value="1000000"' in html and 'value="68"' in html
    assert numbers_on(html) == []


@pytest.mark.parametrize("args, field, message", [
    ({"min_price": "abc"}, "min_price", "Nhập số tiền VND"),
    ({"contains": "68a"}, "contains", "Chỉ được nhập chữ số"),
    ({"pattern": "09??"}, "pattern", "Mẫu tìm kiếm chỉ được chứa"),
    ({"number_class": "vip"}, "number_class", "Loại số không hợp lệ."),
    ({"status": "gone"}, "status", "Trạng thái không hợp lệ."),
    ({"sort": "random"}, "sort", "Kiểu sắp xếp không hợp lệ."),
])
def test_bad_filters_are_said_beside_their_field(client, login, inventory, args, field, message):
    login(Role.SUPERVISOR, region=2)
    html = page(client, **args)
    assert re.search(rf'id="{field}-error">{re.escape(message)}', html), html[html.index("portal-filters"):][:3000]


def test_a_page_past_the_search_window_says_so(client, login, inventory):
    login(Role.ADMIN, region=0)
    html = page(client, page="99999")
    assert "Chỉ xem được 10000 kết quả đầu tiên" in html
    assert numbers_on(html) == []


@pytest.fixture
def sixty(db):
    add_numbers(NewNumber(f"09031{i:05d}") for i in range(60))
    db.session.commit()


def test_pages_of_50(client, login, sixty):
    login(Role.ADMIN, region=0)
    first, second = page(client, sort="number", prefix="0903"), page(client, sort="number", prefix="0903", page="2")
    assert len(numbers_on(first)) == 50 and len(numbers_on(second)) == 10
    assert "60 số khớp điều kiện" in first
    assert "Trang 1 / 2" in first and "page=2" in first and "prefix=0903" in first


def test_the_unfiltered_all_status_view_counts_every_number(client, login, sixty):
    login(Role.ADMIN, region=0)
    html = page(client, sort="number")
    assert "60 số khớp điều kiện" in html and "Trang 1 / 2" in html


@pytest.mark.parametrize("role", [Role.AGENT, Role.CONNECTION, Role.CLERK, Role.SHIPPING])
def test_only_supervisors_and_admins_see_the_inventory(client, login, db, role):
    login(role, region=1)
    assert client.get("/numbers/").status_code == 403
    assert client.get("/numbers/price-tiers").status_code == 403


def test_supervisors_read_the_inventory_but_not_prices_or_import(client, login, inventory):
    login(Role.SUPERVISOR, region=1)
    html = page(client)
    assert "Nhập số từ tệp CSV" not in html and "Bảng giá theo loại số" not in html
    assert client.get("/numbers/price-tiers").status_code == 403
    assert client.post("/numbers/price-tiers", data={"csrf_token": page_csrf(client)}).status_code == 403


# --- Region scope (checklist 11) ----------------------------------------------------------------------------------

def test_a_regional_supervisor_lists_and_counts_only_their_regions_numbers(client, login, inventory):
    login(Role.SUPERVISOR, region=4)
    html = page(client, sort="number")
    assert numbers_on(html) == ["0702471350", "0702471351"]
    assert "2 số trong kho" in html and "2 số khớp điều kiện" in html
    summary = html[html.index("numbers-status-summary"):html.index("portal-filters")]
    counts = dict(re.findall(r'status-(\w+)">[^<]+</span></a>\s*<strong class="ms-1">(\d+)</strong>', summary))
    assert counts == {"available": "1", "held": "0", "sold": "1", "locked": "0"}
    assert "Ngũ quý" not in html[html.index("numbers-class-counts"):]
    assert numbers_on(page(client, contains="25868")) == []  # CTKV1's and CTKV2's lộc phát stay out of sight


def test_a_regional_admin_sees_their_region_and_head_office_sees_all(app, client, login, inventory):
    login(Role.ADMIN, region=2)
    assert numbers_on(page(client, sort="number")) == ["0933125868"]
    head_office = app.test_client()
    login(Role.SUPERVISOR, region=0, on=head_office)
    assert len(numbers_on(page(head_office, sort="number"))) == 6


def test_a_foreign_number_by_id_is_404_with_an_audit_row(client, login, db, inventory):
    staff = login(Role.SUPERVISOR, region=4)
    mine = db.session.scalar(select(PhoneNumber).where(PhoneNumber.number == "0702471350"))
    foreign = db.session.scalar(select(PhoneNumber).where(PhoneNumber.number == "0899999999"))
    own = client.get(f"/numbers/{mine.id}")
    assert own.status_code == 200 and "0702 471 350" in own.get_data(as_text=True)
    assert client.get(f"/numbers/{foreign.id}").status_code == 404
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "access.denied_region"))
    assert entry.actor_id == staff.id and entry.object_type == "phone_number" and entry.object_id == str(foreign.id)
    assert entry.region_id == 3


def test_head_office_opens_any_number(client, login, db, inventory):
    login(Role.ADMIN, region=0)
    foreign = db.session.scalar(select(PhoneNumber).where(PhoneNumber.number == "0899999999"))
    html = client.get(f"/numbers/{foreign.id}").get_data(as_text=True)
    assert "0899 999 999" in html and "Ngũ quý" in html


# --- Price tiers ---------------------------------------------------------------------------------------------------

def test_price_tiers_page_shows_labels_default_and_current_prices(client, login, db, inventory):
    db.session.add(PriceTier(number_class="tu_quy", price=20_000_000))
    db.session.commit()
    login(Role.ADMIN, region=0)
    html = client.get("/numbers/price-tiers").get_data(as_text=True)
    assert "Tứ quý" in html and "15.000.000 ₫" in html and "20.000.000 ₫" in html
    assert 'value="20.000.000"' in html


def test_changing_a_tier_reprices_available_numbers_without_a_custom_price_and_is_audited(
        client, login, db, inventory):
    db.session.execute(update(PhoneNumber).where(PhoneNumber.number == "0903125868")
                       .values(status=NumberStatus.HELD))
    add_numbers([NewNumber("0776885868", region_id=6)])
    db.session.commit()
    admin = login(Role.ADMIN, region=0)
    response = client.post("/numbers/price-tiers", data={
        "csrf_token": page_csrf(client, "/numbers/price-tiers"), "number_class": "loc_phat", "price": "2.500.000"})
    assert response.status_code == 302
    prices = dict(db.session.execute(select(PhoneNumber.number, PhoneNumber.price)).all())
    assert prices["0776885868"] == 2_500_000  # available, follows the tier
    assert prices["0933125868"] == 9_000_000  # custom price: kept
    assert prices["0903125868"] == DEFAULT_PRICE_TIERS["loc_phat"]  # held: the customer's price stands
    assert db.session.get(PriceTier, "loc_phat").price == 2_500_000
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "price_tier.change"))
    assert entry.actor_id == admin.id and (entry.object_type, entry.object_id) == ("price_tier", "loc_phat")
    assert entry.detail == {"before": {"price": DEFAULT_PRICE_TIERS["loc_phat"]}, "after": {"price": 2_500_000}}
    flash = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã đổi giá loại Lộc phát thành 2.500.000 ₫; 1 số đang sẵn sàng" in flash


def test_a_bad_tier_price_is_said_beside_that_class_and_nothing_changes(client, login, db, inventory):
    login(Role.ADMIN, region=0)
    response = client.post("/numbers/price-tiers", data={
        "csrf_token": page_csrf(client, "/numbers/price-tiers"), "number_class": "thuong", "price": "năm chục"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nhập số tiền VND" in html and 'value="năm chục"' in html
    assert db.session.get(PriceTier, "thuong") is None
    response = client.post("/numbers/price-tiers", data={
        "csrf_token": page_csrf(client, "/numbers/price-tiers"), "number_class": "sieu_vip", "price": "1000"})
    assert response.status_code == 422 and "Loại số không hợp lệ." in response.get_data(as_text=True)


def test_a_regional_admin_reads_the_price_list_but_cannot_change_it(client, login, db, inventory):
    login(Role.ADMIN, region=2)
    html = client.get("/numbers/price-tiers").get_data(as_text=True)
    assert "chỉ quản trị Tổng công ty được thay đổi" in html and "Đổi giá (VND)" not in html
    response = client.post("/numbers/price-tiers", data={
        "csrf_token": page_csrf(client, "/numbers/price-tiers"), "number_class": "thuong", "price": "1"})
    assert response.status_code == 302
    assert db.session.get(PriceTier, "thuong") is None
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "price_tier.refused"))


def test_two_admins_changing_one_tier_the_second_is_told_and_nothing_is_lost(app, client, login, db, inventory):
    """Both pages were drawn while the class had its default price (version 0): the first change stands."""
    login(Role.ADMIN, region=0)
    other = app.test_client()
    login(Role.ADMIN, region=0, on=other)
    assert 'id="version-loc_phat" name="version" type="hidden" value="0"' in \
        client.get("/numbers/price-tiers").get_data(as_text=True)
    first = other.post("/numbers/price-tiers", data={"csrf_token": page_csrf(other, "/numbers/price-tiers"),
                                                     "number_class": "loc_phat", "price": "2.500.000", "version": 0})
    assert first.status_code == 302
    second = client.post("/numbers/price-tiers", data={"csrf_token": page_csrf(client, "/numbers/price-tiers"),
                                                       "number_class": "loc_phat", "price": "3.000.000", "version": 0})
    html = second.get_data(as_text=True)
    assert second.status_code == 409 and "Một người khác vừa sửa mục này trước bạn" in html
    assert "3.000.000 ₫" in html and 'value="2.500.000"' in html  # what they typed, and the latest price
    db.session.expire_all()
    assert (db.session.get(PriceTier, "loc_phat").price, db.session.get(PriceTier, "loc_phat").version) == \
        (2_500_000, 1)
    assert len(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "price_tier.change")).all()) == 1
