"""The customer site's account pages under /chonso. Thin: validate, call one service, commit, redirect."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from portal.core.access import customer_only, public
from portal.core.errors import PortalError
from portal.core.urls import safe_next
from portal.customers import bp
from portal.customers import services as accounts
from portal.customers.forms import ForgotForm, NewPasswordForm, OtpForm, RegisterForm, SignInForm
from portal.customers.models import OtpPurpose
from portal.customers.otp import OtpDelivery
from portal.customers.session import current_customer, open_session, sign_out_session
from portal.extensions import db, limiter

ACTIVATE_PHONE, RESET_PHONE, RESET_GRANT = "cso_activate_phone", "cso_reset_phone", "cso_reset_grant"
POST_LIMIT = limiter.limit("30/minute", methods=["POST"])


def _ip() -> str:
    return request.remote_addr or "-"


def _refused(form, exc: PortalError, field: str | None = None) -> int:
    """Show a refusal beside its field (``field`` when the error names none), or above the form; roll back."""
    db.session.rollback()
    field = getattr(exc, "field", None) or field
    if field and field in form:
        form[field].errors = [*form[field].errors, exc.message]
    else:
        flash(exc.message, "danger")
    return exc.status


def _masked(phone: str) -> str:
    return f"{phone[:4]} *** {phone[-3:]}"


def _sent(delivery: OtpDelivery, purpose: OtpPurpose = OtpPurpose.ACTIVATE) -> None:
    if delivery.failed:
        flash(_("Chưa gửi được tin nhắn chứa mã OTP tới số %(p)s. Vui lòng bấm “Gửi lại mã” sau ít phút.",
                p=_masked(delivery.phone)), "warning")
    elif purpose == OtpPurpose.RESET_PASSWORD:  # the same words whether or not the phone has an account
        flash(_("Nếu số %(p)s có tài khoản, mã OTP đã được gửi tới số này; mã có hiệu lực 5 phút.",
                p=_masked(delivery.phone)), "info")
    else:
        flash(_("Mã OTP đã được gửi tới số %(p)s; mã có hiệu lực 5 phút.", p=_masked(delivery.phone)), "info")


def _status(form) -> int:
    return 400 if request.method == "POST" and form.errors.keys() - {"csrf_token"} else 200


@bp.route("/dang-ky", methods=["GET", "POST"])
@public
@POST_LIMIT
def register():
    """AUTH-3..8: the register form; errors beside each field, what was typed kept."""
    if current_customer():
        return redirect(url_for("customers.account"))
    form = RegisterForm()
    valid = form.validate_on_submit()
    status = _status(form)
    if valid:
        try:
            customer, delivery = accounts.register(form.phone.data, form.full_name.data, form.password.data, _ip())
        except PortalError as exc:
            status = _refused(form, exc)
        else:
            db.session.commit()
            session[ACTIVATE_PHONE] = customer.phone
            _sent(delivery)
            return redirect(url_for("customers.activate"))
    return render_template("customers/register.html", form=form), status


@bp.route("/kich-hoat", methods=["GET", "POST"])
@public
@POST_LIMIT
def activate():
    """AUTH-8..12: enter the code sent by SMS; right → the account is active and signed in."""
    phone = session.get(ACTIVATE_PHONE)
    if not phone:
        return redirect(url_for("customers.sign_in"))
    form = OtpForm()
    valid = form.validate_on_submit()
    status = _status(form)
    if valid:
        try:
            customer = accounts.activate(phone, form.otp.data)
            open_session(customer)
        except PortalError as exc:
            status = _refused(form, exc, "otp")
        else:
            db.session.commit()
            session.pop(ACTIVATE_PHONE, None)
            flash(_("Tài khoản đã được kích hoạt. Chào mừng bạn đến với Chọn số Online!"), "success")
            return redirect(url_for("customers.account"))
    return render_template("customers/activate.html", form=form, phone=_masked(phone)), status


def _resend(phone: str | None, purpose: OtpPurpose, back: str):
    if not phone:
        return redirect(url_for("customers.sign_in"))
    try:
        delivery = accounts.resend_code(phone, purpose, _ip())
    except PortalError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        _sent(delivery, purpose)
    return redirect(url_for(back))


@bp.route("/kich-hoat/gui-lai", methods=["POST"])
@public
@POST_LIMIT
def resend_activation():
    return _resend(session.get(ACTIVATE_PHONE), OtpPurpose.ACTIVATE, "customers.activate")


@bp.route("/dang-nhap", methods=["GET", "POST"])
@public
@POST_LIMIT
def sign_in():
    """AUTH-13..18: phone + password; unknown phone and wrong password answer the same."""
    if current_customer():
        return redirect(safe_next(request.args.get("next")) or url_for("customers.account"))
    form = SignInForm(next=request.args.get("next", ""))
    valid = form.validate_on_submit()
    status = _status(form)
    if valid:
        try:
            customer = accounts.sign_in(form.phone.data, form.password.data, _ip())
            open_session(customer, remember=bool(form.remember.data))
        except PortalError as exc:
            status = _refused(form, exc)
            if exc.code == "not_activated":
                return _resend_for_pending(form.phone.data)
        else:
            db.session.commit()
            return redirect(safe_next(form.next.data) or url_for("customers.account"))
    return render_template("customers/sign_in.html", form=form), status


def _resend_for_pending(phone_text: str):
    phone = accounts.normalize_phone(phone_text)
    session[ACTIVATE_PHONE] = phone
    return _resend(phone, OtpPurpose.ACTIVATE, "customers.activate")


@bp.route("/dang-xuat", methods=["POST"])
@customer_only
def sign_out():
    customer = current_customer()
    sign_out_session()
    from portal.core.audit import audit

    audit("customer.logout", customer, actor=customer)
    db.session.commit()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("customers.sign_in"))


@bp.route("/quen-mat-khau", methods=["GET", "POST"])
@public
@POST_LIMIT
def forgot():
    """PWD-2, 3: the phone number; a code goes to it if it has an account (the page says the same either way)."""
    form = ForgotForm()
    valid = form.validate_on_submit()
    status = _status(form)
    if valid:
        try:
            delivery = accounts.forgot_password(form.phone.data, _ip())
        except PortalError as exc:
            status = _refused(form, exc)
        else:
            db.session.commit()
            session[RESET_PHONE] = delivery.phone
            session.pop(RESET_GRANT, None)
            _sent(delivery, OtpPurpose.RESET_PASSWORD)
            return redirect(url_for("customers.reset_code"))
    return render_template("customers/forgot.html", form=form), status


@bp.route("/quen-mat-khau/nhap-ma", methods=["GET", "POST"])
@public
@POST_LIMIT
def reset_code():
    """PWD-4..6: enter the code; right → the new-password screen."""
    phone = session.get(RESET_PHONE)
    if not phone:
        return redirect(url_for("customers.forgot"))
    form = OtpForm()
    valid = form.validate_on_submit()
    status = _status(form)
    if valid:
        try:
            grant = accounts.verify_reset_code(phone, form.otp.data)
        except PortalError as exc:
            status = _refused(form, exc, "otp")
        else:
            db.session.commit()
            session[RESET_GRANT] = grant
            return redirect(url_for("customers.new_password"))
    return render_template("customers/reset_code.html", form=form, phone=_masked(phone)), status


@bp.route("/quen-mat-khau/gui-lai", methods=["POST"])
@public
@POST_LIMIT
def resend_reset():
    return _resend(session.get(RESET_PHONE), OtpPurpose.RESET_PASSWORD, "customers.reset_code")


@bp.route("/quen-mat-khau/mat-khau-moi", methods=["GET", "POST"])
@public
@POST_LIMIT
def new_password():
    """PWD-7..11: the new password twice; done → sign in with it."""
    grant = session.get(RESET_GRANT)
    if not grant:
        return redirect(url_for("customers.forgot"))
    form = NewPasswordForm()
    valid = form.validate_on_submit()
    status = _status(form)
    if valid:
        try:
            accounts.reset_password(grant, form.password.data, form.password_again.data)
        except PortalError as exc:
            status = _refused(form, exc)
            if exc.code == "reset_expired":
                session.pop(RESET_GRANT, None)
                return redirect(url_for("customers.forgot"))
        else:
            db.session.commit()
            for key in (RESET_PHONE, RESET_GRANT):
                session.pop(key, None)
            flash(_("Mật khẩu đã được đổi. Vui lòng đăng nhập bằng mật khẩu mới."), "success")
            return redirect(url_for("customers.sign_in"))
    return render_template("customers/new_password.html", form=form), status


@bp.route("/tai-khoan")
@customer_only
def account():
    return render_template("customers/account.html", customer=current_customer())
