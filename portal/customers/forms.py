from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from portal.core.forms import PortalForm

PHONE_REQUIRED = DataRequired(_l("Vui lòng nhập số điện thoại."))
PASSWORD_REQUIRED = DataRequired(_l("Vui lòng nhập mật khẩu."))


class RegisterForm(PortalForm):
    phone = StringField(_l("Số điện thoại"), validators=[PHONE_REQUIRED, Length(max=20)])
    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(_l("Vui lòng nhập họ tên.")),
                                                        Length(max=120)])
    password = PasswordField(_l("Mật khẩu"), validators=[PASSWORD_REQUIRED, Length(max=128)],
                             description=_l("Ít nhất 8 ký tự, có cả chữ và số."))
    password_again = PasswordField(_l("Nhập lại mật khẩu"), validators=[
        DataRequired(_l("Vui lòng nhập lại mật khẩu.")), EqualTo("password", _l("Hai mật khẩu không giống nhau."))])


class OtpForm(PortalForm):
    otp = StringField(_l("Mã OTP"), validators=[DataRequired(_l("Vui lòng nhập mã OTP.")), Length(max=6)])


class SignInForm(PortalForm):
    phone = StringField(_l("Số điện thoại"), validators=[PHONE_REQUIRED, Length(max=20)])
    password = PasswordField(_l("Mật khẩu"), validators=[PASSWORD_REQUIRED, Length(max=128)])
    remember = BooleanField(_l("Ghi nhớ đăng nhập (30 ngày)"))
    next = HiddenField()


class ForgotForm(PortalForm):
    phone = StringField(_l("Số điện thoại"), validators=[PHONE_REQUIRED, Length(max=20)])


class NewPasswordForm(PortalForm):
    password = PasswordField(_l("Mật khẩu mới"), validators=[PASSWORD_REQUIRED, Length(max=128)],
                             description=_l("Ít nhất 8 ký tự, có cả chữ và số."))
    password_again = PasswordField(_l("Nhập lại mật khẩu mới"), validators=[
        DataRequired(_l("Vui lòng nhập lại mật khẩu.")), EqualTo("password", _l("Hai mật khẩu không giống nhau."))])
