"""Pieces of an OpenAPI 3.1 document that the partner API and the app API build alike.

Each API keeps its own list of stable error codes (code → HTTP status, meaning in Vietnamese); a domain
whose services raise codes that both APIs answer keeps their meanings next to them (``portal.numbers.api``
for the searches, ``portal.holds.services.HOLD_ERRORS`` for holding numbers) and each API picks them from there.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

ErrorCode = tuple[str, int, str]  # (code, HTTP status, what it means and what to do)

# The codes every JSON API answers with the same meaning.
BAD_JSON: ErrorCode = ("bad_json", 400, "Nội dung yêu cầu không phải JSON hợp lệ, hoặc không phải một đối tượng JSON.")
NOT_FOUND: ErrorCode = ("not_found", 404, "Đường dẫn không tồn tại.")
METHOD_NOT_ALLOWED: ErrorCode = ("method_not_allowed", 405, "Phương thức HTTP không được hỗ trợ trên đường dẫn này.")
MISSING_FIELD: ErrorCode = ("missing_field", 422, "Thiếu trường bắt buộc trong nội dung JSON.")
BAD_FIELD_TYPE: ErrorCode = ("bad_field_type", 422, "Trường JSON sai kiểu (ví dụ số thay vì chuỗi).")
BAD_IDEMPOTENCY_KEY: ErrorCode = ("bad_idempotency_key", 422,
                                  "Idempotency-Key gồm 1–80 ký tự ASCII in được, không có khoảng trắng.")
UNAVAILABLE: ErrorCode = ("unavailable", 503, "Hệ thống tạm gián đoạn; thử lại sau ít phút.")


def pick(errors: Iterable[ErrorCode], *codes: str) -> list[ErrorCode]:
    """The entries of ``codes`` from ``errors``, in the order of ``codes``."""
    by_code = {e[0]: e for e in errors}
    return [by_code[c] for c in codes]


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def param(name: str, description: str, schema: dict[str, Any], *, where: str = "query", required: bool = False,
          example: Any = None) -> dict[str, Any]:
    spec = {"name": name, "in": where, "description": description, "required": required, "schema": schema}
    if example is not None:
        spec["example"] = example
    return spec


def error_schema(codes: Iterable[str]) -> dict[str, Any]:
    """The Error schema: ``{"error": {"code", "message"}}`` with ``code`` one of ``codes``."""
    return {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string", "enum": list(codes), "description": "Mã lỗi ổn định."},
            "message": {"type": "string", "description": "Thông báo tiếng Việt cho người dùng."}}}}}


def error_doc(description: str, codes: tuple[str, ...], meanings: Mapping[str, str]) -> dict[str, Any]:
    """A response object for refusals with ``codes``; the example is the first code with its meaning."""
    example = {"error": {"code": codes[0], "message": meanings[codes[0]]}}
    return {"description": description + " Mã lỗi: " + ", ".join(f"`{c}`" for c in codes) + ".",
            "content": {"application/json": {"schema": ref("Error"), "example": example}}}
