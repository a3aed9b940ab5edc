"""The blank SIM's serial (ICCID) recorded on an order: 19–20 ASCII digits, beginning 89, Luhn check digit."""
from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import select

from portal.core.digits import ascii_digits, is_ascii_digits
from portal.core.errors import Conflict, Invalid
from portal.extensions import db
from portal.orders.models import Order

ICCID = re.compile(r"89[0-9]{17,18}")  # [0-9], not \d: \d also matches Arabic-Indic and other digits


def luhn_ok(digits: str) -> bool:
    if not is_ascii_digits(digits):
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = ord(ch) - 48
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def normalize_iccid(text: str, order: Order | None = None) -> str:
    """A well-formed serial not yet recorded for another order (``order`` may already hold it)."""
    digits = ascii_digits(text, drop=".-") or ""  # full-width digits read as ASCII; other scripts refused
    if not ICCID.fullmatch(digits) or not luhn_ok(digits):
        raise Invalid("bad_iccid",
                      _("Số serial SIM (ICCID) phải có 19–20 chữ số, bắt đầu bằng 89 và đúng số kiểm tra."))
    taken = db.session.scalar(select(Order.order_no).where(Order.sim_serial == digits))
    if taken and (order is None or taken != order.order_no):
        raise Conflict("iccid_in_use", _("Số serial SIM này đã được ghi cho đơn %(n)s.", n=taken))
    return digits
