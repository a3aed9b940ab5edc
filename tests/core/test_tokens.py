"""One token-session mechanism (portal.core.tokens) behind staff sessions, customer sessions and app tokens."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.core import tokens
from portal.core.time import utcnow
from portal.core.tx import run_independent_writes
from portal.customers.models import CustomerApiToken, CustomerSession, CustomerStatus
from portal.customers.tokens import APP_TOKENS, WEB_SESSIONS, end_everywhere


def _issue(db, kind, customer, **columns):
    row, token = tokens.issue(kind, customer.id, **columns)
    db.session.commit()
    return row, token


def _app_token(db, customer, days: int = 90):
    return _issue(db, APP_TOKENS, customer, expires_at=utcnow() + timedelta(days=days))


def test_only_the_sha256_of_a_token_is_stored(db, make_customer):
    row, token = _app_token(db, make_customer())
    assert token.startswith("csa_") and row.id == tokens.digest(token) and token not in row.id
    assert tokens.look_up(APP_TOKENS, token).row.id == row.id


def test_malformed_unknown_and_foreign_tokens_find_nothing(db, make_customer):
    customer, other = make_customer(), make_customer()
    _row, token = _app_token(db, customer)
    for wrong in (None, "", token + "x", token[4:], "cso_" + token[4:], "csa_" + "x" * 43):
        assert tokens.look_up(APP_TOKENS, wrong) == tokens.Lookup()
    assert tokens.look_up(APP_TOKENS, token, owner_id=other.id) == tokens.Lookup()
    assert tokens.look_up(APP_TOKENS, token, owner_id=str(customer.id)).row is not None


def test_a_token_past_its_absolute_end_is_ended_as_expired(db, make_customer):
    row, token = _app_token(db, make_customer())
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert tokens.look_up(APP_TOKENS, token) == tokens.Lookup(ended="expired")
    run_independent_writes()
    db.session.expire_all()
    assert db.session.get(CustomerApiToken, row.id).revoked_reason == "expired"
    assert tokens.look_up(APP_TOKENS, token) == tokens.Lookup(ended="expired")  # and stays ended


def test_a_disabled_owner_ends_the_token_for_good(db, make_customer):
    customer = make_customer()
    row, token = _app_token(db, customer)
    customer.status = CustomerStatus.DISABLED
    db.session.commit()
    assert tokens.look_up(APP_TOKENS, token).ended == "disabled"
    run_independent_writes()
    customer.status = CustomerStatus.ACTIVE  # re-enabled: signing in again gives a new token, the old one is over
    db.session.commit()
    assert tokens.look_up(APP_TOKENS, token) == tokens.Lookup(ended="disabled")


def test_an_idle_session_ends_but_remember_me_waits_for_its_days(db, make_customer, app):
    customer = make_customer()
    plain, plain_token = _issue(db, WEB_SESSIONS, customer)
    kept, kept_token = _issue(db, WEB_SESSIONS, customer, remember=True)
    for row in (plain, kept):
        row.last_seen_at -= timedelta(minutes=app.config["CUSTOMER_SESSION_IDLE_MINUTES"] + 1)
    db.session.commit()
    assert tokens.look_up(WEB_SESSIONS, plain_token).ended == "idle"
    assert tokens.look_up(WEB_SESSIONS, kept_token).row.id == kept.id


def test_last_seen_is_written_at_most_every_touch_interval(db, make_customer):
    row, token = _app_token(db, make_customer())
    recent, stale = utcnow() - timedelta(minutes=4), utcnow() - timedelta(minutes=6)  # APP_TOKENS: every 5 minutes
    for seen, touched in ((recent, False), (stale, True)):
        row.last_used_at = seen
        db.session.commit()
        assert tokens.look_up(APP_TOKENS, token).row is not None
        run_independent_writes()
        db.session.expire_all()
        row = db.session.get(CustomerApiToken, row.id)
        assert (row.last_used_at > seen) is touched


def test_ending_everywhere_ends_sessions_and_app_tokens_of_that_customer_only(db, make_customer):
    customer, other = make_customer(), make_customer()
    _issue(db, WEB_SESSIONS, customer)
    _app_token(db, customer)
    _row, others_token = _app_token(db, other)
    assert end_everywhere(customer, "disabled") == 2
    db.session.commit()
    assert db.session.scalar(select(CustomerSession.ended_reason)) == "disabled"
    assert db.session.scalar(select(CustomerApiToken.revoked_reason).where(
        CustomerApiToken.customer_id == customer.id)) == "disabled"
    assert tokens.look_up(APP_TOKENS, others_token).row is not None
    assert end_everywhere(customer, "disabled") == 0  # nothing left open
