"""E-invoices of paid orders (E-6.1; issue 13 §6): opened with the payment, issued once even when the provider was
down at payment time, a duplicate job issuing nothing more, the lookup code and PDF on the customer's ticket page,
a refund adjusting or cancelling it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import url_for
from sqlalchemy import func, select

from portal.core.actors import SystemActor
from portal.core.models import OutboxJob
from portal.core.states import transition
from portal.core.time import utcnow
from portal.gateways.einvoice import EinvoiceError
from portal.invoices import jobs
from portal.invoices.models import Invoice, InvoiceStatus
from portal.payments.models import REFUND_TRANSITIONS, Payment, PaymentStatus, RefundReason, RefundStatus
from portal.payments.refunds import open_refund

BANK = SystemActor("VNPay (kiểm thử)")


def _invoice(db, order) -> Invoice:
    db.session.commit()
    db.session.expire_all()
    return db.session.scalar(select(Invoice).where(Invoice.order_id == order.id))


def test_a_paid_order_gets_one_invoice_and_its_job(db, lan, paid_esim):
    order = paid_esim(lan)
    invoice = _invoice(db, order)
    assert invoice.status == InvoiceStatus.PENDING and invoice.idempotency_key == f"order-{order.id}"
    assert invoice.total == order.total
    jobs_queued = db.session.scalars(select(OutboxJob).where(OutboxJob.func.like("%issue_invoice"))).all()
    assert [j.args for j in jobs_queued] == [[order.id]]


def test_provider_down_at_payment_then_up_issues_once(db, lan, paid_esim, einvoice_box):
    order = paid_esim(lan)
    einvoice_box.down = True
    with pytest.raises(EinvoiceError):
        jobs.issue_invoice(order.id)
    invoice = _invoice(db, order)
    assert invoice.status == InvoiceStatus.PENDING and "503" in invoice.last_error
    einvoice_box.down = False
    assert jobs.issue_invoice(order.id) == "00000001"  # the retry, later
    invoice = _invoice(db, order)
    assert invoice.status == InvoiceStatus.ISSUED and invoice.lookup_code and invoice.pdf_url.endswith(".pdf")
    assert len(einvoice_box.all()) == 1


def test_a_duplicate_job_or_a_lost_answer_still_makes_one_invoice(db, lan, paid_esim, einvoice_box):
    order = paid_esim(lan)
    einvoice_box.faults = {"lost": 1}  # issued at the provider, the answer lost
    with pytest.raises(EinvoiceError):
        jobs.issue_invoice(order.id)
    assert jobs.issue_invoice(order.id) == "00000001"  # the retry finds it by its key
    assert jobs.issue_invoice(order.id) is None  # a duplicate job: nothing to do
    assert len(einvoice_box.all()) == 1
    assert db.session.scalar(select(func.count(Invoice.id)).where(Invoice.order_id == order.id)) == 1


def test_the_customer_sees_the_lookup_code_and_pdf_on_the_ticket_page(db, client, lan, login_customer, paid_esim,
                                                                      einvoice_box):
    order = paid_esim(lan)
    jobs.issue_invoice(order.id)
    invoice = _invoice(db, order)
    login_customer(lan)
    with client.application.test_request_context():
        path = url_for("orders.ticket", hold_code=order.ticket.hold_code)
    page = client.get(path).get_data(as_text=True)
    assert "Hóa đơn điện tử" in page and invoice.lookup_code in page and invoice.pdf_url in page


def _refund(db, order, amount: int):
    payment = Payment(txn_ref=f"T{order.id}{amount}", order_id=order.id, amount=amount, status=PaymentStatus.PAID,
                      expires_at=utcnow() + timedelta(minutes=15), paid_at=utcnow())
    db.session.add(payment)
    db.session.flush()
    refund = open_refund(payment, RefundReason.ORDER_CANCELLED, BANK)
    transition(refund, RefundStatus.SENDING, BANK, REFUND_TRANSITIONS)
    transition(refund, RefundStatus.DONE, BANK, REFUND_TRANSITIONS)
    db.session.commit()
    return refund


def test_a_partial_refund_adjusts_and_a_full_one_cancels(db, lan, paid_esim, einvoice_box):
    order = paid_esim(lan)
    jobs.issue_invoice(order.id)
    small = _refund(db, order, 25_000)
    queued = db.session.scalars(select(OutboxJob).where(OutboxJob.func.like("%adjust_invoice"))).all()
    assert [j.args for j in queued] == [[order.id, small.id]]
    assert jobs.adjust_invoice(order.id, small.id) == "adjusted"
    assert jobs.adjust_invoice(order.id, small.id) == "adjusted"  # twice: adjusted once (its key)
    invoice = _invoice(db, order)
    assert invoice.status == InvoiceStatus.ADJUSTED and invoice.total == order.total - 25_000
    rest = _refund(db, order, invoice.total)
    assert jobs.adjust_invoice(order.id, rest.id) == "cancelled"
    assert _invoice(db, order).status == InvoiceStatus.CANCELLED


def test_cash_on_delivery_is_invoiced_when_the_cash_is_collected__SHIP_20(db, lan, delivered_order, einvoice_box):
    order = delivered_order(lan)  # cash on delivery: paid by the courier's delivery (SHIP-20..23)
    assert jobs.issue_invoice(order.id) == "00000001"
    invoice = _invoice(db, order)
    assert invoice.status == InvoiceStatus.ISSUED and invoice.total == order.total


def test_an_unpaid_order_gets_no_invoice(db, lan, numbers, media_root):
    from portal.orders import services as orders
    from tests.dossiers.conftest import lan_form

    order, _ = orders.place_order(lan_form(number="0903686819"), lan, "web", "n-unpaid")  # COD, not yet paid
    assert _invoice(db, order) is None
