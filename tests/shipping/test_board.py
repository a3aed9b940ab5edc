"""The order board and store screen over HTTP: tabs and counts, search, filters, scoping, actions, live updates."""
from __future__ import annotations

import contextvars
import re
import time
from datetime import datetime, timedelta

from sqlalchemy import select

from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.core.time import VIETNAM
from portal.extensions import socketio
from portal.orders import lifecycle
from portal.orders.models import Order, OrderStatus
from tests.conftest import page_csrf
from tests.shipping.conftest import ID_NUMBER, confirm_now, make_iccid

TOMORROW_9AM = (datetime.now(VIETNAM) + timedelta(days=1)).strftime("%Y-%m-%dT09:00")
TABS = ["Chờ xử lý", "Chờ lấy hàng", "Đang giao hàng", "Đã giao", "Đã hủy"]


def _counts(html: str) -> dict[str, int]:
    return {m[0]: int(m[1]) for m in re.findall(r'data-count="(\w+)">(\d+)<', html)}


def _reload(db, order) -> Order:
    db.session.commit()
    return db.session.get(Order, order.id)


def test_board_has_the_spec_tabs_with_counts__SHIP_2_4(client, login, make_order):
    login(Role.SHIPPING, region=1)
    make_order(), make_order(receive="store"), make_order(status=OrderStatus.CANCELLED)
    make_order(sim="esim", receive="email", payment="online")  # eSIM by e-mail: not on the board
    html = client.get("/shipping/").get_data(as_text=True)
    assert [t for t in TABS if t in html] == TABS
    assert html.index(TABS[0]) < html.index(TABS[1]) < html.index(TABS[2]) < html.index(TABS[3]) < html.index(TABS[4])
    # SHIP-6: a store pickup order is sent to its store at once: it waits there for the customer.
    assert _counts(html) == {"pending": 1, "waiting_pickup": 1, "delivering": 0, "delivered": 0, "cancelled": 1}


def test_board_search_by_order_number_phone_or_hold_code(client, login, make_order):
    login(Role.SHIPPING, region=1)
    a = make_order(phone="0912000001")
    b = make_order(phone="0912000002")
    for q in (a.order_no, "0912 000 001", a.ticket.hold_code.lower()):
        html = client.get("/shipping/", query_string={"q": q}).get_data(as_text=True)
        assert a.order_no in html and b.order_no not in html, q
        assert _counts(html)["pending"] == 1


def test_board_filters_by_store_payment_and_dates(client, login, make_order, db):
    login(Role.SHIPPING, region=1)
    home = make_order(payment="online")
    store = make_order(receive="store", store="CH-HN-02")
    html = client.get("/shipping/", query_string={"store": store.store_id, "tab": "waiting_pickup"}).get_data(
        as_text=True)
    assert store.order_no in html and home.order_no not in html
    html = client.get("/shipping/", query_string={"payment": "online"}).get_data(as_text=True)
    assert home.order_no in html and store.order_no not in html
    html = client.get("/shipping/", query_string={"from": "2001-01-01", "to": "2001-01-02"}).get_data(as_text=True)
    assert _counts(html)["pending"] == 0


def test_board_is_region_scoped_and_head_office_sees_all__checklist_11(app, client, login, make_order, make_staff):
    mine, theirs = make_order(region=1), make_order(region=2)
    login(Role.SHIPPING, region=1)
    html = client.get("/shipping/").get_data(as_text=True)
    assert mine.order_no in html and theirs.order_no not in html
    html = client.get("/shipping/", query_string={"region": 2}).get_data(as_text=True)  # ignored for a region
    assert theirs.order_no not in html
    assert client.get(f"/shipping/orders/{theirs.id}").status_code == 404
    token = page_csrf(client, "/shipping/")
    response = client.post(f"/shipping/orders/{theirs.id}/cancel", data={"csrf_token": token, "reason": "x"})
    assert response.status_code == 404
    boss = app.test_client()
    login(Role.SUPERVISOR, region=0, on=boss)
    html = boss.get("/shipping/").get_data(as_text=True)
    assert mine.order_no in html and theirs.order_no in html
    html = boss.get("/shipping/", query_string={"region": 2}).get_data(as_text=True)
    assert theirs.order_no in html and mine.order_no not in html


def test_region_404_is_audited(client, login, make_order, db):
    theirs = make_order(region=2)
    login(Role.SHIPPING, region=1)
    assert client.get(f"/shipping/orders/{theirs.id}").status_code == 404
    db.session.commit()
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "access.denied_region",
                                                         AuditEntry.object_id == str(theirs.id)))


def test_supervisors_read_but_do_not_act(client, login, make_order):
    order = make_order()
    login(Role.SUPERVISOR, region=1)
    assert client.get(f"/shipping/orders/{order.id}").status_code == 200
    token = page_csrf(client, "/shipping/")
    assert client.post(f"/shipping/orders/{order.id}/cancel", data={"csrf_token": token, "reason": "x"}) \
        .status_code == 403


def test_confirm_hand_over_and_packing_slip_through_the_pages__SHIP_8_13_E_2_3(client, login, make_order, db):
    """SHIP-12: staff prepare and pack (the packing slip)."""
    login(Role.SHIPPING, region=1)
    order = make_order()
    page = client.get(f"/shipping/orders/{order.id}").get_data(as_text=True)
    assert "Xác nhận đơn" in page and "Hủy đơn" in page
    token = page_csrf(client, f"/shipping/orders/{order.id}")
    bad = client.post(f"/shipping/orders/{order.id}/confirm", data={
        "csrf_token": token, "pickup_address": "Kho SIM Phạm Hùng", "pickup_at": "2020-01-01T09:00"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "Thời gian lấy hàng phải ở tương lai." in html and 'value="Kho SIM Phạm Hùng"' in html
    ok = client.post(f"/shipping/orders/{order.id}/confirm", data={
        "csrf_token": token, "pickup_address": "Kho SIM Phạm Hùng", "pickup_at": TOMORROW_9AM})
    assert ok.status_code == 302
    assert _reload(db, order).status == OrderStatus.WAITING_PICKUP
    bad = client.post(f"/shipping/orders/{order.id}/hand-over", data={"csrf_token": token, "iccid": "8984012345"})
    assert bad.status_code == 422 and "ICCID" in bad.get_data(as_text=True)
    serial = make_iccid()
    assert client.post(f"/shipping/orders/{order.id}/hand-over",
                       data={"csrf_token": token, "iccid": serial}).status_code == 302
    assert _reload(db, order).status == OrderStatus.DELIVERING
    slip = client.get(f"/shipping/orders/{order.id}/packing-slip").get_data(as_text=True)
    assert serial in slip and order.ticket.hold_code in slip and "Kích hoạt" in slip
    assert 'src="data:image/svg+xml' in slip


def test_cancelling_a_cancelled_order_says_why(client, login, make_order, db):
    login(Role.SHIPPING, region=1)
    order = make_order()
    token = page_csrf(client, f"/shipping/orders/{order.id}")
    assert client.post(f"/shipping/orders/{order.id}/cancel", data={"csrf_token": token, "reason": "Khách gọi hủy"}) \
        .status_code == 302
    response = client.post(f"/shipping/orders/{order.id}/confirm", data={
        "csrf_token": token, "pickup_address": "Kho SIM Phạm Hùng", "pickup_at": TOMORROW_9AM},
        follow_redirects=True)
    assert "Đơn hàng đã bị hủy: Khách gọi hủy" in response.get_data(as_text=True)


def test_store_screen_lists_only_the_clerks_store_and_hands_over__SHIP_6_7(client, login, make_order, db):
    mine = make_order(receive="store", store="CH-HN-01")
    other_store = make_order(receive="store", store="CH-HN-02")
    login(Role.CLERK, region=1)  # CH-HN-01
    html = client.get("/shipping/store/").get_data(as_text=True)
    assert mine.order_no in html and other_store.order_no not in html
    assert client.get(f"/shipping/store/orders/{other_store.id}").status_code == 404
    html = client.get("/shipping/store/", query_string={"q": mine.ticket.hold_code}).get_data(as_text=True)
    assert mine.order_no in html
    token = page_csrf(client, f"/shipping/store/orders/{mine.id}")
    bad = client.post(f"/shipping/store/orders/{mine.id}/hand-over", data={
        "csrf_token": token, "id_number": "001099000000", "iccid": make_iccid(), "cash_received": "545000"})
    assert bad.status_code == 422 and "không khớp" in bad.get_data(as_text=True)
    serial = make_iccid()
    ok = client.post(f"/shipping/store/orders/{mine.id}/hand-over", data={
        "csrf_token": token, "id_number": ID_NUMBER, "iccid": serial, "cash_received": "545000"})
    assert ok.status_code == 302
    order = _reload(db, mine)
    assert order.status == OrderStatus.DELIVERED and order.sim_serial == serial and order.cash_collected == 545_000
    slip = client.get(f"/shipping/store/orders/{mine.id}/slip").get_data(as_text=True)
    assert "Phiếu bàn giao SIM" in slip and serial in slip and ID_NUMBER not in slip


def test_cod_page_shows_expected_vs_reported_and_the_flag(client, login, make_order, make_staff, db):
    from portal.shipping import services

    order = make_order()
    confirm_now(order, make_staff(Role.SHIPPING, region=1))
    for status in ("picked", "delivered"):
        services.apply_carrier_status({"OrderCode": "GYCOD1", "ClientOrderCode": order.order_no, "Status": status,
                                       "CODAmount": 500_000, "Time": "t1"})
    db.session.commit()
    login(Role.SUPERVISOR, region=1)
    html = client.get("/shipping/cod").get_data(as_text=True)
    assert order.order_no in html and "545.000" in html and "500.000" in html
    token = page_csrf(client, "/shipping/cod")
    client.post(f"/shipping/orders/{order.id}/cash-flag", data={"csrf_token": token, "note": "Shipper nộp bù"})
    assert not _reload(db, order).cash_mismatch


def _socket(app, client):
    return contextvars.Context().run(socketio.test_client, app, namespace="/shipping", flask_test_client=client)


def test_board_socket_hears_a_move_in_its_region_only__SHIP_8_1(app, client, login, make_order, db):
    """A real Socket.IO connection: the board is told when an order of its region moves."""
    login(Role.SHIPPING, region=1)
    sock = _socket(app, client)
    assert sock.is_connected("/shipping")
    mine, theirs = make_order(region=1), make_order(region=2)
    token = page_csrf(client, f"/shipping/orders/{mine.id}")
    client.post(f"/shipping/orders/{mine.id}/cancel", data={"csrf_token": token, "reason": "Khách hủy"})

    lifecycle.cancel(db.session.get(Order, theirs.id), "customer", "Khách hủy", by_customer=True)
    db.session.commit()
    deadline = time.monotonic() + 3
    moved = []
    while time.monotonic() < deadline and not moved:
        moved = [m["args"][0] for m in sock.get_received("/shipping") if m["name"] == "order_moved"]
        time.sleep(0.05)
    assert [(m["order_id"], m["from"], m["to"]) for m in moved] == [(mine.id, "pending", "cancelled")]
    sock.disconnect(namespace="/shipping")


def test_clerks_and_anonymous_cannot_open_the_board_socket(app, client, login):
    assert not _socket(app, client).is_connected("/shipping")
    login(Role.CLERK, region=1)
    assert not _socket(app, client).is_connected("/shipping")


def test_board_partial_refreshes_counts(client, login, make_order):
    login(Role.SHIPPING, region=1)
    make_order()
    html = client.get("/shipping/board", query_string={"tab": "pending"}).get_data(as_text=True)
    assert "<html" not in html and _counts(html)["pending"] == 1


def test_trigger_kept_counts_match_a_live_count_after_every_move(app, db, make_order, make_staff):
    """The board's unfiltered counts come from order_tab_count (kept by triggers): they must equal a real count."""
    from flask_login import login_user
    from werkzeug.datastructures import MultiDict

    from portal.shipping import board

    staff = make_staff(Role.SHIPPING, region=1)
    orders = [make_order(region=r) for r in (1, 1, 2)] + [make_order(receive="store"), make_order(receive="email",
                                                                                                   sim="esim")]
    confirm_now(orders[0], staff)
    lifecycle.cancel(db.session.get(Order, orders[1].id), staff, "Khách hủy")
    db.session.commit()
    for viewer in (staff, make_staff(Role.SUPERVISOR, region=0)):
        with app.test_request_context("/shipping/"):
            login_user(viewer)
            fast = board.tab_counts(board.parse_filters(MultiDict()))
            slow = board.tab_counts(board.parse_filters(MultiDict({"from": "2000-01-01"})))  # filtered: counted
            assert fast == slow
            assert sum(fast.values()) == (3 if viewer is staff else 4)
