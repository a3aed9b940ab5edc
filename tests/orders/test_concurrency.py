"""A hold form submitted many times at once (HOLD-3; checklist 16): one order, one hold. Runs on PostgreSQL too."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier, Event

import pytest
from sqlalchemy import func, select

from portal.auth.models import Staff
from portal.core.roles import Role
from portal.core.sqlite import writing
from portal.extensions import db as _db
from portal.holds.models import HoldTicket
from portal.orders.models import Order
from portal.orders.submit import submit_order

from .conftest import hold_form

THREADS = 12


@pytest.mark.usefixtures("committed_db")
def test_concurrent_double_submit_makes_one_order__HOLD_3(app, numbers, customer, db):
    barrier = Barrier(THREADS)
    customer_id = customer.id

    def one(_i: int):
        with app.app_context(), writing():  # as a POST request would (BEGIN IMMEDIATE on SQLite)
            from portal.customers.models import Customer

            me = _db.session.get(Customer, customer_id)
            _db.session.rollback()
            barrier.wait()
            try:
                order, replayed = submit_order(hold_form(), me, "web", "one-nonce")
                return order.order_no, replayed
            finally:
                _db.session.remove()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(one, range(THREADS)))
    db.session.rollback()  # see what the threads committed
    assert len({order_no for order_no, _ in results}) == 1
    assert sorted(replayed for _, replayed in results) == [False] + [True] * (THREADS - 1)
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    assert db.session.scalar(select(func.count()).select_from(HoldTicket)) == 1


@pytest.mark.usefixtures("committed_db")
def test_a_store_closed_while_an_order_is_placed_there_stays_open_with_it__HOLD_9(
        app, numbers, customer, make_staff, db, monkeypatch):
    """An admin closes a store at the moment a customer places a pickup order there. The order, once it has read
    the store as open, holds it open until its commit: the closing waits, counts the new order and is refused. On
    PostgreSQL without the row locks both commit, leaving a closed store with an order to hand over."""
    from portal.admin import organisation
    from portal.core.errors import FieldErrors
    from portal.orders import services
    from portal.org.models import Store

    admin = make_staff(Role.ADMIN, region=0)
    customer_id, admin_id = customer.id, admin.id
    store_id = db.session.scalar(select(Store.id).where(Store.code == "CH-HCM-01"))
    read_open, closing = Event(), Event()
    check = services._check_open_orders

    def slow_check(*args):  # the order has read its store as open; the admin acts before it commits
        read_open.set()
        assert closing.wait(10)
        time.sleep(0.5)  # the admin's closing reaches the store's row meanwhile
        return check(*args)

    monkeypatch.setattr(services, "_check_open_orders", slow_check)

    def place():
        with app.app_context(), writing():
            from portal.customers.models import Customer

            try:
                order, _ = submit_order(hold_form(receive_method="store", store_code="CH-HCM-01"),
                                        _db.session.get(Customer, customer_id), "web", "store-race")
                return order.order_no
            finally:
                _db.session.remove()

    def close():
        assert read_open.wait(10)
        closing.set()
        with app.app_context(), writing():
            try:
                store = _db.session.get(Store, store_id)
                organisation.update_store(store, store.version, _db.session.get(Staff, admin_id), name=store.name,
                                          address=store.address, province=store.province, region_id=store.region_id,
                                          shopcode=store.shopcode or "", active=False)
                _db.session.commit()
                return "closed"
            except FieldErrors as exc:
                _db.session.rollback()
                return exc.fields["active"][0]
            finally:
                _db.session.remove()

    with ThreadPoolExecutor(max_workers=2) as pool:
        placed, closed = pool.submit(place), pool.submit(close)
        order_no, outcome = placed.result(30), closed.result(30)
    db.session.rollback()
    assert outcome == "store_has_open_orders"
    assert db.session.get(Store, store_id).active is True
    assert db.session.scalar(select(Order.store_id).where(Order.order_no == order_no)) == store_id
