from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from portal.core.forms import PortalForm
from portal.holds.models import SimType
from portal.promotions.models import CHANNELS


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class OfferForm(PortalForm):
    code = StringField(_l("Mã ưu đãi"), validators=[DataRequired(), Length(max=40),
                                                   Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Chỉ chữ, số, - và _."))])
    name = StringField(_l("Tên ưu đãi"), validators=[DataRequired(), Length(max=120)])
    package = StringField(_l("Gói cước tặng"), validators=[DataRequired(), Length(max=20)])
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
