"""Number normalization and Vietnamese display formats."""

import pytest

from portal.numbers.formatting import OPERATOR_PREFIXES, format_number, format_vnd, normalize_number


@pytest.mark.parametrize(
    "text",
    ["0903123888", "0903 123 888", "0903.123.888", "0903-123-888", "+84903123888", "+84 903 123 888",
     "84903123888", "903123888", " 0903123888 ", "+840903123888"],
)  # fmt: skip
def test_normalize_accepts_common_spellings(text):
    assert normalize_number(text) == "0903123888"


@pytest.mark.parametrize("prefix", OPERATOR_PREFIXES)
def test_normalize_accepts_every_operator_prefix(prefix):
    number = prefix + "1234567"
    assert normalize_number(number) == number


@pytest.mark.parametrize(
    "text",
    ["", "abc", "0912345678", "0981234567", "090312388", "09031238889", "+1 903 123 888", "+85903123888",
     "0903١٢٣888", "0903१२३888", "0903 12x 888", "0" * 100, "84912345678"],
)  # fmt: skip
def test_normalize_rejects_foreign_malformed_and_non_ascii(text):
    assert normalize_number(text) is None


def test_format_number_groups_four_three_three():
    assert format_number("0903123888") == "0903 123 888"


def test_format_number_round_trips_through_normalize():
    assert normalize_number(format_number("0779868686")) == "0779868686"


@pytest.mark.parametrize(
    ("amount", "text"),
    [(0, "0 ₫"), (999, "999 ₫"), (1000, "1.000 ₫"), (1_250_000, "1.250.000 ₫"), (50_000_000, "50.000.000 ₫"),
     (-15_000, "-15.000 ₫")],
)  # fmt: skip
def test_format_vnd_uses_dot_thousands_and_dong_sign(amount, text):
    assert format_vnd(amount) == text


def test_full_width_and_superscript_digits_are_read_as_ascii__issue_10():
    """portal.core.digits: NFKC first, so the compatibility forms count; other scripts' digits never do."""
    assert normalize_number("０９０３ １２３ ８８８") == "0903123888"
    assert normalize_number("＋84 903 123 888") == "0903123888"
    assert normalize_number("⁰⁹⁰³¹²³⁸⁸⁸") == "0903123888"
