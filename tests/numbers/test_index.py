"""The search index (portal/numbers/index.py): every search gives what a brute-force filter over the table gives.

With tiny thresholds the same small inventory goes through both ways of making a page (sorting the
matches, walking the order); the index follows the table's changes (holds, prices, new numbers).
"""
from __future__ import annotations

import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from portal.numbers import index, search
from portal.numbers.classes import CLASS_LABELS, DEFAULT_PRICE_TIERS
from portal.numbers.formatting import OPERATOR_PREFIXES
from portal.numbers.models import NumberStatus, PhoneNumber
from portal.numbers.patterns import parse_pattern
from portal.numbers.search import NumberQuery, search_numbers
from portal.numbers.services import NewNumber, add_numbers, generate_numbers

PRICES = sorted(set(DEFAULT_PRICE_TIERS.values()))
digits = st.text("0123456789", max_size=4)


def often_empty(strategy):
    return st.one_of(st.just(""), st.just(""), strategy)


def table(db, status: NumberStatus | None = NumberStatus.AVAILABLE):
    rows = select(PhoneNumber) if status is None else select(PhoneNumber).where(PhoneNumber.status == status)
    return [(n.number, n.price, n.beauty, n.number_class, n.region_id) for n in db.session.scalars(rows)]


@pytest.fixture
def inventory(db):
    add_numbers(generate_numbers(600, seed=11))
    ids = db.session.scalars(select(PhoneNumber.id).order_by(PhoneNumber.id)).all()
    db.session.execute(update(PhoneNumber).where(PhoneNumber.id.in_(ids[::7])).values(status=NumberStatus.HELD))
    db.session.execute(update(PhoneNumber).where(PhoneNumber.id.in_(ids[3::11])).values(price=123_000,
                                                                                         price_is_custom=True))
    db.session.commit()
    return table(db)


def brute_force(rows, q: NumberQuery) -> list[str]:
    pattern = parse_pattern(q.pattern) if q.pattern else None
    found = [r for r in rows
             if (pattern is None or pattern.matches(r[0])) and r[0].startswith(q.prefix) and q.contains in r[0]
             and r[0].endswith(q.ends_with) and not set(q.avoid) & set(r[0])
             and (not q.number_class or r[3] == q.number_class)
             and (q.min_price is None or r[1] >= q.min_price) and (q.max_price is None or r[1] <= q.max_price)
             and (q.region_id is None or r[4] == q.region_id)]
    key = {"price": lambda r: (r[1], r[0]), "price_desc": lambda r: (r[1], r[0]),
           "beauty": lambda r: (r[2], r[0]), "number": lambda r: r[0]}[q.sort]
    return [r[0] for r in sorted(found, key=key, reverse=q.sort in ("price_desc", "beauty"))]


queries = st.builds(
    NumberQuery,
    pattern=st.one_of(st.sampled_from(["", "", "", "09*", "*68", "0*8*", "07xxxxxxx9", "*9*9", "*1*2*3*",
                                       "*xx8*8x*", "09*x*6"]),
                      st.text("0123456789x*", min_size=1, max_size=6).filter(lambda t: t.strip("*"))
                      .map(lambda t: "*" + t + "*")),
    prefix=often_empty(st.one_of(st.sampled_from(OPERATOR_PREFIXES).flatmap(
        lambda p: st.text("0123456789", max_size=2).map(lambda t: p + t)), st.sampled_from(["0", "07", "09"]))),
    contains=often_empty(digits),
    ends_with=often_empty(st.text("0123456789", max_size=3)),
    avoid=often_empty(st.text("123456789", min_size=1, max_size=3)),
    number_class=often_empty(st.sampled_from(sorted(CLASS_LABELS))),
    min_price=st.one_of(st.none(), st.sampled_from(PRICES[:8])),
    max_price=st.one_of(st.none(), st.sampled_from(PRICES[4:] + [123_000])),
    sort=st.sampled_from(search.SORTS),
    region_id=st.one_of(st.none(), st.none(), st.integers(0, 10)),  # regional staff: their home region only
    page=st.integers(1, 4),
    per_page=st.sampled_from([1, 3, 10]),
)


@pytest.mark.parametrize("extract_max, segments", [
    (100_000, 32),  # the real settings: a small inventory's matches are sorted
    (0, 32),  # every page reads the segments of the order it falls in (about 20 ids a segment here)
    (0, 1),  # one segment: the whole order
])
def test_every_search_gives_the_brute_force_answer__HOLD_1(inventory, monkeypatch, extract_max, segments):
    monkeypatch.setattr(index, "EXTRACT_MAX", extract_max)
    monkeypatch.setattr(index, "SEGMENTS", segments)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(q=queries)
    def check(q):
        if q.min_price is not None and q.max_price is not None and q.min_price > q.max_price:
            return
        expected = brute_force(inventory, q)
        got = search_numbers(q)
        start = (q.page - 1) * q.per_page
        assert [n.number for n in got.items] == expected[start:start + q.per_page], q
        assert (got.total, got.total_capped) == (len(expected), False), q

    check()


def test_patterns_place_every_run_in_order__HOLD_1(inventory, db):
    """The placements of ``*`` runs against Python's regex over every number (any status)."""
    every = [r[0] for r in table(db, None)]
    for text in ["*68*68", "*6*8*6*8*", "0*9", "*x0x*", "09*", "*", "09xx*xx9*", "*3x*x3*", "*123456789*", "0*0*0*0*0"]:
        regex = re.compile("".join({"*": "[0-9]*", "x": "[0-9]"}.get(c, c) for c in text))
        q = NumberQuery(pattern=text, status=None, sort="number", per_page=100)
        want = sorted(n for n in every if regex.fullmatch(n))
        assert search_numbers(q).total == len(want), text
        assert [n.number for n in search_numbers(q).items] == want[:100], text


def test_the_index_follows_the_table__HOLD_1(inventory, db):
    """Holds, releases, price changes and new numbers show in the next search (SPEC HOLD-1)."""
    q = NumberQuery(ends_with="0", sort="price", per_page=100)
    first = search_numbers(q)
    assert first.total == len(brute_force(table(db), q))
    gone = first.items[0].number
    db.session.execute(update(PhoneNumber).where(PhoneNumber.number == gone).values(status=NumberStatus.HELD))
    db.session.commit()
    assert gone not in [n.number for n in search_numbers(q).items]
    assert search_numbers(q).total == first.total - 1

    last = first.items[-1].number  # dearest (or last by number) of the page: made the cheapest of all
    db.session.execute(update(PhoneNumber).where(PhoneNumber.number == last).values(price=1, price_is_custom=True))
    db.session.commit()
    assert search_numbers(q).items[0].number == last

    add_numbers([NewNumber("0909000000"), NewNumber("0909000010")])
    db.session.commit()
    found = search_numbers(NumberQuery(prefix="0909000", ends_with="0", sort="number"))
    assert [n.number for n in found.items][:2] == ["0909000000", "0909000010"]
    assert search_numbers(q).total == len(brute_force(table(db), q))


def test_an_import_past_the_headroom_grows_the_index(db):
    add_numbers(generate_numbers(50, seed=3))
    db.session.commit()
    assert search_numbers(NumberQuery()).total == 50
    with index.lock:
        capacity = index.current().capacity
    add_numbers(generate_numbers(capacity + 200, seed=4))
    db.session.commit()
    assert search_numbers(NumberQuery(per_page=5)).total == len(table(db))
    q = NumberQuery(contains="68", sort="beauty")
    assert [n.number for n in search_numbers(q).items] == brute_force(table(db), q)[:20]


@pytest.mark.usefixtures("committed_db")
def test_a_stale_index_is_rebuilt_in_the_background(inventory, db, app, monkeypatch):
    with index.lock:
        old = index.current()
    monkeypatch.setitem(app.config, "SEARCH_INDEX_REBUILD_SECONDS", 0)
    search_numbers(NumberQuery())  # starts the rebuild
    monkeypatch.setitem(app.config, "SEARCH_INDEX_REBUILD_SECONDS", 3600)
    for _ in range(500):
        if not index._building:
            break
        time.sleep(0.02)
    with index.lock:
        assert index._indexes[index._key()][0] is not old
    q = NumberQuery(contains="8", sort="price_desc")
    assert [n.number for n in search_numbers(q).items] == brute_force(table(db), q)[:20]


@pytest.mark.usefixtures("committed_db")
def test_a_web_process_builds_its_index_on_its_first_request(inventory, db, app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SEARCH_INDEX_WARM_UP", True)
    assert index._key() not in index._indexes
    client.get("/healthz")
    for _ in range(500):
        if not index._building:
            break
        time.sleep(0.02)
    with index.lock:
        assert index.count(index._indexes[index._key()][0].exists) == len(table(db, None))


@pytest.mark.usefixtures("committed_db")
def test_searches_in_threads_beside_writes_end_with_the_table(inventory, db, app):
    """Several request threads search while numbers are held and released; then the index is the table."""
    import threading

    ids = db.session.scalars(select(PhoneNumber.id).order_by(PhoneNumber.id)).all()
    stop, errors = threading.Event(), []

    def searcher():
        with app.app_context():
            try:
                while not stop.is_set():
                    search_numbers(NumberQuery(contains="8", sort="beauty"))
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=searcher) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(0, 120, 3):
        db.session.execute(update(PhoneNumber).where(PhoneNumber.id.in_(ids[i:i + 3]))
                           .values(status=NumberStatus.HELD if i % 2 else NumberStatus.AVAILABLE))
        db.session.commit()
    stop.set()
    for t in threads:
        t.join()
    assert not errors
    q = NumberQuery(contains="8", sort="beauty", per_page=100)
    got, want = search_numbers(q), brute_force(table(db), q)
    assert ([n.number for n in got.items], got.total) == (want[:100], len(want))
