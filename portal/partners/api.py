"""The partner API under /api/v1 (E-3.1, E-3.2): search numbers, hold them, look up and cancel holds.

A sales channel authenticates with ``Authorization: Bearer <key>`` and sees only
its own hold tickets (another channel's are "not found", checklist 19). Limits
apply per key (per address before a key is known); every refusal is
``{"error": {"code", "message"}}`` with a stable code (openapi.ERRORS).
"""
from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from sqlalchemy.exc import IntegrityError

from portal.core.access import authenticated_by, public
from portal.core.digits import normalize
from portal.core.errors import Invalid, NotFound, PortalError, error_response
from portal.extensions import csrf, db, limiter
from portal.holds import services as holds
from portal.holds.models import HoldStatus, HoldTicket
from portal.numbers.classes import CLASS_LABELS
from portal.numbers.formatting import format_number, normalize_number
from portal.numbers.models import PhoneNumber
from portal.numbers.search import (
    NumberQuery,
    SearchPage,
    search_by_name,
    search_feng_shui,
    search_numbers,
    search_pairs,
)
from portal.partners import openapi
from portal.partners.models import Partner
from portal.partners.services import authenticate, bearer_token

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(api_bp)  # no cookies, no forms: the Bearer key is the credential

INTEGER = re.compile(r"-?[0-9]{1,12}")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
HOLD_CODE = re.compile(r"[A-Z0-9]{1,14}")
IDEMPOTENCY_KEY = re.compile(r"[!-~]{1,80}")  # printable ASCII, no spaces
HOLD_ATTEMPTS = 3  # an idempotency race or a hold-code collision is retried (the retry finds the winner)


class Unauthorized(PortalError):
    status = 401


# --- authentication and limits ---------------------------------------------------------------------------------

def current_partner() -> Partner | None:
    """The partner of this request's Bearer key (looked up once per request).

    Kept in the request's environ rather than ``g``: ``g`` belongs to the app
    context, which a request shares with an app context already pushed (tests).
    """
    if "portal.api_partner" not in request.environ:
        request.environ["portal.api_partner"] = authenticate(bearer_token(request.headers.get("Authorization")))
    return request.environ["portal.api_partner"]


def _rate_key() -> str:
    partner = current_partner()
    return f"partner:{partner.id}" if partner else f"addr:{get_remote_address()}"


def _config(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


# Shared scopes: the limit counts every endpoint of its kind together, per key.
SEARCH = limiter.shared_limit(_config("API_RATE_LIMIT_SEARCH"), scope="api-search", key_func=_rate_key)
HOLD_WRITES = limiter.shared_limit(_config("API_RATE_LIMIT_HOLDS"), scope="api-holds", key_func=_rate_key)
# Guessing hold codes: only the misses count, and once over the limit every look-up waits.
HOLD_MISSES = limiter.shared_limit(_config("API_RATE_LIMIT_HOLD_MISSES"), scope="api-hold-misses",
                                   key_func=_rate_key, deduct_when=lambda response: response.status_code == 404)
AUTH_FAILURES = limiter.shared_limit(_config("API_RATE_LIMIT_AUTH_FAILURES"), scope="api-auth-failures",
                                     key_func=lambda: f"addr:{get_remote_address()}",
                                     deduct_when=lambda response: response.status_code == 401,
                                     exempt_when=lambda: current_partner() is not None)


def partner_call(*limits: Any) -> Callable:
    """Refuse a missing, unknown or revoked key (401), apply ``limits``, and hand the view its partner."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def call(*args: Any, **kwargs: Any):
            partner = current_partner()
            if partner is None:
                raise Unauthorized("unauthorized", _("Thiếu khóa API, khóa không đúng hoặc đã bị thu hồi."))
            return view(partner, *args, **kwargs)

        for limit in (*limits, AUTH_FAILURES):
            call = limit(call)
        return call

    return decorate


@api_bp.before_request
def limit_body() -> None:
    request.max_content_length = current_app.config["API_MAX_BODY_BYTES"]


@api_bp.errorhandler(Unauthorized)
def unauthorized_response(exc: Unauthorized):
    response, status = error_response(401, exc.code, exc.message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response, status


@api_bp.errorhandler(429)
def rate_limited_response(_exc: Exception):
    return error_response(429, "rate_limited", _("Vượt quá giới hạn số yêu cầu. Vui lòng thử lại sau."))


# --- input -----------------------------------------------------------------------------------------------------

def _text(name: str) -> str:
    return request.args.get(name, "")


def _choice(name: str, code: str) -> str | None:
    """A parameter with a fixed set of values: absent is "any", empty is a mistake (the services check the rest)."""
    value = request.args.get(name)
    if value == "":
        raise Invalid(code, _("Tham số “%(p)s” không được để trống.", p=name))
    return value


def _integer(name: str, default: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return default
    raw = normalize(raw[:40])  # full-width digits are digits; other scripts' are not (portal.core.digits)
    if not INTEGER.fullmatch(raw):
        raise Invalid("bad_parameter", _("Tham số “%(p)s” phải là số nguyên.", p=name))
    return int(raw)


def _paging() -> dict[str, int]:
    return {"page": _integer("page", 1), "per_page": _integer("per_page", 20)}


def _birth_date() -> dt.date:
    raw = normalize(_text("birth_date")[:40])
    try:
        if not ISO_DATE.fullmatch(raw):
            raise ValueError(raw)
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise Invalid("bad_birth_date", _("Ngày sinh phải có dạng YYYY-MM-DD, ví dụ 1990-05-17.")) from None


def json_body() -> dict[str, Any]:
    data = request.get_data(cache=True)  # 413 past API_MAX_BODY_BYTES
    try:
        body = json.loads(data)
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        raise PortalError("bad_json", _("Nội dung yêu cầu phải là một đối tượng JSON hợp lệ."), status=400)
    return body


def string_field(body: dict[str, Any], name: str) -> str:
    if name not in body:
        raise Invalid("missing_field", _("Thiếu trường “%(f)s”.", f=name))
    if not isinstance(body[name], str):
        raise Invalid("bad_field_type", _("Trường “%(f)s” phải là chuỗi.", f=name))
    return body[name]


def _hold_numbers(body: dict[str, Any]) -> list[str]:
    """``numbers`` for a pair, ``number`` for one; both may be sent if ``number`` is one of ``numbers``."""
    if "numbers" not in body:
        return [string_field(body, "number")]
    numbers = body["numbers"]
    if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
        raise Invalid("bad_field_type", _("Trường “numbers” phải là mảng các chuỗi."))
    if "number" in body and normalize_number(string_field(body, "number")) not in {
            normalize_number(n) for n in numbers}:
        raise Invalid("bad_numbers", _("Trường “number” phải là một trong các số của “numbers”."))
    return numbers


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.fullmatch(key.strip()):
        raise Invalid("bad_idempotency_key", _("Idempotency-Key gồm 1–80 ký tự ASCII in được, không có khoảng trắng."))
    return key.strip() if key is not None else None


# --- output ----------------------------------------------------------------------------------------------------

def iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") + "Z" if moment else None


def number_json(n: PhoneNumber) -> dict[str, Any]:
    return {"number": n.number, "display": format_number(n.number), "class": n.number_class,
            "class_label": CLASS_LABELS.get(n.number_class, n.number_class), "price": n.price, "region": n.region_id}


def hold_json(ticket: HoldTicket) -> dict[str, Any]:
    # An unpaid hold past its time is expired, whether or not the sweeper has run yet.
    status = HoldStatus.EXPIRED if ticket.status == HoldStatus.ACTIVE and not ticket.is_live else ticket.status
    return {"hold_code": ticket.hold_code, "number": ticket.numbers[0], "numbers": ticket.numbers,
            "status": status.value, "sim_type": ticket.sim_type.value, "amount": ticket.amount,
            "expires_at": iso(ticket.expires_at), "created_at": iso(ticket.created_at)}


def _page(result: SearchPage, items: list[dict[str, Any]], **extra: Any) -> Response:
    return jsonify(items=items, page=result.page, per_page=result.per_page, total=result.total,
                   total_capped=result.total_capped, **extra)


# --- numbers ---------------------------------------------------------------------------------------------------

@api_bp.get("/numbers")
@authenticated_by("partner")
@partner_call(SEARCH)
def list_numbers(partner: Partner):
    query = NumberQuery(
        pattern=_text("pattern"), prefix=_text("prefix"), contains=_text("contains"), ends_with=_text("ends_with"),
        avoid=_text("avoid"), number_class=_choice("class", "bad_class") or "", min_price=_integer("min_price"),
        max_price=_integer("max_price"), sort=_choice("sort", "bad_sort") or "price", **_paging(),
    )
    result = search_numbers(query)
    return _page(result, [number_json(n) for n in result.items])


@api_bp.get("/numbers/by-name")
@authenticated_by("partner")
@partner_call(SEARCH)
def numbers_by_name(partner: Partner):
    result = search_by_name(_text("name"), sort=_choice("sort", "bad_sort") or "price", **_paging())
    return _page(result, [number_json(n) for n in result.items], digits=result.extra["digits"])


@api_bp.get("/numbers/feng-shui")
@authenticated_by("partner")
@partner_call(SEARCH)
def numbers_feng_shui(partner: Partner):
    result = search_feng_shui(_birth_date(), **_paging())
    items = [{**number_json(s.number), "score": s.score, "reasons": s.reasons} for s in result.items]
    return _page(result, items, element=result.extra.get("element"), can_chi=result.extra.get("can_chi"))


@api_bp.get("/numbers/pairs")
@authenticated_by("partner")
@partner_call(SEARCH)
def number_pairs(partner: Partner):
    result = search_pairs(_choice("kind", "bad_pair_kind"), **_paging())
    items = [{"kind": pair.kind.value, "kind_label": pair.kind.label, "numbers": [number_json(a), number_json(b)],
              "price": a.price + b.price} for pair, a, b in result.items]
    return _page(result, items)


# --- holds -----------------------------------------------------------------------------------------------------

@api_bp.post("/holds")
@authenticated_by("partner")
@partner_call(HOLD_WRITES)
def create_hold(partner: Partner):
    body = json_body()
    numbers = _hold_numbers(body)
    phone, sim_type = string_field(body, "customer_phone"), string_field(body, "sim_type")
    key = _idempotency_key()
    for attempt in range(1, HOLD_ATTEMPTS + 1):
        try:
            ticket, replayed = holds.hold_numbers(numbers, phone, sim_type, partner.channel, partner, key)
            db.session.commit()
            break
        except IntegrityError:
            # Another request with this Idempotency-Key committed first, or two hold codes collided:
            # start again, and the service finds the first ticket (or draws a new code).
            db.session.rollback()
            if attempt == HOLD_ATTEMPTS:
                raise
        except PortalError:
            db.session.rollback()
            raise
    response = jsonify(hold_json(ticket))
    response.status_code = 201
    response.headers["Location"] = url_for("partners.api.get_hold", hold_code=ticket.hold_code)
    response.headers["Idempotent-Replayed"] = "true" if replayed else "false"
    return response


def _own_ticket(hold_code: str, partner: Partner) -> HoldTicket:
    if not HOLD_CODE.fullmatch(holds.normalize_hold_code(hold_code)):
        raise NotFound("hold_not_found", _("Không tìm thấy phiếu giữ số."))  # no odd bytes reach SQL
    return holds.ticket_for_channel(hold_code, partner.channel)


@api_bp.get("/holds/<hold_code>")
@authenticated_by("partner")
@partner_call(SEARCH, HOLD_MISSES)
def get_hold(partner: Partner, hold_code: str):
    return jsonify(hold_json(_own_ticket(hold_code, partner)))


@api_bp.delete("/holds/<hold_code>")
@authenticated_by("partner")
@partner_call(HOLD_WRITES, HOLD_MISSES)
def cancel_hold(partner: Partner, hold_code: str):
    ticket = _own_ticket(hold_code, partner)
    if ticket.status == HoldStatus.CANCELLED:
        return jsonify(hold_json(ticket))  # a retried DELETE: already done, nothing changes
    try:  # a paid hold is cancelled only with its order (and refund): hold_paid
        holds.cancel_hold(ticket, partner, _("Kênh bán hàng hủy qua API"))
    except PortalError:
        db.session.rollback()
        raise
    db.session.commit()
    return jsonify(hold_json(ticket))


# --- documentation ---------------------------------------------------------------------------------------------

def _limits() -> dict[str, str]:
    config = current_app.config
    return {"search": config["API_RATE_LIMIT_SEARCH"], "holds": config["API_RATE_LIMIT_HOLDS"],
            "misses": config["API_RATE_LIMIT_HOLD_MISSES"], "auth": config["API_RATE_LIMIT_AUTH_FAILURES"],
            "body": f"{config['API_MAX_BODY_BYTES'] // 1024} KB"}


@api_bp.get("/openapi.json")
@public
def openapi_json():
    return jsonify(openapi.document())


@api_bp.get("/docs")
@public
def docs():
    origin = current_app.config.get("PUBLIC_ORIGIN") or request.host_url.rstrip("/")
    return render_template("partners/api_docs.html", spec=openapi.document(), errors=openapi.ERRORS,
                           base_url=origin + url_for(".openapi_json").rsplit("/", 1)[0], limits=_limits())
