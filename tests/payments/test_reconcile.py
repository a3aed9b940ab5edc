"""A lost IPN: after the pay window the reconciler asks the bank (querydr) and settles the attempt (HOLD-14)."""
from __future__ import annotations

import re
from datetime import timedelta

import requests
from sqlalchemy import select, update

from portal.core.time import utcnow
from portal.extensions import db as _db
from portal.gateways.vnpay_sandbox import create_app as create_bank
from portal.holds.models import HoldStatus
from portal.orders.models import Order, OrderStatus
from portal.payments import services
from portal.payments.models import Payment, PaymentStatus
from portal.payments.reconcile import reconcile_pending_payments
from tests.payments.conftest import SECRET, TMN, ServerThread


def _start(order) -> tuple[Payment, str]:
    from portal.customers.models import Customer

    url = services.start_payment(order, _db.session.get(Customer, order.customer_id), "127.0.0.1")
    _db.session.commit()
    return services.last_payment(order), url


def _window_passed(payment: Payment) -> None:
    _db.session.execute(update(Payment).where(Payment.id == payment.id)
                        .values(expires_at=utcnow() - timedelta(minutes=10)))
    _db.session.commit()


def test_lost_ipn_is_recovered_by_querydr(app, make_order, monkeypatch, tmp_path):
    deaf = ServerThread(create_bank(TMN, SECRET, "http://127.0.0.1:9/ipn", tmp_path / "bank.db", retry_delays=()))
    monkeypatch.setitem(app.config, "VNPAY_PAY_URL", f"{deaf.url}/paymentv2/vpcpay.html")
    monkeypatch.setitem(app.config, "VNPAY_API_URL", f"{deaf.url}/merchant_webapi/api/transaction")
    try:
        paid_order, never_order = make_order(), make_order()
        paid, url = _start(paid_order)
        page = requests.get(url, timeout=10).text
        action = re.search(r'<form method="post" action="([^"]+)"', page).group(1)
        requests.post(deaf.url + action, data={"outcome": "success"}, allow_redirects=False, timeout=20)
        never, _url = _start(never_order)  # the customer never reached the bank
        fresh, _url = _start(make_order())  # still inside its pay window: left alone
        _db.session.commit()
        assert _db.session.get(Payment, paid.id).status == PaymentStatus.PENDING  # the IPN was lost
        _window_passed(paid)
        _window_passed(never)
        assert reconcile_pending_payments() == 2
        _db.session.commit()
        _db.session.expire_all()
        assert _db.session.get(Payment, paid.id).status == PaymentStatus.PAID
        order = _db.session.get(Order, paid_order.id)
        assert order.status == OrderStatus.PENDING and order.ticket.status == HoldStatus.PAID
        assert _db.session.get(Payment, never.id).status == PaymentStatus.EXPIRED
        assert _db.session.get(Order, never_order.id).status == OrderStatus.AWAITING_PAYMENT
        assert _db.session.get(Payment, fresh.id).status == PaymentStatus.PENDING
        assert reconcile_pending_payments() == 0  # nothing left to settle
    finally:
        deaf.stop()


def test_reconciler_without_settings_does_nothing(app, make_order, monkeypatch):
    payment, _url = _start(make_order())
    _window_passed(payment)
    monkeypatch.setitem(app.config, "VNPAY_API_URL", "")
    assert reconcile_pending_payments() == 0
    _db.session.commit()
    assert _db.session.scalar(select(Payment.status).where(Payment.id == payment.id)) == PaymentStatus.PENDING
