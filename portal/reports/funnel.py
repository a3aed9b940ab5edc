"""The sign-up funnel by step id: hold tickets made in the range (hold_ticket.created_at; region: the order's, else
the number's home region), and how many of them reached each step — held (HOLD-1), paid (HOLD-12, SHIP-20),
delivered or collected (SHIP-22, SHIP-7; an eSIM has nothing to ship: reached when paid), eKYC passed (ACT-7,
ESIM-6), video verified (ACT-8, ESIM-7), submitted (ACT-10, ESIM-9), connected (ACT-14, ESIM-15) — with the drop-off
and the median time spent at each step (from reaching it to reaching the next). The dossier's steps are the first
status_change row moving it to ready_for_call, verified, submitted and connected."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Connection, String, case, cast, func, select

from portal.core.models import StatusChange
from portal.dossiers.models import Dossier, DossierStatus
from portal.extensions import db
from portal.holds.models import HoldTicket, SimType
from portal.orders.models import Order
from portal.reports.base import (
    Chart,
    Figure,
    Page,
    Report,
    Table,
    labels,
    minutes,
    register,
    share,
    stream,
)
from portal.reports.cells import Cells, Fact, seconds, vietnam_day
from portal.reports.filters import Scope

# (column, label, step ids)
STEPS = (("held", _l("Giữ số"), "HOLD-1"), ("paid", _l("Đã thanh toán"), "HOLD-12 · SHIP-20"),
         ("delivered", _l("Đã giao / nhận SIM"), "SHIP-22 · SHIP-7"), ("ekyc", _l("eKYC đạt"), "ACT-7 · ESIM-6"),
         ("video", _l("Xác minh video đạt"), "ACT-8 · ESIM-7"), ("submitted", _l("Đã gửi hồ sơ"), "ACT-10 · ESIM-9"),
         ("connected", _l("Đã hòa mạng"), "ACT-14 · ESIM-15"))
DOSSIER_STEPS = {"ekyc": DossierStatus.READY_FOR_CALL, "video": DossierStatus.VERIFIED,
                 "submitted": DossierStatus.SUBMITTED, "connected": DossierStatus.CONNECTED}


def _first_move(status: DossierStatus) -> Any:
    """When the ticket's dossier first moved to ``status``: one probe of the index on (object_type, object_id,
    to_status, at) per row, so the rows stream in ticket order with nothing to group (a page's live day: a few
    thousand tickets)."""
    sc = StatusChange
    return (select(func.min(sc.at)).where(sc.object_type == Dossier.__tablename__,
                                           sc.object_id == cast(Dossier.id, String), sc.to_status == status.value)
            .correlate(Dossier).scalar_subquery())


def _first_moves() -> Any:
    """Every dossier's first move to each of the steps, one row per dossier: one pass over the history in the order
    of that index, grouped as it goes (an export of many tickets: four probes per ticket, each on another leaf page
    of an index larger than the cache, were its limit)."""
    sc = StatusChange
    return (select(sc.object_id, *[func.min(sc.at).filter(sc.to_status == status.value).label(name)
                                   for name, status in DOSSIER_STEPS.items()])
            .where(sc.object_type == Dossier.__tablename__,
                   sc.to_status.in_([status.value for status in DOSSIER_STEPS.values()]))
            .group_by(sc.object_id).subquery("first_move"))


def steps(scope: Scope, *, grouped: bool = False) -> Any:
    """One row per hold ticket of the scope: its id, code, channel, SIM type, region and when it reached each step;
    the dossier's steps probed per ticket, or with ``grouped`` read from one pass over the whole history."""
    paid = func.coalesce(HoldTicket.paid_at, Order.paid_at)
    region = func.coalesce(Order.region_id, HoldTicket.region_id)
    if grouped:
        moves = _first_moves()
        firsts = [moves.c[name] for name in DOSSIER_STEPS]
    else:
        firsts = [_first_move(status).label(name) for name, status in DOSSIER_STEPS.items()]
    stmt = (select(HoldTicket.id.label("ticket"), HoldTicket.hold_code, HoldTicket.channel, HoldTicket.sim_type,
                   region.label("region"), HoldTicket.created_at.label("held"), paid.label("paid"),
                   case((HoldTicket.sim_type == SimType.ESIM.value, paid), else_=Order.delivered_at).label("delivered"),
                   *firsts)
            .select_from(HoldTicket)
            .outerjoin(Order, Order.ticket_id == HoldTicket.id)
            .outerjoin(Dossier, Dossier.ticket_id == HoldTicket.id))
    if grouped:
        stmt = stmt.outerjoin(moves, moves.c.object_id == cast(Dossier.id, String))
    return scope.apply(stmt, at=HoldTicket.created_at, region=region, channel=HoldTicket.channel,
                       sim=HoldTicket.sim_type)


NAMES = [name for name, _label, _ids in STEPS]
STEP_KEYS = [f"step:{name}" for name in NAMES]
SPAN_KEYS = [f"span:{name}" for name in NAMES]  # from reaching a step to reaching the next (none after the last)
SPANS = frozenset(SPAN_KEYS[:-1])


def facts(scope: Scope) -> Iterator[Fact]:
    """Per ticket of the scope (its day: when it was held): each step it reached, and the seconds from each step
    to the next where both are known, in that order."""
    for _ticket, _code, channel, sim, region, *moments in db.session.execute(steps(scope)):
        day, moments = vietnam_day(moments[0]), [*moments, None]  # held, paid, …, connected (and no next)
        for i, at in enumerate(moments[:-1]):
            if at is None:
                continue
            yield Fact(day, region, channel, sim, STEP_KEYS[i])
            spent = seconds(at, moments[i + 1])
            if spent is not None:
                yield Fact(day, region, channel, sim, SPAN_KEYS[i], spent)


def build(scope: Scope, cells: Cells) -> Page:
    counts = [cells.n(f"step:{name}") for name in NAMES]
    medians = [cells.quantile(f"span:{name}", 0.5) for name in NAMES]
    held = counts[0]
    table = []
    for i, (_name, label, ids) in enumerate(STEPS):
        drop = counts[i - 1] - counts[i] if i else None
        table.append((label, ids, counts[i], share(counts[i], held),
                      "—" if drop is None else f"{drop} ({share(drop, counts[i - 1])})", minutes(medians[i])
                      if i < len(STEPS) - 1 else "—"))
    return Page(
        figures=(Figure(_l("Phiếu giữ số"), held), Figure(_l("Đã thanh toán"), counts[1], share(counts[1], held)),
                 Figure(_l("Đã gửi hồ sơ"), counts[5], share(counts[5], held)),
                 Figure(_l("Đã hòa mạng"), counts[6], share(counts[6], held))),
        chart=Chart("bar", [f"{label} ({ids.split(' · ')[0]})" for _n, label, ids in STEPS],
                    [(_l("Số phiếu đạt bước"), counts)], horizontal=True),
        tables=(Table(_l("Các bước"), (_l("Bước"), _l("Mã bước"), _l("Số phiếu"), _l("Tỷ lệ so với giữ số"),
                                       _l("Rơi rụng so với bước trước"), _l("Thời gian ở bước (trung vị)")),
                      table, numeric_from=2),),
        notes=(_l("Mỗi phiếu giữ số tạo trong khoảng ngày được theo đến hôm nay. eSIM không giao SIM: bước giao/nhận "
                  "tính khi đã thanh toán. Thời gian ở bước: từ khi đạt bước đến khi đạt bước sau."),),
    )


HEADERS: Sequence[Any] = (_l("Mã phiếu"), _l("Mã giữ số"), _l("Kênh"), _l("Loại SIM"), _l("Khu vực"),
                          *[_l("%(step)s lúc (giờ Việt Nam)", step=label) for _n, label, _ids in STEPS])


# From this many days on, an export reads the dossiers' first moves from one grouped pass over the history rather
# than probing per ticket (bench/README.md, PostgreSQL with 1,000,000 dossiers at load ~3: the pass costs 6–8 s
# whatever the range, the probes ~50 µs a ticket — 7 days 3.0 s against 6.2 s, 31 days 4.7 s against 7.3 s,
# 365 days 50.6 s against 17.3 s).
GROUPED_FROM_DAYS = 60


def rows(scope: Scope, conn: Connection) -> Iterator[Sequence[Any]]:
    label = labels()
    grouped = (scope.date_to - scope.date_from).days + 1 >= GROUPED_FROM_DAYS
    for row in stream(steps(scope, grouped=grouped).order_by(HoldTicket.id), conn):
        ticket, code, channel, sim, region, *times = row
        yield (ticket, code, channel, label(SimType(sim)) if sim else "", region, *times)


REPORT = register(Report("funnel", _l("Phễu đăng ký theo bước"),
                         _l("Giữ số → thanh toán → giao/nhận SIM → eKYC → xác minh video → gửi hồ sơ → hòa mạng: số "
                            "phiếu ở mỗi bước, rơi rụng và thời gian ở mỗi bước."),
                         build, HEADERS, rows, facts, SPANS, order=10))
