"""Admins' pages of the message templates (/admin/messages): every SMS and e-mail the portal sends, its text (the
default or the admins'), the placeholders it may use, a preview with sample values and the SMS length; save (checked
first), reset to the default. Audited with the values before and after; a stale edit is refused with the latest text
shown (409)."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import StringField, TextAreaField

from portal.core import editing
from portal.core.access import allow
from portal.core.errors import PortalError
from portal.core.forms import PortalForm
from portal.core.roles import Role
from portal.messages import bp, services
from portal.messages.registry import MessageTemplate, template, templates
from portal.messages.rendering import MAX_SMS_SEGMENTS, Rendered, override_of, preview, problems, render


class MessageForm(PortalForm):
    version = editing.VersionField()
    subject = StringField(_l("Tiêu đề e-mail"))
    body = TextAreaField(_l("Nội dung"))


def _template(template_id: str) -> MessageTemplate:
    found = template(template_id)
    if found is None:
        abort(404)
    return found


def _current(t: MessageTemplate) -> Any:
    """What the form starts from: the admins' text, or the default as version 0."""
    return override_of(t) or SimpleNamespace(subject=t.subject, body=t.body, version=0)


@bp.get("/")
@allow(Role.ADMIN)
def index():
    rows = []
    for t in templates():
        override = override_of(t)
        rows.append({"template": t, "override": override, "shown": render(t, **t.sample)})
    return render_template("messages/index.html", rows=rows)


def _page(t: MessageTemplate, form: MessageForm, shown: Rendered | None, status: int = 200, typed=()):
    return render_template("messages/edit.html", t=t, form=form, override=override_of(t), shown=shown,
                           typed=typed, max_segments=MAX_SMS_SEGMENTS), status


def _show(t: MessageTemplate, form: MessageForm) -> Rendered | None:
    """The preview of the form's text, if it has no problem (else the problems go beside the fields)."""
    found = problems(t, form.subject.data or "", form.body.data or "")
    for name, message in found.items():
        form[name].errors.append(message)
    return None if found else preview(t, form.subject.data or "", form.body.data or "")


@bp.route("/<template_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit(template_id: str):
    t = _template(template_id)
    form = MessageForm(obj=_current(t))
    if not form.validate_on_submit():
        return _page(t, form, _show(t, form), 400 if request.method == "POST" else 200)
    if request.form.get("action") == "preview":  # nothing is saved
        shown = _show(t, form)
        return _page(t, form, shown, 200 if shown else 422)
    try:
        with editing.committed():
            changed = services.save_text(t, form.version.data, form.subject.data or "", form.body.data or "",
                                         current_user)
    except services.TextRefused as exc:
        for name, message in exc.fields.items():
            form[name].errors.append(message)
        return _page(t, form, None, 422)
    except PortalError as exc:
        if exc.code != "stale_edit":
            raise
        fresh, typed = editing.redrawn(MessageForm, _current(t), form)
        return _page(t, fresh, _show(t, fresh), 409, typed)
    flash(_("Đã lưu mẫu “%(n)s”: tin gửi từ bây giờ dùng nội dung mới.", n=t.name) if changed else
          _("Nội dung không thay đổi."), "success")
    return redirect(url_for("messages.edit", template_id=t.id))


@bp.post("/<template_id>/reset")
@allow(Role.ADMIN)
def reset(template_id: str):
    t = _template(template_id)
    done: list[bool] = []
    refused = editing.one_button(lambda version: done.append(services.reset_text(t, version)))
    if refused:
        fresh = MessageForm(formdata=None, obj=_current(t))
        fresh.form_errors.append(refused.message)
        return _page(t, fresh, _show(t, fresh), refused.status)
    flash(_("Đã trả mẫu “%(n)s” về nội dung mặc định.", n=t.name) if done[0] else
          _("Mẫu đang dùng nội dung mặc định."), "success")
    return redirect(url_for("messages.edit", template_id=t.id))
