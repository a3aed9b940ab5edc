"""Every move of an order, named (SHIP-1..23, HOLD-12..14, E-2.2): the only code that changes ``Order.status``.

Shipping (the board, the store counter, the carrier's callbacks), payments (the bank's IPN) and the
eSIM e-mail call these; the rules they check are the ``Order`` properties (``customer_may_cancel``,
``needs_serial``, …). Each move goes through ``core.states.transition``, which publishes it: whatever
reacts — the board and the store screen, the carrier job, the customer's e-mail, refunds, audit —
listens (``portal.core.events``), so no move can be missed. Services never commit.
"""
from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from portal.core.actors import Actor
from portal.core.audit import audit, audit_now
from portal.core.digits import only_digits
from portal.core.errors import Conflict, Invalid, NotFound
from portal.core.states import record_change, transition
from portal.core.time import utcnow, vietnam_today
from portal.extensions import db
from portal.holds import services as holds
from portal.holds.models import HoldStatus, HoldTicket
from portal.numbers.formatting import format_vnd
from portal.orders.models import ORDER_TRANSITIONS, Order, OrderStatus, PaymentMethod
from portal.orders.sim import normalize_iccid

log = logging.getLogger(__name__)


def _move(order: Order, to: OrderStatus, actor: Actor | None, reason: str = "", **values: Any) -> None:
    transition(order, to, actor, ORDER_TRANSITIONS, reason, **values)


def _collect_by() -> datetime:
    return utcnow() + timedelta(days=current_app.config["STORE_COLLECT_DAYS"])


def _refuse_if_cancelled(order: Order) -> None:
    if order.is_cancelled:
        raise Conflict("order_cancelled", _("Đơn hàng đã bị hủy: %(r)s", r=order.cancel_reason or _("không rõ lý do")))


# --- opening and paying ------------------------------------------------------------------------------------------

def open_order(order: Order, actor: Actor | None, channel: str) -> None:
    """HOLD-12/13: a new order's first status. Online → awaiting payment; cash on delivery → the board (SHIP-2),
    or straight to the chosen store (SHIP-6), its hold kept for it without a clock."""
    if order.payment_method == PaymentMethod.ONLINE:
        order.status = OrderStatus.AWAITING_PAYMENT
    elif order.at_store:
        order.status, order.collect_by = OrderStatus.WAITING_PICKUP, _collect_by()
    else:
        order.status = OrderStatus.PENDING
    db.session.add(order)
    db.session.flush()
    if order.payment_method == PaymentMethod.COD:
        holds.reserve_for_order(order.ticket, actor)
    record_change(order, None, order.status, actor, channel)


def pay(order: Order, actor: Actor | None, at: datetime | None = None) -> None:
    """The order's money has arrived — the bank's IPN, or the cash at the door or the counter: the one way an
    order is paid. The hold is paid; an order awaiting payment joins the board, or its store (SHIP-2, SHIP-6)."""
    if order.ticket.status in (HoldStatus.ACTIVE, HoldStatus.RESERVED):
        holds.mark_paid(order.ticket, actor)
    paid_at = order.paid_at or at or utcnow()
    if order.awaits_payment:
        if order.at_store:
            _move(order, OrderStatus.WAITING_PICKUP, actor, _("Đã thanh toán, chuyển cửa hàng"), paid_at=paid_at,
                  collect_by=_collect_by())
        else:
            _move(order, OrderStatus.PENDING, actor, _("Đã thanh toán"), paid_at=paid_at)
    elif order.paid_at is None:
        order.paid_at = paid_at


# --- home delivery (SHIP-8..23) ------------------------------------------------------------------------------------

def confirm_for_pickup(order: Order, actor: Actor, pickup_address: str, pickup_at: datetime, carrier: str) -> None:
    """SHIP-8: staff set the pickup address and time → Chờ lấy hàng (the carrier gets the order, SHIP-8.2)."""
    _refuse_if_cancelled(order)
    if not order.awaits_confirmation:
        raise Conflict("not_home_delivery", _("Chỉ đơn giao tận nhà đang “Chờ xử lý” mới cần xác nhận lấy hàng."))
    _move(order, OrderStatus.WAITING_PICKUP, actor, _("Xác nhận lấy hàng"), pickup_address=pickup_address,
          pickup_at=pickup_at, carrier=carrier)


def hand_over(order: Order, actor: Actor, iccid: str) -> None:
    """SHIP-12..14: packed with the blank SIM, its serial recorded, handed to the courier → Đang giao hàng.
    When the courier's pick-up (or the delivery) was reported first, only the serial is still needed."""
    _refuse_if_cancelled(order)
    if not order.needs_serial:
        raise Conflict("not_waiting_pickup", _("Chỉ giao cho đơn vị vận chuyển đơn đang “Chờ lấy hàng”."))
    serial = normalize_iccid(iccid, order)
    if order.awaits_hand_over:
        _move(order, OrderStatus.DELIVERING, actor, _("Bàn giao cho đơn vị vận chuyển"), sim_serial=serial,
              handed_over_at=utcnow())
    else:
        order.sim_serial = serial
        audit("order.serial_recorded", order, actor=actor, detail={"order_no": order.order_no, "sim_serial": serial})


def picked_up(order: Order, actor: Actor, reason: str) -> None:
    """SHIP-13.2: the carrier reports that its courier took the parcel → Đang giao hàng (serial may follow)."""
    _move(order, OrderStatus.DELIVERING, actor, reason, handed_over_at=order.handed_over_at or utcnow())


def deliver(order: Order, actor: Actor, cash_reported: int | None, reason: str) -> None:
    """SHIP-19..23: the courier delivered; the cash reported is compared with what was due (flagged if not)."""
    reported = cash_reported or 0
    mismatch = reported != order.cash_expected
    if order.payment_method == PaymentMethod.COD:
        pay(order, actor)
    _move(order, OrderStatus.DELIVERED, actor, reason, delivered_at=utcnow(), cash_collected=reported,
          cod_date=vietnam_today(), cash_mismatch=mismatch)
    if mismatch:
        log.warning("order %s: cash %s reported, %s expected: flagged", order.order_no, reported, order.cash_expected)
        audit("order.cash_mismatch", order, actor=actor, detail={"reported": reported,
                                                                 "expected": order.cash_expected})


def refuse(order: Order, actor: Actor, reason: str) -> None:
    """SHIP-15..18: refused at the door (or undeliverable) and returned → Đã hủy with the reason."""
    _end(order, actor, reason or _("Khách từ chối nhận hàng"))


# --- store pickup (SHIP-6..7) ----------------------------------------------------------------------------------

def check_customer_id(order: Order, id_number: str) -> bool:
    """SHIP-7: the ID document shown at the store matches the one on the order."""
    digits = only_digits(id_number)
    return bool(digits) and secrets.compare_digest(digits.encode(), order.id_number.encode())


def _own_store(order: Order, clerk: Actor) -> None:
    store_id = getattr(clerk, "store_id", None)  # a store clerk's store; other actors have none
    if store_id is None or order.store_id != store_id:
        raise NotFound("order_not_found", _("Không tìm thấy đơn hàng."))


def collect_at_store(order: Order, clerk: Actor, id_number: str, iccid: str, cash_received: int | None) -> None:
    """SHIP-7: the clerk checks the ID, hands over the SIM (serial recorded) and takes any cash due."""
    _own_store(order, clerk)
    _refuse_if_cancelled(order)
    if not order.clerk_may_hand_over:
        raise Conflict("not_for_pickup", _("Đơn này không chờ nhận tại cửa hàng."))
    if not check_customer_id(order, id_number):
        audit_now("store.id_mismatch", order, actor=clerk, detail={"order_no": order.order_no})
        raise Invalid("id_mismatch", _("Số giấy tờ không khớp với đơn hàng: không giao SIM."))
    serial = normalize_iccid(iccid, order)
    expected = order.cash_expected
    if (cash_received or 0) != expected:
        raise Invalid("cash_mismatch", _("Số tiền thu phải đúng %(n)s.", n=format_vnd(expected)))
    if order.payment_method == PaymentMethod.COD:
        pay(order, clerk)
    now = utcnow()
    _move(order, OrderStatus.DELIVERED, clerk, _("Nhận tại cửa hàng"), sim_serial=serial, handed_over_at=now,
          delivered_at=now, carrier="store", cash_collected=expected if expected else None,
          cod_date=vietnam_today() if expected else None)


def not_collected(order: Order, clerk: Actor) -> None:
    """The customer did not come by the deadline: the order is cancelled and the number returns to the pool."""
    _own_store(order, clerk)
    _refuse_if_cancelled(order)
    if not order.clerk_may_record_no_show:
        raise Conflict("collect_deadline_not_passed",
                       _("Chưa hết hạn nhận SIM tại cửa hàng: chỉ ghi nhận khách không đến sau hạn."))
    _end(order, clerk, _("Khách không đến nhận SIM tại cửa hàng"))


# --- eSIM (HOLD-6, E-2.2) -------------------------------------------------------------------------------------

def deliver_by_email(order: Order) -> None:
    """A paid eSIM's hold code and instructions have left by e-mail → Đã giao."""
    _move(order, OrderStatus.DELIVERED, None, _("Đã gửi e-mail eSIM"), delivered_at=utcnow())


# --- ending -------------------------------------------------------------------------------------------------------

def cancel(order: Order, actor: Actor, reason: str, by_customer: bool = False) -> None:
    """SHIP-3, SHIP-10 → SHIP-11: cancelled before the parcel leaves; the number returns to the pool."""
    reason = " ".join((reason or "").split())[:300]
    if not reason:
        raise Invalid("reason_required", _("Vui lòng nhập lý do hủy."))
    _refuse_if_cancelled(order)
    if not (order.customer_may_cancel if by_customer else order.staff_may_cancel):
        raise Conflict("too_late_to_cancel", _("Đơn đã giao cho đơn vị vận chuyển hoặc đã hoàn tất: không thể hủy."))
    _end(order, actor, reason)


def expire(order: Order) -> None:
    """An unpaid order whose hold ran out (the hold has already expired and freed the number)."""
    _move(order, OrderStatus.CANCELLED, None, _("Hết hạn giữ số mà chưa thanh toán"), cancelled_at=utcnow(),
          cancel_reason=_("Hết hạn giữ số mà chưa thanh toán"))


def _end(order: Order, actor: Actor | None, reason: str) -> None:
    _move(order, OrderStatus.CANCELLED, actor, reason, cancel_reason=reason[:300], cancelled_at=utcnow())
    ticket = order.ticket
    if ticket.is_live:
        holds.cancel_hold(ticket, actor, f"{order.order_no}: {reason}"[:300], allow_paid=True)  # its refund follows
    elif ticket.status == HoldStatus.ACTIVE:  # unpaid and past its time: expire it now rather than at the sweep
        holds.release_expired([line.number_id for line in ticket.lines])


def order_for_ticket(ticket_id: int) -> Order | None:
    return db.session.scalar(select(Order).where(Order.ticket_id == ticket_id))


@holds.hold_expired.connect
def _expire_unpaid_order(ticket: HoldTicket, **_kw: Any) -> None:
    """An unpaid hold expired: its order awaiting payment ends with it (same transaction)."""
    order = order_for_ticket(ticket.id)
    if order is not None and order.awaits_payment:
        expire(order)


@holds.hold_cancelled.connect
def _cancel_order_of_hold(ticket: HoldTicket, actor: Actor | None = None, reason: str = "", **_kw: Any) -> None:
    """Staff or a channel cancelled the hold itself: its live order goes too."""
    order = order_for_ticket(ticket.id)
    if order is not None and OrderStatus.CANCELLED in ORDER_TRANSITIONS.get(order.status, ()):
        _move(order, OrderStatus.CANCELLED, actor, reason, cancelled_at=utcnow(), cancel_reason=reason[:300])
