"""Deny by default (checklist 8, 9, 10): every route declares a policy, enforced for every role.

Built from the app's URL map, so a route added without ``@allow``/``@public``
fails here, and so does a state-changing route that skips CSRF.
"""
from __future__ import annotations

import pytest
from werkzeug.routing import Rule

from portal.core.access import CUSTOMER, PUBLIC, head_office_roles, policy_of
from portal.core.roles import ALL_STAFF, Role
from tests.conftest import page_csrf


def _url(rule: Rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        kind = type(converter).__name__.replace("Converter", "").lower()
        values[name] = {"integer": 999999}.get(kind, "nonexistent")
    return rule.build(values, append_unknown=False)[1]


def _rules(app) -> list[Rule]:
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def test_every_route_declares_an_access_policy(app):
    with app.test_request_context():
        missing = [r.endpoint for r in app.url_map.iter_rules() if policy_of(r.endpoint) is None]
    assert missing == [], f"routes without @allow/@public/@authenticated_by: {missing}"


def test_no_get_route_is_public_unless_meant(app):
    with app.test_request_context():
        public = sorted(r.endpoint for r in _rules(app) if policy_of(r.endpoint) == PUBLIC)
    # Growing this list is a decision: a public page must not show or change anyone's data.
    assert set(public) <= {"auth.login", "auth.set_language", "home.healthz",
                           "partners.api.openapi_json", "partners.api.docs",  # the API's own documentation
                           "appapi.openapi_json",
                           # the customer site's ways in: register, activate, sign in, forgot password
                           "customers.register", "customers.activate", "customers.resend_activation",
                           "customers.sign_in", "customers.forgot", "customers.reset_code",
                           "customers.resend_reset", "customers.new_password",
                           # searching the inventory: available numbers and prices, no one's data
                           "orders.search", "orders_app.numbers_by_conditions", "orders_app.numbers_by_name",
                           "orders_app.numbers_feng_shui", "orders_app.numbers_pairs"}


@pytest.mark.parametrize("role", list(Role))
def test_role_route_matrix(app, client, login, role):
    login(role, region=1)
    token = page_csrf(client)
    with app.test_request_context():
        rules = [(r, policy_of(r.endpoint), head_office_roles(r.endpoint)) for r in _rules(app)]
    for rule, policy, head_office_only in rules:
        if policy == PUBLIC or isinstance(policy, str):
            continue
        url = _url(rule)
        if rule.endpoint == "auth.logout":
            continue  # would end the session mid-matrix; covered in tests/auth
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, headers={"X-CSRFToken": token})
            if role in policy and role not in head_office_only:  # signed in at CTKV1, not head office
                assert response.status_code != 403, f"{role} should reach {method} {url}"
            else:
                assert response.status_code == 403, f"{role} must be refused {method} {url} ({response.status_code})"


@pytest.mark.parametrize("role", [*Role, None])
def test_customer_routes_send_staff_and_anonymous_to_the_customer_sign_in(app, client, login, role):
    """A staff sign-in is not a customer sign-in: every customer-only route redirects to /chonso/dang-nhap."""
    if role is not None:
        login(role, region=1)
    token = page_csrf(client, "/chonso/dang-nhap")
    with app.test_request_context():
        rules = [r for r in _rules(app) if policy_of(r.endpoint) == CUSTOMER]
    assert rules
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(_url(rule), method=method, headers={"X-CSRFToken": token})
            assert response.status_code == 302, f"{role} {method} {rule.rule} → {response.status_code}"
            assert response.headers["Location"].startswith("/chonso/dang-nhap")


def test_a_signed_in_customer_reaches_customer_routes_but_no_staff_route(app, client, login_customer):
    login_customer()
    token = page_csrf(client, "/chonso/tai-khoan")
    with app.test_request_context():
        rules = [(r, policy_of(r.endpoint)) for r in _rules(app)]
    for rule, policy in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if rule.endpoint == "customers.sign_out":
                continue  # would end the session mid-walk; covered in tests/customers
            response = client.open(_url(rule), method=method, headers={"X-CSRFToken": token})
            if policy == CUSTOMER:
                assert response.status_code not in (302, 401, 403), f"{method} {rule.rule} → {response.status_code}"
            elif isinstance(policy, frozenset):
                assert response.status_code == 401, f"customer reached staff {method} {rule.rule}"


def test_anonymous_gets_401_on_every_staff_route(app, client):
    with app.test_request_context():
        rules = [r for r in _rules(app) if isinstance(policy_of(r.endpoint), frozenset)]
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(_url(rule), method=method)
            assert response.status_code == 401, f"{method} {rule.rule} → {response.status_code}"


def test_every_state_changing_route_refuses_a_missing_or_wrong_csrf_token(app, client, login, login_customer):
    """Checklist 8: signed in as an admin (who may use every staff route) and as a customer (the customer site's
    routes), POSTs without a valid token → 400."""
    login(Role.ADMIN, region=0)
    login_customer()
    with app.test_request_context():
        rules = [r for r in _rules(app) if r.methods & {"POST", "PUT", "PATCH", "DELETE"}]
    assert rules
    for rule in rules:
        policy = policy_of(rule.endpoint)
        if isinstance(policy, str) and policy.startswith("scheme:"):
            continue  # APIs and callbacks carry their own authentication
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"}):
            for headers in ({}, {"X-CSRFToken": "forged"}):
                response = client.open(_url(rule), method=method, headers=headers, data={"csrf_token": "bad"}
                                       if headers else {})
                assert response.status_code == 400, f"{method} {rule.rule} accepted a bad CSRF token"
                assert "Phiên biểu mẫu" in response.get_data(as_text=True)


def test_staff_policies_only_name_real_roles(app):
    with app.test_request_context():
        for rule in _rules(app):
            policy = policy_of(rule.endpoint)
            if isinstance(policy, frozenset):
                assert policy <= ALL_STAFF and policy
