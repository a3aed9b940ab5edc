"""The customer site's forms: search modes and the hold form.

The hold form's rules live in ``portal.orders.validation`` (shared with the app API); the WTForms class
only renders the fields, keeps what was typed and checks the CSRF token.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, RadioField, SelectField, StringField
from wtforms.validators import Optional

from portal.core.forms import PortalForm, QueryForm
from portal.holds.models import SimType
from portal.numbers.models import PairKind
from portal.orders.models import Gender, IdType, PaymentMethod, ReceiveMethod
from portal.org.places import province_names

SEARCH_MODES = {"dieu-kien": _l("Theo điều kiện"), "ten": _l("Theo tên"), "phong-thuy": _l("Phong thủy"),
                "cap": _l("Sim đôi – cặp")}


def _provinces() -> list[tuple[str, str]]:
    return [("", _l("— Chọn tỉnh/thành phố —"))] + [(p, p) for p in province_names()]


class SearchForm(QueryForm):
    """GET form of the four modes (no CSRF: it changes nothing)."""

    mode = HiddenField(default="dieu-kien")
    pattern = StringField(_l("Mẫu số (dùng * cho chữ số bất kỳ)"), validators=[Optional()])
    ends_with = StringField(_l("Đuôi số"), validators=[Optional()])
    avoid = StringField(_l("Tránh các số"), validators=[Optional()])
    name = StringField(_l("Tên của bạn (không cần dấu)"), validators=[Optional()])
    birth_date = DateField(_l("Ngày sinh"), validators=[Optional()])
    kind = SelectField(_l("Loại cặp"), choices=[("", _l("Tất cả"))] + [(k.value, k.label) for k in PairKind],
                       validators=[Optional()], validate_choice=False)


def _choices(enum) -> list[tuple[str, str]]:
    return [(member.value, member.label) for member in enum]


class HoldForm(PortalForm):
    """Phiếu đăng ký thuê bao (HOLD-2) + receiving and payment (HOLD-6..11)."""

    nonce = HiddenField()
    sim_type = RadioField(_l("Loại SIM"), choices=_choices(SimType), default=SimType.PHYSICAL.value,
                          validate_choice=False)
    full_name = StringField(_l("Họ và tên chủ thuê bao"))
    id_type = RadioField(_l("Loại giấy tờ"), choices=_choices(IdType), default=IdType.CCCD.value,
                         validate_choice=False)
    id_number = StringField(_l("Số giấy tờ"))
    birth_date = StringField(_l("Ngày sinh"))
    gender = RadioField(_l("Giới tính"), choices=_choices(Gender), validate_choice=False)
    province = SelectField(_l("Tỉnh/Thành phố"), choices=_provinces, validate_choice=False)
    district = StringField(_l("Quận/Huyện (không bắt buộc)"))
    ward = StringField(_l("Phường/Xã/Đặc khu"))
    address = StringField(_l("Số nhà, tên đường"))
    email = StringField(_l("E-mail liên hệ"))
    contact_phone = StringField(_l("Số điện thoại liên hệ"))
    receive_method = RadioField(_l("Cách nhận SIM"), choices=_choices(ReceiveMethod),
                                default=ReceiveMethod.DELIVERY.value, validate_choice=False)
    store_code = RadioField(_l("Cửa hàng nhận SIM"), choices=[], validate_choice=False)
    recipient_name = StringField(_l("Tên người nhận"))
    recipient_phone = StringField(_l("Số điện thoại người nhận"))
    delivery_province = SelectField(_l("Tỉnh/Thành phố giao hàng"), choices=_provinces, validate_choice=False)
    delivery_district = StringField(_l("Quận/Huyện (không bắt buộc)"))
    delivery_ward = StringField(_l("Phường/Xã giao hàng"))
    delivery_address = StringField(_l("Địa chỉ giao hàng (số nhà, đường)"))
    payment_method = RadioField(_l("Cách thanh toán"), choices=_choices(PaymentMethod),
                                default=PaymentMethod.ONLINE.value, validate_choice=False)

    FIELDS = ("sim_type", "full_name", "id_type", "id_number", "birth_date", "gender", "province", "district", "ward",
              "address", "email", "contact_phone", "receive_method", "store_code", "recipient_name",
              "recipient_phone", "delivery_province", "delivery_district", "delivery_ward", "delivery_address",
              "payment_method")

    def raw(self, number: str) -> dict[str, str]:
        return {"number": number, **{name: self[name].data or "" for name in self.FIELDS}}
