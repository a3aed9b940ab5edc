"""Errors with stable codes, and the pages and JSON bodies that show them.

Services raise these; the handlers below turn them into a Vietnamese page for
people and ``{"error": {"code", "message"}}`` for API clients.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, g, jsonify, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from redis.exceptions import RedisError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from portal.core.i18n import csrf_message

log = logging.getLogger(__name__)


class PortalError(Exception):
    """A refusal the user should read; ``code`` is stable for API clients."""

    status = 400

    def __init__(self, code: str, message: str, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        if status is not None:
            self.status = status


class Invalid(PortalError):
    status = 422


class FieldErrors(Invalid):
    """The form is wrong in these fields: ``fields`` maps a field name to (code, message)."""

    def __init__(self, fields: dict[str, tuple[str, str]]):
        first_code, first_message = next(iter(fields.values()))
        super().__init__("invalid_fields" if len(fields) > 1 else first_code, first_message)
        self.fields = fields

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message,
                "fields": {name: {"code": code, "message": message} for name, (code, message) in self.fields.items()}}

    def show_on(self, form: Any) -> None:
        """Put each message beside its field of a WTForms ``form`` (a field the form lacks: above the form)."""
        for name, (_code, message) in self.fields.items():
            field = getattr(form, name, None)
            if field is not None and hasattr(field, "errors"):
                field.errors = [*field.errors, message]
            else:
                form.form_errors.append(message)


class Forbidden(PortalError):
    status = 403


class NotFound(PortalError):
    status = 404


class Conflict(PortalError):
    status = 409


class TooManyAttempts(PortalError):
    status = 429


# Vietnamese first: what each status means to the person in front of the screen.
MESSAGES = {
    400: ("bad_request", _l("Yêu cầu không hợp lệ.")),
    401: ("unauthenticated", _l("Vui lòng đăng nhập để tiếp tục.")),
    403: ("forbidden", _l("Bạn không có quyền thực hiện thao tác này.")),
    404: ("not_found", _l("Không tìm thấy trang hoặc hồ sơ bạn yêu cầu.")),
    405: ("method_not_allowed", _l("Phương thức không được hỗ trợ.")),
    409: ("conflict", _l("Thao tác xung đột với trạng thái hiện tại.")),
    413: ("too_large", _l("Dữ liệu gửi lên quá lớn.")),
    422: ("invalid", _l("Dữ liệu không hợp lệ.")),
    429: ("too_many_requests", _l("Bạn thao tác quá nhanh. Vui lòng thử lại sau ít phút.")),
    500: ("internal_error", _l("Đã có lỗi xảy ra. Vui lòng thử lại sau.")),
    503: ("unavailable", _l("Hệ thống tạm thời gián đoạn. Vui lòng thử lại sau ít phút.")),
}


# The answer to a 401 from a staff page (the sign-in form, saying why): portal.auth registers it.
_unauthenticated: Callable[[], Any] | None = None


def register_unauthenticated(answer: Callable[[], Any]) -> None:
    """Let a domain answer 401 (``abort(401)``: no signed-in staff member); without one, the plain error page."""
    global _unauthenticated
    _unauthenticated = answer


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.path == "/healthz":
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


ErrorAnswer = tuple[Response | str, int]  # a JSON body or a rendered page, with its status


def error_response(status: int, code: str | None = None, message: str | None = None) -> ErrorAnswer:
    default_code, default_message = MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
    code = code or default_code
    message = str(message or default_message)
    if wants_json():
        return jsonify(error={"code": code, "message": message}), status
    return render_template("errors.html", status=status, code=code, message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(PortalError)
    def _portal_error(exc: PortalError) -> ErrorAnswer:
        return error_response(exc.status, exc.code, exc.message)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> ErrorAnswer:
        return error_response(400, "csrf_failed", csrf_message())

    @app.errorhandler(RateLimitExceeded)
    def _rate_limited(exc: RateLimitExceeded) -> ErrorAnswer:
        return error_response(429)  # its description is the limit itself, in English ("60 per 1 minute")

    @app.errorhandler(RedisError)
    def _redis_down(exc: RedisError) -> ErrorAnswer:
        log.error("redis unavailable: %s", type(exc).__name__)
        return error_response(503)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> ResponseReturnValue:
        if exc.code == 401 and _unauthenticated is not None:
            return _unauthenticated()
        status = exc.code or 500
        # abort(404, description=...) keeps Werkzeug's English default otherwise.
        custom = exc.description if exc.description != type(exc).description else None
        response, status = error_response(status, None, custom)
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            allow = make_response(response)
            allow.headers["Allow"] = ", ".join(exc.valid_methods)
            return allow, status
        return response, status

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ErrorAnswer:
        log.exception("unhandled error (request %s)", getattr(g, "request_id", "-"))
        return error_response(500)
