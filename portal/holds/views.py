"""Back-office holds page: search tickets, see one, cancel one. Region-scoped by the number's home region."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from portal.core.access import allow, get_in_region_or_404, in_region
from portal.core.audit import audit_now
from portal.core.digits import normalize, whole_number
from portal.core.errors import PortalError
from portal.core.models import StatusChange
from portal.core.roles import Role
from portal.extensions import db
from portal.holds import bp
from portal.holds import services as holds
from portal.holds.models import HoldLine, HoldStatus, HoldTicket

PER_PAGE = 50
STAFF = (Role.SHIPPING, Role.CLERK, Role.SUPERVISOR, Role.ADMIN, Role.CONNECTION, Role.AGENT)

CANCELLERS = (Role.SHIPPING, Role.SUPERVISOR, Role.ADMIN)

@bp.route("/")
@allow(*STAFF)
def index():
    q = normalize((request.args.get("q") or "")[:40]).strip()  # full-width digits: ASCII (portal.core.digits)
    status = request.args.get("status") or ""
    page = max(1, min(request.args.get("page", 1, type=whole_number), 1000))
    stmt = in_region(select(HoldTicket), HoldTicket.region_id)
    if q:
        stmt = stmt.where(or_(HoldTicket.hold_code == holds.normalize_hold_code(q), HoldTicket.customer_phone == q,
                              HoldTicket.id.in_(select(HoldLine.ticket_id).where(HoldLine.number == q))))
    if status in HoldStatus.__members__.values():
        stmt = stmt.where(HoldTicket.status == HoldStatus(status))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    tickets = db.session.scalars(
        stmt.order_by(HoldTicket.created_at.desc(), HoldTicket.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    ).all()
    return render_template("holds/index.html", tickets=tickets, total=total, page=page,
                           pages=max(1, -(-total // PER_PAGE)), q=q, status=status, statuses=list(HoldStatus))


@bp.route("/<int:ticket_id>")
@allow(*STAFF)
def detail(ticket_id: int):
    ticket = get_in_region_or_404(HoldTicket, ticket_id)
    history = db.session.scalars(select(StatusChange).where(
        StatusChange.object_type == "hold_ticket", StatusChange.object_id == str(ticket.id)).order_by(StatusChange.id))
    audit_now("hold.view", ticket)  # a view of personal data (the customer's phone): audited, GET stays read-only
    return render_template("holds/detail.html", ticket=ticket, history=list(history),
                           can_cancel=holds.can_cancel(ticket) and current_user.role in CANCELLERS)


@bp.route("/<int:ticket_id>/cancel", methods=["POST"])
@allow(*CANCELLERS)
def cancel(ticket_id: int):
    ticket = get_in_region_or_404(HoldTicket, ticket_id)
    reason = (request.form.get("reason") or "").strip()[:300]
    if not reason:
        flash(_("Vui lòng nhập lý do hủy."), "danger")
        return redirect(url_for("holds.detail", ticket_id=ticket.id))
    try:
        holds.cancel_hold(ticket, current_user, reason)
    except PortalError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("Đã hủy phiếu giữ số và trả số về kho."), "success")
    return redirect(url_for("holds.detail", ticket_id=ticket.id))
