"""The order owns its lifecycle (portal.orders.lifecycle): every move is published once, after its commit, and
whatever reacts listens — the board, the store screen, the carrier job, refunds, the audit log."""
from __future__ import annotations

import contextvars
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.core.events import status_committed
from portal.core.models import AuditEntry, OutboxJob
from portal.core.roles import Role
from portal.core.time import utcnow
from portal.extensions import socketio
from portal.holds import services as holds
from portal.holds.models import HoldStatus
from portal.numbers.models import NumberStatus, PhoneNumber
from portal.orders import lifecycle
from portal.orders import services as orders
from portal.orders.models import Order, OrderStatus
from portal.org.models import Store
from tests.conftest import page_csrf

from .conftest import hold_form

STORE_HCM = "CH-HCM-01"


def _socket(app, client, namespace: str):
    return contextvars.Context().run(socketio.test_client, app, namespace=namespace, flask_test_client=client)


def _heard(sock, namespace: str, event: str, want: int, seconds: float = 3.0) -> list[dict]:
    got: list[dict] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(got) < want:
        got += [m["args"][0] for m in sock.get_received(namespace) if m["name"] == event]
        time.sleep(0.02)
    return got


def test_every_kind_of_move_reaches_an_open_board__SHIP_2_3_11(app, client, login, numbers, customer, db):
    """A new cash-on-delivery order, a bank payment, a customer's cancellation and an expiry: the board hears each
    (before, only shipping's own moves reached it)."""
    login(Role.SHIPPING, region=2)
    sock = _socket(app, client, "/shipping")
    assert sock.is_connected("/shipping")

    cod, _ = orders.place_order(hold_form(), customer, "web", "n1")  # COD: straight onto the board (SHIP-2)
    online, _ = orders.place_order(hold_form(number="0933686868", payment_method="online"), customer, "web", "n2")
    db.session.commit()
    lifecycle.pay(online, None)  # what the bank's IPN calls
    db.session.commit()
    lifecycle.cancel(cod, customer, "Khách đổi ý", by_customer=True)
    db.session.commit()
    late, _ = orders.place_order(hold_form(number="0909123456", payment_method="online", province="Hải Phòng",
                                           delivery_province="Hải Phòng"), customer, "web", "n3")
    late.ticket.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert holds.release_expired() == 1
    db.session.commit()

    moves = [(m["order_no"], m["from"], m["to"]) for m in _heard(sock, "/shipping", "order_moved", 4)]
    assert moves == [(cod.order_no, None, "pending"), (online.order_no, "awaiting_payment", "pending"),
                     (cod.order_no, "pending", "cancelled")]  # the Hải Phòng order is region 5's, not this board's
    sock.disconnect(namespace="/shipping")


def test_a_move_is_published_after_commit_only_and_once(numbers, customer, db):
    heard = []

    def listen(_sender, event, **_kw):
        heard.append((event.from_status, event.to_status))

    status_committed.connect(listen, sender=Order)
    try:
        order, _ = orders.place_order(hold_form(), customer, "web", "n1")
        db.session.rollback()  # nothing committed: nothing published
        assert heard == []
        order, _ = orders.place_order(hold_form(), customer, "web", "n1")
        db.session.commit()
        lifecycle.cancel(order, customer, "Khách đổi ý", by_customer=True)
        db.session.commit()
        db.session.commit()  # a second commit publishes nothing more
    finally:
        status_committed.disconnect(listen, sender=Order)
    assert heard == [(None, "pending"), ("pending", "cancelled")]


def test_the_store_screen_hears_its_own_store_only__SHIP_6(app, client, login, numbers, customer, db):
    clerk = login(Role.CLERK, region=2, staff=None)
    assert clerk.store.code == STORE_HCM
    sock = _socket(app, client, "/store")
    assert sock.is_connected("/store")
    mine, _ = orders.place_order(hold_form(receive_method="store", store_code=STORE_HCM), customer, "web", "a")
    orders.place_order(hold_form(number="0933686868", receive_method="store", store_code="CH-HN-01"), customer,
                       "web", "b")
    db.session.commit()
    heard = _heard(sock, "/store", "store_order", 2)
    assert [(m["order_no"], m["to"]) for m in heard] == [(mine.order_no, "waiting_pickup")]
    # The count beside the menu entry (SHIP-6: "sent to the store's system").
    html = client.get("/shipping/store/").get_data(as_text=True)
    assert 'data-nav-count="shipping.store.index"' in html and mine.order_no in html
    assert "1 đơn đang chờ khách nhận" in html
    sock.disconnect(namespace="/store")


def test_other_staff_cannot_open_the_store_socket(app, client, login):
    assert not _socket(app, client, "/store").is_connected("/store")
    login(Role.SHIPPING, region=2)
    assert not _socket(app, client, "/store").is_connected("/store")


def test_a_cod_hold_is_reserved_for_its_order_not_kept_by_a_far_expiry__HOLD_11(numbers, customer, db):
    order, _ = orders.place_order(hold_form(), customer, "web", "n1")
    db.session.commit()
    ticket = order.ticket
    assert ticket.status == HoldStatus.RESERVED and ticket.is_live and not ticket.expires
    assert ticket.expires_at < utcnow() + timedelta(days=1)  # no 31/12/9999 sentinel
    ticket.expires_at = utcnow() - timedelta(days=1)  # the clock means nothing to a reserved hold
    db.session.commit()
    assert holds.release_expired() == 0
    lifecycle.pay(order, None)  # the cash collected at the door
    db.session.commit()
    assert order.ticket.status == HoldStatus.PAID and order.paid_at is not None


def test_the_customer_may_cancel_while_waiting_for_pickup_on_the_site__SHIP_10(client, sign_in, make_staff, numbers,
                                                                               customer, db):
    order, _ = orders.place_order(hold_form(), customer, "web", "n1")
    db.session.commit()
    from portal.shipping import services as shipping

    shipping.confirm_order(order, make_staff(Role.SHIPPING, region=2), "Kho SIM, 5 Phạm Hùng",
                           utcnow() + timedelta(hours=3))
    order.carrier_order_code = "GYTEST01"
    db.session.commit()
    assert order.status == OrderStatus.WAITING_PICKUP and order.customer_may_cancel
    sign_in(customer)
    code = order.ticket.hold_code
    page = client.get(f"/chonso/phieu/{code}").get_data(as_text=True)
    assert "Hủy đơn hàng" in page
    client.post(f"/chonso/phieu/{code}/huy", data={"csrf_token": page_csrf(client, f"/chonso/phieu/{code}")})
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == OrderStatus.CANCELLED
    jobs = [j.func for j in db.session.scalars(select(OutboxJob))]
    assert "portal.shipping.jobs.cancel_carrier_order" in jobs  # the carrier is told (a listener, not a call)


def test_every_move_is_in_the_audit_log_with_who_and_why(numbers, customer, db):
    order, _ = orders.place_order(hold_form(), customer, "web", "n1")
    db.session.commit()
    lifecycle.cancel(order, customer, "Khách đổi ý", by_customer=True)
    db.session.commit()
    rows = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "order.cancelled")).all()
    assert len(rows) == 1
    assert rows[0].actor_kind == "customer" and rows[0].detail["reason"] == "Khách đổi ý"
    assert rows[0].detail["from"] == "pending" and rows[0].object_id == str(order.id)
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "hold.cancelled")) is not None


def _store_order(numbers, customer, db, days_ago: int) -> Order:
    order, _ = orders.place_order(hold_form(receive_method="store", store_code=STORE_HCM), customer, "web", "s")
    order.collect_by = utcnow() - timedelta(days=days_ago)
    db.session.commit()
    return order


def test_a_clerk_records_a_no_show_only_after_the_deadline(client, login, numbers, customer, db):
    """SHIP-6..7: the SIM waits at the store until the deadline; then the number goes back to the pool."""
    login(Role.CLERK, region=2)
    order = _store_order(numbers, customer, db, days_ago=-2)  # two days left
    url = f"/shipping/store/orders/{order.id}"
    assert "Ghi nhận khách không đến" not in client.get(url).get_data(as_text=True)
    response = client.post(url + "/no-show", data={"csrf_token": page_csrf(client, url)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.WAITING_PICKUP

    db.session.get(Order, order.id).collect_by = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert "Ghi nhận khách không đến" in client.get(url).get_data(as_text=True)
    client.post(url + "/no-show", data={"csrf_token": page_csrf(client, url)})
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status == OrderStatus.CANCELLED and "không đến nhận" in order.cancel_reason
    number = db.session.scalar(select(PhoneNumber).where(PhoneNumber.number == "0903686868"))
    assert number.status == NumberStatus.AVAILABLE


def test_a_clerk_of_another_store_cannot_record_a_no_show(client, login, numbers, customer, db):
    login(Role.CLERK, region=1)  # CH-HN-01
    order = _store_order(numbers, customer, db, days_ago=3)
    token = page_csrf(client, "/shipping/store/")
    assert client.post(f"/shipping/store/orders/{order.id}/no-show", data={"csrf_token": token}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == OrderStatus.WAITING_PICKUP


@pytest.mark.parametrize("payment", ["online", "cod"])
def test_a_store_order_goes_to_its_store_once_paid_or_placed__SHIP_6(numbers, customer, db, payment):
    order, _ = orders.place_order(hold_form(receive_method="store", store_code=STORE_HCM, payment_method=payment),
                                  customer, "web", "s")
    db.session.commit()
    if payment == "online":
        assert order.status == OrderStatus.AWAITING_PAYMENT and order.collect_by is None
        lifecycle.pay(order, None)
        db.session.commit()
    assert order.status == OrderStatus.WAITING_PICKUP and order.awaits_collection
    assert order.collect_by > utcnow() + timedelta(days=6)
    assert order.store_id == db.session.scalar(select(Store.id).where(Store.code == STORE_HCM))
    assert order.status_label == "Chờ nhận tại cửa hàng"
