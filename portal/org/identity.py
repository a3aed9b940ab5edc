"""Vietnamese identity documents: CCCD (12 digits) and CMND (9), and what a CCCD number says of its holder.

A CCCD number is ``PPP`` (the province code of the 63 older provinces, ``places.CCCD_PROVINCES``), one digit for
century and gender (0/1: born 1900–1999, male/female; 2/3: 2000s; …), the birth year's last two digits, then six
more. The hold form (HOLD-4), the dossier and the eKYC check all ask ``id_errors``.
"""
from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.org.places import CCCD_PROVINCES


class IdType(StrEnum):
    CCCD = "cccd"  # căn cước công dân, 12 digits
    CMND = "cmnd"  # chứng minh nhân dân, 9 digits

    @property
    def label(self) -> str:
        return str({IdType.CCCD: _l("CCCD / Căn cước"), IdType.CMND: _l("CMND")}[self])


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"

    @property
    def label(self) -> str:
        return str({Gender.MALE: _l("Nam"), Gender.FEMALE: _l("Nữ")}[self])


def cccd_errors(id_number: str, birth_date: dt.date | None, gender: Gender | None) -> dict[str, tuple[str, str]]:
    """A 12-digit CCCD against the birth date and gender: which field disagrees (HOLD-4)."""
    if not re.fullmatch(r"[0-9]{12}", id_number):
        return {"id_number": ("cccd_length", _("Số CCCD gồm đúng 12 chữ số."))}
    errors: dict[str, tuple[str, str]] = {}
    if id_number[:3] not in CCCD_PROVINCES:
        errors["id_number"] = ("cccd_province", _("Ba chữ số đầu của số CCCD (%(c)s) không phải mã tỉnh/thành phố.",
                                                  c=id_number[:3]))
    digit = int(id_number[3])
    century_start, female = 1900 + 100 * (digit // 2), digit % 2 == 1
    if birth_date is not None:
        if not century_start <= birth_date.year < century_start + 100:
            errors["birth_date"] = ("cccd_century", _(
                "Năm sinh không khớp với số CCCD: chữ số thứ 4 (%(d)s) là của người sinh từ năm %(a)s đến %(b)s.",
                d=digit, a=century_start, b=century_start + 99))
        elif id_number[4:6] != f"{birth_date.year % 100:02d}":
            errors["birth_date"] = ("cccd_birth_year", _(
                "Năm sinh không khớp với số CCCD: chữ số thứ 5–6 (%(yy)s) phải là hai số cuối của năm sinh (%(y)s).",
                yy=id_number[4:6], y=birth_date.year))
    if gender is not None and (gender == Gender.FEMALE) != female:
        errors["gender"] = ("cccd_gender", _("Giới tính không khớp với số CCCD: chữ số thứ 4 (%(d)s) là của %(g)s.",
                                             d=digit, g=_("nữ") if female else _("nam")))
    return errors


def id_errors(id_type: IdType | None, id_number: str, birth_date: dt.date | None,
              gender: Gender | None) -> dict[str, tuple[str, str]]:
    if id_type == IdType.CCCD:
        return cccd_errors(id_number, birth_date, gender)
    if id_type == IdType.CMND and not re.fullmatch(r"[0-9]{9}", id_number):
        return {"id_number": ("cmnd_length", _("Số CMND gồm đúng 9 chữ số."))}
    return {}
