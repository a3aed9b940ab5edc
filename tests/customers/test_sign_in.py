"""Sign in and out on the customer site (AUTH-13..18): lockout, same answer for unknown phones, server-side sessions."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.core.roles import Role
from portal.customers.models import CustomerSession, CustomerStatus
from tests.conftest import CUSTOMER_PASSWORD
from tests.customers.conftest import form_post

COOKIE = "chonso_sid"


def _sign_in(client, phone: str, password: str = CUSTOMER_PASSWORD, **extra):
    return form_post(client, "/chonso/dang-nhap", {"phone": phone, "password": password, **extra})


def _cookie(client) -> str | None:
    cookie = client.get_cookie(COOKIE, domain="portal.test")
    return cookie.value if cookie else None


def test_sign_in_by_phone_and_password_opens_a_server_side_session__AUTH_15_AUTH_18(client, db, make_customer):
    """AUTH-13, AUTH-16: the customer chooses Login; valid credentials."""
    customer = make_customer("0903123456")
    response = _sign_in(client, "0903.123.456")
    assert response.status_code == 302 and response.headers["Location"] == "/chonso/tai-khoan"
    set_cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE))
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie and "Max-Age" not in set_cookie
    row = db.session.scalar(select(CustomerSession))
    assert row.customer_id == customer.id and row.id != _cookie(client)  # only its hash is stored
    page = client.get("/chonso/tai-khoan").get_data(as_text=True)
    assert "0903 123 456" in page and "Đăng xuất" in page


def test_remember_me_keeps_the_cookie_for_30_days(client, db, make_customer):
    make_customer("0903123456")
    response = _sign_in(client, "0903123456", remember="y")
    set_cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE))
    assert f"Max-Age={30 * 24 * 3600}" in set_cookie
    assert db.session.scalar(select(CustomerSession.remember)) is True


def test_unknown_phone_and_wrong_password_get_the_same_answer__AUTH_17(client, db, make_customer):
    """AUTH-16: credentials not valid."""
    make_customer("0903123456")
    wrong = _sign_in(client, "0903123456", "sai-mat-khau-1")
    unknown = _sign_in(client, "0903999999", "sai-mat-khau-1")
    assert wrong.status_code == unknown.status_code == 401
    for response, phone in ((wrong, "0903123456"), (unknown, "0903999999")):
        html = response.get_data(as_text=True)
        assert "Số điện thoại hoặc mật khẩu không đúng." in html
        assert f'value="{phone}"' in html  # the phone stays typed
    assert _cookie(client) is None


def test_five_failures_lock_the_phone_even_from_other_addresses_and_unknown_phones_alike__checklist_1(
        app, db, make_customer):
    make_customer("0903123456")
    for phone in ("0903123456", "0903999999"):  # an account, and a phone without one
        for i in range(5):
            client = app.test_client()
            client.environ_base["REMOTE_ADDR"] = f"10.0.0.{i + 1}"
            assert _sign_in(client, phone, "sai-mat-khau-1").status_code == 401
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = "10.0.0.99"
        locked = _sign_in(client, phone)  # even the right password, from a new address
        assert locked.status_code == 429 and "sai quá nhiều lần" in locked.get_data(as_text=True)


def test_failures_from_one_address_lock_it_across_phones(app, db, settings, make_customer):
    settings(CUSTOMER_LOGIN_MAX_FAILURES_PER_ADDRESS=4)
    make_customer("0903123456")
    client = app.test_client()
    for i in range(4):
        assert _sign_in(client, f"090355500{i}", "sai-mat-khau-1").status_code == 401
    assert _sign_in(client, "0903123456").status_code == 429


def test_a_success_resets_the_phone_counter(client, db, make_customer):
    make_customer("0903123456")
    for _ in range(4):
        _sign_in(client, "0903123456", "sai-mat-khau-1")
    assert _sign_in(client, "0903123456").status_code == 302
    client.post("/chonso/dang-xuat", headers={"X-CSRFToken": _csrf(client)})
    for _ in range(4):
        _sign_in(client, "0903123456", "sai-mat-khau-1")
    assert _sign_in(client, "0903123456").status_code == 302


def _csrf(client) -> str:
    from tests.conftest import page_csrf

    return page_csrf(client, "/chonso/tai-khoan")  # signed in


def test_a_pending_account_is_sent_to_activation_with_a_new_code(client, db, outbox, make_customer):
    make_customer("0903123456", status=CustomerStatus.PENDING)
    response = _sign_in(client, "0903123456")
    assert response.status_code == 302 and response.headers["Location"] == "/chonso/kich-hoat"
    assert len(outbox.messages("0903123456")) == 1
    assert form_post(client, "/chonso/kich-hoat", {"otp": outbox.last_otp("0903123456")}).status_code == 302


def test_a_disabled_account_cannot_sign_in(client, db, make_customer):
    make_customer("0903123456", status=CustomerStatus.DISABLED)
    assert _sign_in(client, "0903123456").status_code == 401


def test_sign_out_ends_the_session_on_the_server_and_a_replayed_cookie_is_refused__checklist_4(
        app, client, db, login_customer):
    login_customer()
    token = _cookie(client)
    response = client.post("/chonso/dang-xuat", headers={"X-CSRFToken": _csrf(client)})
    assert response.status_code == 302 and _cookie(client) is None
    assert db.session.scalar(select(CustomerSession.ended_reason)) == "logout"
    replay = app.test_client()
    replay.set_cookie(COOKIE, token, domain="portal.test")
    response = replay.get("/chonso/tai-khoan")
    assert response.status_code == 302 and response.headers["Location"].startswith("/chonso/dang-nhap")


def test_each_sign_in_gets_a_new_token__checklist_3(app, db, login_customer, make_customer):
    customer = make_customer()
    tokens = set()
    for _ in range(2):
        client = app.test_client()
        login_customer(customer, on=client)
        tokens.add(_cookie(client))
    assert len(tokens) == 2


def test_an_idle_session_ends_after_30_minutes__checklist_6(client, db, login_customer):
    login_customer()
    row = db.session.scalar(select(CustomerSession))
    row.last_seen_at -= timedelta(minutes=31)
    db.session.commit()
    response = client.get("/chonso/tai-khoan")
    assert response.status_code == 302
    assert "lâu không thao tác" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(CustomerSession.ended_reason)) == "idle"


def test_next_brings_the_customer_back_but_never_off_site(client, db, make_customer):
    make_customer("0903123456")
    response = client.get("/chonso/tai-khoan")
    assert response.headers["Location"] == "/chonso/dang-nhap?next=/chonso/tai-khoan"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="next" type="hidden" value="/chonso/tai-khoan"' in page
    response = _sign_in(client, "0903123456", next="//evil.example/x")
    assert response.headers["Location"] == "/chonso/tai-khoan"


def test_a_staff_sign_in_is_not_a_customer_sign_in(client, db, login):
    login(Role.ADMIN, region=0)
    assert client.get("/chonso/tai-khoan").status_code == 302
    assert "Đăng nhập" in client.get("/chonso/dang-nhap").get_data(as_text=True)


def test_sign_ins_and_failures_are_audited_as_customers_without_the_password__checklist_33(client, db,
                                                                                          make_customer):
    from portal.core.models import AuditEntry

    make_customer("0903123456")
    _sign_in(client, "0903999999", "sai-mat-khau-1")
    _sign_in(client, "0903123456")
    rows = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(r.action, r.actor_kind) for r in rows] == [("customer.login_failed", "customer"),
                                                        ("customer.login", "customer")]
    assert rows[0].actor_name.startswith("KH 090****999") and rows[1].actor_name == "KH 090****456"
    assert "sai-mat-khau-1" not in str([(r.detail, r.actor_name) for r in rows])


def _form_token(client, path: str = "/chonso/dang-nhap") -> str:
    from tests.conftest import csrf_from

    return csrf_from(client.get(path).get_data(as_text=True))


def test_the_csrf_token_from_before_sign_in_no_longer_works_after_it__checklist_3(client, db, make_customer):
    """The real sign-in form: the Flask session (and its CSRF token) is a new one once the customer is in."""
    make_customer("0903123456")
    client.post("/language/en", data={"csrf_token": _form_token(client)})  # the language survives the rotation
    before = _form_token(client)
    response = client.post("/chonso/dang-nhap", data={"phone": "0903123456", "password": CUSTOMER_PASSWORD,
                                                      "csrf_token": before})
    assert response.status_code == 302
    after = _form_token(client, "/chonso/tai-khoan")
    assert after != before
    refused = client.post("/chonso/dang-xuat", data={"csrf_token": before})
    assert refused.status_code == 400 and _cookie(client)  # still signed in
    page = client.get("/chonso/tai-khoan").get_data(as_text=True)
    assert '<html lang="en">' in page and "0903 123 456" in page
    assert client.post("/chonso/dang-xuat", data={"csrf_token": after}).status_code == 302


def test_the_csrf_token_from_a_session_is_refused_after_sign_out(client, db, make_customer):
    make_customer("0903123456")
    assert _sign_in(client, "0903123456").status_code == 302
    signed_in = _form_token(client, "/chonso/tai-khoan")
    assert client.post("/chonso/dang-xuat", data={"csrf_token": signed_in}).status_code == 302
    again = client.post("/chonso/dang-nhap", data={"phone": "0903123456", "password": CUSTOMER_PASSWORD,
                                                   "csrf_token": signed_in})
    assert again.status_code == 400 and _cookie(client) is None


def test_a_half_done_password_reset_does_not_survive_a_sign_in(client, db, make_customer):
    """Keys of the sign-up steps (the phone being reset, a reset grant) belong to the session before."""
    make_customer("0903123456")
    with client.session_transaction() as flask_session:
        flask_session["cso_reset_phone"] = "0903123456"
    assert client.get("/chonso/quen-mat-khau/nhap-ma").status_code == 200
    assert _sign_in(client, "0903123456").status_code == 302
    response = client.get("/chonso/quen-mat-khau/nhap-ma")
    assert response.status_code == 302 and response.headers["Location"].endswith("/chonso/quen-mat-khau")
