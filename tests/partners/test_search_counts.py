"""Searches counted per day and channel (issue 14, partners report): partner API, app API and the web search page
each bump their own row with one upsert; refused searches are not counted."""
from __future__ import annotations

from sqlalchemy import select


def _counts(db) -> dict[str, int]:
    from portal.numbers.models import SearchCount

    db.session.expire_all()
    return {row.channel: row.n for row in db.session.scalars(select(SearchCount))}


def test_searches_are_counted_per_channel_and_day(app, db, api, stock):
    from portal.core.time import vietnam_today
    from portal.numbers.models import SearchCount

    stock("0903126868", "0933556868")
    partner_channel = f"partner:{api.partner.id}"
    for _ in range(3):
        assert api.get("/numbers", pattern="09*6868").status_code == 200
    assert api.get("/numbers/by-name", name="An").status_code == 200
    client = app.test_client()
    assert client.get("/api/app/v1/numbers", query_string={"contains": "6868"}).status_code == 200
    assert client.get("/api/app/v1/numbers/pairs").status_code == 200
    assert client.get("/chonso/tim-so", query_string={"mode": "dieu-kien", "pattern": "09*6868"}).status_code == 200
    assert _counts(db) == {partner_channel: 4, "app": 2, "web": 1}
    assert {row.day for row in db.session.scalars(select(SearchCount))} == {vietnam_today()}


def test_a_refused_search_is_not_counted(app, db, api):
    assert api.get("/numbers", pattern="abc").status_code == 422
    assert app.test_client().get("/api/app/v1/numbers", query_string={"per_page": 0}).status_code == 422
    assert _counts(db) == {}
