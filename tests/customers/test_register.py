"""Register and activate by SMS OTP on the customer site (AUTH-3..12) and the one-time code rules (checklist 14)."""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from portal.core.models import AuditEntry, OutboxJob
from portal.customers.models import Customer, CustomerOtp, CustomerStatus, OtpPurpose
from tests.conftest import CUSTOMER_PASSWORD
from tests.customers.conftest import form_post, register

PHONE = "0903111222"


def _customer(db, phone=PHONE) -> Customer:
    db.session.expire_all()
    return db.session.scalar(select(Customer).where(Customer.phone == phone))


def test_register_sends_an_otp_and_the_right_code_activates_and_signs_in__AUTH_8_AUTH_12(client, db, outbox):
    """AUTH-6, AUTH-9, AUTH-10: validation passes, the OTP is entered and is right."""
    response = register(client, phone="0903 111 222")
    assert response.status_code == 302 and response.headers["Location"] == "/chonso/kich-hoat"
    customer = _customer(db)
    assert customer.status == CustomerStatus.PENDING and customer.full_name == "Lê Văn Bình"
    assert customer.password_hash.startswith("$argon2id$")
    sms = outbox.messages(PHONE)
    assert len(sms) == 1 and sms[0]["kind"] == "sms" and sms[0]["sender"] == "ChonSo"
    page = client.get("/chonso/kich-hoat").get_data(as_text=True)
    assert "0903 *** 222" in page and "Mã OTP đã được gửi" in page

    response = form_post(client, "/chonso/kich-hoat", {"otp": outbox.last_otp(PHONE)})
    assert response.status_code == 302 and response.headers["Location"] == "/chonso/tai-khoan"
    assert _customer(db).status == CustomerStatus.ACTIVE and _customer(db).activated_at is not None
    account = client.get("/chonso/tai-khoan")
    assert account.status_code == 200 and "Lê Văn Bình" in account.get_data(as_text=True)
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.actor_kind == "customer")).all()
    assert {"customer.register", "customer.activate"} <= set(actions)


def test_register_errors_stand_beside_their_fields_and_keep_what_was_typed__AUTH_7(client, db, outbox):
    """AUTH-4, AUTH-5, AUTH-6: the register form, the details entered, validation that fails."""
    cases = [
        ({"phone": "0912345678"}, "phone", "đầu số"),  # not one of the operator's prefixes
        ({"phone": "09031"}, "phone", "đầu số"),
        ({"full_name": "Bình 123"}, "full_name", "Họ tên chỉ gồm chữ cái"),
        ({"password": "ngan1", "password_again": "ngan1"}, "password", "từ 8 đến 128 ký tự"),
        ({"password": "chiconchu", "password_again": "chiconchu"}, "password", "cả chữ và số"),
        ({"password": "password1", "password_again": "password1"}, "password", "dễ đoán"),
        ({"password": "x0903111222", "password_again": "x0903111222"}, "password", "dễ đoán"),  # holds the phone
        ({"password_again": "khac-hẳn-1"}, "password_again", "Hai mật khẩu không giống nhau"),
        ({"full_name": ""}, "full_name", "Vui lòng nhập họ tên"),
    ]
    for change, field, message in cases:
        data = {"phone": "0903 111 222", "full_name": "Lê Văn Bình", "password": CUSTOMER_PASSWORD,
                "password_again": CUSTOMER_PASSWORD, **change}
        response = form_post(client, "/chonso/dang-ky", data)
        html = response.get_data(as_text=True)
        assert response.status_code in (400, 422), (change, response.status_code)
        assert f'id="{field}-error">{message}' in html or (
            f'id="{field}-error"' in html and message in html.split(f'id="{field}-error"')[1][:200]), (change, html)
        if field != "phone":
            assert 'value="0903 111 222"' in html  # what was typed is kept
        if field != "full_name":
            assert 'value="Lê Văn Bình"' in html
        assert 'value="' + CUSTOMER_PASSWORD + '"' not in html  # passwords are never sent back
    assert _customer(db) is None and outbox.messages() == []


def test_an_active_accounts_phone_cannot_register_again__AUTH_7(client, db, outbox, make_customer):
    make_customer(PHONE)
    response = register(client)
    assert response.status_code == 422
    assert "Số điện thoại này đã có tài khoản" in response.get_data(as_text=True)
    assert outbox.messages(PHONE) == []


def test_a_pending_phone_may_register_again_and_only_the_newest_code_works(client, db, outbox):
    register(client, full_name="Người Cũ")
    first = outbox.last_otp(PHONE)
    register(client, full_name="Người Mới")
    second = outbox.last_otp(PHONE)
    assert _customer(db).full_name == "Người Mới"
    if first != second:
        response = form_post(client, "/chonso/kich-hoat", {"otp": first})
        assert response.status_code == 422 and "Mã OTP không đúng hoặc đã hết hạn" in response.get_data(as_text=True)
    assert form_post(client, "/chonso/kich-hoat", {"otp": second}).status_code == 302


def test_a_wrong_code_is_refused_beside_the_field_then_the_right_one_works__AUTH_11(client, db, outbox):
    """AUTH-10: OTP wrong, then right."""
    register(client)
    right = outbox.last_otp(PHONE)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    response = form_post(client, "/chonso/kich-hoat", {"otp": wrong})
    assert response.status_code == 422
    assert 'id="otp-error">Mã OTP không đúng hoặc đã hết hạn.' in response.get_data(as_text=True)
    assert _customer(db).status == CustomerStatus.PENDING
    assert form_post(client, "/chonso/kich-hoat", {"otp": right}).status_code == 302


def test_an_expired_code_is_refused__AUTH_11(client, db, outbox):
    register(client)
    code = outbox.last_otp(PHONE)
    row = db.session.scalar(select(CustomerOtp))
    row.expires_at = row.created_at - timedelta(seconds=1)
    db.session.commit()
    response = form_post(client, "/chonso/kich-hoat", {"otp": code})
    assert response.status_code == 422 and "Mã OTP không đúng hoặc đã hết hạn" in response.get_data(as_text=True)
    assert _customer(db).status == CustomerStatus.PENDING


def test_a_code_lives_five_minutes(client, db, outbox):
    register(client)
    row = db.session.scalar(select(CustomerOtp))
    assert row.expires_at - row.created_at == timedelta(minutes=5)


def test_a_used_code_cannot_be_used_again__AUTH_11(client, app, db, outbox):
    register(client)
    code = outbox.last_otp(PHONE)
    api = app.test_client()
    assert api.post("/api/app/v1/activate", json={"phone": PHONE, "otp": code}).status_code == 200
    again = api.post("/api/app/v1/activate", json={"phone": PHONE, "otp": code})
    assert again.status_code == 422 and again.get_json()["error"]["code"] == "otp_invalid"


def test_an_activation_code_does_not_reset_a_password__wrong_purpose(client, app, db, outbox, make_customer):
    register(client)
    activation_code = outbox.last_otp(PHONE)
    api = app.test_client()
    response = api.post("/api/app/v1/password/verify", json={"phone": PHONE, "otp": activation_code})
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "otp_invalid"
    # and a reset code does not activate: the activation code is still the only one that does
    other = make_customer("0903222333")
    api.post("/api/app/v1/password/forgot", json={"phone": other.phone})
    reset_code = outbox.last_otp(other.phone)
    response = api.post("/api/app/v1/activate", json={"phone": other.phone, "otp": reset_code})
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "otp_invalid"


def test_five_wrong_tries_burn_the_code(client, db, outbox):
    register(client)
    right = outbox.last_otp(PHONE)
    wrong = f"{(int(right) + 7) % 10**6:06d}"
    for _ in range(4):
        assert "không đúng" in form_post(client, "/chonso/kich-hoat", {"otp": wrong}).get_data(as_text=True)
    fifth = form_post(client, "/chonso/kich-hoat", {"otp": wrong}).get_data(as_text=True)
    assert "quá 5 lần; mã đã bị hủy" in fifth
    response = form_post(client, "/chonso/kich-hoat", {"otp": right})  # too late: the code is burned
    assert response.status_code == 422 and _customer(db).status == CustomerStatus.PENDING
    assert db.session.scalar(select(CustomerOtp.used_at)) is not None
    # a new code works
    form_post(client, "/chonso/kich-hoat/gui-lai", {}, page="/chonso/kich-hoat")
    assert form_post(client, "/chonso/kich-hoat", {"otp": outbox.last_otp(PHONE)}).status_code == 302


def test_resend_replaces_the_old_code(client, db, outbox):
    register(client)
    response = form_post(client, "/chonso/kich-hoat/gui-lai", {}, page="/chonso/kich-hoat")
    assert response.status_code == 302
    assert len(outbox.messages(PHONE)) == 2
    rows = db.session.scalars(select(CustomerOtp).order_by(CustomerOtp.id)).all()
    assert rows[0].used_at is not None and rows[1].used_at is None


def test_resends_wait_for_the_cool_down_and_are_limited_per_phone(client, db, outbox, settings):
    settings(OTP_RESEND_SECONDS=60)
    register(client)
    page = form_post(client, "/chonso/kich-hoat/gui-lai", {}, page="/chonso/kich-hoat")
    assert "Vui lòng đợi 60 giây" in client.get(page.headers["Location"]).get_data(as_text=True)
    assert len(outbox.messages(PHONE)) == 1
    settings(OTP_RESEND_SECONDS=0)
    for _ in range(4):
        form_post(client, "/chonso/kich-hoat/gui-lai", {}, page="/chonso/kich-hoat")
    assert len(outbox.messages(PHONE)) == 5
    page = form_post(client, "/chonso/kich-hoat/gui-lai", {}, page="/chonso/kich-hoat")
    assert "quá nhiều lần" in client.get(page.headers["Location"]).get_data(as_text=True)
    assert len(outbox.messages(PHONE)) == 5


def test_sends_are_limited_per_address_whatever_the_phone(app, db, outbox, settings):
    settings(OTP_MAX_SENDS_PER_ADDRESS=3)
    api = app.test_client()
    codes = [api.post("/api/app/v1/password/forgot", json={"phone": f"090355500{i}"}).status_code for i in range(4)]
    assert codes == [202, 202, 202, 429]


def test_the_code_is_never_stored_logged_or_queued_in_clear(client, db, outbox, caplog):
    caplog.set_level(logging.DEBUG)
    register(client)
    code = outbox.last_otp(PHONE)
    row = db.session.scalar(select(CustomerOtp))
    assert row.purpose == OtpPurpose.ACTIVATE and len(row.code_hash) == 64 and code not in row.code_hash
    for entry in db.session.scalars(select(AuditEntry)):
        assert code not in str(entry.detail)
    assert db.session.scalar(select(OutboxJob.id)) is None  # no persisted job carries it
    assert code not in caplog.text
    form_post(client, "/chonso/kich-hoat", {"otp": code})
    assert code not in caplog.text


def test_a_name_typed_with_combining_accents_is_stored_composed(client, db, outbox):
    import unicodedata

    register(client, full_name=unicodedata.normalize("NFD", "Lê Văn Bình"))
    assert _customer(db).full_name == "Lê Văn Bình"
