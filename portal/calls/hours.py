"""Business hours per region (weekday → opens/closes, Vietnam time), holidays, and the callback slots offered while
the desk is closed. A region without hours is always open (a LAN pilot needs no set-up). The answers come from the
process's copy of the tables (``portal.calls.reference``); ``hours_of`` reads the rows (the admin screen)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.calls import reference
from portal.calls.models import BusinessHours
from portal.core.time import VIETNAM, utcnow, vietnam_to_utc
from portal.extensions import db

SLOT_MINUTES = 30
SLOT_DAYS = 3
WEEKDAYS = (_l("Thứ Hai"), _l("Thứ Ba"), _l("Thứ Tư"), _l("Thứ Năm"), _l("Thứ Sáu"), _l("Thứ Bảy"), _l("Chủ nhật"))


def _local(now: datetime | None = None) -> datetime:
    """Naive Vietnam wall-clock time of a naive UTC instant."""
    return (now or utcnow()).replace(tzinfo=UTC).astimezone(VIETNAM).replace(tzinfo=None)


def weekday_label(n: int) -> str:
    return str(WEEKDAYS[n])


def hours_of(region_id: int) -> dict[int, BusinessHours]:
    """The region's rows, weekday → row (the admin screen edits them with their versions)."""
    rows = db.session.scalars(select(BusinessHours).where(BusinessHours.region_id == region_id)).all()
    return {row.weekday: row for row in rows}


def week(region_id: int) -> dict[int, reference.Hours]:
    """The region's hours, weekday → opens/closes, as committed (the process's copy)."""
    return reference.current().week(region_id)


def is_holiday(region_id: int, day: date) -> bool:
    return reference.current().is_holiday(region_id, day)


def is_open(region_id: int, now: datetime | None = None) -> bool:
    """Whether the region's desk answers at ``now`` (naive UTC)."""
    hours = week(region_id)
    if not hours:
        return True
    local = _local(now)
    today = hours.get(local.weekday())
    if today is None or is_holiday(region_id, local.date()):
        return False
    return today.opens <= local.time() < today.closes


def hours_text(region_id: int) -> str:
    """The hours as the customer reads them: "Thứ Hai 08:00–21:00; …"."""
    hours = week(region_id)
    if not hours:
        return _("Cả ngày, mọi ngày")
    parts = [f"{weekday_label(d)} {h.opens:%H:%M}–{h.closes:%H:%M}" for d, h in sorted(hours.items())]
    return "; ".join(parts)


@dataclass(frozen=True)
class Slot:
    start: datetime  # UTC
    local: datetime

    @property
    def value(self) -> str:
        return self.local.strftime("%Y-%m-%dT%H:%M")

    @property
    def label(self) -> str:
        return f"{weekday_label(self.local.weekday())} {self.local:%d/%m %H:%M}"


def callback_slots(region_id: int, now: datetime | None = None) -> list[Slot]:
    """The open half-hours of the next days (Vietnam time), from the next full slot."""
    hours = week(region_id)
    local = _local(now)
    start = local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    slots = []
    for day_offset in range(SLOT_DAYS + 1):
        day = (local + timedelta(days=day_offset)).date()
        if is_holiday(region_id, day):
            continue
        row = hours.get(day.weekday())
        if hours and row is None:
            continue  # closed that weekday
        opens, closes = (row.opens, row.closes) if row else (datetime.min.time(), datetime.max.time())
        t = datetime.combine(day, opens)
        while t.time() < closes and t.date() == day:
            if t >= start:
                slots.append(Slot(vietnam_to_utc(t), t))
            t += timedelta(minutes=SLOT_MINUTES)
    return slots[:48]


def slot_from_value(region_id: int, value: str) -> Slot | None:
    return next((s for s in callback_slots(region_id) if s.value == value), None)
