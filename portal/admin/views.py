"""Staff administration and the failed-jobs page. Regional admins manage their region only."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.admin import bp
from portal.admin.forms import PasswordForm, RoleForm, StaffCreateForm, StatusForm
from portal.auth import services as auth
from portal.auth.models import Staff, StaffStatus
from portal.core import jobs
from portal.core.access import allow, get_in_region_or_404, in_region
from portal.core.audit import audit
from portal.core.errors import PortalError
from portal.core.roles import Role
from portal.extensions import db
from portal.org.services import regions


@bp.route("/staff")
@allow(Role.ADMIN)
def staff_list():
    staff = db.session.scalars(in_region(select(Staff), Staff.region_id).order_by(Staff.region_id, Staff.username))
    form = StaffCreateForm(region_id=current_user.region_id)
    return render_template("admin/staff_list.html", staff=list(staff), form=form, regions=regions())


@bp.route("/staff", methods=["POST"])
@allow(Role.ADMIN)
def staff_create():
    form = StaffCreateForm()
    if form.validate_on_submit():
        if not current_user.is_head_office and form.region_id.data != current_user.region_id:
            form.region_id.errors.append(_("Bạn chỉ tạo được tài khoản trong khu vực của mình."))
        else:
            try:
                staff = auth.create_staff(
                    form.username.data, form.password.data, form.role.data, form.region_id.data,
                    form.store_code.data or None, form.full_name.data, actor=current_user,
                )
            except PortalError as exc:
                db.session.rollback()
                form.form_errors.append(exc.message)
            else:
                db.session.commit()
                flash(_("Đã tạo tài khoản %(u)s.", u=staff.username), "success")
                return redirect(url_for("admin.staff_list"))
    staff = db.session.scalars(in_region(select(Staff), Staff.region_id).order_by(Staff.region_id, Staff.username))
    return render_template("admin/staff_list.html", staff=list(staff), form=form, regions=regions()), 422


@bp.route("/staff/<int:staff_id>")
@allow(Role.ADMIN)
def staff_detail(staff_id: int):
    staff = get_in_region_or_404(Staff, staff_id)
    return render_template(
        "admin/staff_detail.html", staff=staff, role_form=RoleForm(role=staff.role.value),
        status_form=StatusForm(), password_form=PasswordForm(), sessions=auth.active_session_count(staff),
    )


def _act(staff_id: int, form_class, action) -> object:
    staff = get_in_region_or_404(Staff, staff_id)
    if staff.id == current_user.id:
        flash(_("Bạn không thể tự thay đổi tài khoản của mình tại đây."), "warning")
        return redirect(url_for("admin.staff_detail", staff_id=staff.id))
    form = form_class()
    if not form.validate_on_submit():
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
    def toggle(staff: Staff, form: StatusForm) -> str:
        target = StaffStatus.ACTIVE if staff.status == StaffStatus.DISABLED else StaffStatus.DISABLED
        auth.set_staff_status(staff, target, current_user, form.reason.data or "")
        return _("Đã khóa tài khoản.") if target == StaffStatus.DISABLED else _("Đã mở khóa tài khoản.")

    return _act(staff_id, StatusForm, toggle)


@bp.route("/staff/<int:staff_id>/role", methods=["POST"])
@allow(Role.ADMIN)
def staff_role(staff_id: int):
    def change(staff: Staff, form: RoleForm) -> str:
        auth.change_role(staff, Role(form.role.data), current_user)
        return _("Đã đổi vai trò.")

    return _act(staff_id, RoleForm, change)


@bp.route("/staff/<int:staff_id>/password", methods=["POST"])
@allow(Role.ADMIN)
def staff_password(staff_id: int):
    def reset(staff: Staff, form: PasswordForm) -> str:
        auth.reset_password(staff, form.password.data, current_user)
        return _("Đã đặt lại mật khẩu.")

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
