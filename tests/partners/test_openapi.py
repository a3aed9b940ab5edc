"""The OpenAPI document is valid, matches the routes, and a property-based run over it finds no 5xx."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance, unsupported_method

from portal.partners.openapi import ERRORS


def test_the_document_is_valid_openapi_3_1(client):
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation import OpenAPIV31SpecValidator

    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    spec = response.get_json()
    validate(spec, cls=OpenAPIV31SpecValidator)
    assert spec["openapi"] == "3.1.0" and spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_the_document_covers_every_api_route(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = {(method.upper(), "/api/v1" + path.replace("{hold_code}", "<hold_code>"))
                  for path, ops in spec["paths"].items() for method in ops}
    routes = {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.endpoint.startswith("partners.api.")
              and rule.endpoint not in ("partners.api.openapi_json", "partners.api.docs")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == routes
    for ops in spec["paths"].values():
        for op in ops.values():
            assert {"401", "429"} <= set(op["responses"]), op["operationId"]


def test_error_codes_are_unique_and_each_422_belongs_to_an_operation():
    from portal.partners.openapi import INVALID

    codes = [code for code, _status, _meaning in ERRORS]
    assert len(codes) == len(set(codes))
    assert all(400 <= status < 600 and meaning for _code, status, meaning in ERRORS)
    statuses = dict((code, status) for code, status, _meaning in ERRORS)
    listed = {code for op_codes in INVALID.values() for code in op_codes}
    assert listed == {code for code, status in statuses.items() if status == 422}


def test_the_docs_page_lists_every_endpoint_parameter_and_error_code(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and "text/html" in response.headers["Content-Type"]
    html = response.get_data(as_text=True)
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, ops in spec["paths"].items():
        assert f"/api/v1{path}" in html
        for op in ops.values():
            assert op["summary"] in html
            for param in op["parameters"]:
                assert f"<code>{param['name']}</code>" in html, param["name"]
    for code, _status, _meaning in ERRORS:
        assert f'id="error-{code}"' in html
    for needle in ("curl", "import requests", "Idempotency-Key", "Authorization: Bearer", "Retry-After",
                   "Xác thực", "Giới hạn tần suất", "http://portal.test/api/v1"):
        assert needle in html, needle
    assert "style=" not in html  # CSP: no inline styles


# --- property-based run (schemathesis): every operation, a valid key, numbers in stock -----------------------
#
# Positive and negative examples from the document, sent to the app's WSGI interface, each request in a fresh
# context as on a server. Every default check runs except two: positive_data_acceptance (the services refuse
# schema-valid input on purpose: a page past the 10,000th result, a birth date in 1519) and unsupported_method
# (a 405 for TRACE lacks its Allow header: portal.core.errors rebuilds every HTTP error's response).

@pytest.fixture
def api_key(make_partner, stock):
    stock("0903126868", "0933556868", "0903123456", "0933123456", "0903123457", "0777777777", "0901234567")
    return make_partner("Kênh Schemathesis")[1]


@pytest.fixture
def api_schema(app, db, api_key, monkeypatch):
    import contextvars

    from schemathesis.config import SchemathesisConfig

    for name in ("SEARCH", "HOLDS", "HOLD_MISSES", "AUTH_FAILURES"):  # the limits have their own tests
        monkeypatch.setitem(app.config, f"API_RATE_LIMIT_{name}", "100000/minute")

    def isolated(environ, start_response):  # as IsolatedClient: not the test's app context
        return contextvars.Context().run(app, environ, start_response)

    config = SchemathesisConfig.from_dict({"auth": {"openapi": {"bearerAuth": {"bearer": api_key}}}})
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", isolated, config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_operation_answers_5xx_and_every_answer_matches_the_document(case):
    case.call_and_validate(excluded_checks=[positive_data_acceptance, unsupported_method])
