"""Concurrent holds through the API (checklist 16): one number, many channels at once → exactly one ticket.

Each thread has its own test client (its own request context, database connection
and transaction), as concurrent requests on a threaded server would. The same
tests run on PostgreSQL in the second pass.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from sqlalchemy import func, select

from portal.holds.models import HoldLine, HoldStatus, HoldTicket
from portal.numbers.models import NumberStatus, PhoneNumber
from tests.partners.conftest import HOLD_BODY

THREADS = 100


def _post_all(app, keys: list[str], headers: dict | None = None, threads: int = THREADS) -> list:
    barrier = Barrier(threads)

    def one(i: int):
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/v1/holds", json=HOLD_BODY,
                               headers={"Authorization": f"Bearer {keys[i % len(keys)]}", **(headers or {})})
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(one, range(threads)))


@pytest.mark.usefixtures("committed_db")
def test_concurrent_holds_of_one_number_make_exactly_one_ticket__checklist_16(app, db, make_partner, stock,
                                                                              monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT_HOLDS", "1000/minute")
    stock("0903126868")
    keys = [make_partner(f"Kênh {n}")[1] for n in range(4)]
    results = _post_all(app, keys)
    statuses = sorted(status for status, _body in results)
    assert statuses == [201] + [409] * (THREADS - 1), statuses
    assert {body["error"]["code"] for status, body in results if status == 409} == {"number_not_available"}
    winner = next(body for status, body in results if status == 201)
    assert db.session.scalar(select(func.count()).select_from(HoldTicket)) == 1
    assert db.session.scalar(select(func.count()).select_from(HoldLine)) == 1
    ticket = db.session.scalar(select(HoldTicket))
    assert ticket.hold_code == winner["hold_code"] and ticket.status == HoldStatus.ACTIVE
    number = db.session.scalar(select(PhoneNumber))
    assert number.status == NumberStatus.HELD and number.hold_ticket_id == ticket.id


@pytest.mark.usefixtures("committed_db")
def test_concurrent_retries_with_one_idempotency_key_make_one_ticket(app, db, make_partner, stock, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT_HOLDS", "1000/minute")
    stock("0903126868")
    _partner, key = make_partner("Kênh A")
    results = _post_all(app, [key], headers={"Idempotency-Key": "order-42"}, threads=50)
    assert {status for status, _body in results} == {201}, results
    assert len({body["hold_code"] for _status, body in results}) == 1
    assert db.session.scalar(select(func.count()).select_from(HoldTicket)) == 1
    assert db.session.scalar(select(func.count()).select_from(HoldLine)) == 1
