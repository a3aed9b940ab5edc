"""E-mail about an order: the hold code when it is placed (E-2.2: the channel "sends it to the customer").

A paid eSIM's delivery e-mail belongs to the payments domain (portal.payments.delivery)."""
from __future__ import annotations

import logging

from portal.core.jobs import job
from portal.core.links import external_url
from portal.extensions import db
from portal.messages.registry import MessageTemplate
from portal.messages.rendering import render
from portal.notify.outbox import send_mail_once
from portal.numbers.formatting import format_number, format_vnd
from portal.orders import messages
from portal.orders.models import Order, OrderStatus
from portal.orders.services import format_order_no

log = logging.getLogger(__name__)


def _ticket_url(order: Order) -> str:
    """The ticket page's full address (an e-mail needs the site's origin)."""
    return external_url("orders.ticket", hold_code=order.ticket.hold_code)


@job
def mail_order(order_id: int, event: str = "placed") -> bool:
    """Send the customer the hold code of a new order (nothing without an e-mail address)."""
    order = db.session.get(Order, order_id)
    if order is None or not order.email or event != "placed":
        return False
    mail = render(messages.PLACED, hold_code=order.ticket.hold_code, order_no=format_order_no(order.order_no),
                  numbers=", ".join(format_number(n) for n in order.ticket.numbers), total=format_vnd(order.total),
                  offer=order.offer_summary or "", awaiting_payment=order.status.value == "awaiting_payment",
                  ticket_url=_ticket_url(order))
    send_mail_once(f"order:{order.id}:{event}", order.email, mail.subject, mail.body)
    log.info("order %s: mail %s sent", order.order_no, event)
    return True


def _status_mail(order: Order, to_status: OrderStatus) -> MessageTemplate | None:
    """What the customer is told of each move (SHIP-6..23: confirmed or ready at the store, handed to the courier,
    delivered, refused at the door, cancelled): the template of the move (portal.orders.messages)."""
    if to_status == OrderStatus.WAITING_PICKUP:
        return messages.READY_AT_STORE if order.at_store and order.store else messages.CONFIRMED
    if to_status == OrderStatus.DELIVERED and order.by_email:
        return None  # an eSIM's own e-mail says it
    return messages.BY_STATUS.get(to_status)


@job
def mail_status_change(order_id: int, change_id: int, to_status: str, reason: str = "") -> bool:
    """Tell the customer by e-mail that their order moved, once per move (the status change's id is the key)."""
    order = db.session.get(Order, order_id)
    if order is None or not order.email:
        return False
    status = OrderStatus(to_status)
    template = _status_mail(order, status)
    if template is None:
        return False
    values = {"order_no": format_order_no(order.order_no), "hold_code": order.ticket.hold_code,
              "status": order.label_of(status), "ticket_url": _ticket_url(order)}
    if template is messages.READY_AT_STORE:
        values["store"] = order.store.name if order.store else ""
    if template is messages.CANCELLED:
        values["reason"] = reason
    mail = render(template, **values)
    sent = send_mail_once(f"status_change:{change_id}", order.email, mail.subject, mail.body)
    log.info("order %s: status %s told (change %s)", order.order_no, to_status, change_id)
    return sent is not None
