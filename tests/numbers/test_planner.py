"""The search planner (portal/numbers/planner.py): every plan gives what a brute-force filter gives.

The planner picks between collecting the matches, walking the sort index, and walking one price at
a time, from the capped count; with tiny caps and budgets, a small inventory exercises every branch.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from portal.numbers import planner, search
from portal.numbers.classes import CLASS_LABELS, DEFAULT_PRICE_TIERS
from portal.numbers.formatting import OPERATOR_PREFIXES
from portal.numbers.models import NumberStatus, PhoneNumber
from portal.numbers.patterns import parse_pattern
from portal.numbers.search import NumberQuery, search_numbers
from portal.numbers.services import add_numbers, generate_numbers

PRICES = sorted(set(DEFAULT_PRICE_TIERS.values()))
digits = st.text("0123456789", max_size=4)


def often_empty(strategy):
    return st.one_of(st.just(""), st.just(""), strategy)


@pytest.fixture
def inventory(db):
    add_numbers(generate_numbers(600, seed=11))
    ids = db.session.scalars(select(PhoneNumber.id).order_by(PhoneNumber.id)).all()
    db.session.execute(update(PhoneNumber).where(PhoneNumber.id.in_(ids[::7])).values(status=NumberStatus.HELD))
    db.session.execute(update(PhoneNumber).where(PhoneNumber.id.in_(ids[3::11])).values(price=123_000,
                                                                                         price_is_custom=True))
    db.session.commit()
    return [(n.number, n.price, n.beauty, n.number_class) for n in db.session.scalars(
        select(PhoneNumber).where(PhoneNumber.status == NumberStatus.AVAILABLE))]


def brute_force(rows, q: NumberQuery) -> list[str]:
    pattern = parse_pattern(q.pattern) if q.pattern else None
    found = [r for r in rows
             if (pattern is None or pattern.matches(r[0])) and r[0].startswith(q.prefix) and q.contains in r[0]
             and r[0].endswith(q.ends_with) and not set(q.avoid) & set(r[0])
             and (not q.number_class or r[3] == q.number_class)
             and (q.min_price is None or r[1] >= q.min_price) and (q.max_price is None or r[1] <= q.max_price)]
    key = {"price": lambda r: (r[1], r[0]), "price_desc": lambda r: (r[1], r[0]),
           "beauty": lambda r: (r[2], r[0]), "number": lambda r: r[0]}[q.sort]
    return [r[0] for r in sorted(found, key=key, reverse=q.sort in ("price_desc", "beauty"))]


queries = st.builds(
    NumberQuery,
    pattern=st.sampled_from(["", "", "", "09*", "*68", "0*8*", "07xxxxxxx9", "*9*9"]),
    prefix=often_empty(st.one_of(st.sampled_from(OPERATOR_PREFIXES).flatmap(
        lambda p: st.text("0123456789", max_size=2).map(lambda t: p + t)), st.sampled_from(["0", "07", "09"]))),
    contains=often_empty(digits),
    ends_with=often_empty(st.text("0123456789", max_size=3)),
    avoid=often_empty(st.text("123456789", min_size=1, max_size=3)),
    number_class=often_empty(st.sampled_from(sorted(CLASS_LABELS))),
    min_price=st.one_of(st.none(), st.sampled_from(PRICES[:8])),
    max_price=st.one_of(st.none(), st.sampled_from(PRICES[4:] + [123_000])),
    sort=st.sampled_from(search.SORTS),
    page=st.integers(1, 4),
    per_page=st.sampled_from([1, 3, 10]),
)


@pytest.mark.parametrize("cap, walk_rows, walk_steps, max_arms", [
    (10_000, 30_000, 250_000, 40),  # the real settings: small searches are collected
    (5, 30_000, 250_000, 40),  # tiny cap: most searches walk (or walk per price)
    (5, 40, 1_000, 40),  # tiny budgets: walks give up and collect
    (5, 30_000, 250_000, 2),  # too many prices for arms: plain walks
])
def test_every_plan_gives_the_brute_force_answer(inventory, monkeypatch, cap, walk_rows, walk_steps, max_arms):
    monkeypatch.setattr(search, "COUNT_CAP", cap)
    monkeypatch.setattr(search, "MAX_WINDOW", 10_000)
    monkeypatch.setattr(planner, "WALK_ROWS", walk_rows)
    monkeypatch.setattr(planner, "WALK_STEPS", walk_steps)
    monkeypatch.setattr(planner, "MAX_ARMS", max_arms)

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(q=queries)
    def check(q):
        if q.min_price is not None and q.max_price is not None and q.min_price > q.max_price:
            return
        expected = brute_force(inventory, q)
        got = search_numbers(q)
        start = (q.page - 1) * q.per_page
        assert [n.number for n in got.items] == expected[start:start + q.per_page], q
        assert (got.total, got.total_capped) == (min(len(expected), cap), len(expected) > cap), q

    check()


def test_avoid_skips_the_prefixes_holding_an_avoided_digit():
    plan = planner.Plan(NumberStatus.AVAILABLE, mask=1 << 7)  # avoid 7: 070-079 cannot match
    assert plan.number_range() == ("089", "094")
    assert planner.Plan(NumberStatus.AVAILABLE, prefix="0903", mask=1 << 7).number_range() == ("0903", "0904")
    assert planner.Plan(NumberStatus.AVAILABLE, mask=(1 << 9) | (1 << 8)).number_range() == ("070", "078")
    low, high = planner.Plan(NumberStatus.AVAILABLE, mask=1).number_range()  # every prefix holds a 0
    assert low >= high
