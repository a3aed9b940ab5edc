"""The refunds page's forms (their CSRF token is Flask-WTF's)."""
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from portal.core.forms import PortalForm


class CloseRefundForm(PortalForm):
    note = StringField(_l("Ghi chú"), validators=[DataRequired(), Length(max=300)])
