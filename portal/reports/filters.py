"""The filters every report takes: a date range in Vietnam time (default: the last 30 days, at most 366 days),
a region (regional staff: their own only; head office: any or all), a channel and a SIM type."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Select, select
from wtforms import DateField, SelectField
from wtforms.validators import Optional, ValidationError

from portal.core.forms import QueryForm
from portal.core.time import vietnam_to_utc, vietnam_today
from portal.extensions import db
from portal.holds.models import SimType
from portal.org.models import Region

DEFAULT_DAYS = 30
MAX_DAYS = 366
CHANNELS = (("web", _l("Website")), ("app", _l("Ứng dụng")), ("partner", _l("Kênh đối tác")),
            ("backoffice", _l("Nhân viên tạo hộ")))  # hold_ticket.channel: "web", "app", "partner:<id>", "backoffice"


def _region_choices() -> list[tuple[str, Any]]:
    if current_user.is_head_office:
        regions = db.session.scalars(select(Region).order_by(Region.id)).all()
        return [("", _l("Tất cả khu vực"))] + [(str(r.id), r.name) for r in regions]
    return [(str(current_user.region_id), current_user.region.name)]


class ReportFilterForm(QueryForm):
    date_from = DateField(_l("Từ ngày"), validators=[Optional()])
    date_to = DateField(_l("Đến ngày"), validators=[Optional()])
    region = SelectField(_l("Khu vực"), validators=[Optional()])
    channel = SelectField(_l("Kênh"), choices=[("", _l("Tất cả kênh")), *CHANNELS], validators=[Optional()])
    sim = SelectField(_l("Loại SIM"), choices=[("", _l("Tất cả loại SIM"))] + [(s.value, s.label) for s in SimType],
                      validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.region.choices = _region_choices()
        today = vietnam_today()
        if self.date_to.data is None and not self.date_to.raw_data:
            self.date_to.data = today
        if self.date_from.data is None and not self.date_from.raw_data:
            self.date_from.data = (self.date_to.data or today) - timedelta(days=DEFAULT_DAYS - 1)

    def validate_date_to(self, field: DateField) -> None:
        start, end = self.date_from.data, field.data
        if start is None or end is None:
            return
        if end < start:
            raise ValidationError(_l("Ngày kết thúc phải bằng hoặc sau ngày bắt đầu."))
        if (end - start).days + 1 > MAX_DAYS:
            raise ValidationError(_l("Khoảng ngày dài nhất là %(n)d ngày; chọn khoảng ngắn hơn.", n=MAX_DAYS))

    def scope(self) -> Scope:
        """The validated filters as a Scope (call after ``validate()``)."""
        region = int(self.region.data) if self.region.data else None
        if not current_user.is_head_office:
            region = current_user.region_id
        return Scope(self.date_from.data, self.date_to.data, region, self.channel.data or None, self.sim.data or None)


@dataclass(frozen=True)
class Scope:
    """What a report covers: Vietnam days ``date_from``..``date_to`` (both included), a region (None: all),
    a channel ("web", "app", "partner") and a SIM type (None: any)."""

    date_from: date
    date_to: date
    region_id: int | None = None
    channel: str | None = None
    sim_type: str | None = None

    @property
    def start(self) -> datetime:
        """Naive UTC of the first day's Vietnam midnight."""
        return vietnam_to_utc(datetime.combine(self.date_from, time()))

    @property
    def end(self) -> datetime:
        """Naive UTC of the Vietnam midnight after the last day (excluded)."""
        return vietnam_to_utc(datetime.combine(self.date_to + timedelta(days=1), time()))

    def args(self) -> dict[str, str]:
        """Query arguments that rebuild this scope (export links)."""
        values = {"date_from": self.date_from.isoformat(), "date_to": self.date_to.isoformat(),
                  "region": "" if self.region_id is None else str(self.region_id), "channel": self.channel or "",
                  "sim": self.sim_type or ""}
        return {k: v for k, v in values.items() if v}

    def apply(self, stmt: Select, *, at: Any, region: Any, channel: Any = None, sim: Any = None) -> Select:
        """Limit ``stmt`` to this scope: ``at`` within the days, ``region``/``channel``/``sim`` columns filtered."""
        stmt = stmt.where(at >= self.start, at < self.end)
        if self.region_id is not None:
            stmt = stmt.where(region == self.region_id)
        if self.channel is not None and channel is not None:
            stmt = stmt.where(channel.like("partner:%") if self.channel == "partner" else channel == self.channel)
        if self.sim_type is not None and sim is not None:
            stmt = stmt.where(sim == self.sim_type)
        return stmt
