"""Finding orders and tickets, a customer's own only; the status timeline and notifications derived from it."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select

from portal.core.errors import NotFound
from portal.core.models import StatusChange
from portal.extensions import db
from portal.holds.models import HoldStatus, HoldTicket
from portal.holds.services import normalize_hold_code
from portal.orders.models import Order, OrderStatus
from portal.orders.services import normalize_order_no


def find_order(order_no: str) -> Order | None:
    """The order a customer quotes (case, spaces and dashes forgiven): for staff, payments and shipping."""
    return db.session.scalar(select(Order).where(Order.order_no == normalize_order_no(order_no)))


def customer_order(code: str, customer) -> Order:
    """A customer's own order by its ticket's hold code (or its order number); anyone else's is 'not found'."""
    order = db.session.scalar(select(Order).join(HoldTicket, HoldTicket.id == Order.ticket_id)
                              .where(or_(HoldTicket.hold_code == normalize_hold_code(code),
                                         Order.order_no == normalize_order_no(code))))
    if order is None or customer is None or order.customer_id != customer.id:
        raise NotFound("order_not_found", _("Không tìm thấy phiếu giữ số."))
    return order


def customer_orders(customer, limit: int = 100) -> list[Order]:
    """Phiếu của tôi: the customer's orders, newest first."""
    return list(db.session.scalars(select(Order).where(Order.customer_id == customer.id)
                                   .order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)))


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # "hold_ticket" or "customer_order"
    status: str
    label: str
    reason: str


def _label(kind: str, status: str, order: Order) -> str:
    try:
        return HoldStatus(status).label if kind == "hold_ticket" else order.label_of(OrderStatus(status))
    except ValueError:
        return status


def _changes(orders: list[Order]) -> list[StatusChange]:
    if not orders:
        return []
    keys = [(StatusChange.object_type == "customer_order") & (StatusChange.object_id.in_([str(o.id) for o in orders])),
            (StatusChange.object_type == "hold_ticket") & (StatusChange.object_id.in_(
                [str(o.ticket_id) for o in orders]))]
    return list(db.session.scalars(select(StatusChange).where(or_(*keys))
                                   .order_by(StatusChange.at, StatusChange.id)))


def timeline(order: Order) -> list[TimelineEntry]:
    """What happened to the ticket and its order, oldest first (the ticket page)."""
    return [TimelineEntry(c.at, c.object_type, c.to_status, _label(c.object_type, c.to_status, order), c.reason)
            for c in _changes([order])]


@dataclass(frozen=True)
class Notification:
    """One line of the customer's notifications: what moved, on which ticket, and where to read more."""

    at: datetime
    hold_code: str
    numbers: tuple[str, ...]
    label: str
    reason: str
    url: str


# Other domains' moves the customer hears about (the dossiers domain registers its own): customer → notifications.
NOTIFICATION_SOURCES: list[Callable[[Any], list[Notification]]] = []


def notification_source(fn: Callable[[Any], list[Notification]]) -> Callable[[Any], list[Notification]]:
    """Register ``fn(customer)`` as more of the customer's notifications (derived from the status history)."""
    NOTIFICATION_SOURCES.append(fn)
    return fn


def notifications(customer, limit: int = 50) -> list[Notification]:
    """The customer's notifications: every status change of their tickets and orders, newest first."""
    orders = customer_orders(customer)
    by_ticket = {str(o.ticket_id): o for o in orders}
    by_order = {str(o.id): o for o in orders}
    out = []
    for c in _changes(orders):
        order = by_order.get(c.object_id) if c.object_type == "customer_order" else by_ticket.get(c.object_id)
        if order is not None:
            code = order.ticket.hold_code
            out.append(Notification(c.at, code, tuple(order.ticket.numbers), _label(c.object_type, c.to_status, order),
                                    c.reason, url_for("orders.ticket", hold_code=code)))
    for source in NOTIFICATION_SOURCES:
        out.extend(source(customer))
    return sorted(out, key=lambda n: n.at, reverse=True)[:limit]
