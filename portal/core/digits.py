"""Digits typed by people: one rule for every digits-only field (phone, ICCID, CCCD/CMND, OTP, order and hold
codes, search patterns, amounts, prices, page numbers).

Python's ``\\d``, ``str.isdigit()``, ``int()`` and ``Decimal()`` accept the digits of every script — Arabic-Indic
"٣", Devanagari "३", full-width "３" — and ``isdigit()`` superscripts too ("³"). A field checked with them stores
or compares text that no ASCII value equals: an ICCID in Arabic-Indic digits passed its check digit and slipped
past the uniqueness check.

The rule, everywhere: **NFKC, then ASCII 0–9 only.** NFKC turns the compatibility forms into ASCII — full-width
digits and letters (a CJK keyboard, a copy from a PDF), super- and subscript digits — so they count as the digits
they show. The digits of other scripts (Arabic-Indic ٠–٩, Persian ۰–۹, Devanagari ०–९, …) are not compatibility
forms: they stay what they are, and the field refuses them with its usual message. Nothing else is stored.
"""
from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField

MAX_TEXT = 200  # longer input is refused before it is normalised (NFKC can make text longer)
DIGITS = re.compile(r"[0-9]+")  # a range, not \d: only ASCII
WHOLE = re.compile(r"-?[0-9]{1,18}")


def normalize(text: str) -> str:
    """NFKC: full-width and super/subscript digits (and full-width letters and signs) become ASCII."""
    return unicodedata.normalize("NFKC", text)


def ascii_digits(text: str | None, drop: str = "") -> str | None:
    """``text`` as ASCII digits: normalised, whitespace and the ``drop`` characters removed; "" for blank,
    None when anything but 0–9 is left."""
    if not text:
        return ""
    if len(text) > MAX_TEXT:
        return None
    compact = "".join(normalize(text).split())
    if drop:
        compact = compact.translate({ord(c): None for c in drop})
    if not compact:
        return ""
    return compact if DIGITS.fullmatch(compact) else None


def is_ascii_digits(text: str) -> bool:
    """Only ASCII 0–9, at least one (what ``str.isdigit()`` is wrongly trusted to say)."""
    return DIGITS.fullmatch(text) is not None


def only_digits(text: str | None) -> str:
    """Every ASCII digit of the normalised ``text``, whatever surrounds them ("CCCD: 001 099 012 345")."""
    return re.sub(r"[^0-9]", "", normalize(text or "")[:MAX_TEXT])


def whole_number(text: str) -> int:
    """A whole number (an optional minus, then ASCII digits after NFKC), else ``ValueError``.

    Werkzeug's ``request.args.get(name, default, type=whole_number)`` then falls back to the default.
    """
    compact = normalize(str(text)).strip() if len(str(text)) <= 40 else ""
    if not WHOLE.fullmatch(compact):
        raise ValueError(f"not a whole number: {str(text)[:40]!r}")
    return int(compact)


class WholeNumberField(IntegerField):
    """WTForms' IntegerField by this module's rule (its own ``int()`` reads any script's digits)."""

    def process_formdata(self, valuelist: list) -> None:
        if not valuelist or valuelist[0] in (None, ""):
            self.data = None  # blank: Optional() or DataRequired() decides
            return
        try:
            self.data = whole_number(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError(_l("Vui lòng nhập một số nguyên bằng các chữ số 0–9.")) from None
