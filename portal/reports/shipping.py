"""Shipping report (SHIP-1..23): how long orders stay in each tab of the board (from the status history: the move
that left a tab in the range, minus the move that entered it), refusals at the door with their reasons (delivering
→ cancelled), cash on delivery expected against collected per carrier and day (``portal.shipping.cod``, the COD
page's query) and the refunds made due in the range. Its facts: one per move that left a tab (the day of that move),
per refusal, per refund (the day it was made due), and the COD figures per carrier, cash-report day and filter
dimensions (the day: ``cod_date``)."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Connection, Integer, and_, cast, select
from sqlalchemy.orm import aliased

from portal.core.models import StatusChange
from portal.extensions import db
from portal.numbers.formatting import format_vnd
from portal.orders.models import Order, OrderStatus, PaymentMethod
from portal.payments.models import Refund, RefundStatus
from portal.reports.base import Chart, Figure, Page, Report, Table, minutes, register, share, stream
from portal.reports.cells import Cells, Fact, vietnam_day
from portal.reports.filters import Scope
from portal.shipping.cod import cod_by_carrier_day

ORDER = Order.__tablename__
TABS = (OrderStatus.PENDING, OrderStatus.WAITING_PICKUP, OrderStatus.DELIVERING)
REASON_CHARS = 100  # a refusal's reason is free text: its first characters name the figure


def _scoped(stmt: Any, scope: Scope, at: Any) -> Any:
    return scope.apply(stmt, at=at, region=Order.region_id, channel=Order.channel, sim=Order.sim_type)


def _order_dims(stmt: Any, scope: Scope) -> Any:
    """``stmt`` (rows of orders, filtered on a day of their own) limited to the scope's region, channel and SIM."""
    if scope.region_id is not None:
        stmt = stmt.where(Order.region_id == scope.region_id)
    if scope.channel is not None:
        stmt = stmt.where(Order.channel.like("partner:%") if scope.channel == "partner"
                          else Order.channel == scope.channel)
    if scope.sim_type is not None:
        stmt = stmt.where(Order.sim_type == scope.sim_type)
    return stmt


def _moves(scope: Scope, *columns: Any, change: Any = StatusChange) -> Any:
    """``columns`` of the orders' status_change rows (``change``) made in the scope, with the order's region,
    channel and SIM type (outer-joined: a move keeps its place in "all" without its order)."""
    stmt = (select(*columns, change.at, Order.region_id, Order.channel, Order.sim_type).select_from(change)
            .outerjoin(Order, Order.id == cast(change.object_id, Integer))
            .where(change.object_type == ORDER))
    return _scoped(stmt, scope, change.at)


def _move_facts(scope: Scope) -> Iterator[Fact]:
    """Per move that left a board tab in the scope (its day): the seconds since the move that entered it
    ("tab:<status>"); and when it left Đang giao hàng for Đã hủy (refused at the door, or undeliverable),
    "refusal:<reason>" (the reason's first REASON_CHARS characters)."""
    enter, leave = aliased(StatusChange), aliased(StatusChange)
    stmt = (_moves(scope, leave.from_status, leave.to_status, leave.reason, enter.at.label("entered"), change=leave)
            .outerjoin(enter, and_(enter.object_type == ORDER, enter.object_id == leave.object_id,
                                   enter.to_status == leave.from_status))
            .where(leave.from_status.in_([t.value for t in TABS])))
    for tab, to, reason, entered, left, region, channel, sim in db.session.execute(stmt):
        day, dims = vietnam_day(left), (region, channel, sim)
        if entered is not None:
            yield Fact(day, *dims, f"tab:{tab}", (left - entered).total_seconds())
        if tab == OrderStatus.DELIVERING.value and to == OrderStatus.CANCELLED.value:
            yield Fact(day, *dims, f"refusal:{(reason or '')[:REASON_CHARS]}")


def _cod_key(carrier: str | None, day: date, figure: str) -> str:
    return f"cod:{carrier or ''}|{day.isoformat()}:{figure}"


def _cod_facts(scope: Scope) -> Iterator[Fact]:
    """COD per carrier and cash-report day (``cod_date``), from the COD page's query grouped by the filters'
    dimensions too: "cod:<carrier>|<day>:orders" (n), ":expected" and ":collected" (amounts), ":mismatches" (n)."""
    stmt = (cod_by_carrier_day(scope.date_from, scope.date_to)
            .add_columns(Order.region_id, Order.channel, Order.sim_type)
            .group_by(Order.region_id, Order.channel, Order.sim_type).order_by(None))
    for carrier, day, n, expected, collected, mismatches, region, channel, sim in db.session.execute(
            _order_dims(stmt, scope)):
        dims = (day, region, channel, sim)
        yield Fact(*dims, _cod_key(carrier, day, "orders"), n=n)
        yield Fact(*dims, _cod_key(carrier, day, "expected"), float(expected or 0), n=n)
        yield Fact(*dims, _cod_key(carrier, day, "collected"), float(collected or 0), n=n)
        if mismatches:
            yield Fact(*dims, _cod_key(carrier, day, "mismatches"), n=int(mismatches))


def _refund_facts(scope: Scope) -> Iterator[Fact]:
    """Per refund made due in the scope (its day: ``refund.created_at``): "refund:<status>" with its amount."""
    stmt = (select(Refund.status, Refund.amount, Refund.created_at, Refund.region_id, Order.channel, Order.sim_type)
            .join(Order, Order.id == Refund.order_id))
    stmt = scope.apply(stmt, at=Refund.created_at, region=Refund.region_id, channel=Order.channel, sim=Order.sim_type)
    for status, amount, at, region, channel, sim in db.session.execute(stmt):
        yield Fact(vietnam_day(at), region, channel, sim, f"refund:{RefundStatus(status).value}", float(amount or 0))


def facts(scope: Scope) -> Iterator[Fact]:
    yield from _move_facts(scope)
    yield from _cod_facts(scope)
    yield from _refund_facts(scope)


def tab_times(cells: Cells) -> dict[OrderStatus, tuple[int, float | None, float | None]]:
    """Per board tab: (orders that left it in the range, mean and longest seconds spent in it)."""
    return {tab: (cells.n(f"tab:{tab.value}"), cells.mean(f"tab:{tab.value}"), cells.top(f"tab:{tab.value}"))
            for tab in TABS}


def refusals(cells: Cells) -> list[tuple[str, int]]:
    """Refused at the door (or undeliverable) and returned in the range, by the reason recorded with the move."""
    return sorted(((reason or "—", n) for reason, (n, _t, _top) in cells.under("refusal:").items()),
                  key=lambda r: (-r[1], r[0]))


def cod_rows(cells: Cells) -> list[tuple[str, date, int, int, int, int]]:
    """COD per carrier and day of the cash report: (carrier, day, orders, expected, collected, mismatches), newest
    day first."""
    out = []
    for where in {key.rpartition(":")[0] for key in cells.under("cod:")}:
        carrier, _bar, day = where.rpartition("|")
        out.append((carrier, date.fromisoformat(day), cells.n(f"cod:{where}:orders"),
                    round(cells.total(f"cod:{where}:expected")), round(cells.total(f"cod:{where}:collected")),
                    cells.n(f"cod:{where}:mismatches")))
    return sorted(out, key=lambda r: (-r[1].toordinal(), r[0]))


def refunds(cells: Cells) -> list[tuple[RefundStatus, int, int]]:
    """Refunds made due in the range: (status, how many, amount)."""
    found = cells.under("refund:")
    return [(status, found[status.value][0], round(found[status.value][1])) for status in RefundStatus
            if status.value in found]


def build(scope: Scope, cells: Cells) -> Page:
    times = tab_times(cells)
    refused = refusals(cells)
    refused_total = sum(n for _r, n in refused)
    left_delivering = times[OrderStatus.DELIVERING][0]
    cod = cod_rows(cells)
    expected, collected = sum(r[3] for r in cod), sum(r[4] for r in cod)
    mismatches = sum(r[5] for r in cod)
    paid_back = refunds(cells)
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
                         build, HEADERS, rows, facts, order=50))
