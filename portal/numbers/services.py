"""Putting numbers into the inventory, and price tiers. Holds live in portal.holds."""
from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import Integer, String, and_, cast, func, insert, literal, literal_column, or_, select, update
from sqlalchemy.orm import aliased

from portal.core import editing
from portal.core.actors import Actor
from portal.core.errors import Invalid
from portal.core.tx import rowcount
from portal.extensions import db
from portal.numbers.classes import DEFAULT_PRICE_TIERS, beauty_score, classify
from portal.numbers.fengshui import feng_shui_key
from portal.numbers.formatting import OPERATOR_PREFIXES
from portal.numbers.models import NumberPair, NumberStatus, PairKind, PhoneNumber, PriceTier

BATCH = 5_000
# VND. The price columns are 64-bit; the bound is VNPay's: vnp_Amount (VND × 100) has at most 12 digits, so an
# order's total stays at most 9,999,999,999 VND, and the number's price leaves room for its fees.
MAX_PRICE = 9_900_000_000


@dataclass(frozen=True)
class NewNumber:
    number: str  # already normalised: 10 digits on an operator prefix
    price: int | None = None  # None: the class's price tier
    region_id: int | None = None
    status: NumberStatus = NumberStatus.AVAILABLE


def price_tiers() -> dict[str, int]:
    """Current price per class: the admins' tiers over the defaults."""
    tiers = dict(DEFAULT_PRICE_TIERS)
    tiers.update(db.session.execute(select(PriceTier.number_class, PriceTier.price)).tuples().all())
    return tiers


def number_fields(new: NewNumber, tiers: dict[str, int]) -> dict:
    """The row to store for one number: classes, price, and the precomputed search keys."""
    classes = classify(new.number)
    return {
        "number": new.number,
        "status": new.status,
        "price": new.price if new.price is not None else tiers[classes[0]],
        "price_is_custom": new.price is not None,
        "number_class": classes[0],
        "classes": " ".join(classes),
        "beauty": beauty_score(new.number),
        "fs_key": feng_shui_key(new.number),
        "region_id": new.region_id,
    }


def _batches(items: Iterable[NewNumber], size: int = BATCH) -> Iterator[list[NewNumber]]:
    batch: list[NewNumber] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def add_numbers(numbers: Iterable[NewNumber]) -> int:
    """Insert numbers that are not in the inventory yet (skipping those that are), then their pairs."""
    tiers = price_tiers()
    first_new_id = (db.session.scalar(select(func.max(PhoneNumber.id))) or 0) + 1
    added = 0
    for batch in _batches(numbers):
        wanted = {n.number: n for n in batch}
        existing = set(db.session.scalars(select(PhoneNumber.number).where(PhoneNumber.number.in_(wanted))))
        rows = [number_fields(n, tiers) for key, n in wanted.items() if key not in existing]
        if rows:
            db.session.execute(insert(PhoneNumber), rows)
            added += len(rows)
    if added:
        add_pairs_since(first_new_id)
    return added


def add_pairs_since(first_new_id: int) -> None:
    """Record the sim đôi/cặp that numbers with id ≥ ``first_new_id`` form (digits never change, so once is enough).

    Two set-based joins: the same last seven digits on another prefix (an index on
    ``substr(number, 4)``), and the next number up in the last digit (the unique index).
    """
    a, b = aliased(PhoneNumber), aliased(PhoneNumber)
    four = literal_column("4", Integer)  # a literal, not a bound parameter: it must match the index expression
    same_tail = (
        select(a.id, b.id, literal(PairKind.PREFIX.value))
        .join(b, and_(func.substr(b.number, four) == func.substr(a.number, four), b.id > a.id))
        .where(b.id >= first_new_id)
    )
    next_up = (
        select(a.id, b.id, literal(PairKind.DIGIT.value))
        .join(b, b.number == func.substr(a.number, 1, 9, type_=String).concat(
            cast(cast(func.substr(a.number, 10), Integer) + 1, String)))
        .where(func.substr(a.number, 10) != "9", or_(a.id >= first_new_id, b.id >= first_new_id))
    )
    for pairs in (same_tail, next_up):
        db.session.execute(insert(NumberPair).from_select(["first_id", "second_id", "kind"], pairs))


def generate_numbers(count: int, seed: int | None = None, pair_share: float = 0.05) -> Iterator[NewNumber]:
    """Realistic demo/benchmark numbers: random tails on the operator's prefixes, some pretty, some in pairs."""
    rng = random.Random(seed)
    seen: set[str] = set()
    pretty_tails = ["6868", "8686", "3979", "7979", "3939", "6789", "1368", "2468", "8888", "6666", "9999",
                    "1102", "1989", "1995", "2000", "0000", "5555", "1111", "3838", "7878"]
    while len(seen) < count:
        prefix = rng.choice(OPERATOR_PREFIXES)
        roll = rng.random()
        if roll < 0.08:
            tail = f"{rng.randrange(1000):03d}" + rng.choice(pretty_tails)
        elif roll < 0.10:
            digit = str(rng.randrange(10))
            tail = f"{rng.randrange(100):02d}" + digit * 5
        else:
            tail = f"{rng.randrange(10_000_000):07d}"
        number = prefix + tail
        if number in seen:
            continue
        seen.add(number)
        yield NewNumber(number, region_id=rng.randint(1, 9))
        if rng.random() < pair_share and len(seen) < count:
            twin = (rng.choice([p for p in OPERATOR_PREFIXES if p != prefix]) + tail if rng.random() < 0.5
                    else number[:9] + str((int(number[-1]) + 1) % 10))
            if twin not in seen and abs(int(twin[-1]) - int(number[-1])) in (0, 1):
                seen.add(twin)
                yield NewNumber(twin, region_id=rng.randint(1, 9))


def set_price_tier(number_class: str, price: int, actor: Actor | None, drawn_from: int | None = None) -> int:
    """Change a class's default price; available numbers without a custom price follow it. ``drawn_from``: the
    version of the tier the admin's page showed (0: the default, no tier yet; None: the current one, for scripts).
    Audited with the price before and after; a change drawn from an older version is refused (stale_edit)."""
    if number_class not in DEFAULT_PRICE_TIERS:
        raise Invalid("bad_class", _("Loại số không hợp lệ."))
    if price < 0 or price > MAX_PRICE:
        raise Invalid("bad_price", _("Giá không hợp lệ."))
    tier = db.session.get(PriceTier, number_class)
    if drawn_from is None:
        drawn_from = tier.version if tier is not None else 0
    editing.put(tier, drawn_from, "price_tier.change", {"price": price},
                make=lambda: PriceTier(number_class=number_class),
                before={"price": DEFAULT_PRICE_TIERS[number_class]}, region_id=None)
    result = db.session.execute(
        update(PhoneNumber).where(PhoneNumber.number_class == number_class, PhoneNumber.price_is_custom.is_(False),
                                  PhoneNumber.status == NumberStatus.AVAILABLE).values(price=price)
    )
    return rowcount(result)
