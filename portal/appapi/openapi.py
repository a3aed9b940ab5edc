"""The app API's OpenAPI 3.1 document, assembled from what each domain registers.

A domain that serves app endpoints describes them next to its code, at import time::

    from portal.appapi import openapi as doc

    doc.add_errors(("hold_not_found", 404, "Không có phiếu này trong tài khoản của bạn."))
    doc.add_schema("Ticket", {"type": "object", "properties": {...}})
    doc.add_operation("/tickets/{code}", "get", "getTicket", "Xem phiếu", tag="Phiếu của tôi",
                      parameters=[doc.param("code", "Mã phiếu.", {"type": "string"}, where="path", required=True)],
                      responses={"200": doc.ok("Phiếu.", "Ticket"), "404": doc.error("Không có.", "hold_not_found")})

``ERRORS`` is the registry of stable error codes (code → status, meaning); the
Error schema enumerates it, and ``tests/customers/test_app_api.py`` checks that
every route under /api/app/v1 is documented and every documented path is a route.
Operations need the customer's bearer token unless ``auth=False``; they get the
401 and 429 responses without listing them.
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
    ref,
)

VERSION = "1.0.0"
PREFIX = "/api/app/v1"

ERRORS: dict[str, tuple[int, str]] = {}
SCHEMAS: dict[str, dict[str, Any]] = {}
PATHS: dict[str, dict[str, dict[str, Any]]] = {}
TAGS: dict[str, str] = {}

__all__ = ["ERRORS", "PREFIX", "add_errors", "add_operation", "add_schema", "add_tag", "document", "error", "ok",
           "param", "ref"]


def add_errors(*errors: ErrorCode) -> None:
    """Register stable error codes: (code, HTTP status, what it means and what to do, in Vietnamese)."""
    for code, status, meaning in errors:
        ERRORS[code] = (status, meaning)


def add_schema(name: str, schema: dict[str, Any]) -> None:
    SCHEMAS[name] = schema


def add_tag(name: str, description: str = "") -> None:
    TAGS.setdefault(name, description)


def error(description: str, *codes: str) -> dict[str, Any]:
    """A response object for refusals with ``codes`` (each must be registered)."""
    missing = [c for c in codes if c not in ERRORS]
    assert not missing, f"undocumented error codes: {missing}"
    return error_doc(description, codes, {c: ERRORS[c][1] for c in codes})


def ok(description: str, schema: str | dict[str, Any] | None = None, example: Any = None) -> dict[str, Any]:
    """A success response: a schema name (or an inline schema), optional example."""
    if schema is None:
        return {"description": description}
    content: dict[str, Any] = {"schema": ref(schema) if isinstance(schema, str) else schema}
    if example is not None:
        content["example"] = example
    return {"description": description, "content": {"application/json": content}}


def add_operation(path: str, method: str, op_id: str, summary: str, *, tag: str, responses: dict[str, Any],
                  description: str = "", parameters: list | None = None, body: str | dict | None = None,
                  body_example: Any = None, auth: bool = True, body_type: str = "application/json") -> None:
    """Describe one endpoint (``path`` relative to /api/app/v1, OpenAPI style: ``/tickets/{code}``); ``body_type``
    ``multipart/form-data`` for uploads."""
    responses = {**responses, "429": {"$ref": "#/components/responses/RateLimited"}}
    if auth:
        responses.setdefault("401", {"$ref": "#/components/responses/Unauthorized"})
    operation: dict[str, Any] = {"operationId": op_id, "summary": summary, "description": description,
                                 "tags": [tag], "parameters": parameters or [], "responses": responses}
    if not auth:
        operation["security"] = []
    if body is not None:
        content: dict[str, Any] = {"schema": ref(body) if isinstance(body, str) else body}
        if body_example is not None:
            content["example"] = body_example
        operation["requestBody"] = {"required": True, "content": {body_type: content}}
    add_tag(tag)
    PATHS.setdefault(path, {})[method.lower()] = operation


def document(server_url: str = PREFIX) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the app API."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Chọn số Online — API ứng dụng", "version": VERSION,
                 "description": "API cho ứng dụng di động Chọn số Online: tài khoản khách hàng (đăng ký, kích hoạt "
                                "bằng OTP, đăng nhập, quên mật khẩu) và các chức năng của khách. Lỗi có dạng "
                                "`{\"error\": {\"code\", \"message\"}}` với mã ổn định."},
        "servers": [{"url": server_url}],
        "security": [{"customerToken": []}],
        "tags": [{"name": name, "description": text} if text else {"name": name} for name, text in TAGS.items()],
        "paths": dict(sorted(PATHS.items())),
        "components": {
            "securitySchemes": {"customerToken": {
                "type": "http", "scheme": "bearer", "bearerFormat": "csa_…",
                "description": "Mã truy cập của khách nhận từ POST /token: Authorization: Bearer csa_…"}},
            "schemas": {"Error": error_schema(sorted(ERRORS)), **SCHEMAS},
            "responses": {
                "Unauthorized": {**error("Thiếu mã truy cập, mã sai, hết hạn hoặc đã bị thu hồi.", "unauthorized"),
                                 "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}}},
                "RateLimited": {**error("Vượt giới hạn số yêu cầu.", "rate_limited"),
                                "headers": {"Retry-After": {"schema": {"type": "integer"}}}},
            },
        },
    }


add_errors(
    BAD_JSON,
    ("unauthorized", 401, "Thiếu header Authorization, mã truy cập sai, hết hạn hoặc đã bị thu hồi."),
    NOT_FOUND,
    METHOD_NOT_ALLOWED,
    ("too_large", 413, "Nội dung yêu cầu quá lớn."),
    MISSING_FIELD,
    BAD_FIELD_TYPE,
    ("rate_limited", 429, "Vượt giới hạn số yêu cầu; chờ theo header Retry-After rồi thử lại."),
    ("internal_error", 500, "Lỗi hệ thống; thử lại sau."),
    UNAVAILABLE,
)
