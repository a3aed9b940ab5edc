"""The partner API's OpenAPI 3.1 document, written by hand, and the error codes it can answer.

``ERRORS`` is the one list of stable error codes: the document's Error schema
enumerates it (so a property-based run flags any undocumented code) and the
docs page at /api/v1/docs prints it.
"""
from __future__ import annotations

from typing import Any

from portal.core.openapi import (
    BAD_FIELD_TYPE,
    BAD_JSON,
    METHOD_NOT_ALLOWED,
    MISSING_FIELD,
    NOT_FOUND,
    UNAVAILABLE,
    ErrorCode,
    error_doc,
    error_schema,
    param,
    pick,
    ref,
)
from portal.holds.api import HOLD_ERRORS
from portal.numbers.api import SEARCH_ERRORS
from portal.numbers.classes import CLASS_LABELS
from portal.numbers.search import MAX_PER_PAGE, SORTS

VERSION = "1.0.0"

# (code, HTTP status, what it means and what to do), in status order.
ERRORS: list[ErrorCode] = [
    BAD_JSON,
    ("unauthorized", 401, "Thiếu header Authorization, khóa API sai hoặc đã bị thu hồi."),
    NOT_FOUND,
    ("hold_not_found", 404, "Không có phiếu giữ số với mã này trong kênh của bạn (phiếu của kênh khác cũng vậy)."),
    *pick(HOLD_ERRORS, "number_not_found"),
    METHOD_NOT_ALLOWED,
    *pick(HOLD_ERRORS, "number_not_available"),
    ("hold_expired", 409, "Phiếu giữ số đã hết hạn giữ; không hủy được nữa, số đã về kho."),
    ("hold_paid", 409, "Phiếu giữ số đã thanh toán: không hủy qua API; chỉ hủy cùng đơn hàng (kèm hoàn tiền)."),
    ("invalid_transition", 409, "Phiếu không còn ở trạng thái cho phép thao tác này (ví dụ đã hoàn tất)."),
    ("stale_state", 409, "Phiếu vừa được cập nhật bởi một yêu cầu khác; đọc lại phiếu rồi thử lại."),
    ("too_large", 413, "Nội dung yêu cầu vượt quá 16 KB."),
    *pick(SEARCH_ERRORS, "bad_parameter"),
    MISSING_FIELD,
    BAD_FIELD_TYPE,
    *[e for e in SEARCH_ERRORS if e[0] != "bad_parameter"],
    *[e for e in HOLD_ERRORS if e[1] == 422],
    ("rate_limited", 429, "Vượt giới hạn số yêu cầu của khóa API; chờ theo header Retry-After rồi thử lại."),
    ("internal_error", 500, "Lỗi hệ thống; thử lại sau, nếu lặp lại hãy báo cho quản trị kèm thời điểm gọi."),
    UNAVAILABLE,
]
MEANINGS = {code: meaning for code, _status, meaning in ERRORS}

NUMBER_EXAMPLE = {"number": "0903123888", "display": "0903 123 888", "class": "tam_hoa",
                  "class_label": "Tam hoa", "price": 3000000, "region": 1}
HOLD_EXAMPLE = {"hold_code": "K7TQ4MXA9C", "number": "0903123888", "numbers": ["0903123888"], "status": "active",
                "sim_type": "esim", "amount": 3000000, "expires_at": "2026-11-25T10:30:00Z",
                "created_at": "2026-11-25T10:00:00Z"}


def _error(description: str, *codes: str) -> dict[str, Any]:
    return error_doc(description, codes, MEANINGS)


PAGING_CODES = ("bad_parameter", "page_out_of_range", "per_page_out_of_range")
INVALID = {  # the 422 codes each operation can answer
    "searchNumbers": (*PAGING_CODES, "bad_sort", "bad_class", "price_negative", "price_range_reversed",
                      "pattern_empty", "pattern_too_long", "pattern_bad_char", "pattern_length", "digits_only"),
    "searchNumbersByName": (*PAGING_CODES, "bad_sort", "name_empty", "name_too_long", "name_bad_char"),
    "searchNumbersFengShui": (*PAGING_CODES, "bad_birth_date"),
    "searchNumberPairs": (*PAGING_CODES, "bad_pair_kind"),
    "createHold": ("missing_field", "bad_field_type", "bad_numbers", "bad_number", "not_a_pair", "bad_customer_phone",
                   "bad_sim_type", "bad_idempotency_key", "idempotency_key_reused"),
}


RESPONSES = {
    "Unauthorized": {**_error("Khóa API thiếu, sai hoặc đã thu hồi.", "unauthorized"),
                     "headers": {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}}},
    "RateLimited": {**_error("Vượt giới hạn số yêu cầu.", "rate_limited"),
                    "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Số giây cần chờ."}}},
    "HoldNotFound": _error("Không có phiếu này trong kênh của bạn.", "hold_not_found", "not_found"),
    "Conflict": _error("Xung đột với trạng thái hiện tại.", "hold_expired", "hold_paid", "invalid_transition",
                      "stale_state"),
}


# Spaces and dots are forgiven ("0903.123"), so the raw text may be longer than its 10 digits.
DIGITS = {"type": "string", "pattern": "^[0-9 .]*$", "maxLength": 200}
PAGING = [
    param("page", "Trang, bắt đầu từ 1. Chỉ xem được 10.000 kết quả đầu tiên.",
           {"type": "integer", "minimum": 1, "default": 1}),
    param("per_page", f"Số kết quả mỗi trang (1–{MAX_PER_PAGE}).",
           {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 20}),
]
SORT = param("sort", "Sắp xếp: price (giá tăng), price_desc (giá giảm), beauty (số đẹp trước), number.",
              {"type": "string", "enum": list(SORTS), "default": "price"})
HOLD_CODE = param("hold_code", "Mã giữ số (10 ký tự; chữ thường, khoảng trắng và dấu - được bỏ qua).",
                   {"type": "string", "minLength": 1, "maxLength": 14}, where="path", required=True,
                   example="K7TQ4MXA9C")

COMMON = {"401": {"$ref": "#/components/responses/Unauthorized"},
          "429": {"$ref": "#/components/responses/RateLimited"}}


def _page_response(op_id: str, item: str, description: str, **extra: dict[str, Any]) -> dict[str, Any]:
    schema = {"allOf": [ref("Page"), {"type": "object", "properties": {"items": {"type": "array",
                                                                                   "items": ref(item)}, **extra}}]}
    return {"200": {"description": description, "content": {"application/json": {"schema": schema}}},
            "422": _error("Tham số không hợp lệ.", *INVALID[op_id]), **COMMON}


def _operation(op_id: str, summary: str, description: str, parameters: list, responses: dict, **more: Any) -> dict:
    return {"operationId": op_id, "summary": summary, "description": description, "tags": [more.pop("tag")],
            "parameters": parameters, "responses": responses, **more}


def _schemas() -> dict[str, Any]:
    string = {"type": "string"}
    number = {"type": "string", "pattern": "^0[0-9]{9}$", "description": "Số thuê bao, 10 chữ số."}
    return {
        "Error": error_schema(code for code, _s, _m in ERRORS),
        "Number": {"type": "object", "required": ["number", "display", "class", "class_label", "price", "region"],
                   "properties": {
                       "number": number, "display": {"type": "string", "description": "Dạng hiển thị: 0903 123 888."},
                       "class": {"type": "string", "enum": list(CLASS_LABELS), "description": "Loại số."},
                       "class_label": string, "price": {"type": "integer", "minimum": 0, "description": "Giá, VND."},
                       "region": {"type": ["integer", "null"], "description": "Công ty khu vực (CTKV 1–9) của số."}},
                   "example": NUMBER_EXAMPLE},
        "FengShuiNumber": {"allOf": [ref("Number"), {
            "type": "object", "required": ["score", "reasons"], "properties": {
                "score": {"type": "number", "minimum": 0, "maximum": 10, "description": "Điểm phong thủy /10."},
                "reasons": {"type": "array", "items": string, "description": "Giải thích từng thành phần điểm."}}}]},
        "Pair": {"type": "object", "required": ["kind", "kind_label", "numbers", "price"], "properties": {
            "kind": {"type": "string", "enum": ["prefix", "digit"],
                     "description": "prefix: khác đầu số, cùng 7 số cuối; digit: khác một chữ số cuối."},
            "kind_label": string,
            "numbers": {"type": "array", "items": ref("Number"), "minItems": 2, "maxItems": 2},
            "price": {"type": "integer", "minimum": 0, "description": "Tổng giá hai số, VND."}}},
        "Page": {"type": "object", "required": ["items", "page", "per_page", "total", "total_capped"],
                 "properties": {
                     "items": {"type": "array"}, "page": {"type": "integer", "minimum": 1},
                     "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
                     "total": {"type": "integer", "minimum": 0},
                     "total_capped": {"type": "boolean",
                                      "description": "true: có nhiều hơn `total` kết quả (total là cận dưới; "
                                                     "chỉ sim phong thủy và sim đôi đếm đến 10.000)."}}},
        "HoldRequest": {
            "type": "object", "required": ["customer_phone", "sim_type"],
            "anyOf": [{"required": ["number"]}, {"required": ["numbers"]}],
            "properties": {
                "number": {"type": "string", "description": "Số cần giữ (giữ một số).", "example": "0903123888"},
                "numbers": {"type": "array", "items": string, "minItems": 1, "maxItems": 2,
                            "description": "Hai số của một cặp số (sim đôi); giữ cả hai trên một phiếu."},
                "customer_phone": {"type": "string", "description": "Số điện thoại liên hệ của khách (10 chữ số).",
                                   "example": "0912345678"},
                "sim_type": {"type": "string", "enum": ["physical", "esim"]}},
            "example": {"number": "0903123888", "customer_phone": "0912345678", "sim_type": "esim"}},
        "Hold": {"type": "object", "required": ["hold_code", "number", "numbers", "status", "sim_type", "amount",
                                                "expires_at", "created_at"],
                 "properties": {
                     "hold_code": {"type": "string", "description": "Mã giữ số: gửi cho khách."},
                     "number": number, "numbers": {"type": "array", "items": number, "minItems": 1, "maxItems": 2},
                     "status": {"type": "string", "enum": ["active", "paid", "expired", "cancelled", "completed"]},
                     "sim_type": {"type": "string", "enum": ["physical", "esim"]},
                     "amount": {"type": "integer", "minimum": 0, "description": "Tổng giá các số, VND."},
                     "expires_at": {"type": "string", "format": "date-time", "description": "UTC; hết hạn giữ."},
                     "created_at": {"type": "string", "format": "date-time", "description": "UTC."}},
                 "example": HOLD_EXAMPLE},
    }


def _paths() -> dict[str, Any]:
    hold_ok = {"content": {"application/json": {"schema": ref("Hold"), "example": HOLD_EXAMPLE}}}
    text = {"type": "string", "maxLength": 200}
    return {
        "/numbers": {"get": _operation(
            "searchNumbers", "Tìm số theo điều kiện",
            "Số đang sẵn sàng bán, lọc theo mẫu, đầu số, dãy số chứa, đuôi, số tránh, loại số và khoảng giá.",
            [param("pattern", "Mẫu: * là nhiều chữ số bất kỳ, x là một chữ số; tối đa 20 ký tự, dấu cách và dấu chấm "
                    "được bỏ qua. Ví dụ 09*6868, 0903xxx888.",
                    {"type": "string", "maxLength": 200, "pattern": "^[0-9xX* .]*$"}, example="09*6868"),
             param("prefix", "Các chữ số đầu (tối đa 10 chữ số; dấu cách, dấu chấm được bỏ qua).", DIGITS,
                    example="0903"),
             param("contains", "Dãy chữ số có trong số (tối đa 10).", DIGITS, example="1368"),
             param("ends_with", "Các chữ số cuối (tối đa 10).", DIGITS, example="888"),
             param("avoid", "Các chữ số không được xuất hiện.", DIGITS, example="47"),
             param("class", "Loại số: " + ", ".join(f"{k} ({v})" for k, v in CLASS_LABELS.items()) + ".",
                    {"type": "string", "enum": list(CLASS_LABELS)}),
             param("min_price", "Giá từ (VND).", {"type": "integer", "minimum": 0}),
             param("max_price", "Giá đến (VND), không nhỏ hơn min_price.", {"type": "integer", "minimum": 0}),
             SORT, *PAGING],
            _page_response("searchNumbers", "Number", "Một trang kết quả."), tag="Tìm số")},
        "/numbers/by-name": {"get": _operation(
            "searchNumbersByName", "Tìm số theo tên",
            "Số có chứa tên khách gõ trên bàn phím điện thoại (abc=2 … wxyz=9); tên dài thì dùng các chữ cuối.",
            [param("name", "Tên, có dấu hoặc không dấu.", text, required=True, example="Nguyễn Mai"), SORT, *PAGING],
            _page_response("searchNumbersByName", "Number", "Một trang kết quả.", digits={
                "type": "string", "description": "Dãy chữ số được tìm."}), tag="Tìm số")},
        "/numbers/feng-shui": {"get": _operation(
            "searchNumbersFengShui", "Sim phong thủy theo ngày sinh",
            "Số hợp mệnh người sinh ngày `birth_date`, điểm cao trước (từ 7/10), cùng điểm thì rẻ trước.",
            [param("birth_date", "Ngày sinh dương lịch, YYYY-MM-DD.", {"type": "string", "format": "date"},
                    required=True, example="1990-05-17"), *PAGING],
            _page_response("searchNumbersFengShui", "FengShuiNumber", "Một trang kết quả.",
                           element={"type": ["string", "null"], "description": "Mệnh (ngũ hành nạp âm)."},
                           can_chi={"type": ["string", "null"], "description": "Năm can chi."}), tag="Tìm số")},
        "/numbers/pairs": {"get": _operation(
            "searchNumberPairs", "Sim đôi, sim cặp", "Các cặp số mà cả hai số đều đang sẵn sàng bán.",
            [param("kind", "prefix: khác đầu số; digit: khác một chữ số cuối.",
                    {"type": "string", "enum": ["prefix", "digit"]}), *PAGING],
            _page_response("searchNumberPairs", "Pair", "Một trang các cặp số."), tag="Tìm số")},
        "/holds": {"post": _operation(
            "createHold", "Giữ số", "Giữ một số (`number`) hoặc một cặp (`numbers`) cho khách; trả về mã giữ số. "
            "Gửi kèm Idempotency-Key để gửi lại an toàn: cùng khóa, cùng nội dung → cùng phiếu.",
            [param("Idempotency-Key", "Khóa chống tạo trùng do bạn sinh (ví dụ UUID), 1–80 ký tự.",
                    {"type": "string", "minLength": 1, "maxLength": 80, "pattern": "^[!-~]+$"}, where="header",
                    example="3f0c2a8e-6a4b-4b8e-9a51-0c3c1d1e2f70")],
            {"201": {"description": "Đã giữ số (hoặc phiếu cũ khi gửi lại cùng Idempotency-Key).", **hold_ok,
                     "headers": {"Location": {"schema": {"type": "string"}},
                                 "Idempotent-Replayed": {"schema": {"type": "string", "enum": ["true", "false"]}}}},
             "400": _error("Nội dung không phải JSON.", "bad_json"),
             "404": _error("Số không có trong kho.", "number_not_found"),
             "409": _error("Số không còn để giữ.", "number_not_available"),
             "413": _error("Nội dung quá lớn.", "too_large"),
             "422": _error("Dữ liệu không hợp lệ.", *INVALID["createHold"]), **COMMON},
            tag="Giữ số", requestBody={"required": True, "content": {"application/json": {
                "schema": ref("HoldRequest"), "examples": {
                    "single": {"summary": "Giữ một số", "value": {"number": "0903123888",
                                                                  "customer_phone": "0912345678", "sim_type": "esim"}},
                    "pair": {"summary": "Giữ một cặp số", "value": {"numbers": ["0903123456", "0933123456"],
                                                                    "customer_phone": "0912345678",
                                                                    "sim_type": "physical"}}}}}})},
        "/holds/{hold_code}": {
            "get": _operation(
                "getHold", "Xem phiếu giữ số", "Phiếu của kênh bạn; phiếu kênh khác trả 404. Tra sai nhiều lần "
                "(20 lần/phút) sẽ bị tạm khóa 429.", [HOLD_CODE],
                {"200": {"description": "Phiếu giữ số.", **hold_ok},
                 "404": {"$ref": "#/components/responses/HoldNotFound"}, **COMMON}, tag="Giữ số"),
            "delete": _operation(
                "cancelHold", "Hủy phiếu giữ số", "Hủy phiếu chưa thanh toán và trả số về kho. Gửi lại khi phiếu "
                "đã hủy: 200, không thay đổi gì. Phiếu đã thanh toán chỉ hủy cùng đơn hàng: 409 `hold_paid`; "
                "phiếu đã hết hạn: 409 `hold_expired`.", [HOLD_CODE],
                {"200": {"description": "Phiếu sau khi hủy.", **hold_ok},
                 "404": {"$ref": "#/components/responses/HoldNotFound"},
                 "409": {"$ref": "#/components/responses/Conflict"}, **COMMON}, tag="Giữ số")},
    }


def document(server_url: str = "/api/v1") -> dict[str, Any]:
    """The OpenAPI 3.1 document of the partner API."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Chọn số Online — API đối tác", "version": VERSION,
                 "description": "API cho kênh bán hàng: tìm số, giữ số, tra cứu và hủy phiếu giữ số. "
                                "Hướng dẫn tích hợp: /api/v1/docs."},
        "servers": [{"url": server_url}],
        "security": [{"bearerAuth": []}],
        "tags": [{"name": "Tìm số"}, {"name": "Giữ số"}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "cso_…",
                                               "description": "Khóa API của kênh: Authorization: Bearer cso_…"}},
            "schemas": _schemas(),
            "responses": RESPONSES,
        },
    }
