"""The customer's forms: the registration details (ACT-4, ESIM-3) and, for a sales channel's ticket, the hold code
and phone that prove it is theirs (E-3.3). The rules live in ``portal.dossiers.validation``; these render and keep
what was typed (and check the CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField

from portal.dossiers.validation import FIELDS
from portal.orders.forms import HoldForm


class DetailsForm(HoldForm):
    """The hold form's subscriber fields (only those are shown and read)."""

    def details(self) -> dict[str, str]:
        return {name: self[name].data or "" for name in FIELDS}


class StartForm(DetailsForm):
    """E-1.3, E-3.3: a ticket from a sales channel — the hold code and the phone it was held for, then the details."""

    hold_code = StringField(_l("Mã giữ số"))
    hold_phone = StringField(_l("Số điện thoại đã dùng khi giữ số"))
