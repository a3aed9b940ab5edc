"""At most 3 numbers registered online per ID document (Decree 163/2024/NĐ-CP): the fourth is refused with the
reason, when it is opened and when it is verified; what counts is a live dossier whose eKYC proved the ID —
drafts, failed checks and abandoned dossiers do not. One winner when two verifications race for the last place."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from portal.core.errors import Conflict
from portal.core.sqlite import writing
from portal.customers.models import Customer
from portal.dossiers import lifecycle
from portal.dossiers.models import Dossier, DossierStatus, PhotoKind
from portal.extensions import db as _db
from portal.gateways import ekyc
from tests.conftest import page_csrf

from .conftest import photo


class Passing:
    """A provider that passes everything: the limit, not the photos, is under test here."""

    name = "stub"

    def check(self, front, back, portrait, declared) -> ekyc.EkycResult:
        return ekyc.EkycResult(self.name, (ekyc.Check("face_match", True, "face_match", "khớp", 0.9, 0.4),))


@pytest.fixture(autouse=True)
def passing(monkeypatch):
    monkeypatch.setattr(ekyc, "provider", Passing)


def _with_photos(dossier: Dossier, customer) -> Dossier:
    for kind in PhotoKind:
        lifecycle.add_photo(dossier, customer, kind, photo("front"))
    return dossier


def _registered(db, lan, delivered_order, count: int) -> list[Dossier]:
    out = []
    for _ in range(count):
        dossier = _with_photos(lifecycle.open_dossier(delivered_order(lan), lan), lan)
        lifecycle.verify(dossier, lan)
        out.append(dossier)
    db.session.commit()
    assert {d.status for d in out} <= {DossierStatus.READY_FOR_CALL}
    return out


def test_a_fourth_number_on_one_id_is_refused_on_the_ticket__Decree_163(client, db, lan, login_customer,
                                                                        delivered_order):
    _registered(db, lan, delivered_order, 3)
    assert lifecycle.numbers_on_id("001190012345") == 3
    fourth = delivered_order(lan)
    login_customer(lan)
    response = client.post(f"/chonso/hoa-mang/{fourth.ticket.hold_code}",
                           data={"csrf_token": page_csrf(client, "/chonso/phieu-cua-toi")})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "đã đăng ký đủ 3 số thuê bao trực tuyến (Nghị định 163/2024/NĐ-CP)" in page
    assert db.session.scalar(select(Dossier).where(Dossier.ticket_id == fourth.ticket_id)) is None


def test_the_fourth_is_refused_at_verification_when_the_others_passed_meanwhile__Decree_163(client, db, lan,
                                                                                          login_customer,
                                                                                          delivered_order):
    early = _with_photos(lifecycle.open_dossier(delivered_order(lan), lan), lan)  # a draft counts for nothing
    db.session.commit()
    _registered(db, lan, delivered_order, 3)
    login_customer(lan)
    code = early.ticket.hold_code
    client.post(f"/chonso/hoa-mang/{code}/xac-thuc", data={"csrf_token": page_csrf(client, "/chonso/phieu-cua-toi")})
    page = client.get(f"/chonso/hoa-mang/{code}").get_data(as_text=True)
    assert "Nghị định 163/2024/NĐ-CP" in page
    db.session.refresh(early)
    assert early.status == DossierStatus.DRAFT


def test_drafts_failed_checks_and_abandoned_dossiers_do_not_count(db, lan, delivered_order, monkeypatch):
    for _ in range(3):
        lifecycle.open_dossier(delivered_order(lan), lan)  # typed, proved nothing
    failing = _with_photos(lifecycle.open_dossier(delivered_order(lan), lan), lan)
    monkeypatch.setattr(ekyc, "provider", lambda: type("Failing", (Passing,), {"check": lambda self, *a: (
        ekyc.EkycResult("stub", (ekyc.Check("face_match", False, "face_mismatch", "không khớp", 0.1, 0.4),)))})())
    lifecycle.verify(failing, lan)
    assert failing.status == DossierStatus.EKYC_FAILED and lifecycle.numbers_on_id("001190012345") == 0
    monkeypatch.setattr(ekyc, "provider", Passing)
    done = _registered(db, lan, delivered_order, 3)
    lifecycle.abandon(done[0], None, "Khách bỏ dở")
    assert lifecycle.numbers_on_id("001190012345") == 2
    fourth = _with_photos(lifecycle.open_dossier(delivered_order(lan), lan), lan)
    assert lifecycle.verify(fourth, lan).passed and lifecycle.numbers_on_id("001190012345") == 3


def test_another_id_is_not_limited_by_this_one(db, lan, delivered_order):
    _registered(db, lan, delivered_order, 3)
    assert lifecycle.numbers_on_id("079090001234") == 0


def test_two_verifications_racing_for_the_last_place_leave_one_winner(app, committed_db, db, lan, delivered_order):
    """SQLite and PostgreSQL: the count and the move are serialised per ID document."""
    _registered(db, lan, delivered_order, 2)
    racers = [_with_photos(lifecycle.open_dossier(delivered_order(lan), lan), lan) for _ in range(2)]
    db.session.commit()
    prepared = [lifecycle.prepare_verification(d) for d in racers]
    db.session.rollback()
    result = Passing().check(b"", b"", b"", None)
    start, outcomes, customer_id = threading.Barrier(2), [], lan.id

    def run(p) -> None:
        with app.app_context():
            start.wait()
            try:
                with writing():
                    customer = _db.session.get(Customer, customer_id)  # each thread its own session and rows
                    lifecycle.record_verification(_db.session.get(Dossier, p.dossier_id), customer, p, result)
                    _db.session.commit()
                outcomes.append("passed")
            except Conflict as exc:
                _db.session.rollback()
                outcomes.append(exc.code)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run, args=(p,)) for p in prepared]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["id_limit_reached", "passed"]
    db.session.rollback()  # a fresh snapshot (SQLite) after the threads' commits
    assert lifecycle.numbers_on_id("001190012345") == 3
