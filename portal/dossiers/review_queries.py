"""The connection team's queue (/review): tabs with counts, filters, the age of each item against the target, and
what the review page shows beside the dossier (decisions, notes, what changed since the last decision).

Region-scoped (head office: every region). The first page is one indexed query per tab plus one grouped count
(``ix_dossier_region_status_submitted``; bench/review_queue.py measures it with 200,000 dossiers).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from portal.auth.models import Staff
from portal.core import backlog
from portal.core.access import in_region
from portal.core.digits import only_digits
from portal.core.roles import Role
from portal.core.time import utcnow
from portal.dossiers.models import TURNED_DOWN, WAITING_FOR_MSALE, Dossier, DossierStatus
from portal.dossiers.review_models import ReviewDecision, ReviewNote
from portal.extensions import db
from portal.holds.models import HoldTicket, SimType
from portal.holds.services import normalize_hold_code

PAGE_SIZE = 50


class Tab(StrEnum):
    NEW = "new"
    MINE = "mine"
    MSALE = "msale"
    REJECTED = "rejected"
    DONE = "done"

    @property
    def label(self) -> str:
        return str({Tab.NEW: _l("Mới"), Tab.MINE: _l("Của tôi"), Tab.MSALE: _l("Chờ mSale"),
                    Tab.REJECTED: _l("Từ chối / bổ sung"), Tab.DONE: _l("Đã hòa mạng")}[self])


class Channel(StrEnum):
    WEB = "web"
    APP = "app"
    PARTNER = "partner"

    @property
    def label(self) -> str:
        return str({Channel.WEB: _l("Website"), Channel.APP: _l("Ứng dụng"), Channel.PARTNER: _l("Kênh đối tác")}[self])


@dataclass(frozen=True)
class Filters:
    tab: Tab = Tab.NEW
    sim_type: SimType | None = None
    channel: Channel | None = None
    q: str = ""

    def args(self, **changes: Any) -> dict[str, str]:
        """Query arguments of this view (with changes), for links."""
        values = {"tab": self.tab.value, "sim": self.sim_type.value if self.sim_type else "",
                  "channel": self.channel.value if self.channel else "", "q": self.q}
        values.update({k: v for k, v in changes.items()})
        return {k: v for k, v in values.items() if v}


def parse_filters(args: Any) -> Filters:
    def pick(enum, value):
        return next((m for m in enum if m.value == value), None)

    return Filters(tab=pick(Tab, args.get("tab")) or Tab.NEW, sim_type=pick(SimType, args.get("sim")),
                   channel=pick(Channel, args.get("channel")), q=(args.get("q") or "").strip()[:40])


def _tab_condition(tab: Tab, me: int):
    submitted = Dossier.status == DossierStatus.SUBMITTED
    if tab == Tab.NEW:  # waiting, not mine (others' live claims are shown with their name)
        return and_(submitted, or_(Dossier.reviewer_id.is_(None), Dossier.reviewer_id != me))
    if tab == Tab.MINE:
        return and_(submitted, Dossier.reviewer_id == me)
    if tab == Tab.MSALE:
        return Dossier.status.in_(WAITING_FOR_MSALE)
    if tab == Tab.REJECTED:
        return Dossier.status.in_(TURNED_DOWN)
    return Dossier.status == DossierStatus.CONNECTED


def _filtered(stmt, f: Filters, scoped: bool = True):
    stmt = in_region(stmt, Dossier.region_id) if scoped else stmt
    if f.sim_type is not None:
        stmt = stmt.where(Dossier.sim_type == f.sim_type)
    if f.channel is not None or f.q:
        stmt = stmt.join(HoldTicket, HoldTicket.id == Dossier.ticket_id)
    if f.channel is not None:
        stmt = stmt.where(HoldTicket.channel.like("partner:%") if f.channel == Channel.PARTNER
                          else HoldTicket.channel == f.channel.value)
    if f.q:
        digits = only_digits(f.q)
        stmt = stmt.where(or_(HoldTicket.hold_code == normalize_hold_code(f.q),
                              *([Dossier.contact_phone == digits, HoldTicket.customer_phone == digits] if digits
                                else [])))
    return stmt


# Counting every connected dossier of the country would walk most of the table on each page: the "done" tab shows
# "1000+" past this many (the other tabs hold a day's or a week's work and are counted exactly).
DONE_COUNT_CAP = 1000
COUNTED = (DossierStatus.SUBMITTED, *WAITING_FOR_MSALE, *TURNED_DOWN)


def tab_counts(f: Filters, me: int) -> dict[Tab, int]:
    """Each tab's count under the filters: one grouped count over the working statuses (index-only on
    ``(region_id, status, submitted_at)`` when unfiltered), the reviewer's own claims on ``(reviewer_id, status)``
    (their claims are in the regions they may see), and the done tab's count capped at DONE_COUNT_CAP + 1."""
    stmt = _filtered(select(Dossier.status, func.count()).where(Dossier.status.in_(COUNTED))
                     .group_by(Dossier.status), f)
    counts = dict.fromkeys(Tab, 0)
    for status, n in db.session.execute(stmt):
        if status == DossierStatus.SUBMITTED:
            counts[Tab.NEW] += n
        elif status in WAITING_FOR_MSALE:
            counts[Tab.MSALE] += n
        else:
            counts[Tab.REJECTED] += n
    mine = _filtered(select(func.count()).select_from(Dossier).where(_tab_condition(Tab.MINE, me)), f, scoped=False)
    counts[Tab.MINE] = db.session.scalar(mine) or 0
    counts[Tab.NEW] -= counts[Tab.MINE]
    done = _filtered(select(Dossier.id).where(_tab_condition(Tab.DONE, me)), f).limit(DONE_COUNT_CAP + 1)
    counts[Tab.DONE] = db.session.scalar(select(func.count()).select_from(done.subquery())) or 0
    return counts


def count_label(n: int) -> str:
    return f"{DONE_COUNT_CAP}+" if n > DONE_COUNT_CAP else str(n)


TAB_STATUSES = {Tab.MSALE: tuple(WAITING_FOR_MSALE), Tab.REJECTED: tuple(TURNED_DOWN),
                Tab.DONE: (DossierStatus.CONNECTED,)}


def tab_page(f: Filters, me: int, limit: int = PAGE_SIZE) -> list[Dossier]:
    """The first page of a tab: waiting ones oldest first (their age counts), the others latest activity first —
    one indexed walk per status (``(region_id, status, updated_at)``), merged, so no sort of a whole status."""
    eager = selectinload(Dossier.ticket).selectinload(HoldTicket.lines)  # no query per row
    if f.tab in (Tab.NEW, Tab.MINE):
        stmt = _filtered(select(Dossier).where(_tab_condition(f.tab, me)), f, scoped=f.tab == Tab.NEW)
        stmt = stmt.order_by(Dossier.submitted_at.asc(), Dossier.id.asc()).limit(limit)
        return list(db.session.scalars(stmt.options(eager)))
    rows: list[Dossier] = []
    for status in TAB_STATUSES[f.tab]:
        stmt = _filtered(select(Dossier).where(Dossier.status == status), f)
        stmt = stmt.order_by(Dossier.updated_at.desc(), Dossier.id.desc()).limit(limit)
        rows += db.session.scalars(stmt.options(eager))
    return sorted(rows, key=lambda d: (d.updated_at, d.id), reverse=True)[:limit]


def waiting_count(user: Any) -> int:
    """The number beside "Duyệt hồ sơ": the region's dossiers waiting for a decision."""
    if user.role != Role.CONNECTION:
        return 0
    stmt = select(func.count()).select_from(Dossier).where(Dossier.status == DossierStatus.SUBMITTED)
    if not user.is_head_office:
        stmt = stmt.where(Dossier.region_id == user.region_id)
    return db.session.scalar(stmt) or 0


def queue_by_region(now: datetime) -> dict[int, backlog.Backlog]:
    """The supervisors' wall: dossiers waiting for a decision per region, the oldest submission, and how many have
    waited longer than REVIEW_TARGET_MINUTES (``ix_dossier_region_status_submitted``)."""
    target = timedelta(minutes=current_app.config["REVIEW_TARGET_MINUTES"])
    return backlog.by_region(Dossier.region_id, Dossier.submitted_at, Dossier.status == DossierStatus.SUBMITTED,
                             now - target)


@dataclass(frozen=True)
class Age:
    """How long a submission has waited, against REVIEW_TARGET_MINUTES."""

    minutes: int
    target: int

    @property
    def overdue(self) -> bool:
        return self.minutes > self.target

    @property
    def text(self) -> str:
        hours, minutes = divmod(self.minutes, 60)
        if hours:
            return _("%(h)d giờ %(m)02d phút", h=hours, m=minutes)
        return _("%(m)d phút", m=minutes)


def age_of(dossier: Dossier, now: datetime | None = None) -> Age | None:
    if dossier.submitted_at is None:
        return None
    minutes = int(((now or utcnow()) - dossier.submitted_at).total_seconds() // 60)
    return Age(max(minutes, 0), current_app.config.get("REVIEW_TARGET_MINUTES", 30))


def holders(dossiers: list[Dossier]) -> dict[int, str]:
    """Who holds each live claim on the page (id → name)."""
    ids = {d.reviewer_id for d in dossiers if d.reviewer_id}
    if not ids:
        return {}
    return {s.id: s.display_name for s in db.session.scalars(select(Staff).where(Staff.id.in_(ids)))}


@dataclass
class ReviewContext:
    """Beside the dossier on the review page."""

    decisions: list[ReviewDecision] = field(default_factory=list)
    notes: list[ReviewNote] = field(default_factory=list)
    reviewers: list[Staff] = field(default_factory=list)  # whom a supervisor may assign


def review_context(dossier: Dossier) -> ReviewContext:
    decisions = list(db.session.scalars(select(ReviewDecision).where(ReviewDecision.dossier_id == dossier.id)
                                        .order_by(ReviewDecision.id.desc())))
    notes = list(db.session.scalars(select(ReviewNote).where(ReviewNote.dossier_id == dossier.id)
                                    .order_by(ReviewNote.id)))
    reviewers: list[Staff] = []
    if current_user.role in (Role.SUPERVISOR, Role.ADMIN):
        reviewers = list(db.session.scalars(select(Staff).where(Staff.role == Role.CONNECTION,
                                                                Staff.region_id == dossier.region_id)
                                            .order_by(Staff.username)))
    return ReviewContext(decisions, notes, reviewers)

