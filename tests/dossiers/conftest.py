"""Dossier fixtures: orders brought to where activation may start through the orders domain's own moves (a physical
SIM delivered, an eSIM paid), a channel's ticket, and synthetic photos of the made-up holder ``LAN`` (never a real
person's document: tests/media/synthetic.py)."""
from __future__ import annotations

import hashlib
import io
import itertools
from collections.abc import Callable
from datetime import timedelta
from functools import cache

import pytest
from flask import current_app

from portal.core.actors import SystemActor
from portal.core.time import utcnow
from portal.dossiers.signing import SigningInput
from portal.extensions import db as _db
from portal.gateways import ekyc
from portal.gateways.ekyc_local import LocalProvider
from portal.holds import services as holds
from portal.media.storage import storage
from portal.numbers.services import NewNumber, add_numbers
from portal.orders import lifecycle as orders_lifecycle
from portal.orders import services as orders
from portal.orders.models import Order
from tests.conftest import writing_now
from tests.media import synthetic as syn
from tests.orders.conftest import hold_form
from tests.shipping.conftest import make_iccid

SYSTEM = SystemActor("Kiểm thử")
SIZE = (1000, 750)  # big enough for the checks (short side ≥ 600), small enough to keep the suite quick
LAN = syn.LAN
API = "/api/app/v1"


def lan_form(**changes) -> dict:
    """A hold form typed by LAN, the holder of the synthetic card (Hà Nội: region 1)."""
    return hold_form(**{"full_name": LAN.full_name, "id_number": LAN.id_number,
                        "birth_date": LAN.birth_date.isoformat(), "gender": "female", "province": "Hà Nội",
                        "ward": "Phường Mỹ Đình 2", "address": "Số 5 Phạm Hùng", "delivery_province": "Hà Nội",
                        "delivery_ward": "Phường Mỹ Đình 2", "delivery_address": "Số 5 Phạm Hùng", **changes})


@cache
def photo(name: str) -> bytes:
    """Synthetic JPEGs by name: front, back, portrait, someone_else, no_face, two_faces, blurred_front,
    front_other_qr (the QR of another holder), front_no_qr."""
    make = {
        "front": lambda: syn.card_front(size=SIZE),
        "back": lambda: syn.card_back(size=SIZE),
        "portrait": lambda: syn.portrait(size=SIZE),
        "someone_else": lambda: syn.portrait("grace_hopper", size=SIZE),
        "no_face": lambda: syn.no_face(size=SIZE),
        "two_faces": lambda: syn.two_faces(size=SIZE),
        "blurred_front": lambda: syn.blurred(syn.card_front(size=SIZE)),
        "front_other_qr": lambda: syn.card_front(LAN.but(full_name="Trần Thị Bích", id_number="001190099999"),
                                                 size=SIZE),
    }[name]
    return syn.jpeg(make())


_verdicts: dict = {}


class RealChecksOnce:
    """The local provider's real checks (dlib, zxing), each distinct set of photos and declaration checked once per
    session: the routes re-encode the same synthetic pictures to the same bytes, test after test."""

    name = "local"

    def check(self, front: bytes, back: bytes, portrait: bytes, declared) -> ekyc.EkycResult:
        key = (hashlib.sha256(front + b"|" + back + b"|" + portrait).hexdigest(), declared)
        if key not in _verdicts:
            _verdicts[key] = LocalProvider.from_config(current_app.config).check(front, back, portrait, declared)
        return _verdicts[key]


@pytest.fixture(autouse=True)
def checks_once(monkeypatch):
    monkeypatch.setattr(ekyc, "provider", RealChecksOnce)


@pytest.fixture
def media_root(app, tmp_path):
    """A media store of the test's own (the app's store is built from MEDIA_ROOT once)."""
    saved = app.config["MEDIA_ROOT"]
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    app.extensions.pop("media_storage", None)
    yield tmp_path / "media"
    app.config["MEDIA_ROOT"] = saved
    app.extensions.pop("media_storage", None)


@pytest.fixture
def numbers(db):
    with writing_now(db):
        add_numbers([NewNumber(n, region_id=1, price=500_000)
                     for n in (*(f"09036868{i:02d}" for i in range(20)), *_SPARE)])
        db.session.commit()


_serial = itertools.count(500)
# Drawn in turn by the factories: 0903686803..18 (01, 02 and 19 are the ones tests name themselves: a test placing 19
# by hand must not find it taken by a dossier of the same test, whatever ran before), then 64 spare numbers, so that
# a test making many dossiers (the wall's, about twenty) never meets one of its own numbers again.
_SPARE = tuple(f"09036870{i:02d}" for i in range(64))
_POOL = itertools.cycle((*(f"09036868{i:02d}" for i in range(3, 19)), *_SPARE))


def _next_number() -> str:
    return next(_POOL)


@pytest.fixture
def lan(make_customer):
    return make_customer("0912345678", full_name=LAN.full_name)


@pytest.fixture
def delivered_order(db, numbers, media_root) -> Callable[..., Order]:
    """``delivered_order(customer)`` → a physical SIM's order delivered at the door (SHIP-23): ACT-1 done."""

    def make(customer, **form) -> Order:
        with writing_now(db):
            order, _ = orders.place_order(lan_form(number=form.pop("number", None) or _next_number(), **form),
                                          customer, "web", f"n{next(_serial)}")
            orders_lifecycle.confirm_for_pickup(order, SYSTEM, "Kho SIM", utcnow() + timedelta(hours=2), "ghn")
            orders_lifecycle.hand_over(order, SYSTEM, make_iccid())
            orders_lifecycle.deliver(order, SYSTEM, order.cash_expected, "Đã giao")
            db.session.commit()
        return order

    return make


@pytest.fixture
def paid_esim(db, numbers, media_root) -> Callable[..., Order]:
    """``paid_esim(customer)`` → an eSIM order whose hold is paid (HOLD-6, E-2.2): ESIM-1 done."""

    def make(customer, **form) -> Order:
        with writing_now(db):
            order, _ = orders.place_order(lan_form(number=form.pop("number", None) or _next_number(), sim_type="esim",
                                                   receive_method="email", payment_method="online",
                                                   email="lan@example.vn", **form), customer, "web",
                                          f"n{next(_serial)}")
            orders_lifecycle.pay(order, SYSTEM)
            db.session.commit()
        return order

    return make


@pytest.fixture
def channel_ticket(db, numbers, media_root):
    """``channel_ticket(phone)`` → a sales channel's hold (no order here, E-3.2)."""

    def make(phone: str = "0912345678", sim: str = "physical"):
        with writing_now(db):
            ticket, _ = holds.hold_numbers([_next_number()], phone, sim, "partner:7")
            _db.session.commit()
        return ticket

    return make


def upload(client, hold_code: str, kind: str, data: bytes, name: str = "anh.jpg", json: bool = True):
    """POST one photo through the customer site's route (as the capture page's script does)."""
    from tests.conftest import page_csrf

    token = page_csrf(client, f"/chonso/hoa-mang/{hold_code}")
    headers = {"Accept": "application/json"} if json else {}
    return client.post(f"/chonso/hoa-mang/{hold_code}/anh/{kind}", headers=headers,
                       data={"csrf_token": token, "photo": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def stored_names() -> list[str]:
    """Every object in the test's media store."""
    root = storage().backend.root  # type: ignore[attr-defined]
    return sorted(f"{p.parent.parent.name}/{p.name}" for p in root.rglob("*") if p.is_file())


# --- signing and review (issue 13) ----------------------------------------------------------------------------

@pytest.fixture(scope="session", autouse=True)
def contract_certificate(app, tmp_path_factory):
    """The operator's development certificate, made once for the session as `make run` makes it."""
    from portal.dossiers.contract import ensure_development_certificate

    folder = tmp_path_factory.mktemp("contract")
    cert, key = folder / "cert.pem", folder / "key.pem"
    assert ensure_development_certificate(cert, key)
    app.config["CONTRACT_SIGNING_CERT"], app.config["CONTRACT_SIGNING_KEY"] = str(cert), str(key)
    return cert


def signature_png(ink: bool = True, size=(600, 200), background=(0, 0, 0, 0)) -> bytes:
    """A canvas export: transparent (or ``background``) with a scribble of dark ink, or without any."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", size, background)
    if ink:
        draw = ImageDraw.Draw(image)
        draw.line([(40, 150), (120, 40), (200, 160), (300, 60), (420, 140), (540, 70)], fill=(11, 31, 75, 255),
                  width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@cache
def sim_photo() -> bytes:
    """A photo of a SIM card (a synthetic one: a white card with a chip and printed digits)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (900, 600), (40, 90, 160))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((150, 100, 750, 500), 30, fill=(245, 245, 245))
    draw.rectangle((220, 200, 360, 320), fill=(212, 175, 55))
    draw.text((400, 250), "8984 0100 0000 0005 008", fill=(0, 0, 0))
    return syn.jpeg(image)


@pytest.fixture
def verified(db, lan, delivered_order, paid_esim):
    """``verified(sim="physical"|"esim", customer=lan)`` → a dossier whose video call passed (ACT-8 → 9, ESIM-7 → 8),
    its eKYC run by the real local checks on the synthetic photos."""
    from portal.dossiers import lifecycle
    from portal.dossiers.models import PhotoKind

    def make(sim: str = "physical", customer=None):
        customer = customer or lan
        order = delivered_order(customer) if sim == "physical" else paid_esim(customer)
        with writing_now(db):
            dossier = lifecycle.open_dossier(order, customer)
            for kind, name in zip(PhotoKind, ("front", "back", "portrait"), strict=True):
                lifecycle.add_photo(dossier, customer, kind, photo(name))
            run = lifecycle.verify(dossier, customer)
            assert run.passed, [c.reason for c in run.failures]
            lifecycle.video_passed(dossier, SYSTEM)
            _db.session.commit()
        return dossier

    return make


@pytest.fixture
def submitted(db, verified):
    """``submitted(sim=…)`` → a dossier signed and sent (ACT-10, ESIM-9): in the connection team's queue."""
    from portal.dossiers import lifecycle

    def make(sim: str = "physical", customer=None):
        dossier = verified(sim, customer)
        with writing_now(db):
            lifecycle.submit(dossier, _customer(dossier), SigningInput(
                signature_png(), dossier.order.sim_serial if sim == "physical" else None,
                sim_photo() if sim == "physical" else None))
            _db.session.commit()
        return dossier

    return make


def _customer(dossier):
    from portal.customers.models import Customer

    return _db.session.get(Customer, dossier.customer_id)



def start_again_on_site(client, dossier, shown: str) -> None:
    """The customer sees the rejection (``shown``) and presses "Cập nhật và gửi lại" (ACT-18 → ACT-3): back to the
    details."""
    from tests.conftest import page_csrf

    code = dossier.ticket.hold_code
    page = client.get(f"/chonso/hoa-mang/{code}").get_data(as_text=True)
    assert shown in page and "Cập nhật và gửi lại" in page
    token = page_csrf(client, f"/chonso/hoa-mang/{code}")
    again = client.post(f"/chonso/hoa-mang/{code}/gui-lai", data={"csrf_token": token})
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/chonso/hoa-mang/{code}/thong-tin")


def correct_and_verify_again(dossier, customer, agent) -> None:
    """ACT-4 a corrected address, then eKYC (ACT-6/7, the real local checks) and the video call (ACT-8) again."""
    from portal.dossiers import lifecycle
    from portal.dossiers.validation import details_of_order

    with writing_now(_db):
        details = details_of_order(dossier.order)
        lifecycle.update_details(dossier, customer,
                                 details.__class__(**{**details.values(), "address": "Số 7 Phạm Hùng"}))
        assert lifecycle.verify(dossier, customer).passed
        lifecycle.video_passed(dossier, agent)
        _db.session.commit()
