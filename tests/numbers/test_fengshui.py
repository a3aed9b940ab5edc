"""Sim phong thủy: mệnh from the lunar birth year, and the 0–10 score."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.numbers.fengshui import (
    TET_DATES,
    FengShuiScore,
    birth_element,
    can_chi,
    lunar_year,
    nut,
    score_number,
)


@pytest.mark.parametrize(
    ("year", "element", "name"),
    [
        (1984, "Kim", "Giáp Tý"),
        (1985, "Kim", "Ất Sửu"),
        (1986, "Hỏa", "Bính Dần"),
        (1988, "Mộc", "Mậu Thìn"),
        (1990, "Thổ", "Canh Ngọ"),
        (1991, "Thổ", "Tân Mùi"),
        (1992, "Kim", "Nhâm Thân"),
        (1995, "Hỏa", "Ất Hợi"),
        (1996, "Thủy", "Bính Tý"),
        (2000, "Kim", "Canh Thìn"),
        (2002, "Mộc", "Nhâm Ngọ"),
        (2004, "Thủy", "Giáp Thân"),
        (1975, "Thủy", "Ất Mão"),
        (1960, "Thổ", "Canh Tý"),
        (2024, "Hỏa", "Giáp Thìn"),
    ],
)
def test_nap_am_element_of_known_years(year, element, name):
    assert birth_element(dt.date(year, 7, 1)) == (element, name)


@pytest.mark.parametrize(
    ("year", "month", "day"),
    [(1968, 1, 29), (1985, 1, 21), (1990, 1, 27), (2000, 2, 5), (2007, 2, 17), (2020, 1, 25), (2023, 1, 22),
     (2024, 2, 10), (2025, 1, 29), (2026, 2, 17)],
)  # fmt: skip
def test_tet_table_has_known_vietnamese_new_year_dates(year, month, day):
    assert TET_DATES[year] == (month, day)


def test_tet_table_covers_1940_to_2030_in_late_january_or_february():
    assert sorted(TET_DATES) == list(range(1940, 2031))
    for year, (month, day) in TET_DATES.items():
        assert dt.date(1, 1, 21) <= dt.date(1, month, day) <= dt.date(1, 2, 20), year


def test_born_before_tet_belongs_to_previous_lunar_year():
    assert lunar_year(dt.date(1991, 2, 14)) == 1990
    assert lunar_year(dt.date(1991, 2, 15)) == 1991
    assert birth_element(dt.date(1991, 1, 10)) == ("Thổ", "Canh Ngọ")
    assert birth_element(dt.date(1985, 1, 20)) == ("Kim", "Giáp Tý")


def test_outside_the_table_february_fifth_is_the_cut_off():
    assert lunar_year(dt.date(1935, 2, 4)) == 1934
    assert lunar_year(dt.date(1935, 2, 5)) == 1935


def test_can_chi_cycles_every_sixty_years():
    assert can_chi(1984) == can_chi(2044) == "Giáp Tý"
    assert can_chi(2023) == "Quý Mão"


@pytest.mark.parametrize(("number", "value"), [("0903123887", 1), ("0903123889", 3), ("0903123880", 4),
                                              ("0900000000", 9), ("0901000000", 10)])  # fmt: skip
def test_nut_is_digit_sum_mod_ten_with_zero_as_ten(number, value):
    assert nut(number) == value


def test_documented_example_scores_seven_and_a_half():
    result = score_number("0903123887", dt.date(1990, 6, 1))
    assert result.score == 7.5
    assert result.reasons == [
        "Cân bằng âm dương: 5 chẵn / 5 lẻ",
        "Mệnh Thổ (Canh Ngọ 1990) – số mang hành Hỏa sinh Thổ: rất hợp",
        "Tổng nút: 1 nút – thấp",
    ]


def test_perfect_number_scores_ten():
    # 5 even / 5 odd, ends in 7 (Hỏa generates Thổ), digit sum 29 → 9 nút.
    result = score_number("0903002177", dt.date(1990, 6, 1))
    assert result.score == 10.0
    assert result.reasons[2] == "Tổng nút: 9 nút – rất đẹp"


@pytest.mark.parametrize(
    ("last", "verdict"),
    [("7", "rất hợp"), ("5", "hợp"), ("4", "tạm được"), ("1", "ít hợp"), ("3", "không hợp")],
)
def test_element_relation_verdicts_for_a_tho_owner(last, verdict):
    reason = score_number("090312388" + last, dt.date(1990, 6, 1)).reasons[1]
    assert reason.startswith("Mệnh Thổ (Canh Ngọ 1990) – số mang hành ")
    assert reason.endswith(": " + verdict)


def test_unbalanced_number_is_called_out():
    assert score_number("0902468024", dt.date(1990, 6, 1)).reasons[0] == "Lệch âm dương: 9 chẵn / 1 lẻ"


@pytest.mark.parametrize("bad", ["090312388", "09031238a8", ""])
def test_score_rejects_anything_but_ten_digits(bad):
    with pytest.raises(ValueError):
        score_number(bad, dt.date(1990, 6, 1))


@given(st.text(alphabet="0123456789", min_size=10, max_size=10), st.dates(dt.date(1930, 1, 1), dt.date(2040, 12, 31)))
def test_score_is_in_range_in_half_steps_with_three_reasons(number, birth):
    result = score_number(number, birth)
    assert isinstance(result, FengShuiScore)
    assert 0.0 <= result.score <= 10.0
    assert (result.score * 2).is_integer()
    assert len(result.reasons) == 3
