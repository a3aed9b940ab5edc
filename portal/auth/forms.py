from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from portal.core.forms import PortalForm


class LoginForm(PortalForm):
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(_l("Vui lòng nhập tên đăng nhập.")),
                                                           Length(max=40)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(_l("Vui lòng nhập mật khẩu.")),
                                                        Length(max=200)])
    next = HiddenField()


class PasswordChangeForm(PortalForm):
    current = PasswordField(_l("Mật khẩu hiện tại"), validators=[DataRequired(_l("Vui lòng nhập mật khẩu hiện tại.")),
                                                               Length(max=200)])
    new = PasswordField(_l("Mật khẩu mới (ít nhất 12 ký tự)"), validators=[
        DataRequired(_l("Vui lòng nhập mật khẩu mới.")), Length(max=200)])
    confirm = PasswordField(_l("Nhập lại mật khẩu mới"), validators=[
        DataRequired(_l("Vui lòng nhập lại mật khẩu mới.")),
        EqualTo("new", _l("Hai lần nhập mật khẩu mới không khớp."))])


class EmptyForm(PortalForm):
    """A form with only the CSRF token, for buttons that change state."""
