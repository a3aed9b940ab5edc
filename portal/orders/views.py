"""Customer-site pages (/chonso): search in four modes, hold form → summary → confirm, my tickets, notifications.

HOLD-1 (pick a number, press Hold) → HOLD-2..5 (the form, errors beside the fields) → HOLD-6..11 (receiving,
payment, the summary with amounts and the offer) → confirm: the number is held and the order placed in one
transaction → HOLD-13/14 (the ticket page, where online payment starts).
"""
from __future__ import annotations

import datetime as dt
import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal.core.access import customer_only, public
from portal.core.digits import whole_number
from portal.core.errors import Invalid, PortalError
from portal.customers.session import current_customer
from portal.extensions import db
from portal.numbers.classes import CLASS_LABELS
from portal.numbers.formatting import normalize_number
from portal.numbers.search import NumberQuery, search_by_name, search_feng_shui, search_numbers, search_pairs
from portal.numbers.search_counts import count_search
from portal.orders import bp, lifecycle, queries
from portal.orders import services as orders
from portal.orders.forms import SEARCH_MODES, HoldForm, SearchForm
from portal.orders.submit import submit_order
from portal.orders.validation import FieldErrors

PER_PAGE = 20
# Which field a search refusal belongs beside.
SEARCH_FIELD = {"pattern": "pattern", "digits": "ends_with", "avoid": "avoid", "name": "name", "birth": "birth_date",
                "pair": "kind"}


def _search_field(code: str) -> str:
    return next((field for key, field in SEARCH_FIELD.items() if key in code), "pattern")


def _run_search(form: SearchForm, mode: str, page: int):
    if mode == "ten":
        return search_by_name(form.name.data or "", page=page, per_page=PER_PAGE) if form.name.data else None
    if mode == "phong-thuy":
        return search_feng_shui(form.birth_date.data, page=page, per_page=PER_PAGE) if form.birth_date.data else None
    if mode == "cap":
        return search_pairs(form.kind.data or None, page=page, per_page=PER_PAGE)
    return search_numbers(NumberQuery(pattern=form.pattern.data or "", ends_with=form.ends_with.data or "",
                                      avoid=form.avoid.data or "", page=page, per_page=PER_PAGE))


@bp.get("/tim-so")
@public
def search():
    """HOLD-1: the four search modes of the app (by conditions, by name, feng-shui, pairs)."""
    form = SearchForm(request.args)
    mode = request.args.get("mode") if request.args.get("mode") in SEARCH_MODES else "dieu-kien"
    page = max(1, request.args.get("page", 1, type=whole_number) or 1)
    result = None
    if form.validate():
        try:
            result = _run_search(form, mode, page)
            if result is not None:  # searches per channel: the partners report
                count_search("web")
        except Invalid as exc:
            form[_search_field(exc.code)].errors = [exc.message]
    return render_template("orders/search.html", form=form, mode=mode, modes=SEARCH_MODES, result=result, page=page,
                           class_labels=CLASS_LABELS)


def _numbers_arg(text: str) -> str:
    """The number(s) in the URL: one, or a pair "a,b"; anything else is a 404."""
    numbers = [normalize_number(n) for n in text.split(",")[:3]]
    if not 1 <= len(numbers) <= 2 or None in numbers:
        abort(404)
    return ",".join(numbers)


def _render_form(form: HoldForm, number: str, status: int = 200):
    stores = orders.stores_for(form.province.data or "")
    form.store_code.choices = [(s.code, f"{s.name} — {s.address}, {s.province}") for s in stores]
    return render_template("orders/hold_form.html", form=form, number=number, numbers=number.split(","),
                           stores=stores), status


def _apply_errors(form: HoldForm, exc: PortalError) -> None:
    fields = exc.fields if isinstance(exc, FieldErrors) else {"number": (exc.code, exc.message)}
    for name, (_code, message) in fields.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]
        else:
            form.form_errors.append(message)


@bp.get("/giu-so/<numbers>")
@customer_only
def hold_form(numbers: str):
    """HOLD-2: the subscriber registration form, with what we know of the customer filled in."""
    number = _numbers_arg(numbers)
    customer = current_customer()
    form = HoldForm(formdata=None, nonce=secrets.token_urlsafe(16), full_name=customer.full_name,
                    contact_phone=customer.phone, recipient_name=customer.full_name, recipient_phone=customer.phone,
                    email=customer.email or "")
    return _render_form(form, number)


def _posted(numbers: str) -> tuple[HoldForm, str]:
    """The posted hold form (CSRF is checked app-wide) and its number(s); a form without its nonce is refused."""
    form = HoldForm()
    if not form.nonce.data:
        abort(400)
    return form, _numbers_arg(numbers)


@bp.post("/giu-so/<numbers>")
@customer_only
def hold_summary(numbers: str):
    """HOLD-3..11: check the form; wrong → back with errors beside the fields; right → the order summary."""
    form, number = _posted(numbers)
    try:
        summary = orders.quote(form.raw(number), "web")
    except PortalError as exc:
        _apply_errors(form, exc)
        return _render_form(form, number, 422 if isinstance(exc, FieldErrors) else exc.status)
    return render_template("orders/summary.html", form=form, number=number, summary=summary)


@bp.post("/giu-so/<numbers>/sua")
@customer_only
def hold_edit(numbers: str):
    """Back from the summary to the form, with everything typed kept (same nonce: still one order)."""
    return _render_form(HoldForm(), _numbers_arg(numbers))


@bp.post("/giu-so/<numbers>/xac-nhan")
@customer_only
def hold_confirm(numbers: str):
    """Confirm: hold the number(s) and place the order (one per nonce, however often it is sent)."""
    form, number = _posted(numbers)
    try:
        order, replayed = submit_order(form.raw(number), current_customer(), "web", form.nonce.data)
    except FieldErrors as exc:
        _apply_errors(form, exc)
        return _render_form(form, number, 422)
    except PortalError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("orders.search"))
    if not replayed:
        flash(_("Đã giữ số. Mã giữ số của bạn: %(c)s", c=order.ticket.hold_code), "success")
    return redirect(url_for("orders.ticket", hold_code=order.ticket.hold_code))


@bp.get("/phieu/<hold_code>")
@customer_only
def ticket(hold_code: str):
    """HOLD-13/14: the hold ticket, its order, amounts, offer and status timeline; online payment starts here."""
    order = queries.customer_order(hold_code, current_customer())
    return render_template("orders/ticket.html", order=order, ticket=order.ticket, timeline=queries.timeline(order),
                           order_no=orders.format_order_no(order.order_no))


@bp.post("/phieu/<hold_code>/huy")
@customer_only
def cancel(hold_code: str):
    """SHIP-3, SHIP-10: the customer cancels before the parcel leaves (the carrier's order is withdrawn)."""
    customer = current_customer()
    order = queries.customer_order(hold_code, customer)
    try:
        lifecycle.cancel(order, customer, _("Khách hàng hủy"), by_customer=True)
        db.session.commit()
    except PortalError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        flash(_("Đã hủy đơn hàng; số đã được trả lại kho.") + (
            " " + _("Số tiền bạn đã thanh toán sẽ được hoàn lại.") if order.refund_due else ""), "info")
    return redirect(url_for("orders.ticket", hold_code=order.ticket.hold_code))


@bp.get("/phieu-cua-toi")
@customer_only
def my_tickets():
    """Phiếu của tôi: every ticket of the signed-in customer, newest first."""
    rows = queries.customer_orders(current_customer())
    return render_template("orders/my_tickets.html", orders=rows, format_order_no=orders.format_order_no)


@bp.get("/thong-bao")
@customer_only
def notifications():
    """Notifications: what happened to the customer's tickets and orders (derived from the status history)."""
    return render_template("orders/notifications.html", items=queries.notifications(current_customer()),
                           today=dt.date.today())
