"""The store pickup screen (SHIP-6..7): a clerk's own store's orders only; hand the SIM over; print the slip.

Admins may open the routes (every staff route admits them) but, having no store, see no order.
"""
from __future__ import annotations

import re

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from portal.core.access import allow
from portal.core.audit import audit_now
from portal.core.digits import normalize
from portal.core.roles import Role
from portal.extensions import db
from portal.holds.models import HoldTicket
from portal.holds.services import normalize_hold_code
from portal.orders.models import Order, OrderStatus, ReceiveMethod
from portal.shipping import services, store_bp
from portal.shipping.forms import StoreHandOverForm
from portal.shipping.views import run_action

WAITING = (OrderStatus.PENDING, OrderStatus.WAITING_PICKUP)


def store_order_or_404(order_id: int) -> Order:
    """An order of the clerk's own store; any other store's is a 404 with an audit row (checklist 11)."""
    order = db.session.get(Order, order_id)
    if order is None:
        abort(404)
    if current_user.store_id is None or order.store_id != current_user.store_id \
            or order.receive_method != ReceiveMethod.STORE:
        audit_now("access.denied_store", order, detail={"path": request.path})
        abort(404)
    return order


@store_bp.get("/")
@allow(Role.CLERK, Role.ADMIN)
def index():
    q = (request.args.get("q") or "").strip()[:40]
    show = request.args.get("show") or "waiting"
    stmt = select(Order).where(Order.store_id == current_user.store_id,
                               Order.receive_method == ReceiveMethod.STORE)
    stmt = stmt.where(Order.status.in_(WAITING) if show != "done" else Order.status == OrderStatus.DELIVERED)
    if q:
        q = normalize(q)  # full-width digits and letters: ASCII (portal.core.digits)
        digits = re.sub(r"[\s.\-]", "", q)
        stmt = stmt.where(or_(Order.contact_phone == digits, Order.order_no == q.upper(),
                              Order.ticket_id.in_(select(HoldTicket.id).where(
                                  HoldTicket.hold_code == normalize_hold_code(q)))))
    orders = db.session.scalars(stmt.order_by(Order.created_at.desc()).limit(100)).all() \
        if current_user.store_id else []
    return render_template("store/index.html", orders=orders, q=q, show=show)


def _render(order: Order, form: StoreHandOverForm, status: int = 200):
    return render_template("store/detail.html", order=order, form=form), status


@store_bp.get("/orders/<int:order_id>")
@allow(Role.CLERK, Role.ADMIN)
def detail(order_id: int):
    order = store_order_or_404(order_id)
    audit_now("order.view", order)
    return _render(order, StoreHandOverForm(formdata=None, cash_received=order.cash_expected or None))


@store_bp.post("/orders/<int:order_id>/hand-over")
@allow(Role.CLERK, Role.ADMIN)
def hand_over(order_id: int):
    order = store_order_or_404(order_id)
    form = StoreHandOverForm()
    result = run_action(
        form, lambda: services.store_hand_over(order, current_user, form.id_number.data, form.iccid.data,
                                               form.cash_received.data),
        _("Đã giao SIM cho khách. In phiếu bàn giao để khách ký."), lambda: _render(order, form, 422))
    return result or redirect(url_for("shipping.store.detail", order_id=order_id))


@store_bp.get("/orders/<int:order_id>/slip")
@allow(Role.CLERK, Role.ADMIN)
def slip(order_id: int):
    """The printable hand-over slip (phiếu bàn giao SIM) the customer signs."""
    order = store_order_or_404(order_id)
    if order.status != OrderStatus.DELIVERED:
        abort(404)
    return render_template("store/slip.html", order=order)
