"""Shipping report (SHIP-1..23): how long orders stay in each tab of the board (from the status history: the move
that left a tab in the range, minus the move that entered it), refusals at the door with their reasons (delivering
→ cancelled), cash on delivery expected against collected per carrier and day (``portal.shipping.cod``, the COD
page's query) and the refunds made due in the range."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Connection, Integer, and_, cast, func, select
from sqlalchemy.orm import aliased

from portal.core.models import StatusChange
from portal.extensions import db
from portal.numbers.formatting import format_vnd
from portal.orders.models import Order, OrderStatus, PaymentMethod
from portal.payments.models import Refund
from portal.reports.base import Chart, Figure, Page, Report, Table, minutes, register, seconds_between, share, stream
from portal.reports.filters import Scope
from portal.shipping.cod import cod_by_carrier_day

ORDER = Order.__tablename__
TABS = (OrderStatus.PENDING, OrderStatus.WAITING_PICKUP, OrderStatus.DELIVERING)


def _scoped(stmt: Any, scope: Scope, at: Any) -> Any:
    return scope.apply(stmt, at=at, region=Order.region_id, channel=Order.channel, sim=Order.sim_type)


def _history_scoped(stmt: Any, scope: Scope, change: Any) -> Any:
    """History rows of orders in the scope: the order is joined only when a filter needs its columns."""
    if scope.region_id is None and scope.channel is None and scope.sim_type is None:
        return stmt.where(change.at >= scope.start, change.at < scope.end)
    return _scoped(stmt.join(Order, Order.id == cast(change.object_id, Integer)), scope, change.at)


def tab_times(scope: Scope) -> dict[OrderStatus, tuple[int, float | None, float | None]]:
    """Per board tab: (orders that left it in the range, mean and longest seconds spent in it)."""
    enter, leave = aliased(StatusChange), aliased(StatusChange)
    spent = seconds_between(enter.at, leave.at)
    stmt = (select(leave.from_status, func.count(), func.avg(spent), func.max(spent)).select_from(leave)
            .join(enter, and_(enter.object_type == ORDER, enter.object_id == leave.object_id,
                              enter.to_status == leave.from_status))
            .where(leave.object_type == ORDER, leave.from_status.in_([t.value for t in TABS])))
    found = {OrderStatus(s): (n, avg, top) for s, n, avg, top in
             db.session.execute(_history_scoped(stmt, scope, leave).group_by(leave.from_status))}
    return {tab: found.get(tab, (0, None, None)) for tab in TABS}


def refusals(scope: Scope) -> list[tuple[str, int]]:
    """Refused at the door (or undeliverable) and returned in the range, by the reason recorded with the move."""
    stmt = (select(StatusChange.reason, func.count()).select_from(StatusChange)
            .where(StatusChange.object_type == ORDER, StatusChange.from_status == OrderStatus.DELIVERING.value,
                   StatusChange.to_status == OrderStatus.CANCELLED.value))
    stmt = _history_scoped(stmt, scope, StatusChange).group_by(StatusChange.reason)
    return sorted(((reason or "—", n) for reason, n in db.session.execute(stmt)), key=lambda r: (-r[1], r[0]))


def cod_rows(scope: Scope) -> list[Any]:
    """COD per carrier and day of the cash report (Vietnam days of the range)."""
    stmt = cod_by_carrier_day(scope.date_from, scope.date_to)
    if scope.region_id is not None:
        stmt = stmt.where(Order.region_id == scope.region_id)
    if scope.channel is not None:
        stmt = stmt.where(Order.channel.like("partner:%") if scope.channel == "partner"
                          else Order.channel == scope.channel)
    if scope.sim_type is not None:
        stmt = stmt.where(Order.sim_type == scope.sim_type)
    return list(db.session.execute(stmt))


def refunds(scope: Scope) -> list[tuple[Any, int, int]]:
    """Refunds made due in the range: (status, how many, amount)."""
    stmt = (select(Refund.status, func.count(), func.sum(Refund.amount)).select_from(Refund)
            .join(Order, Order.id == Refund.order_id))
    stmt = scope.apply(stmt, at=Refund.created_at, region=Refund.region_id, channel=Order.channel, sim=Order.sim_type)
    return [(status, n, int(amount or 0)) for status, n, amount in db.session.execute(stmt.group_by(Refund.status))]


def build(scope: Scope) -> Page:
    times = tab_times(scope)
    refused = refusals(scope)
    refused_total = sum(n for _r, n in refused)
    left_delivering = times[OrderStatus.DELIVERING][0]
    cod = cod_rows(scope)
    expected, collected = sum(int(r[3] or 0) for r in cod), sum(int(r[4] or 0) for r in cod)
    mismatches = sum(int(r[5] or 0) for r in cod)
    paid_back = refunds(scope)
    figures = [Figure(_l("Ở tab “%(tab)s”", tab=tab.label), minutes(avg),
                      _l("trung bình; %(n)s đơn rời tab", n=n)) for tab, (n, avg, _top) in times.items()]
    figures += [Figure(_l("Từ chối nhận hàng"), refused_total, share(refused_total, left_delivering)),
                Figure(_l("Tiền COD phải thu"), format_vnd(expected)),
                Figure(_l("Tiền COD đã thu"), format_vnd(collected),
                       _l("Chênh lệch %(d)s", d=format_vnd(collected - expected))),
                Figure(_l("Đơn lệch tiền"), mismatches),
                Figure(_l("Hoàn tiền"), sum(n for _s, n, _a in paid_back),
                       format_vnd(sum(a for _s, _n, a in paid_back)))]
    return Page(
        figures=figures,
        chart=Chart("bar", [tab.label for tab in TABS],
                    [(_l("Trung bình (giờ)"), [round(avg / 3600, 2) if avg is not None else None
                                                for _n, avg, _top in times.values()]),
                     (_l("Lâu nhất (giờ)"), [round(top / 3600, 2) if top is not None else None
                                             for _n, _avg, top in times.values()])],
                    y_title=_l("Giờ")),
        tables=(Table(_l("Thời gian ở mỗi tab"), (_l("Tab"), _l("Số đơn rời tab"), _l("Trung bình"), _l("Lâu nhất")),
                      [(tab.label, n, minutes(avg), minutes(top)) for tab, (n, avg, top) in times.items()]),
                Table(_l("Từ chối nhận hàng theo lý do"), (_l("Lý do"), _l("Số đơn")), refused),
                Table(_l("Đối soát tiền COD theo hãng vận chuyển và ngày"),
                      (_l("Hãng"), _l("Ngày"), _l("Số đơn"), _l("Phải thu"), _l("Đã thu"), _l("Chênh lệch"),
                       _l("Đơn lệch tiền")),
                      [(carrier or "—", day.strftime("%d/%m/%Y") if day else "—", n, format_vnd(int(e or 0)),
                        format_vnd(int(c or 0)), format_vnd(int(c or 0) - int(e or 0)), int(m or 0))
                       for carrier, day, n, e, c, m in cod], numeric_from=1),
                Table(_l("Hoàn tiền theo trạng thái"), (_l("Trạng thái"), _l("Số lượt"), _l("Số tiền")),
                      [(status.label, n, format_vnd(amount)) for status, n, amount in paid_back])),
        notes=(_l("Thời gian ở tab: tính cho các đơn rời tab trong khoảng ngày, từ lúc vào tab đến lúc rời tab."),
               _l("Tiền COD: theo ngày hãng vận chuyển hoặc cửa hàng báo đã thu (giờ Việt Nam)."),),
    )


HEADERS: Sequence[Any] = (_l("Mã đơn"), _l("Khu vực"), _l("Kênh"), _l("Loại SIM"), _l("Hình thức nhận"),
                          _l("Thanh toán"), _l("Trạng thái"), _l("Hãng vận chuyển"), _l("Tạo lúc (giờ Việt Nam)"),
                          _l("Giao cho hãng lúc"), _l("Đã giao lúc"), _l("Hủy lúc"), _l("Lý do hủy / từ chối"),
                          _l("Tổng tiền"), _l("Tiền COD phải thu"), _l("Tiền đã thu"), _l("Lệch tiền"))


def rows(scope: Scope, conn: Connection) -> Iterator[Sequence[Any]]:
    """One row per order created in the range (the board's orders and eSIMs)."""
    stmt = select(Order.order_no, Order.region_id, Order.channel, Order.sim_type, Order.receive_method,
                  Order.payment_method, Order.status, Order.carrier, Order.created_at, Order.handed_over_at,
                  Order.delivered_at, Order.cancelled_at, Order.cancel_reason, Order.total, Order.cash_collected,
                  Order.cash_mismatch)
    stmt = _scoped(stmt, scope, Order.created_at).order_by(Order.created_at, Order.id)
    for (no, region, channel, sim, receive, payment, status, carrier, created, handed, delivered, cancelled, reason,
         total, cash, mismatch) in stream(stmt, conn):
        yield (no, region, channel, sim.value, receive.value, payment.value, status.value, carrier, created, handed,
               delivered, cancelled, reason, total, total if payment == PaymentMethod.COD else 0, cash,
               1 if mismatch else 0)


REPORT = register(Report("shipping", _l("Giao vận: thời gian theo tab, từ chối nhận, đối soát COD, hoàn tiền"),
                         _l("Thời gian đơn nằm ở mỗi tab của bảng giao vận, từ chối nhận hàng theo lý do, tiền COD "
                            "phải thu và đã thu theo hãng và ngày, hoàn tiền."),
                         build, HEADERS, rows, order=50))
