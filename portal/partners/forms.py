from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

from portal.core.forms import PortalForm


class PartnerCreateForm(PortalForm):
    name = StringField(_l("Tên kênh bán hàng"), validators=[DataRequired(), Length(min=2, max=80)])


class PartnerRevokeForm(PortalForm):
    reason = StringField(_l("Lý do thu hồi"), validators=[Optional(), Length(max=300)])
