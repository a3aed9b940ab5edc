"""Promotions report: the uptake of each offer among the orders created in the range — orders that carry it, how
many of them were paid, their share of all paid orders, and the value paid (the orders' totals). The offer is the
code the order kept (``Order.offer_code``), named from the catalogue when it is still there. Its facts: per order
created (that day), "offer:<code>:orders" and, when paid, "offer:<code>:paid" with the order's total."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Connection, select

from portal.extensions import db
from portal.numbers.formatting import format_vnd
from portal.orders.models import Order
from portal.promotions.models import Offer
from portal.reports.base import Chart, Figure, Page, Report, Table, register, share, stream
from portal.reports.cells import Cells, Fact, vietnam_day
from portal.reports.filters import Scope


def _scoped(stmt: Any, scope: Scope) -> Any:
    return scope.apply(stmt, at=Order.created_at, region=Order.region_id, channel=Order.channel, sim=Order.sim_type)


def facts(scope: Scope) -> Iterator[Fact]:
    """Per order created in the scope (its day: ``created_at``): "offer:<code>:orders", and "offer:<code>:paid" with
    its total when paid (code "": no offer)."""
    stmt = _scoped(select(Order.created_at, Order.region_id, Order.channel, Order.sim_type, Order.offer_code,
                          Order.paid_at, Order.total), scope)
    for created, region, channel, sim, code, paid_at, total in db.session.execute(stmt):
        day, dims = vietnam_day(created), (region, channel, sim)
        yield Fact(day, *dims, f"offer:{code}:orders")
        if paid_at is not None:
            yield Fact(day, *dims, f"offer:{code}:paid", float(total or 0))


def uptake(cells: Cells) -> list[tuple[str, int, int, int]]:
    """Per offer code ("" = no offer): (orders, paid orders, value paid), most orders first."""
    codes = {key.rpartition(":")[0] for key in cells.under("offer:")}
    rows = [(code, cells.n(f"offer:{code}:orders"), cells.n(f"offer:{code}:paid"),
             round(cells.total(f"offer:{code}:paid"))) for code in codes]
    return sorted(rows, key=lambda r: (r[0] == "", -r[1], r[0]))


def build(scope: Scope, cells: Cells) -> Page:
    rows = uptake(cells)
    codes = [code for code, *_rest in rows if code]
    names = dict(db.session.execute(select(Offer.code, Offer.name).where(Offer.code.in_(codes))).all())
    orders = sum(r[1] for r in rows)
    paid = sum(r[2] for r in rows)
    with_offer = [r for r in rows if r[0]]
    offer_orders, offer_paid = sum(r[1] for r in with_offer), sum(r[2] for r in with_offer)
    label = {"": str(_l("(không có ưu đãi)"))}
    return Page(
        figures=(Figure(_l("Đơn hàng"), orders), Figure(_l("Đơn có ưu đãi"), offer_orders, share(offer_orders, orders)),
                 Figure(_l("Đơn đã thanh toán"), paid),
                 Figure(_l("Đơn đã thanh toán có ưu đãi"), offer_paid, share(offer_paid, paid)),
                 Figure(_l("Giá trị đơn có ưu đãi đã thanh toán"), format_vnd(sum(r[3] for r in with_offer)))),
        chart=Chart("bar", [r[0] for r in with_offer],
                    [(_l("Đơn hàng"), [r[1] for r in with_offer]), (_l("Đã thanh toán"), [r[2] for r in with_offer])],
                    y_title=_l("Số đơn")),
        tables=(Table(_l("Mức sử dụng từng ưu đãi"),
                      (_l("Ưu đãi"), _l("Đơn"), _l("Đã thanh toán"), _l("Tỷ lệ"), _l("Tỷ trọng"), _l("Giá trị")),
                      [(code or label[code], n, p, share(p, n), share(p, paid), format_vnd(v))
                       for code, n, p, v in rows]),),
        notes=(_l("Đơn tạo trong khoảng ngày; giá trị là tổng tiền của các đơn đã thanh toán."),
               _l("Tỷ lệ: đơn đã thanh toán trên đơn có ưu đãi; tỷ trọng: trên mọi đơn đã thanh toán."),
               *[f"{code}: {names[code]}" for code, *_rest in with_offer if names.get(code, code) != code]),
    )


HEADERS: Sequence[Any] = (_l("Mã đơn"), _l("Tạo lúc (giờ Việt Nam)"), _l("Khu vực"), _l("Kênh"), _l("Loại SIM"),
                          _l("Ưu đãi"), _l("Nội dung ưu đãi"), _l("Trạng thái"), _l("Thanh toán lúc"),
                          _l("Tổng tiền"))


def rows(scope: Scope, conn: Connection) -> Iterator[Sequence[Any]]:
    """One row per order created in the range that carries an offer."""
    stmt = select(Order.order_no, Order.created_at, Order.region_id, Order.channel, Order.sim_type, Order.offer_code,
                  Order.offer_summary, Order.status, Order.paid_at, Order.total).where(Order.offer_code != "")
    stmt = _scoped(stmt, scope).order_by(Order.created_at, Order.id)
    for no, created, region, channel, sim, code, summary, status, paid_at, total in stream(stmt, conn):
        yield no, created, region, channel, sim.value, code, summary, status.value, paid_at, total


REPORT = register(Report("promotions", _l("Khuyến mãi: mức sử dụng từng ưu đãi"),
                         _l("Số đơn có từng ưu đãi, số đơn đã thanh toán, tỷ trọng trong các đơn đã thanh toán và "
                            "giá trị."),
                         build, HEADERS, rows, facts, order=60))
