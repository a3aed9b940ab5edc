"""The hold form's checks (HOLD-4, HOLD-5): each CCCD disagreement names its field; eSIM rules (HOLD-6)."""
from __future__ import annotations

import datetime as dt

import pytest

from portal.orders.models import Gender
from portal.orders.validation import FieldErrors, cccd_errors, clean_order

from .conftest import hold_form


def _errors(**changes) -> dict:
    with pytest.raises(FieldErrors) as err:
        clean_order(hold_form(**changes), today=dt.date(2026, 11, 25))
    return {name: code for name, (code, _message) in err.value.fields.items()}


def test_a_good_form_passes__HOLD_4(app):
    with app.test_request_context():
        data = clean_order(hold_form(province="tp. hồ chí minh"), today=dt.date(2026, 11, 25))
    assert data.province == "TP. Hồ Chí Minh" and data.birth_date == dt.date(1990, 5, 17)


@pytest.mark.parametrize(("id_number", "birth", "gender", "field", "code"), [
    ("003090001234", "1990-05-17", "male", "id_number", "cccd_province"),  # 003 is no province code
    ("079190001234", "1990-05-17", "male", "gender", "cccd_gender"),  # 1 = female, 1900s
    ("079290001234", "1990-05-17", "male", "birth_date", "cccd_century"),  # 2 = male, 2000s
    ("079091001234", "1990-05-17", "male", "birth_date", "cccd_birth_year"),  # 91 ≠ 1990
    ("07909000123", "1990-05-17", "male", "id_number", "cccd_length"),
    ("079305001234", "2005-01-02", "female", None, None),  # 3 = female, 2000s: agrees
])
def test_cccd_disagreement_names_the_field__HOLD_5(app, id_number, birth, gender, field, code):
    with app.test_request_context():
        errors = cccd_errors(id_number, dt.date.fromisoformat(birth), Gender(gender))
    assert ({field: code} if field else {}) == {k: c for k, (c, _m) in errors.items()}


def test_cccd_messages_say_which_digits__HOLD_5(app):
    with app.test_request_context():
        errors = cccd_errors("079190001234", dt.date(1990, 5, 17), Gender.MALE)
    assert "chữ số thứ 4" in errors["gender"][1]


def test_cmnd_is_nine_digits__HOLD_4(app):
    with app.test_request_context():
        assert _errors(id_type="cmnd", id_number="07909000") == {"id_number": "cmnd_length"}
        clean_order(hold_form(id_type="cmnd", id_number="123456789"), today=dt.date(2026, 11, 25))


def test_every_wrong_field_is_reported_at_once__HOLD_5(app):
    with app.test_request_context():
        errors = _errors(full_name="", province="Hà Giang", ward="", contact_phone="12345", birth_date="17/05/1990")
    assert errors == {"full_name": "required", "province": "bad_province", "ward": "required",
                      "contact_phone": "bad_phone", "birth_date": "bad_date"}


def test_district_is_optional_ward_is_required(app):
    with app.test_request_context():
        assert _errors(district="", ward=" ") == {"ward": "required"}


def test_esim_refuses_cod_and_delivery__HOLD_6(app):
    with app.test_request_context():
        assert _errors(sim_type="esim", receive_method="delivery", payment_method="cod") == {
            "receive_method": "esim_by_email", "payment_method": "esim_online_only"}
        assert _errors(sim_type="esim", receive_method="email", payment_method="online", email="") == {
            "email": "email_required"}
        data = clean_order(hold_form(sim_type="esim", receive_method="", payment_method="online"),
                           today=dt.date(2026, 11, 25))
    assert data.receive_method.value == "email"


def test_delivery_needs_the_recipient__HOLD_10(app):
    """HOLD-8: home delivery → the delivery form."""
    with app.test_request_context():
        assert _errors(recipient_name="", recipient_phone="", delivery_province="") == {
            "recipient_name": "required", "recipient_phone": "bad_phone", "delivery_province": "bad_province"}


def test_store_pickup_needs_a_store__HOLD_9(app):
    """HOLD-8: store pickup → the store."""
    with app.test_request_context():
        assert _errors(receive_method="store", store_code="") == {"store_code": "required"}


def test_physical_sim_is_not_sent_by_email__HOLD_7(app):
    with app.test_request_context():
        assert _errors(receive_method="email") == {"receive_method": "physical_not_by_email"}


def test_too_young_or_future_birth_dates(app):
    with app.test_request_context():
        assert _errors(birth_date="2020-01-01", id_number="079220001234")["birth_date"] == "too_young"
        assert _errors(birth_date="2030-01-01")["birth_date"] == "bad_date"
