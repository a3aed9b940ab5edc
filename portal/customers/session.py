"""Customer sessions on the website, apart from staff's Flask-Login.

The browser carries a random token in its own cookie (``CUSTOMER_COOKIE_NAME``,
HttpOnly, SameSite=Lax, Secure outside development); the ``customer_session``
row named by the token's SHA-256 says whether it still counts. Without
"remember me" the session ends after 30 idle minutes or 12 hours, and the
cookie dies with the browser; with it, the cookie and the session last 30 days.
Sign-out, a password reset and disabling the account end sessions on the server.

Views: ``@customer_only`` (portal.core.access) on pages that need a signed-in
customer — anonymous visitors are sent to the sign-in page with ``next`` — and
``current_customer()`` for pages that only adapt to one.
"""
from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.core import tokens
from portal.core.errors import wants_json
from portal.core.urls import safe_next
from portal.customers.models import Customer
from portal.customers.tokens import WEB_SESSIONS, remember_for

_UNSET = object()
# What survives the Flask session's rotation at a customer's sign-in and sign-out: the language, and a staff
# sign-in in the same browser (Flask-Login's keys and the staff session id: not the customer's to end).
KEEP_IN_FLASK_SESSION = ("lang", "_user_id", "_fresh", "_id", "sid")

__all__ = ["current_customer", "open_session", "require_customer", "sign_in_url", "sign_out_session"]


def current_customer() -> Customer | None:
    """The customer signed in on this browser (looked up once per request, cached on ``g``)."""
    cached = g.get("_customer", _UNSET)
    if cached is _UNSET:
        found = tokens.look_up(WEB_SESSIONS, request.cookies.get(current_app.config["CUSTOMER_COOKIE_NAME"]))
        g.customer_session_ended = found.ended
        g._customer_session_id = found.row.id if found.row else None
        cached = g._customer = found.row.customer if found.row else None
    return cached


def open_session(customer: Customer, remember: bool = False) -> str:
    """Open a session for ``customer`` (in the current transaction); the cookie is set on this response.

    A new token at every sign-in (checklist 3); returns it for tests.
    """
    rotate_flask_session()
    _row, token = tokens.issue(WEB_SESSIONS, customer.id, remember=remember, ip=request.remote_addr,
                               user_agent=(request.user_agent.string or "")[:200])
    g._customer = customer
    g._customer_cookie = (token, remember_for() if remember else None)
    return token


def rotate_flask_session() -> None:
    """Start a new Flask session (checklist 3): its CSRF token and the sign-up steps' keys (phone being
    activated, reset grant) from before do not carry over; only ``KEEP_IN_FLASK_SESSION`` does."""
    kept = {key: session[key] for key in KEEP_IN_FLASK_SESSION if key in session}
    session.clear()
    session.update(kept)
    g.pop("csrf_token", None)  # Flask-WTF caches this request's token: the next form gets a new one


def sign_out_session() -> None:
    """End this browser's session on the server (checklist 4) and drop its cookie."""
    session_id = g.get("_customer_session_id")
    if session_id:
        tokens.end(WEB_SESSIONS, session_id, "logout")
    rotate_flask_session()
    g._customer = None
    g._customer_cookie = ("", 0)


def write_cookie(response: Response) -> Response:
    """after_request: set or clear the customer cookie when this request signed in or out."""
    pending = g.get("_customer_cookie")
    if pending is None:
        return response
    token, max_age = pending
    cfg = current_app.config
    name = cfg["CUSTOMER_COOKIE_NAME"]
    if not token:
        response.delete_cookie(name, path="/", httponly=True, samesite="Lax", secure=cfg["SESSION_COOKIE_SECURE"])
    else:
        response.set_cookie(name, token, max_age=max_age, path="/", httponly=True, samesite="Lax",
                            secure=cfg["SESSION_COOKIE_SECURE"])
    return response


ENDED_MESSAGES = {
    "idle": _l("Phiên đăng nhập đã hết hạn do lâu không thao tác. Vui lòng đăng nhập lại."),
    "expired": _l("Phiên đăng nhập đã quá thời gian cho phép. Vui lòng đăng nhập lại."),
    "disabled": _l("Tài khoản của bạn đang bị khóa. Vui lòng liên hệ tổng đài để được hỗ trợ."),
}


def sign_in_url(next_url: str | None = None) -> str:
    """The customer sign-in page, coming back to ``next_url`` (a local path) afterwards."""
    target = safe_next(next_url)
    return url_for("customers.sign_in", next=target) if target else url_for("customers.sign_in")


def require_customer() -> Any:
    """The CUSTOMER access check: let a signed-in customer through, send anyone else to sign in."""
    if current_customer() is not None:
        return None
    ended = g.get("customer_session_ended")
    message = str(ENDED_MESSAGES[ended]) if ended in ENDED_MESSAGES else _("Vui lòng đăng nhập để tiếp tục.")
    if wants_json():
        return jsonify(error={"code": "unauthenticated", "message": message}), 401
    from flask import flash

    flash(message, "warning")
    next_url = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(sign_in_url(next_url))
