from flask_babel import lazy_gettext as _l
from wtforms import DateField, StringField
from wtforms.validators import Length, Optional

from portal.core.forms import QueryForm


class AuditSearchForm(QueryForm):
    action = StringField(_l("Hành động"), validators=[Optional(), Length(max=64)])
    actor = StringField(_l("Người thực hiện"), validators=[Optional(), Length(max=80)])
    object_type = StringField(_l("Loại hồ sơ"), validators=[Optional(), Length(max=40)])
    object_id = StringField(_l("Mã hồ sơ"), validators=[Optional(), Length(max=64)])
    date_from = DateField(_l("Từ ngày"), validators=[Optional()])
    date_to = DateField(_l("Đến ngày"), validators=[Optional()])
