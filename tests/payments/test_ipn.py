"""The IPN is the source of truth (HOLD-12, HOLD-14, E-2.2; checklist 20-22); the return URL only displays."""
from __future__ import annotations

import threading
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import func, select, update

from portal.core.errors import Conflict, NotFound
from portal.core.models import AuditEntry
from portal.core.time import utcnow
from portal.holds.models import HoldStatus, HoldTicket
from portal.orders.models import Order, OrderStatus
from portal.payments import services
from portal.payments.delivery import send_esim_email
from portal.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from tests.payments.conftest import SECRET, ipn_params

IPN = "/payments/vnpay/ipn"


def _start(order, ip="203.113.1.2") -> tuple[Payment, dict[str, str]]:
    url = services.start_payment(order, order_customer(order), ip)
    services.db.session.commit()
    params = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    return services.db.session.scalar(select(Payment).where(Payment.txn_ref == params["vnp_TxnRef"])), params


def order_customer(order):
    from portal.customers.models import Customer

    return services.db.session.get(Customer, order.customer_id)


def _reload(db, obj):
    db.session.commit()  # end the test's transaction: see what the requests committed
    return db.session.get(type(obj), obj.id)


def test_start_payment_builds_a_signed_pay_url_for_the_order_total__HOLD_12(make_order, db):
    order = make_order()
    payment, params = _start(order)
    assert payment.status == PaymentStatus.PENDING and payment.amount == order.total
    assert params["vnp_Amount"] == str(order.total * 100) and params["vnp_TxnRef"].startswith(order.order_no)
    assert params["vnp_ReturnUrl"].endswith("/payments/vnpay/return")
    from portal.gateways import vnpay

    assert vnpay.verify(params, SECRET)
    assert payment.expires_at <= order.ticket.expires_at - services.MIN_HOLD_LEFT


def test_valid_ipn_pays_the_attempt_the_hold_and_the_order__HOLD_14(client, make_order, db):
    order = make_order("physical")
    payment, _ = _start(order)
    answer = client.get(IPN, query_string=ipn_params(payment)).get_json()
    assert answer == {"RspCode": "00", "Message": "Confirm Success"}
    payment, order = _reload(db, payment), _reload(db, order)
    assert payment.status == PaymentStatus.PAID and payment.transaction_no == "14226112"
    assert payment.bank_code == "NCB" and payment.response_code == "00" and payment.paid_at is not None
    assert order.status == OrderStatus.PENDING and order.paid_at is not None  # on the shipping board
    assert order.ticket.status == HoldStatus.PAID


def test_bad_signature_or_no_hash_is_97_and_changes_nothing(client, make_order, db):
    order = make_order()
    payment, _ = _start(order)
    forged = ipn_params(payment, secret="not-our-secret")
    unsigned = {k: v for k, v in ipn_params(payment).items() if k != "vnp_SecureHash"}
    tampered = {**ipn_params(payment), "vnp_Amount": "100"}  # signed for the real amount, amount changed
    for params in (forged, unsigned, tampered):
        assert client.get(IPN, query_string=params).get_json()["RspCode"] == "97"
    assert _reload(db, payment).status == PaymentStatus.PENDING
    assert _reload(db, order).status == OrderStatus.AWAITING_PAYMENT


def test_no_secret_configured_refuses_every_ipn(client, make_order, db, app, monkeypatch):
    order = make_order()
    payment, _ = _start(order)
    params = ipn_params(payment)
    monkeypatch.setitem(app.config, "VNPAY_HASH_SECRET", "")
    assert client.get(IPN, query_string=params).get_json()["RspCode"] == "97"
    assert _reload(db, payment).status == PaymentStatus.PENDING


def test_signed_ipn_with_a_wrong_amount_is_04_and_the_order_stays_unpaid(client, make_order, db):
    order = make_order()
    payment, _ = _start(order)
    answer = client.get(IPN, query_string=ipn_params(payment, amount=order.total - 1000)).get_json()
    assert answer == {"RspCode": "04", "Message": "Invalid amount"}
    assert _reload(db, payment).status == PaymentStatus.PENDING
    order = _reload(db, order)
    assert order.status == OrderStatus.AWAITING_PAYMENT and order.paid_at is None
    assert order.ticket.status == HoldStatus.ACTIVE
    flagged = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "payment.amount_mismatch"))
    assert flagged.detail["got"] == str((order.total - 1000) * 100)


def test_unknown_transaction_is_01(client, make_order, db):
    payment, _ = _start(make_order())
    answer = client.get(IPN, query_string=ipn_params(payment, vnp_TxnRef="DH-UNKNOWN")).get_json()
    assert answer == {"RspCode": "01", "Message": "Order not found"}


def test_the_same_ipn_again_is_02(client, make_order, db):
    payment, _ = _start(make_order())
    params = ipn_params(payment)
    assert client.get(IPN, query_string=params).get_json()["RspCode"] == "00"
    assert client.get(IPN, query_string=params).get_json() == {"RspCode": "02",
                                                                "Message": "Order already confirmed"}


@pytest.mark.usefixtures("committed_db")
def test_five_identical_ipns_at_once_pay_once__checklist_22(app, make_order, db):
    """Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL."""
    order = make_order("esim")
    payment, _ = _start(order)
    params = ipn_params(payment)
    barrier = threading.Barrier(5)
    answers: list[str] = []

    def call():
        c = app.test_client()
        barrier.wait()
        answers.append(c.get(IPN, query_string=params).get_json()["RspCode"])

    threads = [threading.Thread(target=call) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(answers) == ["00", "02", "02", "02", "02"]
    db.session.commit()
    order = db.session.get(Order, order.id)
    assert order.status == OrderStatus.PENDING and order.ticket.status == HoldStatus.PAID
    paid_rows = db.session.scalar(select(func.count()).select_from(AuditEntry)
                                  .where(AuditEntry.action == "payment.paid"))
    hold_rows = db.session.scalar(select(func.count()).select_from(AuditEntry)
                                  .where(AuditEntry.action == "hold.paid"))
    assert paid_rows == 1 and hold_rows == 1
    from portal.core.models import OutboxJob

    jobs = sorted(f.rsplit(".", 1)[1] for f in db.session.scalars(select(OutboxJob.func)))
    assert jobs == ["issue_invoice", "send_esim_email"]  # one e-mail job, one e-invoice (issue 13)


def test_return_claiming_success_without_ipn_leaves_the_order_unpaid__checklist_22(client, make_order, db):
    order = make_order()
    payment, _ = _start(order)
    page = client.get("/payments/vnpay/return", query_string=ipn_params(payment))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Đang chờ ngân hàng xác nhận" in html and "Thanh toán thành công" not in html
    assert _reload(db, payment).status == PaymentStatus.PENDING
    assert _reload(db, order).status == OrderStatus.AWAITING_PAYMENT
    # After the IPN, the same return URL tells the truth.
    client.get(IPN, query_string=ipn_params(payment))
    assert "Thanh toán thành công" in client.get("/payments/vnpay/return",
                                                 query_string=ipn_params(payment)).get_data(as_text=True)


def test_return_with_a_bad_signature_is_refused(client, make_order, db):
    payment, _ = _start(make_order())
    page = client.get("/payments/vnpay/return", query_string=ipn_params(payment, secret="forged"))
    assert page.status_code == 400


@pytest.mark.parametrize(("code", "status"), [("24", PaymentStatus.CANCELLED), ("51", PaymentStatus.FAILED),
                                              ("11", PaymentStatus.EXPIRED)])
def test_failure_then_retry_then_success__HOLD_12(client, make_order, db, code, status):
    order = make_order()
    first, _ = _start(order)
    assert client.get(IPN, query_string=ipn_params(first, code=code)).get_json()["RspCode"] == "00"
    assert _reload(db, first).status == status and _reload(db, first).response_code == code
    order = _reload(db, order)
    assert order.status == OrderStatus.AWAITING_PAYMENT and order.ticket.status == HoldStatus.ACTIVE
    html = client.get("/payments/vnpay/return", query_string=ipn_params(first, code=code)).get_data(as_text=True)
    assert "Thanh toán qua VNPay" in html and "thanh toán lại" in html  # the retry button
    second, _ = _start(order)
    assert second.txn_ref != first.txn_ref
    assert client.get(IPN, query_string=ipn_params(second)).get_json()["RspCode"] == "00"
    assert _reload(db, order).status == OrderStatus.PENDING
    # The failed attempt's IPN again changes nothing.
    assert client.get(IPN, query_string=ipn_params(first, code=code)).get_json()["RspCode"] == "02"


def _expire_hold(db, order) -> None:
    db.session.execute(update(HoldTicket).where(HoldTicket.id == order.ticket_id)
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def test_retry_after_the_hold_expired_is_refused(make_order, db):
    order = make_order()
    _expire_hold(db, order)
    with pytest.raises(Conflict) as err:
        _start(_reload(db, order))
    assert err.value.code == "hold_expired"


def test_only_the_owner_may_pay_and_only_while_awaiting_payment(make_order, make_customer, db):
    order = make_order()
    with pytest.raises(NotFound):
        services.start_payment(order, make_customer(), "1.2.3.4")
    db.session.rollback()
    payment, _ = _start(order)
    services.handle_ipn(ipn_params(payment))
    db.session.commit()
    with pytest.raises(Conflict) as err:
        _start(_reload(db, order))
    assert err.value.code == "order_not_awaiting_payment"


def test_success_after_the_hold_expired_is_kept_and_its_refund_opened(client, make_order, db):
    order = make_order()
    payment, _ = _start(order)
    _expire_hold(db, order)
    assert client.get(IPN, query_string=ipn_params(payment)).get_json()["RspCode"] == "00"
    assert _reload(db, payment).status == PaymentStatus.PAID
    assert _reload(db, order).status == OrderStatus.AWAITING_PAYMENT
    refund = db.session.scalar(select(Refund).where(Refund.payment_id == payment.id))
    assert refund.status == RefundStatus.DUE and refund.amount == payment.amount


def test_customer_cancelling_an_order_paid_online_opens_the_refund(client, make_order, db):
    from portal.orders.lifecycle import cancel

    order = make_order()
    payment, _ = _start(order)
    assert client.get(IPN, query_string=ipn_params(payment)).get_json()["RspCode"] == "00"
    order = _reload(db, order)
    assert order.status == OrderStatus.PENDING and order.paid_at is not None
    cancel(order, order_customer(order), "Khách hàng hủy", by_customer=True)
    db.session.commit()
    refund = db.session.scalar(select(Refund).where(Refund.order_id == order.id))
    assert refund.status == RefundStatus.DUE and refund.amount == order.total and refund.payment_id == payment.id


def test_paid_esim_order_is_delivered_by_email__HOLD_6(client, make_order, db, mailbox):
    """E-2.2: payment collected online, the hold code sent to the customer."""
    order = make_order("esim")
    payment, _ = _start(order)
    client.get(IPN, query_string=ipn_params(payment))
    order = _reload(db, order)
    assert order.status == OrderStatus.PENDING
    send_esim_email(order.id)
    order = _reload(db, order)
    assert order.status == OrderStatus.DELIVERED and order.delivered_at is not None
    [mail] = mailbox.sent
    assert mail["to"] == "an@example.vn" and order.ticket.hold_code in mail["text"]
    assert "Kích hoạt eSIM" in mail["text"]
    send_esim_email(order.id)  # run twice (RQ is at least once): no second e-mail
    assert len(mailbox.sent) == 1
