"""JSON API plumbing shared by the partner API (/api/v1) and the app API (/api/app/v1).

A blueprint from ``json_blueprint`` is CSRF-exempt (a bearer credential, no cookie), bounds its bodies
(``API_MAX_BODY_BYTES``: 413 ``too_large``), answers ``Unauthorized`` with 401 and ``WWW-Authenticate``, and a
rate limit with 429 ``rate_limited``. The readers below refuse bad input with stable codes; every refusal is
``{"error": {"code", "message"}}`` (``portal.core.errors``). Digits are ASCII digits only (``[0-9]``, never
the digit class of regular expressions, which also matches Arabic-Indic and other digits).
"""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, Protocol, overload

from flask import Blueprint, Response, current_app, jsonify, make_response, request
from flask_babel import gettext as _

from portal.core.digits import normalize
from portal.core.errors import ErrorAnswer, Invalid, PortalError, error_response
from portal.extensions import csrf

INTEGER = re.compile(r"-?[0-9]{1,12}")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
IDEMPOTENCY_KEY = re.compile(r"[!-~]{1,80}")  # printable ASCII, no spaces


class Unauthorized(PortalError):
    """401 with a stable code; the blueprint's handler adds ``WWW-Authenticate``."""

    status = 401


def json_blueprint(name: str, import_name: str, url_prefix: str | None = None) -> Blueprint:
    """A blueprint of JSON endpoints: CSRF-exempt, bounded bodies, 401 with WWW-Authenticate, 429 rate_limited."""
    bp = Blueprint(name, import_name, url_prefix=url_prefix)
    csrf.exempt(bp)
    bp.before_request(limit_body)
    bp.register_error_handler(Unauthorized, unauthorized_response)
    bp.register_error_handler(429, rate_limited_response)
    return bp


def limit_body() -> None:
    request.max_content_length = current_app.config["API_MAX_BODY_BYTES"]


def unauthorized_response(exc: Unauthorized) -> tuple[Response, int]:
    body, status = error_response(401, exc.code, exc.message)
    response = make_response(body)
    response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response, status


def rate_limited_response(_exc: Exception) -> ErrorAnswer:
    return error_response(429, "rate_limited", _("Vượt quá giới hạn số yêu cầu. Vui lòng thử lại sau."))


def bearer_token(header: str | None) -> str | None:
    """The credentials of an ``Authorization: Bearer <token>`` header (scheme case-insensitive)."""
    scheme, _sep, token = (header or "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


# --- the body --------------------------------------------------------------------------------------------------

def json_body() -> dict[str, Any]:
    """The request's JSON object; 400 ``bad_json`` for anything else."""
    data = request.get_data(cache=True)  # 413 past API_MAX_BODY_BYTES
    try:
        body = json.loads(data)
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        raise PortalError("bad_json", _("Nội dung yêu cầu phải là một đối tượng JSON hợp lệ."), status=400)
    return body


def string_field(body: dict[str, Any], name: str) -> str:
    """A required string field: 422 ``missing_field`` or ``bad_field_type``."""
    if name not in body:
        raise Invalid("missing_field", _("Thiếu trường “%(f)s”.", f=name))
    if not isinstance(body[name], str):
        raise Invalid("bad_field_type", _("Trường “%(f)s” phải là chuỗi.", f=name))
    return body[name]


def idempotency_key() -> str | None:
    """The ``Idempotency-Key`` header, stripped: 1–80 printable ASCII characters (422 ``bad_idempotency_key``)."""
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.fullmatch(key.strip()):
        raise Invalid("bad_idempotency_key", _("Idempotency-Key gồm 1–80 ký tự ASCII in được, không có khoảng trắng."))
    return key.strip() if key is not None else None


# --- query parameters ------------------------------------------------------------------------------------------

def text_arg(name: str) -> str:
    return request.args.get(name, "")


def choice_arg(name: str, code: str) -> str | None:
    """A parameter with a fixed set of values: absent is "any", empty is a mistake (the services check the rest)."""
    value = request.args.get(name)
    if value == "":
        raise Invalid(code, _("Tham số “%(p)s” không được để trống.", p=name))
    return value


@overload
def int_arg(name: str, default: int) -> int: ...
@overload
def int_arg(name: str, default: None = None) -> int | None: ...
def int_arg(name: str, default: int | None = None) -> int | None:
    """A whole number of up to 12 digits, maybe negative (the services check the range): 422 ``bad_parameter``.
    Full-width digits are read as ASCII, other scripts' refused (``core.digits``)."""
    raw = request.args.get(name)
    if raw is None:
        return default
    raw = normalize(raw[:40])
    if not INTEGER.fullmatch(raw):
        raise Invalid("bad_parameter", _("Tham số “%(p)s” phải là số nguyên.", p=name))
    return int(raw)


def date_arg(name: str, code: str, message: str) -> dt.date:
    """A YYYY-MM-DD date (digits as ``int_arg``); ``code`` and ``message`` when it is missing or wrong."""
    raw = normalize(text_arg(name)[:40])
    try:
        if not ISO_DATE.fullmatch(raw):
            raise ValueError(raw)
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise Invalid(code, message) from None


def paging() -> dict[str, int]:
    """``page`` and ``per_page`` (default 1 and 20; the search checks their range)."""
    return {"page": int_arg("page", 1), "per_page": int_arg("per_page", 20)}


# --- answers ---------------------------------------------------------------------------------------------------

class Page(Protocol):
    page: int
    per_page: int
    total: int
    total_capped: bool


def page_json(result: Page, items: list[dict[str, Any]], **extra: Any) -> Response:
    """One page of results: ``items``, ``page``, ``per_page``, ``total``, ``total_capped`` and ``extra``."""
    return jsonify(items=items, page=result.page, per_page=result.per_page, total=result.total,
                   total_capped=result.total_capped, **extra)


def iso(moment: dt.datetime | None) -> str | None:
    """A naive UTC moment as ISO 8601 with a Z, to the second."""
    return moment.isoformat(timespec="seconds") + "Z" if moment else None
