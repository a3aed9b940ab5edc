"""Video desk report (ACT-8, ESIM-7): calls requested in the range (call.requested_at) at the desk that served them
(call.region_id: the overflow region when the call overflowed), what became of them — answered, missed (nobody
answered in time: expired), abandoned (the customer hung up while waiting: cancelled), dropped mid-call and not
resumed —, the wait until an agent answered (p50/p90), the handle time (answer → verdict), per agent (the rings of
call_offer: accepted, missed) and per hour of day in Vietnam time."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Connection, Select, select

from portal.auth.models import Staff
from portal.calls.models import Call, CallOffer, CallStatus, OfferOutcome
from portal.dossiers.models import Dossier
from portal.extensions import db
from portal.holds.models import HoldTicket
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

DISTRIBUTIONS = frozenset({"wait", "handle"})


def _scoped(stmt: Select, scope: Scope, *, dims: bool = False) -> Select:
    """Calls requested in the days, at the desk of the region, of dossiers of the SIM type and ticket channel; with
    ``dims``, the dossier and its ticket joined whatever the filters (a fact carries its SIM type and channel)."""
    if dims or scope.sim_type or scope.channel:
        stmt = stmt.join(Dossier, Dossier.id == Call.dossier_id)
    if dims:
        stmt = stmt.outerjoin(HoldTicket, HoldTicket.id == Dossier.ticket_id)
    elif scope.channel:
        stmt = stmt.join(HoldTicket, HoldTicket.id == Dossier.ticket_id)
    return scope.apply(stmt, at=Call.requested_at, region=Call.region_id, channel=HoldTicket.channel,
                       sim=Dossier.sim_type)


def facts(scope: Scope) -> Iterator[Fact]:
    """Per call of the scope (its day: when it was requested): requested, offered, answered, its status, the wait
    and handle seconds, its Vietnam hour, and the agent who answered it; per ring (call_offer) of those calls, the
    agent's ring and its outcome."""
    stmt = _scoped(select(Call.requested_at, Call.region_id, HoldTicket.channel, Dossier.sim_type, Call.status,
                          Call.offered_at, Call.answered_at, Call.ended_at, Call.agent_id).select_from(Call), scope,
                   dims=True)
    for asked, region, channel, sim, status, offered, answered, ended, agent in db.session.execute(stmt):
        day, hour = vietnam_day(asked), (asked.hour + 7) % 24
        dims = (region, channel, sim.value if sim else None)
        yield Fact(day, *dims, "requested")
        yield Fact(day, *dims, f"status:{status.value}")
        yield Fact(day, *dims, f"hour:{hour}:requested")
        if offered is not None:
            yield Fact(day, *dims, "offered")
        if answered is None:
            continue
        yield Fact(day, *dims, "answered")
        yield Fact(day, *dims, f"hour:{hour}:answered")
        wait, handle = seconds(asked, answered), seconds(answered, ended)
        if wait is not None:
            yield Fact(day, *dims, "wait", wait)
        if handle is not None:
            yield Fact(day, *dims, "handle", handle)
        if agent is not None:
            yield Fact(day, *dims, f"agent:{agent}:answered")
            if handle is not None:
                yield Fact(day, *dims, f"agent:{agent}:handle", handle)
    rings = _scoped(select(Call.requested_at, Call.region_id, HoldTicket.channel, Dossier.sim_type,
                           CallOffer.agent_id, CallOffer.outcome)
                    .select_from(CallOffer).join(Call, Call.id == CallOffer.call_id), scope, dims=True)
    for asked, region, channel, sim, agent, outcome in db.session.execute(rings):
        day, dims = vietnam_day(asked), (region, channel, sim.value if sim else None)
        yield Fact(day, *dims, f"agent:{agent}:rings")
        if outcome in (OfferOutcome.ACCEPTED, OfferOutcome.MISSED):
            yield Fact(day, *dims, f"agent:{agent}:{outcome.value}")


def per_agent(cells: Cells) -> list[tuple[str, int, int, int, int, float | None]]:
    """Per agent rung: rings (call_offer rows), accepted, missed; calls answered and their mean handle time."""
    agents: dict[int, dict[str, int]] = {}
    for key, (n, _total, _top) in cells.under("agent:").items():
        agent, what = key.split(":")
        agents.setdefault(int(agent), {})[what] = n
    rung = [agent for agent, seen in agents.items() if seen.get("rings")]
    names = {sid: name or username for sid, name, username in db.session.execute(
        select(Staff.id, Staff.full_name, Staff.username).where(Staff.id.in_(rung)))} if rung else {}
    out = [(names[agent], seen["rings"], seen.get("accepted", 0), seen.get("missed", 0), seen.get("answered", 0),
            cells.mean(f"agent:{agent}:handle")) for agent, seen in agents.items() if agent in names]
    return sorted(out, key=lambda row: (-row[1], row[0]))


def per_hour(cells: Cells) -> dict[int, tuple[int, int]]:
    """Hour of day (Vietnam) → (calls requested, answered)."""
    hours: dict[int, list[int]] = {}
    for key, (n, _total, _top) in cells.under("hour:").items():
        hour, what = key.split(":")
        hours.setdefault(int(hour), [0, 0])[what == "answered"] += n
    return {hour: (n, a) for hour, (n, a) in hours.items()}


def build(scope: Scope, cells: Cells) -> Page:
    hours = per_hour(cells)
    shown = range(24) if not hours else range(min(min(hours), 7), max(max(hours), 21) + 1)
    labels = [f"{h:02d}h" for h in shown]
    answered = [hours.get(h, (0, 0))[1] for h in shown]
    unanswered = [hours.get(h, (0, 0))[0] - hours.get(h, (0, 0))[1] for h in shown]
    requested, picked_up = cells.n("requested"), cells.n("answered")
    missed, abandoned = cells.n(f"status:{CallStatus.EXPIRED}"), cells.n(f"status:{CallStatus.CANCELLED}")
    wait_p50, wait_p90 = cells.quantile("wait", 0.5), cells.quantile("wait", 0.9)
    return Page(
        figures=(Figure(_l("Cuộc gọi yêu cầu"), requested), Figure(_l("Đã đổ chuông"), cells.n("offered")),
                 Figure(_l("Đã nhận"), picked_up, share(picked_up, requested)),
                 Figure(_l("Nhỡ (hết giờ chờ)"), missed, share(missed, requested)),
                 Figure(_l("Khách bỏ khi chờ"), abandoned, share(abandoned, requested)),
                 Figure(_l("Rớt giữa chừng"), cells.n(f"status:{CallStatus.ABANDONED}")),
                 Figure(_l("Chờ (p50 / p90)"), f"{minutes(wait_p50)} / {minutes(wait_p90)}"),
                 Figure(_l("Thời gian xử lý (trung vị)"), minutes(cells.quantile("handle", 0.5)),
                        _l("trung bình %(t)s", t=minutes(cells.mean("handle"))))),
        chart=Chart("bar", labels, [(_l("Đã nhận"), answered), (_l("Không nhận"), unanswered)], stacked=True,
                    y_title=_l("Cuộc gọi theo giờ trong ngày")),
        tables=(Table(_l("Theo nhân viên"), (_l("Nhân viên"), _l("Lượt đổ chuông"), _l("Đã nhận"), _l("Nhỡ"),
                                             _l("Cuộc đã xử lý"), _l("Xử lý trung bình")),
                      [(name, r, a, m, n, minutes(h)) for name, r, a, m, n, h in per_agent(cells)]),
                Table(_l("Theo giờ trong ngày (giờ Việt Nam)"), (_l("Giờ"), _l("Yêu cầu"), _l("Đã nhận")),
                      [(f"{h:02d}:00", n, a) for h, (n, a) in sorted(hours.items())])),
        notes=(_l("Chờ: từ lúc khách bấm gọi đến khi nhân viên nhận. Xử lý: từ lúc nhận đến khi kết luận."),
               _l("Khu vực: tổng đài đã phục vụ cuộc gọi (khu vực dự phòng nếu cuộc gọi được chuyển).")),
    )


HEADERS: Sequence[Any] = (_l("Mã cuộc gọi"), _l("Mã hồ sơ"), _l("Khu vực"), _l("Nhân viên"), _l("Trạng thái"),
                          _l("Kết quả"), _l("Yêu cầu lúc (giờ Việt Nam)"), _l("Nhận lúc (giờ Việt Nam)"),
                          _l("Kết thúc lúc (giờ Việt Nam)"), _l("Chờ (giây)"), _l("Xử lý (giây)"))


def rows(scope: Scope, conn: Connection) -> Iterator[Sequence[Any]]:
    stmt = _scoped(select(Call.id, Call.dossier_id, Call.region_id, Staff.username, Call.status, Call.outcome,
                          Call.requested_at, Call.answered_at, Call.ended_at)
                   .select_from(Call).outerjoin(Staff, Staff.id == Call.agent_id), scope).order_by(Call.id)
    label = labels()
    for cid, dossier_id, region, agent, status, outcome, asked, answered, ended in stream(stmt, conn):
        wait = int((answered - asked).total_seconds()) if answered else None
        handle = int((ended - answered).total_seconds()) if answered and ended else None
        yield (cid, dossier_id, region, agent or "", label(status), outcome, asked, answered, ended, wait, handle)


REPORT = register(Report("video-desk", _l("Tổ video call: cuộc gọi, thời gian chờ, xử lý"),
                         _l("Cuộc gọi yêu cầu, đã nhận, nhỡ, bỏ dở; thời gian chờ p50/p90 và xử lý; theo nhân viên "
                            "và theo giờ trong ngày."), build, HEADERS, rows, facts, DISTRIBUTIONS, order=20))
