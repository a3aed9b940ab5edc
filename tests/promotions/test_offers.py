"""Package offers: the TN4G promotion as SPEC states it, eligibility windows on frozen dates, admin pages."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.promotions import services as offers
from portal.promotions.models import Offer
from tests.conftest import page_csrf

ESIM_APP = offers.OrderFacts("esim", "app")


def _utc(vietnam_day: str, hour: int = 12) -> dt.datetime:
    """Noon (or ``hour``) of a Vietnamese day, as the naive UTC moment the services take."""
    return dt.datetime.fromisoformat(vietnam_day) + dt.timedelta(hours=hour - 7)


def test_tn4g_is_seeded_as_spec_states(db):
    tn4g = db.session.scalar(select(Offer).where(Offer.code == "TN4G"))
    assert (tn4g.starts_on, tn4g.ends_on) == (dt.date(2022, 6, 17), dt.date(2022, 8, 31))
    assert tn4g.sim_types == ["esim"] and tn4g.new_subscriber_only and tn4g.package == "TN4G"
    assert "15 GB" in tn4g.description and "10 ngày" in tn4g.description and "1,5 GB/ngày" in tn4g.description


@pytest.mark.parametrize(("moment", "eligible"), [
    (_utc("2022-06-16", 23), False),  # the day before, even late in the evening
    (_utc("2022-06-17", 0), True),  # first day from midnight in Vietnam (16/06 17:00 UTC)
    (_utc("2022-08-31", 23), True),  # last day included
    (_utc("2022-09-01", 0), False),
])
def test_tn4g_window_on_vietnamese_days(db, moment, eligible):
    assert [o.code for o in offers.eligible_offers(ESIM_APP, at=moment)] == (["TN4G"] if eligible else [])


def test_tn4g_conditions_sim_type_channel_new_subscriber(db):
    at = _utc("2022-07-01")
    assert offers.eligible_offers(offers.OrderFacts("physical", "app"), at=at) == []
    assert offers.eligible_offers(offers.OrderFacts("esim", "partner:3"), at=at) == []
    assert offers.eligible_offers(offers.OrderFacts("esim", "app", new_subscriber=False), at=at) == []


def test_a_deactivated_offer_is_not_attached(db):
    tn4g = db.session.scalar(select(Offer).where(Offer.code == "TN4G"))
    offers.set_offer_active(tn4g, False, None)
    assert offers.eligible_offers(ESIM_APP, at=_utc("2022-07-01")) == []


def test_demo_offer_runs_now_on_the_website(db):
    assert offers.ensure_demo_offer(today=dt.date(2026, 11, 25))
    assert not offers.ensure_demo_offer()
    found = offers.eligible_offers(offers.OrderFacts("esim", "web"), at=_utc("2026-11-25"))
    assert [o.code for o in found] == ["TN4G-DEMO"]


def test_admin_creates_edits_and_deactivates_offers_audited(client, login, db):
    login(Role.ADMIN, region=0)
    token = page_csrf(client, "/promotions/new")
    data = {"csrf_token": token, "code": "esim50", "name": "Giảm 50%", "package": "TN4G", "description": "Ưu đãi",
            "sim_types": ["esim"], "channels": ["web", "app"], "starts_on": "2026-12-01", "ends_on": "2026-11-01"}
    response = client.post("/promotions/new", data=data)
    assert response.status_code == 422 and "Ngày kết thúc phải sau ngày bắt đầu" in response.get_data(as_text=True)
    assert "Giảm 50%" in response.get_data(as_text=True)  # what was typed is kept
    response = client.post("/promotions/new", data={**data, "ends_on": "2026-12-31"})
    assert response.status_code == 302
    offer = db.session.scalar(select(Offer).where(Offer.code == "ESIM50"))
    assert offer.channels == ["web", "app"] and offer.active
    response = client.post(f"/promotions/{offer.id}", data={**data, "ends_on": "2027-01-31", "code": "OTHER",
                                                            "version": offer.version})
    assert response.status_code == 302
    db.session.expire_all()
    assert offer.ends_on == dt.date(2027, 1, 31) and offer.code == "ESIM50"
    assert client.post(f"/promotions/{offer.id}/active",
                       data={"csrf_token": token, "version": offer.version}).status_code == 302
    db.session.expire_all()
    assert not offer.active
    actions = list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("offer.%"))
                                      .order_by(AuditEntry.id)))
    assert actions == ["offer.create", "offer.update", "offer.deactivate"]
    assert "ESIM50" in client.get("/promotions/").get_data(as_text=True)


def test_offer_pages_are_for_admins_only(client, login):
    login(Role.SUPERVISOR, region=0)
    assert client.get("/promotions/").status_code == 403
