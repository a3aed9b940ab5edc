"""The eSIM e-mail leaves once (HOLD-6, E-2.2), even when its job is retried after the send."""
from __future__ import annotations

import pytest

from portal.orders.models import OrderStatus
from portal.payments.delivery import send_esim_email
from tests.customers.conftest import outbox  # noqa: F401  (fixture: the SMS/e-mail sandbox)
from tests.payments.conftest import ipn_params
from tests.payments.test_ipn import IPN, _reload, _start


def _esim_mails(box) -> list[dict]:
    return [m for m in box.messages("an@example.vn") if m["kind"] == "email" and "eSIM" in m["subject"]]


def test_a_retry_after_a_failure_after_the_send_sends_no_second_esim_mail__HOLD_6(client, make_order, db,
                                                                                  outbox, monkeypatch):  # noqa: F811
    order = make_order("esim")
    payment, _ = _start(order)
    client.get(IPN, query_string=ipn_params(payment))
    order = _reload(db, order)
    assert order.status == OrderStatus.PENDING

    def broken(*args, **kwargs):
        raise RuntimeError("database went away after the send")

    monkeypatch.setattr("portal.orders.lifecycle.deliver_by_email", broken)
    with pytest.raises(RuntimeError):
        send_esim_email(order.id)
    assert _reload(db, order).status == OrderStatus.PENDING and len(_esim_mails(outbox)) == 1
    monkeypatch.undo()
    send_esim_email(order.id)  # RQ's retry: the order moves, no second e-mail
    send_esim_email(order.id)  # and once more, for good measure
    assert _reload(db, order).status == OrderStatus.DELIVERED
    [mail] = _esim_mails(outbox)
    assert order.ticket.hold_code in mail["body"]
