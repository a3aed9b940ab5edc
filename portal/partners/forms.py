from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional


class PartnerCreateForm(FlaskForm):
    name = StringField(_l("Tên kênh bán hàng"), validators=[DataRequired(), Length(min=2, max=80)])


class PartnerRevokeForm(FlaskForm):
    reason = StringField(_l("Lý do thu hồi"), validators=[Optional(), Length(max=300)])
