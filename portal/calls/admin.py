"""Admins' settings of the desk (/admin/calls): per region the business hours (weekday → opens/closes), holidays,
the overflow to a backup region after a delay, and whether calls are recorded. Every change is audited."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import BooleanField, DateField, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.calls.hours import WEEKDAYS
from portal.calls.models import BusinessHours, Holiday, RegionCallSettings, RoutingRule
from portal.core.access import allow
from portal.core.audit import audit
from portal.core.digits import WholeNumberField
from portal.core.forms import PortalForm
from portal.core.roles import Role
from portal.extensions import db
from portal.org.models import Region
from portal.org.places import province_names

bp = Blueprint("call_admin", __name__, url_prefix="/admin/calls")


def _regions() -> list[tuple[int, str]]:
    return [(r.id, r.name) for r in db.session.scalars(select(Region).where(Region.id > 0).order_by(Region.id))]


class SettingsForm(PortalForm):
    region_id = SelectField(_l("Khu vực"), coerce=int)
    backup_region_id = SelectField(_l("Khu vực dự phòng"), coerce=int)
    overflow_after_seconds = WholeNumberField(_l("Chuyển sang dự phòng sau (giây)"),
                                          validators=[InputRequired(), NumberRange(min=0, max=3600)], default=120)
    recording = BooleanField(_l("Ghi hình cuộc gọi"))


class HoursForm(PortalForm):
    region_id = SelectField(_l("Khu vực"), coerce=int)
    weekday = SelectField(_l("Ngày trong tuần"), coerce=int, choices=list(enumerate(WEEKDAYS)))
    opens = TimeField(_l("Giờ mở"), validators=[Optional()])
    closes = TimeField(_l("Giờ đóng"), validators=[Optional()])
    closed = BooleanField(_l("Nghỉ cả ngày"))


class HolidayForm(PortalForm):
    region_id = SelectField(_l("Khu vực"), coerce=int)
    day = DateField(_l("Ngày nghỉ"), validators=[DataRequired()])
    label = StringField(_l("Tên ngày nghỉ"), validators=[Length(max=120)])


class RuleForm(PortalForm):
    province = SelectField(_l("Tỉnh/thành của khách"))
    channel = StringField(_l("Kênh bán (web, app, partner:<mã>)"), validators=[Length(max=40)])
    region_id = SelectField(_l("Khu vực phục vụ"), coerce=int)
    priority = WholeNumberField(_l("Thứ tự ưu tiên"), validators=[InputRequired(), NumberRange(min=0, max=10000)],
                            default=100)


Forms = tuple[SettingsForm, HoursForm, HolidayForm, RuleForm]


def _forms() -> Forms:
    regions = _regions()
    settings, hours, holiday, rule = SettingsForm(), HoursForm(), HolidayForm(), RuleForm()
    settings.region_id.choices = hours.region_id.choices = rule.region_id.choices = regions
    settings.backup_region_id.choices = [(0, _("Không có"))] + regions
    holiday.region_id.choices = [(0, _("Mọi khu vực"))] + regions
    rule.province.choices = [("", _("Mọi tỉnh/thành"))] + [(p, p) for p in province_names()]
    return settings, hours, holiday, rule


def _render(forms: Forms, status: int = 200):
    settings, hours, holiday, rule = forms
    return render_template(
        "calls/admin.html", settings_form=settings, hours_form=hours, holiday_form=holiday, rule_form=rule,
        rules=db.session.scalars(select(RoutingRule).order_by(RoutingRule.priority, RoutingRule.id)).all(),
        regions=dict(_regions()), weekdays=WEEKDAYS,
        settings=db.session.scalars(select(RegionCallSettings).order_by(RegionCallSettings.region_id)).all(),
        hours=db.session.scalars(select(BusinessHours).order_by(BusinessHours.region_id,
                                                                BusinessHours.weekday)).all(),
        holidays=db.session.scalars(select(Holiday).order_by(Holiday.day.desc()).limit(100)).all()), status


@bp.get("/")
@allow(Role.ADMIN)
def index():
    return _render(_forms())


def _done(message: str):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("call_admin.index"))


@bp.post("/settings")
@allow(Role.ADMIN)
def save_settings():
    forms = _forms()
    form = forms[0]
    if not form.validate():
        return _render(forms, 422)
    if form.backup_region_id.data == form.region_id.data:
        form.backup_region_id.errors = [_("Khu vực dự phòng phải khác khu vực chính.")]
        return _render(forms, 422)
    row = db.session.get(RegionCallSettings, form.region_id.data) or RegionCallSettings(region_id=form.region_id.data)
    row.backup_region_id = form.backup_region_id.data or None
    row.overflow_after_seconds = form.overflow_after_seconds.data
    row.recording = form.recording.data
    db.session.add(row)
    audit("call.settings_changed", None, region_id=row.region_id, detail={
        "backup_region_id": row.backup_region_id, "overflow_after_seconds": row.overflow_after_seconds,
        "recording": row.recording})
    return _done(_("Đã lưu cài đặt khu vực."))


@bp.post("/hours")
@allow(Role.ADMIN)
def save_hours():
    forms = _forms()
    form = forms[1]
    if not form.validate():
        return _render(forms, 422)
    row = db.session.scalar(select(BusinessHours).where(BusinessHours.region_id == form.region_id.data,
                                                        BusinessHours.weekday == form.weekday.data))
    if form.closed.data:
        if row is not None:
            db.session.delete(row)
        detail = {"weekday": form.weekday.data, "closed": True}
    else:
        if not form.opens.data or not form.closes.data or form.opens.data >= form.closes.data:
            form.closes.errors = [_("Giờ đóng phải sau giờ mở.")]
            return _render(forms, 422)
        row = row or BusinessHours(region_id=form.region_id.data, weekday=form.weekday.data)
        row.opens, row.closes = form.opens.data, form.closes.data
        db.session.add(row)
        detail = {"weekday": form.weekday.data, "opens": f"{row.opens:%H:%M}", "closes": f"{row.closes:%H:%M}"}
    audit("call.hours_changed", None, region_id=form.region_id.data, detail=detail)
    return _done(_("Đã lưu giờ làm việc."))


@bp.post("/holidays")
@allow(Role.ADMIN)
def add_holiday():
    forms = _forms()
    form = forms[2]
    if not form.validate():
        return _render(forms, 422)
    row = Holiday(region_id=form.region_id.data or None, day=form.day.data, label=(form.label.data or "").strip())
    db.session.add(row)
    audit("call.holiday_added", None, region_id=row.region_id, detail={"day": row.day.isoformat()})
    return _done(_("Đã thêm ngày nghỉ."))


@bp.post("/holidays/<int:holiday_id>/delete")
@allow(Role.ADMIN)
def delete_holiday(holiday_id: int):
    row = db.session.get(Holiday, holiday_id)
    if row is not None:
        audit("call.holiday_deleted", None, region_id=row.region_id, detail={"day": row.day.isoformat()})
        db.session.delete(row)
    return _done(_("Đã xóa ngày nghỉ."))


@bp.post("/rules")
@allow(Role.ADMIN)
def add_rule():
    forms = _forms()
    form = forms[3]
    if not form.validate():
        return _render(forms, 422)
    channel = " ".join((form.channel.data or "").split())
    if not form.province.data and not channel:
        form.province.errors = [_("Chọn tỉnh/thành hoặc nhập kênh bán.")]
        return _render(forms, 422)
    row = RoutingRule(province=form.province.data, channel=channel, region_id=form.region_id.data,
                      priority=form.priority.data)
    db.session.add(row)
    audit("call.routing_rule_added", None, region_id=row.region_id, detail={
        "province": row.province, "channel": row.channel, "priority": row.priority})
    return _done(_("Đã thêm quy tắc định tuyến."))


@bp.post("/rules/<int:rule_id>/delete")
@allow(Role.ADMIN)
def delete_rule(rule_id: int):
    row = db.session.get(RoutingRule, rule_id)
    if row is not None:
        audit("call.routing_rule_deleted", None, region_id=row.region_id, detail={
            "province": row.province, "channel": row.channel})
        db.session.delete(row)
    return _done(_("Đã xóa quy tắc định tuyến."))
