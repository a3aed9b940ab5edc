"""The calls' reference data kept in each process (portal.calls.reference): routing rules, business hours,
holidays and region names are read once per version number in Redis; a change made by another process (its
rows committed, then its version bump) is seen by this process's next request, and a change made here through the
ORM (the admin screens) drops this process's copy at once and bumps the version at the commit."""
from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import insert, select, update

from portal.calls import configuration, hours, reference, routing
from portal.calls.models import BusinessHours, Holiday, RoutingRule
from portal.core import redis as portal_redis
from portal.core.time import vietnam_to_utc
from portal.extensions import db as _db
from portal.org.models import Region
from tests.calls.conftest import executed
from tests.conftest import writing_now

MONDAY_NOON = vietnam_to_utc(datetime(2026, 12, 7, 12, 0))


def _other_process(statement) -> None:
    """A write that this process's session never sees (no flush, no ORM statement): another process's."""
    _db.session.connection().execute(statement)


def _statements(run) -> int:
    with executed() as seen:
        run()
    return len(seen)


def _version() -> int:
    return int(portal_redis.connection().get(reference.VERSION_KEY) or 0)


def test_another_process_s_hours_are_seen_once_its_version_moves(db):
    assert hours.is_open(1, MONDAY_NOON)  # no hours: always open, and the tables are now kept
    _other_process(insert(BusinessHours.__table__).values(
        [{"region_id": 1, "weekday": day, "opens": time(13), "closes": time(17), "version": 1} for day in range(7)]))
    assert hours.is_open(1, MONDAY_NOON)  # the copy is kept while nobody says the tables changed
    portal_redis.connection().incr(reference.VERSION_KEY)  # the other process's changed(), after its commit
    assert not hours.is_open(1, MONDAY_NOON)  # the next look reads them again: opens at 13:00 now
    assert hours.hours_text(1).startswith("Thứ Hai 13:00–17:00")


def test_another_process_s_rule_holiday_and_region_name_are_seen_at_the_next_request(app, db):
    class Dossier:  # what routing reads of a dossier
        region_id, province, ticket = 1, "Huế", None

    with app.test_request_context():
        assert routing.region_for(Dossier) == 1 and not reference.current().is_holiday(1, date(2026, 12, 7))
        _other_process(insert(RoutingRule.__table__).values(province="Huế", channel="", region_id=3, priority=1,
                                                            version=1))
        _other_process(insert(Holiday.__table__).values(region_id=None, day=date(2026, 12, 7), label="Nghỉ",
                                                        version=1))
        _other_process(update(Region.__table__).where(Region.__table__.c.id == 1).values(name="Vùng Một"))
        portal_redis.connection().incr(reference.VERSION_KEY)
        assert routing.region_for(Dossier) == 1  # within a request: the copy it started with
    with app.test_request_context():  # the next request
        assert routing.region_for(Dossier) == 3
        assert reference.current().is_holiday(2, date(2026, 12, 7))
        assert reference.current().region_names[1] == "Vùng Một"


def test_one_redis_read_per_request_and_no_statement_while_the_version_holds(app, db):
    reference.current()  # the copy is read
    with app.test_request_context():
        assert _statements(lambda: (hours.is_open(1, MONDAY_NOON), hours.hours_text(1), reference.current())) == 0


def test_an_admin_change_here_is_seen_at_once_and_bumps_the_version_at_the_commit(committed_db):
    db = committed_db
    monday = date(2026, 12, 7)
    assert not hours.is_holiday(1, monday)
    before = _version()
    with writing_now(db):
        configuration.add_holiday({"region_id": None, "day": monday, "label": "Nghỉ bù"})
        assert reference._cache.reference is None  # this process's copy went at the flush
        assert not hours.is_holiday(1, monday)  # what is committed: the holiday is not, yet
        assert _version() == before  # the others must not read before the commit
        db.session.commit()
    assert _version() == before + 1 and hours.is_holiday(1, monday)
    with writing_now(db):
        db.session.execute(update(Holiday).values(day=date(2026, 12, 8)))  # an ORM statement, no flush
        db.session.commit()
    assert _version() == before + 2 and not hours.is_holiday(1, monday)


def test_a_rolled_back_change_leaves_the_version_and_the_tables_as_committed(committed_db):
    db = committed_db
    before = _version()
    with writing_now(db):
        configuration.add_holiday({"region_id": None, "day": date(2026, 12, 7), "label": "Nghỉ bù"})
        db.session.rollback()
    assert _version() == before and not hours.is_holiday(1, date(2026, 12, 7))
    assert db.session.scalar(select(Holiday.id)) is None
