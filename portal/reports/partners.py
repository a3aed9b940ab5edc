"""Channels report: per channel (website, app, each partner), the number searches run (``search_count``, counted
per Vietnam day — searches belong to no region and no SIM type, so a view of one region or one SIM type shows holds
and conversions only), the holds placed in the range, how many were paid (converted) and their value. Its facts:
per channel and day, its searches; per hold placed (that day), the hold and, when paid, its amount."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Connection, select

from portal.core.digits import is_ascii_digits
from portal.extensions import db
from portal.holds.models import HoldTicket
from portal.numbers.formatting import format_vnd
from portal.numbers.models import SearchCount
from portal.partners.models import Partner
from portal.reports.base import Chart, Figure, Page, Report, Table, register, share, stream
from portal.reports.cells import Cells, Fact, vietnam_day
from portal.reports.filters import Scope


def _channel_filter(stmt: Any, column: Any, scope: Scope) -> Any:
    if scope.channel is None:
        return stmt
    return stmt.where(column.like("partner:%") if scope.channel == "partner" else column == scope.channel)


def searches_shown(scope: Scope) -> bool:
    """Searches belong to no region and no SIM type: counted only in a view of all regions and SIM types."""
    return scope.region_id is None and scope.sim_type is None


def facts(scope: Scope) -> Iterator[Fact]:
    """Per channel as stored ("partner:<id>" kept in the key): "channel:<c>:searches" (``search_count``'s n of the
    day; no region, no SIM type), and per hold placed in the scope (its day: ``created_at``) "channel:<c>:holds",
    and "channel:<c>:paid" with its amount when paid."""
    if searches_shown(scope):
        stmt = (select(SearchCount.day, SearchCount.channel, SearchCount.n)
                .where(SearchCount.day >= scope.date_from, SearchCount.day <= scope.date_to))
        for day, channel, n in db.session.execute(_channel_filter(stmt, SearchCount.channel, scope)):
            yield Fact(day, None, channel, None, f"channel:{channel}:searches", n=int(n or 0))
    stmt = select(HoldTicket.created_at, HoldTicket.region_id, HoldTicket.channel, HoldTicket.sim_type,
                  HoldTicket.paid_at, HoldTicket.amount)
    stmt = scope.apply(stmt, at=HoldTicket.created_at, region=HoldTicket.region_id, channel=HoldTicket.channel,
                       sim=HoldTicket.sim_type)
    for created, region, channel, sim, paid_at, amount in db.session.execute(stmt):
        day, dims = vietnam_day(created), (region, channel, sim)
        yield Fact(day, *dims, f"channel:{channel}:holds")
        if paid_at is not None:
            yield Fact(day, *dims, f"channel:{channel}:paid", float(amount or 0))


def _per_channel(cells: Cells, figure: str) -> dict[str, int]:
    """How many of ``figure`` ("searches", "holds") each channel counted."""
    out = {}
    for key, (n, _total, _top) in cells.under("channel:").items():
        channel, _sep, name = key.rpartition(":")
        if name == figure:
            out[channel] = n
    return out


def searches(scope: Scope, cells: Cells) -> dict[str, int] | None:
    """Searches per channel over the range's days; None unless all regions and SIM types are shown."""
    return _per_channel(cells, "searches") if searches_shown(scope) else None


def holds(cells: Cells) -> dict[str, tuple[int, int, int]]:
    """Per channel: (holds placed in the range, holds paid, value paid)."""
    return {channel: (n, cells.n(f"channel:{channel}:paid"), round(cells.total(f"channel:{channel}:paid")))
            for channel, n in _per_channel(cells, "holds").items()}


def partner_id(channel: str) -> int | None:
    """The partner of a "partner:<id>" channel; None for another channel (or a malformed id)."""
    prefix, _sep, ident = channel.partition(":")
    return int(ident) if prefix == "partner" and is_ascii_digits(ident) else None


def channel_label(channel: str, partners: dict[int, str]) -> str:
    if channel.startswith("partner:"):
        ident = partner_id(channel)
        name = partners.get(ident) if ident is not None else None
        return str(_l("Đối tác %(name)s", name=name or channel.split(":", 1)[1]))
    return str({"web": _l("Website"), "app": _l("Ứng dụng"), "backoffice": _l("Nhân viên tạo hộ")}.get(channel,
                                                                                                       channel))


def build(scope: Scope, cells: Cells) -> Page:
    counted = searches(scope, cells)
    held = holds(cells)
    channels = sorted(set(held) | set(counted or {}), key=lambda c: (c.startswith("partner:"), c))
    ids = [ident for ident in map(partner_id, channels) if ident is not None]
    partners = dict(db.session.execute(select(Partner.id, Partner.name).where(Partner.id.in_(ids))).all())
    total_searches = sum((counted or {}).values())
    total_holds, total_paid = sum(h[0] for h in held.values()), sum(h[1] for h in held.values())
    rows = []
    for channel in channels:
        n, p, v = held.get(channel, (0, 0, 0))
        s = counted.get(channel, 0) if counted is not None else None
        rows.append((channel_label(channel, partners), "—" if s is None else s, n, p, share(p, n), format_vnd(v)))
    figures = [Figure(_l("Lượt giữ số"), total_holds), Figure(_l("Giữ số đã thanh toán"), total_paid,
                                                              share(total_paid, total_holds))]
    if counted is not None:
        figures.insert(0, Figure(_l("Lượt tìm số"), total_searches))
    return Page(
        figures=figures,
        chart=Chart("bar", [r[0] for r in rows],
                    [(_l("Giữ số"), [r[2] for r in rows]), (_l("Đã thanh toán"), [r[3] for r in rows])],
                    y_title=_l("Số lượt")),
        tables=(Table(_l("Theo kênh"), (_l("Kênh"), _l("Tìm số"), _l("Giữ số"), _l("Đã thanh toán"),
                                        _l("Chuyển đổi"), _l("Giá trị")),
                      rows),),
        notes=(_l("Lượt tìm số được đếm theo ngày và kênh, không theo khu vực hay loại SIM: chỉ hiện khi xem tất cả "
                  "khu vực và mọi loại SIM."),
               _l("Chuyển đổi: lượt giữ số tạo trong khoảng ngày đã được thanh toán."),),
    )


HEADERS: Sequence[Any] = (_l("Mã giữ số"), _l("Tạo lúc (giờ Việt Nam)"), _l("Kênh"), _l("Khu vực"), _l("Loại SIM"),
                          _l("Trạng thái"), _l("Giá số"), _l("Thanh toán lúc"))


def rows(scope: Scope, conn: Connection) -> Iterator[Sequence[Any]]:
    """One row per hold placed in the range."""
    stmt = select(HoldTicket.hold_code, HoldTicket.created_at, HoldTicket.channel, HoldTicket.region_id,
                  HoldTicket.sim_type, HoldTicket.status, HoldTicket.amount, HoldTicket.paid_at)
    stmt = scope.apply(stmt, at=HoldTicket.created_at, region=HoldTicket.region_id, channel=HoldTicket.channel,
                       sim=HoldTicket.sim_type).order_by(HoldTicket.created_at, HoldTicket.id)
    for code, created, channel, region, sim, status, amount, paid_at in stream(stmt, conn):
        yield code, created, channel, region, sim.value, status.value, amount, paid_at


REPORT = register(Report("partners", _l("Kênh bán: tìm số, giữ số và chuyển đổi"),
                         _l("Theo từng kênh (website, ứng dụng, từng đối tác): lượt tìm số, lượt giữ số và số lượt "
                            "đã thanh toán."),
                         build, HEADERS, rows, facts, order=70))
