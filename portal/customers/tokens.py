"""A customer's two kinds of sign-in token (``portal.core.tokens``): website sessions and app bearer tokens.

A website session lives in the ``customer_session`` table behind a cookie: 30 idle minutes and 12 hours at most,
or 30 days either way with "remember me". An app token (``csa_…``, one per device) lives in
``customer_api_token`` for ``APP_TOKEN_DAYS`` days, with no idle limit. Both end at sign-out, at a password reset
and when the account is disabled.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy.orm import joinedload

from portal.core.tokens import TokenKind, end_all
from portal.customers.models import Customer, CustomerApiToken, CustomerSession, CustomerStatus


def remember_for() -> timedelta:
    """How long a "remember me" session (and its cookie) lasts."""
    return timedelta(days=current_app.config["CUSTOMER_REMEMBER_DAYS"])


def _web_limits(row: CustomerSession) -> tuple[timedelta, datetime]:
    cfg = current_app.config
    if row.remember:
        return remember_for(), row.created_at + remember_for()
    return (timedelta(minutes=cfg["CUSTOMER_SESSION_IDLE_MINUTES"]),
            row.created_at + timedelta(hours=cfg["CUSTOMER_SESSION_MAX_HOURS"]))


def _active(row: CustomerSession | CustomerApiToken) -> bool:
    return row.customer.status == CustomerStatus.ACTIVE


# The customer is read with the session (one query per request: every customer page needs both).
WEB_SESSIONS = TokenKind(CustomerSession, owner_column="customer_id", limits=_web_limits, owner_active=_active,
                         load=(joinedload(CustomerSession.customer),))
APP_TOKENS = TokenKind(
    CustomerApiToken, owner_column="customer_id", limits=lambda row: (None, row.expires_at), owner_active=_active,
    load=(joinedload(CustomerApiToken.customer),),
    touch_every=timedelta(minutes=5),
    prefix="csa_",  # "Chọn số app": recognisable in a leak, never confused with a partner key (cso_)
    seen_column="last_used_at", ended_column="revoked_at", reason_column="revoked_reason")


def end_everywhere(customer: Customer, reason: str) -> int:
    """End every website session and app token of ``customer`` (password reset, account disabled)."""
    return end_all(WEB_SESSIONS, customer.id, reason) + end_all(APP_TOKENS, customer.id, reason)
