"""Admins' settings of the desk (/admin/calls): routing rules, per region the overflow to a backup region after a
delay and whether calls are recorded, the business hours of each weekday, holidays (``portal.calls.configuration``).
Every change is audited with the values before and after; an edit drawn from an older version is refused with the
latest values shown (409)."""
from __future__ import annotations

from datetime import time
from types import SimpleNamespace
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import BooleanField, DateField, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.calls import configuration as config
from portal.calls.hours import WEEKDAYS, hours_of
from portal.calls.models import BusinessHours, Holiday, RegionCallSettings, RoutingRule
from portal.core import editing
from portal.core.access import allow
from portal.core.digits import WholeNumberField
from portal.core.errors import PortalError
from portal.core.forms import PortalForm
from portal.core.roles import Role
from portal.extensions import db
from portal.org.models import Region
from portal.org.places import province_names

bp = Blueprint("call_admin", __name__, url_prefix="/admin/calls")


def _regions() -> list[tuple[int, str]]:
    return [(r.id, r.short_name) for r in db.session.scalars(select(Region).where(Region.id > 0).order_by(Region.id))]


class SettingsForm(PortalForm):
    version = editing.VersionField()
    backup_region_id = SelectField(_l("Khu vực dự phòng"), coerce=lambda v: int(v or 0))  # 0: none
    overflow_after_seconds = WholeNumberField(_l("Chuyển sang dự phòng sau (giây)"),
                                              validators=[InputRequired(), NumberRange(min=0, max=3600)], default=120)
    recording = BooleanField(_l("Ghi hình cuộc gọi"))


class HolidayForm(PortalForm):
    version = editing.VersionField()
    region_id = SelectField(_l("Khu vực"), coerce=lambda v: int(v or 0))  # 0: every region
    day = DateField(_l("Ngày nghỉ"), validators=[DataRequired(message=_l("Chọn ngày nghỉ."))])
    label = StringField(_l("Tên ngày nghỉ"), validators=[Length(max=120)])


class RuleForm(PortalForm):
    version = editing.VersionField()
    province = SelectField(_l("Tỉnh/thành của khách"))
    channel = StringField(_l("Kênh bán (web, app hoặc partner:số)"), validators=[Length(max=40)])
    region_id = SelectField(_l("Khu vực phục vụ"), coerce=int)
    priority = WholeNumberField(_l("Thứ tự ưu tiên"), validators=[InputRequired(), NumberRange(min=0, max=10000)],
                                default=100)


class WeekForm(PortalForm):
    """A region's seven weekdays: each opens → closes, or closed; each with the version it was drawn from."""


for _day in range(7):
    setattr(WeekForm, f"version_{_day}", editing.VersionField())
    setattr(WeekForm, f"opens_{_day}", TimeField(_l("Giờ mở"), validators=[Optional()]))
    setattr(WeekForm, f"closes_{_day}", TimeField(_l("Giờ đóng"), validators=[Optional()]))
    setattr(WeekForm, f"closed_{_day}", BooleanField(_l("Nghỉ")))


def _rule_form(**kwargs: Any) -> RuleForm:
    form = RuleForm(**kwargs)
    form.region_id.choices = _regions()
    form.province.choices = [("", _("Mọi tỉnh/thành"))] + [(p, p) for p in province_names()]
    return form


def _holiday_form(**kwargs: Any) -> HolidayForm:
    form = HolidayForm(**kwargs)
    form.region_id.choices = [(0, _("Mọi khu vực"))] + _regions()
    return form


def _field_of(form: PortalForm, default: str):
    """Where a refusal goes: the field its code starts with (``backup_region_id_same``), else ``default``."""
    return lambda exc: next((f for f in form._fields if f not in ("csrf_token", "version") and exc.code.startswith(f)),
                            default)


def _render(rule_form: RuleForm | None = None, holiday_form: HolidayForm | None = None, status: int = 200):
    regions = _regions()
    settings = {row.region_id: row for row in db.session.scalars(select(RegionCallSettings))}
    week: dict[int, dict[int, BusinessHours]] = {}
    for row in db.session.scalars(select(BusinessHours)):
        week.setdefault(row.region_id, {})[row.weekday] = row
    return render_template(
        "calls/admin.html", rule_form=rule_form or _rule_form(), holiday_form=holiday_form or _holiday_form(),
        rules=db.session.scalars(select(RoutingRule).order_by(RoutingRule.priority, RoutingRule.id)).all(),
        regions=dict(regions), region_list=regions, weekdays=WEEKDAYS, settings=settings, week=week,
        defaults=config.SETTINGS_DEFAULTS,
        holidays=db.session.scalars(select(Holiday).order_by(Holiday.day.desc()).limit(100)).all()), status


@bp.get("/")
@allow(Role.ADMIN)
def index():
    return _render()


def _done(message: str):
    flash(message, "success")
    return redirect(url_for("call_admin.index"))


# -- routing rules --------------------------------------------------------------------------------------------------

def _rule_values(form: RuleForm) -> dict[str, Any]:
    return {name: form[name].data for name in config.RULE_FIELDS}


@bp.post("/rules")
@allow(Role.ADMIN)
def add_rule():
    form = _rule_form()
    return _add("rule_form", form, lambda: config.add_rule(_rule_values(form)), "province",
                _("Đã thêm quy tắc định tuyến."))


def _add(name: str, form: PortalForm, write, default_field: str, message: str):
    """A form of the list page that adds a record: the list again with its errors (422), or the list with a notice."""
    if not form.validate():
        return _render(**{name: form}, status=422)
    done = editing.save_form(form, write, latest=None, field_of=_field_of(form, default_field))
    return _done(message) if done.done else _render(**{name: form}, status=done.status)


def _rule(rule_id: int) -> RoutingRule:
    return db.session.get(RoutingRule, rule_id) or abort(404)


def _rule_page(form: RuleForm, rule: RoutingRule, status: int = 200, typed=()):
    return render_template("calls/admin_rule.html", form=form, rule=rule, typed=typed), status


@bp.route("/rules/<int:rule_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit_rule(rule_id: int):
    rule = _rule(rule_id)
    form = _rule_form(obj=rule)
    if not form.validate_on_submit():
        return _rule_page(form, rule, 422 if form.errors else 200)
    done = editing.save_form(form, lambda: config.update_rule(rule, form.version.data, _rule_values(form)),
                             latest=lambda: _rule(rule_id), field_of=_field_of(form, "province"))
    if done.done:
        return _done(_("Đã lưu quy tắc định tuyến."))
    done.form.region_id.choices, done.form.province.choices = form.region_id.choices, form.province.choices
    return _rule_page(done.form, rule, done.status, done.typed)


def _delete(action, message: str):
    """A versioned delete from the list: refused (409, the list with the latest values) if the row changed."""
    refused = editing.one_button(action)
    if refused:
        flash(refused.message, "danger")
        return _render(status=refused.status)
    return _done(message)


@bp.post("/rules/<int:rule_id>/delete")
@allow(Role.ADMIN)
def delete_rule(rule_id: int):
    rule = _rule(rule_id)
    return _delete(lambda version: config.delete_rule(rule, version), _("Đã xóa quy tắc định tuyến."))


# -- a region's settings and week --------------------------------------------------------------------------------

def _region(region_id: int) -> str:
    name = dict(_regions()).get(region_id)
    if name is None:
        abort(404)
    return name


def _settings_of(region_id: int) -> Any:
    """The region's settings, or the defaults as version 0 (none saved yet)."""
    return db.session.get(RegionCallSettings, region_id) or SimpleNamespace(**config.SETTINGS_DEFAULTS, version=0)


def _with_backups(form: SettingsForm, region_id: int) -> SettingsForm:
    form.backup_region_id.choices = [(0, _("Không có"))] + [r for r in _regions() if r[0] != region_id]
    return form


@bp.route("/settings/<int:region_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit_settings(region_id: int):
    name = _region(region_id)
    form = _with_backups(SettingsForm(obj=_settings_of(region_id)), region_id)
    status = 422 if form.is_submitted() else 200
    typed: list[tuple[str, str]] = []
    if form.validate_on_submit():
        values = {n: form[n].data for n in ("backup_region_id", "overflow_after_seconds", "recording")}
        done = editing.save_form(form, lambda: config.save_settings(region_id, form.version.data, values),
                                 latest=lambda: _settings_of(region_id), field_of=_field_of(form, "backup_region_id"))
        if done.done:
            return _done(_("Đã lưu cài đặt của %(r)s.", r=name))
        form, typed, status = _with_backups(done.form, region_id), done.typed, done.status
    return render_template("calls/admin_settings.html", form=form, region_id=region_id, region=name,
                           typed=typed), status


def _week_form(region_id: int, **kwargs: Any) -> WeekForm:
    rows = hours_of(region_id)
    data: dict[str, Any] = {}
    for day in range(7):
        row = rows.get(day)
        data |= {f"version_{day}": row.version if row else 0, f"opens_{day}": row.opens if row else time(8),
                 f"closes_{day}": row.closes if row else time(17), f"closed_{day}": row is None and bool(rows)}
    return WeekForm(data=data, **kwargs)


@bp.route("/hours/<int:region_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit_hours(region_id: int):
    """A region's week at once: for each weekday its hours, or closed (no day set at all: always open)."""
    name = _region(region_id)
    form = _week_form(region_id)
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        days = [config.Day(d, form[f"version_{d}"].data, form[f"closed_{d}"].data, form[f"opens_{d}"].data,
                           form[f"closes_{d}"].data) for d in range(7)]
        try:
            with editing.committed():
                config.save_week(region_id, days)
            return _done(_("Đã lưu giờ làm việc của %(r)s.", r=name))
        except config.WeekRefused as exc:
            for day, message in exc.days.items():
                form[f"closes_{day}"].errors = [message]
            status = exc.status
        except PortalError as exc:
            if exc.code != "stale_edit":
                raise
            form = _week_form(region_id, formdata=None)
            form.form_errors.append(exc.message)
            status = exc.status
    return render_template("calls/admin_hours.html", form=form, region_id=region_id, region=name,
                           weekdays=WEEKDAYS, always_open=not hours_of(region_id)), status


# -- holidays -----------------------------------------------------------------------------------------------------

def _holiday_values(form: HolidayForm) -> dict[str, Any]:
    return {name: form[name].data for name in config.HOLIDAY_FIELDS}


@bp.post("/holidays")
@allow(Role.ADMIN)
def add_holiday():
    form = _holiday_form()
    return _add("holiday_form", form, lambda: config.add_holiday(_holiday_values(form)), "day",
                _("Đã thêm ngày nghỉ."))


def _holiday(holiday_id: int) -> Holiday:
    return db.session.get(Holiday, holiday_id) or abort(404)


@bp.route("/holidays/<int:holiday_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit_holiday(holiday_id: int):
    holiday = _holiday(holiday_id)
    form = _holiday_form(obj=holiday)
    status, typed = (422 if form.is_submitted() else 200), []
    if form.validate_on_submit():
        done = editing.save_form(form, lambda: config.update_holiday(holiday, form.version.data,
                                                                     _holiday_values(form)),
                                 latest=lambda: _holiday(holiday_id), field_of=_field_of(form, "day"))
        if done.done:
            return _done(_("Đã lưu ngày nghỉ."))
        done.form.region_id.choices = form.region_id.choices
        form, typed, status = done.form, done.typed, done.status
    return render_template("calls/admin_holiday.html", form=form, holiday=holiday, typed=typed), status


@bp.post("/holidays/<int:holiday_id>/delete")
@allow(Role.ADMIN)
def delete_holiday(holiday_id: int):
    holiday = _holiday(holiday_id)
    return _delete(lambda version: config.delete_holiday(holiday, version), _("Đã xóa ngày nghỉ."))
