"""The "search by conditions" pattern language and its SQL LIKE / regex translations."""

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from portal.numbers.patterns import PatternError, digits_only, parse_pattern


def reference_match(pattern: str, number: str) -> bool:
    """Straightforward recursive matcher for * / x / digits, independent of the regex translation."""
    pattern = pattern.lower()
    if not pattern:
        return not number
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        return any(reference_match(rest, number[i:]) for i in range(len(number) + 1))
    if not number:
        return False
    return (head == "x" or head == number[0]) and reference_match(rest, number[1:])


def like_match(like: str, value: str) -> bool:
    """Tiny SQL LIKE evaluator (no escapes): % = any run, _ = one character, whole value."""
    translated = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in like)
    return re.fullmatch(translated, value, re.DOTALL) is not None


ten_digits = st.text(alphabet="0123456789", min_size=10, max_size=10)
pattern_text = st.text(alphabet="0123456789xX*", min_size=1, max_size=20)


@pytest.mark.parametrize(
    ("text", "like", "prefix", "suffix"),
    [
        ("09*6868", "09%6868", "09", "6868"),
        ("*39*79", "%39%79", "", "79"),
        ("0903xxx888", "0903___888", "0903", "888"),
        ("0903XXX888", "0903___888", "0903", "888"),
        ("*6868", "%6868", "", "6868"),
        ("090*", "090%", "090", ""),
        ("09**68***68", "09%68%68", "09", "68"),
        ("0903 123.888", "0903123888", "0903123888", "0903123888"),
        ("*", "%", "", ""),
    ],
)
def test_pattern_translates_to_anchored_like_and_literal_ends(text, like, prefix, suffix):
    pattern = parse_pattern(text)
    assert pattern.like == like
    assert pattern.literal_prefix == prefix
    assert pattern.literal_suffix == suffix


def test_regex_has_fullmatch_semantics():
    pattern = parse_pattern("09*6868")
    assert pattern.matches("0903126868")
    assert pattern.regex.fullmatch("0903126868")
    assert not pattern.matches("0903686812")
    assert not pattern.regex.search("x0903126868")
    assert not pattern.regex.search("09031268681")


def test_x_matches_exactly_one_digit_and_only_ascii_digits():
    pattern = parse_pattern("0903xxx888")
    assert pattern.matches("0903123888")
    assert not pattern.matches("0903123 888")
    assert not pattern.matches("0903١٢٣888")  # Arabic-Indic digits are not \d here


@pytest.mark.parametrize("text", ["09a*68", "09*68-68", "0903xyz888", "09_68%", "٠٩*68", "०९*68"])
def test_bad_characters_are_rejected(text):
    with pytest.raises(PatternError) as err:
        parse_pattern(text)
    assert err.value.code == "pattern_bad_char"


@pytest.mark.parametrize("text", ["", "   ", " . . "])
def test_empty_pattern_is_rejected(text):
    with pytest.raises(PatternError) as err:
        parse_pattern(text)
    assert err.value.code == "pattern_empty"


@pytest.mark.parametrize("text", ["0" * 21, "*" * 21, "9" * 10_000, "a" * 10_000])
def test_long_patterns_are_rejected_before_other_checks(text):
    with pytest.raises(PatternError) as err:
        parse_pattern(text)
    assert err.value.code == "pattern_too_long"


def test_spaces_and_dots_do_not_count_towards_the_length_limit():
    assert parse_pattern("0903 . 123 . 888 . ").like == "0903123888"


@pytest.mark.parametrize("text", ["0903123", "09031238889", "0903xxx88", "*09031238889", "x*xxxxxxxxxx"])
def test_impossible_lengths_are_rejected(text):
    with pytest.raises(PatternError) as err:
        parse_pattern(text)
    assert err.value.code == "pattern_length"


def test_pattern_error_is_a_value_error_with_vietnamese_message():
    with pytest.raises(ValueError, match="chữ số"):
        parse_pattern("09ab")


@given(pattern_text, ten_digits)
def test_regex_and_like_agree_with_reference_matcher(text, number):
    try:
        pattern = parse_pattern(text)
    except PatternError as err:
        assert err.code == "pattern_length"
        return
    expected = reference_match(text, number)
    assert pattern.matches(number) == expected
    assert like_match(pattern.like, number) == expected


@given(ten_digits, st.data())
def test_regex_and_like_agree_with_reference_on_near_miss_patterns(number, data):
    # Patterns shaped after the number (its digits, a wrong digit, x, *) match about half the time.
    tokens = []
    for digit in number:
        choice = data.draw(st.sampled_from(["keep"] * 6 + ["other", "x", "x", "star", "star", "skip"]))
        other = str((int(digit) + 1) % 10)
        tokens.append({"keep": digit, "other": other, "x": "x", "star": "*" + digit, "skip": ""}[choice])
    text = "".join(tokens)
    try:
        pattern = parse_pattern(text)
    except PatternError as err:
        assert err.code == "pattern_length"
        return
    expected = reference_match(text, number)
    assert pattern.matches(number) == expected
    assert like_match(pattern.like, number) == expected


@given(ten_digits, st.data())
def test_pattern_built_from_a_number_matches_it(number, data):
    # Replace random positions with x and random slices with *, so the pattern must match its source.
    chars = [data.draw(st.sampled_from([c, "x"])) for c in number]
    start = data.draw(st.integers(0, 10))
    end = data.draw(st.integers(start, 10))
    text = "".join(chars[:start]) + "*" + "".join(chars[end:])
    pattern = parse_pattern(text)
    assert pattern.matches(number)
    assert like_match(pattern.like, number)
    assert number.startswith(pattern.literal_prefix)
    assert number.endswith(pattern.literal_suffix)


@given(pattern_text)
def test_literal_ends_are_digits_and_bound_the_like(text):
    try:
        pattern = parse_pattern(text)
    except PatternError:
        return
    assume("%" in pattern.like or "_" in pattern.like)
    assert pattern.literal_prefix.isdigit() or pattern.literal_prefix == ""
    assert pattern.like.startswith(pattern.literal_prefix)
    assert pattern.like.endswith(pattern.literal_suffix)
    assert pattern.like[len(pattern.literal_prefix)] in "%_"


@pytest.mark.parametrize(("text", "digits"), [("68", "68"), (" 6.8 ", "68"), ("", ""), ("0903123888", "0903123888")])
def test_digits_only_accepts_digits_and_blank(text, digits):
    assert digits_only(text) == digits


@pytest.mark.parametrize(("text", "field_max"), [("6a8", 10), ("*68", 10), ("12345", 4), ("4" * 10_000, 10), ("٤", 10)])
def test_digits_only_rejects_other_input(text, field_max):
    with pytest.raises(PatternError) as err:
        digits_only(text, field_max=field_max)
    assert err.value.code == "digits_only"
    assert str(field_max) in str(err.value)


def test_full_width_digits_star_and_x_are_read_as_ascii__issue_10():
    assert parse_pattern("０９＊６８ｘ８").text == "09*68x8"
