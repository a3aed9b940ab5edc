"""The supervisors' refunds page (issue 10): due, sending, done, failed and closed refunds of their region."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from portal.core.access import allow, get_in_region_or_404, in_region
from portal.core.digits import whole_number
from portal.core.errors import PortalError
from portal.core.roles import Role
from portal.core.time import utcnow
from portal.extensions import db
from portal.numbers.formatting import format_vnd
from portal.orders.models import Order, ReceiveMethod
from portal.orders.services import format_order_no
from portal.payments import bp, refunds
from portal.payments.forms import CloseRefundForm
from portal.payments.models import Refund, RefundStatus

OVERSIGHT = (Role.SUPERVISOR, Role.ADMIN)
TABS = (RefundStatus.DUE, RefundStatus.FAILED, RefundStatus.SENDING, RefundStatus.DONE, RefundStatus.CLOSED)
PER_PAGE = 50


@bp.get("/payments/refunds")
@allow(*OVERSIGHT)
def refund_list():
    try:
        tab = RefundStatus(request.args.get("tab", RefundStatus.DUE.value))
    except ValueError:
        tab = RefundStatus.DUE
    page = max(request.args.get("page", 1, type=whole_number) or 1, 1)
    counts = dict(db.session.execute(in_region(select(Refund.status, func.count()), Refund.region_id)
                                     .group_by(Refund.status)).all())
    # Oldest first while a person must act; newest first once it is settled.
    order_by = Refund.created_at.asc() if tab in (RefundStatus.DUE, RefundStatus.FAILED, RefundStatus.SENDING) \
        else Refund.finished_at.desc()
    rows = db.session.scalars(in_region(select(Refund).where(Refund.status == tab), Refund.region_id)
                              .order_by(order_by, Refund.id).limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return render_template("payments/refunds.html", tab=tab, tabs=TABS, counts=counts, refunds=rows, page=page,
                           pages=max((counts.get(tab, 0) + PER_PAGE - 1) // PER_PAGE, 1), now=utcnow(),
                           format_order_no=format_order_no, order_url=_order_url, S=RefundStatus,
                           waiting=refunds.WAITING)


def _order_url(order: Order) -> str | None:
    """The order's page on the board (eSIM orders delivered by e-mail have none)."""
    return None if order.receive_method == ReceiveMethod.EMAIL else url_for("shipping.detail", order_id=order.id)


def _back(refund: Refund):
    return redirect(url_for("payments.refund_list", tab=refund.status.value))


@bp.post("/payments/refunds/<int:refund_id>/send")
@allow(*OVERSIGHT)
def refund_send(refund_id: int):
    """"Hoàn tiền" (or "Gửi lại" after a failure): the bank is asked once, by a job, after this commit."""
    refund = get_in_region_or_404(Refund, refund_id)  # the CSRF token was checked before the view (Flask-WTF)
    try:
        refunds.request_refund(refund, current_user)
    except PortalError:
        db.session.rollback()
        flash(_("Yêu cầu hoàn tiền đơn %(n)s đã được gửi hoặc đã xử lý xong.", n=refund.order.order_no), "info")
        return redirect(url_for("payments.refund_list"))
    db.session.commit()
    flash(_("Đã gửi yêu cầu hoàn %(a)s cho đơn %(n)s tới VNPay.", a=format_vnd(refund.amount), n=refund.order.order_no),
          "success")
    return _back(refund)


@bp.post("/payments/refunds/<int:refund_id>/close")
@allow(*OVERSIGHT)
def refund_close(refund_id: int):
    """Close by hand with a note (e.g. refunded outside the system)."""
    refund = get_in_region_or_404(Refund, refund_id)
    form = CloseRefundForm()
    if not form.validate_on_submit():
        flash(_("Vui lòng ghi chú lý do đóng."), "danger")
        return _back(refund)
    try:
        refunds.close_refund(refund, current_user, form.note.data)
    except PortalError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("payments.refund_list"))
    db.session.commit()
    flash(_("Đã đóng yêu cầu hoàn tiền đơn %(n)s.", n=refund.order.order_no), "success")
    return _back(refund)
