"""Forms of the organisation screens (regions, shopcodes, stores, provinces). Select boxes do not refuse a value
themselves: the services say what is wrong with it (portal.admin.organisation)."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Length, Optional

from portal.admin.forms import region_number
from portal.core.editing import VersionField
from portal.core.forms import PortalForm
from portal.org.places import province_names


def province_choices():
    return [("", _l("— Chọn tỉnh/thành phố —"))] + [(p, p) for p in province_names()]


class RegionForm(PortalForm):
    name = StringField(_l("Tên khu vực"), validators=[Length(max=200)])
    version = VersionField()


class ShopcodeCreateForm(PortalForm):
    code = StringField(_l("Mã shopcode"), validators=[Length(max=40)])
    name = StringField(_l("Tên"), validators=[Length(max=200)])


class ShopcodeEditForm(PortalForm):
    name = StringField(_l("Tên"), validators=[Length(max=200)])
    active = BooleanField(_l("Đang dùng"))
    version = VersionField()


class _StoreFields(PortalForm):
    name = StringField(_l("Tên cửa hàng"), validators=[Length(max=300)])
    address = StringField(_l("Địa chỉ"), validators=[Optional(), Length(max=300)])
    province = SelectField(_l("Tỉnh/thành phố"), choices=province_choices, validate_choice=False)
    region_id = SelectField(_l("Khu vực"), coerce=region_number, validate_choice=False)
    shopcode = SelectField(_l("Shopcode"), validate_choice=False)


class StoreCreateForm(_StoreFields):
    code = StringField(_l("Mã cửa hàng"), validators=[Length(max=40)])


class StoreEditForm(_StoreFields):
    active = BooleanField(_l("Đang hoạt động (khách chọn được khi đặt nhận tại cửa hàng)"))
    version = VersionField()
