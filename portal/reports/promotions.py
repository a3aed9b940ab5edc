"""Promotions report: the uptake of each offer among the orders created in the range — orders that carry it, how
many of them were paid, their share of all paid orders, and the value paid (the orders' totals). The offer is the
code the order kept (``Order.offer_code``), named from the catalogue when it is still there."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Connection, case, func, select

from portal.extensions import db
from portal.numbers.formatting import format_vnd
from portal.orders.models import Order
from portal.promotions.models import Offer
from portal.reports.base import Chart, Figure, Page, Report, Table, register, share, stream
from portal.reports.filters import Scope


def _scoped(stmt: Any, scope: Scope) -> Any:
    return scope.apply(stmt, at=Order.created_at, region=Order.region_id, channel=Order.channel, sim=Order.sim_type)


def uptake(scope: Scope) -> list[tuple[str, int, int, int]]:
    """Per offer code ("" = no offer): (orders, paid orders, value paid), most orders first."""
    paid = Order.paid_at.is_not(None)
    stmt = _scoped(select(Order.offer_code, func.count(), func.sum(case((paid, 1), else_=0)),
                          func.sum(case((paid, Order.total), else_=0))).select_from(Order), scope)
    found = [(code, n, int(p or 0), int(v or 0)) for code, n, p, v in
             db.session.execute(stmt.group_by(Order.offer_code))]
    return sorted(found, key=lambda r: (r[0] == "", -r[1], r[0]))


def build(scope: Scope) -> Page:
    rows = uptake(scope)
    names = dict(db.session.execute(select(Offer.code, Offer.name)).all())
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
                         build, HEADERS, rows, order=60))
