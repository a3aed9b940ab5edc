"""Refunds are opened by listening (issue 10): an order paid online that is cancelled, money that comes too late."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from portal.core.errors import Conflict
from portal.core.events import status_changed
from portal.core.models import AuditEntry, StatusChange
from portal.core.time import utcnow
from portal.holds.models import HoldTicket
from portal.orders.models import Order, OrderStatus, PaymentMethod
from portal.payments import services
from portal.payments.models import Payment, PaymentStatus, Refund, RefundReason, RefundStatus
from tests.payments.conftest import ipn_params, pay


def _refunds(db) -> list[Refund]:
    db.session.commit()
    return db.session.scalars(select(Refund).order_by(Refund.id)).all()


def test_an_order_paid_online_then_cancelled_opens_one_refund(make_order, cancel, db):
    order = make_order()
    payment = pay(order)
    cancel(order, "Khách đổi ý")
    [refund] = _refunds(db)
    assert refund.payment_id == payment.id and refund.order_id == order.id
    assert refund.status == RefundStatus.DUE and refund.reason == RefundReason.ORDER_CANCELLED
    assert refund.amount == payment.amount == order.total and refund.region_id == order.region_id == 2
    assert refund.detail == "Khách đổi ý" and refund.created_by.startswith("shipping2")
    opened = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "refund.open"))
    assert opened.region_id == 2 and opened.detail["txn_ref"] == payment.txn_ref
    history = db.session.scalars(select(StatusChange).where(StatusChange.object_type == "refund")).all()
    assert [(h.from_status, h.to_status) for h in history] == [(None, "due")]
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "payment.refund_needed")) is None


def test_a_cash_on_delivery_order_cancelled_opens_none(make_order, cancel, db):
    order = make_order()
    db.session.execute(update(Order).where(Order.id == order.id)
                       .values(payment_method=PaymentMethod.COD, status=OrderStatus.PENDING))
    db.session.commit()
    cancel(order)
    assert db.session.get(Order, order.id).status == OrderStatus.CANCELLED
    assert _refunds(db) == []


def test_an_unpaid_online_order_cancelled_opens_none(make_order, db):
    from portal.orders.lifecycle import cancel

    order = make_order()
    customer = _customer(db, order)
    services.start_payment(order, customer, "127.0.0.1")  # at the bank, never paid
    db.session.commit()
    cancel(order, customer, "Khách đổi ý", by_customer=True)  # an unpaid order is the customer's to cancel
    db.session.commit()
    assert _refunds(db) == []


def test_cancelling_twice_opens_one_refund(make_order, cancel, db):
    order = make_order()
    pay(order)
    cancel(order)
    with pytest.raises(Conflict):
        cancel(order)
    db.session.rollback()
    # The move published again (a listener must not rely on being told once): still one refund.
    order = db.session.get(Order, order.id)
    from portal.core.events import StatusEvent

    event = StatusEvent("customer_order", order.id, "pending", "cancelled", utcnow(), None, "Hệ thống", "system")
    status_changed.send(Order, obj=order, event=event)
    assert len(_refunds(db)) == 1


def test_a_cancellation_rolled_back_leaves_no_refund(make_order, make_staff, db):
    from portal.core.roles import Role
    from portal.orders.lifecycle import cancel as cancel_order

    order = make_order()
    pay(order)
    cancel_order(db.session.get(Order, order.id), make_staff(Role.SHIPPING, region=2), "thử")
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 1  # opened in the same transaction
    db.session.rollback()
    assert _refunds(db) == []


def test_money_after_the_hold_expired_opens_a_refund_for_that_payment(client, make_order, db):
    order = make_order()
    services.start_payment(order, _customer(db, order), "127.0.0.1")
    db.session.commit()
    payment = services.last_payment(order)
    db.session.execute(update(HoldTicket).where(HoldTicket.id == order.ticket_id)
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert client.get("/payments/vnpay/ipn", query_string=ipn_params(payment)).get_json()["RspCode"] == "00"
    [refund] = _refunds(db)
    assert refund.payment_id == payment.id and refund.reason == RefundReason.LATE_PAYMENT
    assert refund.created_by == "VNPay IPN" and refund.status == RefundStatus.DUE
    assert db.session.get(Order, order.id).status == OrderStatus.AWAITING_PAYMENT  # the order is left alone


def test_a_second_successful_payment_is_refunded_and_cancelling_refunds_the_first_too(make_order, cancel, db):
    order = make_order()
    customer = _customer(db, order)
    services.start_payment(order, customer, "127.0.0.1")
    db.session.commit()
    first = services.last_payment(order)
    services.start_payment(order, customer, "127.0.0.1")  # a second tab, a second trip to the bank
    db.session.commit()
    second = services.last_payment(order)
    for payment in (first, second):
        assert services.handle_ipn(ipn_params(payment)) == services.CONFIRMED
        db.session.commit()
    [twice] = _refunds(db)
    assert twice.payment_id == second.id and twice.reason == RefundReason.PAID_TWICE
    cancel(order)
    refunds = _refunds(db)
    assert [(r.payment_id, r.reason) for r in refunds] == [(second.id, RefundReason.PAID_TWICE),
                                                           (first.id, RefundReason.ORDER_CANCELLED)]
    assert db.session.scalar(select(func.count()).select_from(Payment)
                             .where(Payment.status == PaymentStatus.PAID)) == 2


def _customer(db, order):
    from portal.customers.models import Customer

    return db.session.get(Customer, order.customer_id)
