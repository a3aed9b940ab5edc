"""A hold past its expiry frees its number for every search at once, before the sweeper runs (issue 10, HOLD-1,
checklist 18): the search index, by name, feng-shui, pairs, the partner API and the customer site."""
from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.core.time import utcnow
from portal.holds import services as holds
from portal.holds.models import HoldStatus, HoldTicket
from portal.numbers.models import NumberStatus, PhoneNumber
from portal.numbers.search import NumberQuery, search_by_name, search_feng_shui, search_numbers, search_pairs
from portal.numbers.services import NewNumber, add_numbers

HELD = "0903686868"  # with 0933686868: a pair (prefix)
OTHERS = ["0933686868", "0909123456", "0778001122"]


def _found(mode: str) -> set[str]:
    if mode == "conditions":
        return {n.number for n in search_numbers(NumberQuery(ends_with="868", per_page=100)).items}
    if mode == "name":  # "mumu" on a keypad is 6868
        return {n.number for n in search_by_name("mumu", per_page=100).items}
    if mode == "feng-shui":
        return {s.number.number for s in search_feng_shui(dt.date(1990, 6, 15), per_page=100, min_score=0).items}
    return {n.number for pair in search_pairs(per_page=100).items for n in pair[1:]}


def _total(mode: str) -> int:
    if mode == "conditions":
        return search_numbers(NumberQuery(ends_with="868", per_page=100)).total
    if mode == "name":
        return search_by_name("mumu", per_page=100).total
    if mode == "feng-shui":
        return search_feng_shui(dt.date(1990, 6, 15), per_page=100, min_score=0).total
    return search_pairs(per_page=100).total


@pytest.fixture
def held(db):
    """HELD held by an unpaid hold, the search index already built (it learns only from the table)."""
    add_numbers([NewNumber(HELD, region_id=2)] + [NewNumber(n, region_id=2) for n in OTHERS])
    db.session.commit()
    search_numbers(NumberQuery())  # builds the index now
    ticket, _ = holds.hold_numbers([HELD], "0912345678", "esim", "web")
    db.session.commit()
    return ticket


def _lapse(db, ticket: HoldTicket) -> None:
    """The hold's time passes; nothing else is written (the sweeper has not run)."""
    db.session.execute(update(HoldTicket).where(HoldTicket.id == ticket.id)
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


@pytest.mark.parametrize("mode", ["conditions", "name", "feng-shui", "pairs"])
def test_a_hold_past_its_expiry_is_free_in_every_search_at_once__HOLD_1(db, held, mode):
    assert HELD not in _found(mode)
    before = _total(mode)
    _lapse(db, held)
    assert HELD in _found(mode)
    assert _total(mode) == before + 1
    assert db.session.scalar(select(PhoneNumber.status).where(PhoneNumber.number == HELD)) == NumberStatus.HELD
    holds.hold_numbers([HELD], "0987654321", "physical", "web")  # and it can be held again
    db.session.commit()
    assert HELD not in _found(mode) and _total(mode) == before


@pytest.mark.parametrize("mode", ["conditions", "feng-shui", "pairs"])
def test_a_paid_hold_past_its_first_expiry_stays_out_of_search(db, held, mode):
    holds.mark_paid(held)
    db.session.commit()
    _lapse(db, held)
    assert HELD not in _found(mode)


def test_the_partner_api_and_the_customer_site_offer_it_at_once(app, db, held):
    from portal.partners.services import create_partner

    _partner, key = create_partner("Kênh thử")
    db.session.commit()
    client = app.test_client()
    api = {"Authorization": f"Bearer {key}"}

    def offered() -> tuple[bool, bool]:
        body = client.get("/api/v1/numbers", query_string={"ends_with": "868"}, headers=api).get_json()
        page = client.get("/chonso/tim-so", query_string={"ends_with": "868"}).get_data(as_text=True)
        return HELD in {n["number"] for n in body["items"]}, "0903 686 868" in page or HELD in page

    assert offered() == (False, False)
    _lapse(db, held)
    assert offered() == (True, True)


def test_the_back_office_still_sees_it_held_until_the_sweeper(db, held):
    """Any status (None): the table's truth, one row; the sweeper then frees it for good."""
    _lapse(db, held)
    rows = search_numbers(NumberQuery(ends_with="868", status=None, per_page=100)).items
    assert [n.status for n in rows if n.number == HELD] == [NumberStatus.HELD]
    assert holds.expire_holds() == 1
    db.session.commit()
    assert db.session.get(HoldTicket, held.id).status == HoldStatus.EXPIRED
    assert HELD in _found("conditions")
