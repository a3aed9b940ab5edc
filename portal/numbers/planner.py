"""How a search by conditions reaches its rows: count first, then pick the plan for the page.

The count (capped at ``COUNT_CAP`` + 1) runs with every condition in its seekable form, so the engine
starts from its narrowest index and stops after the cap. Its answer then picks the page's plan
(docs/search.md has the reasoning and the figures):

* **collect**: at most ``COUNT_CAP`` matches — read them through the same narrow index and sort them
  (the sort keys are written so that no index order can be used: ``price + 0``);
* **arms**: many matches, and the requested order runs against a number range or a price filter
  (``prefix=093`` by price: the 093 numbers come last within each price) — one small ordered walk per
  distinct price (found by a skip scan of the ``(status, price, …)`` index), merged;
* **walk**: many matches spread through the order — walk the sort index and stop after one page, with
  the other conditions as plain filters (written so that no index can serve them).

Every plan returns the same rows in the same order; tests/numbers/test_planner.py checks that
against a brute-force filter.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, Select, String, any_, func, literal, literal_column, select, text, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import aliased

from portal.extensions import db
from portal.numbers.formatting import OPERATOR_PREFIXES
from portal.numbers.models import NumberStatus, PhoneNumber

TRIGRAM = 3
WALK_ROWS = 20_000  # PostgreSQL: index rows a walk may read before the search collects instead
WALK_STEPS = 250_000  # SQLite: virtual-machine steps a walk may take (about 7 per row read)
TICK = 1_000  # SQLite: steps between two looks at the budget
MAX_ARMS = 40  # distinct prices beyond which the per-price walks cost more than they save
NARROW_PREFIX = 4  # known leading digits that make the number range narrow (0903: 1/80 of the inventory)
NARROW_SUFFIX = 2  # known trailing digits that make the reversed range narrow (…68: about 1/50)

# The sort orders: natural keys (what an index walk follows) and the keys of the merged arms.
SORT_KEYS = {
    "price": (("price", False), ("number", False)),
    "price_desc": (("price", True), ("number", True)),
    "beauty": (("beauty", True), ("number", True)),
    "number": (("number", False),),
}


def _order(target: Any, sort: str) -> list[Any]:
    return [getattr(target, c).desc() if desc else getattr(target, c) for c, desc in SORT_KEYS[sort]]


def budgeted(stmt: Select, scalars: bool = True) -> list[Any] | None:
    """The rows of a walk, or None when it reads more than its budget (the caller then collects).

    SQLite: a progress handler stops the statement after ``WALK_STEPS`` virtual-machine steps (about
    30,000 index rows, 10-20 ms). PostgreSQL: the walk bounds itself (``Plan.walk``), so this only runs it.
    """
    run = db.session.scalars if scalars else db.session.execute
    if not is_sqlite():
        return list(run(stmt).all())
    raw = db.session.connection().connection.dbapi_connection
    ticks = 0

    def tick() -> int:
        nonlocal ticks
        ticks += 1
        return ticks > WALK_STEPS // TICK

    raw.set_progress_handler(tick, TICK)
    try:
        return list(run(stmt).all())
    except OperationalError:
        if ticks > WALK_STEPS // TICK:
            return None
        raise
    finally:
        raw.set_progress_handler(None, 0)


def is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def no_jit() -> None:
    """PostgreSQL: no JIT compilation in this transaction.

    A search reads at most a few thousand rows, but the planner's cost of a bounded walk can pass
    ``jit_above_cost``; compiling then took 50-60 ms of a 200 ms query (EXPLAIN ANALYZE, bench 1M).
    """
    if not is_sqlite():
        db.session.execute(text("SET LOCAL jit = off"))


def _successor(digits: str) -> str:
    """The smallest string above every string starting with ``digits`` ("093" → "094", "09" → "0:")."""
    return digits[:-1] + chr(ord(digits[-1]) + 1)


def _longest_literal_run(like: str) -> int:
    best = run = 0
    for ch in like:
        run = run + 1 if ch.isdigit() else 0
        best = max(best, run)
    return best


def plain(column: str) -> Any:
    """``phone_number.column`` written so that SQLite cannot serve it from an index (a filter only).

    PostgreSQL keeps the column as it is: it plans from statistics, and a wrapped column would
    get its default guess (0.5 %) and lead it to a bitmap scan and a sort.
    """
    col = getattr(PhoneNumber, column)
    return literal_column(f"+phone_number.{column}", col.type) if is_sqlite() else col


def sort_key(column: str) -> Any:
    """``phone_number.column`` as a sort key no index order can give: the matches are sorted."""
    col = getattr(PhoneNumber, column)
    if is_sqlite():
        return literal_column(f"+phone_number.{column}", col.type)
    if column == "number":
        return literal_column("(phone_number.number || '')", col.type)
    return literal_column(f"(phone_number.{column} + 0)", col.type)


def fts_query(like: str) -> str:
    """An FTS5 query for the trigrams of the LIKE pattern's longest run of known digits ("%78268%" →
    "782" AND "826" AND "268"): a superset the LIKE then narrows. MATCH reads only the trigram index;
    LIKE on the FTS table would also read every candidate's content (3 times slower, bench 1M)."""
    run = max(re.findall(r"[0-9]+", like), key=len)
    grams = dict.fromkeys(run[i:i + TRIGRAM] for i in range(len(run) - TRIGRAM + 1))
    return " AND ".join(f'"{g}"' for g in grams)


@dataclass
class Plan:
    """The conditions of one search by conditions, kept apart so each plan can write them its own way."""

    status: NumberStatus | None
    likes: list[str] = field(default_factory=list)  # LIKE patterns on number
    prefix: str = ""  # known leading digits
    suffix: str = ""  # known trailing digits
    mask: int = 0  # digits to avoid, bit d for digit d
    number_class: str = ""
    min_price: int | None = None
    max_price: int | None = None

    # -- what the conditions say ----------------------------------------------------------------------
    @property
    def trigram_likes(self) -> list[str]:
        return [p for p in self.likes if _longest_literal_run(p) >= TRIGRAM]

    def number_range(self) -> tuple[str, str] | None:
        """[low, high) for ``number``: the known leading digits, and the operator prefixes without an avoided digit.

        Numbers enter the inventory only on an operator prefix (services.NewNumber), so a number whose
        prefix holds an avoided digit can never match: the range skips those prefixes.
        """
        bounds = []
        if self.prefix:
            bounds.append((self.prefix, _successor(self.prefix)))
        if self.mask:
            allowed = sorted(p for p in OPERATOR_PREFIXES if not any(self.mask >> int(d) & 1 for d in p))
            if not allowed:
                return ("0", "0")  # empty
            bounds.append((allowed[0], _successor(allowed[-1])))
        if not bounds:
            return None
        return max(b[0] for b in bounds), min(b[1] for b in bounds)

    def allowed_masks(self) -> list[int]:
        """Every digit mask without an avoided digit: "avoid" as an IN list the mask index can seek."""
        return [m for m in range(1, 1024) if not m & self.mask]

    def mask_in(self, target: Any) -> Any:
        """``digit_mask IN (allowed masks)``: on PostgreSQL one array parameter (= ANY), not hundreds of them."""
        if is_sqlite():
            return target.digit_mask.in_(self.allowed_masks())
        return target.digit_mask == any_(literal(self.allowed_masks(), ARRAY(Integer)))

    # -- the WHERE clause in each form ----------------------------------------------------------------
    def seek_conditions(self) -> list[Any]:
        """Every condition in the form an index can serve (count and collect: the engine picks the index)."""
        n = PhoneNumber
        where: list[Any] = [n.number.like(p) for p in self.likes if p != self.prefix + "%"]  # a range does it
        if self.prefix:  # (the range "avoid" implies is not narrow: the mask list below is exact)
            where += [n.number >= self.prefix, n.number < _successor(self.prefix)]
        if self.suffix:
            rev = self.suffix[::-1]
            where += [n.number_rev >= rev, n.number_rev < _successor(rev)]
        if self.mask:
            where.append(self.mask_in(n))
        if self.number_class:
            where.append(n.number_class == self.number_class)
        if self.min_price is not None:
            where.append(n.price >= self.min_price)
        if self.max_price is not None:
            where.append(n.price <= self.max_price)
        if self.status is not None:
            where.append(n.status == self.status)
        trigram = self.trigram_likes
        if trigram and is_sqlite() and len(self.prefix) < NARROW_PREFIX and len(self.suffix) < NARROW_SUFFIX:
            # SQLite's LIKE cannot use the FTS5 trigram table by itself (a narrow range is cheaper still)
            where.append(n.id.in_(text("SELECT rowid FROM number_trgm WHERE number_trgm MATCH :trgm").bindparams(
                trgm=fts_query(trigram[0]))))
        return where

    def count_statement(self, cap: int) -> Select:
        """(matches up to ``cap`` + 1, their ids as "1,5,9" — kept when the count stays under the cap)."""
        inner = select(PhoneNumber.id).where(*self.seek_conditions()).limit(cap + 1).subquery()
        ids = (func.group_concat(inner.c.id) if is_sqlite()
               else func.string_agg(inner.c.id.cast(String), literal_column("','")))
        return select(func.count(), ids)

    def collect(self, sort: str, limit: int, offset: int, ids: list[int] | None = None) -> Select:
        """The page's ids among every match (``ids`` when the count already found them), sorted.

        The sort keys are written so that no index order can be used; with only ids and keys selected,
        a covering index spares reading the rows (the caller reads the page's rows by id).
        """
        keys = [sort_key(c) for c, _ in SORT_KEYS[sort]]
        order = [k.desc() if desc else k for k, (_, desc) in zip(keys, SORT_KEYS[sort], strict=True)]
        if ids is None:
            where = self.seek_conditions()
        elif is_sqlite():
            where = [PhoneNumber.id.in_(text("SELECT value FROM json_each(:ids)").bindparams(ids=json.dumps(ids)))]
        else:
            where = [PhoneNumber.id == any_(literal(ids, ARRAY(Integer)))]
        return select(PhoneNumber.id).where(*where).order_by(*order).limit(limit).offset(offset)

    def split_conditions(self, lead: tuple[str, ...], rng: bool = False, target: Any = PhoneNumber,
                         price_bounds: bool = True) -> tuple[list[Any], list[Any]]:
        """(conditions on the index's leading columns ``lead`` and the number range, the others as plain filters)."""
        def col(name: str) -> Any:  # a plain filter: SQLite must not serve it from an index
            return plain(name) if is_sqlite() else getattr(target, name)

        seek: list[Any] = []
        where: list[Any] = [col("number").like(p) for p in self.likes if p != self.prefix + "%"]
        if self.prefix and not (rng and self.number_range()):  # (both: PostgreSQL would count it twice)
            where.append(col("number").like(self.prefix + "%"))
        if self.suffix:
            where.append(col("number").like("%" + self.suffix))
        if rng and self.number_range():
            low, high = self.number_range()
            seek += [target.number >= low, target.number < high]
        if self.mask and is_sqlite():
            where.append(col("digit_mask").op("&")(self.mask) == 0)
        elif self.mask:  # PostgreSQL estimates an IN list from the column's statistics (a bit test: 0.5 %)
            where.append(self.mask_in(target))
        if self.number_class:
            (seek if "number_class" in lead else where).append(
                (target.number_class if "number_class" in lead else col("number_class")) == self.number_class)
        for bound, op in ((self.min_price, "__ge__"), (self.max_price, "__le__")) if price_bounds else ():
            if bound is not None and "price" in lead:  # the walk of the price order starts at the bound
                seek.append(getattr(target.price, op)(bound))
            elif bound is not None:
                where.append(getattr(col("price"), op)(bound))
        if self.status is not None:
            (seek if "status" in lead else where).append(
                (target.status if "status" in lead else col("status")) == self.status)
        return seek, where

    def walk(self, sort: str, limit: int, offset: int) -> Select:
        """The sort index walked in order, the other conditions as filters on each row, stopping after one page.

        PostgreSQL: the walk is a subquery of at most ``WALK_ROWS`` index rows, filtered outside; a short
        page means the budget ran out (the caller then collects). SQLite: see ``budgeted``.
        """
        lead = () if sort == "number" else ("status", "number_class") if self.number_class else ("status",)
        if sort in ("price", "price_desc"):
            lead += ("price",)
        if is_sqlite():
            seek, where = self.split_conditions(lead, rng=sort == "number")
            order = _order(PhoneNumber, sort)
            return select(PhoneNumber).where(*seek, *where).order_by(*order).limit(limit).offset(offset)
        seek, _ = self.split_conditions(lead, rng=sort == "number")
        inner = (select(PhoneNumber).where(*seek).order_by(*_order(PhoneNumber, sort)).limit(WALK_ROWS)
                 .subquery("walk"))
        walked = aliased(PhoneNumber, inner)
        _, where = self.split_conditions(lead, rng=sort == "number", target=walked)
        return select(walked).where(*where).order_by(*_order(walked, sort)).limit(limit).offset(offset)

    def narrow(self, sort: str) -> bool:
        """Whether to sort every match at once rather than try a walk first, for a search past the cap.

        Known trailing digits are anti-correlated with price and beauty (…68, …79 are priced classes), so a
        walk would read far before a page fills. Known leading digits count only for the beauty order: by
        price the per-price walks seek the number range, by number the range is the walk itself. A trigram
        search past the cap is walked (its budget bounds what a miss costs).
        """
        return len(self.suffix) >= NARROW_SUFFIX or (sort == "beauty" and len(self.prefix) >= NARROW_PREFIX)

    def wants_arms(self, sort: str) -> bool:
        """Whether the order runs against a number range (by price) or a price filter (by beauty or number)."""
        if self.status is None or self.number_class:
            return False
        if sort in ("price", "price_desc"):
            return self.number_range() is not None
        return self.min_price is not None or self.max_price is not None

    def distinct_prices(self) -> list[int] | None:
        """The prices present within the price filter (a skip scan: one index seek each), or None if too many."""
        lo = self.min_price if self.min_price is not None else -1
        hi = self.max_price if self.max_price is not None else 2**31 - 1
        rows = db.session.scalars(text(
            "WITH RECURSIVE p(v) AS ("
            " SELECT (SELECT price FROM phone_number WHERE status = :s AND price >= :lo ORDER BY price LIMIT 1)"
            " UNION ALL"
            " SELECT (SELECT price FROM phone_number WHERE status = :s AND price > p.v ORDER BY price LIMIT 1)"
            " FROM p WHERE p.v IS NOT NULL AND p.v <= :hi"
            ") SELECT v FROM p WHERE v IS NOT NULL AND v <= :hi LIMIT :n"
        ).bindparams(s=self.status.value, lo=lo, hi=hi, n=MAX_ARMS + 1)).all()
        return None if len(rows) > MAX_ARMS else list(rows)

    def _arm(self, sort: str, price: int, limit: int) -> Select:
        n = PhoneNumber
        by_beauty = sort == "beauty"
        descending = sort in ("price_desc", "beauty")
        arm_keys = [n.beauty, n.number] if by_beauty else [n.number]
        seek, where = self.split_conditions(lead=("status",), rng=not by_beauty, price_bounds=False)
        return (select(n.id, n.price, n.beauty, n.number).where(n.price == price, *seek, *where)
                .order_by(*[k.desc() if descending else k for k in arm_keys]).limit(limit))

    def arms(self, sort: str, prices: list[int], limit: int, offset: int) -> list[int] | None:
        """The page's ids from one ordered walk per price (None: a walk ran past its budget).

        By price, the walks run one after the other, cheapest (dearest) price first, and stop when
        the page is full; by beauty or number, each walk stops after ``offset + limit`` rows and the
        walks are merged in one statement.
        """
        if sort in ("price", "price_desc"):
            found: list[int] = []
            for price in (prices if sort == "price" else prices[::-1]):
                rows = budgeted(self._arm(sort, price, offset + limit - len(found)), scalars=False)
                if rows is None:
                    return None
                found += [r.id for r in rows]
                if len(found) >= offset + limit:
                    break
            return found[offset:offset + limit]
        merged = union_all(*[select(self._arm(sort, p, offset + limit).subquery()) for p in prices]).subquery()
        order = [merged.c[c].desc() if desc else merged.c[c] for c, desc in SORT_KEYS[sort]]
        return budgeted(select(merged.c.id).order_by(*order).limit(limit).offset(offset))
