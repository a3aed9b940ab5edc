"""The hold code goes to the customer by e-mail when the order is placed (E-2.2)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.core.models import OutboxJob
from portal.notify.models import SentMessage, SentMessageStatus
from portal.orders import services as orders
from portal.orders.jobs import mail_order
from tests.customers.conftest import outbox  # noqa: F401  (fixture)

from .conftest import hold_form


def test_placing_an_order_queues_the_hold_code_mail__E_2_2(numbers, customer, db, outbox):  # noqa: F811
    order, _ = orders.place_order(hold_form(sim_type="esim", receive_method="email", payment_method="online"),
                                  customer, "web", "n")
    db.session.commit()
    job = db.session.scalar(select(OutboxJob).where(OutboxJob.func.like("%mail_order")))
    assert job.args == [order.id, "placed"]
    assert mail_order(order.id, "placed") is True
    mails = [m for m in outbox.messages("an@example.vn") if m["kind"] == "email"]
    assert mails and order.ticket.hold_code in mails[0]["subject"]
    assert "Vui lòng thanh toán" in mails[0]["body"]


def test_the_mail_links_the_ticket_on_the_public_origin(numbers, customer, db, outbox, app,  # noqa: F811
                                                        monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_ORIGIN", "https://chonso.example.vn/")
    order, _ = orders.place_order(hold_form(), customer, "web", "n")
    db.session.commit()
    assert mail_order(order.id, "placed") is True
    [mail] = [m for m in outbox.messages("an@example.vn") if m["kind"] == "email"]
    assert f"https://chonso.example.vn/chonso/phieu/{order.ticket.hold_code}" in mail["body"]
    assert orders.format_order_no(order.order_no) in mail["body"]


def test_no_email_no_mail(numbers, customer, db):
    order, _ = orders.place_order(hold_form(email=""), customer, "web", "n")
    db.session.commit()
    assert db.session.scalar(select(OutboxJob)) is None
    assert mail_order(order.id, "placed") is False


def test_the_order_mail_job_run_twice_sends_one_mail__E_2_2(numbers, customer, db, outbox):  # noqa: F811
    """RQ delivers at least once: a second run (a retry, a sweep that re-pushed it) finds the mail sent."""
    order, _ = orders.place_order(hold_form(), customer, "web", "n")
    db.session.commit()
    assert mail_order(order.id, "placed") is True
    assert mail_order(order.id, "placed") is True
    assert len([m for m in outbox.messages("an@example.vn") if m["kind"] == "email"]) == 1
    assert db.session.scalar(select(SentMessage.status).where(SentMessage.key == f"order:{order.id}:placed")) == \
        SentMessageStatus.SENT


def test_a_retry_after_a_failure_after_the_send_sends_no_second_mail(numbers, customer, db, outbox,  # noqa: F811
                                                                      monkeypatch):
    order, _ = orders.place_order(hold_form(), customer, "web", "n")
    db.session.commit()
    monkeypatch.setattr("portal.orders.jobs.log.info", lambda *a: (_ for _ in ()).throw(RuntimeError("after")))
    with pytest.raises(RuntimeError):
        mail_order(order.id, "placed")  # the mail left, then the job failed
    monkeypatch.undo()
    assert mail_order(order.id, "placed") is True  # RQ's retry
    assert len([m for m in outbox.messages("an@example.vn") if m["kind"] == "email"]) == 1


def _run_status_mails(db) -> list[list]:
    """Run the status-change e-mail jobs the moves queued (as the worker would), twice: RQ is at-least-once."""
    from portal.orders.jobs import mail_status_change

    jobs = db.session.scalars(select(OutboxJob).where(OutboxJob.func.like("%mail_status_change"))).all()
    for job in jobs:
        for _ in range(2):
            mail_status_change(*job.args)
    return [job.args for job in jobs]


def test_the_customer_is_told_of_each_move_once_by_email__SHIP_8_13_23(numbers, customer, db, outbox,  # noqa: F811
                                                                       make_staff):
    """Confirmed, handed to the courier, delivered: one e-mail each, whatever retries the jobs go through."""
    from datetime import timedelta

    from portal.core.actors import SystemActor
    from portal.core.roles import Role
    from portal.core.time import utcnow
    from portal.orders import lifecycle
    from portal.shipping import services as shipping
    from tests.shipping.conftest import make_iccid

    order, _ = orders.place_order(hold_form(), customer, "web", "n")
    db.session.commit()
    staff = make_staff(Role.SHIPPING, region=2)
    shipping.confirm_order(order, staff, "Kho SIM, 5 Phạm Hùng", utcnow() + timedelta(hours=3))
    db.session.commit()
    lifecycle.hand_over(order, staff, make_iccid())
    db.session.commit()
    lifecycle.deliver(order, SystemActor("GHN"), 545_000, "delivered")
    db.session.commit()
    told = _run_status_mails(db)
    assert [args[2] for args in told] == ["waiting_pickup", "delivering", "delivered"]
    subjects = [m["subject"] for m in outbox.messages("an@example.vn") if "Đơn hàng DH-" in m["subject"]]
    assert len(subjects) == 3  # one each, though every job ran twice
    assert any("Đang giao hàng" in s for s in subjects) and any("Đã giao" in s for s in subjects)


def test_a_cancellation_tells_the_customer_why__SHIP_11(numbers, customer, db, outbox):  # noqa: F811
    from portal.orders import lifecycle

    order, _ = orders.place_order(hold_form(), customer, "web", "n")
    db.session.commit()
    lifecycle.cancel(order, customer, "Khách đổi ý", by_customer=True)
    db.session.commit()
    _run_status_mails(db)
    [mail] = [m for m in outbox.messages("an@example.vn") if "Đã hủy" in m["subject"]]
    assert "Khách đổi ý" in mail["body"] and order.ticket.hold_code in mail["body"]


def test_the_hold_code_mail_is_sent_with_the_admins_text__E_2_2(numbers, customer, db, outbox):  # noqa: F811
    """An admin's text of "orders.placed" (/admin/messages) is what leaves, through the outbox sandbox."""
    from portal.messages.models import MessageOverride

    db.session.add(MessageOverride(
        template_id="orders.placed", subject="Chọn số: giữ số {{ numbers }}",
        body="Mã giữ số của bạn là {{ hold_code }}.{% if offer %} Ưu đãi: {{ offer }}{% endif %}"))
    order, _ = orders.place_order(hold_form(), customer, "web", "n")
    db.session.commit()
    assert mail_order(order.id, "placed") is True
    [mail] = [m for m in outbox.messages("an@example.vn") if m["kind"] == "email"]
    assert mail["subject"].startswith("Chọn số: giữ số 09")
    assert mail["body"].startswith(f"Mã giữ số của bạn là {order.ticket.hold_code}.")
