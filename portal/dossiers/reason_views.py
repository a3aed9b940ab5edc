"""Admins' page of the rejection-reason catalogue (/admin/reject-reasons): add, change label and order, deactivate,
delete one never used. Every change is audited with the values before and after; an edit drawn from an older version
is refused with the latest values shown (409)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from portal.core import editing
from portal.core.access import allow
from portal.core.digits import WholeNumberField
from portal.core.forms import PortalForm
from portal.core.roles import Role
from portal.dossiers import reasons as catalogue
from portal.dossiers.review_models import RejectionReason
from portal.extensions import db

bp = Blueprint("reject_reasons", __name__, url_prefix="/admin/reject-reasons")
FIELD_OF_ERROR = {"reason_bad_code": "code", "reason_code_taken": "code", "reason_label_length": "label",
                  "reason_label_taken": "label", "reason_bad_position": "position", "reason_last_active": "active"}


class ReasonForm(PortalForm):
    version = editing.VersionField()
    code = StringField(_l("Mã (không đổi sau khi tạo)"), validators=[DataRequired(), Length(max=40)])
    label = StringField(_l("Nội dung lý do (người duyệt và khách hàng đọc)"),
                        validators=[DataRequired(), Length(max=200)])
    position = WholeNumberField(_l("Thứ tự hiển thị (nhỏ trước)"),
                                validators=[InputRequired(), NumberRange(min=0, max=10000)], default=100)
    active = BooleanField(_l("Đang dùng (người duyệt chọn được)"), default=True)

    def values(self) -> dict:
        return {"label": self.label.data, "position": self.position.data, "active": self.active.data}


def _reason(reason_id: int) -> RejectionReason:
    reason = db.session.get(RejectionReason, reason_id)
    if reason is None:
        abort(404)
    return reason


def _form_of(reason: RejectionReason) -> ReasonForm:
    form = ReasonForm(obj=reason)
    form.code.data = reason.code  # what decisions keep: it does not change
    return form


@bp.get("/")
@allow(Role.ADMIN)
def index():
    rows = catalogue.reasons()
    return render_template("dossiers/reasons/index.html", reasons=rows,
                           used={r.id for r in rows if catalogue.in_use(r)})


def _page(form: ReasonForm, reason: RejectionReason | None, status: int = 200, typed=()):
    used = reason is not None and catalogue.in_use(reason)
    return render_template("dossiers/reasons/edit.html", form=form, reason=reason, used=used, typed=typed), status


def _edit(form: ReasonForm, reason: RejectionReason | None):
    def saved():
        flash(_("Đã lưu lý do %(c)s.", c=form.code.data.strip().lower()), "success")
        return redirect(url_for("reject_reasons.index"))

    return editing.form_page(
        form, reason, lambda: catalogue.create_reason(form.code.data, form.values()) if reason is None else
        catalogue.update_reason(reason, form.version.data, form.values()),
        latest=lambda: _reason(reason.id), field_of=lambda exc: FIELD_OF_ERROR.get(exc.code, "label"),
        page=_page, saved=saved)


@bp.route("/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def create():
    return _edit(ReasonForm(), None)


@bp.route("/<int:reason_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit(reason_id: int):
    reason = _reason(reason_id)
    return _edit(_form_of(reason), reason)


@bp.post("/<int:reason_id>/delete")
@allow(Role.ADMIN)
def delete(reason_id: int):
    reason = _reason(reason_id)
    code = reason.code
    refused = editing.one_button(lambda version: catalogue.delete_reason(reason, version))
    if refused:
        flash(refused.message, "danger")
        return index(), refused.status
    flash(_("Đã xóa lý do %(c)s.", c=code), "success")
    return redirect(url_for("reject_reasons.index"))
