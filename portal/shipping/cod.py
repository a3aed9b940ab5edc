"""Cash on delivery reconciliation (SHIP-19..20): per carrier and Vietnam day the cash was reported, the cash
expected (the total of cash-on-delivery orders) against the cash collected, and the mismatches flagged. One query,
read by the COD page (/shipping/cod) and the shipping report."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Select, case, func, select

from portal.orders.models import Order, OrderStatus, PaymentMethod


def cod_by_carrier_day(since: date, until: date | None = None) -> Select:
    """Rows (carrier, cod_date, orders, expected, collected, mismatches) of delivered orders whose cash was
    reported from ``since`` to ``until`` (Vietnam days, both included), newest day first; callers add their
    region (and other) filters with ``.where``."""
    expected = func.sum(case((Order.payment_method == PaymentMethod.COD, Order.total), else_=0))
    stmt = (select(Order.carrier, Order.cod_date, func.count(Order.id), expected,
                   func.sum(func.coalesce(Order.cash_collected, 0)),
                   func.sum(case((Order.cash_mismatch.is_(True), 1), else_=0)))
            .where(Order.status == OrderStatus.DELIVERED, Order.cod_date >= since))
    if until is not None:
        stmt = stmt.where(Order.cod_date <= until)
    return stmt.group_by(Order.carrier, Order.cod_date).order_by(Order.cod_date.desc(), Order.carrier)
