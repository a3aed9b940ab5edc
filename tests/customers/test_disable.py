"""Staff disable a customer (issue 10): one screen for admins and head-office supervisors; every website session and
app token ends at once; audited with before and after; re-enabling goes back through the transition table."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.appapi.tokens import issue_token
from portal.core.models import AuditEntry, StatusChange
from portal.core.roles import Role
from portal.customers.models import Customer, CustomerApiToken, CustomerSession, CustomerStatus
from portal.orders import services as orders
from tests.conftest import CUSTOMER_PASSWORD, page_csrf, writing_now
from tests.orders.conftest import hold_form, numbers  # noqa: F401  (fixture)

PHONE = "0912345678"


@pytest.fixture
def customer(make_customer) -> Customer:
    return make_customer(PHONE, full_name="Nguyễn Văn An")


def _app_token(db, customer) -> str:
    with writing_now(db):
        _, token = issue_token(customer, "iPhone")
        db.session.commit()
    return token


def _disable(client, customer, reason: str = "Khách báo mất điện thoại"):
    token = page_csrf(client, f"/admin/customers/{customer.id}")
    return client.post(f"/admin/customers/{customer.id}/disable", data={"csrf_token": token, "reason": reason})


def test_head_office_supervisor_finds_a_customer_by_phone_and_sees_their_orders(client, login, db, customer,
                                                                                 numbers, make_customer):  # noqa: F811
    make_customer("0903000111", full_name="Lê Thị Bình")
    order, _ = orders.place_order(hold_form(), customer, "web", "n")
    db.session.commit()
    login(Role.SUPERVISOR, region=0)
    listing = client.get("/admin/customers", query_string={"q": "0912 345"}).get_data(as_text=True)
    assert re.findall(r'class="customer-phone"[^>]*>([^<]+)<', listing) == ["0912 345 678"]
    assert "Nguyễn Văn An" in listing and "Lê Thị Bình" not in listing
    detail = client.get(f"/admin/customers/{customer.id}").get_data(as_text=True)
    assert order.order_no in detail and "Khóa tài khoản" in detail
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "customer.view"))


def test_disabling_ends_every_website_session_and_app_token_at_once(app, client, login, db, customer):
    site = app.test_client()
    from tests.conftest import csrf_from

    token = csrf_from(site.get("/chonso/dang-nhap").get_data(as_text=True))
    assert site.post("/chonso/dang-nhap", data={"phone": PHONE, "password": CUSTOMER_PASSWORD,
                                                "csrf_token": token}).status_code == 302
    bearer = {"Authorization": f"Bearer {_app_token(db, customer)}"}
    api = app.test_client()
    assert site.get("/chonso/tai-khoan").status_code == 200
    assert api.get("/api/app/v1/me", headers=bearer).status_code == 200

    staff = login(Role.ADMIN, region=3)
    response = _disable(client, customer)
    assert response.status_code == 302
    assert "Đã khóa tài khoản" in client.get(response.headers["Location"]).get_data(as_text=True)

    refused = site.get("/chonso/tai-khoan")
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/chonso/dang-nhap")
    assert api.get("/api/app/v1/me", headers=bearer).status_code == 401
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).status == CustomerStatus.DISABLED
    assert {r.ended_reason for r in db.session.scalars(select(CustomerSession))} == {"disabled"}
    assert {r.revoked_reason for r in db.session.scalars(select(CustomerApiToken))} == {"disabled"}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "customer.disabled"))
    assert entry.actor_id == staff.id and entry.object_id == str(customer.id)
    assert entry.detail == {"from": "active", "to": "disabled", "reason": "Khách báo mất điện thoại"}
    move = db.session.scalar(select(StatusChange).where(StatusChange.object_type == "customer"))
    assert (move.from_status, move.to_status, move.reason) == ("active", "disabled", "Khách báo mất điện thoại")
    again = site.post("/chonso/dang-nhap", data={"phone": PHONE, "password": CUSTOMER_PASSWORD,
                                                 "csrf_token": csrf_from(site.get("/chonso/dang-nhap").get_data(
                                                     as_text=True))})
    assert again.status_code == 401
    assert api.post("/api/app/v1/token", json={"phone": PHONE, "password": CUSTOMER_PASSWORD}).status_code == 401


def test_a_reason_is_required_and_nothing_changes_without_one(client, login, db, customer):
    login(Role.SUPERVISOR, region=0)
    response = _disable(client, customer, reason="   ")
    assert "Vui lòng nhập lý do khóa tài khoản." in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).status == CustomerStatus.ACTIVE
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "customer.disabled")) is None


def test_re_enabling_lets_the_customer_sign_in_again_but_not_with_the_old_session(app, client, login, db,
                                                                                   customer):
    bearer = {"Authorization": f"Bearer {_app_token(db, customer)}"}
    login(Role.ADMIN, region=0)
    _disable(client, customer)
    token = page_csrf(client, f"/admin/customers/{customer.id}")
    assert client.post(f"/admin/customers/{customer.id}/enable",
                       data={"csrf_token": token, "reason": "Khách đã tìm lại máy"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).status == CustomerStatus.ACTIVE
    api = app.test_client()
    assert api.get("/api/app/v1/me", headers=bearer).status_code == 401  # what was ended stays ended
    assert api.post("/api/app/v1/token", json={"phone": PHONE, "password": CUSTOMER_PASSWORD}).status_code == 201
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "customer.active"))
    assert entry.detail == {"from": "disabled", "to": "active", "reason": "Khách đã tìm lại máy"}


def test_a_disabled_account_never_activated_goes_back_to_pending(client, login, db, make_customer):
    pending = make_customer("0903222333", status=CustomerStatus.PENDING)
    with writing_now(db):
        db.session.get(Customer, pending.id).activated_at = None
        db.session.commit()
    login(Role.ADMIN, region=0)
    _disable(client, pending, reason="Đăng ký số không phải của mình")
    token = page_csrf(client, f"/admin/customers/{pending.id}")
    client.post(f"/admin/customers/{pending.id}/enable", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Customer, pending.id).status == CustomerStatus.PENDING


def test_regional_supervisors_are_refused_and_regional_admins_see_their_regions_orders_only(
        app, client, login, db, customer, numbers):  # noqa: F811
    orders.place_order(hold_form(), customer, "web", "n")  # 0903686868: CTKV2
    db.session.commit()
    login(Role.SUPERVISOR, region=2)
    assert client.get("/admin/customers").status_code == 403
    assert client.post(f"/admin/customers/{customer.id}/disable",
                       data={"csrf_token": page_csrf(client), "reason": "x"}).status_code == 403
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "access.forbidden"))
    assert "/admin/customers" not in client.get("/").get_data(as_text=True)

    admin = app.test_client()
    login(Role.ADMIN, region=3, on=admin)
    html = admin.get(f"/admin/customers/{customer.id}").get_data(as_text=True)
    assert "Chưa có đơn hàng nào." in html and "và 1 đơn hàng thuộc khu vực khác." in html
    assert "/admin/customers" in admin.get("/").get_data(as_text=True)

    head_office = app.test_client()
    login(Role.SUPERVISOR, region=0, on=head_office)
    assert "/admin/customers" in head_office.get("/").get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.AGENT, Role.CONNECTION, Role.CLERK, Role.SHIPPING])
def test_other_roles_never_reach_the_customer_screen(client, login, db, customer, role):
    login(role, region=1)
    assert client.get("/admin/customers").status_code == 403
    assert client.get(f"/admin/customers/{customer.id}").status_code == 403
