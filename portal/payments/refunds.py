"""Refunds (issue 10): money to give back is a record, opened by listening, sent once through VNPay.

A refund is opened, in the transaction of the decision that makes it due, for a paid attempt whose money
the portal cannot keep: an order paid online that moves to cancelled (a ``status_changed`` receiver for
``Order``, whoever cancels it), or money that arrives for an order that can no longer be paid
(``payments.services._pay_order``). One per payment (a unique key): a second cancellation, or a
listener and the IPN racing, open nothing more.

Supervisors of the order's region (head office: all) send it (``request_refund``: a conditional move
DUE/FAILED → SENDING, so of two clicks one wins) or close it by hand with a note. The bank is called
by the job ``portal.payments.refund_job.send_refund`` after the commit.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.core.access import in_region
from portal.core.actors import Actor, describe
from portal.core.audit import audit
from portal.core.errors import Invalid
from portal.core.events import StatusEvent, status_changed
from portal.core.jobs import enqueue_after_commit
from portal.core.states import record_change, transition
from portal.core.time import utcnow
from portal.extensions import db
from portal.orders.models import Order, OrderStatus
from portal.payments.models import REFUND_TRANSITIONS, Payment, PaymentStatus, Refund, RefundReason, RefundStatus
from portal.payments.refund_job import send_refund

WAITING = (RefundStatus.DUE, RefundStatus.FAILED)  # what waits for a person (the nav's badge)


@dataclass(frozen=True)
class EventActor:
    """Whoever made the move a listener reacts to, as the status event names them."""

    id: int | None
    audit_name: str
    actor_kind: str

    @classmethod
    def of(cls, event: StatusEvent) -> EventActor:
        return cls(event.actor_id, event.actor_name, event.actor_kind)


def open_refund(payment: Payment, reason: RefundReason, actor: Actor | None, detail: str = "") -> Refund | None:
    """Open the refund of a paid attempt; None if it has one already (one refund per payment)."""
    if payment.status != PaymentStatus.PAID:
        return None
    if db.session.scalar(select(Refund.id).where(Refund.payment_id == payment.id)) is not None:
        return None
    order = payment.order
    refund = Refund(payment_id=payment.id, order_id=order.id, region_id=order.region_id, amount=payment.amount,
                    reason=reason, detail=" ".join(detail.split())[:300], created_at=utcnow(),
                    created_by=describe(actor)[1][:80])
    try:
        with db.session.begin_nested():  # a concurrent transaction opening the same one: the unique key decides
            db.session.add(refund)
            db.session.flush()
    except IntegrityError:
        return None
    record_change(refund, None, RefundStatus.DUE, actor, reason.label)
    audit("refund.open", refund, actor=actor, detail={"order": order.order_no, "txn_ref": payment.txn_ref,
                                                      "amount": refund.amount, "reason": reason.value})
    return refund


def refund_unusable_payment(payment: Payment, actor: Actor | None) -> Refund | None:
    """Money arrived for an order that can no longer be paid (paid already, hold ended or cancelled): give it back."""
    order = payment.order
    reason = RefundReason.PAID_TWICE if order.paid_at is not None else RefundReason.LATE_PAYMENT
    return open_refund(payment, reason, actor)


@status_changed.connect_via(Order)
def _refund_cancelled_order(_sender: type, obj: Order, event: StatusEvent, **_kw: Any) -> None:
    """An order moved to cancelled: each paid online attempt without a refund gets one (same transaction)."""
    if event.to_status != OrderStatus.CANCELLED.value:
        return
    paid = db.session.scalars(select(Payment).where(Payment.order_id == obj.id, Payment.status == PaymentStatus.PAID)
                              .order_by(Payment.id)).all()
    for payment in paid:
        open_refund(payment, RefundReason.ORDER_CANCELLED, EventActor.of(event), detail=event.reason)


def new_request_id() -> str:
    # vnp_RequestId: Alphanumeric[1,32], unique at VNPay; one per attempt, so the job's reruns resend the same one.
    return secrets.token_hex(16)


def request_refund(refund: Refund, actor: Actor) -> None:
    """A supervisor's "Hoàn tiền" (or "Gửi lại"): the refund moves to sending once; the job calls the bank."""
    actor_id, actor_name, _kind = describe(actor)
    again = refund.status == RefundStatus.FAILED
    transition(refund, RefundStatus.SENDING, actor, REFUND_TRANSITIONS, _("Gửi lại") if again else _("Hoàn tiền"),
               attempts=refund.attempts + 1, request_id=new_request_id(), requested_by_id=actor_id,
               requested_by=actor_name[:80], requested_at=utcnow(), bank_call_at=None, response_code="",
               bank_message="", finished_at=None)
    enqueue_after_commit(send_refund, refund.id)


def close_refund(refund: Refund, actor: Actor, note: str) -> None:
    """Close a refund by hand (refunded outside the system, customer reached, …): the note says why."""
    note = " ".join((note or "").split())[:300]
    if not note:
        raise Invalid("note_required", _("Vui lòng ghi chú lý do đóng."))
    transition(refund, RefundStatus.CLOSED, actor, REFUND_TRANSITIONS, note, close_note=note, finished_at=utcnow())


def waiting_count() -> int:
    """Refunds due or failed that the signed-in staff member may act on (the nav's badge)."""
    if not current_user.is_authenticated:
        return 0
    stmt = select(func.count()).select_from(Refund).where(Refund.status.in_(WAITING))
    return db.session.scalar(in_region(stmt, Refund.region_id)) or 0
