"""Partner API searches (E-3.1): the four modes, their JSON, and bad input refused with stable codes."""
from __future__ import annotations

import pytest

from tests.partners.conftest import assert_error

ITEM_KEYS = {"number", "display", "class", "class_label", "price", "region"}
PAGE_KEYS = {"items", "page", "per_page", "total", "total_capped"}


def test_search_by_conditions_answers_a_page_of_items__E_3_1(api, stock):
    stock("0903126868", "0933556868", "0901234567", ("0909996868", 9_000_000))
    response = api.get("/numbers", pattern="09*6868", max_price=5_000_000, sort="price_desc")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) >= PAGE_KEYS
    assert (body["page"], body["per_page"], body["total"], body["total_capped"]) == (1, 20, 2, False)
    assert [i["number"] for i in body["items"]] == ["0933556868", "0903126868"]  # same price: number descending
    item = body["items"][0]
    assert set(item) == ITEM_KEYS
    assert item["display"] == item["number"][:4] + " " + item["number"][4:7] + " " + item["number"][7:]
    assert item["class"] == "loc_phat" and item["class_label"] == "Lộc phát" and item["region"] == 1
    assert response.headers["X-RateLimit-Limit"] == "600"


def test_search_filters_combine(api, stock):
    stock("0903126868", "0933556868", "0901234567", "0777777777")
    assert [i["number"] for i in api.get("/numbers", prefix="0933").get_json()["items"]] == ["0933556868"]
    assert [i["number"] for i in api.get("/numbers", contains="1234").get_json()["items"]] == ["0901234567"]
    assert {i["number"] for i in api.get("/numbers", ends_with="868").get_json()["items"]} == {
        "0903126868", "0933556868"}
    assert "0777777777" not in {i["number"] for i in api.get("/numbers", avoid="7").get_json()["items"]}
    assert [i["number"] for i in api.get("/numbers", **{"class": "ngu_quy"}).get_json()["items"]] == ["0777777777"]
    page = api.get("/numbers", per_page=1, page=2, sort="number").get_json()
    assert page["total"] == 4 and [i["number"] for i in page["items"]] == ["0901234567"]


def test_search_shows_only_numbers_on_sale(api, stock, make_partner, api_for):
    stock("0903126868", "0933556868")
    api.post("/holds", json={"number": "0903126868", "customer_phone": "0912345678", "sim_type": "esim"})
    assert [i["number"] for i in api.get("/numbers").get_json()["items"]] == ["0933556868"]


def test_search_by_name__E_3_1(api, stock):
    stock("0906246624", "0901111111")  # "mai" = 624
    body = api.get("/numbers/by-name", name="Nguyễn Thị Mai").get_json()
    assert body["digits"] == "844624"  # "thimai": the whole name does not fit, its last words do
    body = api.get("/numbers/by-name", name="Mai").get_json()
    assert body["digits"] == "624"
    assert [i["number"] for i in body["items"]] == ["0906246624"] and set(body) >= PAGE_KEYS


def test_feng_shui_items_carry_score_and_reasons__E_3_1(api, stock):
    from portal.numbers.services import generate_numbers

    stock(*[n.number for n in generate_numbers(300, seed=7)])
    body = api.get("/numbers/feng-shui", birth_date="1990-05-17", per_page=50).get_json()
    assert body["total"] > 0 and body["element"] and body["can_chi"]
    scores = [i["score"] for i in body["items"]]
    assert scores == sorted(scores, reverse=True) and min(scores) >= 7
    assert all(ITEM_KEYS | {"score", "reasons"} == set(i) and i["reasons"] for i in body["items"])


def test_pairs_are_two_items_and_a_price__E_3_1(api, stock):
    stock(("0903123456", 100_000), ("0933123456", 200_000), "0903123457", "0777000111")
    body = api.get("/numbers/pairs", kind="prefix").get_json()
    assert body["total"] == 1
    pair = body["items"][0]
    assert pair["kind"] == "prefix" and pair["kind_label"]
    assert [n["number"] for n in pair["numbers"]] == ["0903123456", "0933123456"]
    assert pair["price"] == 300_000 and all(set(n) == ITEM_KEYS for n in pair["numbers"])
    assert api.get("/numbers/pairs").get_json()["total"] == 2  # and the one-digit-apart pair


@pytest.mark.parametrize(("params", "code"), [
    ({"pattern": "09*68a8"}, "pattern_bad_char"),
    ({"pattern": "0903"}, "pattern_length"),
    ({"pattern": "9" * 25}, "pattern_too_long"),
    ({"pattern": "*" * 10_000}, "pattern_too_long"),
    ({"contains": "12ab"}, "digits_only"),
    ({"prefix": "abc"}, "digits_only"),
    ({"avoid": "x" * 10_000}, "digits_only"),
    ({"ends_with": "1" * 11}, "digits_only"),
    ({"page": "abc"}, "bad_parameter"),
    ({"per_page": "1e3"}, "bad_parameter"),
    ({"min_price": "mười"}, "bad_parameter"),
    ({"max_price": "9" * 40}, "bad_parameter"),
    ({"page": 99999}, "page_out_of_range"),
    ({"page": 0}, "page_out_of_range"),
    ({"per_page": 0}, "per_page_out_of_range"),
    ({"per_page": 101}, "per_page_out_of_range"),
    ({"min_price": -1}, "price_negative"),
    ({"max_price": -5}, "price_negative"),
    ({"min_price": 500_000, "max_price": 100_000}, "price_range_reversed"),
    ({"sort": "giá"}, "bad_sort"),
    ({"sort": "x" * 10_000}, "bad_sort"),
    ({"class": "vip"}, "bad_class"),
    ({"class": ""}, "bad_class"),
    ({"sort": ""}, "bad_sort"),
    ({"page": ""}, "bad_parameter"),
])
def test_bad_search_input_is_422_with_a_stable_code(api, stock, params, code):
    stock("0903126868")
    assert_error(api.get("/numbers", **params), 422, code)


@pytest.mark.parametrize(("path", "params", "code"), [
    ("/numbers/by-name", {}, "name_empty"),
    ("/numbers/by-name", {"name": "123 !!"}, "name_empty"),
    ("/numbers/by-name", {"name": "Mai" * 3_400}, "name_too_long"),
    ("/numbers/by-name", {"name": "Иван"}, "name_bad_char"),
    ("/numbers/by-name", {"name": "Mai", "page": 99999}, "page_out_of_range"),
    ("/numbers/feng-shui", {}, "bad_birth_date"),
    ("/numbers/feng-shui", {"birth_date": "17/05/1990"}, "bad_birth_date"),
    ("/numbers/feng-shui", {"birth_date": "1990-02-30"}, "bad_birth_date"),
    ("/numbers/feng-shui", {"birth_date": "1800-01-01"}, "bad_birth_date"),
    ("/numbers/feng-shui", {"birth_date": "2999-01-01"}, "bad_birth_date"),
    ("/numbers/feng-shui", {"birth_date": "1" * 10_000}, "bad_birth_date"),
    ("/numbers/feng-shui", {"birth_date": "1990-05-17", "per_page": "x"}, "bad_parameter"),
    ("/numbers/pairs", {"kind": "triple"}, "bad_pair_kind"),
    ("/numbers/pairs", {"kind": ""}, "bad_pair_kind"),
    ("/numbers/pairs", {"page": 99999}, "page_out_of_range"),
])
def test_bad_input_to_other_searches_is_422(api, path, params, code):
    assert_error(api.get(path, **params), 422, code)


def test_a_search_changes_nothing(api, stock, db):
    from sqlalchemy import func, select

    from portal.core.models import AuditEntry

    stock("0903126868")
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    api.get("/numbers", pattern="bad!")
    api.get("/numbers")
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before
