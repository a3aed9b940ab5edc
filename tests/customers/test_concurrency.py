"""One-time codes under parallel requests (SQLite and PostgreSQL): guesses cannot share a try, a code works once."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from portal.customers.models import CustomerApiToken, CustomerOtp, CustomerStatus

API = "/api/app/v1"
PHONE = "0903123456"


def _code(app, db, outbox, make_customer) -> str:
    make_customer(PHONE, status=CustomerStatus.PENDING)
    assert app.test_client().post(f"{API}/resend-otp", json={"phone": PHONE, "purpose": "activate"}).status_code == 202
    return outbox.last_otp(PHONE)


@pytest.mark.usefixtures("committed_db")
def test_parallel_wrong_guesses_burn_the_code_just_the_same(app, db, outbox, make_customer):
    """Every try is counted (Redis INCR) before comparing, so twelve guesses at once still burn the code."""
    right = _code(app, db, outbox, make_customer)
    wrong = [f"{(int(right) + i) % 10**6:06d}" for i in range(1, 13)]

    def guess(code: str) -> str:
        return app.test_client().post(f"{API}/activate", json={"phone": PHONE, "otp": code}).get_json()["error"]["code"]

    with ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(guess, wrong))
    assert "otp_burned" in codes and set(codes) <= {"otp_invalid", "otp_burned"}
    late = app.test_client().post(f"{API}/activate", json={"phone": PHONE, "otp": right})
    assert late.status_code == 422
    db.session.expire_all()
    assert db.session.scalar(select(CustomerOtp.used_at)) is not None


@pytest.mark.usefixtures("committed_db")
def test_the_right_code_sent_twice_at_once_activates_once(app, db, outbox, make_customer):
    right = _code(app, db, outbox, make_customer)

    def activate(_):
        return app.test_client().post(f"{API}/activate", json={"phone": PHONE, "otp": right}).status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = sorted(pool.map(activate, range(6)))
    assert statuses == [200] + [422] * 5
    assert len(db.session.scalars(select(CustomerApiToken)).all()) == 1
