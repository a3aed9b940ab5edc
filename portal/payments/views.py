"""VNPay's two callbacks: the IPN (server to server, the truth) and the return URL (the browser, display only)."""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.routing import BuildError

from portal.core.access import authenticated_by, customer_only
from portal.core.sqlite import writing
from portal.customers.session import current_customer
from portal.extensions import csrf, db
from portal.gateways import vnpay
from portal.orders.models import Order
from portal.orders.services import format_order_no
from portal.payments import bp, services
from portal.payments.models import Payment

log = logging.getLogger(__name__)


@bp.app_template_global()
def last_payment(order):
    """For templates/payments/_pay_button.html: the order's latest payment attempt."""
    return services.last_payment(order)


@bp.app_template_global()
def can_pay(order) -> bool:
    return services.can_pay(order)


@bp.app_template_global()
def ticket_url(order) -> str | None:
    """The customer's ticket page (the orders domain's), if that page exists in this build."""
    try:
        return url_for("orders.ticket", hold_code=order.ticket.hold_code)
    except BuildError:
        return None


@bp.after_app_request
def _allow_the_bank_as_form_target(response):
    """The pay button's POST is answered with a redirect to the bank: CSP's form-action must allow its origin."""
    csp = response.headers.get("Content-Security-Policy")
    if csp and "form-action 'self'" in csp:
        parts = urlsplit(current_app.config.get("VNPAY_PAY_URL") or "")
        if parts.scheme in ("http", "https") and parts.netloc:
            response.headers["Content-Security-Policy"] = csp.replace(
                "form-action 'self'", f"form-action 'self' {parts.scheme}://{parts.netloc}")
    return response


@bp.get("/payments/vnpay/ipn")
@authenticated_by("vnpay_signature")
@csrf.exempt
def vnpay_ipn():
    """VNPay's IPN: answered in JSON {RspCode, Message}; committed only when it settles an attempt."""
    params = request.args.to_dict()
    try:
        # A GET that writes: on SQLite take the write lock up front, so concurrent IPNs queue.
        with writing():
            code, message = services.handle_ipn(params)
            if code == "00":
                db.session.commit()
            else:
                db.session.rollback()
    except Exception:
        db.session.rollback()
        log.exception("VNPay IPN failed for txn %r", params.get("vnp_TxnRef", "")[:40])
        code, message = services.UNKNOWN_ERROR
    return jsonify(RspCode=code, Message=message)


@bp.get("/payments/vnpay/return")
@authenticated_by("vnpay_signature")
def vnpay_return():
    """Where the bank sends the browser back: shows the order's real state; changes nothing."""
    result = vnpay.gateway().verify(request.args.to_dict())
    if result is None:
        return render_template("errors.html", status=400, code="invalid_signature",
                               message=_("Dữ liệu trả về từ cổng thanh toán không hợp lệ.")), 400
    payment = db.session.scalar(select(Payment).where(Payment.txn_ref == result.txn_ref))
    if payment is None:
        return render_template("errors.html", status=404, code="payment_not_found",
                               message=_("Không tìm thấy giao dịch thanh toán.")), 404
    return render_template("payments/return.html", payment=payment, order=payment.order,
                           bank_says_success=result.succeeded, format_order_no=format_order_no)


@bp.post("/chonso/don-hang/<order_no>/thanh-toan")
@customer_only
def pay_order(order_no: str):
    """The customer's "Thanh toán qua VNPay" button: open an attempt and go to the bank."""
    customer = current_customer()
    order = db.session.scalar(select(Order).where(Order.order_no == order_no))
    if order is None or order.customer_id != customer.id:
        abort(404)  # another customer's order looks exactly like no order
    url = services.start_payment(order, customer, request.remote_addr or "")
    db.session.commit()
    return redirect(url, code=303)
