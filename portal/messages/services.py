"""Admins' texts of the messages: save one (checked first: nothing is saved with a field error), reset to the default.

Audited with the values before and after; an edit drawn from an older version is refused (``portal.core.editing``:
a template without an admin's text is version 0, so two admins writing the first text at once are told too).
"""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from portal.core import editing
from portal.core.actors import Actor
from portal.core.errors import Invalid
from portal.messages.models import MessageOverride
from portal.messages.registry import MessageTemplate
from portal.messages.rendering import override_of, problems


class TextRefused(Invalid):
    """The text cannot be saved: ``fields`` says why, per field."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("message_text_invalid", _("Mẫu chưa được lưu: sửa các lỗi bên dưới."))
        self.fields = fields


def _defaults(template: MessageTemplate) -> dict[str, Any]:
    return {"subject": template.subject, "body": template.body}


def save_text(template: MessageTemplate, drawn_from: int | None, subject: str, body: str,
              actor: Actor) -> dict[str, list[Any]]:
    """Save an admin's text of ``template`` (its checks first); returns what changed."""
    subject, body = (subject or "").strip() if template.subject else "", (body or "").replace("\r\n", "\n").strip()
    override = override_of(template)
    if override is not None:
        editing.check(override, drawn_from)  # a stale edit is told first: the text may be the other admin's now
    found = problems(template, subject, body)
    if found:
        raise TextRefused(found)
    by = (getattr(actor, "username", "") or "")[:80]
    row, changed = editing.put(override, drawn_from, "message_template.update", {"subject": subject, "body": body},
                               make=lambda: MessageOverride(template_id=template.id, updated_by=by),
                               before=_defaults(template))
    if changed and override is not None:
        row.updated_by = by  # in the same UPDATE as the text
    return changed


def reset_text(template: MessageTemplate, drawn_from: int | None) -> bool:
    """Back to the default text (the admins' text is deleted, audited with its last values); False: it was."""
    override = override_of(template)
    if override is None:
        return False  # the default already (another admin may have reset it first: the same outcome)
    editing.remove(override, drawn_from, "message_template.reset", ("template_id", "subject", "body"))
    return True
