"""The app API /api/app/v1: accounts (AUTH, PWD) with bearer tokens, and its OpenAPI document."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.appapi.openapi import ERRORS
from portal.customers import otp
from portal.customers.models import CustomerApiToken, CustomerStatus
from tests.conftest import CUSTOMER_PASSWORD
from tests.customers.conftest import NEW_PASSWORD

API = "/api/app/v1"


def assert_error(response, status: int, code: str) -> None:
    """The API's error format with a stable code documented under that status."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code and body["error"]["message"]
    assert ERRORS.get(code, (None,))[0] == status, f"{code} is not documented with {status}"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api(app, db):
    return app.test_client()


def _token(api, phone: str, password: str = CUSTOMER_PASSWORD) -> str:
    response = api.post(f"{API}/token", json={"phone": phone, "password": password, "device": "iPhone 15"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def test_register_activate_me_and_sign_out__AUTH_3_AUTH_18(api, db, outbox):
    response = api.post(f"{API}/register", json={"phone": "+84 903 111 222", "full_name": "Phạm Thu Hà",
                                                 "password": CUSTOMER_PASSWORD})
    assert response.status_code == 201
    assert response.get_json() == {"otp_sent": True, "phone": "0903111222", "status": "pending"}
    assert_error(api.post(f"{API}/token", json={"phone": "0903111222", "password": CUSTOMER_PASSWORD}),
                 403, "not_activated")
    activated = api.post(f"{API}/activate", json={"phone": "0903111222", "otp": outbox.last_otp("0903111222")})
    assert activated.status_code == 200
    body = activated.get_json()
    assert body["token"].startswith("csa_") and body["token_type"] == "Bearer"
    assert body["customer"]["status"] == "active" and body["customer"]["full_name"] == "Phạm Thu Hà"

    me = api.get(f"{API}/me", headers=bearer(body["token"]))
    assert me.status_code == 200 and me.get_json()["phone"] == "0903111222"
    assert api.delete(f"{API}/token", headers=bearer(body["token"])).status_code == 204
    assert_error(api.get(f"{API}/me", headers=bearer(body["token"])), 401, "unauthorized")


def test_register_errors_have_stable_codes__AUTH_7(api, db, outbox, make_customer):
    make_customer("0903123456")
    base = {"phone": "0903111222", "full_name": "Phạm Thu Hà", "password": CUSTOMER_PASSWORD}
    for change, code in (({"phone": "0912345678"}, "bad_phone"), ({"full_name": "X"}, "bad_name"),
                         ({"password": "ngan1"}, "weak_password"), ({"phone": "0903123456"}, "phone_taken"),
                         ({"phone": 903111222}, "bad_field_type")):
        assert_error(api.post(f"{API}/register", json={**base, **change}), 422, code)
    assert_error(api.post(f"{API}/register", json={"phone": "0903111222"}), 422, "missing_field")
    assert_error(api.post(f"{API}/register", data="not json", content_type="application/json"), 400, "bad_json")
    assert outbox.messages() == []


def test_token_sign_in_refuses_wrong_passwords_and_locks__AUTH_17(api, db, make_customer):
    make_customer("0903123456")
    for _ in range(5):
        assert_error(api.post(f"{API}/token", json={"phone": "0903123456", "password": "sai-mat-khau-1"}),
                     401, "bad_credentials")
    assert_error(api.post(f"{API}/token", json={"phone": "0903123456", "password": CUSTOMER_PASSWORD}),
                 429, "login_locked")


def test_tokens_are_stored_hashed_and_one_per_device(api, db, make_customer):
    make_customer("0903123456")
    first, second = _token(api, "0903123456"), _token(api, "0903123456")
    rows = db.session.scalars(select(CustomerApiToken)).all()
    assert len(rows) == 2 and {r.id for r in rows}.isdisjoint({first, second})
    assert rows[0].device == "iPhone 15"


def test_another_customers_token_acts_only_for_its_own_customer(api, db, make_customer):
    a, b = make_customer("0903123456", full_name="Khách A"), make_customer("0903654321", full_name="Khách B")
    token_a, token_b = _token(api, a.phone), _token(api, b.phone)
    assert api.get(f"{API}/me", headers=bearer(token_b)).get_json()["full_name"] == "Khách B"
    # signing out with A's token revokes A's token only
    assert api.delete(f"{API}/token", headers=bearer(token_a)).status_code == 204
    assert_error(api.get(f"{API}/me", headers=bearer(token_a)), 401, "unauthorized")
    assert api.get(f"{API}/me", headers=bearer(token_b)).get_json()["full_name"] == "Khách B"


def test_missing_malformed_expired_and_disabled_tokens_are_refused(api, db, make_customer):
    customer = make_customer("0903123456")
    token = _token(api, customer.phone)
    for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"}, bearer("csa_" + "x" * 43),
                    bearer(token + "x")):
        response = api.get(f"{API}/me", headers=headers)
        assert_error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    row = db.session.scalar(select(CustomerApiToken))
    row.expires_at = row.created_at
    db.session.commit()
    assert_error(api.get(f"{API}/me", headers=bearer(token)), 401, "unauthorized")
    token = _token(api, customer.phone)
    customer.status = CustomerStatus.DISABLED
    db.session.commit()
    assert_error(api.get(f"{API}/me", headers=bearer(token)), 401, "unauthorized")


def test_forgot_verify_reset_through_the_api__PWD_1_PWD_11(api, db, outbox, make_customer):
    make_customer("0903123456")
    old_token = _token(api, "0903123456")
    assert api.post(f"{API}/password/forgot", json={"phone": "0903123456"}).get_json() == {"otp_sent": True}
    assert api.post(f"{API}/password/forgot", json={"phone": "0903999999"}).get_json() == {"otp_sent": True}
    assert_error(api.post(f"{API}/password/verify", json={"phone": "0903123456", "otp": "12345"}), 422, "otp_invalid")
    verified = api.post(f"{API}/password/verify", json={"phone": "0903123456", "otp": outbox.last_otp("0903123456")})
    reset_token = verified.get_json()["reset_token"]
    assert_error(api.post(f"{API}/password/reset", json={"reset_token": reset_token, "password": "ngan1"}),
                 422, "weak_password")
    assert api.post(f"{API}/password/reset", json={"reset_token": reset_token, "password": NEW_PASSWORD}
                    ).status_code == 204
    assert_error(api.get(f"{API}/me", headers=bearer(old_token)), 401, "unauthorized")
    _token(api, "0903123456", NEW_PASSWORD)


def test_resend_otp_checks_the_purpose_and_the_limits(api, db, outbox, settings, make_customer):
    make_customer("0903123456", status=CustomerStatus.PENDING)
    assert_error(api.post(f"{API}/resend-otp", json={"phone": "0903123456", "purpose": "other"}), 422, "bad_purpose")
    assert api.post(f"{API}/resend-otp", json={"phone": "0903123456", "purpose": "activate"}).status_code == 202
    settings(OTP_RESEND_SECONDS=60)
    assert api.post(f"{API}/resend-otp", json={"phone": "0903123456", "purpose": "activate"}).status_code == 202
    assert_error(api.post(f"{API}/resend-otp", json={"phone": "0903123456", "purpose": "activate"}),
                 429, "otp_resend_too_soon")


def test_a_failing_sms_provider_does_not_hold_up_the_answer(api, app, db, settings, caplog):
    """The SMS leaves after the answer (portal.customers.otp): its failure is logged, never its code."""
    settings(SMS_URL="http://127.0.0.1:9")  # nothing listens there
    response = api.post(f"{API}/register", json={"phone": "0903111222", "full_name": "Phạm Thu Hà",
                                                 "password": CUSTOMER_PASSWORD})
    assert response.status_code == 201 and response.get_json()["otp_sent"] is True
    otp.wait_for_sends()
    assert any("sms otp-" in r.getMessage() and "ConnectionError" in r.getMessage() for r in caplog.records)


def test_the_document_is_valid_openapi_3_1_and_covers_every_route(app, api):
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation import OpenAPIV31SpecValidator

    spec = api.get(f"{API}/openapi.json").get_json()
    validate(spec, cls=OpenAPIV31SpecValidator)
    documented = {(method.upper(), API + path) for path, ops in spec["paths"].items() for method in ops}
    routes = {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.rule.startswith(API + "/")
              and rule.endpoint != "appapi.openapi_json" for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == {(m, r.replace("<", "{").replace(">", "}")) for m, r in routes}
    assert set(spec["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]) == set(
        ERRORS)


def test_the_app_api_needs_no_csrf_token_and_sets_no_cookie(api, db, make_customer):
    make_customer("0903123456")
    response = api.post(f"{API}/token", json={"phone": "0903123456", "password": CUSTOMER_PASSWORD})
    assert response.status_code == 201 and not response.headers.getlist("Set-Cookie")
