"""A hold form submitted many times at once (HOLD-3; checklist 16): one order, one hold. Runs on PostgreSQL too."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from sqlalchemy import func, select

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
