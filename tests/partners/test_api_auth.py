"""Partner API keys and limits (checklist 19): a bad or revoked key is 401, over the limit is 429."""
from __future__ import annotations

import pytest

from tests.partners.conftest import HOLD_BODY, assert_error


@pytest.mark.parametrize("header", [
    None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer cso_", "Bearer not-a-key",
    "Bearer cso_" + "A" * 43, "Bearer cso_" + "A" * 42 + "=", "Bearer " + "x" * 10_000,
])
def test_a_missing_or_bad_key_is_401__checklist_19(app, db, api, header):
    headers = {"Authorization": header} if header is not None else {}
    response = app.test_client().get("/api/v1/numbers", headers=headers)
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_scheme_name_is_case_insensitive(api):
    response = api.client.get("/api/v1/numbers", headers={"Authorization": f"bearer  {api.key}"})
    assert response.status_code == 200


def test_a_key_with_one_character_changed_is_401(api):
    api.key = api.key[:-1] + ("A" if api.key[-1] != "A" else "B")
    assert_error(api.get("/numbers"), 401, "unauthorized")


def test_a_revoked_key_is_401_at_once__checklist_19(api, db):
    from portal.partners.services import revoke_partner

    assert api.get("/numbers").status_code == 200
    revoke_partner(api.partner, None, "lộ khóa")
    db.session.commit()
    assert_error(api.get("/numbers"), 401, "unauthorized")
    assert_error(api.post("/holds", json=HOLD_BODY), 401, "unauthorized")


def test_every_api_operation_needs_a_key(app, db):
    client = app.test_client()
    for method, path in [("GET", "/numbers"), ("GET", "/numbers/by-name?name=Mai"),
                         ("GET", "/numbers/feng-shui?birth_date=1990-01-01"), ("GET", "/numbers/pairs"),
                         ("POST", "/holds"), ("GET", "/holds/ACDEFGHJKM"), ("DELETE", "/holds/ACDEFGHJKM")]:
        assert_error(client.open("/api/v1" + path, method=method, json=HOLD_BODY), 401, "unauthorized")


def test_searches_over_the_limit_are_429__checklist_19(app, api, make_partner, api_for, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT_SEARCH", "3/minute")
    for _ in range(3):
        assert api.get("/numbers").status_code == 200
    response = api.get("/numbers/pairs")  # one budget for every search
    error = assert_error(response, 429, "rate_limited")
    assert "thử lại" in error["message"] and int(response.headers["Retry-After"]) > 0
    _b, key = make_partner("Kênh B")
    assert api_for(key).get("/numbers").status_code == 200  # per key, not global


def test_holds_over_the_limit_are_429_and_change_nothing(app, api, stock, db, monkeypatch):
    from sqlalchemy import func, select

    from portal.holds.models import HoldTicket

    monkeypatch.setitem(app.config, "API_RATE_LIMIT_HOLDS", "2/minute")
    stock("0903126868", "0933556868", "0901234567")
    assert api.post("/holds", json=HOLD_BODY).status_code == 201
    assert api.post("/holds", json={**HOLD_BODY, "number": "0933556868"}).status_code == 201
    assert_error(api.post("/holds", json={**HOLD_BODY, "number": "0901234567"}), 429, "rate_limited")
    assert db.session.scalar(select(func.count()).select_from(HoldTicket)) == 2


def test_guessed_hold_codes_are_404_then_429(app, api, stock, make_partner, api_for):
    stock("0903126868")
    code = api.post("/holds", json=HOLD_BODY).get_json()["hold_code"]
    for guess in range(20):
        assert_error(api.get(f"/holds/GUESS{guess:05d}"), 404, "hold_not_found")
    assert api.get(f"/holds/{code}").status_code == 429  # locked out for the window, even for a real code
    assert_error(api.get("/holds/GUESS99999"), 429, "rate_limited")
    assert_error(api.delete("/holds/GUESS99999"), 429, "rate_limited")
    assert api.get("/numbers").status_code == 200  # searches are not affected
    _b, key = make_partner("Kênh B")
    assert_error(api_for(key).get("/holds/GUESS00000"), 404, "hold_not_found")  # nor other channels


def test_found_hold_codes_do_not_count_as_guesses(api, stock):
    stock("0903126868")
    code = api.post("/holds", json=HOLD_BODY).get_json()["hold_code"]
    for _ in range(30):
        assert api.get(f"/holds/{code}").status_code == 200


def test_a_stream_of_bad_keys_is_429_by_address(app, db, api, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT_AUTH_FAILURES", "3/minute")
    client = app.test_client()
    for _ in range(3):
        assert_error(client.get("/api/v1/numbers", headers={"Authorization": "Bearer nope"}), 401, "unauthorized")
    assert_error(client.get("/api/v1/numbers", headers={"Authorization": "Bearer nope"}), 429, "rate_limited")
    assert api.get("/numbers").status_code == 200  # a valid key from the same address still works
