"""Number classes ("loại số"), their order, default prices and the beauty score."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.numbers.classes import (
    CLASS_LABELS,
    CLASS_RANK,
    DEFAULT_PRICE_TIERS,
    beauty_score,
    classify,
    primary_class,
)

numbers = st.text(alphabet="0123456789", min_size=7, max_size=7).map(lambda tail: "090" + tail)


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("0903199999", "ngu_quy"),
        ("0909999999", "ngu_quy"),
        ("0903128888", "tu_quy"),
        ("0903111888", "tam_hoa_kep"),
        ("0903125888", "tam_hoa"),
        ("0903121212", "taxi"),
        ("0903168168", "taxi"),
        ("0913571357", "taxi"),
        ("0903561234", "tien"),
        ("0903456789", "tien"),
        ("0903501789", "tien"),
        ("0903150468", "loc_phat"),
        ("0903150486", "loc_phat"),
        ("0903150439", "than_tai"),
        ("0903150479", "than_tai"),
        ("0903150438", "ong_dia"),
        ("0903150478", "ong_dia"),
        ("0903874545", "lap"),
        ("0903874455", "kep"),
        ("0903125521", "dao"),
        ("0903874525", "ganh"),
        ("0903874554", "ganh"),
        ("0903871990", "nam_sinh"),
        ("0903240295", "nam_sinh"),
        ("0915081990", "nam_sinh"),
        ("0903818188", "de_nho"),
        ("0903517364", "thuong"),
    ],
)
def test_known_examples_have_their_class(number, code):
    assert code in classify(number)


@pytest.mark.parametrize(
    ("number", "primary"),
    [
        ("0909999999", "ngu_quy"),  # also four and three of a kind, but those are implied
        ("0903339999", "tu_quy"),
        ("0903666888", "tam_hoa_kep"),
        ("0903686868", "taxi"),  # taxi before lộc phát
        ("0903121999", "tam_hoa"),  # tam hoa before năm sinh
        ("0903345678", "tien"),  # sảnh before ông địa
        ("0903876868", "loc_phat"),  # lộc phát before lặp
        ("0903517364", "thuong"),
    ],
)
def test_precedence_puts_most_valuable_class_first(number, primary):
    assert primary_class(number) == primary


def test_longer_runs_do_not_repeat_the_shorter_classes():
    assert classify("0909999999") == ["ngu_quy"]
    assert classify("0903128888") == ["tu_quy"]
    assert classify("0903111888") == ["tam_hoa_kep"]


def test_a_number_can_have_several_classes():
    assert classify("0906886886") == ["taxi", "loc_phat", "ganh"]
    assert classify("0903136868") == ["loc_phat", "lap"]
    assert classify("0903121999")[:2] == ["tam_hoa", "nam_sinh"]


def test_abab_taxi_is_not_also_reported_as_lap_or_ganh():
    assert classify("0903121212")[0] == "taxi"
    assert "lap" not in classify("0903121212")
    assert "ganh" not in classify("0903121212")


@pytest.mark.parametrize("number", ["0903125120", "0903127890", "0903123455", "0903122334"])
def test_broken_or_wrapping_runs_are_not_tien(number):
    assert "tien" not in classify(number)


@pytest.mark.parametrize("number", ["0903881949", "0903882016", "0903310295", "0903320290", "0910132016"])
def test_implausible_years_and_invalid_dates_are_not_nam_sinh(number):
    assert "nam_sinh" not in classify(number)


def test_de_nho_is_only_a_fallback_when_no_shape_class_applies():
    assert "de_nho" in classify("0903818188")
    assert "de_nho" not in classify("0903818888")  # tứ quý already says it


@pytest.mark.parametrize("bad", ["090312388", "09031238889", "09031238a8", ""])
def test_classify_rejects_anything_but_ten_digits(bad):
    with pytest.raises(ValueError):
        classify(bad)


def test_tables_cover_the_same_classes_with_vietnamese_labels():
    assert set(CLASS_LABELS) == set(CLASS_RANK) == set(DEFAULT_PRICE_TIERS)
    assert CLASS_LABELS["ngu_quy"] == "Ngũ quý"
    assert CLASS_LABELS["tam_hoa_kep"] == "Tam hoa kép"
    assert CLASS_LABELS["loc_phat"] == "Lộc phát"
    assert CLASS_LABELS["ong_dia"] == "Ông địa"
    assert CLASS_LABELS["thuong"] == "Thường"


def test_ranks_are_distinct_and_prices_fall_with_rank():
    by_rank = sorted(CLASS_RANK, key=CLASS_RANK.__getitem__)
    assert by_rank[0] == "ngu_quy" and by_rank[-1] == "thuong"
    assert len(set(CLASS_RANK.values())) == len(CLASS_RANK)
    prices = [DEFAULT_PRICE_TIERS[c] for c in by_rank]
    assert prices == sorted(prices, reverse=True)
    assert DEFAULT_PRICE_TIERS["ngu_quy"] == 50_000_000 and DEFAULT_PRICE_TIERS["thuong"] == 50_000


def test_beauty_score_orders_classic_examples():
    ordered = ["0909999999", "0903128888", "0903111888", "0903121212", "0903125888", "0903150468", "0903517364"]
    scores = [beauty_score(n) for n in ordered]
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) == len(scores)


def test_beauty_score_prefers_longer_runs_within_a_class():
    assert beauty_score("0909999999") > beauty_score("0903199999")


@given(numbers)
def test_classify_is_sorted_by_rank_without_duplicates(number):
    classes = classify(number)
    assert classes
    assert [CLASS_RANK[c] for c in classes] == sorted(CLASS_RANK[c] for c in set(classes))
    assert ("thuong" in classes) == (classes == ["thuong"])


@given(numbers, numbers)
def test_primary_class_dominates_beauty_score(a, b):
    if CLASS_RANK[primary_class(a)] < CLASS_RANK[primary_class(b)]:
        assert beauty_score(a) > beauty_score(b)


@given(numbers)
def test_beauty_score_is_deterministic(number):
    assert beauty_score(number) == beauty_score(number) > 0
