"""Staff administration (create, edit name/role/region/store, disable, reset the password) and the failed-jobs page.
Regional admins manage their region only; every edit goes through portal.core.editing (audited before/after, a
stale form refused with the latest values shown)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.admin import bp
from portal.admin.forms import PasswordForm, StaffCreateForm, StaffEditForm, StatusForm
from portal.admin.screens import audit_history, refused, region_choices, shown_values, store_choices
from portal.auth import services as auth
from portal.auth.models import Staff, StaffStatus
from portal.core import editing, jobs
from portal.core.access import allow, get_in_region_or_404, in_region, sees_region
from portal.core.audit import audit
from portal.core.errors import FieldErrors, PortalError
from portal.core.realtime import open_socket_count
from portal.core.roles import Role
from portal.extensions import db


def _staff_rows() -> list[Staff]:
    return list(db.session.scalars(in_region(select(Staff), Staff.region_id).order_by(Staff.region_id, Staff.username)))


def _fill(form: StaffCreateForm | StaffEditForm, keep_store: int | None = None) -> None:
    form.region_id.choices = region_choices()
    form.store_code.choices = store_choices(keep_store)


def _render_list(form: StaffCreateForm, status: int = 200):
    return render_template("admin/staff_list.html", staff=_staff_rows(), form=form), status


@bp.route("/staff")
@allow(Role.ADMIN)
def staff_list():
    form = StaffCreateForm(region_id=current_user.region_id)
    _fill(form)
    return _render_list(form)


@bp.route("/staff", methods=["POST"])
@allow(Role.ADMIN)
def staff_create():
    form = StaffCreateForm()
    _fill(form)
    if form.validate_on_submit():
        errors, _store = auth.assignment_errors(Role(form.role.data), form.region_id.data, form.store_code.data or "",
                                                current_user)
        try:
            if errors:
                raise FieldErrors(errors)
            staff = auth.create_staff(
                form.username.data, form.password.data, form.role.data, form.region_id.data,
                form.store_code.data or None, form.full_name.data, actor=current_user,
            )
        except FieldErrors as exc:
            db.session.rollback()
            exc.show_on(form)
        except PortalError as exc:
            db.session.rollback()
            (form.username.errors if exc.code in ("bad_username", "username_taken") else form.form_errors).append(
                exc.message)
        else:
            db.session.commit()
            flash(_("Đã tạo tài khoản %(u)s.", u=staff.username), "success")
            return redirect(url_for("admin.staff_detail", staff_id=staff.id))
    return _render_list(form, 422)


def _edit_form(staff: Staff) -> StaffEditForm:
    form = StaffEditForm(formdata=None, full_name=staff.full_name, role=staff.role.value, region_id=staff.region_id,
                         store_code=staff.store.code if staff.store else "", version=staff.version)
    _fill(form, staff.store_id)
    return form


def _render_detail(staff: Staff, form: StaffEditForm | None = None, stale=None, status: int = 200,
                   password_form: PasswordForm | None = None):
    return render_template(
        "admin/staff_detail.html", staff=staff, form=form or _edit_form(staff), stale=stale,
        status_form=StatusForm(action="enable" if staff.status == StaffStatus.DISABLED else "disable"),
        password_form=password_form or PasswordForm(), sessions=auth.active_session_count(staff),
        sockets=open_socket_count(staff.id), history=audit_history(staff), field_labels=_field_labels(),
        shown=shown_values()), status


def _field_labels() -> dict[str, str]:
    """Audit field names → what the page calls them (the history table)."""
    return {"username": _("Tên đăng nhập"), "full_name": _("Họ và tên"), "role": _("Vai trò"),
            "region_id": _("Khu vực"), "store_id": _("Cửa hàng"), "reason": _("Lý do"),
            "from": _("Từ"), "to": _("Sang")}


@bp.route("/staff/<int:staff_id>")
@allow(Role.ADMIN)
def staff_detail(staff_id: int):
    return _render_detail(get_in_region_or_404(Staff, staff_id))


@bp.route("/staff/<int:staff_id>", methods=["POST"])
@allow(Role.ADMIN)
def staff_update(staff_id: int):
    staff = get_in_region_or_404(Staff, staff_id)
    form = StaffEditForm()
    _fill(form, staff.store_id)
    if not form.validate_on_submit():
        return _render_detail(staff, form, status=422)
    try:
        with editing.committed():
            changes = auth.update_staff(staff, form.version.data, current_user, full_name=form.full_name.data,
                                        role=form.role.data, region_id=form.region_id.data,
                                        store_code=form.store_code.data or "")
    except PortalError as exc:
        return refused(exc, form, lambda: _edit_form(db.session.get(Staff, staff_id)),
                       lambda form, status, stale=None: _render_detail(db.session.get(Staff, staff_id), form,
                                                                        stale, status))
    if not changes:
        flash(_("Không có gì thay đổi."), "info")
    elif auth.RIGHTS & changes.keys():
        flash(_("Đã lưu. Các phiên đăng nhập của nhân viên đã kết thúc để quyền mới có hiệu lực ngay."), "success")
    else:
        flash(_("Đã lưu."), "success")
    if not sees_region(db.session.get(Staff, staff_id).region_id):  # moved out of the admin's region
        return redirect(url_for("admin.staff_list"))
    return redirect(url_for("admin.staff_detail", staff_id=staff_id))


def _act(staff_id: int, form_class, action) -> object:
    staff = get_in_region_or_404(Staff, staff_id)
    if staff.id == current_user.id:
        flash(_("Bạn không thể tự thay đổi tài khoản của mình tại đây."), "warning")
        return redirect(url_for("admin.staff_detail", staff_id=staff.id))
    form = form_class()
    if not form.validate_on_submit():
        if isinstance(form, PasswordForm):
            return _render_detail(staff, password_form=form, status=422)
        flash(" ".join(e for errors in form.errors.values() for e in errors), "danger")
        return redirect(url_for("admin.staff_detail", staff_id=staff.id))
    try:
        message = action(staff, form)
    except PortalError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("admin.staff_detail", staff_id=staff.id))


@bp.route("/staff/<int:staff_id>/status", methods=["POST"])
@allow(Role.ADMIN)
def staff_toggle(staff_id: int):
    def move(staff: Staff, form: StatusForm) -> str:
        # The button says what it does; two admins pressing "Khóa" at once do not lock and then unlock.
        target = StaffStatus.ACTIVE if form.action.data == "enable" else StaffStatus.DISABLED
        auth.set_staff_status(staff, target, current_user, form.reason.data or "")
        return (_("Đã khóa tài khoản. Mọi phiên đăng nhập và kết nối thời gian thực của nhân viên đã kết thúc.")
                if target == StaffStatus.DISABLED else _("Đã mở khóa tài khoản."))

    return _act(staff_id, StatusForm, move)


@bp.route("/staff/<int:staff_id>/password", methods=["POST"])
@allow(Role.ADMIN)
def staff_password(staff_id: int):
    def reset(staff: Staff, form: PasswordForm) -> str:
        auth.reset_password(staff, form.password.data, current_user)
        return _("Đã đặt lại mật khẩu; các phiên đăng nhập của nhân viên đã kết thúc.")

    return _act(staff_id, PasswordForm, reset)


@bp.route("/jobs/failed")
@allow(Role.ADMIN)
def failed_jobs():
    return render_template("admin/failed_jobs.html", jobs=jobs.failed_jobs())


@bp.route("/jobs/failed/<job_id>/requeue", methods=["POST"])
@allow(Role.ADMIN)
def requeue_job(job_id: str):
    if len(job_id) > 64:
        abort(404)
    if jobs.requeue_failed(job_id):
        audit("job.requeue", detail={"job_id": job_id})
        db.session.commit()
        flash(_("Đã đưa tác vụ trở lại hàng đợi."), "success")
    else:
        flash(_("Tác vụ không còn trong danh sách lỗi."), "warning")
    return redirect(url_for("admin.failed_jobs"))
