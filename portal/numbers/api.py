"""The number searches as JSON, the same for the partner API (/api/v1) and the app API (/api/app/v1).

Each function reads the request's query parameters, runs one search mode of ``portal.numbers.search`` and
answers one page; ``SEARCH_ERRORS`` are the codes they can refuse with, for each API's document.
"""
from __future__ import annotations

from typing import Any

from flask import Response
from flask_babel import gettext as _

from portal.core.api import choice_arg, date_arg, int_arg, page_json, paging, text_arg
from portal.core.openapi import ErrorCode
from portal.numbers.classes import CLASS_LABELS
from portal.numbers.formatting import format_number
from portal.numbers.models import PhoneNumber
from portal.numbers.search import (
    MAX_PER_PAGE,
    NumberQuery,
    search_by_name,
    search_feng_shui,
    search_numbers,
    search_pairs,
)
from portal.numbers.search_counts import count_search

SEARCH_ERRORS: tuple[ErrorCode, ...] = (
    ("bad_parameter", 422, "Tham số truy vấn phải là số nguyên (page, per_page, min_price, max_price)."),
    ("page_out_of_range", 422, "page nhỏ hơn 1, hoặc trang vượt quá 10.000 kết quả đầu tiên: hãy thu hẹp tìm kiếm."),
    ("per_page_out_of_range", 422, f"per_page phải từ 1 đến {MAX_PER_PAGE}."),
    ("bad_sort", 422, "Kiểu sắp xếp không hợp lệ."),
    ("bad_class", 422, "Loại số không hợp lệ."),
    ("price_negative", 422, "Giá không được âm."),
    ("price_range_reversed", 422, "min_price lớn hơn max_price."),
    ("pattern_empty", 422, "Mẫu số rỗng."),
    ("pattern_too_long", 422, "Mẫu số dài quá 20 ký tự."),
    ("pattern_bad_char", 422, "Mẫu số chỉ gồm chữ số, * (nhiều chữ số bất kỳ) và x (một chữ số bất kỳ)."),
    ("pattern_length", 422, "Mẫu không có * phải đủ 10 ký tự; mẫu có * không quá 10 ký tự cố định."),
    ("digits_only", 422, "prefix, contains, ends_with, avoid chỉ gồm chữ số (tối đa 10)."),
    ("name_empty", 422, "Tên phải có ít nhất một chữ cái."),
    ("name_too_long", 422, "Tên dài quá 40 chữ cái."),
    ("name_bad_char", 422, "Tên chỉ gồm chữ cái tiếng Việt hoặc tiếng Anh."),
    ("bad_birth_date", 422, "Ngày sinh thiếu, sai dạng YYYY-MM-DD, trước 1900 hoặc sau hôm nay."),
    ("bad_pair_kind", 422, "kind phải là prefix hoặc digit."),
)


def number_json(n: PhoneNumber) -> dict[str, Any]:
    return {"number": n.number, "display": format_number(n.number), "class": n.number_class,
            "class_label": CLASS_LABELS.get(n.number_class, n.number_class), "price": n.price, "region": n.region_id}


def _counted(channel: str, response: Response) -> Response:
    """The search ran (a refused one raised before): count it for the partners report (written after the answer)."""
    count_search(channel)
    return response


def by_conditions(channel: str) -> Response:
    """Search by conditions (pattern, prefix, contains, ends_with, avoid, class, price range, sort)."""
    result = search_numbers(NumberQuery(
        pattern=text_arg("pattern"), prefix=text_arg("prefix"), contains=text_arg("contains"),
        ends_with=text_arg("ends_with"), avoid=text_arg("avoid"), number_class=choice_arg("class", "bad_class") or "",
        min_price=int_arg("min_price"), max_price=int_arg("max_price"), sort=choice_arg("sort", "bad_sort") or "price",
        **paging()))
    return _counted(channel, page_json(result, [number_json(n) for n in result.items]))


def by_name(channel: str) -> Response:
    """Numbers that contain a name typed on a phone keypad."""
    result = search_by_name(text_arg("name"), sort=choice_arg("sort", "bad_sort") or "price", **paging())
    return _counted(channel, page_json(result, [number_json(n) for n in result.items], digits=result.extra["digits"]))


def feng_shui(channel: str) -> Response:
    """Numbers that suit a birth date, best first."""
    birth_date = date_arg("birth_date", "bad_birth_date", _("Ngày sinh phải có dạng YYYY-MM-DD, ví dụ 1990-05-17."))
    result = search_feng_shui(birth_date, **paging())
    items = [{**number_json(s.number), "score": s.score, "reasons": s.reasons} for s in result.items]
    return _counted(channel, page_json(result, items, element=result.extra.get("element"),
                                       can_chi=result.extra.get("can_chi")))


def pairs(channel: str) -> Response:
    """Pairs of numbers that are both available."""
    result = search_pairs(choice_arg("kind", "bad_pair_kind"), **paging())
    items = [{"kind": pair.kind.value, "kind_label": pair.kind.label, "numbers": [number_json(a), number_json(b)],
              "price": a.price + b.price} for pair, a, b in result.items]
    return _counted(channel, page_json(result, items))
