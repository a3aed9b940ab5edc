"""The store pickup screen (SHIP-6..7): a clerk's own store's orders only; hand the SIM over; print the slip.

Admins may open the routes (every staff route admits them) but, having no store, see no order.
"""
from __future__ import annotations

import re

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from portal.core.access import allow
from portal.core.audit import audit_now
from portal.core.digits import normalize
from portal.core.roles import Role
from portal.extensions import db
from portal.holds.models import HoldTicket
from portal.holds.services import normalize_hold_code
from portal.orders import lifecycle
from portal.orders.models import Order, OrderStatus
from portal.shipping import store_bp
from portal.shipping.forms import NoShowForm, StoreHandOverForm
from portal.shipping.views import run_action


def store_order_or_404(order_id: int) -> Order:
    """An order of the clerk's own store; any other store's is a 404 with an audit row (checklist 11)."""
    order = db.session.get(Order, order_id)
    if order is None:
        abort(404)
    if current_user.store_id is None or order.store_id != current_user.store_id or not order.at_store:
        audit_now("access.denied_store", order, detail={"path": request.path})
        abort(404)
    return order


def waiting_count(store_id: int | None) -> int:
    """SHIP-6: orders at the store waiting for their customer (the count beside the menu entry)."""
    if not store_id:
        return 0
    return db.session.scalar(select(func.count()).select_from(Order).where(
        Order.store_id == store_id, Order.status == OrderStatus.WAITING_PICKUP)) or 0


def _store_orders(show: str, q: str) -> list[Order]:
    """The clerk's store's orders: waiting for their customer (SHIP-6), or handed over."""
    if not current_user.store_id:
        return []
    stmt = select(Order).where(Order.store_id == current_user.store_id, Order.receive_method == "store")
    stmt = stmt.where(Order.status == (OrderStatus.DELIVERED if show == "done" else OrderStatus.WAITING_PICKUP))
    if q:
        q = normalize(q)  # full-width digits and letters: ASCII (portal.core.digits)
        digits = re.sub(r"[\s.\-]", "", q)
        stmt = stmt.where(or_(Order.contact_phone == digits, Order.order_no == q.upper(),
                              Order.ticket_id.in_(select(HoldTicket.id).where(
                                  HoldTicket.hold_code == normalize_hold_code(q)))))
    return list(db.session.scalars(stmt.order_by(Order.created_at.desc()).limit(100)))


def _list_context() -> dict:
    q = (request.args.get("q") or "").strip()[:40]
    show = "done" if request.args.get("show") == "done" else "waiting"
    return {"orders": _store_orders(show, q), "q": q, "show": show}


@store_bp.get("/")
@allow(Role.CLERK, Role.ADMIN)
def index():
    return render_template("store/index.html", **_list_context())


@store_bp.get("/list")
@allow(Role.CLERK, Role.ADMIN)
def list_partial():
    """The list only: what the screen re-reads when its socket says an order of the store moved."""
    return render_template("store/_list.html", **_list_context())


def _render(order: Order, form: StoreHandOverForm, status: int = 200, no_show: NoShowForm | None = None):
    return render_template("store/detail.html", order=order, form=form,
                           no_show=no_show or NoShowForm(formdata=None)), status


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
        form, lambda: lifecycle.collect_at_store(order, current_user, form.id_number.data, form.iccid.data,
                                                 form.cash_received.data),
        _("Đã giao SIM cho khách. In phiếu bàn giao để khách ký."), lambda: _render(order, form, 422))
    return result or redirect(url_for("shipping.store.detail", order_id=order_id))


@store_bp.post("/orders/<int:order_id>/no-show")
@allow(Role.CLERK, Role.ADMIN)
def no_show(order_id: int):
    """The customer did not come by the deadline: cancel, and the number returns to the pool."""
    order = store_order_or_404(order_id)
    form = NoShowForm()
    result = run_action(form, lambda: lifecycle.not_collected(order, current_user),
                        _("Đã ghi nhận khách không đến nhận: đơn đã hủy, số đã trả về kho."),
                        lambda: _render(order, StoreHandOverForm(formdata=None), 422, no_show=form))
    return result or redirect(url_for("shipping.store.detail", order_id=order_id))


@store_bp.get("/orders/<int:order_id>/slip")
@allow(Role.CLERK, Role.ADMIN)
def slip(order_id: int):
    """The printable hand-over slip (phiếu bàn giao SIM) the customer signs."""
    order = store_order_or_404(order_id)
    if not order.handed_to_customer_at_store:
        abort(404)
    from portal.shipping.slips import activation_link, activation_qr

    return render_template("store/slip.html", order=order, qr=activation_qr(order), link=activation_link(order))
