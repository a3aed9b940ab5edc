from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from portal.core.forms import PortalForm


class LoginForm(PortalForm):
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(_l("Vui lòng nhập tên đăng nhập.")),
                                                           Length(max=40)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(_l("Vui lòng nhập mật khẩu.")),
                                                        Length(max=200)])
    next = HiddenField()


class EmptyForm(PortalForm):
    """A form with only the CSRF token, for buttons that change state."""
