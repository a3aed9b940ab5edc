"""The pattern language of "tìm theo điều kiện": * = any digits, x = one digit, digits literal."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from portal.core.digits import normalize

MAX_PATTERN_LENGTH = 20
NUMBER_LENGTH = 10

_DIGITS = frozenset("0123456789")
_IGNORED = str.maketrans("", "", " .")

_MESSAGES = {
    "pattern_empty": _l("Vui lòng nhập mẫu số cần tìm."),
    "pattern_too_long": _l("Mẫu tìm kiếm không được dài quá %(n)d ký tự.", n=MAX_PATTERN_LENGTH),
    "pattern_bad_char": _l("Mẫu tìm kiếm chỉ được chứa chữ số, dấu * và ký tự x."),
    "pattern_length": _l("Mẫu không có dấu * phải đủ %(n)d ký tự; mẫu có dấu * không được có quá %(n)d ký tự cố "
                         "định.", n=NUMBER_LENGTH),
    "digits_only": _l("Chỉ được nhập chữ số (tối đa {field_max} chữ số)."),
}


class PatternError(ValueError):
    """A search input the user must correct; `code` is stable, the message is for display."""

    def __init__(self, code: str, message: str | None = None) -> None:
        self.code = code
        super().__init__(str(message or _MESSAGES[code]))


@dataclass(frozen=True)
class Pattern:
    """A parsed search pattern, ready for SQL (LIKE) or for Python (regex)."""

    text: str
    like: str
    regex: re.Pattern[str]
    literal_prefix: str
    literal_suffix: str

    def matches(self, number: str) -> bool:
        """True if the whole number matches the pattern."""
        return self.regex.fullmatch(number) is not None


def _compact(text: str, too_long: PatternError) -> str:
    # Refuse huge inputs before doing any work on them.
    if len(text) > MAX_PATTERN_LENGTH * 10:
        raise too_long
    return normalize(text).translate(_IGNORED)  # full-width digits, * and x count (core.digits)


def parse_pattern(text: str) -> Pattern:
    """Validate and translate a pattern such as "09*6868", "*39*79" or "0903xxx888"."""
    compact = _compact(text, PatternError("pattern_too_long"))
    if not compact:
        raise PatternError("pattern_empty")
    if len(compact) > MAX_PATTERN_LENGTH:
        raise PatternError("pattern_too_long")
    if not all(c in _DIGITS or c in "*xX" for c in compact):
        raise PatternError("pattern_bad_char")
    # "**" means the same as "*"; collapsing keeps LIKE and the regex simple.
    normalized = re.sub(r"\*+", "*", compact.lower())
    fixed = len(normalized) - normalized.count("*")
    if ("*" not in normalized and fixed != NUMBER_LENGTH) or fixed > NUMBER_LENGTH:
        raise PatternError("pattern_length")

    like = normalized.replace("*", "%").replace("x", "_")
    # [0-9], not the class that also matches other scripts' digits.
    body = "".join({"*": "[0-9]*", "x": "[0-9]"}.get(c, c) for c in normalized)
    prefix = re.match(r"[0-9]*", normalized).group()
    suffix = re.search(r"[0-9]*\Z", normalized).group()
    return Pattern(
        text=normalized,
        like=like,
        regex=re.compile(rf"\A(?:{body})\Z"),
        literal_prefix=prefix,
        literal_suffix=suffix,
    )


def digits_only(text: str, field_max: int = NUMBER_LENGTH) -> str:
    """Validate a "contains" / "ends with" / "avoid" field: digits only; blank means no filter ("")."""
    error = PatternError("digits_only", _MESSAGES["digits_only"].format(field_max=field_max))
    compact = _compact(text, error)
    if len(compact) > field_max or not all(c in _DIGITS for c in compact):
        raise error
    return compact
