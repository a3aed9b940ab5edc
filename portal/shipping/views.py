"""The order board (SHIP-2, 4, 8, 11..14, 23), order detail with its actions, packing slip, COD report."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.core.access import allow, get_in_region_or_404, in_region
from portal.core.audit import audit_now
from portal.core.digits import whole_number
from portal.core.errors import PortalError
from portal.core.models import StatusChange
from portal.core.roles import Role
from portal.core.time import vietnam_to_utc, vietnam_today
from portal.extensions import db
from portal.orders import lifecycle
from portal.orders.models import BOARD_TABS, Order, OrderStatus, PaymentMethod
from portal.org.models import Region, Store
from portal.shipping import board, bp, services
from portal.shipping.cod import cod_by_carrier_day
from portal.shipping.forms import CancelForm, ConfirmForm, HandOverForm, ResolveAttentionForm, ResolveFlagForm
from portal.shipping.models import CarrierEvent

VIEW = (Role.SHIPPING, Role.SUPERVISOR, Role.ADMIN)
ACT = (Role.SHIPPING, Role.ADMIN)  # admins may use every staff route (tests/core/test_access_matrix.py)
OVERSIGHT = (Role.SUPERVISOR, Role.ADMIN)
# Which field a service refusal belongs beside.
FIELD_OF = {"bad_iccid": "iccid", "iccid_in_use": "iccid", "pickup_in_past": "pickup_at",
            "pickup_too_far": "pickup_at", "bad_pickup_address": "pickup_address", "reason_required": "reason",
            "id_mismatch": "id_number", "cash_mismatch": "cash_received", "note_required": "note"}


def board_order_or_404(order_id: int) -> Order:
    """An order of the staff member's region that belongs on the board (eSIM by e-mail does not)."""
    order = get_in_region_or_404(Order, order_id)
    if not order.on_board:
        abort(404)
    return order


def run_action(form, call, success: str, on_error):
    """Validate, call one service, commit once; a refusal goes beside its field (or in a flash)."""
    if form.validate_on_submit():
        try:
            call()
        except PortalError as exc:
            db.session.rollback()
            field = FIELD_OF.get(exc.code)
            if field is None or field not in form:
                flash(exc.message, "danger")
                return None
            form[field].errors = [*form[field].errors, exc.message]
        else:
            db.session.commit()
            flash(success, "success")
            return None
    return on_error()


def _filter_choices() -> dict:
    stores = db.session.scalars(in_region(select(Store).where(Store.active.is_(True)), Store.region_id)
                                .order_by(Store.region_id, Store.code)).all()
    regions = db.session.scalars(select(Region).where(Region.id > 0).order_by(Region.id)).all() \
        if current_user.is_head_office else []
    return {"stores": stores, "regions": regions, "payments": list(PaymentMethod),
            "receives": list(board.BOARD_METHODS)}


@bp.get("/")
@allow(*VIEW)
def index():
    f = board.parse_filters(request.args)
    return render_template("shipping/board.html", f=f, counts=board.tab_counts(f), orders=board.tab_page(f),
                           tabs=BOARD_TABS, **_filter_choices())


@bp.get("/board")
@allow(*VIEW)
def board_partial():
    """The tabs and rows only: what the page re-reads when a socket says an order moved."""
    f = board.parse_filters(request.args)
    return render_template("shipping/_board.html", f=f, counts=board.tab_counts(f), orders=board.tab_page(f),
                           tabs=BOARD_TABS)


def _default_pickup_at() -> datetime:
    tomorrow = vietnam_today() + timedelta(days=1)
    return datetime.combine(tomorrow, time(9, 0))


def render_detail(order: Order, status: int = 200, **forms):
    confirm = forms.get("confirm") or ConfirmForm(
        formdata=None, pickup_address=current_app.config.get("SHIPPING_PICKUP_ADDRESS", ""),
        pickup_at=_default_pickup_at())
    history = db.session.scalars(select(StatusChange).where(
        StatusChange.object_type == Order.__tablename__, StatusChange.object_id == str(order.id))
        .order_by(StatusChange.id)).all()
    events = db.session.scalars(select(CarrierEvent).where(CarrierEvent.order_id == order.id)
                                .order_by(CarrierEvent.id)).all()
    return render_template(
        "shipping/detail.html", order=order, history=history, events=events, confirm=confirm,
        hand_over_form=forms.get("hand_over") or HandOverForm(formdata=None),
        cancel_form=forms.get("cancel") or CancelForm(formdata=None),
        attention_form=forms.get("attention") or ResolveAttentionForm(formdata=None),
        can_act=current_user.role in ACT, labels={s.value: s.label for s in OrderStatus},
    ), status


@bp.get("/orders/<int:order_id>")
@allow(*VIEW)
def detail(order_id: int):
    order = board_order_or_404(order_id)
    audit_now("order.view", order)  # personal data (name, ID number, address): views are audited
    return render_detail(order)


def _to_utc(local: datetime | None) -> datetime | None:
    if local is None:
        return None
    return vietnam_to_utc(local)


def _act(order_id: int, form, key: str, call, done: str):
    """One board action: the service call on the order, then back to its page (errors: the page, with the form)."""
    order = board_order_or_404(order_id)
    result = run_action(form, lambda: call(order), done, lambda: render_detail(order, 422, **{key: form}))
    return result or redirect(url_for("shipping.detail", order_id=order_id))


@bp.post("/orders/<int:order_id>/confirm")
@allow(*ACT)
def confirm(order_id: int):
    form = ConfirmForm()
    return _act(order_id, form, "confirm", lambda order: services.confirm_order(
        order, current_user, form.pickup_address.data, _to_utc(form.pickup_at.data)),
        _("Đã xác nhận đơn: chờ đơn vị vận chuyển lấy hàng."))


@bp.post("/orders/<int:order_id>/hand-over")
@allow(*ACT)
def hand_over(order_id: int):
    form = HandOverForm()
    return _act(order_id, form, "hand_over", lambda order: lifecycle.hand_over(order, current_user, form.iccid.data),
                _("Đã ghi serial SIM và bàn giao cho đơn vị vận chuyển."))


@bp.post("/orders/<int:order_id>/cancel")
@allow(*ACT)
def cancel(order_id: int):
    form = CancelForm()
    return _act(order_id, form, "cancel", lambda order: lifecycle.cancel(order, current_user, form.reason.data),
                _("Đã hủy đơn và trả số về kho."))


@bp.post("/orders/<int:order_id>/carrier-attention")
@allow(*ACT)
def resolve_attention(order_id: int):
    """A carrier status that fitted no move has been dealt with (a note is kept in the audit log)."""
    form = ResolveAttentionForm()
    return _act(order_id, form, "attention", lambda order: services.resolve_carrier_attention(
        order, current_user, form.note.data), _("Đã ghi nhận xử lý thông báo của đơn vị vận chuyển."))


@bp.get("/orders/<int:order_id>/packing-slip")
@allow(*VIEW)
def packing_slip(order_id: int):
    """E-2.3: what goes in the parcel with the blank SIM: serial, hold code, how to activate in the app."""
    order = board_order_or_404(order_id)
    if not order.has_packing_slip:
        abort(404)
    from portal.shipping.slips import activation_link, activation_qr

    return render_template("shipping/packing_slip.html", order=order, qr=activation_qr(order),
                           link=activation_link(order))


@bp.get("/cod")
@allow(*OVERSIGHT)
def cod():
    """Cash on delivery per carrier per day: expected vs reported; mismatches flagged (SHIP-20)."""
    days = max(1, min(request.args.get("days", 30, type=whole_number) or 30, 366))
    since = vietnam_today() - timedelta(days=days - 1)
    rows = db.session.execute(in_region(cod_by_carrier_day(since), Order.region_id)).all()
    flagged = db.session.scalars(in_region(select(Order).where(Order.cash_mismatch.is_(True)), Order.region_id)
                                 .order_by(Order.delivered_at.desc()).limit(200)).all()
    return render_template("shipping/cod.html", rows=rows, flagged=flagged, days=days)


@bp.post("/orders/<int:order_id>/cash-flag")
@allow(*OVERSIGHT)
def resolve_flag(order_id: int):
    order = board_order_or_404(order_id)
    form = ResolveFlagForm()
    if not form.validate_on_submit():
        flash(_("Vui lòng ghi chú cách xử lý."), "danger")
        return redirect(url_for("shipping.cod"))
    try:
        services.resolve_cash_flag(order, current_user, form.note.data)
    except PortalError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("Đã đóng cờ lệch tiền của đơn %(n)s.", n=order.order_no), "success")
    return redirect(url_for("shipping.cod"))
