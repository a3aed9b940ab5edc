"""Sign-in and sign-out. Views are thin: validate, call a service, commit, redirect."""
from __future__ import annotations

from flask import flash, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from portal.auth import bp
from portal.auth import services as auth
from portal.auth.forms import LoginForm, PasswordChangeForm
from portal.core.access import allow, public
from portal.core.errors import FieldErrors, PortalError, register_unauthenticated, wants_json
from portal.core.urls import safe_next
from portal.extensions import db, limiter, login_manager

EXPIRED_MESSAGES = {
    "idle": _l("Phiên làm việc đã hết hạn do không hoạt động. Vui lòng đăng nhập lại."),
    "expired": _l("Phiên làm việc đã quá thời gian cho phép. Vui lòng đăng nhập lại."),
    "disabled": _l("Tài khoản của bạn đã bị khóa. Vui lòng liên hệ quản trị viên."),
    "logout": _l("Bạn đã đăng xuất. Vui lòng đăng nhập lại."),
    "role_changed": _l("Quyền của bạn đã thay đổi. Vui lòng đăng nhập lại."),
    "password": _l("Mật khẩu đã được đổi. Vui lòng đăng nhập lại."),
    "reassigned": _l("Khu vực hoặc cửa hàng của bạn đã thay đổi. Vui lòng đăng nhập lại."),
}
# What a staff member holding a one-time password may still open: the page that replaces it, and the way out.
WHILE_ONE_TIME = {"auth.change_password", "auth.logout", "auth.set_language", "static", "home.healthz"}


@login_manager.user_loader
def _load_user(staff_id: str):
    staff, ended = auth.load_session_user(staff_id, session.get("sid"))
    if ended:
        g.session_ended = ended
    return staff


def login_required_response():
    """401 with the sign-in form in place, saying why (expired, revoked or simply signed out)."""
    form = LoginForm(next=request.full_path.rstrip("?") if request.method == "GET" else "")
    ended = g.get("session_ended")
    message = str(EXPIRED_MESSAGES[ended]) if ended in EXPIRED_MESSAGES else _("Vui lòng đăng nhập để tiếp tục.")
    if wants_json():
        return jsonify(error={"code": "unauthenticated", "message": message}), 401
    return render_template("auth/login.html", form=form, notice=message), 401


register_unauthenticated(login_required_response)


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit("60/minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            staff, token = auth.sign_in(
                form.username.data, form.password.data, request.remote_addr or "-",
                request.user_agent.string or "",
            )
        except PortalError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            status = exc.status
        else:
            db.session.commit()
            session.clear()  # a new session: nothing from before the sign-in survives (checklist 3)
            login_user(staff)
            session["sid"] = token
            return redirect(safe_next(form.next.data) or url_for("home.index"))
    elif request.method == "POST":
        status = 400 if form.errors.keys() - {"csrf_token"} else status
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@allow()
def logout():
    # CSRFProtect has already checked the token of every POST.
    auth.sign_out(current_user, session.get("sid"))
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language/<code>", methods=["POST"])
@public
def set_language(code: str):
    if code in ("vi", "en"):
        session["lang"] = code
    return redirect(safe_next(request.form.get("next")) or url_for("home.index"))


@bp.before_app_request
def _one_time_password_first():
    """A staff member signed in with a one-time password replaces it before anything else (after access.enforce:
    a page they may not open is still refused as such)."""
    if (request.endpoint in WHILE_ONE_TIME or not current_user.is_authenticated
            or not getattr(current_user, "must_change_password", False)):
        return None
    if wants_json():
        return jsonify(error={"code": "password_change_required",
                              "message": _("Vui lòng đổi mật khẩu dùng một lần trước khi tiếp tục.")}), 403
    return redirect(url_for("auth.change_password"))


@bp.route("/password", methods=["GET", "POST"])
@allow()
def change_password():
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        try:
            auth.change_own_password(current_user, form.current.data, form.new.data)
        except FieldErrors as exc:
            db.session.rollback()
            exc.show_on(form)
            status = 422
        else:
            db.session.commit()
            flash(_("Đã đổi mật khẩu."), "success")
            return redirect(url_for("home.index"))
    elif request.method == "POST":
        status = 422
    return render_template("auth/password.html", form=form, one_time=current_user.must_change_password), status
