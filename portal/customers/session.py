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

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from flask import Response, current_app, g, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import update

from portal.auth.views import safe_next
from portal.core.errors import wants_json
from portal.core.time import utcnow
from portal.core.tx import independently
from portal.customers.models import Customer, CustomerSession, CustomerStatus
from portal.extensions import db

TOUCH_EVERY = timedelta(minutes=1)
_UNSET = object()
# What survives the Flask session's rotation at a customer's sign-in and sign-out: the language, and a staff
# sign-in in the same browser (Flask-Login's keys and the staff session id: not the customer's to end).
KEEP_IN_FLASK_SESSION = ("lang", "_user_id", "_fresh", "_id", "sid")

__all__ = ["current_customer", "digest", "end_all_sessions", "open_session", "require_customer", "safe_next",
           "sign_in_url", "sign_out_session"]


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _limits(remember: bool) -> tuple[timedelta, timedelta]:
    """(idle, absolute) lifetime of a session."""
    cfg = current_app.config
    if remember:
        days = timedelta(days=cfg["CUSTOMER_REMEMBER_DAYS"])
        return days, days
    return timedelta(minutes=cfg["CUSTOMER_SESSION_IDLE_MINUTES"]), timedelta(hours=cfg["CUSTOMER_SESSION_MAX_HOURS"])


def current_customer() -> Customer | None:
    """The customer signed in on this browser (looked up once per request, cached on ``g``)."""
    cached = g.get("_customer", _UNSET)
    if cached is _UNSET:
        cached = _load(request.cookies.get(current_app.config["CUSTOMER_COOKIE_NAME"]))
        g._customer = cached
    return cached


def _load(token: str | None) -> Customer | None:
    if not token or len(token) > 100:
        return None
    row = db.session.get(CustomerSession, digest(token))
    if row is None or row.ended_at is not None:
        return None
    now = utcnow()
    idle, absolute = _limits(row.remember)
    reason = None
    if now - row.last_seen_at > idle:
        reason = "idle"
    elif now - row.created_at > absolute:
        reason = "expired"
    elif row.customer.status != CustomerStatus.ACTIVE:
        reason = "disabled"
    if reason:
        g.customer_session_ended = reason
        independently(_end, row.id, reason)  # its own transaction: a GET that notices commits nothing else
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        independently(_touch, row.id, now)
    g._customer_session_id = row.id
    return row.customer


def _end(connection, session_id: str, reason: str) -> None:
    connection.execute(update(CustomerSession).where(CustomerSession.id == session_id,
                                                     CustomerSession.ended_at.is_(None))
                       .values(ended_at=utcnow(), ended_reason=reason))


def _touch(connection, session_id: str, now) -> None:
    connection.execute(update(CustomerSession).where(CustomerSession.id == session_id).values(last_seen_at=now))


def open_session(customer: Customer, remember: bool = False) -> str:
    """Open a session for ``customer`` (in the current transaction); the cookie is set on this response.

    A new token at every sign-in (checklist 3); returns it for tests.
    """
    token = secrets.token_urlsafe(32)
    now = utcnow()
    rotate_flask_session()
    db.session.add(CustomerSession(id=digest(token), customer_id=customer.id, remember=remember, created_at=now,
                                   last_seen_at=now, ip=request.remote_addr,
                                   user_agent=(request.user_agent.string or "")[:200]))
    g._customer = customer
    g._customer_cookie = (token, _limits(True)[1] if remember else None)
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
        _end(db.session, session_id, "logout")
    rotate_flask_session()
    g._customer = None
    g._customer_cookie = ("", 0)


def end_all_sessions(customer: Customer, reason: str) -> int:
    """End every open website session of ``customer`` (password reset, account disabled)."""
    result = db.session.execute(update(CustomerSession).where(CustomerSession.customer_id == customer.id,
                                                              CustomerSession.ended_at.is_(None))
                                .values(ended_at=utcnow(), ended_reason=reason))
    return result.rowcount or 0


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
    "idle": "Phiên đăng nhập đã hết hạn do lâu không thao tác. Vui lòng đăng nhập lại.",
    "expired": "Phiên đăng nhập đã quá thời gian cho phép. Vui lòng đăng nhập lại.",
    "disabled": "Tài khoản của bạn đang bị khóa. Vui lòng liên hệ tổng đài để được hỗ trợ.",
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
    message = _(ENDED_MESSAGES[ended]) if ended in ENDED_MESSAGES else _("Vui lòng đăng nhập để tiếp tục.")
    if wants_json():
        return jsonify(error={"code": "unauthenticated", "message": message}), 401
    from flask import flash

    flash(message, "warning")
    next_url = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(sign_in_url(next_url))
