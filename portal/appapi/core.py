"""What every app API endpoint stands on: the blueprint factory, customer bearer tokens, JSON input.

Another domain adds endpoints in its own module::

    # portal/orders/app_api.py
    from portal.appapi import api_blueprint, customer_api
    from portal.appapi import openapi as doc
    from portal.core.api import json_body, string_field

    bp = api_blueprint("orders_app", __name__)        # served under /api/app/v1; list bp in the domain's DOMAIN

    @bp.get("/tickets")
    @customer_api
    def my_tickets(customer):                          # the signed-in customer; 401 before we get here
        ...

    doc.add_operation("/tickets", "get", "listTickets", "Phiếu của tôi", tag="Phiếu",
                      responses={"200": doc.ok("Danh sách phiếu.", "TicketList")})

Errors are ``PortalError``s with stable codes registered in ``openapi.ERRORS``; the JSON plumbing (body and
field readers, paging, Idempotency-Key, 401 and 429 answers) is ``portal.core.api``, shared with the partner API.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from portal.appapi.openapi import PREFIX
from portal.appapi.tokens import authenticate_token
from portal.core.access import authenticated_by
from portal.core.api import Unauthorized, bearer_token, json_blueprint
from portal.customers.models import Customer, CustomerApiToken
from portal.extensions import limiter

__all__ = ["api_blueprint", "app_credentials", "current_api_customer", "current_api_token", "customer_api"]
_ENVIRON_KEY = "portal.app_token"


def current_api_token() -> CustomerApiToken | None:
    """The live token of this request's ``Authorization: Bearer csa_…`` header (looked up once per request)."""
    if _ENVIRON_KEY not in request.environ:
        request.environ[_ENVIRON_KEY] = authenticate_token(bearer_token(request.headers.get("Authorization")))
    return request.environ[_ENVIRON_KEY]


def current_api_customer() -> Customer | None:
    """The customer behind this request's bearer token, or None."""
    token = current_api_token()
    return token.customer if token else None


# Bad tokens from one address are limited (guessing is pointless with 256-bit tokens, but it costs us).
AUTH_FAILURES = limiter.shared_limit(lambda: current_app.config["API_RATE_LIMIT_AUTH_FAILURES"],
                                     scope="app-auth-failures", key_func=lambda: f"addr:{get_remote_address()}",
                                     deduct_when=lambda response: response.status_code == 401,
                                     exempt_when=lambda: current_api_token() is not None)


def customer_api(view: Callable) -> Callable:
    """The endpoint needs a customer's bearer token: 401 ``unauthorized`` without one; the view gets the customer."""

    @wraps(view)
    def call(*args: Any, **kwargs: Any):
        customer = current_api_customer()
        if customer is None:
            raise Unauthorized("unauthorized", _("Thiếu mã truy cập, mã không đúng, đã hết hạn hoặc đã bị thu hồi."))
        return view(customer, *args, **kwargs)

    return authenticated_by("customer_token")(AUTH_FAILURES(call))


def app_credentials(view: Callable) -> Callable:
    """Endpoints that take credentials in the body (register, sign in, OTPs): no token, no cookie, no CSRF."""
    return authenticated_by("app_credentials")(view)


def api_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint served under /api/app/v1 (``portal.core.api.json_blueprint``: CSRF-exempt, JSON errors, bounded
    bodies, 401 with WWW-Authenticate, 429 as "rate_limited")."""
    return json_blueprint(name, import_name, url_prefix=PREFIX)
