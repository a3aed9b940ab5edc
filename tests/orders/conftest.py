"""Fixtures of the orders tests: a customer, a small inventory, a valid hold form."""
from __future__ import annotations

import pytest

from portal.customers.models import Customer, CustomerStatus
from portal.numbers.services import NewNumber, add_numbers
from tests.conftest import TEST_PASSWORD, csrf_from


@pytest.fixture
def numbers(db):
    add_numbers([NewNumber("0903686868", region_id=2, price=500_000), NewNumber("0933686868", region_id=2),
                 NewNumber("0909123456", region_id=5, price=1_200_000), NewNumber("0778001122", region_id=3)])
    db.session.commit()


@pytest.fixture
def make_customer(db):
    counter = iter(range(1, 1000))

    from portal.auth.services import _hasher

    password_hash = _hasher().hash(TEST_PASSWORD)

    def make(phone: str | None = None) -> Customer:
        customer = Customer(phone=phone or f"0912{next(counter):06d}", full_name="Nguyễn Văn An",
                            password_hash=password_hash, status=CustomerStatus.ACTIVE)
        db.session.add(customer)
        db.session.commit()
        return customer

    return make


@pytest.fixture
def customer(make_customer):
    return make_customer("0912345678")


@pytest.fixture
def sign_in(client):
    """``sign_in(customer)`` signs a customer in on the customer site (``on``: another client)."""

    def do(customer: Customer, on=None):
        c = on or client
        token = csrf_from(c.get("/chonso/dang-nhap").get_data(as_text=True))
        response = c.post("/chonso/dang-nhap", data={"phone": customer.phone, "password": TEST_PASSWORD,
                                                     "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)[:800]
        return customer

    return do


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
