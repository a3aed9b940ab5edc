from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.core.digits import WholeNumberField
from portal.core.forms import PortalForm


class ConfirmForm(PortalForm):
    """SHIP-8: where and when the courier picks the parcel up (Vietnam time)."""

    pickup_address = StringField(_l("Địa chỉ lấy hàng"), validators=[DataRequired(), Length(min=5, max=300)])
    pickup_at = DateTimeLocalField(_l("Thời gian lấy hàng"), format="%Y-%m-%dT%H:%M",
                                   validators=[DataRequired(message=_l("Vui lòng chọn ngày giờ lấy hàng."))])


class HandOverForm(PortalForm):
    """SHIP-13: the blank SIM's serial, then the parcel goes to the courier."""

    iccid = StringField(_l("Số serial SIM (ICCID)"), validators=[DataRequired(), Length(max=30)])


class CancelForm(PortalForm):
    reason = StringField(_l("Lý do hủy"), validators=[DataRequired(), Length(max=300)])


class StoreHandOverForm(PortalForm):
    """SHIP-7: the ID document shown, the SIM handed over, the cash received."""

    id_number = StringField(_l("Số CCCD/CMND trên giấy tờ khách xuất trình"),
                            validators=[DataRequired(), Length(max=20)])
    iccid = StringField(_l("Số serial SIM (ICCID)"), validators=[DataRequired(), Length(max=30)])
    cash_received = WholeNumberField(_l("Tiền đã thu (₫)"), validators=[Optional(), NumberRange(0, 100_000_000)])


class ResolveFlagForm(PortalForm):
    note = StringField(_l("Ghi chú xử lý"), validators=[DataRequired(), Length(max=300)])


class ResolveAttentionForm(PortalForm):
    note = StringField(_l("Đã xử lý thế nào"), validators=[DataRequired(), Length(max=300)])


class NoShowForm(PortalForm):
    """Only the CSRF token: the deadline is the rule (Order.clerk_may_record_no_show)."""
