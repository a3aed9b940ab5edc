"""The base of every form: WTForms' and Flask-WTF's own messages in the page's language (portal.core.i18n)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Field, Form, ValidationError

from portal.core.i18n import CSRF_REASONS, WTFormsTranslations, csrf_message, wtforms_translations


class _CSRF(FlaskForm.Meta.csrf_class):
    """Flask-WTF's form-level token check, with its English reasons in the page's language."""

    def validate_csrf_token(self, form: Form, field: Field) -> None:
        try:
            super().validate_csrf_token(form, field)
        except ValidationError as exc:
            if exc.args and exc.args[0] in CSRF_REASONS:
                raise ValidationError(csrf_message()) from exc
            raise


class PortalForm(FlaskForm):
    """A form that changes something (POST): Flask-WTF's CSRF token, messages in the page's language."""

    class Meta:
        csrf_class = _CSRF

        def get_translations(self, form: Form) -> WTFormsTranslations:
            return wtforms_translations


class QueryForm(PortalForm):
    """A GET form of search filters, built from ``request.args``: no CSRF token, since it changes nothing."""

    class Meta:
        csrf = False
