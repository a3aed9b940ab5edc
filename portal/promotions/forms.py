from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from portal.core.editing import VersionField
from portal.core.forms import PortalForm
from portal.holds.models import SimType
from portal.numbers.forms import price_field
from portal.promotions.models import CHANNELS

CODE = Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Chỉ chữ, số, - và _."))


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class OfferForm(PortalForm):
    version = VersionField()
    code = StringField(_l("Mã ưu đãi"), validators=[DataRequired(), Length(max=40), CODE])
    name = StringField(_l("Tên ưu đãi"), validators=[DataRequired(), Length(max=120)])
    package = SelectField(_l("Gói cước tặng"), validators=[DataRequired(message=_l("Chọn một gói cước."))],
                          validate_choice=False)  # the service says why a code is refused (unknown, stopped)
    description = TextAreaField(_l("Mô tả (khách hàng đọc trước khi thanh toán)"), validators=[Length(max=500)])
    sim_types = CheckboxesField(_l("Loại SIM (bỏ trống: mọi loại)"),
                                choices=[(s.value, s.label) for s in SimType])
    channels = CheckboxesField(_l("Kênh bán hàng (bỏ trống: mọi kênh)"), choices=list(CHANNELS.items()))
    starts_on = DateField(_l("Từ ngày"), validators=[DataRequired(message=_l("Nhập ngày bắt đầu."))])
    ends_on = DateField(_l("Đến ngày (tính cả ngày này)"), validators=[DataRequired(message=_l("Nhập ngày kết thúc."))])
    new_subscriber_only = BooleanField(_l("Chỉ thuê bao mới"), default=True)

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in (
            "name", "package", "description", "sim_types", "channels", "starts_on", "ends_on", "new_subscriber_only")}


class PackageForm(PortalForm):
    version = VersionField()
    code = StringField(_l("Mã gói"), validators=[DataRequired(), Length(max=20), CODE])
    name = StringField(_l("Tên gói"), validators=[DataRequired(), Length(max=120)])
    monthly_price = price_field(_l("Giá cước tháng (VND)"))
    allowance = TextAreaField(_l("Data / phút gọi"), validators=[Length(max=300)])

    def values(self) -> dict:
        return {"name": self.name.data, "monthly_price": self.monthly_price.parsed, "allowance": self.allowance.data}
