"""E-mail about an order: the hold code when it is placed (E-2.2: the channel "sends it to the customer").

A paid eSIM's delivery e-mail belongs to the payments domain (portal.payments.delivery)."""
from __future__ import annotations

import logging

from flask_babel import gettext as _

from portal.core.jobs import job
from portal.core.links import external_url
from portal.extensions import db
from portal.notify.outbox import send_mail_once
from portal.numbers.formatting import format_number, format_vnd
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
    numbers = ", ".join(format_number(n) for n in order.ticket.numbers)
    subject = _("Mã giữ số %(c)s cho số %(n)s", c=order.ticket.hold_code, n=numbers)
    lead = _("Bạn đã giữ số thành công. Hãy giữ mã giữ số để kích hoạt thuê bao trên ứng dụng Chọn số.")
    if order.status.value == "awaiting_payment":
        lead += " " + _("Vui lòng thanh toán trước khi hết thời gian giữ số.")
    lines = [lead, "", _("Mã giữ số: %(c)s", c=order.ticket.hold_code),
             _("Mã đơn hàng: %(o)s", o=format_order_no(order.order_no)), _("Số thuê bao: %(n)s", n=numbers),
             _("Tổng tiền: %(t)s", t=format_vnd(order.total))]
    if order.offer_summary:
        lines.append(_("Ưu đãi: %(s)s", s=order.offer_summary))
    lines += ["", _ticket_url(order)]
    send_mail_once(f"order:{order.id}:{event}", order.email, subject, "\n".join(lines))
    log.info("order %s: mail %s sent", order.order_no, event)
    return True


# What the customer is told of each move (SHIP-6..23: confirmed, handed to the courier, delivered, refused at the
# door, cancelled); the same words are on the ticket page's history and the notifications page.
def _status_notice(order: Order, to_status: OrderStatus, reason: str) -> str | None:
    notices = {
        OrderStatus.WAITING_PICKUP: (_("SIM của bạn đã sẵn sàng tại %(s)s. Vui lòng mang theo giấy tờ tùy thân khi đến "
                                       "nhận.", s=order.store.name) if order.at_store and order.store else
                                     _("Đơn hàng đã được xác nhận; đơn vị vận chuyển sẽ đến lấy hàng.")),
        OrderStatus.DELIVERING: _("Đơn hàng đã được giao cho đơn vị vận chuyển và đang trên đường đến bạn."),
        OrderStatus.DELIVERED: (_("Bạn đã nhận SIM. Hãy kích hoạt thuê bao trên trang phiếu giữ số.")
                                if not order.by_email else None),  # an eSIM's own e-mail says it
        OrderStatus.CANCELLED: (_("Đơn hàng đã bị hủy: %(r)s", r=reason) if reason else _("Đơn hàng đã bị hủy.")),
    }
    return notices.get(to_status)


@job
def mail_status_change(order_id: int, change_id: int, to_status: str, reason: str = "") -> bool:
    """Tell the customer by e-mail that their order moved, once per move (the status change's id is the key)."""
    order = db.session.get(Order, order_id)
    if order is None or not order.email:
        return False
    status = OrderStatus(to_status)
    notice = _status_notice(order, status, reason)
    if notice is None:
        return False
    order_no = format_order_no(order.order_no)
    subject = _("Đơn hàng %(o)s: %(s)s", o=order_no, s=order.label_of(status))
    lines = [notice, "", _("Mã đơn hàng: %(o)s", o=order_no), _("Mã giữ số: %(c)s", c=order.ticket.hold_code),
             "", _ticket_url(order)]
    sent = send_mail_once(f"status_change:{change_id}", order.email, subject, "\n".join(lines))
    log.info("order %s: status %s told (change %s)", order.order_no, to_status, change_id)
    return sent is not None
