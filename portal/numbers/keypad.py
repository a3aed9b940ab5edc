"""Search by name: spell a name on the phone keypad (abc=2 … wxyz=9)."""

from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l

MAX_NAME_LETTERS = 40

_KEYS = {"2": "abc", "3": "def", "4": "ghi", "5": "jkl", "6": "mno", "7": "pqrs", "8": "tuv", "9": "wxyz"}
_LETTER_TO_DIGIT = {letter: digit for digit, letters in _KEYS.items() for letter in letters}
# đ has no Unicode decomposition, so stripping marks won't reach "d"; Ð (U+00D0) is a frequent look-alike typo.
_D_LIKE = str.maketrans({"đ": "d", "Đ": "d", "Ð": "d", "ð": "d"})

_MESSAGES = {
    "name_empty": _l("Vui lòng nhập tên có ít nhất một chữ cái."),
    "name_too_long": _l("Tên không được dài quá %(n)d chữ cái.", n=MAX_NAME_LETTERS),
    "name_bad_char": _l("Tên chỉ được chứa chữ cái tiếng Việt hoặc tiếng Anh."),
}


class NameInputError(ValueError):
    """A name that can't be spelled on the keypad; `code` is stable, the message is for display."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(str(_MESSAGES[code]))


def fold_name(name: str) -> str:
    """Lower-case ASCII letters of a name, diacritics removed: "Nguyễn Mai" → "nguyenmai"."""
    if len(name) > MAX_NAME_LETTERS * 5:
        raise NameInputError("name_too_long")
    # NFD splits "ễ" into e + marks whether the input arrived composed (NFC) or not.
    decomposed = unicodedata.normalize("NFD", name.translate(_D_LIKE))
    letters = []
    for char in decomposed:
        if unicodedata.category(char).startswith("M"):
            continue
        if not char.isalpha():
            continue  # spaces, punctuation and digits carry no letters
        lowered = char.lower()
        if lowered not in _LETTER_TO_DIGIT:
            raise NameInputError("name_bad_char")
        letters.append(lowered)
    if not letters:
        raise NameInputError("name_empty")
    if len(letters) > MAX_NAME_LETTERS:
        raise NameInputError("name_too_long")
    return "".join(letters)


def name_to_digits(name: str) -> str:
    """Keypad digits for a name: "Nguyễn Mai" → "648936624"."""
    return "".join(_LETTER_TO_DIGIT[c] for c in fold_name(name))
