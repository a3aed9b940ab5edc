"""Customer accounts in the app (AUTH-3..18, PWD-1..11): register, activate, sign in (token), forgot, reset, me."""
from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _

from portal.appapi import bp
from portal.appapi import openapi as doc
from portal.appapi.core import app_credentials, current_api_token, customer_api
from portal.appapi.tokens import issue_token, revoke_token
from portal.core.access import public
from portal.core.api import json_body, string_field
from portal.core.audit import audit
from portal.core.errors import Invalid
from portal.customers import services as accounts
from portal.customers.models import Customer, OtpPurpose
from portal.customers.otp import OtpDelivery
from portal.extensions import db, limiter

ACCOUNT_LIMIT = limiter.shared_limit("30/minute", scope="app-accounts")


def _ip() -> str:
    return request.remote_addr or "-"


def customer_json(customer: Customer) -> dict[str, Any]:
    return {"id": customer.id, "phone": customer.phone, "full_name": customer.full_name,
            "status": customer.status.value, "created_at": customer.created_at.isoformat() + "Z"}


def _token_response(customer: Customer, body: dict[str, Any], status: int = 201):
    row, token = issue_token(customer, str(body.get("device") or ""))
    db.session.commit()
    return jsonify(token=token, token_type="Bearer", expires_at=row.expires_at.isoformat() + "Z",  # noqa: S106
                   customer=customer_json(customer)), status


def _sent(delivery: OtpDelivery, http_status: int = 202, **extra: Any):
    db.session.commit()  # the SMS goes to the sender threads now (after commit); the answer does not wait for it
    return jsonify(otp_sent=not delivery.failed, **extra), http_status


@bp.get("/openapi.json")
@public
def openapi_json():
    return jsonify(doc.document())


@bp.post("/register")
@app_credentials
@ACCOUNT_LIMIT
def register():
    body = json_body()
    customer, delivery = accounts.register(string_field(body, "phone"), string_field(body, "full_name"),
                                           string_field(body, "password"), _ip())
    return _sent(delivery, 201, phone=customer.phone, status=customer.status.value)


@bp.post("/activate")
@app_credentials
@ACCOUNT_LIMIT
def activate():
    body = json_body()
    customer = accounts.activate(string_field(body, "phone"), string_field(body, "otp"))
    return _token_response(customer, body, 200)


@bp.post("/resend-otp")
@app_credentials
@ACCOUNT_LIMIT
def resend_otp():
    body = json_body()
    try:
        purpose = OtpPurpose(string_field(body, "purpose"))
    except ValueError:
        raise Invalid("bad_purpose", _("purpose phải là activate hoặc reset_password.")) from None
    return _sent(accounts.resend_code(string_field(body, "phone"), purpose, _ip()))


@bp.post("/token")
@app_credentials
@ACCOUNT_LIMIT
def sign_in():
    body = json_body()
    customer = accounts.sign_in(string_field(body, "phone"), string_field(body, "password"), _ip())
    return _token_response(customer, body)


@bp.post("/password/forgot")
@app_credentials
@ACCOUNT_LIMIT
def forgot():
    return _sent(accounts.forgot_password(string_field(json_body(), "phone"), _ip()))


@bp.post("/password/verify")
@app_credentials
@ACCOUNT_LIMIT
def verify_reset():
    body = json_body()
    grant = accounts.verify_reset_code(string_field(body, "phone"), string_field(body, "otp"))
    db.session.commit()
    return jsonify(reset_token=grant, expires_in=accounts.RESET_GRANT_MINUTES * 60)


@bp.post("/password/reset")
@app_credentials
@ACCOUNT_LIMIT
def reset():
    body = json_body()
    accounts.reset_password(string_field(body, "reset_token"), string_field(body, "password"))
    db.session.commit()
    return "", 204


@bp.get("/me")
@customer_api
def me(customer: Customer):
    return jsonify(customer_json(customer))


@bp.delete("/token")
@customer_api
def sign_out(customer: Customer):
    revoke_token(current_api_token(), "logout")
    audit("customer.logout", customer, actor=customer, detail={"channel": "app"})
    db.session.commit()
    return "", 204


# --- the document ----------------------------------------------------------------------------------------------

TAG = "Tài khoản"
PHONE = {"type": "string", "description": "Số di động của nhà mạng, 10 chữ số.", "example": "0903123456"}
OTP = {"type": "string", "pattern": "^[0-9]{6}$", "description": "Mã OTP 6 chữ số nhận qua SMS."}
PASSWORD = {"type": "string", "minLength": 8, "maxLength": 128, "description": "Ít nhất 8 ký tự, có cả chữ và số."}
SENT = {"type": "object", "required": ["otp_sent"], "properties": {"otp_sent": {
    "type": "boolean", "description": "true: tin nhắn đã được chuyển đi gửi (câu trả lời không chờ nhà mạng); nếu sau "
                          "một phút khách chưa nhận được, hãy cho khách bấm “Gửi lại mã”."}}}


def _body(*required: str, **properties: dict) -> dict:
    return {"type": "object", "required": list(required), "properties": properties}


doc.add_errors(
    ("bad_phone", 422, "Số điện thoại không phải số di động của nhà mạng (10 chữ số, đầu số 089, 090, 093, 07x)."),
    ("bad_name", 422, "Họ tên chỉ gồm chữ cái, từ 2 đến 120 ký tự."),
    ("weak_password", 422, "Mật khẩu 8–128 ký tự, có cả chữ và số, không dễ đoán, không chứa số điện thoại."),
    ("phone_taken", 422, "Số điện thoại đã có tài khoản đang hoạt động: hãy đăng nhập hoặc dùng quên mật khẩu."),
    ("otp_invalid", 422, "Mã OTP không đúng hoặc đã hết hạn (AUTH-11, PWD-6)."),
    ("otp_burned", 422, "Nhập sai mã 5 lần: mã đã bị hủy; hãy yêu cầu mã mới."),
    ("bad_purpose", 422, "purpose phải là activate hoặc reset_password."),
    ("reset_expired", 422, "reset_token sai hoặc đã hết hạn (10 phút); hãy yêu cầu mã OTP mới."),
    ("bad_credentials", 401, "Số điện thoại hoặc mật khẩu không đúng (AUTH-17)."),
    ("not_activated", 403, "Tài khoản chưa kích hoạt: gọi /resend-otp (purpose activate) rồi /activate."),
    ("otp_send_limit", 429, "Đã gửi mã quá nhiều lần cho số này hoặc từ địa chỉ này; thử lại sau 1 giờ."),
    ("otp_resend_too_soon", 429, "Vừa gửi mã cho số này; đợi 60 giây rồi thử lại."),
    ("login_locked", 429, "Đăng nhập sai quá nhiều lần; tạm khóa 15 phút (hoặc đặt lại mật khẩu)."),
)
doc.add_schema("Customer", {"type": "object", "required": ["id", "phone", "full_name", "status", "created_at"],
                            "properties": {"id": {"type": "integer"}, "phone": PHONE, "full_name": {"type": "string"},
                                           "status": {"type": "string", "enum": ["pending", "active", "disabled"]},
                                           "created_at": {"type": "string", "format": "date-time"}}})
doc.add_schema("Token", {"type": "object", "required": ["token", "token_type", "expires_at", "customer"],
                         "properties": {"token": {"type": "string", "description": "Gửi kèm mọi yêu cầu: "
                                                  "Authorization: Bearer <token>."},
                                        "token_type": {"type": "string", "enum": ["Bearer"]},
                                        "expires_at": {"type": "string", "format": "date-time"},
                                        "customer": doc.ref("Customer")}})
BODY_ERRORS = ("bad_json", "missing_field", "bad_field_type")
doc.add_operation(
    "/register", "post", "register", "Đăng ký", tag=TAG, auth=False,
    description="AUTH-3..8: tạo tài khoản chờ kích hoạt và gửi mã OTP qua SMS. Số đã đăng ký nhưng chưa kích hoạt "
                "được đăng ký lại (mã mới).",
    body=_body("phone", "full_name", "password", phone=PHONE, full_name={"type": "string", "maxLength": 120},
               password=PASSWORD),
    body_example={"phone": "0903123456", "full_name": "Nguyễn Văn An", "password": "matkhau2026"},
    responses={"201": doc.ok("Đã tạo; mã OTP đã gửi.", {**SENT, "properties": {
        **SENT["properties"], "phone": PHONE, "status": {"type": "string"}}}),
        "400": doc.error("Không phải JSON.", "bad_json"),
        "422": doc.error("Dữ liệu không hợp lệ.", "missing_field", "bad_field_type", "bad_phone", "bad_name",
                         "weak_password", "phone_taken")})
doc.add_operation(
    "/activate", "post", "activate", "Kích hoạt bằng OTP", tag=TAG, auth=False,
    description="AUTH-9..12: mã đúng → tài khoản hoạt động và nhận mã truy cập (đăng nhập luôn).",
    body=_body("phone", "otp", phone=PHONE, otp=OTP, device={"type": "string", "maxLength": 80}),
    responses={"200": doc.ok("Đã kích hoạt.", "Token"), "400": doc.error("Không phải JSON.", "bad_json"),
               "422": doc.error("Mã sai.", "otp_invalid", "otp_burned", "bad_phone", "missing_field",
                                "bad_field_type")})
doc.add_operation(
    "/resend-otp", "post", "resendOtp", "Gửi lại mã OTP", tag=TAG, auth=False,
    description="Gửi mã mới (mã cũ hết hiệu lực). Số không có tài khoản phù hợp cũng nhận câu trả lời như nhau.",
    body=_body("phone", "purpose", phone=PHONE, purpose={"type": "string", "enum": [p.value for p in OtpPurpose]}),
    responses={"202": doc.ok("Đã xử lý.", SENT), "400": doc.error("Không phải JSON.", "bad_json"),
               "422": doc.error("Dữ liệu không hợp lệ.", "bad_phone", "bad_purpose", "missing_field",
                                "bad_field_type"),
               "429": doc.error("Gửi quá nhiều.", "otp_send_limit", "otp_resend_too_soon", "rate_limited")})
doc.add_operation(
    "/token", "post", "signIn", "Đăng nhập", tag=TAG, auth=False,
    description="AUTH-15..18: số điện thoại + mật khẩu → mã truy cập mới cho thiết bị này.",
    body=_body("phone", "password", phone=PHONE, password={"type": "string"},
               device={"type": "string", "maxLength": 80, "description": "Tên thiết bị, để khách nhận ra."}),
    responses={"201": doc.ok("Đã đăng nhập.", "Token"), "400": doc.error("Không phải JSON.", "bad_json"),
               "401": doc.error("Sai thông tin.", "bad_credentials"),
               "403": doc.error("Chưa kích hoạt.", "not_activated"),
               "422": doc.error("Thiếu trường.", "missing_field", "bad_field_type"),
               "429": doc.error("Tạm khóa.", "login_locked", "rate_limited")})
doc.add_operation(
    "/token", "delete", "signOut", "Đăng xuất", tag=TAG, description="Thu hồi mã truy cập đang dùng.",
    responses={"204": doc.ok("Đã thu hồi.")})
doc.add_operation(
    "/password/forgot", "post", "forgotPassword", "Quên mật khẩu", tag=TAG, auth=False,
    description="PWD-2, 3: gửi mã OTP đặt lại mật khẩu tới số của tài khoản (câu trả lời như nhau nếu số không có "
                "tài khoản).",
    body=_body("phone", phone=PHONE),
    responses={"202": doc.ok("Đã xử lý.", SENT), "400": doc.error("Không phải JSON.", "bad_json"),
               "422": doc.error("Số không hợp lệ.", "bad_phone", "missing_field", "bad_field_type"),
               "429": doc.error("Gửi quá nhiều.", "otp_send_limit", "otp_resend_too_soon", "rate_limited")})
doc.add_operation(
    "/password/verify", "post", "verifyResetOtp", "Xác nhận mã đặt lại mật khẩu", tag=TAG, auth=False,
    description="PWD-4..7: mã đúng → reset_token dùng một lần, hiệu lực 10 phút.",
    body=_body("phone", "otp", phone=PHONE, otp=OTP),
    responses={"200": doc.ok("Mã đúng.", _body("reset_token", "expires_in", reset_token={"type": "string"},
                                               expires_in={"type": "integer"})),
               "400": doc.error("Không phải JSON.", "bad_json"),
               "422": doc.error("Mã sai.", "otp_invalid", "otp_burned", "bad_phone", "missing_field",
                                "bad_field_type")})
doc.add_operation(
    "/password/reset", "post", "resetPassword", "Đặt mật khẩu mới", tag=TAG, auth=False,
    description="PWD-8..11: mật khẩu mới; mọi phiên đăng nhập và mã truy cập cũ của tài khoản bị thu hồi.",
    body=_body("reset_token", "password", reset_token={"type": "string"}, password=PASSWORD),
    responses={"204": doc.ok("Đã đổi mật khẩu."), "400": doc.error("Không phải JSON.", "bad_json"),
               "422": doc.error("Không hợp lệ.", "reset_expired", "weak_password", "missing_field",
                                "bad_field_type")})
doc.add_operation("/me", "get", "me", "Tài khoản của tôi", tag=TAG, responses={"200": doc.ok("Khách hàng.",
                                                                                           "Customer")})
