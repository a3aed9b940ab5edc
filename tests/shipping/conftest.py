"""Shipping fixtures: orders made the way the customer web will make them (a hold + an Order row),
the sandbox carrier served over HTTP in-process, and the portal itself served over HTTP for callbacks."""
from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from portal.core.time import utcnow
from portal.gateways import ghn_sandbox
from portal.holds import services as holds
from portal.orders.models import Gender, IdType, Order, OrderStatus, PaymentMethod, ReceiveMethod
from portal.org.models import Store
from tests.conftest import writing_now

SECRET = "test-carrier-secret"
ID_NUMBER = "001099012345"
_serials = itertools.count(1)
_numbers = itertools.count(1)


def luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        n = int(ch)
        if i % 2 == 0:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return str((10 - total % 10) % 10)


def make_iccid(n: int | None = None, length: int = 19) -> str:
    """A valid ICCID: 89 (telecom) 84 (Vietnam) 01 (issuer), serial, Luhn check digit."""
    body = "898401" + str(n if n is not None else next(_serials)).zfill(length - 7)
    return body + luhn_digit(body)


@pytest.fixture
def make_order(db) -> Callable[..., Order]:
    """``make_order(region=2, receive="store", payment="online")`` → a committed order on the board."""
    from portal.numbers.services import NewNumber, add_numbers

    def make(region: int = 1, receive: str = "delivery", payment: str = "cod",
             status: OrderStatus | None = None, store: str | None = None, phone: str = "0912345678",
             sim: str = "physical", total: int = 545_000) -> Order:
        with writing_now(db):  # a live worker may be committing (browser tests with the live stack)
            n = next(_numbers)
            number = f"0906{n:06d}"
            add_numbers([NewNumber(number, price=500_000, region_id=region)])
            ticket, _ = holds.hold_numbers([number], phone, sim, "web")
            store_id = None
            if receive == "store":
                code = store or {1: "CH-HN-01", 2: "CH-HCM-01", 3: "CH-DN-01", 5: "CH-HP-01", 9: "CH-CT-01"}[region]
                store_id = db.session.scalar(select(Store.id).where(Store.code == code))
            if status is None:  # where portal.orders.lifecycle puts a new (paid) order: a store order goes to its store
                status = OrderStatus.WAITING_PICKUP if receive == "store" else OrderStatus.PENDING
            order = Order(
                order_no=f"DH{date.today():%y%m%d}{n:05d}", ticket_id=ticket.id, channel="web", status=status,
                collect_by=utcnow() + timedelta(days=7) if receive == "store" else None,
                region_id=region, sim_type=sim, receive_method=ReceiveMethod(receive),
                payment_method=PaymentMethod(payment),
                store_id=store_id, full_name="Nguyễn Văn An", id_type=IdType.CCCD, id_number=ID_NUMBER,
                birth_date=date(1990, 1, 2), gender=Gender.MALE, address="12 Lý Thường Kiệt", ward="Phường Cửa Nam",
                district="Hoàn Kiếm", province="Hà Nội", contact_phone=phone,
                recipient_name="Nguyễn Văn An" if receive == "delivery" else "",
                recipient_phone=phone if receive == "delivery" else "",
                delivery_address="12 Lý Thường Kiệt" if receive == "delivery" else "",
                delivery_ward="Phường Cửa Nam" if receive == "delivery" else "",
                delivery_district="Hoàn Kiếm" if receive == "delivery" else "",
                delivery_province="Hà Nội" if receive == "delivery" else "",
                number_price=500_000, sim_fee=25_000, delivery_fee=20_000, total=total,
            )
            if payment == "online":
                order.paid_at = utcnow()
                holds.mark_paid(ticket)
            else:  # a cash-on-delivery order's hold is kept for it until the cash is collected
                holds.reserve_for_order(ticket)
            db.session.add(order)
            db.session.commit()
            return order

    return make


def confirm_now(order: Order, staff) -> None:
    """Confirm an order for a pickup in two hours (SHIP-8)."""
    from portal.extensions import db
    from portal.shipping import services

    services.confirm_order(order, staff, "Kho SIM, 5 Phạm Hùng, Hà Nội", utcnow() + timedelta(hours=2))
    db.session.commit()


class Served:
    """A WSGI app served by werkzeug in a thread, on a free port."""

    def __init__(self, wsgi_app):
        self.server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def sandbox(app, tmp_path) -> Iterator[ghn_sandbox.Sandbox]:
    """The sandbox carrier over HTTP; the portal's client points at it. Timers are off unless a test starts them."""
    box = ghn_sandbox.Sandbox(tmp_path / "ghn.db", secret=SECRET, step_seconds=3600)
    served = Served(ghn_sandbox.create_app(box))
    box.url = served.url  # type: ignore[attr-defined]
    saved = {k: app.config[k] for k in ("GHN_URL", "GHN_WEBHOOK_SECRET", "GHN_TOKEN", "GHN_SHOP_ID")}
    app.config.update(GHN_URL=served.url, GHN_WEBHOOK_SECRET=SECRET, GHN_TOKEN=box.token, GHN_SHOP_ID=box.shop_id)
    yield box
    box.stop.set()
    served.close()
    app.config.update(saved)


@pytest.fixture
def portal_server(app, committed_db) -> Iterator[str]:
    """The portal itself over HTTP (in this process): the sandbox's callbacks reach the real webhook."""
    def as_portal_test(environ, start_response):  # the test app answers to SERVER_NAME only
        environ["HTTP_HOST"] = app.config["SERVER_NAME"]
        return app(environ, start_response)

    served = Served(as_portal_test)
    yield served.url
    served.close()
