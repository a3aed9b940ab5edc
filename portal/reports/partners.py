"""Channels report: per channel (website, app, each partner), the number searches run (``search_count``, counted
per Vietnam day — searches belong to no region, so a region's view shows holds and conversions only), the holds
placed in the range, how many were paid (converted) and their value."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Connection, case, func, select

from portal.core.digits import is_ascii_digits
from portal.extensions import db
from portal.holds.models import HoldTicket
from portal.numbers.formatting import format_vnd
from portal.numbers.models import SearchCount
from portal.partners.models import Partner
from portal.reports.base import Chart, Figure, Page, Report, Table, register, share, stream
from portal.reports.filters import Scope


def _channel_filter(stmt: Any, column: Any, scope: Scope) -> Any:
    if scope.channel is None:
        return stmt
    return stmt.where(column.like("partner:%") if scope.channel == "partner" else column == scope.channel)


def searches(scope: Scope) -> dict[str, int] | None:
    """Searches per channel over the range's days; None for one region (searches have none)."""
    if scope.region_id is not None:
        return None
    stmt = (select(SearchCount.channel, func.sum(SearchCount.n))
            .where(SearchCount.day >= scope.date_from, SearchCount.day <= scope.date_to))
    stmt = _channel_filter(stmt, SearchCount.channel, scope).group_by(SearchCount.channel)
    return {channel: int(n or 0) for channel, n in db.session.execute(stmt)}


def holds(scope: Scope) -> dict[str, tuple[int, int, int]]:
    """Per channel: (holds placed in the range, holds paid, value paid)."""
    paid = HoldTicket.paid_at.is_not(None)
    stmt = select(HoldTicket.channel, func.count(), func.sum(case((paid, 1), else_=0)),
                  func.sum(case((paid, HoldTicket.amount), else_=0))).select_from(HoldTicket)
    stmt = scope.apply(stmt, at=HoldTicket.created_at, region=HoldTicket.region_id, channel=HoldTicket.channel,
                       sim=HoldTicket.sim_type)
    return {channel: (n, int(p or 0), int(v or 0))
            for channel, n, p, v in db.session.execute(stmt.group_by(HoldTicket.channel))}


def channel_label(channel: str, partners: dict[int, str]) -> str:
    if channel.startswith("partner:"):
        ident = channel.split(":", 1)[1]
        name = partners.get(int(ident)) if is_ascii_digits(ident) else None
        return str(_l("Đối tác %(name)s", name=name or ident))
    return str({"web": _l("Website"), "app": _l("Ứng dụng"), "backoffice": _l("Nhân viên tạo hộ")}.get(channel,
                                                                                                       channel))


def build(scope: Scope) -> Page:
    counted = searches(scope)
    held = holds(scope)
    partners = dict(db.session.execute(select(Partner.id, Partner.name)).all())
    channels = sorted(set(held) | set(counted or {}), key=lambda c: (c.startswith("partner:"), c))
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
        notes=(_l("Lượt tìm số được đếm theo ngày và kênh, không theo khu vực: chỉ hiện khi xem tất cả khu vực."),
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
                         build, HEADERS, rows, order=70))
