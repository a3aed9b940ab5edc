"""The customer site's orders pages: search → hold form → summary → confirm → ticket (HOLD-1..14)."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from portal.holds.models import HoldTicket
from portal.orders.models import Order, OrderStatus
from tests.conftest import csrf_from

from .conftest import hold_form


def _form_page(client, numbers="0903686868") -> tuple[str, str]:
    html = client.get(f"/chonso/giu-so/{numbers}").get_data(as_text=True)
    nonce = re.search(r'name="nonce" type="hidden" value="([^"]+)"', html).group(1)
    return csrf_from(html), nonce


def test_search_modes_are_public_and_find_numbers__HOLD_1(client, numbers):
    html = client.get("/chonso/tim-so?mode=dieu-kien&pattern=0903*").get_data(as_text=True)
    assert "0903 686 868" in html or "0903686868" in html
    assert "/chonso/giu-so/0903686868" in html
    assert client.get("/chonso/tim-so?mode=ten&name=Mai").status_code == 200
    assert client.get("/chonso/tim-so?mode=phong-thuy&birth_date=1990-05-17").status_code == 200
    assert client.get("/chonso/tim-so?mode=cap").status_code == 200
    bad = client.get("/chonso/tim-so?mode=dieu-kien&pattern=abc").get_data(as_text=True)
    assert "invalid-feedback" in bad


def test_the_hold_form_needs_a_signed_in_customer__HOLD_2(client, numbers):
    response = client.get("/chonso/giu-so/0903686868")
    assert response.status_code == 302 and "/chonso/dang-nhap" in response.headers["Location"]


def test_wrong_fields_come_back_beside_the_field_with_typed_values__HOLD_5(client, numbers, customer, sign_in):
    sign_in(customer)
    token, nonce = _form_page(client)
    response = client.post("/chonso/giu-so/0903686868",
                           data={**hold_form(gender="female", ward=""), "csrf_token": token, "nonce": nonce})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="gender-error"' in html and "chữ số thứ 4" in html
    assert 'id="ward-error"' in html
    assert 'value="079090001234"' in html and 'value="12 Lê Lợi"' in html  # what was typed is kept


def test_summary_then_confirm_places_one_order_even_if_sent_twice__HOLD_3(client, numbers, customer, sign_in, db):
    """HOLD-13: the hold ticket's details are shown."""
    sign_in(customer)
    token, nonce = _form_page(client)
    data = {**hold_form(), "csrf_token": token, "nonce": nonce}
    summary = client.post("/chonso/giu-so/0903686868", data=data)
    html = summary.get_data(as_text=True)
    assert summary.status_code == 200 and "545.000" in html  # 500.000 + 25.000 SIM + 20.000 delivery
    assert db.session.scalar(select(func.count()).select_from(HoldTicket)) == 0  # nothing held before confirming
    first = client.post("/chonso/giu-so/0903686868/xac-nhan", data=data)
    again = client.post("/chonso/giu-so/0903686868/xac-nhan", data=data)
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    ticket_page = client.get(first.headers["Location"]).get_data(as_text=True)
    order = db.session.scalar(select(Order))
    assert order.ticket.hold_code in ticket_page and order.status == OrderStatus.PENDING
    assert "Chờ xử lý" in ticket_page and "545.000" in ticket_page


def test_esim_summary_shows_the_offer_before_payment__HOLD_6(client, numbers, customer, sign_in, db):
    from portal.promotions.services import ensure_demo_offer

    ensure_demo_offer()
    db.session.commit()
    sign_in(customer)
    token, nonce = _form_page(client)
    data = {**hold_form(sim_type="esim", receive_method="email", payment_method="online"), "csrf_token": token,
            "nonce": nonce}
    html = client.post("/chonso/giu-so/0903686868", data=data).get_data(as_text=True)
    assert "TN4G" in html and "15 GB" in html
    client.post("/chonso/giu-so/0903686868/xac-nhan", data=data)
    order = db.session.scalar(select(Order))
    assert order.offer_code == "TN4G-DEMO" and order.status == OrderStatus.AWAITING_PAYMENT
    page = client.get(f"/chonso/phieu/{order.ticket.hold_code}").get_data(as_text=True)
    assert "Chờ thanh toán" in page and "TN4G" in page


def test_store_list_puts_the_province_first_on_the_form__HOLD_9(client, numbers, customer, sign_in):
    sign_in(customer)
    token, nonce = _form_page(client)
    html = client.post("/chonso/giu-so/0903686868", data={
        **hold_form(province="Cần Thơ", receive_method="store", store_code=""), "csrf_token": token,
        "nonce": nonce}).get_data(as_text=True)
    assert html.index('value="CH-CT-01"') < html.index('value="CH-HN-01"')


def test_another_customers_ticket_is_404(client, app, numbers, customer, make_customer, sign_in, db):
    from portal.orders.services import place_order

    order, _ = place_order(hold_form(), customer, "web", "n")
    db.session.commit()
    sign_in(make_customer())
    assert client.get(f"/chonso/phieu/{order.ticket.hold_code}").status_code == 404
    assert client.post(f"/chonso/phieu/{order.ticket.hold_code}/huy",
                       data={"csrf_token": csrf_from(client.get("/chonso/phieu-cua-toi").get_data(as_text=True))}
                       ).status_code == 404
    assert order.ticket.hold_code not in client.get("/chonso/phieu-cua-toi").get_data(as_text=True)


def test_my_tickets_notifications_and_cancel__SHIP_3(client, numbers, customer, sign_in, db):
    from portal.orders.services import place_order

    order, _ = place_order(hold_form(), customer, "web", "n")
    db.session.commit()
    sign_in(customer)
    assert order.ticket.hold_code in client.get("/chonso/phieu-cua-toi").get_data(as_text=True)
    token = csrf_from(client.get(f"/chonso/phieu/{order.ticket.hold_code}").get_data(as_text=True))
    assert client.post(f"/chonso/phieu/{order.ticket.hold_code}/huy", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.CANCELLED
    notes = client.get("/chonso/thong-bao").get_data(as_text=True)
    assert "Đã hủy" in notes and "Khách hàng hủy" in notes


def test_a_hold_form_without_its_nonce_is_refused(client, numbers, customer, sign_in, db):
    sign_in(customer)
    token, _nonce = _form_page(client)
    response = client.post("/chonso/giu-so/0903686868/xac-nhan", data={**hold_form(), "csrf_token": token})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert client.get("/chonso/giu-so/not-a-number").status_code == 404
