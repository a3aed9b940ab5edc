"""The shipping, promotions and channels reports (issue 14): each figure checked against orders, status history,
refunds, holds and search counts the tests create; a region sees its own rows only; the exports carry them."""
from __future__ import annotations

import csv
import io
import itertools
import zipfile
from datetime import timedelta

import pytest

from portal.core.models import StatusChange
from portal.core.roles import Role
from portal.core.time import utcnow, vietnam_today
from portal.numbers.formatting import format_vnd
from portal.orders.models import Order, OrderStatus
from portal.payments.models import RefundStatus
from portal.reports import partners, promotions, shipping
from portal.reports.filters import Scope
from portal.shipping.cod import cod_by_carrier_day
from tests.shipping.conftest import make_order  # noqa: F401 - the fixture

_numbers = itertools.count(1)


def _scope(region: int | None = None, **kwargs) -> Scope:
    return Scope(vietnam_today() - timedelta(days=29), vietnam_today(), region, **kwargs)


def _history(db, order, steps: list[tuple[str, float]], reason: str = "") -> None:
    """Status history of ``order``: (status, hours after a start 20 hours ago), the last move with ``reason``."""
    start = utcnow() - timedelta(hours=20)
    previous = None
    for n, (status, hours) in enumerate(steps):
        db.session.add(StatusChange(object_type="customer_order", object_id=str(order.id), from_status=previous,
                                    to_status=status, at=start + timedelta(hours=hours), actor_name="test",
                                    reason=reason if n == len(steps) - 1 else ""))
        previous = status
    db.session.commit()


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response.is_streamed
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


@pytest.fixture
def shipped(db, make_order):  # noqa: F811
    """Region 1: one COD order delivered (cash short by 5,000), one paid online and refused at the door (a refund
    due); region 2: one refused for another reason."""
    from portal.payments.models import Payment, Refund, RefundReason

    delivered = make_order(region=1, status=OrderStatus.DELIVERED)
    delivered.carrier, delivered.cod_date, delivered.cash_collected = "ghn", vietnam_today(), 540_000
    delivered.cash_mismatch = True
    refused = make_order(region=1, payment="online", status=OrderStatus.CANCELLED, total=1_045_000)
    other = make_order(region=2, status=OrderStatus.CANCELLED)
    payment = Payment(txn_ref="T-report-1", order_id=refused.id, amount=1_045_000,
                      expires_at=utcnow() + timedelta(minutes=15))
    db.session.add(payment)
    db.session.flush()
    db.session.add(Refund(payment_id=payment.id, order_id=refused.id, region_id=1, amount=1_045_000,
                          reason=RefundReason.ORDER_CANCELLED))
    db.session.commit()
    _history(db, delivered, [("pending", 0), ("waiting_pickup", 2), ("delivering", 5), ("delivered", 6)])
    _history(db, refused, [("pending", 0), ("waiting_pickup", 4), ("delivering", 5), ("cancelled", 7)],
             reason="Khách từ chối nhận hàng")
    _history(db, other, [("pending", 0), ("waiting_pickup", 1), ("delivering", 2), ("cancelled", 3)],
             reason="Sai địa chỉ giao hàng")
    return delivered, refused, other


def _tab_times(page) -> dict[str, tuple[int, float | None, float | None]]:
    """The shipping page's time in each tab: (orders that left it, mean and longest hours as charted)."""
    means, tops = (values for _label, values in page.chart.datasets)
    counts = [row[1] for row in page.tables[0].rows]
    return {tab.value: (n, mean, top) for tab, n, mean, top in zip(shipping.TABS, counts, means, tops, strict=True)}


def test_time_in_each_tab_from_the_status_history__SHIP_2_SHIP_8_SHIP_14_SHIP_23(page_of, shipped):
    times = _tab_times(page_of(shipping.REPORT, _scope(1)))
    assert {tab: n for tab, (n, _avg, _top) in times.items()} == {"pending": 2, "waiting_pickup": 2, "delivering": 2}
    assert times["pending"][1:] == (3.0, 4.0)  # mean (2 h + 4 h) / 2, longest 4 h
    assert times["waiting_pickup"][1] == 2.0  # (3 h + 1 h) / 2
    assert times["delivering"][1] == 1.5  # (1 h + 2 h) / 2
    everyone = page_of(shipping.REPORT, _scope())
    assert _tab_times(everyone)["pending"][:2] == (3, round((2 + 4 + 1) / 3, 2))
    assert everyone.tables[0].rows[0][2:] == ("2.3 giờ", "4.0 giờ")  # the table's mean and longest
    # Nothing left a tab before the range.
    before = Scope(vietnam_today() - timedelta(days=60), vietnam_today() - timedelta(days=31), None)
    assert all(n == 0 for n, _avg, _top in _tab_times(page_of(shipping.REPORT, before)).values())


def test_refusals_cod_and_refunds__SHIP_16_SHIP_17_SHIP_20(page_of, shipped):
    def tables(scope):
        _tabs, refused, cod, refunds = page_of(shipping.REPORT, scope).tables
        return [tuple(r) for r in refused.rows], [tuple(r) for r in cod.rows], [tuple(r) for r in refunds.rows]

    refused, cod, refunds = tables(_scope(1))
    assert refused == [("Khách từ chối nhận hàng", 1)]
    assert tables(_scope())[0] == [("Khách từ chối nhận hàng", 1), ("Sai địa chỉ giao hàng", 1)]
    assert tables(_scope(1, sim_type="esim"))[0] == []
    assert cod == [("ghn", vietnam_today().strftime("%d/%m/%Y"), 1, "545.000 ₫", "540.000 ₫", "-5.000 ₫", 1)]
    assert refunds == [(RefundStatus.DUE.label, 1, "1.045.000 ₫")]
    _refused, cod, refunds = tables(_scope(2))
    assert cod == [] and refunds == []


def test_cod_table_shows_what_the_cod_page_shows__SHIP_20(page_of, shipped, db):
    """The report's COD rows are the COD page's query (portal.shipping.cod), filters applied the same way."""
    today = vietnam_today()
    expected = [(carrier or "—", day.strftime("%d/%m/%Y"), n, e, c, m) for carrier, day, n, e, c, m in
                db.session.execute(cod_by_carrier_day(today - timedelta(days=29), today)
                                   .where(Order.region_id == 1))]
    assert expected
    shown = [(r[0], r[1], r[2], r[3], r[4], r[6]) for r in page_of(shipping.REPORT, _scope(1)).tables[2].rows]
    assert shown == [(carrier, day, n, format_vnd(int(e)), format_vnd(int(c)), int(m))
                     for carrier, day, n, e, c, m in expected]


def test_shipping_page_and_exports_for_a_region(client, login, shipped):
    delivered, refused, other = shipped
    login(Role.SUPERVISOR, region=1)
    html = client.get("/reports/shipping").get_data(as_text=True)
    assert "Khách từ chối nhận hàng" in html and "Sai địa chỉ giao hàng" not in html
    assert "545.000 ₫" in html and "540.000 ₫" in html and "-5.000 ₫" in html
    assert "1.045.000 ₫" in html  # the refund due
    assert client.get("/reports/shipping?region=2").status_code == 404
    assert client.get("/reports/shipping.csv?region=2").status_code == 404
    rows = _csv(client.get("/reports/shipping.csv"))
    assert rows[0][0] == "Mã đơn" and len(rows[0]) == len(shipping.HEADERS)
    assert sorted(r[0] for r in rows[1:]) == sorted([delivered.order_no, refused.order_no])
    line = next(r for r in rows if r[0] == delivered.order_no)
    assert line[7] == "ghn" and line[-3:] == ["545000", "540000", "1"]
    with zipfile.ZipFile(io.BytesIO(client.get("/reports/shipping.xlsx").get_data())) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert delivered.order_no in sheet and other.order_no not in sheet


@pytest.fixture
def offers(db, make_order):  # noqa: F811
    """Region 1: TN4G paid (545,000), TN4G unpaid, no offer paid (1,045,000); region 2: TN4G paid."""
    made = [make_order(region=1, payment="online"), make_order(region=1),
            make_order(region=1, payment="online", total=1_045_000), make_order(region=2, payment="online")]
    for order, code in zip(made, ("TN4G", "TN4G", "", "TN4G"), strict=True):
        order.offer_code = code
        order.offer_summary = "Ưu đãi TN4G" if code else ""
    db.session.commit()
    return made


def test_offer_uptake__HOLD_12(page_of, offers):
    def uptake(scope):  # (offer, orders, paid, value paid) as the table shows them
        return [(r[0], r[1], r[2], r[5]) for r in page_of(promotions.REPORT, scope).tables[0].rows]

    assert uptake(_scope(1)) == [("TN4G", 2, 1, "545.000 ₫"), ("(không có ưu đãi)", 1, 1, "1.045.000 ₫")]
    assert uptake(_scope()) == [("TN4G", 3, 2, "1.090.000 ₫"), ("(không có ưu đãi)", 1, 1, "1.045.000 ₫")]
    assert uptake(_scope(1, channel="app")) == []


def test_promotions_page_and_export(client, login, offers):
    login(Role.SUPERVISOR, region=1)
    html = client.get("/reports/promotions").get_data(as_text=True)
    assert "TN4G" in html and "(không có ưu đãi)" in html
    assert "50.0 %" in html  # TN4G: 1 of the region's 2 paid orders
    assert client.get("/reports/promotions.xlsx?region=2").status_code == 404
    rows = _csv(client.get("/reports/promotions.csv"))
    assert sorted(r[0] for r in rows[1:]) == sorted([offers[0].order_no, offers[1].order_no])
    assert {r[5] for r in rows[1:]} == {"TN4G"}


@pytest.fixture
def channel_holds(db):
    """Holds: web ×2 in region 1 (one paid), a partner's ×1 in region 1 (paid), web ×1 in region 2; searches
    counted today (web 10, the partner 4) and 40 days ago (web 99, out of range)."""
    from portal.holds import services as holds
    from portal.numbers.models import SearchCount
    from portal.numbers.services import NewNumber, add_numbers
    from portal.partners.services import create_partner

    partner, _key = create_partner("Kênh Sao Mai")
    db.session.commit()
    made = []
    for region, channel, paid in ((1, "web", True), (1, "web", False), (1, f"partner:{partner.id}", True),
                                  (2, "web", False)):
        number = f"0907{next(_numbers):06d}"
        add_numbers([NewNumber(number, price=300_000, region_id=region)])
        ticket, _ = holds.hold_numbers([number], "0912345678", "physical", channel)
        if paid:
            holds.mark_paid(ticket)
        made.append(ticket)
    db.session.add_all([SearchCount(day=vietnam_today(), channel="web", n=10),
                        SearchCount(day=vietnam_today(), channel=f"partner:{partner.id}", n=4),
                        SearchCount(day=vietnam_today() - timedelta(days=40), channel="web", n=99)])
    db.session.commit()
    return partner, made


def test_searches_holds_and_conversions_per_channel__HOLD_1_HOLD_12(page_of, channel_holds):
    partner, _made = channel_holds
    name = f"Đối tác {partner.name}"

    def per_channel(scope):  # channel → (searches, holds, paid, value paid) as the table shows them
        return {r[0]: (r[1], r[2], r[3], r[5]) for r in page_of(partners.REPORT, scope).tables[0].rows}

    everyone = per_channel(_scope())
    assert {label: row[0] for label, row in everyone.items()} == {"Website": 10, name: 4}
    assert {label: row[0] for label, row in per_channel(_scope(channel="partner")).items()} == {name: 4}
    regional = per_channel(_scope(1))
    assert {label: row[0] for label, row in regional.items()} == {"Website": "—", name: "—"}  # no region
    assert {label: row[1:] for label, row in regional.items()} == {"Website": (2, 1, "300.000 ₫"),
                                                                    name: (1, 1, "300.000 ₫")}
    assert {label: row[1:] for label, row in everyone.items()} == {"Website": (3, 1, "300.000 ₫"),
                                                                    name: (1, 1, "300.000 ₫")}
    # Searches have no SIM type either: a view of one SIM type shows holds only.
    physical = per_channel(_scope(sim_type="physical"))
    assert {label: row[:2] for label, row in physical.items()} == {"Website": ("—", 3), name: ("—", 1)}


def test_channels_page_and_export(app, client, login, channel_holds):
    partner, made = channel_holds
    login(Role.SUPERVISOR, region=0)
    html = client.get("/reports/partners").get_data(as_text=True)
    assert "Đối tác Kênh Sao Mai" in html and "Website" in html
    assert "Lượt tìm số" in html and ">14<" in html  # 10 + 4 searches in range
    regional = app.test_client()
    login(Role.SUPERVISOR, region=1, on=regional)
    assert regional.get("/reports/partners.csv?region=2").status_code == 404
    rows = _csv(regional.get("/reports/partners.csv"))
    assert sorted(r[0] for r in rows[1:]) == sorted(t.hold_code for t in made[:3])
    assert {r[2] for r in rows[1:]} == {"web", f"partner:{partner.id}"}
