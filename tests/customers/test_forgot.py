"""Forgot password on the customer site (PWD-1..11)."""
from __future__ import annotations

from sqlalchemy import select

from portal.customers.models import CustomerApiToken, CustomerSession
from tests.conftest import CUSTOMER_PASSWORD
from tests.customers.conftest import NEW_PASSWORD, form_post

PHONE = "0903123456"


def _to_new_password_screen(client, outbox) -> None:
    response = form_post(client, "/chonso/quen-mat-khau", {"phone": PHONE})
    assert response.status_code == 302 and response.headers["Location"] == "/chonso/quen-mat-khau/nhap-ma"
    response = form_post(client, "/chonso/quen-mat-khau/nhap-ma", {"otp": outbox.last_otp(PHONE)})
    assert response.headers["Location"] == "/chonso/quen-mat-khau/mat-khau-moi"


def test_forgot_password_sends_a_code_and_sets_a_new_password__PWD_1_PWD_11(app, client, db, outbox, make_customer,
                                                                            login_customer):
    """PWD-4, PWD-5, PWD-7: the OTP entered is valid, the new-password screen."""
    customer = make_customer(PHONE)
    other_browser = app.test_client()
    login_customer(customer, on=other_browser)
    token = app.test_client().post("/api/app/v1/token", json={"phone": PHONE, "password": CUSTOMER_PASSWORD})
    assert token.status_code == 201

    _to_new_password_screen(client, outbox)
    response = form_post(client, "/chonso/quen-mat-khau/mat-khau-moi",
                         {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/chonso/dang-nhap"
    assert "Mật khẩu đã được đổi" in client.get("/chonso/dang-nhap").get_data(as_text=True)

    # every session and app token of the account ended; the old password no longer works, the new one does
    assert other_browser.get("/chonso/tai-khoan").status_code == 302
    assert db.session.scalar(select(CustomerSession.ended_reason)) == "password"
    assert db.session.scalar(select(CustomerApiToken.revoked_reason)) == "password"
    me = app.test_client().get("/api/app/v1/me", headers={"Authorization": f"Bearer {token.get_json()['token']}"})
    assert me.status_code == 401
    assert form_post(client, "/chonso/dang-nhap", {"phone": PHONE, "password": CUSTOMER_PASSWORD}).status_code == 401
    assert form_post(client, "/chonso/dang-nhap", {"phone": PHONE, "password": NEW_PASSWORD}).status_code == 302


def test_a_phone_without_an_account_gets_the_same_answer_and_no_sms__PWD_3(client, db, outbox):
    response = form_post(client, "/chonso/quen-mat-khau", {"phone": "0903999999"})
    assert response.status_code == 302 and response.headers["Location"] == "/chonso/quen-mat-khau/nhap-ma"
    page = client.get("/chonso/quen-mat-khau/nhap-ma").get_data(as_text=True)
    assert "Nếu số 0903 *** 999 có tài khoản, mã OTP đã được gửi" in page
    assert outbox.messages() == []


def test_a_wrong_code_keeps_the_customer_on_the_code_screen__PWD_6(client, db, outbox, make_customer):
    """PWD-5: OTP not valid."""
    make_customer(PHONE)
    form_post(client, "/chonso/quen-mat-khau", {"phone": PHONE})
    right = outbox.last_otp(PHONE)
    response = form_post(client, "/chonso/quen-mat-khau/nhap-ma", {"otp": f"{(int(right) + 1) % 10**6:06d}"})
    assert response.status_code == 422
    assert 'id="otp-error">Mã OTP không đúng hoặc đã hết hạn.' in response.get_data(as_text=True)
    assert client.get("/chonso/quen-mat-khau/mat-khau-moi").headers["Location"] == "/chonso/quen-mat-khau"


def test_a_weak_or_mismatched_new_password_is_refused_beside_the_field__PWD_10(client, db, outbox, make_customer):
    """PWD-9: the new password is checked, refused then accepted."""
    make_customer(PHONE)
    _to_new_password_screen(client, outbox)
    weak = form_post(client, "/chonso/quen-mat-khau/mat-khau-moi", {"password": "ngan1", "password_again": "ngan1"})
    assert weak.status_code == 422 and 'id="password-error">Mật khẩu phải có từ 8' in weak.get_data(as_text=True)
    mismatch = form_post(client, "/chonso/quen-mat-khau/mat-khau-moi",
                         {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 400
    assert 'id="password_again-error">Hai mật khẩu không giống nhau.' in mismatch.get_data(as_text=True)
    # the grant survived the refusals: the customer can still finish
    done = form_post(client, "/chonso/quen-mat-khau/mat-khau-moi",
                     {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert done.status_code == 302


def test_the_reset_grant_works_once(app, db, outbox, make_customer):
    """PWD-7: the new-password screen's grant works once."""
    make_customer(PHONE)
    api = app.test_client()
    api.post("/api/app/v1/password/forgot", json={"phone": PHONE})
    grant = api.post("/api/app/v1/password/verify", json={"phone": PHONE, "otp": outbox.last_otp(PHONE)})
    reset_token = grant.get_json()["reset_token"]
    assert api.post("/api/app/v1/password/reset", json={"reset_token": reset_token,
                                                        "password": NEW_PASSWORD}).status_code == 204
    again = api.post("/api/app/v1/password/reset", json={"reset_token": reset_token, "password": "khac-nua-2026"})
    assert again.status_code == 422 and again.get_json()["error"]["code"] == "reset_expired"


def test_a_lockout_ends_with_a_new_password(client, db, outbox, make_customer):
    make_customer(PHONE)
    for _ in range(5):
        form_post(client, "/chonso/dang-nhap", {"phone": PHONE, "password": "sai-mat-khau-1"})
    assert form_post(client, "/chonso/dang-nhap", {"phone": PHONE, "password": CUSTOMER_PASSWORD}).status_code == 429
    _to_new_password_screen(client, outbox)
    form_post(client, "/chonso/quen-mat-khau/mat-khau-moi", {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert form_post(client, "/chonso/dang-nhap", {"phone": PHONE, "password": NEW_PASSWORD}).status_code == 302
