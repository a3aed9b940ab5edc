"""The registration details of a dossier (ACT-4, ESIM-3): the hold form's subscriber fields, checked the same way.

``clean_details`` reads what was typed (web form or app JSON) with ``portal.orders.validation.read_subscriber``
and raises ``FieldErrors`` naming each wrong field; an eSIM needs its e-mail (the QR code is sent there).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.holds.models import SimType
from portal.orders.models import Gender, IdType, Order
from portal.orders.validation import FieldErrors, FormReader, read_subscriber

FIELDS = ("full_name", "id_type", "id_number", "birth_date", "gender", "province", "district", "ward", "address",
          "email", "contact_phone")
FIELD_LABELS = {"full_name": _l("họ và tên"), "id_type": _l("loại giấy tờ"), "id_number": _l("số giấy tờ"),
                "birth_date": _l("ngày sinh"), "gender": _l("giới tính"), "province": _l("tỉnh/thành phố"),
                "district": _l("quận/huyện"), "ward": _l("phường/xã"), "address": _l("số nhà, đường"),
                "email": _l("e-mail"), "contact_phone": _l("số điện thoại liên hệ")}


@dataclass(frozen=True)
class DossierDetails:
    """Registration details that passed every check."""

    full_name: str
    id_type: IdType
    id_number: str
    birth_date: dt.date
    gender: Gender
    province: str
    district: str
    ward: str
    address: str
    email: str
    contact_phone: str

    def values(self) -> dict[str, Any]:
        return asdict(self)


def clean_details(raw: dict[str, Any], sim_type: SimType, today: dt.date | None = None) -> DossierDetails:
    """Check the details form; raise ``FieldErrors`` with every wrong field (ACT-4, ESIM-3)."""
    reader = FormReader(raw)
    fields = read_subscriber(reader, today or dt.date.today())
    if sim_type == SimType.ESIM and not fields["email"] and "email" not in reader.errors:
        reader.fail("email", "email_required", _("Vui lòng nhập e-mail để nhận mã QR eSIM."))
    if reader.errors:
        raise FieldErrors(reader.errors)
    return DossierDetails(**fields)


def details_of_order(order: Order) -> DossierDetails:
    """What the customer typed on the hold form: the dossier starts from it (ACT-4: edit if needed)."""
    return DossierDetails(**{name: getattr(order, name) for name in FIELDS})
