"""Package offers: which ones an order qualifies for, and the admins' changes to them (audited with the values
before and after; an edit drawn from an older version is refused: ``portal.core.editing``)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from portal.core import editing
from portal.core.actors import Actor
from portal.core.errors import Conflict, Invalid
from portal.core.time import VIETNAM, utcnow
from portal.extensions import db
from portal.holds.models import SimType
from portal.promotions.data import DEMO_OFFER_CODE, DEMO_OFFER_DAYS, OFFERS
from portal.promotions.models import CHANNELS, Offer, Package
from portal.promotions.packages import ensure_reference_packages

FIELDS = ("name", "package", "description", "sim_types", "channels", "starts_on", "ends_on",
          "new_subscriber_only")


@dataclass(frozen=True)
class OrderFacts:
    """What an offer's conditions look at."""

    sim_type: str
    channel: str  # "web", "app", "partner:<id>"
    new_subscriber: bool = True  # every number sold online is a new line


def vietnam_date(at: dt.datetime) -> dt.date:
    """The calendar day in Vietnam of a naive UTC moment: offer windows are Vietnamese days."""
    return at.replace(tzinfo=dt.UTC).astimezone(VIETNAM).date()


def channel_kind(channel: str) -> str:
    return channel.split(":", 1)[0]


def is_eligible(offer: Offer, facts: OrderFacts) -> bool:
    """The order's conditions (the day is already in the query that found the active offers)."""
    return ((not offer.sim_types or facts.sim_type in offer.sim_types)
            and (not offer.channels or channel_kind(facts.channel) in offer.channels)
            and (facts.new_subscriber or not offer.new_subscriber_only))


def eligible_offers(facts: OrderFacts, at: dt.datetime | None = None) -> list[Offer]:
    """Active offers whose conditions the order meets on the day ``at`` (UTC, default now), oldest first."""
    day = vietnam_date(at or utcnow())
    candidates = db.session.scalars(select(Offer).where(Offer.active.is_(True), Offer.starts_on <= day,
                                                        Offer.ends_on >= day).order_by(Offer.starts_on, Offer.id))
    return [offer for offer in candidates if is_eligible(offer, facts)]


def best_offer(facts: OrderFacts, at: dt.datetime | None = None) -> Offer | None:
    """The offer attached to an order: one per order, the first eligible."""
    offers = eligible_offers(facts, at)
    return offers[0] if offers else None


def _check(values: dict[str, Any], current_package: str | None = None) -> dict[str, Any]:
    if values["starts_on"] > values["ends_on"]:
        raise Invalid("offer_window_reversed", _("Ngày kết thúc phải sau ngày bắt đầu."))
    if not set(values["sim_types"]) <= {s.value for s in SimType}:
        raise Invalid("offer_bad_sim_type", _("Loại SIM không hợp lệ."))
    if not set(values["channels"]) <= set(CHANNELS):
        raise Invalid("offer_bad_channel", _("Kênh bán hàng không hợp lệ."))
    package = db.session.scalar(select(Package).where(Package.code == values["package"]))
    if package is None:
        raise Invalid("offer_bad_package", _("Chọn một gói cước trong danh mục."))
    if not package.active and package.code != current_package:
        raise Invalid("offer_package_inactive", _("Gói cước %(c)s đã ngừng: chọn gói khác.", c=package.code))
    return values


def create_offer(code: str, values: dict[str, Any], actor: Actor) -> Offer:
    """An admin adds an offer."""
    code = code.strip().upper()
    if db.session.scalar(select(Offer.id).where(Offer.code == code)) is not None:
        raise Conflict("offer_code_taken", _("Mã ưu đãi %(c)s đã có.", c=code))
    return editing.insert(Offer(code=code, active=True, **_check({k: values[k] for k in FIELDS})), "offer.create",
                          ("code", *FIELDS, "active"))


def update_offer(offer: Offer, drawn_from: int | None, values: dict[str, Any], actor: Actor) -> dict[str, list[Any]]:
    """An admin changes an offer (refused if another admin changed it since the form was drawn); orders keep the
    summary they were given."""
    return editing.apply(offer, drawn_from, "offer.update", _check({k: values[k] for k in FIELDS}, offer.package))


def set_offer_active(offer: Offer, active: bool, actor: Actor | None, drawn_from: int | None = None) -> None:
    """Deactivate (or reactivate) an offer: it stops (or starts again) being attached to new orders. ``drawn_from``:
    the version the admin's list showed (None: the current one, for scripts and tests)."""
    if active and not offer.package_row.active:
        raise Conflict("offer_package_inactive", _("Gói cước %(c)s đã ngừng: chọn gói khác trước khi bật ưu đãi.",
                                                   c=offer.package))
    editing.apply(offer, offer.version if drawn_from is None else drawn_from,
                  "offer.activate" if active else "offer.deactivate", {"active": active})


def ensure_reference_offers() -> None:
    """Insert the reference offers that are missing (idempotent; an admin's later changes are kept)."""
    ensure_reference_packages()
    have = set(db.session.scalars(select(Offer.code)))
    for row in OFFERS:
        if row["code"] not in have:
            db.session.add(Offer(active=True, **row))
    db.session.flush()


def ensure_demo_offer(today: dt.date | None = None) -> bool:
    """seed-demo: a copy of TN4G running now, on the website and the app."""
    if db.session.scalar(select(Offer.id).where(Offer.code == DEMO_OFFER_CODE)) is not None:
        return False
    today = today or vietnam_date(utcnow())
    tn4g = OFFERS[0]
    db.session.add(Offer(**{**tn4g, "code": DEMO_OFFER_CODE, "name": f"{tn4g['name']} (demo)",
                            "channels": ["web", "app"], "starts_on": today,
                            "ends_on": today + dt.timedelta(days=DEMO_OFFER_DAYS)}, active=True))
    db.session.flush()
    return True
