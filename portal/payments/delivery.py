"""eSIM orders are delivered by e-mail (HOLD-6, E-2.2): the hold code and how to install the app.

Decision: a paid eSIM order moves to PENDING with the payment (it is then on
the board like any paid order, so a mail that never leaves is visible to
staff), and this job moves it to DELIVERED once the e-mail is accepted by the
mail gateway (``portal.gateways.mail``; the outbox sandbox in development).
"""
from __future__ import annotations

import logging

from portal.core.jobs import job
from portal.extensions import db
from portal.holds.models import SimType
from portal.messages.rendering import render
from portal.notify.outbox import send_mail_once
from portal.numbers.formatting import format_number, format_vnd
from portal.orders import lifecycle
from portal.orders.models import Order, OrderStatus
from portal.orders.services import format_order_no
from portal.payments.messages import ESIM_DELIVERY

log = logging.getLogger(__name__)


@job
def send_esim_email(order_id: int) -> None:
    """E-mail a paid eSIM order's hold code and app instructions, then mark the order delivered."""
    order = db.session.get(Order, order_id)
    if order is None or order.sim_type != SimType.ESIM or order.status != OrderStatus.PENDING:
        return  # delivered already, cancelled, or not an eSIM: nothing to do (RQ delivers at least once)
    if not order.email:
        log.warning("eSIM order %s has no e-mail address; left pending for staff", order.order_no)
        return
    ticket = order.ticket
    mail = render(ESIM_DELIVERY, full_name=order.full_name, order_no=format_order_no(order.order_no),
                  hold_code=ticket.hold_code, numbers=", ".join(format_number(n) for n in ticket.numbers),
                  total=format_vnd(order.total))  # the admins' text, if any (/admin/messages)
    # Sent before the order moves, once per order: a rerun after a failed commit finds it sent and only moves it.
    send_mail_once(f"order:{order.id}:esim", order.email, mail.subject, mail.body)
    lifecycle.deliver_by_email(order)
    log.info("eSIM order %s delivered by e-mail", order.order_no)
