"""Security headers on every response (checklist 32), with a per-request CSP nonce."""
from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request

F = TypeVar("F", bound=Callable[..., Any])


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def _headers(response: Response) -> Response:
    nonce = csp_nonce()
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
        "connect-src 'self'; font-src 'self'; form-action 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Permissions-Policy"] = "geolocation=(), payment=()"
    if request.endpoint != "static":
        # Staff pages carry personal data: never store them in a cache.
        response.headers["Cache-Control"] = "no-store"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response


def body_limit(setting: str, overhead: int = 0) -> Callable[[F], F]:
    """This route takes bodies larger than ``MAX_CONTENT_LENGTH`` (a photo upload): the setting's bytes plus
    ``overhead`` (the multipart envelope). Anything larger is refused before it is read (413)."""

    def mark(view: F) -> F:
        view.body_limit = (setting, overhead)  # type: ignore[attr-defined]  # a mark on the function, read back
        return view

    return mark


def apply_body_limit() -> None:
    """before_request, ahead of the CSRF check (which reads the body): the route's own limit, if it declares one."""
    view = current_app.view_functions.get(request.endpoint or "")
    declared = getattr(view, "body_limit", None)
    if declared:
        setting, overhead = declared
        request.max_content_length = current_app.config[setting] + overhead


def register(app: Flask) -> None:
    app.after_request(_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
