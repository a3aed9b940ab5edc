"""Paying an order online (HOLD-12 → HOLD-14, E-2.2): start an attempt, settle it from VNPay's IPN.

The IPN is the source of truth; the return URL only displays. Settling is one
transaction of conditional UPDATEs (``portal.core.states.transition``): the
attempt moves out of ``pending`` first, so of five copies of one IPN arriving
at once exactly one pays the hold and moves the order; the others find the
attempt settled and answer ``02``.

A success whose order can no longer be paid (hold expired or cancelled, order
already paid by another attempt) is still recorded as money received, and its
refund is opened (``portal.payments.refunds``) for a supervisor to send.
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from datetime import timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from portal.core.audit import audit, audit_now
from portal.core.errors import Conflict, NotFound, PortalError
from portal.core.states import transition
from portal.core.time import utcnow
from portal.customers.models import Customer
from portal.extensions import db
from portal.gateways import vnpay
from portal.holds.models import HoldStatus
from portal.orders import lifecycle
from portal.orders.models import Order, OrderStatus, PaymentMethod
from portal.payments.models import PAYMENT_TRANSITIONS, Payment, PaymentStatus
from portal.payments.refunds import refund_unusable_payment

log = logging.getLogger(__name__)

# The hold must outlive the bank page: the customer needs time to pay and VNPay time to call back.
MIN_HOLD_LEFT = timedelta(minutes=2)

# (RspCode, Message) as VNPay's IPN guide spells them.
CONFIRMED = ("00", "Confirm Success")
ORDER_NOT_FOUND = ("01", "Order not found")
ALREADY_CONFIRMED = ("02", "Order already confirmed")
INVALID_AMOUNT = ("04", "Invalid amount")
INVALID_SIGNATURE = ("97", "Invalid signature")
UNKNOWN_ERROR = ("99", "Unknown error")

UNSUCCESSFUL_BY_CODE = {vnpay.CUSTOMER_CANCELLED: PaymentStatus.CANCELLED, vnpay.TIMED_OUT: PaymentStatus.EXPIRED}


class GatewayActor:
    """The bank, as the actor of status changes and audit rows written from its IPN."""

    id = None
    audit_name = "VNPay IPN"
    actor_kind = "system"


BANK = GatewayActor()


def new_txn_ref(order: Order) -> str:
    # Unique per attempt (VNPay refuses a TxnRef it has seen that day); the order number keeps it readable.
    return f"{order.order_no}-{secrets.token_hex(4).upper()}"


def order_info(order: Order) -> str:
    # VNPay asks for Vietnamese without diacritics and no special characters.
    return f"Thanh toan don hang {order.order_no}"


def can_pay(order: Order) -> bool:
    """Whether the customer may (still, or again) start a payment of this order."""
    ticket = order.ticket
    return (order.payment_method == PaymentMethod.ONLINE and order.status == OrderStatus.AWAITING_PAYMENT
            and ticket.status == HoldStatus.ACTIVE and ticket.expires_at - MIN_HOLD_LEFT > utcnow())


def last_payment(order: Order) -> Payment | None:
    return db.session.scalar(select(Payment).where(Payment.order_id == order.id)
                             .order_by(Payment.created_at.desc(), Payment.id.desc()).limit(1))


def start_payment(order: Order, customer: Customer, ip: str) -> str:
    """Open a payment attempt for the customer's order and return the bank's pay URL (HOLD-12)."""
    if order.customer_id is None or order.customer_id != getattr(customer, "id", None):
        raise NotFound("order_not_found", _("Không tìm thấy đơn hàng."))
    if order.payment_method != PaymentMethod.ONLINE:
        raise Conflict("not_online_payment", _("Đơn hàng này thanh toán khi nhận hàng."))
    if order.status != OrderStatus.AWAITING_PAYMENT:
        raise Conflict("order_not_awaiting_payment", _("Đơn hàng không còn chờ thanh toán."))
    if not can_pay(order):
        raise Conflict("hold_expired", _("Phiếu giữ số đã hết hạn, không thể thanh toán. Vui lòng giữ số lại."))
    config = current_app.config
    now = utcnow()
    payment = Payment(txn_ref=new_txn_ref(order), order_id=order.id, amount=order.total, client_ip=ip[:45],
                      created_at=now,
                      expires_at=min(now + timedelta(minutes=config["VNPAY_PAY_MINUTES"]),
                                     order.ticket.expires_at - MIN_HOLD_LEFT))
    db.session.add(payment)
    db.session.flush()
    return_url = config["VNPAY_RETURN_URL"] or url_for("payments.vnpay_return", _external=True)
    request = vnpay.PayRequest(txn_ref=payment.txn_ref, amount=payment.amount, order_info=order_info(order),
                               ip=ip, return_url=return_url, created_at=now, expires_at=payment.expires_at,
                               order_type=config["VNPAY_ORDER_TYPE"])
    try:
        url = vnpay.gateway().pay_url(request)
    except vnpay.GatewayNotConfigured:
        log.error("VNPay is not configured (VNPAY_TMN_CODE / VNPAY_HASH_SECRET): payment refused")
        raise PortalError("payment_unavailable", _("Thanh toán trực tuyến tạm thời không khả dụng."),
                          status=503) from None
    audit("payment.start", payment, actor=customer, detail={"order": order.order_no, "txn_ref": payment.txn_ref,
                                                            "amount": payment.amount})
    return url


def handle_ipn(params: Mapping[str, str]) -> tuple[str, str]:
    """Settle a payment attempt from VNPay's IPN; returns VNPay's (RspCode, Message). The caller commits on 00."""
    result = vnpay.gateway().verify(params)
    if result is None:
        log.warning("VNPay IPN with an invalid signature for txn %r", str(params.get("vnp_TxnRef", ""))[:40])
        return INVALID_SIGNATURE
    payment = db.session.scalar(select(Payment).where(Payment.txn_ref == result.txn_ref))
    if payment is None:
        return ORDER_NOT_FOUND
    if result.raw_amount != str(payment.amount * 100):
        # Written on its own: the caller rolls back everything but a 00.
        audit_now("payment.amount_mismatch", payment, actor=BANK,
                  detail={"txn_ref": payment.txn_ref, "expected": payment.amount * 100, "got": result.raw_amount[:20]})
        return INVALID_AMOUNT
    if payment.status != PaymentStatus.PENDING or not settle(payment, result):
        return ALREADY_CONFIRMED
    return CONFIRMED


def settle(payment: Payment, result: vnpay.CallbackResult) -> bool:
    """Settle a pending attempt with the bank's verified result; False if another caller settled it first."""
    to = PaymentStatus.PAID if result.succeeded else UNSUCCESSFUL_BY_CODE.get(result.response_code,
                                                                             PaymentStatus.FAILED)
    try:
        transition(payment, to, BANK, PAYMENT_TRANSITIONS, f"vnp_ResponseCode={result.response_code}",
                   response_code=result.response_code[:4], bank_code=result.bank_code[:20],
                   transaction_no=result.transaction_no[:40], settled_at=utcnow(),
                   paid_at=result.pay_date if result.succeeded else None)
    except Conflict:  # another copy of this IPN (or the reconciler) settled it a moment ago
        return False
    if result.succeeded:
        _pay_order(payment)
    return True


def _pay_order(payment: Payment) -> None:
    """The money is in: the order is paid (portal.orders.lifecycle; an eSIM's e-mail follows from that move)."""
    order = payment.order
    ticket = order.ticket
    if not order.awaits_payment or ticket.status != HoldStatus.ACTIVE or ticket.is_past_expiry:
        # Paid twice, or after the hold ended: keep the record of the money and ask a person to refund it.
        log.warning("payment %s received for order %s that can no longer be paid: refund needed",
                    payment.txn_ref, order.order_no)
        refund_unusable_payment(payment, actor=BANK)
        return
    lifecycle.pay(order, BANK, at=payment.paid_at)
