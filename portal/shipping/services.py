"""The shipping rules (SHIP-3..23, E-2.3): confirm, hand over, cancel, carrier callbacks, store hand-over.

Every move goes through ``portal.core.states.transition`` with the orders domain's one table
(``ORDER_TRANSITIONS``); the guards here say who may make it and with what. Services never commit:
the carrier job and the board's socket emit run after the caller's commit.
"""
from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from portal.core.audit import audit, audit_now
from portal.core.digits import ascii_digits, is_ascii_digits, only_digits
from portal.core.errors import Conflict, Invalid, NotFound
from portal.core.jobs import enqueue_after_commit
from portal.core.states import transition
from portal.core.time import utcnow, vietnam_today
from portal.extensions import db
from portal.gateways.ghn import CarrierCallback
from portal.holds import services as holds
from portal.holds.models import HoldStatus
from portal.numbers.formatting import format_vnd
from portal.orders.models import ORDER_TRANSITIONS, Order, OrderStatus, PaymentMethod, ReceiveMethod
from portal.orders.services import refund_due
from portal.shipping.models import CarrierEvent, EventOutcome
from portal.shipping.sockets import notify_board

log = logging.getLogger(__name__)
MAX_PICKUP_DAYS = 14
ICCID = re.compile(r"89[0-9]{17,18}")

# GHN webhook status → our board tab, in one table. None: an exception (lost, damaged) for a person to see.
CARRIER_STATUS_TAB: dict[str, OrderStatus | None] = {
    "ready_to_pick": OrderStatus.WAITING_PICKUP, "picking": OrderStatus.WAITING_PICKUP,
    "money_collect_picking": OrderStatus.WAITING_PICKUP,
    "picked": OrderStatus.DELIVERING, "storing": OrderStatus.DELIVERING, "transporting": OrderStatus.DELIVERING,
    "sorting": OrderStatus.DELIVERING, "delivering": OrderStatus.DELIVERING,
    "money_collect_delivering": OrderStatus.DELIVERING, "delivery_fail": OrderStatus.DELIVERING,  # retried
    "delivered": OrderStatus.DELIVERED,
    # SHIP-16..18: refused at the door (or undeliverable) → returned to us → cancelled with the reason.
    "waiting_to_return": OrderStatus.CANCELLED, "return": OrderStatus.CANCELLED,
    "return_transporting": OrderStatus.CANCELLED, "return_sorting": OrderStatus.CANCELLED,
    "returning": OrderStatus.CANCELLED, "return_fail": OrderStatus.CANCELLED, "returned": OrderStatus.CANCELLED,
    "cancel": OrderStatus.CANCELLED,
    "exception": None, "damage": None, "lost": None,
}
# How far along an order is: a callback never moves it backwards.
TAB_RANK = {OrderStatus.AWAITING_PAYMENT: 0, OrderStatus.PENDING: 0, OrderStatus.WAITING_PICKUP: 1,
            OrderStatus.DELIVERING: 2, OrderStatus.DELIVERED: 3, OrderStatus.CANCELLED: 3}


@dataclass(frozen=True)
class CarrierActor:
    """Who moved an order when the carrier's callback did (status history, audit)."""

    name: str
    id: None = None
    actor_kind: str = "system"

    @property
    def audit_name(self) -> str:
        return f"Đơn vị vận chuyển {self.name.upper()}"


def luhn_ok(digits: str) -> bool:
    if not is_ascii_digits(digits):  # int() reads any script's digits
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def normalize_iccid(text: str) -> str:
    """The blank SIM's serial (ICCID): 19–20 digits beginning 89, valid Luhn check digit."""
    digits = ascii_digits(text, drop=".-") or ""
    if not ICCID.fullmatch(digits) or not luhn_ok(digits):
        raise Invalid("bad_iccid",
                      _("Số serial SIM (ICCID) phải có 19–20 chữ số, bắt đầu bằng 89 và đúng số kiểm tra."))
    taken = db.session.scalar(select(Order.order_no).where(Order.sim_serial == digits))
    if taken:
        raise Conflict("iccid_in_use", _("Số serial SIM này đã được ghi cho đơn %(n)s.", n=taken))
    return digits


def _refuse_if_cancelled(order: Order) -> None:
    if order.status == OrderStatus.CANCELLED:
        raise Conflict("order_cancelled", _("Đơn hàng đã bị hủy: %(r)s", r=order.cancel_reason or _("không rõ lý do")))


def _move(order: Order, to: OrderStatus, actor, reason: str = "", **values) -> None:
    before = order.status
    transition(order, to, actor, ORDER_TRANSITIONS, reason, updated_at=utcnow(), **values)
    notify_board(order, before)


def confirm_order(order: Order, actor, pickup_address: str, pickup_at: datetime | None) -> None:
    """SHIP-8: staff enter the pickup address and time → Chờ lấy hàng; the carrier gets the order (SHIP-8.2)."""
    from portal.shipping.jobs import create_carrier_order

    _refuse_if_cancelled(order)
    if order.receive_method != ReceiveMethod.DELIVERY:
        raise Conflict("not_home_delivery", _("Chỉ đơn giao tận nhà mới cần xác nhận lấy hàng."))
    address = " ".join((pickup_address or "").split())
    if not 5 <= len(address) <= 300:
        raise Invalid("bad_pickup_address", _("Vui lòng nhập địa chỉ lấy hàng (5–300 ký tự)."))
    now = utcnow()
    if pickup_at is None or pickup_at <= now:
        raise Invalid("pickup_in_past", _("Thời gian lấy hàng phải ở tương lai."))
    if pickup_at > now + timedelta(days=MAX_PICKUP_DAYS):
        raise Invalid("pickup_too_far", _("Thời gian lấy hàng không quá %(d)d ngày tới.", d=MAX_PICKUP_DAYS))
    _move(order, OrderStatus.WAITING_PICKUP, actor, pickup_address=address, pickup_at=pickup_at, carrier="ghn")
    audit("order.confirm", order, actor=actor, detail={"order_no": order.order_no, "pickup_at": pickup_at.isoformat()})
    enqueue_after_commit(create_carrier_order, order.id)


def hand_over(order: Order, actor, iccid: str) -> None:
    """SHIP-12..14: packed with the blank SIM (its serial recorded) and handed to the courier → Đang giao hàng."""
    _refuse_if_cancelled(order)
    # The courier's "picked" may arrive before staff record the serial: then only the serial is missing.
    late_serial = order.status == OrderStatus.DELIVERING and order.sim_serial is None
    if order.receive_method != ReceiveMethod.DELIVERY or not (order.status == OrderStatus.WAITING_PICKUP
                                                                 or late_serial):
        raise Conflict("not_waiting_pickup", _("Chỉ giao cho đơn vị vận chuyển đơn đang “Chờ lấy hàng”."))
    serial = normalize_iccid(iccid)
    if late_serial:
        order.sim_serial = serial
    else:
        _move(order, OrderStatus.DELIVERING, actor, sim_serial=serial, handed_over_at=utcnow())
    audit("order.hand_over", order, actor=actor, detail={"order_no": order.order_no, "sim_serial": serial})


def cancel_order(order: Order, actor, reason: str, by_customer: bool = False) -> None:
    """SHIP-3, SHIP-10 → SHIP-11: cancelled before the parcel leaves; the number returns to the pool."""
    from portal.shipping.jobs import cancel_carrier_order

    reason = " ".join((reason or "").split())[:300]
    if not reason:
        raise Invalid("reason_required", _("Vui lòng nhập lý do hủy."))
    _refuse_if_cancelled(order)
    if not order.can_be_cancelled_by_customer:
        raise Conflict("too_late_to_cancel", _("Đơn đã giao cho đơn vị vận chuyển hoặc đã hoàn tất: không thể hủy."))
    _cancel(order, actor, reason)
    audit("order.cancel", order, actor=actor, detail={"order_no": order.order_no, "reason": reason,
                                                      "by": "customer" if by_customer else "staff"})
    if order.carrier_order_code:
        enqueue_after_commit(cancel_carrier_order, order.id)


def _cancel(order: Order, actor, reason: str) -> None:
    now = utcnow()
    _move(order, OrderStatus.CANCELLED, actor, reason, cancel_reason=reason, cancelled_at=now)
    _release_hold(order, actor, reason)
    if refund_due(order):  # the money came in online: a person refunds it (as for money that comes in too late)
        audit("payment.refund_needed", order, actor=actor,
              detail={"order_no": order.order_no, "amount": order.total, "why": "order cancelled after payment"})


def _release_hold(order: Order, actor, reason: str) -> None:
    """The number goes back to the pool (an unpaid hold past its time is expired instead)."""
    ticket = order.ticket
    if ticket.status == HoldStatus.PAID or (ticket.status == HoldStatus.ACTIVE and ticket.is_live):
        holds.cancel_hold(ticket, actor, f"{order.order_no}: {reason}"[:300], allow_paid=True)
    elif ticket.status == HoldStatus.ACTIVE:
        holds.release_expired([line.number_id for line in ticket.lines])


def _settle_hold(order: Order, actor) -> None:
    ticket = order.ticket
    if ticket.status == HoldStatus.ACTIVE and ticket.is_live:
        holds.mark_paid(ticket, actor)


def event_key(carrier: str, payload: dict) -> str:
    raw = "|".join([carrier, str(payload.get("OrderCode") or ""), str(payload.get("ClientOrderCode") or ""),
                    str(payload.get("Status") or ""), str(payload.get("Time") or "")])
    return hashlib.sha256(raw.encode()).hexdigest()


def _find_order(carrier_code: str, client_code: str) -> Order | None:
    order = None
    if carrier_code:
        order = db.session.scalar(select(Order).where(Order.carrier_order_code == carrier_code))
    if order is None and client_code:
        order = db.session.scalar(select(Order).where(Order.order_no == client_code))
    return order


def apply_carrier_status(callback: CarrierCallback | dict, carrier: str = "ghn") -> CarrierEvent:
    """SHIP-17, SHIP-22: a carrier status callback; duplicates and late arrivals change nothing (logged)."""
    payload = callback.payload if isinstance(callback, CarrierCallback) else callback
    status = str(payload.get("Status") or "").strip().lower()
    if status not in CARRIER_STATUS_TAB:
        raise Invalid("unknown_status", f"unknown carrier status {status[:30]!r}")
    carrier_code = str(payload.get("OrderCode") or "")[:40]
    client_code = str(payload.get("ClientOrderCode") or "")[:40]
    key = event_key(carrier, payload)
    if db.session.scalar(select(CarrierEvent.id).where(CarrierEvent.event_key == key)):
        log.info("carrier %s: duplicate %s for %s ignored", carrier, status, carrier_code)
        return CarrierEvent(status=status, outcome=EventOutcome.DUPLICATE, event_key=key)
    order = _find_order(carrier_code, client_code)
    if order is None:
        log.warning("carrier %s: %s for unknown order %s / %s", carrier, status, carrier_code, client_code)
        audit_now("carrier.unknown_order", detail={"carrier": carrier, "order_code": carrier_code,
                                                   "client_order_code": client_code, "status": status})
        raise NotFound("order_not_found", "unknown order")
    cod = payload.get("CODAmount")
    event = CarrierEvent(carrier=carrier, event_key=key, order_id=order.id, carrier_order_code=carrier_code,
                         client_order_code=client_code, status=status, reason=str(payload.get("Reason") or "")[:300],
                         cod_amount=int(cod) if isinstance(cod, int | float) else None,
                         event_time=str(payload.get("Time") or "")[:40], outcome=EventOutcome.RECORDED,
                         payload=payload)
    db.session.add(event)
    db.session.flush()  # the unique event key: a concurrent duplicate fails here, before anything moved
    if not order.carrier_order_code and carrier_code:
        order.carrier_order_code = carrier_code
    event.outcome = _apply(order, event, CarrierActor(carrier))
    if event.outcome in (EventOutcome.APPLIED, EventOutcome.RECORDED):
        order.carrier_status, order.carrier_status_at = status, utcnow()
    return event


def _apply(order: Order, event: CarrierEvent, actor: CarrierActor) -> EventOutcome:
    target = CARRIER_STATUS_TAB[event.status]
    current = order.status
    if target is None:
        log.warning("carrier: order %s reported %s: needs a person", order.order_no, event.status)
        audit("carrier.exception", order, actor=actor, detail={"status": event.status, "reason": event.reason})
        return EventOutcome.RECORDED
    if target == current:
        return EventOutcome.RECORDED
    if TAB_RANK[target] <= TAB_RANK[current] or target not in ORDER_TRANSITIONS.get(current, ()):
        log.info("carrier: late %s for order %s (now %s) changes nothing", event.status, order.order_no,
                 current.value)
        return EventOutcome.STALE
    if target == OrderStatus.DELIVERING:
        _move(order, target, actor, event.status, handed_over_at=order.handed_over_at or utcnow())
    elif target == OrderStatus.DELIVERED:
        _deliver(order, event, actor)
    else:
        _cancel(order, actor, event.reason or event.status)
    audit("order.carrier_status", order, actor=actor, detail={"status": event.status, "reason": event.reason})
    return EventOutcome.APPLIED


def _deliver(order: Order, event: CarrierEvent, actor: CarrierActor) -> None:
    """SHIP-19..23: delivered; the cash the courier reports is compared with what was due (flagged if not)."""
    now = utcnow()
    reported = event.cod_amount if event.cod_amount is not None else 0
    mismatch = reported != order.cash_expected
    _move(order, OrderStatus.DELIVERED, actor, event.status, delivered_at=now, cash_collected=reported,
          cod_date=vietnam_today(), cash_mismatch=mismatch,
          paid_at=order.paid_at or (now if order.payment_method == PaymentMethod.COD else None))
    _settle_hold(order, actor)
    if mismatch:
        log.warning("carrier: order %s cash %s, expected %s: flagged", order.order_no, reported, order.cash_expected)
        audit("order.cash_mismatch", order, actor=actor, detail={"reported": reported,
                                                                 "expected": order.cash_expected})


def check_customer_id(order: Order, id_number: str) -> bool:
    """SHIP-7: the ID document shown at the store matches the one on the order."""
    digits = only_digits(id_number)
    return bool(digits) and secrets.compare_digest(digits.encode(), order.id_number.encode())  # bytes: any text


def store_hand_over(order: Order, clerk, id_number: str, iccid: str, cash_received: int | None) -> None:
    """SHIP-6..7: the store clerk checks the ID, hands over the SIM (serial recorded), collects the cash."""
    if clerk.store_id is None or order.store_id != clerk.store_id:
        raise NotFound("order_not_found", _("Không tìm thấy đơn hàng."))
    _refuse_if_cancelled(order)
    if order.receive_method != ReceiveMethod.STORE or order.status not in (OrderStatus.PENDING,
                                                                          OrderStatus.WAITING_PICKUP):
        raise Conflict("not_for_pickup", _("Đơn này không chờ nhận tại cửa hàng."))
    if not check_customer_id(order, id_number):
        audit_now("store.id_mismatch", order, actor=clerk, detail={"order_no": order.order_no})
        raise Invalid("id_mismatch", _("Số giấy tờ không khớp với đơn hàng: không giao SIM."))
    serial = normalize_iccid(iccid)
    expected = order.cash_expected
    if (cash_received or 0) != expected:
        raise Invalid("cash_mismatch", _("Số tiền thu phải đúng %(n)s.", n=format_vnd(expected)))
    now = utcnow()
    _move(order, OrderStatus.DELIVERED, clerk, _("Nhận tại cửa hàng"), sim_serial=serial, handed_over_at=now,
          delivered_at=now, carrier="store", cash_collected=expected if expected else None,
          cod_date=vietnam_today() if expected else None,
          paid_at=order.paid_at or (now if order.payment_method == PaymentMethod.COD else None))
    _settle_hold(order, clerk)
    audit("order.store_hand_over", order, actor=clerk, detail={"order_no": order.order_no, "sim_serial": serial,
                                                               "cash": expected})


def resolve_cash_flag(order: Order, actor, note: str) -> None:
    """A supervisor has looked into a cash mismatch and closes the flag (with a note)."""
    note = " ".join((note or "").split())[:300]
    if not note:
        raise Invalid("note_required", _("Vui lòng ghi chú cách xử lý."))
    if not order.cash_mismatch:
        raise Conflict("not_flagged", _("Đơn này không bị gắn cờ lệch tiền."))
    order.cash_mismatch = False
    audit("order.cash_flag_resolved", order, actor=actor, detail={"note": note, "reported": order.cash_collected,
                                                                  "expected": order.cash_expected})
