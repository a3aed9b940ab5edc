from flask_babel import lazy_gettext as _l
from wtforms import FileField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from portal.core.digits import whole_number
from portal.core.editing import VersionField
from portal.core.forms import PortalForm
from portal.core.roles import ROLE_LABELS


def region_number(value: object) -> int | None:
    """A select box's region number by the house rule of digits (NFKC, then ASCII 0–9): blank is None (the service
    says a region is needed); other digits are refused by the field."""
    if value is None or isinstance(value, int):
        return value
    text = str(value).strip()
    return whole_number(text) if text else None


def role_choices():
    return [(role.value, label) for role, label in ROLE_LABELS.items()]


class _Assignment(PortalForm):
    """Who a staff member is and where they work; the choices are the admin's scope (``choices.fill_staff``). The
    service checks that region and store agree, so the select boxes do not refuse a value themselves."""

    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Vai trò"), choices=role_choices)
    region_id = SelectField(_l("Khu vực"), coerce=region_number, validate_choice=False)
    store_code = SelectField(_l("Cửa hàng (bắt buộc với nhân viên cửa hàng)"), validate_choice=False)


class StaffCreateForm(_Assignment):
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(), Length(min=3, max=40)])
    password = PasswordField(_l("Mật khẩu ban đầu"), validators=[DataRequired(), Length(min=12, max=200)])


class StaffEditForm(_Assignment):
    version = VersionField()


class StatusForm(PortalForm):
    action = HiddenField()  # "disable" or "enable": what the admin saw and meant, not a toggle
    reason = StringField(_l("Lý do"), validators=[Optional(), Length(max=300)])


class PasswordForm(PortalForm):
    password = PasswordField(_l("Mật khẩu mới"), validators=[DataRequired(), Length(min=12, max=200)])


class StaffImportForm(PortalForm):
    file = FileField(_l("Tệp CSV"), validators=[DataRequired(_l("Vui lòng chọn tệp CSV."))])


class ImportTokenForm(PortalForm):
    token = HiddenField(validators=[DataRequired(), Length(max=64)])
