"""Search by name: letters to keypad digits."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.numbers.keypad import MAX_NAME_LETTERS, NameInputError, fold_name, name_to_digits


def test_letters_map_to_keypad_groups():
    assert name_to_digits("abcdefghijklmnopqrstuvwxyz") == "22233344455566677778889999"


def test_vietnamese_name_with_and_without_diacritics_gives_same_digits():
    expected = "648936624"  # n-g-u-y-e-n-m-a-i
    assert name_to_digits("Nguyễn Mai") == expected
    assert name_to_digits("nguyen mai") == expected
    assert name_to_digits("NGUYỄN MAI") == expected


def test_nfc_and_nfd_inputs_are_equivalent():
    name = "Trần Thị Thủy Ngọc Ưng Ơn"
    nfc, nfd = unicodedata.normalize("NFC", name), unicodedata.normalize("NFD", name)
    assert nfc != nfd
    assert name_to_digits(nfc) == name_to_digits(nfd) == name_to_digits("tran thi thuy ngoc ung on")


@pytest.mark.parametrize("name", ["Đặng", "đặng", "ĐẶNG", "Ðặng"])
def test_d_with_stroke_maps_to_d(name):
    assert fold_name(name) == "dang"
    assert name_to_digits(name) == "3264"


def test_spaces_punctuation_and_digits_are_dropped():
    assert name_to_digits("  Lê-Văn, A. 123!") == name_to_digits("levana")


@pytest.mark.parametrize("name", ["", "   ", "123 456", "--..!!"])
def test_name_without_letters_is_rejected(name):
    with pytest.raises(NameInputError) as err:
        name_to_digits(name)
    assert err.value.code == "name_empty"


def test_name_longer_than_limit_is_rejected():
    assert len(name_to_digits("a" * MAX_NAME_LETTERS)) == MAX_NAME_LETTERS
    with pytest.raises(NameInputError) as err:
        name_to_digits("a" * (MAX_NAME_LETTERS + 1))
    assert err.value.code == "name_too_long"


def test_huge_input_is_rejected_as_too_long():
    with pytest.raises(NameInputError) as err:
        name_to_digits("x" * 10_000)
    assert err.value.code == "name_too_long"


@pytest.mark.parametrize("name", ["Иван", "李小龙", "Straße"])
def test_non_latin_letters_are_rejected(name):
    with pytest.raises(NameInputError) as err:
        name_to_digits(name)
    assert err.value.code == "name_bad_char"


def test_error_is_a_value_error_with_vietnamese_message():
    with pytest.raises(ValueError, match="chữ cái"):
        name_to_digits("!!!")


VIETNAMESE_LETTERS = "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"


@given(st.text(alphabet=VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper() + " ", max_size=30))
def test_digits_are_keypad_digits_one_per_letter(name):
    letters = [c for c in name if c != " "]
    if not letters:
        return
    digits = name_to_digits(name)
    assert len(digits) == len(letters)
    assert set(digits) <= set("23456789")
    assert digits == name_to_digits(unicodedata.normalize("NFD", name))
