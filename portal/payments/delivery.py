"""eSIM orders are delivered by e-mail (HOLD-6, E-2.2): the hold code and how to install the app.

Decision: a paid eSIM order moves to PENDING with the payment (it is then on
the board like any paid order, so a mail that never leaves is visible to
staff), and this job moves it to DELIVERED once the e-mail is accepted by the
mail gateway. The gateway is reached through the small ``Mailer`` seam below,
so that this domain does not build a mail system of its own: the customers
domain's ``portal.gateways.mail`` is plugged in by ``mailer()``.
"""
from __future__ import annotations

import logging
from typing import Protocol

from flask import current_app, render_template

from portal.core.jobs import job
from portal.core.states import transition
from portal.core.time import utcnow
from portal.extensions import db
from portal.holds.models import SimType
from portal.orders.models import ORDER_TRANSITIONS, Order, OrderStatus

log = logging.getLogger(__name__)


class Mailer(Protocol):
    def send(self, to: str, subject: str, text: str, idempotency_key: str) -> None:
        """Hand one plain-text e-mail to the mail gateway; raise if it was not accepted."""


class MailNotConfigured(RuntimeError):
    pass


def mailer() -> Mailer:
    """The configured mailer: a test or the app may set ``app.extensions['payments_mailer']``."""
    configured = current_app.extensions.get("payments_mailer")
    if configured is not None:
        return configured
    try:
        from portal.gateways import mail  # the customers domain's gateway, once merged
    except ImportError:
        raise MailNotConfigured("no mail gateway: portal.gateways.mail is missing") from None
    return mail.gateway()  # type: ignore[attr-defined, no-any-return]


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
    subject = f"Chọn số Online – mã giữ số eSIM cho đơn hàng {order.order_no}"
    text = render_template("payments/esim_email.txt", order=order, ticket=ticket)
    mailer().send(order.email, subject, text, idempotency_key=f"esim-order-{order.id}")
    transition(order, OrderStatus.DELIVERED, None, ORDER_TRANSITIONS, "đã gửi e-mail eSIM",
               delivered_at=utcnow())
    log.info("eSIM order %s delivered by e-mail", order.order_no)
