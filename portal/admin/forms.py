from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.core.digits import WholeNumberField
from portal.core.forms import PortalForm
from portal.core.roles import ROLE_LABELS


def role_choices():
    return [(role.value, label) for role, label in ROLE_LABELS.items()]


class StaffCreateForm(PortalForm):
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(), Length(min=3, max=40)])
    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Vai trò"), choices=role_choices)
    region_id = WholeNumberField(_l("Khu vực (0 = Tổng công ty)"), validators=[NumberRange(0, 9)])
    store_code = StringField(_l("Mã cửa hàng (nhân viên cửa hàng)"), validators=[Optional(), Length(max=20)])
    password = PasswordField(_l("Mật khẩu ban đầu"), validators=[DataRequired(), Length(min=12, max=200)])


class RoleForm(PortalForm):
    role = SelectField(_l("Vai trò"), choices=role_choices)


class StatusForm(PortalForm):
    reason = StringField(_l("Lý do"), validators=[Optional(), Length(max=300)])


class PasswordForm(PortalForm):
    password = PasswordField(_l("Mật khẩu mới"), validators=[DataRequired(), Length(min=12, max=200)])
