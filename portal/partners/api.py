"""The partner API under /api/v1 (E-3.1, E-3.2): search numbers, hold them, look up and cancel holds.

A sales channel authenticates with ``Authorization: Bearer <key>`` and sees only
its own hold tickets (another channel's are "not found", checklist 19). Limits
apply per key (per address before a key is known); every refusal is
``{"error": {"code", "message"}}`` with a stable code (openapi.ERRORS).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from sqlalchemy.exc import IntegrityError

from portal.core.access import authenticated_by, public
from portal.core.api import Unauthorized, bearer_token, idempotency_key, iso, json_blueprint, json_body, string_field
from portal.core.errors import Invalid, NotFound, PortalError
from portal.extensions import db, limiter
from portal.holds import services as holds
from portal.holds.models import HoldStatus, HoldTicket
from portal.numbers import api as numbers_api
from portal.numbers.formatting import normalize_number
from portal.partners import openapi
from portal.partners.models import Partner
from portal.partners.services import authenticate

# No cookies, no forms: the Bearer key is the credential (CSRF-exempt, JSON errors, bounded bodies).
api_bp = json_blueprint("api", __name__, url_prefix="/api/v1")

HOLD_CODE = re.compile(r"[A-Z0-9]{1,14}")
HOLD_ATTEMPTS = 3  # an idempotency race or a hold-code collision is retried (the retry finds the winner)


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


# --- input -----------------------------------------------------------------------------------------------------

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


# --- output ----------------------------------------------------------------------------------------------------

def hold_json(ticket: HoldTicket) -> dict[str, Any]:
    # An unpaid hold past its time is expired, whether or not the sweeper has run yet.
    status = HoldStatus.EXPIRED if ticket.status == HoldStatus.ACTIVE and not ticket.is_live else ticket.status
    return {"hold_code": ticket.hold_code, "number": ticket.numbers[0], "numbers": ticket.numbers,
            "status": status.value, "sim_type": ticket.sim_type.value, "amount": ticket.amount,
            "expires_at": iso(ticket.expires_at), "created_at": iso(ticket.created_at)}


# --- numbers ---------------------------------------------------------------------------------------------------

@api_bp.get("/numbers")
@authenticated_by("partner")
@partner_call(SEARCH)
def list_numbers(partner: Partner):
    return numbers_api.by_conditions(f"partner:{partner.id}")


@api_bp.get("/numbers/by-name")
@authenticated_by("partner")
@partner_call(SEARCH)
def numbers_by_name(partner: Partner):
    return numbers_api.by_name(f"partner:{partner.id}")


@api_bp.get("/numbers/feng-shui")
@authenticated_by("partner")
@partner_call(SEARCH)
def numbers_feng_shui(partner: Partner):
    return numbers_api.feng_shui(f"partner:{partner.id}")


@api_bp.get("/numbers/pairs")
@authenticated_by("partner")
@partner_call(SEARCH)
def number_pairs(partner: Partner):
    return numbers_api.pairs(f"partner:{partner.id}")


# --- holds -----------------------------------------------------------------------------------------------------

@api_bp.post("/holds")
@authenticated_by("partner")
@partner_call(HOLD_WRITES)
def create_hold(partner: Partner):
    body = json_body()
    numbers = _hold_numbers(body)
    phone, sim_type = string_field(body, "customer_phone"), string_field(body, "sim_type")
    key = idempotency_key()
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
