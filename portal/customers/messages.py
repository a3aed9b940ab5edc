"""The SMS a customer's account sends: the one-time codes (AUTH-8, PWD-3). Texts admins may change
(/admin/messages); each must keep its {{ otp }}."""
from flask_babel import lazy_gettext as _l

from portal.customers.models import OtpPurpose
from portal.messages.registry import SMS, MessageTemplate, define

OTP_PLACEHOLDERS = {"otp": _l("Mã OTP 6 chữ số"), "minutes": _l("Số phút mã còn hiệu lực")}
OTP_SAMPLE = {"otp": "123456", "minutes": 5}

# Brandname SMS without diacritics by default: one 160-character GSM-7 segment, readable on every phone.
OTP_TEXTS = {
    OtpPurpose.ACTIVATE: define(MessageTemplate(
        "customers.otp_activate", SMS, _l("SMS mã OTP kích hoạt tài khoản"),
        _l("Gửi khi khách đăng ký tài khoản trên website hoặc ứng dụng Chọn số (AUTH-8)."),
        OTP_PLACEHOLDERS, OTP_SAMPLE, required=("otp",),
        body="Ma kich hoat tai khoan Chon so Online cua ban la {{ otp }}, hieu luc {{ minutes }} phut. "
             "Khong chia se ma nay cho bat ky ai.")),
    OtpPurpose.RESET_PASSWORD: define(MessageTemplate(
        "customers.otp_reset_password", SMS, _l("SMS mã OTP đặt lại mật khẩu"),
        _l("Gửi khi khách chọn “Quên mật khẩu” (PWD-3)."),
        OTP_PLACEHOLDERS, OTP_SAMPLE, required=("otp",),
        body="Ma dat lai mat khau Chon so Online cua ban la {{ otp }}, hieu luc {{ minutes }} phut. "
             "Khong chia se ma nay cho bat ky ai.")),
}
