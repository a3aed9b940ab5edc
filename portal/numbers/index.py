"""The search index: every number as bits, so a search by conditions is a few bitwise operations.

A bitmap holds one bit per ``phone_number.id`` (64 ids a word): 125 KB for 1,000,000 numbers, 1.25 MB
for 10,000,000. The index keeps one bitmap per (position, digit) — "digit 6 at position 7" — one per
status and one per class, and arrays of price, beauty and number by id. Then:

* a pattern, a prefix, "contains", "ends with" and a name's keypad digits are all one pattern language
  (``*`` any run, ``x`` one digit) and become ANDs and ORs of digit bitmaps, one per placement of each
  literal run (``*61*69``: 61 at 3..8, 69 after it);
* "avoid digits", a class, a status and a price range are one more AND each;
* the total is the count of set bits (exact: no cap);
* a page comes from sorting the matches' ranks in the requested order when they are few, else from the
  slices of that order the page falls in (each slice has a bitmap: the slices before the page are
  skipped by counting, the page's slice is read testing each id's bit).

The database stays the truth. Before each search the index reads the rows that changed since its last
look (``updated_at``, indexed, with a margin for transactions that commit late) and the rows added
since (``id`` above what it has), and applies them; the page's rows are then read from the database by
id. Numbers are never deleted by the portal; a full rebuild in the background every
``SEARCH_INDEX_REBUILD_SECONDS`` (default an hour) corrects anything missed (a row added by a long
transaction that committed after a later one). docs/search.md has the figures.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import repeat

import numpy as np
from flask import current_app
from sqlalchemy import URL, DateTime, bindparam, func, select, text

from portal.core.time import utcnow
from portal.extensions import db
from portal.numbers.classes import CLASS_LABELS
from portal.numbers.models import NumberStatus, PhoneNumber
from portal.numbers.patterns import NUMBER_LENGTH

log = logging.getLogger(__name__)

ONE = np.uint64(1)
LOW6 = np.int64(63)
STATUSES = list(NumberStatus)
CLASSES = sorted(CLASS_LABELS)
STATUS_CODE = {s.value: i for i, s in enumerate(STATUSES)}
CLASS_CODE = {c: i for i, c in enumerate(CLASSES)}
NONE = 255  # code of "no status / no class / no region" (an id without a row, a number without a home region)
REGIONS = 10  # home regions 0..9 (0 is head office; numbers belong to CTKV 1–9 or to none)
MARGIN = timedelta(seconds=5)  # changes are re-read this far back: a transaction may commit after its stamp
CHUNK = 200_000  # rows read per statement when building
EXTRACT_MAX = 100_000  # matches up to which a page sorts them all; past it, it reads slices of the order
SEGMENTS = 32  # slices of each sort order, each with a bitmap of its ids (see page)
# The rows as the driver gives them (no ORM, no type processing: 1M rows in seconds): id, number, status,
# price, beauty, class, home region.
_COLUMNS = "SELECT id, number, status, price, beauty, number_class, region_id FROM phone_number"
ROWS_AFTER = text(f"{_COLUMNS} WHERE id > :last ORDER BY id LIMIT :n")
# Changed since a moment, or added since an id (both engines combine the two indexes: one statement a search)
ROWS_NEWER = text(f"{_COLUMNS} WHERE updated_at >= :since OR id > :last").bindparams(
    bindparam("since", type_=DateTime()))
SORTS = {"price": ("price", False), "price_desc": ("price", True), "beauty": ("beauty", True),
         "number": ("number", False)}  # the search's sort: (the order it reads, read backwards)


# -- bitmaps: np.uint64 arrays, bit (id & 63) of word (id >> 6) --------------------------------------------
def _set(bitmap: np.ndarray, words: np.ndarray, bits: np.ndarray) -> None:
    np.bitwise_or.at(bitmap, words, bits)


def _clear(bitmap: np.ndarray, words: np.ndarray, bits: np.ndarray) -> None:
    np.bitwise_and.at(bitmap, words, ~bits)


def _place(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(each id's word, its bit in the word)."""
    return ids >> 6, ONE << (ids & LOW6).astype(np.uint64)


def _test(bitmap: np.ndarray, ids: np.ndarray) -> np.ndarray:
    return ((bitmap[ids >> 6] >> (ids & LOW6).astype(np.uint64)) & ONE).astype(bool)


def _encode(values: tuple[str, ...], codes: dict[str, int]) -> np.ndarray:
    return np.fromiter(map(codes.get, values, repeat(NONE)), np.uint8, len(values))


def count(bitmap: np.ndarray) -> int:
    return int(np.bitwise_count(bitmap).sum())


def members(bitmap: np.ndarray) -> np.ndarray:
    """The ids whose bit is set (in no particular order): the lowest bit of every word that still has one,
    round after round, so a sparse bitmap costs a few rounds over its non-empty words."""
    words = np.flatnonzero(bitmap)
    left = bitmap[words]
    found = []
    while len(words):
        low = left & (~left + ONE)  # the lowest set bit
        found.append(words * 64 + np.bitwise_count(low - ONE))
        left ^= low
        still = left != 0
        words, left = words[still], left[still]
    return np.concatenate(found) if found else np.zeros(0, np.int64)


@dataclass
class Query:
    """What a search by conditions asks of the index (portal.numbers.search builds it)."""

    status: NumberStatus | None = NumberStatus.AVAILABLE  # None: any status
    patterns: list[str] = field(default_factory=list)  # normalized: digits, "x", "*"
    avoid: str = ""
    number_class: str = ""
    min_price: int | None = None
    max_price: int | None = None
    region_id: int | None = None  # None: every region (head office); else that home region's numbers only
    lapsed: list[int] = field(default_factory=list)  # ids held by a lapsed hold: available (see search.py)


class SearchIndex:
    """The bitmaps and arrays of one database's numbers (one per process and database, see ``current``)."""

    BITMAPS = ("digits", "has_digit", "exists", "by_status", "by_class", "by_region")
    ARRAYS = ("status", "klass", "region", "number", "price", "beauty")

    def __init__(self, capacity: int) -> None:
        self.capacity = -(-max(capacity, 64) // 64) * 64
        self.words = self.capacity // 64
        w, n = self.words, self.capacity
        self.digits = np.zeros((NUMBER_LENGTH, 10, w), np.uint64)  # [position, digit]
        self.has_digit = np.zeros((10, w), np.uint64)
        self.exists = np.zeros(w, np.uint64)
        self.by_status = np.zeros((len(STATUSES), w), np.uint64)
        self.by_class = np.zeros((len(CLASSES), w), np.uint64)
        self.by_region = np.zeros((REGIONS, w), np.uint64)  # the regional staff's scope
        self.status = np.full(n, NONE, np.uint8)
        self.klass = np.full(n, NONE, np.uint8)
        self.region = np.full(n, NONE, np.uint8)
        self.number = np.zeros(n, np.int64)
        self.price = np.zeros(n, np.int64)  # VND: phone_number.price is a 64-bit integer (a ngũ quý passes 2^31)
        self.beauty = np.zeros(n, np.int32)
        self.max_id = 0
        self.seen = datetime.min  # changes stamped before this (less MARGIN) are applied
        self._orders: dict[str, Order] = {}

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, n).nbytes for n in (*self.BITMAPS, *self.ARRAYS)) + sum(
            o.nbytes for o in self._orders.values())

    # -- keeping up with the table -------------------------------------------------------------------------
    @classmethod
    def build(cls) -> SearchIndex:
        started = utcnow()
        with db.engine.connect() as conn:  # its own snapshot, see catch_up
            max_id = conn.scalar(select(func.max(PhoneNumber.id))) or 0
            index = cls(max_id + 1 + max(1024, max_id // 8))  # room for imports before the arrays grow
            last = 0
            while rows := conn.execute(ROWS_AFTER, {"last": last, "n": CHUNK}).all():
                index.apply(rows)
                last = rows[-1][0]
        index.seen = started
        return index

    def catch_up(self) -> None:
        """Apply the rows changed since the last look, and the rows added since."""
        started = utcnow()
        # A connection of its own, not the request's: a request's transaction may have begun before another
        # thread's search applied newer rows (SQLite keeps a snapshot per transaction), and its older
        # reading would then overwrite them.
        with db.engine.connect() as conn:
            rows = conn.execute(ROWS_NEWER, {"since": self.seen - MARGIN, "last": self.max_id}).all()
        if rows:
            self.apply(rows)
        self.seen = started

    def _grow(self, max_id: int) -> None:
        """Room for ids up to ``max_id`` and a quarter more (an import that outgrew the headroom)."""
        bigger = SearchIndex(max_id + 1 + max(1024, max_id // 4))
        for name in self.BITMAPS:
            getattr(bigger, name)[..., :self.words] = getattr(self, name)
        for name in self.ARRAYS:
            getattr(bigger, name)[:self.capacity] = getattr(self, name)
        for name in (*self.BITMAPS, *self.ARRAYS, "capacity", "words"):
            setattr(self, name, getattr(bigger, name))
        self._orders.clear()

    def apply(self, rows: list) -> None:
        """Write rows (id, number, status, price, beauty, class, region) into the bitmaps and arrays."""
        ids, numbers, statuses, price, beauty, classes, regions = zip(*rows, strict=True)
        ids, price, beauty = np.array(ids, np.int64), np.array(price, np.int64), np.array(beauty)
        top = int(ids.max())
        if top >= self.capacity:
            self._grow(top)
        new = self.status[ids] == NONE  # a number's digits never change: they are set once
        number = np.array(numbers).astype(np.int64)
        if new.any():
            self._digits(ids[new], number[new])
            _set(self.exists, *_place(ids[new]))
        self._codes(ids, _encode(statuses, STATUS_CODE), self.status, self.by_status)
        self._codes(ids, _encode(classes, CLASS_CODE), self.klass, self.by_class)
        self._codes(ids, np.fromiter((NONE if r is None else r for r in regions), np.uint8, len(regions)),
                    self.region, self.by_region)
        if new.any() or (price != self.price[ids]).any() or (beauty != self.beauty[ids]).any():
            self._orders.clear()  # sorted again when next asked
        self.number[ids], self.price[ids], self.beauty[ids] = number, price, beauty
        self.max_id = max(self.max_id, top)

    def _digits(self, ids: np.ndarray, numbers: np.ndarray) -> None:
        """Set the ids' bits in the digit bitmaps of their numbers."""
        words, bits = _place(ids)
        anywhere = np.zeros((10, len(ids)), bool)
        for position in range(NUMBER_LENGTH):
            digit = numbers // 10 ** (NUMBER_LENGTH - 1 - position) % 10
            for d in range(10):
                at = digit == d
                anywhere[d] |= at
                _set(self.digits[position, d], words[at], bits[at])
        for d in range(10):
            _set(self.has_digit[d], words[anywhere[d]], bits[anywhere[d]])

    @staticmethod
    def _codes(ids: np.ndarray, codes: np.ndarray, current: np.ndarray, bitmaps: np.ndarray) -> None:
        old = current[ids]
        changed = old != codes
        for code in np.unique(old[changed]):
            if code != NONE:
                _clear(bitmaps[code], *_place(ids[changed & (old == code)]))
        for code in np.unique(codes[changed]):
            if code != NONE:
                _set(bitmaps[code], *_place(ids[changed & (codes == code)]))
        current[ids] = codes

    # -- answering ---------------------------------------------------------------------------------------
    def matches(self, q: Query) -> np.ndarray:
        """The bitmap of the numbers meeting every condition."""
        found = (self.exists if q.status is None else self.by_status[STATUSES.index(q.status)]).copy()
        if q.lapsed and q.status == NumberStatus.AVAILABLE:
            found |= self._held(q.lapsed)
        for pattern in q.patterns:
            found &= self.pattern(pattern)
        for d in set(q.avoid):
            found &= ~self.has_digit[int(d)]
        if q.number_class:
            found &= self.by_class[CLASSES.index(q.number_class)]
        if q.region_id is not None:
            found &= self.in_region(q.region_id)
        if q.min_price is not None or q.max_price is not None:
            top = int(np.iinfo(np.int64).max)  # the column's range: larger bounds say "no bound"
            low = min(q.min_price, top) if q.min_price is not None else -1
            high = min(q.max_price, top) if q.max_price is not None else top
            found &= self._price_between(low, high)
        return found

    def _held(self, ids: list[int]) -> np.ndarray:
        """The bitmap of those ``ids`` that the index has as held."""
        wanted = np.array(ids, np.int64)
        found = np.zeros(self.words, np.uint64)
        _set(found, *_place(wanted[wanted < self.capacity]))
        return found & self.by_status[STATUSES.index(NumberStatus.HELD)]

    def _price_between(self, low: int, high: int) -> np.ndarray:
        """Numbers priced within [low, high]: a run of the price order, made of its whole slices and two parts."""
        order = self._order("price")
        # (the bounds in the keys' own type: another would make NumPy convert the whole array first, 12 ms at 10M)
        start = np.searchsorted(order.keys, np.int64(low), "left")
        end = np.searchsorted(order.keys, np.int64(high), "right")
        found = np.zeros(self.words, np.uint64)
        for first, last, bitmap in order.segments:
            if start <= first and last <= end:
                found |= bitmap
            elif first < end and start < last:
                _set(found, *_place(order.ids[max(first, start):min(last, end)]))
        return found

    def in_region(self, region_id: int) -> np.ndarray:
        """The numbers whose home region is ``region_id`` (none for a region the index does not know)."""
        if 0 <= region_id < REGIONS:
            return self.by_region[region_id]
        return np.zeros(self.words, np.uint64)

    def counts(self, region_id: int | None = None) -> dict[tuple[NumberStatus, str], int]:
        """Numbers per (status, class), the pairs that have any; of one home region when ``region_id`` is given."""
        scope = None if region_id is None else self.in_region(region_id)
        found = {}
        for s, status in enumerate(STATUSES):
            for c, number_class in enumerate(CLASSES):
                both = self.by_status[s] & self.by_class[c]
                if n := count(both if scope is None else both & scope):
                    found[status, number_class] = n
        return found

    def _run(self, run: str, at: int) -> np.ndarray | None:
        """Numbers with the run (digits and "x") at position ``at``; None: every number (a run of x only)."""
        found = None
        for offset, ch in enumerate(run):
            if ch != "x":
                bits = self.digits[at + offset, int(ch)]
                found = bits.copy() if found is None else found & bits
        return found

    def pattern(self, text: str) -> np.ndarray:
        """Numbers matching a normalized pattern: the first run at the start, the last at the end (unless
        ``*`` stands there), the runs between in order and apart, each placement an AND, the choices ORs."""
        runs = text.split("*")
        if len(runs) == 1:
            return self._and(self.exists, self._run(runs[0], 0))
        head, middle, tail = runs[0], [r for r in runs[1:-1] if r], runs[-1]
        start, end = len(head), NUMBER_LENGTH - len(tail)
        found = self._and(self._and(self.exists, self._run(head, 0)), self._run(tail, end))
        if not middle:
            return found
        # fits[p]: the runs not yet placed fit, in order, inside [p, end) (None: every number fits)
        fits: dict[int, np.ndarray | None] = {p: None for p in range(start, end + 1)}
        room = 0
        for run in reversed(middle):  # from the last run back to the first
            room += len(run)
            placed: dict[int, np.ndarray | None] = {}
            for p in range(end - room, start - 1, -1):
                here = self._and(self._run(run, p), fits[p + len(run)])
                placed[p] = here if p == end - room else self._or(placed[p + 1], here)
            if not placed:
                return np.zeros(self.words, np.uint64)
            fits = placed
        return self._and(found, fits.get(start))

    def _and(self, a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
        if a is None or b is None:
            return a if b is None else b
        return a & b

    def _or(self, a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
        if a is None or b is None:  # None is "every number" here
            return None
        return a | b

    def _order(self, sort: str) -> Order:
        """The existing ids in ascending order of the sort's keys, with each id's rank and the order's segments."""
        name = SORTS[sort][0]
        if name not in self._orders:
            ids = members(self.exists)
            keys = {"price": (self.number[ids], self.price[ids]), "beauty": (self.number[ids], self.beauty[ids]),
                    "number": (self.number[ids],)}[name]
            order = ids[np.lexsort(keys)].astype(np.int32)
            rank = np.zeros(self.capacity, np.int32)
            rank[order] = np.arange(len(order), dtype=np.int32)
            size = max(1, -(-len(order) // SEGMENTS))
            segments = []
            for start in range(0, len(order), size):
                bitmap = np.zeros(self.words, np.uint64)
                _set(bitmap, *_place(order[start:start + size]))
                segments.append((start, min(start + size, len(order)), bitmap))
            self._orders[name] = Order(order, rank, segments, self.price[order] if name == "price" else None)
        return self._orders[name]

    def page(self, found: np.ndarray, sort: str, offset: int, limit: int) -> tuple[int, list[int]]:
        """(the exact total, the page's ids in the sort's order)."""
        total = count(found)
        if offset >= total:
            return total, []
        need = min(offset + limit, total)
        order = self._order(sort)
        descending = SORTS[sort][1]
        if total <= EXTRACT_MAX:  # few: sort their ranks
            ids = members(found)
            keys = -order.rank[ids].astype(np.int64) if descending else order.rank[ids]
            if need < len(ids):
                keep = np.argpartition(keys, need - 1)[:need]
                ids, keys = ids[keep], keys[keep]
            return total, ids[np.argsort(keys)][offset:need].tolist()
        # many: count the matches in each segment of the order, skip the segments before the page, and
        # read the page's ids from the segments it falls in
        picked: list[np.ndarray] = []
        skip, wanted = offset, need - offset
        for start, end, bitmap in (reversed(order.segments) if descending else order.segments):
            n = count(found & bitmap)
            if n <= skip:
                skip -= n
                continue
            part = order.ids[start:end][::-1] if descending else order.ids[start:end]
            picked.append(part[_test(found, part)][skip:skip + wanted])
            skip, wanted = 0, wanted - len(picked[-1])
            if not wanted:
                break
        return total, np.concatenate(picked).tolist()


@dataclass
class Order:
    """One sort order: the ids ascending by its keys, each id's rank, and ``SEGMENTS`` consecutive slices of
    it as (start, end, bitmap of their ids), so that a page can skip the slices holding no match."""

    ids: np.ndarray
    rank: np.ndarray
    segments: list[tuple[int, int, np.ndarray]]
    keys: np.ndarray | None  # the price order: the prices, ascending (a price range is a run of it)

    @property
    def nbytes(self) -> int:
        extra = self.keys.nbytes if self.keys is not None else 0
        return self.ids.nbytes + self.rank.nbytes + sum(b.nbytes for _, _, b in self.segments) + extra


# -- one index per database and process -------------------------------------------------------------------
_indexes: dict[URL, tuple[SearchIndex, float]] = {}  # (index, when it was built: time.monotonic())
lock = threading.RLock()  # searches take it in turn; current() is called with it held
_building: set[URL] = set()  # databases whose index a thread is building
_generation = 0  # bumped by forget(): a rebuild started before it is thrown away


def forget() -> None:
    """Drop every index (the tests empty the tables between tests; the next search builds again)."""
    global _generation
    with lock:
        _indexes.clear()
        _generation += 1


def _key() -> URL:
    return db.engine.url


def current() -> SearchIndex:
    """This database's index, caught up with the table. Call with ``lock`` held."""
    key = _key()
    entry = _indexes.get(key)
    if entry is None:
        started = time.monotonic()
        index = SearchIndex.build()
        _indexes[key] = (index, time.monotonic())
        log.info("search index built: %d numbers in %.1f s", count(index.exists), time.monotonic() - started)
        return index
    index, built = entry
    index.catch_up()
    if time.monotonic() - built > current_app.config["SEARCH_INDEX_REBUILD_SECONDS"]:
        _in_thread(_rebuild, "rebuild")
    return index


def warm_up() -> None:
    """Build this database's index in a thread, before anyone searches (the first request of a web process).

    The thread holds the lock while it builds, as a search would: a search arriving meanwhile waits for it
    rather than building a second index.
    """
    if _key() not in _indexes:
        _in_thread(_warm_up, "warm-up")


def _warm_up(key: URL, generation: int) -> None:
    with lock:
        current()


def _rebuild(key: URL, generation: int) -> None:
    """Build a fresh index; searches go on with the old one, which the new one then replaces."""
    fresh = SearchIndex.build()
    with lock:
        if generation == _generation and key in _indexes:
            _indexes[key] = (fresh, time.monotonic())


def _in_thread(work, what: str) -> None:
    """Run ``work(key, generation)`` in a thread with the app's context, once at a time per database.

    A failure is logged; the old index (or none) goes on serving and the next search tries again.
    """
    key = _key()
    if key in _building:
        return
    _building.add(key)
    app, generation = current_app._get_current_object(), _generation

    def run() -> None:
        try:
            with app.app_context():
                work(key, generation)
                db.session.remove()
        except Exception:
            log.exception("search index %s failed", what)
        finally:
            _building.discard(key)

    threading.Thread(target=run, name=f"search-index-{what}", daemon=True).start()
