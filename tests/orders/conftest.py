"""Fixtures of the orders tests: a customer, a small inventory, a valid hold form."""
from __future__ import annotations

import pytest

from portal.numbers.services import NewNumber, add_numbers
from tests.conftest import writing_now


@pytest.fixture
def numbers(db):
    with writing_now(db):  # a live worker may be committing (browser tests with the live stack)
        add_numbers([NewNumber("0903686868", region_id=2, price=500_000), NewNumber("0933686868", region_id=2),
                     NewNumber("0909123456", region_id=5, price=1_200_000), NewNumber("0778001122", region_id=3)])
        db.session.commit()


@pytest.fixture
def customer(make_customer):
    return make_customer("0912345678", full_name="Nguyễn Văn An")


@pytest.fixture
def sign_in(login_customer):
    """``sign_in(customer)`` signs a customer in on the customer site (``on``: another client)."""
    return login_customer


def hold_form(**changes) -> dict:
    """A hold form that passes: CCCD 079 (TP.HCM) 0 (male, 1900s) 90 (born 1990)."""
    form = {"number": "0903686868", "sim_type": "physical", "full_name": "Nguyễn Văn An", "id_type": "cccd",
            "id_number": "079090001234", "birth_date": "1990-05-17", "gender": "male",
            "address": "12 Lê Lợi", "ward": "Phường Bến Thành", "district": "", "province": "TP. Hồ Chí Minh",
            "email": "an@example.vn", "contact_phone": "0912345678", "receive_method": "delivery",
            "payment_method": "cod", "recipient_name": "Nguyễn Văn An", "recipient_phone": "0912345678",
            "delivery_address": "12 Lê Lợi", "delivery_ward": "Phường Bến Thành",
            "delivery_province": "TP. Hồ Chí Minh", "store_code": ""}
    form.update(changes)
    return form
