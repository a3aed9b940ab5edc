"""The reports' own tables: pre-aggregated figures per Vietnam day (``report_cell``) and which days of which report
are built, and when (``report_day``). Written only by portal.reports.cells; docs/reports.md, "Cells"."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import Model


class ReportCell(Model):
    """The figures of one report for one Vietnam day (or month: ``grain`` "m", ``day`` its first) and one combination
    of the filters: ``region_id`` -1 all regions, -2 none; ``channel`` and ``sim_type`` "*" all, "" none.
    ``figures`` is a JSON object: key ("step:paid", "wait#37" for a bucket of a distribution) → [how many, the sum
    of their values, the largest value]."""

    __tablename__ = "report_cell"
    __table_args__ = {"sqlite_with_rowid": False}  # clustered on the key: a page reads one contiguous range

    report: Mapped[str] = mapped_column(String(32), primary_key=True)
    region_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    sim_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)  # "d": the day's figures; "m": the month's
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    figures: Mapped[str] = mapped_column(Text)


class ReportDay(Model):
    """A day of a report whose cells are built, and when they were (the page says how fresh they are)."""

    __tablename__ = "report_day"

    report: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    built_at: Mapped[datetime] = mapped_column(DateTime)
