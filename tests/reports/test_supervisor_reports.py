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
from portal.orders.models import OrderStatus
from portal.reports import partners, promotions, shipping
from portal.reports.filters import Scope
from tests.shipping.conftest import make_order  # noqa: F401 - the fixture

HOUR = 3600
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


def test_time_in_each_tab_from_the_status_history__SHIP_2_SHIP_8_SHIP_14_SHIP_23(shipped):
    times = shipping.tab_times(_scope(1))
    assert {tab: n for tab, (n, _avg, _top) in times.items()} == {
        OrderStatus.PENDING: 2, OrderStatus.WAITING_PICKUP: 2, OrderStatus.DELIVERING: 2}
    assert times[OrderStatus.PENDING][1] == pytest.approx(3 * HOUR, abs=1)  # (2 h + 4 h) / 2
    assert times[OrderStatus.PENDING][2] == pytest.approx(4 * HOUR, abs=1)
    assert times[OrderStatus.WAITING_PICKUP][1] == pytest.approx(2 * HOUR, abs=1)  # (3 h + 1 h) / 2
    assert times[OrderStatus.DELIVERING][1] == pytest.approx(1.5 * HOUR, abs=1)  # (1 h + 2 h) / 2
    everyone = shipping.tab_times(_scope())
    assert everyone[OrderStatus.PENDING][0] == 3
    assert everyone[OrderStatus.PENDING][1] == pytest.approx((2 + 4 + 1) / 3 * HOUR, abs=1)
    # Nothing left a tab before the range.
    before = Scope(vietnam_today() - timedelta(days=60), vietnam_today() - timedelta(days=31), None)
    assert all(n == 0 for n, _avg, _top in shipping.tab_times(before).values())


def test_refusals_cod_and_refunds__SHIP_16_SHIP_17_SHIP_20(shipped):
    assert shipping.refusals(_scope(1)) == [("Khách từ chối nhận hàng", 1)]
    assert shipping.refusals(_scope()) == [("Khách từ chối nhận hàng", 1), ("Sai địa chỉ giao hàng", 1)]
    assert shipping.refusals(_scope(1, sim_type="esim")) == []
    cod = [tuple(r) for r in shipping.cod_rows(_scope(1))]
    assert cod == [("ghn", vietnam_today(), 1, 545_000, 540_000, 1)]
    assert shipping.cod_rows(_scope(2)) == []
    [(status, n, amount)] = shipping.refunds(_scope(1))
    assert (status.value, n, amount) == ("due", 1, 1_045_000)
    assert shipping.refunds(_scope(2)) == []


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


def test_offer_uptake(offers):
    assert promotions.uptake(_scope(1)) == [("TN4G", 2, 1, 545_000), ("", 1, 1, 1_045_000)]
    assert promotions.uptake(_scope()) == [("TN4G", 3, 2, 1_090_000), ("", 1, 1, 1_045_000)]
    assert promotions.uptake(_scope(1, channel="app")) == []


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


def test_searches_holds_and_conversions_per_channel(channel_holds):
    partner, _made = channel_holds
    key = f"partner:{partner.id}"
    assert partners.searches(_scope()) == {"web": 10, key: 4}
    assert partners.searches(_scope(channel="partner")) == {key: 4}
    assert partners.searches(_scope(1)) is None  # searches belong to no region
    assert partners.holds(_scope(1)) == {"web": (2, 1, 300_000), key: (1, 1, 300_000)}
    assert partners.holds(_scope()) == {"web": (3, 1, 300_000), key: (1, 1, 300_000)}


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
