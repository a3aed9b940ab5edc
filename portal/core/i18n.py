"""Other libraries' messages in the page's language, through our own catalogue.

WTForms and Flask-WTF write their messages in English and WTForms ships no Vietnamese. Each of their
messages a user can see is given a Vietnamese source string here, marked for extraction like any other
string of ours, so that it is Vietnamese on the Vietnamese UI and translated in ``messages.po`` for the
English one. ``tests/core/test_translations.py`` fails when a new WTForms or Flask-WTF version brings a
message this table does not know.
"""
from __future__ import annotations

from flask_babel import get_translations


def N_(message: str) -> str:
    """Mark a message for extraction only (Babel's default keyword); it is translated where it is shown."""
    return message


def N_plural(singular: str, plural: str) -> tuple[str, str]:
    """Mark a singular/plural pair for extraction only (the ``keywords`` of babel.cfg)."""
    return singular, plural


# Flask-WTF's CSRF reasons are plain English (no gettext): every one reads as our CSRF message, as the
# CSRFError page does (portal.core.errors).
CSRF_REASONS = ("The CSRF token is missing.", "The CSRF session token is missing.", "The CSRF token has expired.",
                "The CSRF token is invalid.", "The CSRF tokens do not match.", "The referrer header is missing.",
                "The referrer does not match the host.")
CSRF_MESSAGE = N_("Phiên biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang và thử lại.")

# WTForms' msgid → ours. Keep each placeholder: WTForms fills them in after translating.
WTFORMS_MESSAGES: dict[str, str] = {
    "This field is required.": N_("Thông tin này là bắt buộc."),
    "Invalid input.": N_("Giá trị không hợp lệ."),
    "Field must be equal to %(other_name)s.": N_("Giá trị phải trùng với “%(other_name)s”."),
    "Field must be between %(min)d and %(max)d characters long.": N_("Phải có từ %(min)d đến %(max)d ký tự."),
    "Number must be at least %(min)s.": N_("Số phải từ %(min)s trở lên."),
    "Number must be at most %(max)s.": N_("Số không được lớn hơn %(max)s."),
    "Number must be between %(min)s and %(max)s.": N_("Số phải từ %(min)s đến %(max)s."),
    "Invalid email address.": N_("Địa chỉ e-mail không hợp lệ."),
    "Invalid IP address.": N_("Địa chỉ IP không hợp lệ."),
    "Invalid Mac address.": N_("Địa chỉ MAC không hợp lệ."),
    "Invalid URL.": N_("Địa chỉ URL không hợp lệ."),
    "Invalid UUID.": N_("Mã UUID không hợp lệ."),
    "Invalid value, must be one of: %(values)s.": N_("Giá trị không hợp lệ; chỉ nhận: %(values)s."),
    "Invalid value, can't be any of: %(values)s.": N_("Giá trị không hợp lệ; không được là: %(values)s."),
    "This field cannot be edited.": N_("Không được sửa thông tin này."),
    "This field is disabled and cannot have a value.": N_("Thông tin này đã bị khóa, không được nhập."),
    "Invalid field name '%s'.": N_("Không có trường “%s” trong biểu mẫu."),
    "Invalid Choice: could not coerce.": N_("Lựa chọn không hợp lệ."),
    "Choices cannot be None.": N_("Chưa có danh sách lựa chọn."),
    "Not a valid choice.": N_("Lựa chọn không hợp lệ."),
    "Invalid choice(s): one or more data inputs could not be coerced.": N_("Có lựa chọn không hợp lệ."),
    "Not a valid datetime value.": N_("Ngày giờ không hợp lệ."),
    "Not a valid date value.": N_("Ngày không hợp lệ."),
    "Not a valid time value.": N_("Giờ không hợp lệ."),
    "Not a valid week value.": N_("Tuần không hợp lệ."),
    "Not a valid integer value.": N_("Vui lòng nhập một số nguyên."),
    "Not a valid decimal value.": N_("Vui lòng nhập một số."),
    "Not a valid float value.": N_("Vui lòng nhập một số."),
    # WTForms' own CSRF (we use Flask-WTF's; kept so that no English can slip through).
    "Invalid CSRF Token.": CSRF_MESSAGE,
    "CSRF token missing.": CSRF_MESSAGE,
    "CSRF failed.": CSRF_MESSAGE,
    "CSRF token expired.": CSRF_MESSAGE,
    # Flask-WTF's file validators (its FileSize message is an f-string: pass message= when using FileSize).
    "File does not have an approved extension: {extensions}": N_("Loại tệp này không được nhận. Chỉ nhận: "
                                                                 "{extensions}"),
    "File does not have an approved extension.": N_("Loại tệp này không được nhận."),
}

WTFORMS_PLURALS: dict[str, tuple[str, str]] = {
    "Field must be at least %(min)d character long.": N_plural("Phải có ít nhất %(min)d ký tự.",
                                                               "Phải có ít nhất %(min)d ký tự."),
    "Field cannot be longer than %(max)d character.": N_plural("Không được dài quá %(max)d ký tự.",
                                                               "Không được dài quá %(max)d ký tự."),
    "Field must be exactly %(max)d character long.": N_plural("Phải có đúng %(max)d ký tự.",
                                                              "Phải có đúng %(max)d ký tự."),
    "'%(value)s' is not a valid choice for this field.": N_plural("“%(value)s” không phải là lựa chọn hợp lệ.",
                                                                  "“%(value)s” không phải là lựa chọn hợp lệ."),
}


class WTFormsTranslations:
    """WTForms' translations object: a known message → ours in the request's language; anything else as is.

    Anything else is WTForms' default label of a field given none (the field's name, title-cased): our
    forms label every field a user sees.
    """

    def gettext(self, string: str) -> str:
        message = WTFORMS_MESSAGES.get(string)
        return string if message is None else get_translations().ugettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        pair = WTFORMS_PLURALS.get(singular)
        if pair is None:
            return singular if n == 1 else plural
        return get_translations().ungettext(*pair, n)


wtforms_translations = WTFormsTranslations()


def csrf_message() -> str:
    """The one message for every CSRF failure, in the request's language."""
    return get_translations().ugettext(CSRF_MESSAGE)
