"""The JSON API plumbing (portal.core.api) both APIs stand on: readers take ASCII digits only, stable refusals."""
from __future__ import annotations

import pytest

from portal.core.api import bearer_token
from tests.conftest import CUSTOMER_PASSWORD

APP = "/api/app/v1"
ARABIC_INDIC = "١٢٣"  # "123" in Arabic-Indic digits: str.isdigit() and \d both take them
BIRTH_DATE_ARABIC_INDIC = "١٩٩٠-٠٥-١٧"


def _code(response) -> str:
    return response.get_json()["error"]["code"]


@pytest.mark.parametrize("query", [f"page={ARABIC_INDIC}", f"per_page={ARABIC_INDIC}", f"min_price={ARABIC_INDIC}"])
def test_whole_number_parameters_refuse_other_scripts_digits(client, query):
    response = client.get(f"{APP}/numbers?{query}")
    assert response.status_code == 422 and _code(response) == "bad_parameter"


def test_fullwidth_digits_are_read_as_the_digits_they_show(client):
    """core.digits: NFKC first — a CJK keyboard's １２３ is 123 — then ASCII 0–9 only."""
    assert client.get(f"{APP}/numbers?max_price=１２３").status_code == 200


def test_a_date_parameter_takes_ascii_digits_only(client):
    response = client.get(f"{APP}/numbers/feng-shui?birth_date={BIRTH_DATE_ARABIC_INDIC}")
    assert response.status_code == 422 and _code(response) == "bad_birth_date"


def test_an_empty_choice_is_refused_and_an_absent_one_means_any(client):
    assert _code(client.get(f"{APP}/numbers?sort=")) == "bad_sort"
    assert client.get(f"{APP}/numbers").status_code == 200


def test_a_bad_idempotency_key_is_refused_before_anything_happens(client, make_customer):
    customer = make_customer()
    token = client.post(f"{APP}/token", json={"phone": customer.phone, "password": CUSTOMER_PASSWORD}).get_json()
    auth = {"Authorization": f"Bearer {token['token']}"}
    for key in ("", "a b", "é" * 3, "x" * 81):
        response = client.post(f"{APP}/orders", json={}, headers={**auth, "Idempotency-Key": key})
        assert response.status_code == 422 and _code(response) == "bad_idempotency_key"


def test_no_credentials_is_401_with_www_authenticate(client):
    response = client.post(f"{APP}/orders", json={}, headers={"Authorization": "Bearer nobody"})
    assert response.status_code == 401 and _code(response) == "unauthorized"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_bodies_must_be_json_objects_with_string_fields(client):
    for body, code in ((b"[]", "bad_json"), (b"{", "bad_json"), (b'{"phone": 903}', "bad_field_type"),
                       (b"{}", "missing_field")):
        response = client.post(f"{APP}/token", data=body, content_type="application/json")
        assert _code(response) == code


def test_bodies_past_the_limit_are_refused(client, app):
    response = client.post(f"{APP}/token", data=b"{" + b" " * app.config["API_MAX_BODY_BYTES"] + b"}",
                           content_type="application/json")
    assert response.status_code == 413 and _code(response) == "too_large"


def test_bearer_credentials_are_read_from_the_authorization_header():
    assert bearer_token("Bearer abc") == bearer_token("bearer  abc ") == "abc"
    assert bearer_token("Basic abc") is bearer_token("Bearer") is bearer_token(None) is None
