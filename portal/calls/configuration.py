"""Admins' settings of the video-call desk: routing rules, per region the overflow to a backup region and recording,
the business hours of each weekday, and holidays.

Every change is audited with the values before and after, and an edit drawn from an older version of what it changes
is refused (``portal.core.editing``): two admins editing the same rule, region or week at once → the second is told,
and the first one's values stay. A region's settings and a weekday's hours exist only once set (version 0 before).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from functools import partial
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, select

from portal.calls.hours import hours_of
from portal.calls.models import BusinessHours, Holiday, RegionCallSettings, RoutingRule
from portal.core import editing
from portal.core.errors import Conflict, Invalid
from portal.extensions import db
from portal.org.models import Region

RULE_FIELDS = ("province", "channel", "region_id", "priority")
SETTINGS_DEFAULTS: dict[str, Any] = {"backup_region_id": None, "overflow_after_seconds": 120, "recording": False}
HOLIDAY_FIELDS = ("region_id", "day", "label")
MAX_OVERFLOW_SECONDS = 3600


def _desk_region(region_id: int | None, field: str) -> None:
    if region_id is None or region_id <= 0 or db.session.get(Region, region_id) is None:
        raise Invalid(f"{field}_unknown", _("Khu vực không hợp lệ."))


def _exists_besides(query: Select[Any], model: Any, obj: Any) -> bool:
    """``query`` (of ids) finds a row other than ``obj`` (None: a new record): a duplicate."""
    if obj is not None:
        query = query.where(model.id != obj.id)
    return db.session.scalar(query) is not None


# -- routing rules ------------------------------------------------------------------------------------------------

def _rule_values(values: dict[str, Any], rule: RoutingRule | None = None) -> dict[str, Any]:
    values = {"province": values.get("province") or "", "channel": " ".join((values.get("channel") or "").split()),
              "region_id": values.get("region_id"), "priority": values.get("priority")}
    if not values["province"] and not values["channel"]:
        raise Invalid("rule_empty", _("Chọn tỉnh/thành hoặc nhập kênh bán."))
    _desk_region(values["region_id"], "region_id")
    if values["priority"] is None or not 0 <= values["priority"] <= 10_000:
        raise Invalid("rule_bad_priority", _("Thứ tự ưu tiên là số từ 0 đến 10000."))
    twin = select(RoutingRule.id).where(RoutingRule.province == values["province"],
                                        RoutingRule.channel == values["channel"])
    if _exists_besides(twin, RoutingRule, rule):
        raise Conflict("rule_duplicate", _("Đã có quy tắc cho đúng tỉnh/thành và kênh này: sửa quy tắc đó."))
    return values


def add_rule(values: dict[str, Any]) -> RoutingRule:
    """A new rule: dossiers of this province and/or channel go to this region's desk."""
    return editing.insert(RoutingRule(**_rule_values(values)), "call.routing_rule.create", RULE_FIELDS)


def update_rule(rule: RoutingRule, drawn_from: int | None, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Change a rule (refused if another admin changed it since the form was drawn)."""
    editing.check(rule, drawn_from)
    return editing.apply(rule, drawn_from, "call.routing_rule.update", _rule_values(values, rule))


def delete_rule(rule: RoutingRule, drawn_from: int | None) -> None:
    editing.remove(rule, drawn_from, "call.routing_rule.delete", RULE_FIELDS)


# -- a region's overflow and recording -----------------------------------------------------------------------------

def save_settings(region_id: int, drawn_from: int | None, values: dict[str, Any]) -> dict[str, list[Any]]:
    """A region's backup region, the delay before calls overflow to it, and whether calls are recorded."""
    _desk_region(region_id, "region_id")
    row = db.session.get(RegionCallSettings, region_id)
    editing.check(row or SettingsAbsent, drawn_from)
    values = {"backup_region_id": values.get("backup_region_id") or None,
              "overflow_after_seconds": values.get("overflow_after_seconds"),
              "recording": bool(values.get("recording"))}
    if values["backup_region_id"] is not None:
        _desk_region(values["backup_region_id"], "backup_region_id")
        if values["backup_region_id"] == region_id:
            raise Invalid("backup_region_id_same", _("Khu vực dự phòng phải khác khu vực chính."))
    seconds = values["overflow_after_seconds"]
    if seconds is None or not 0 <= seconds <= MAX_OVERFLOW_SECONDS:
        raise Invalid("overflow_after_seconds_range", _("Thời gian chờ từ 0 đến 3600 giây."))
    _row, changed = editing.put(row, drawn_from, "call.settings.update", values,
                                make=lambda: RegionCallSettings(region_id=region_id), before=SETTINGS_DEFAULTS)
    return changed


class SettingsAbsent:
    """What ``editing.check`` compares a form drawn before there were settings with: version 0."""

    version = 0


# -- business hours: a region's week at once ------------------------------------------------------------------------

@dataclass(frozen=True)
class Day:
    """One weekday of the week form: open from ``opens`` to ``closes``, or ``closed``; ``version`` as drawn."""

    weekday: int
    version: int | None
    closed: bool
    opens: time | None = None
    closes: time | None = None


class WeekRefused(Invalid):
    """Some days are inconsistent: ``days`` maps each weekday to why (nothing was saved)."""

    def __init__(self, days: dict[int, str]):
        super().__init__("hours_invalid", _("Giờ làm việc chưa được lưu: sửa các ngày báo lỗi."))
        self.days = days


def save_week(region_id: int, days: Sequence[Day]) -> int:
    """A region's hours for each weekday (no row: closed that day; no row at all: always open). The whole week is
    refused if any day was changed by someone else since the form was drawn, or if a day closes before it opens.
    Returns the number of days changed."""
    _desk_region(region_id, "region_id")
    rows = hours_of(region_id)
    for day in days:
        editing.check(rows.get(day.weekday) or SettingsAbsent, day.version)
    wrong = {day.weekday: _("Giờ đóng phải sau giờ mở.") for day in days if not day.closed
             and (day.opens is None or day.closes is None or day.opens >= day.closes)}
    if wrong:
        raise WeekRefused(wrong)
    changed = 0
    for day in days:
        row = rows.get(day.weekday)
        if day.closed:
            if row is not None:
                editing.remove(row, day.version, "call.hours.delete", ("weekday", "opens", "closes"))
                changed += 1
            continue
        _row, diff = editing.put(row, day.version, "call.hours.update", {"opens": day.opens, "closes": day.closes},
                                 make=partial(BusinessHours, region_id=region_id, weekday=day.weekday),
                                 before={"opens": None, "closes": None})
        changed += bool(diff)
    return changed


# -- holidays -----------------------------------------------------------------------------------------------------

def _holiday_values(values: dict[str, Any], holiday: Holiday | None = None) -> dict[str, Any]:
    region_id = values.get("region_id") or None
    if region_id is not None:
        _desk_region(region_id, "region_id")
    day: date | None = values.get("day")
    if day is None:
        raise Invalid("day_missing", _("Chọn ngày nghỉ."))
    twin = select(Holiday.id).where(Holiday.day == day, Holiday.region_id.is_(None) if region_id is None
                                    else Holiday.region_id == region_id)
    if _exists_besides(twin, Holiday, holiday):
        raise Conflict("day_duplicate", _("Ngày %(d)s đã là ngày nghỉ của khu vực này.", d=day.strftime("%d/%m/%Y")))
    return {"region_id": region_id, "day": day, "label": " ".join((values.get("label") or "").split())[:120]}


def add_holiday(values: dict[str, Any]) -> Holiday:
    return editing.insert(Holiday(**_holiday_values(values)), "call.holiday.create", HOLIDAY_FIELDS)


def update_holiday(holiday: Holiday, drawn_from: int | None, values: dict[str, Any]) -> dict[str, list[Any]]:
    editing.check(holiday, drawn_from)
    return editing.apply(holiday, drawn_from, "call.holiday.update", _holiday_values(values, holiday))


def delete_holiday(holiday: Holiday, drawn_from: int | None) -> None:
    editing.remove(holiday, drawn_from, "call.holiday.delete", HOLIDAY_FIELDS)
