"""Deny by default: every endpoint declares who may use it.

``@allow(Role.X, ...)`` for staff, ``@public`` for pages anyone may open,
``@customer_only`` for the customer site's pages that need a signed-in
customer (the check is registered by portal.customers: a redirect to the
customer sign-in), and ``@authenticated_by("partner")`` for endpoints that
check their own credentials (API keys, app bearer tokens, signed callbacks). ``enforce`` runs before every
request; an endpoint with no policy answers 403 and fails the role × route
test. Region scoping lives here too: staff see their region's records only,
head office sees all, and a look at a foreign record is a 404 with an audit row.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import abort, current_app, request
from flask_login import current_user
from sqlalchemy import Select

from portal.core.roles import ALL_STAFF, Role
from portal.extensions import db

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
PUBLIC = "public"
CUSTOMER = "customer"
# Policies whose check lives in a domain (policy → function returning None to let the request through, or a
# response). A policy without a registered check refuses everyone.
_CHECKS: dict[str, Callable[[], Any]] = {}


def allow(*roles: Role, head_office: Iterable[Role] = ()) -> Callable[[F], F]:
    """Staff with one of ``roles`` may use this endpoint (none given: any staff); those whose role is in
    ``head_office`` only if they work at head office (records without a region, e.g. customer accounts)."""

    def mark(view: F) -> F:
        return _mark(view, access_policy=frozenset(roles) or ALL_STAFF, access_head_office=frozenset(head_office))

    return mark


def _mark(view: F, **marks: object) -> F:
    """Write the view's policy on the function itself (``policy_of`` reads it back)."""
    for name, value in marks.items():
        setattr(view, name, value)
    return view


def public(view: F) -> F:
    """Anyone may use this endpoint (sign-in page, health check)."""
    return _mark(view, access_policy=PUBLIC)


def customer_only(view: F) -> F:
    """A signed-in customer of the customer site may use this endpoint (staff sign-in does not count)."""
    return _mark(view, access_policy=CUSTOMER)


def register_check(policy: str, check: Callable[[], Any]) -> None:
    """Let a domain supply the check of a non-staff policy (portal.customers registers CUSTOMER)."""
    _CHECKS[policy] = check


def authenticated_by(scheme: str) -> Callable[[F], F]:
    """The endpoint authenticates its caller itself (API key, signed callback)."""

    def mark(view: F) -> F:
        return _mark(view, access_policy=f"scheme:{scheme}")

    return mark


def policy_of(endpoint: str | None) -> Any:
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, "access_policy", None)


def head_office_roles(endpoint: str | None) -> frozenset[Role]:
    """The roles that may use ``endpoint`` only at head office."""
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, "access_head_office", frozenset())


def enforce() -> Any:
    """before_request: apply the endpoint's declared policy (a response returned here ends the request)."""
    if request.endpoint is None:  # no route matched: Flask answers 404/405
        return None
    policy = policy_of(request.endpoint)
    if policy is None:
        log.error("endpoint %s declares no access policy; denied", request.endpoint)
        abort(403)
    if policy == PUBLIC or (isinstance(policy, str) and policy.startswith("scheme:")):
        return None
    if isinstance(policy, str):
        check = _CHECKS.get(policy)
        if check is None:
            log.error("endpoint %s: no check registered for policy %s; denied", request.endpoint, policy)
            abort(403)
        return check()
    if not current_user.is_authenticated:
        abort(401)
    if current_user.role not in policy or (current_user.role in head_office_roles(request.endpoint)
                                           and not current_user.is_head_office):
        from portal.core.audit import audit_now

        audit_now("access.forbidden", detail={"endpoint": request.endpoint, "path": request.path})
        abort(403)
    return None


def may_open(endpoint: str) -> bool:
    """Whether the signed-in staff member's role may use ``endpoint`` (templates show links and buttons by it)."""
    policy = policy_of(endpoint)
    return isinstance(policy, frozenset) and current_user.is_authenticated and current_user.role in policy


def sees_region(region_id: int | None) -> bool:
    """Whether the signed-in staff member may see a record of ``region_id``."""
    return current_user.is_authenticated and (current_user.is_head_office or current_user.region_id == region_id)


def in_region(stmt: Select, column: Any) -> Select:
    """Limit a query to the signed-in staff member's region (head office: all)."""
    if current_user.is_head_office:
        return stmt
    return stmt.where(column == current_user.region_id)


def get_in_region_or_404(model: type, ident: Any, region_of: Callable[[Any], int | None] | None = None) -> Any:
    """Load a record by id; a foreign region's record is a 404 with an audit row (checklist 11)."""
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    region_id = region_of(obj) if region_of else obj.region_id
    if not sees_region(region_id):
        from portal.core.audit import audit_now

        audit_now("access.denied_region", obj, region_id=region_id, detail={"path": request.path})
        abort(404)
    return obj
