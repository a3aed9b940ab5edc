"""Checking the hold form (HOLD-2..5, HOLD-6..11): every field, and which field disagrees with which.

One place for the web form and the app API: ``clean_order`` turns what was typed into an ``OrderInput``
or raises ``FieldErrors`` naming each wrong field with a stable code and a Vietnamese message, so the
page shows it beside the field (HOLD-5) and the API returns it per field.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from portal.core.digits import MAX_TEXT, normalize
from portal.core.errors import FieldErrors, Invalid  # noqa: F401  (FieldErrors re-exported: the hold form's refusal)
from portal.holds.models import SimType
from portal.holds.services import normalize_customer_phone
from portal.orders.models import Gender, IdType, PaymentMethod, ReceiveMethod
from portal.org.identity import cccd_errors, id_errors  # noqa: F401  (re-exported: the hold form's checks)
from portal.org.places import canonical_province

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[A-Za-z]{2,}$")
NAME = re.compile(r"^[^\W\d_]+(?:[ '.-][^\W\d_]+)*$")  # letters (any script), single separators
MIN_AGE = 14  # a subscriber younger than this needs a guardian's contract: not sold online


@dataclass(frozen=True)
class OrderInput:
    """A hold form that passed every check: typed values, normalised."""

    number: str
    sim_type: SimType
    full_name: str
    id_type: IdType
    id_number: str
    birth_date: dt.date
    gender: Gender
    address: str
    ward: str
    district: str
    province: str
    email: str
    contact_phone: str
    receive_method: ReceiveMethod
    payment_method: PaymentMethod
    store_code: str = ""
    recipient_name: str = ""
    recipient_phone: str = ""
    delivery_address: str = ""
    delivery_ward: str = ""
    delivery_district: str = ""
    delivery_province: str = ""

    @property
    def by_delivery(self) -> bool:
        return self.receive_method == ReceiveMethod.DELIVERY

    @property
    def by_email(self) -> bool:
        return self.receive_method == ReceiveMethod.EMAIL

    @property
    def pays_online(self) -> bool:
        return self.payment_method == PaymentMethod.ONLINE

    @property
    def numbers(self) -> list[str]:
        """One number, or a pair (sim đôi) typed as "a,b"."""
        return [n.strip() for n in self.number.split(",") if n.strip()]


class FormReader:
    """Reads one raw form, collecting the errors of every field rather than stopping at the first."""

    def __init__(self, raw: dict[str, Any]):
        self.raw = raw
        self.errors: dict[str, tuple[str, str]] = {}

    def text(self, name: str, max_len: int, required: bool = True, label: str = "") -> str:
        value = " ".join(str(self.raw.get(name) or "").split())
        if required and not value:
            self.fail(name, "required", _("Vui lòng nhập %(f)s.", f=label or name))
        elif len(value) > max_len:
            self.fail(name, "too_long", _("Tối đa %(n)d ký tự.", n=max_len))
        return value

    def choice(self, name: str, enum: type, message: str) -> Any:
        try:
            return enum(str(self.raw.get(name) or ""))
        except ValueError:
            self.fail(name, "bad_choice", message)
            return None

    def fail(self, name: str, code: str, message: str) -> None:
        self.errors.setdefault(name, (code, message))

    def phone(self, name: str) -> str:
        raw = str(self.raw.get(name) or "")
        try:
            return normalize_customer_phone(raw)
        except Invalid as exc:
            self.fail(name, "bad_phone", exc.message if raw else _("Vui lòng nhập số điện thoại."))
            return raw

    def province(self, name: str) -> str:
        value = canonical_province(str(self.raw.get(name) or ""))
        if value is None:
            self.fail(name, "bad_province", _("Vui lòng chọn tỉnh/thành phố trong danh sách."))
        return value or ""

    def date(self, name: str) -> dt.date | None:
        raw = self.raw.get(name)
        if isinstance(raw, dt.date):
            return raw
        try:
            return dt.date.fromisoformat(normalize(str(raw or "")[:40]).strip())
        except ValueError:
            self.fail(name, "bad_date", _("Ngày sinh phải có dạng năm-tháng-ngày, ví dụ 1990-05-17."))
            return None


def read_subscriber(r: FormReader, today: dt.date) -> dict[str, Any]:
    """The subscriber's own fields (HOLD-2; a dossier's details, ACT-4/ESIM-3), their errors collected in ``r``."""
    full_name = r.text("full_name", 120, label=_("họ và tên"))
    if full_name and "full_name" not in r.errors and not NAME.match(full_name):
        r.fail("full_name", "bad_name", _("Họ và tên chỉ gồm chữ cái và khoảng trắng."))
    id_type = r.choice("id_type", IdType, _("Vui lòng chọn loại giấy tờ (CCCD hoặc CMND)."))
    id_number = re.sub(r"\s", "", normalize(str(r.raw.get("id_number") or "")[:MAX_TEXT]))  # core.digits
    if not id_number:
        r.fail("id_number", "required", _("Vui lòng nhập số giấy tờ."))
    birth_date = r.date("birth_date")
    if birth_date is not None and not dt.date(1900, 1, 1) <= birth_date <= today:
        r.fail("birth_date", "bad_date", _("Ngày sinh không hợp lệ."))
        birth_date = None
    elif birth_date is not None and _age(birth_date, today) < MIN_AGE:
        r.fail("birth_date", "too_young", _("Chủ thuê bao phải từ %(n)d tuổi trở lên.", n=MIN_AGE))
    gender = r.choice("gender", Gender, _("Vui lòng chọn giới tính."))
    if id_number:
        for name, (code, message) in id_errors(id_type, id_number, birth_date, gender).items():
            r.fail(name, code, message)
    province = r.province("province")
    district = r.text("district", 120, required=False)  # the level was abolished on 1 July 2025
    ward = r.text("ward", 120, label=_("phường/xã"))
    address = r.text("address", 300, label=_("số nhà, đường"))
    email = r.text("email", 254, required=False).lower()
    if email and not EMAIL.match(email):
        r.fail("email", "bad_email", _("Địa chỉ e-mail không hợp lệ."))
    contact_phone = r.phone("contact_phone")
    return {"full_name": full_name, "id_type": id_type, "id_number": id_number, "birth_date": birth_date,
            "gender": gender, "province": province, "district": district, "ward": ward, "address": address,
            "email": email, "contact_phone": contact_phone}


def clean_order(raw: dict[str, Any], today: dt.date | None = None) -> OrderInput:
    """Check a hold form; raise ``FieldErrors`` with every wrong field (HOLD-4, HOLD-5)."""
    r = FormReader(raw)
    number = r.text("number", 30, label=_("số thuê bao"))
    sim_type = r.choice("sim_type", SimType, _("Vui lòng chọn SIM vật lý hoặc eSIM."))
    subscriber = read_subscriber(r, today or dt.date.today())
    email = subscriber["email"]
    receive = None
    if sim_type != SimType.ESIM or raw.get("receive_method"):  # an eSIM needs no choice: it comes by e-mail
        receive = r.choice("receive_method", ReceiveMethod, _("Vui lòng chọn cách nhận SIM."))
    payment = r.choice("payment_method", PaymentMethod, _("Vui lòng chọn cách thanh toán."))
    extra: dict[str, str] = {}
    if sim_type == SimType.ESIM:
        # HOLD-6: eSIM is paid online and arrives by e-mail.
        if receive not in (None, ReceiveMethod.EMAIL):
            r.fail("receive_method", "esim_by_email", _("eSIM chỉ nhận qua e-mail."))
        if payment not in (None, PaymentMethod.ONLINE):
            r.fail("payment_method", "esim_online_only", _("eSIM chỉ thanh toán trực tuyến."))
        if not email:
            r.fail("email", "email_required", _("Vui lòng nhập e-mail để nhận eSIM."))
        receive = ReceiveMethod.EMAIL if receive in (None, ReceiveMethod.EMAIL) else receive
    elif sim_type == SimType.PHYSICAL:
        if receive == ReceiveMethod.EMAIL:
            r.fail("receive_method", "physical_not_by_email", _("SIM vật lý nhận tại nhà hoặc tại cửa hàng."))
        elif receive == ReceiveMethod.STORE:  # HOLD-9
            extra["store_code"] = r.text("store_code", 20, label=_("cửa hàng"))
        elif receive == ReceiveMethod.DELIVERY:  # HOLD-10
            extra["recipient_name"] = r.text("recipient_name", 120, label=_("tên người nhận"))
            extra["recipient_phone"] = r.phone("recipient_phone")
            extra["delivery_address"] = r.text("delivery_address", 300, label=_("địa chỉ giao hàng"))
            extra["delivery_ward"] = r.text("delivery_ward", 120, label=_("phường/xã giao hàng"))
            extra["delivery_district"] = r.text("delivery_district", 120, required=False)
            extra["delivery_province"] = r.province("delivery_province")
    if r.errors:
        raise FieldErrors(r.errors)
    return OrderInput(number=number, sim_type=sim_type, receive_method=receive, payment_method=payment,
                      **subscriber, **extra)


def _age(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
