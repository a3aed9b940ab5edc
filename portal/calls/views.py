"""The customer's video call (E-1.5, ACT-8, ESIM-7) under the dossier's /chonso/hoa-mang/<hold_code>: the call page
(queue place and wait, live over ``/call``), asking for the call, hanging up, booking a callback while the desk is
closed, and the ICE servers. The browser side (static/js) fills the page's blocks (docs/calls.md)."""
from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal.calls import hours, lifecycle, queries, routing
from portal.calls.models import Call, CallbackBooking
from portal.calls.turn import ice_servers
from portal.core.access import customer_only
from portal.core.audit import audit
from portal.core.errors import Invalid, PortalError, wants_json
from portal.core.time import utcnow
from portal.customers.session import current_customer
from portal.dossiers import queries as dossier_queries
from portal.dossiers.models import Dossier
from portal.extensions import db


def call_json(call: Call) -> dict[str, Any]:
    """The JSON shape of a call for the customer (web and app)."""
    state = queries.queue_state(call)
    out = {"call_id": call.id, "status": call.status.value, "position": state["position"],
           "eta_seconds": state["eta_seconds"]}
    if not call.is_live:
        out.update(passed=call.passed, reason=call.reason_label)
    return out


def request_for(dossier: Dossier, customer: Any, channel: str) -> Call:
    call = lifecycle.request_call(dossier, customer, channel)
    db.session.commit()
    return call


def _page(dossier: Dossier) -> str:
    return url_for("calls.call_page", hold_code=dossier.ticket.hold_code)


def _render(dossier: Dossier, status: int = 200, refusal: str = ""):
    call = queries.live_call_of(dossier.id) or queries.last_call_of(dossier.id)
    customer = current_customer()
    region_id = routing.region_for(dossier)
    return render_template(
        "calls/customer_call.html", dossier=dossier, call=call, state=queries.queue_state(call) if call else None,
        is_open=hours.is_open(region_id), hours_text=hours.hours_text(region_id),
        slots=hours.callback_slots(region_id), refusal=refusal,
        ice_servers=ice_servers(f"customer-{customer.id}"), booking=_booking(dossier)), status


def _booking(dossier: Dossier) -> CallbackBooking | None:
    from sqlalchemy import select

    return db.session.scalar(select(CallbackBooking).where(
        CallbackBooking.dossier_id == dossier.id, CallbackBooking.cancelled_at.is_(None),
        CallbackBooking.slot_start > utcnow()).order_by(CallbackBooking.slot_start).limit(1))


def _dossier(hold_code: str) -> Dossier:
    return dossier_queries.customer_dossier(hold_code, current_customer())


from portal.calls import customer_bp as bp  # noqa: E402


@bp.get("/hoa-mang/<hold_code>/goi-video")
@customer_only
def call_page(hold_code: str):
    return _render(_dossier(hold_code))


@bp.post("/hoa-mang/<hold_code>/goi-video")
@customer_only
def request_call(hold_code: str):
    """"Gọi video": JSON ``{"call_id", "status", "position", "eta_seconds"}`` for the page's script."""
    dossier = _dossier(hold_code)
    try:
        call = request_for(dossier, current_customer(), "web")
    except PortalError as exc:
        db.session.rollback()
        if wants_json():
            return jsonify(error={"code": exc.code, "message": exc.message}), exc.status
        flash(exc.message, "danger")
        return _render(dossier, exc.status, exc.message)
    if wants_json():
        return jsonify(call_json(call))
    return redirect(_page(dossier))


@bp.post("/hoa-mang/<hold_code>/goi-video/huy")
@customer_only
def cancel_call(hold_code: str):
    dossier = _dossier(hold_code)
    call = queries.live_call_of(dossier.id)
    if call is not None:
        lifecycle.cancel_call(call, current_customer())
        db.session.commit()
    if wants_json():
        return jsonify(call_json(call) if call else {"call_id": None, "status": "none", "position": 0,
                                                        "eta_seconds": 0})
    flash(_("Đã gác máy."), "info")
    return redirect(_page(dossier))


@bp.post("/hoa-mang/<hold_code>/dat-lich")
@customer_only
def book_callback(hold_code: str):
    """While the desk is closed: the customer picks one of the offered slots; an agent calls back then."""
    dossier = _dossier(hold_code)
    customer = current_customer()
    try:
        if not dossier.may_call:
            raise Invalid("not_ready_for_call", _("Hồ sơ chưa sẵn sàng để gọi video."))
        region_id = routing.region_for(dossier)
        slot = hours.slot_from_value(region_id, request.form.get("slot", ""))
        if slot is None:
            raise Invalid("bad_slot", _("Vui lòng chọn một khung giờ trong danh sách."))
        existing = _booking(dossier)
        if existing is not None:
            existing.cancelled_at = utcnow()
        booking = CallbackBooking(dossier_id=dossier.id, customer_id=customer.id, region_id=region_id,
                                  slot_start=slot.start, created_at=utcnow())
        db.session.add(booking)
        db.session.flush()
        audit("call.callback_booked", booking, actor=customer, detail={"dossier_id": dossier.id,
                                                                       "slot": slot.value})
        db.session.commit()
    except PortalError as exc:
        db.session.rollback()
        if wants_json():
            return jsonify(error={"code": exc.code, "message": exc.message}), exc.status
        flash(exc.message, "danger")
        return _render(dossier, exc.status)
    if wants_json():
        return jsonify(ok=True, slot=slot.value)
    flash(_("Đã đặt lịch gọi lại lúc %(s)s.", s=slot.label), "success")
    return redirect(_page(dossier))


@bp.get("/hoa-mang/<hold_code>/goi-video/turn")
@customer_only
def turn(hold_code: str):
    _dossier(hold_code)
    return jsonify(iceServers=ice_servers(f"customer-{current_customer().id}"))
