"""Shipping's own rules (SHIP-8, SHIP-13.2..22, E-2.3): the pickup to confirm, the carrier's callbacks.

Shipping never moves an order itself: it checks what is its own to check (a pickup address and time,
what a carrier status means) and calls the order's named moves (``portal.orders.lifecycle``). The carrier
job and the board's live update listen to those moves (``portal.shipping.listeners``).
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from flask_babel import gettext as _
from sqlalchemy import select

from portal.core.actors import Actor
from portal.core.audit import audit, audit_now
from portal.core.errors import Conflict, Invalid, NotFound
from portal.core.time import utcnow
from portal.extensions import db
from portal.gateways.ghn import CarrierCallback
from portal.orders import lifecycle
from portal.orders.models import Order, OrderStatus
from portal.shipping.models import CarrierEvent, EventOutcome

log = logging.getLogger(__name__)
MAX_PICKUP_DAYS = 14


class CarrierMove(Enum):
    """What a carrier status means for the order; each applies only from the statuses listed in ``FROM``."""

    PICKING = "picking"  # the courier is on the way to pick up: noted only (late once the parcel has left)
    PICKED_UP = "picked_up"  # the courier has the parcel (SHIP-13.2)
    DELIVERED = "delivered"  # SHIP-21..22
    RETURNED = "returned"  # refused at the door or undeliverable, coming back (SHIP-16..17)
    NEEDS_PERSON = "needs_person"  # lost, damaged, an exception, the carrier cancelling on its own


# GHN webhook status → its meaning, in one table. A status not listed is refused (400).
CARRIER_STATUS: dict[str, CarrierMove] = {
    "ready_to_pick": CarrierMove.PICKING, "picking": CarrierMove.PICKING,
    "money_collect_picking": CarrierMove.PICKING,
    "picked": CarrierMove.PICKED_UP, "storing": CarrierMove.PICKED_UP, "transporting": CarrierMove.PICKED_UP,
    "sorting": CarrierMove.PICKED_UP, "delivering": CarrierMove.PICKED_UP,
    "money_collect_delivering": CarrierMove.PICKED_UP, "delivery_fail": CarrierMove.PICKED_UP,  # retried
    "delivered": CarrierMove.DELIVERED,
    "waiting_to_return": CarrierMove.RETURNED, "return": CarrierMove.RETURNED,
    "return_transporting": CarrierMove.RETURNED, "return_sorting": CarrierMove.RETURNED,
    "returning": CarrierMove.RETURNED, "return_fail": CarrierMove.RETURNED, "returned": CarrierMove.RETURNED,
    "cancel": CarrierMove.NEEDS_PERSON,  # our own cancellation confirmed (noted once cancelled), else a person looks
    "exception": CarrierMove.NEEDS_PERSON, "damage": CarrierMove.NEEDS_PERSON, "lost": CarrierMove.NEEDS_PERSON,
}
# From which order statuses each meaning moves the order; where it is already (or past) is a late arrival.
APPLIES_FROM = {
    CarrierMove.PICKED_UP: {OrderStatus.WAITING_PICKUP},
    CarrierMove.DELIVERED: {OrderStatus.DELIVERING},  # never skipping the hand-over and the serial
    CarrierMove.RETURNED: {OrderStatus.DELIVERING},
}
ALREADY = {
    CarrierMove.PICKING: {OrderStatus.DELIVERING, OrderStatus.DELIVERED, OrderStatus.CANCELLED},
    CarrierMove.PICKED_UP: {OrderStatus.DELIVERING, OrderStatus.DELIVERED, OrderStatus.CANCELLED},
    CarrierMove.DELIVERED: {OrderStatus.DELIVERED},
    CarrierMove.RETURNED: {OrderStatus.CANCELLED},
}


@dataclass(frozen=True)
class CarrierActor:
    """Who moved an order when the carrier's callback did (status history, audit)."""

    name: str
    id: None = None
    actor_kind: str = "system"

    @property
    def audit_name(self) -> str:
        return f"Đơn vị vận chuyển {self.name.upper()}"


def confirm_order(order: Order, actor: Actor, pickup_address: str, pickup_at: datetime | None) -> None:
    """SHIP-8: staff enter the pickup address and a time within two weeks; the order is confirmed for pickup."""
    address = " ".join((pickup_address or "").split())
    if not 5 <= len(address) <= 300:
        raise Invalid("bad_pickup_address", _("Vui lòng nhập địa chỉ lấy hàng (5–300 ký tự)."))
    now = utcnow()
    if pickup_at is None or pickup_at <= now:
        raise Invalid("pickup_in_past", _("Thời gian lấy hàng phải ở tương lai."))
    if pickup_at > now + timedelta(days=MAX_PICKUP_DAYS):
        raise Invalid("pickup_too_far", _("Thời gian lấy hàng không quá %(d)d ngày tới.", d=MAX_PICKUP_DAYS))
    lifecycle.confirm_for_pickup(order, actor, address, pickup_at, carrier="ghn")


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
    """SHIP-17, SHIP-22: a carrier status callback (verified and validated by the gateway); duplicates and late
    arrivals change nothing (logged)."""
    payload = callback.payload if isinstance(callback, CarrierCallback) else callback
    status = str(payload.get("Status") or "").strip().lower()
    if status not in CARRIER_STATUS:
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
    """Map the carrier's status onto one named move of the order, or note it, or hand it to a person."""
    meaning = CARRIER_STATUS[event.status]
    if meaning == CarrierMove.NEEDS_PERSON:
        if event.status == "cancel" and order.is_cancelled:
            return EventOutcome.RECORDED  # the carrier confirms our own cancellation
        return _needs_person(order, event, actor)
    if order.status in ALREADY[meaning]:
        if meaning == CarrierMove.PICKED_UP and order.status == OrderStatus.DELIVERING:
            return EventOutcome.RECORDED  # still on its way
        log.info("carrier: late %s for order %s (now %s) changes nothing", event.status, order.order_no,
                 order.status.value)
        return EventOutcome.STALE
    if meaning == CarrierMove.PICKING:
        return EventOutcome.RECORDED  # never a move: a "picking" for an order still pending cancels nothing
    if order.status not in APPLIES_FROM[meaning]:
        return _needs_person(order, event, actor)  # e.g. "delivered" for an order never handed over
    if meaning == CarrierMove.PICKED_UP:
        lifecycle.picked_up(order, actor, event.status)
    elif meaning == CarrierMove.DELIVERED:
        lifecycle.deliver(order, actor, event.cod_amount, event.status)
    else:
        lifecycle.refuse(order, actor, event.reason or event.status)
    return EventOutcome.APPLIED


def _needs_person(order: Order, event: CarrierEvent, actor: CarrierActor) -> EventOutcome:
    """A status that fits no move from where the order is: recorded and shown to shipping staff, never a move."""
    note = f"{event.status}" + (f": {event.reason}" if event.reason else "")
    log.warning("carrier: order %s (%s) reported %s: needs a person", order.order_no, order.status.value, event.status)
    order.carrier_attention = note[:300]
    audit("carrier.needs_person", order, actor=actor, detail={"status": event.status, "reason": event.reason,
                                                              "order_status": order.status.value})
    return EventOutcome.NEEDS_PERSON


def resolve_cash_flag(order: Order, actor: Actor, note: str) -> None:
    """A supervisor has looked into a cash mismatch and closes the flag (with a note)."""
    note = " ".join((note or "").split())[:300]
    if not note:
        raise Invalid("note_required", _("Vui lòng ghi chú cách xử lý."))
    if not order.cash_mismatch:
        raise Conflict("not_flagged", _("Đơn này không bị gắn cờ lệch tiền."))
    order.cash_mismatch = False
    audit("order.cash_flag_resolved", order, actor=actor, detail={"note": note, "reported": order.cash_collected,
                                                                  "expected": order.cash_expected})


def resolve_carrier_attention(order: Order, actor: Actor, note: str) -> None:
    """Shipping staff have dealt with a carrier status that fitted no move (with a note)."""
    note = " ".join((note or "").split())[:300]
    if not note:
        raise Invalid("note_required", _("Vui lòng ghi chú cách xử lý."))
    if not order.carrier_attention:
        raise Conflict("not_flagged", _("Đơn này không có thông báo cần xử lý từ đơn vị vận chuyển."))
    audit("order.carrier_attention_resolved", order, actor=actor, detail={"note": note,
                                                                          "status": order.carrier_attention})
    order.carrier_attention = ""
