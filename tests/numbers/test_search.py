"""The search service: the four modes of the app (feature list; E-3.1), over the real indexes."""
from __future__ import annotations

import datetime as dt

import pytest

from portal.core.errors import Invalid
from portal.numbers import search
from portal.numbers.models import NumberStatus
from portal.numbers.search import NumberQuery, search_by_name, search_feng_shui, search_numbers, search_pairs
from portal.numbers.services import NewNumber, add_numbers, generate_numbers

NUMBERS = [
    "0903686868", "0909123456", "0933686868", "0903123457", "0903123456", "0778886868", "0901368888",
    "0899999999", "0702471357", "0765432179", "0939397979", "0906481234", "0786483666",
]


@pytest.fixture
def inventory(db):
    add_numbers(NewNumber(n, region_id=1 + i % 9) for i, n in enumerate(NUMBERS))
    db.session.commit()
    return NUMBERS


def _numbers(page) -> list[str]:
    return [n.number for n in page.items]


def test_pattern_with_any_run_and_single_digits(inventory):
    assert set(_numbers(search_numbers(NumberQuery(pattern="09*6868")))) == {"0903686868", "0933686868"}
    assert _numbers(search_numbers(NumberQuery(pattern="0903xxx456"))) == ["0903123456"]
    assert _numbers(search_numbers(NumberQuery(pattern="*39*79"))) == ["0939397979"]


def test_contains_ends_with_prefix_and_avoid(inventory):
    assert set(_numbers(search_numbers(NumberQuery(contains="6868")))) == {
        "0903686868", "0933686868", "0778886868"}
    assert set(_numbers(search_numbers(NumberQuery(ends_with="9999")))) == {"0899999999"}
    assert set(_numbers(search_numbers(NumberQuery(prefix="0903")))) == {"0903686868", "0903123457", "0903123456"}
    avoided = _numbers(search_numbers(NumberQuery(avoid="47", per_page=100)))
    assert avoided and all("4" not in n and "7" not in n for n in avoided)
    assert "0899999999" in avoided


def test_class_price_filters_and_sorting(inventory):
    quy = search_numbers(NumberQuery(number_class="ngu_quy"))
    assert _numbers(quy) == ["0899999999"]
    by_price = search_numbers(NumberQuery(sort="price", per_page=100)).items
    assert [n.price for n in by_price] == sorted(n.price for n in by_price)
    by_beauty = search_numbers(NumberQuery(sort="beauty", per_page=100)).items
    assert by_beauty[0].number == "0899999999"
    cheap = search_numbers(NumberQuery(max_price=100_000, per_page=100))
    assert cheap.items and all(n.price <= 100_000 for n in cheap.items)


def test_only_available_numbers_are_offered(inventory, db):
    from sqlalchemy import update

    from portal.numbers.models import PhoneNumber

    db.session.execute(update(PhoneNumber).where(PhoneNumber.number == "0933686868").values(
        status=NumberStatus.SOLD))
    db.session.commit()
    assert "0933686868" not in _numbers(search_numbers(NumberQuery(contains="6868")))
    back_office = search_numbers(NumberQuery(contains="6868", status=None))
    assert "0933686868" in _numbers(back_office)


def test_paging_is_stable_and_total_is_exact(inventory):
    first = search_numbers(NumberQuery(per_page=5, page=1, sort="number"))
    second = search_numbers(NumberQuery(per_page=5, page=2, sort="number"))
    assert first.total == second.total == len(NUMBERS)
    assert not set(_numbers(first)) & set(_numbers(second))
    assert _numbers(first) + _numbers(second) == sorted(NUMBERS)[:10]


@pytest.mark.parametrize("query, code", [
    (NumberQuery(pattern="09ab*"), "pattern_bad_char"),
    (NumberQuery(pattern="9" * 10_000), "pattern_too_long"),
    (NumberQuery(pattern="0903xx"), "pattern_length"),
    (NumberQuery(contains="68a8"), "digits_only"),
    (NumberQuery(page=99999), "page_out_of_range"),
    (NumberQuery(page=0), "page_out_of_range"),
    (NumberQuery(per_page=1000), "per_page_out_of_range"),
    (NumberQuery(min_price=-1), "price_negative"),
    (NumberQuery(min_price=500_000, max_price=100_000), "price_range_reversed"),
    (NumberQuery(number_class="khong_co"), "bad_class"),
    (NumberQuery(sort="random"), "bad_sort"),
])
def test_bad_input_is_refused_with_a_stable_code(inventory, query, code):
    with pytest.raises(Invalid) as err:
        search_numbers(query)
    assert err.value.code == code
    assert err.value.message  # a Vietnamese sentence for the person


def test_by_name_accepts_diacritics_nfc_nfd_and_d(inventory, db):
    import unicodedata

    add_numbers([NewNumber("0906264624"), NewNumber("0703363624")])  # ...6 2 4 = "mai"; 3363 = "đeme"?
    db.session.commit()
    nfc = search_by_name("Mai")
    nfd = search_by_name(unicodedata.normalize("NFD", "Mâi"))
    assert nfc.extra["digits"] == nfd.extra["digits"] == "624"
    assert set(_numbers(nfc)) == set(_numbers(nfd))
    assert all("624" in n for n in _numbers(nfc)) and "0906264624" in _numbers(nfc)
    assert search_by_name("Đức").extra["digits"] == search_by_name("duc").extra["digits"] == "382"


def test_by_name_falls_back_to_the_given_name_when_the_full_name_is_too_long(inventory):
    assert search.name_digits("Lê Mai") == "53624"  # short enough: the whole name
    assert search.name_digits("Nguyễn Thị Mai") == "844624"  # "thi mai": the full name has 12 letters
    assert search.name_digits("Trần Văn Hùng") == "8264864"  # "van hung" fits in seven digits
    assert search.name_digits("Hà") == "42"


def test_by_name_refuses_names_without_letters(inventory):
    with pytest.raises(Invalid) as err:
        search_by_name("12345 !!")
    assert err.value.code == "name_empty"


def test_feng_shui_orders_by_score_and_explains_why(inventory):
    page = search_feng_shui(dt.date(1990, 6, 15), min_score=0)
    scores = [item.score for item in page.items]
    assert scores == sorted(scores, reverse=True) and page.total == len(NUMBERS)
    assert all(0 <= s <= 10 for s in scores)
    assert page.extra["element"] == "Thổ" and page.extra["can_chi"] == "Canh Ngọ"
    assert all(len(item.reasons) == 3 for item in page.items)
    from portal.numbers.fengshui import score_number

    for item in page.items:
        assert score_number(item.number.number, dt.date(1990, 6, 15)).score == item.score


def test_feng_shui_refuses_impossible_birth_dates(inventory):
    with pytest.raises(Invalid) as err:
        search_feng_shui(dt.date.today() + dt.timedelta(days=2))
    assert err.value.code == "bad_birth_date"


def test_pairs_differ_in_prefix_or_by_one_in_the_last_digit(inventory):
    pairs = search_pairs()
    found = {(a.number, b.number, p.kind.value) for p, a, b in pairs.items}
    assert ("0903686868", "0933686868", "prefix") in found
    assert ("0903123456", "0903123457", "digit") in found or ("0903123457", "0903123456", "digit") in found
    assert {k for *_, k in found} == {"prefix", "digit"}
    only_prefix = search_pairs(kind="prefix")
    assert all(p.kind.value == "prefix" for p, *_ in only_prefix.items)


def test_pairs_hide_pairs_with_a_number_no_longer_available(inventory, db):
    from sqlalchemy import update

    from portal.numbers.models import PhoneNumber

    db.session.execute(update(PhoneNumber).where(PhoneNumber.number == "0933686868").values(
        status=NumberStatus.HELD))
    db.session.commit()
    found = {(a.number, b.number) for _, a, b in search_pairs().items}
    assert ("0903686868", "0933686868") not in found


def test_adding_numbers_twice_adds_nothing_the_second_time(inventory, db):
    assert add_numbers(NewNumber(n) for n in NUMBERS) == 0
    assert search_numbers(NumberQuery(per_page=100)).total == len(NUMBERS)


def test_generated_inventory_is_realistic_and_deterministic(db):
    first = [n.number for n in generate_numbers(2000, seed=7)]
    again = [n.number for n in generate_numbers(2000, seed=7)]
    assert first == again and len(set(first)) == 2000
    assert {n[:3] for n in first} == {"089", "090", "093", "070", "076", "077", "078", "079"}
    add_numbers(generate_numbers(2000, seed=7))
    db.session.commit()
    assert search_numbers(NumberQuery(number_class="ngu_quy")).total > 0
    assert search_pairs().total > 0


def test_totals_are_capped_and_say_so(inventory, monkeypatch):
    """Pairs and feng-shui count up to COUNT_CAP; the search index counts every match."""
    monkeypatch.setattr(search, "COUNT_CAP", 1)
    pairs = search_pairs(per_page=3)
    assert pairs.total == 1 and pairs.total_capped
    page = search_numbers(NumberQuery(per_page=3))
    assert page.total == len(inventory) and not page.total_capped
