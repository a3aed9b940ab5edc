"""One search service for the back office, the customer web/app and the partner API.

The four modes of the app (by conditions, by name, feng-shui, pairs). A search by conditions (and by
name, which is "contains" the name's keypad digits) is answered by the in-memory search index
(portal/numbers/index.py), with an exact total; its page's rows come from the table. Feng-shui and
pairs are queries on the table's indexes (see docs/search.md), with totals exact up to ``COUNT_CAP``;
past it the answer says "more than".
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from blinker import Namespace
from flask_babel import gettext as _
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    union,
    union_all,
)
from sqlalchemy.orm import aliased

from portal.core.errors import Invalid
from portal.core.time import utcnow
from portal.extensions import db
from portal.numbers import fengshui, index
from portal.numbers.classes import CLASS_LABELS
from portal.numbers.keypad import NameInputError, name_to_digits
from portal.numbers.models import NumberPair, NumberStatus, PairKind, PhoneNumber
from portal.numbers.patterns import PatternError, digits_only, parse_pattern

COUNT_CAP = 10_000
UNAVAILABLE_MAX = 20_000  # pairs: numbers not available, beyond which pairs are counted by a join
MAX_WINDOW = 10_000  # deepest row a page may reach: narrow the search instead of paging further
MAX_PER_PAGE = 100
SORTS = ("price", "price_desc", "beauty", "number")
LAPSED_MAX = 1_000  # lapsed holds' numbers a search offers (more only while the sweeper is stopped)

# A number whose hold has lapsed (unpaid, past its expiry) stays marked held until the sweeper frees it, up to a
# minute later; searches offer it at once. The holds domain knows when a hold has lapsed: it answers this signal
# with a SELECT of those holds' number ids, the moment being its ``:now`` parameter (a signal, because holds
# imports numbers and not the other way round). The statement is built once; every search only runs it.
lapsed_holds = Namespace().signal("lapsed-holds")
_lapsed_statement: list[Select | None] = []


@dataclass(frozen=True)
class NumberQuery:
    pattern: str = ""
    prefix: str = ""
    contains: str = ""
    ends_with: str = ""
    avoid: str = ""
    number_class: str = ""
    min_price: int | None = None
    max_price: int | None = None
    sort: str = "price"
    page: int = 1
    per_page: int = 20
    status: NumberStatus | None = NumberStatus.AVAILABLE  # None: any status (back office)
    region_id: int | None = None  # None: every region; else one home region's numbers (regional staff)


@dataclass
class SearchPage:
    items: list[Any]
    page: int
    per_page: int
    total: int
    total_capped: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _invalid_from(exc: PatternError | NameInputError) -> Invalid:
    return Invalid(exc.code, str(exc))


def _check_paging(page: int, per_page: int) -> None:
    if per_page < 1 or per_page > MAX_PER_PAGE:
        raise Invalid("per_page_out_of_range", _("Số kết quả mỗi trang phải từ 1 đến %(n)d.", n=MAX_PER_PAGE))
    if page < 1:
        raise Invalid("page_out_of_range", _("Số trang phải từ 1 trở lên."))
    if (page - 1) * per_page >= MAX_WINDOW:
        raise Invalid("page_out_of_range",
                      _("Chỉ xem được %(n)d kết quả đầu tiên. Vui lòng thu hẹp điều kiện tìm kiếm.", n=MAX_WINDOW))


def no_jit() -> None:
    """PostgreSQL: no JIT compilation in this transaction (feng-shui counts and pairs read few rows, but
    the planner's cost estimate could pass ``jit_above_cost``: compiling took 50-60 ms, bench 1M)."""
    if db.engine.dialect.name != "sqlite":
        db.session.execute(text("SET LOCAL jit = off"))


def lapsed_numbers() -> dict[int, int | None]:
    """The numbers still marked held by a lapsed hold, which every search offers as available: id → fs_key."""
    if not _lapsed_statement:
        held = [select_ids for _receiver, select_ids in lapsed_holds.send() if select_ids is not None]
        _lapsed_statement.append(select(PhoneNumber.id, PhoneNumber.fs_key).where(
            or_(*(PhoneNumber.id.in_(ids) for ids in held)), PhoneNumber.status == NumberStatus.HELD)
            .limit(LAPSED_MAX) if held else None)
    if _lapsed_statement[0] is None:
        return {}
    # Core on the session's connection: the ORM's layer cost more than the statement (bench.search)
    return dict(db.session.connection().execute(_lapsed_statement[0], {"now": utcnow()}).tuples().all())


def _offered(model: Any, lapsed: Collection[int]) -> ColumnElement[bool]:
    """Available, or held by a lapsed hold (``lapsed``: ids from ``lapsed_numbers``)."""
    available = model.status == NumberStatus.AVAILABLE
    return or_(available, model.id.in_(lapsed)) if lapsed else available


def _page(query: index.Query, sort: str, page: int, per_page: int) -> SearchPage:
    """The matches from the search index (exact total), the page's rows from the table."""
    with index.lock:
        numbers = index.current()
        total, ids = numbers.page(numbers.matches(query), sort, (page - 1) * per_page, per_page)
    by_id = {r.id: r for r in db.session.scalars(select(PhoneNumber).where(PhoneNumber.id.in_(ids)))} if ids else {}
    return SearchPage([by_id[i] for i in ids if i in by_id], page, per_page, total)


def search_numbers(q: NumberQuery) -> SearchPage:
    """Search by conditions: pattern (* any run, x one digit), prefix, contains, ends with, avoid, class, price."""
    _check_paging(q.page, q.per_page)
    if q.sort not in SORTS:
        raise Invalid("bad_sort", _("Kiểu sắp xếp không hợp lệ."))
    if q.number_class and q.number_class not in CLASS_LABELS:
        raise Invalid("bad_class", _("Loại số không hợp lệ."))
    for value in (q.min_price, q.max_price):
        if value is not None and value < 0:
            raise Invalid("price_negative", _("Giá không được âm."))
    if q.min_price is not None and q.max_price is not None and q.min_price > q.max_price:
        raise Invalid("price_range_reversed", _("Giá từ phải nhỏ hơn hoặc bằng giá đến."))
    query = index.Query(q.status, number_class=q.number_class, min_price=q.min_price, max_price=q.max_price,
                        region_id=q.region_id,
                        lapsed=list(lapsed_numbers()) if q.status == NumberStatus.AVAILABLE else [])
    try:
        if q.pattern:
            query.patterns.append(parse_pattern(q.pattern).text)
        prefix = digits_only(q.prefix)
        contains = digits_only(q.contains)
        ends_with = digits_only(q.ends_with)
        query.avoid = digits_only(q.avoid)
    except PatternError as exc:
        raise _invalid_from(exc) from None
    query.patterns += [p for p, given in ((f"{prefix}*", prefix), (f"*{contains}*", contains),
                                          (f"*{ends_with}", ends_with)) if given]
    return _page(query, q.sort, q.page, q.per_page)


def name_digits(name: str) -> str:
    """The keypad digits to look for: the whole name if it fits in a number, else its last words.

    A Vietnamese given name is the last word, so "Nguyễn Thị Mai" falls back to "Thị Mai", then "Mai".
    """
    try:
        name_to_digits(name)  # validates the whole input (letters, length)
        words = name.split()
        for start in range(len(words)):
            digits = name_to_digits(" ".join(words[start:]))
            if len(digits) <= 7:  # room for the three-digit prefix
                return digits
        return name_to_digits(words[-1])[:7]
    except NameInputError as exc:
        raise _invalid_from(exc) from None


def search_by_name(name: str, page: int = 1, per_page: int = 20, sort: str = "price") -> SearchPage:
    """Numbers that spell the name on a phone keypad (Nguyễn Mai = nguyen mai; đ → d)."""
    digits = name_digits(name)
    result = search_numbers(NumberQuery(contains=digits, page=page, per_page=per_page, sort=sort))
    result.extra["digits"] = digits
    return result


@dataclass(frozen=True)
class ScoredNumber:
    number: PhoneNumber
    score: float
    reasons: list[str]


def search_feng_shui(birth_date: dt.date, page: int = 1, per_page: int = 20, min_score: float = 7.0) -> SearchPage:
    """Available numbers scored for an owner born on ``birth_date``: best score first, then cheapest."""
    _check_paging(page, per_page)
    today = dt.date.today()
    if not dt.date(1900, 1, 1) <= birth_date <= today:
        raise Invalid("bad_birth_date", _("Ngày sinh không hợp lệ."))
    scores = {key: fengshui.score_key(key, birth_date) for key in fengshui.possible_keys()}
    keys = sorted((k for k, s in scores.items() if s.score >= min_score), key=lambda k: (-scores[k].score, k))
    if not keys:
        return SearchPage([], page, per_page, 0)
    no_jit()
    lapsed_by_key: dict[int | None, list[int]] = defaultdict(list)
    for number_id, key in lapsed_numbers().items():
        lapsed_by_key[key].append(number_id)
    counts = _key_counts(keys, {key: len(ids) for key, ids in lapsed_by_key.items()})
    total = sum(counts.values())
    offset, items = (page - 1) * per_page, []
    for key in keys:  # walk the keys best-first, reading only the ones this page needs
        n = counts.get(key, 0)
        if offset >= n:
            offset -= n
            continue
        rows = db.session.scalars(
            select(PhoneNumber).where(_offered(PhoneNumber, lapsed_by_key.get(key, ())), PhoneNumber.fs_key == key)
            .order_by(PhoneNumber.price, PhoneNumber.number).limit(per_page - len(items)).offset(offset)
        ).all()
        items.extend(ScoredNumber(r, scores[key].score, scores[key].reasons) for r in rows)
        offset = 0
        if len(items) >= per_page:
            break
    element, can_chi = fengshui.birth_element(birth_date)
    return SearchPage(items, page, per_page, min(total, COUNT_CAP), total > COUNT_CAP,
                      extra={"element": element, "can_chi": can_chi, "min_score": min_score})


def _key_counts(keys: list[int], lapsed: dict[int | None, int]) -> dict[int, int]:
    """Available numbers per feng-shui key (with ``lapsed``: held by a lapsed hold, per key), best key first,
    until the counts pass ``COUNT_CAP``.

    Each key is counted with a LIMIT of what is still needed, a few keys per statement (8, then 32,
    then the rest): a total past the cap reads about ``COUNT_CAP`` index entries, not every key's rows.
    """
    counts: dict[int, int] = {}
    needed, start, batch = COUNT_CAP + 1, 0, 8
    while start < len(keys) and needed > 0:
        chunk = keys[start:start + batch]
        parts = [select(literal(key).label("key"), select(func.count()).select_from(
            select(literal_column("1")).where(PhoneNumber.status == NumberStatus.AVAILABLE, PhoneNumber.fs_key == key)
            .limit(needed).subquery()).scalar_subquery().label("n")) for key in chunk]
        found = dict(db.session.execute(union_all(*parts)).all())
        for key in chunk:
            if needed <= 0:
                break
            counts[key] = found.get(key, 0) + lapsed.get(key, 0)
            needed -= counts[key]
        start, batch = start + batch, min(batch * 4, 128)  # SQLite allows 500 terms in a compound SELECT
    return counts


def _pair_count(kind_filter: list[Any], lapsed: Collection[int]) -> int:
    """Pairs with both numbers offered, counted up to ``COUNT_CAP`` + 1 without joining every pair.

    Pairs of the kind, less those touching a number that is not available (held, sold, locked: few,
    found through the status indexes; a lapsed hold's number counts as available). Past ``UNAVAILABLE_MAX``
    such numbers, the plain join counts.
    """
    others = [s for s in NumberStatus if s != NumberStatus.AVAILABLE]  # an IN list: the status indexes seek it
    unavailable = select(PhoneNumber.id).where(PhoneNumber.status.in_(others))
    if lapsed:
        unavailable = unavailable.where(PhoneNumber.id.not_in(lapsed))
    n_unavailable = db.session.scalar(select(func.count()).select_from(
        unavailable.limit(UNAVAILABLE_MAX + 1).subquery())) or 0
    if n_unavailable > UNAVAILABLE_MAX:
        first, second = aliased(PhoneNumber), aliased(PhoneNumber)
        both = (select(NumberPair.id).join(first, first.id == NumberPair.first_id)
                .join(second, second.id == NumberPair.second_id)
                .where(_offered(first, lapsed), _offered(second, lapsed), *kind_filter))
        return db.session.scalar(select(func.count()).select_from(both.limit(COUNT_CAP + 1).subquery())) or 0
    touching = union(select(NumberPair.id).where(NumberPair.first_id.in_(unavailable), *kind_filter),
                     select(NumberPair.id).where(NumberPair.second_id.in_(unavailable), *kind_filter))
    bad = db.session.scalar(select(func.count()).select_from(touching.subquery())) or 0
    pairs = db.session.scalar(select(func.count()).select_from(
        select(NumberPair.id).where(*kind_filter).limit(COUNT_CAP + 1 + bad).subquery())) or 0
    return pairs - bad


def search_pairs(kind: str | None = None, page: int = 1, per_page: int = 20) -> SearchPage:
    """Sim đôi / sim cặp: pairs whose two numbers are both available, in a stable order."""
    _check_paging(page, per_page)
    first, second = aliased(PhoneNumber), aliased(PhoneNumber)
    kind_filter = []
    if kind:
        try:
            kind_filter.append(NumberPair.kind == PairKind(kind))
        except ValueError:
            raise Invalid("bad_pair_kind", _("Loại cặp số không hợp lệ.")) from None
    lapsed = list(lapsed_numbers())
    conditions = [_offered(first, lapsed), _offered(second, lapsed), *kind_filter]
    no_jit()
    n = _pair_count(kind_filter, lapsed)
    rows = db.session.execute(
        select(NumberPair, first, second).join(first, first.id == NumberPair.first_id)
        .join(second, second.id == NumberPair.second_id).where(and_(*conditions))
        .order_by(NumberPair.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return SearchPage([tuple(r) for r in rows], page, per_page, min(n, COUNT_CAP), n > COUNT_CAP)
