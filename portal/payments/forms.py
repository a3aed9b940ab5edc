"""The refunds page's forms (their CSRF token is Flask-WTF's)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class CloseRefundForm(FlaskForm):
    note = StringField(_l("Ghi chú"), validators=[DataRequired(), Length(max=300)])
