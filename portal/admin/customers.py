"""Customer accounts for staff: find by phone, see their orders, disable (with a reason) or re-enable.

Customers belong to no region, so the screen is for admins (of any region) and head-office supervisors. The
orders listed are those of the viewer's region (head office: all), as everywhere in the back office.
"""
from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from portal.admin import bp
from portal.core.access import allow, in_region
from portal.core.audit import audit_now
from portal.core.digits import whole_number
from portal.core.errors import PortalError
from portal.core.models import StatusChange
from portal.core.roles import Role
from portal.core.time import utcnow
from portal.customers import services as accounts
from portal.customers.models import Customer, CustomerApiToken, CustomerSession, CustomerStatus
from portal.extensions import db
from portal.orders.models import Order

PER_PAGE = 50
WHO = {"head_office": (Role.SUPERVISOR,)}  # admins of any region; supervisors of head office only


def _customer_or_404(customer_id: int) -> Customer:
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        abort(404)
    return customer


@bp.route("/customers")
@allow(Role.ADMIN, Role.SUPERVISOR, **WHO)
def customers():
    digits = re.sub(r"[^0-9]", "", request.args.get("q", ""))[:10]  # ASCII digits only: "0903 123 456" works
    status = request.args.get("status", "")
    page = max(1, min(request.args.get("page", 1, type=whole_number), 1000))
    stmt = select(Customer)
    if digits:
        stmt = stmt.where(Customer.phone.contains(digits, autoescape=True))
    if status in CustomerStatus.__members__.values():
        stmt = stmt.where(Customer.status == CustomerStatus(status))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(stmt.order_by(Customer.created_at.desc(), Customer.id.desc())
                              .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return render_template("admin/customers.html", customers=rows, total=total, page=page, q=digits, status=status,
                           pages=max(1, -(-total // PER_PAGE)), statuses=list(CustomerStatus))


@bp.route("/customers/<int:customer_id>")
@allow(Role.ADMIN, Role.SUPERVISOR, **WHO)
def customer_detail(customer_id: int):
    customer = _customer_or_404(customer_id)
    mine = in_region(select(Order).where(Order.customer_id == customer.id), Order.region_id)
    orders = db.session.scalars(mine.order_by(Order.created_at.desc()).limit(100)).all()
    everywhere = db.session.scalar(select(func.count(Order.id)).where(Order.customer_id == customer.id)) or 0
    history = db.session.scalars(select(StatusChange).where(
        StatusChange.object_type == "customer", StatusChange.object_id == str(customer.id))
        .order_by(StatusChange.id.desc())).all()
    sessions = db.session.scalar(select(func.count()).where(CustomerSession.customer_id == customer.id,
                                                            CustomerSession.ended_at.is_(None))) or 0
    devices = db.session.scalar(select(func.count()).where(CustomerApiToken.customer_id == customer.id,
                                                           CustomerApiToken.revoked_at.is_(None),
                                                           CustomerApiToken.expires_at > utcnow())) or 0
    audit_now("customer.view", customer)  # personal data: views are audited, the GET stays read-only
    return render_template("admin/customer_detail.html", customer=customer, orders=orders, history=history,
                           other_regions=everywhere - len(orders), sessions=sessions, devices=devices,
                           status_labels={s.value: s.label for s in CustomerStatus})


def _decide(customer_id: int, service, done: str):
    """Call ``service(customer, staff, reason)``, commit, say how it went, back to the customer's page."""
    customer = _customer_or_404(customer_id)
    try:
        service(customer, current_user, request.form.get("reason", ""))
    except PortalError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(url_for("admin.customer_detail", customer_id=customer_id))


@bp.route("/customers/<int:customer_id>/disable", methods=["POST"])
@allow(Role.ADMIN, Role.SUPERVISOR, **WHO)
def customer_disable(customer_id: int):
    return _decide(customer_id, accounts.disable_customer,
                   _("Đã khóa tài khoản khách hàng; mọi phiên đăng nhập trên web và ứng dụng đã kết thúc."))


@bp.route("/customers/<int:customer_id>/enable", methods=["POST"])
@allow(Role.ADMIN, Role.SUPERVISOR, **WHO)
def customer_enable(customer_id: int):
    return _decide(customer_id, accounts.enable_customer,
                   _("Đã mở khóa tài khoản khách hàng; khách đăng nhập lại để tiếp tục."))
