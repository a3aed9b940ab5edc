"""Parse and display MobiFone numbers and VND amounts."""

from __future__ import annotations

import re

from portal.core.digits import normalize

# MobiFone's mobile prefixes; every number is 10 digits starting with one of these.
OPERATOR_PREFIXES = ("089", "090", "093", "070", "076", "077", "078", "079")

# Separators people type or paste: spaces (incl. no-break), dots, dashes, brackets.
_SEPARATORS = re.compile(r"[\s.\-()\u00a0]+")
_ASCII_DIGITS = re.compile(r"[0-9]+")


def normalize_number(text: str) -> str | None:
    """Return the canonical 10-digit form ("0903123888") or None if it isn't one of our numbers."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    compact = _SEPARATORS.sub("", normalize(text))  # full-width or superscript digits: ASCII (core.digits)
    if compact.startswith("+"):
        # Only the Vietnamese country code makes sense for a MobiFone number.
        if not compact.startswith("+84"):
            return None
        compact = compact[3:]
    elif compact.startswith("84") and (len(compact) == 11 or (len(compact) == 12 and compact[2] == "0")):
        # "84903123888", and the common slip of keeping the trunk zero: "840903123888".
        compact = compact[2:]
    # ASCII only (Arabic-Indic digits stay non-ASCII after NFKC): the inventory stores ASCII.
    if not _ASCII_DIGITS.fullmatch(compact):
        return None
    if len(compact) == 9:
        compact = "0" + compact
    if len(compact) != 10 or not compact.startswith(OPERATOR_PREFIXES):
        return None
    return compact


def format_number(n: str) -> str:
    """Group a 10-digit number the Vietnamese way: "0903 123 888"."""
    if len(n) != 10:
        return n
    return f"{n[:4]} {n[4:7]} {n[7:]}"


def format_vnd(amount: int) -> str:
    """Format dong with dot thousands separators: "1.250.000 ₫"."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(int(amount)):,} ₫".replace(",", ".")
