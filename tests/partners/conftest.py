"""Partner API fixtures: partners with their keys, a client that sends a key, numbers in stock."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from portal.partners.openapi import ERRORS

CODES = {code: status for code, status, _meaning in ERRORS}
HOLD_BODY = {"number": "0903126868", "customer_phone": "0912345678", "sim_type": "esim"}


@pytest.fixture
def make_partner(db) -> Callable:
    """``make_partner("Shopee")`` → (partner, key), committed."""
    from portal.partners.services import create_partner

    counter = iter(range(1, 10_000))

    def make(name: str | None = None):
        partner, key = create_partner(name or f"Kênh thử {next(counter)}")
        db.session.commit()
        return partner, key

    return make


class Api:
    """A test client that sends one partner's key (or none) with every request."""

    def __init__(self, client, key: str | None):
        self.client, self.key = client, key

    def _headers(self, extra: dict | None) -> dict:
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        return {**headers, **(extra or {})}

    def get(self, path: str, headers: dict | None = None, **params):
        return self.client.get("/api/v1" + path, query_string=params, headers=self._headers(headers))

    def post(self, path: str, json=None, headers: dict | None = None, **kwargs):
        return self.client.post("/api/v1" + path, json=json, headers=self._headers(headers), **kwargs)

    def delete(self, path: str, headers: dict | None = None):
        return self.client.delete("/api/v1" + path, headers=self._headers(headers))


@pytest.fixture
def api_for(app, db) -> Callable:
    """``api_for(key)`` → an Api on a fresh test client."""
    return lambda key: Api(app.test_client(), key)


@pytest.fixture
def api(api_for, make_partner) -> Api:
    """One partner's API client; the partner is ``api.partner``."""
    partner, key = make_partner("Kênh A")
    client = api_for(key)
    client.partner = partner
    return client


@pytest.fixture
def stock(db) -> Callable:
    """``stock("0903123888", ("0903555555", 5_000_000), …)`` puts numbers on sale (pairs computed)."""
    from portal.numbers.services import NewNumber, add_numbers

    def add(*numbers, region_id: int = 1):
        items = [NewNumber(n, region_id=region_id) if isinstance(n, str) else NewNumber(n[0], price=n[1],
                                                                                         region_id=region_id)
                 for n in numbers]
        added = add_numbers(items)
        db.session.commit()
        return added

    return add


def assert_error(response, status: int, code: str) -> dict:
    """The API's error format with a documented, stable code."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    assert CODES.get(code) == status, f"{code} is not documented with {status} in openapi.ERRORS"
    assert body["error"]["message"]
    return body["error"]
