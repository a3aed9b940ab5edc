"""Video desk report (ACT-8, ESIM-7): calls requested in the range (call.requested_at) at the desk that served them
(call.region_id: the overflow region when the call overflowed), what became of them — answered, missed (nobody
answered in time: expired), abandoned (the customer hung up while waiting: cancelled), dropped mid-call and not
resumed —, the wait until an agent answered (p50/p90), the handle time (answer → verdict), per agent (the rings of
call_offer: accepted, missed) and per hour of day in Vietnam time."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Connection, Select, case, func, select

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
    minutes,
    quantiles,
    register,
    seconds_between,
    share,
    stream,
    vietnam_hour,
)
from portal.reports.filters import Scope

WAIT = seconds_between(Call.requested_at, Call.answered_at)
HANDLE = seconds_between(Call.answered_at, Call.ended_at)


def _scoped(stmt: Select, scope: Scope) -> Select:
    """Calls requested in the days, at the desk of the region, of dossiers of the SIM type and ticket channel."""
    if scope.sim_type or scope.channel:
        stmt = stmt.join(Dossier, Dossier.id == Call.dossier_id)
    if scope.channel:
        stmt = stmt.join(HoldTicket, HoldTicket.id == Dossier.ticket_id)
    return scope.apply(stmt, at=Call.requested_at, region=Call.region_id, channel=HoldTicket.channel,
                       sim=Dossier.sim_type)


def _count(condition: Any) -> Any:
    return func.count(case((condition, 1)))


def figures(scope: Scope) -> dict[str, Any]:
    """The desk's headline counts and times (seconds) for ``scope``."""
    stmt = _scoped(select(func.count(), _count(Call.offered_at.is_not(None)), _count(Call.answered_at.is_not(None)),
                          _count(Call.status == CallStatus.EXPIRED), _count(Call.status == CallStatus.CANCELLED),
                          _count(Call.status == CallStatus.ABANDONED),
                          func.avg(case((Call.ended_at.is_not(None) & Call.answered_at.is_not(None), HANDLE))))
                   .select_from(Call), scope)
    total, offered, answered, missed, abandoned, dropped, handle_avg = db.session.execute(stmt).one()
    wait_p50, wait_p90 = quantiles(_scoped(select(WAIT).select_from(Call), scope)
                                   .where(Call.answered_at.is_not(None)), (0.5, 0.9))
    (handle_p50,) = quantiles(_scoped(select(HANDLE).select_from(Call), scope)
                              .where(Call.answered_at.is_not(None), Call.ended_at.is_not(None)), (0.5,))
    return {"requested": total, "offered": offered, "answered": answered, "missed": missed, "abandoned": abandoned,
            "dropped": dropped, "wait_p50": wait_p50, "wait_p90": wait_p90, "handle_p50": handle_p50,
            "handle_avg": None if handle_avg is None else round(float(handle_avg), 3)}


def per_agent(scope: Scope) -> list[tuple[str, int, int, int, int, float | None]]:
    """Per agent: rings (call_offer rows), accepted, missed; calls answered and their mean handle time."""
    rings = _scoped(select(CallOffer.agent_id.label("agent_id"), func.count().label("rings"),
                           _count(CallOffer.outcome == OfferOutcome.ACCEPTED).label("accepted"),
                           _count(CallOffer.outcome == OfferOutcome.MISSED).label("missed"))
                    .select_from(CallOffer).join(Call, Call.id == CallOffer.call_id), scope
                    ).group_by(CallOffer.agent_id).subquery()
    handled = _scoped(select(Call.agent_id.label("agent_id"), func.count().label("answered"),
                             func.avg(case((Call.ended_at.is_not(None), HANDLE))).label("handle"))
                      .select_from(Call).where(Call.answered_at.is_not(None), Call.agent_id.is_not(None)), scope
                      ).group_by(Call.agent_id).subquery()
    stmt = (select(Staff.full_name, Staff.username, rings.c.rings, rings.c.accepted, rings.c.missed,
                   handled.c.answered, handled.c.handle)
            .select_from(rings).join(Staff, Staff.id == rings.c.agent_id)
            .outerjoin(handled, handled.c.agent_id == rings.c.agent_id))
    out = [(name or username, r, a, m, n or 0, None if h is None else round(float(h), 3))
           for name, username, r, a, m, n, h in db.session.execute(stmt)]
    return sorted(out, key=lambda row: (-row[1], row[0]))


def per_hour(scope: Scope) -> dict[int, tuple[int, int]]:
    """Hour of day (Vietnam) → (calls requested, answered)."""
    hour = vietnam_hour(Call.requested_at).label("hour")
    stmt = _scoped(select(hour, func.count(), _count(Call.answered_at.is_not(None))).select_from(Call), scope)
    return {int(h): (n, a) for h, n, a in db.session.execute(stmt.group_by(hour))}


def build(scope: Scope) -> Page:
    f = figures(scope)
    hours = per_hour(scope)
    shown = range(24) if not hours else range(min(min(hours), 7), max(max(hours), 21) + 1)
    labels = [f"{h:02d}h" for h in shown]
    answered = [hours.get(h, (0, 0))[1] for h in shown]
    unanswered = [hours.get(h, (0, 0))[0] - hours.get(h, (0, 0))[1] for h in shown]
    requested = f["requested"]
    return Page(
        figures=(Figure(_l("Cuộc gọi yêu cầu"), requested), Figure(_l("Đã đổ chuông"), f["offered"]),
                 Figure(_l("Đã nhận"), f["answered"], share(f["answered"], requested)),
                 Figure(_l("Nhỡ (hết giờ chờ)"), f["missed"], share(f["missed"], requested)),
                 Figure(_l("Khách bỏ khi chờ"), f["abandoned"], share(f["abandoned"], requested)),
                 Figure(_l("Rớt giữa chừng"), f["dropped"]),
                 Figure(_l("Chờ (p50 / p90)"), f"{minutes(f['wait_p50'])} / {minutes(f['wait_p90'])}"),
                 Figure(_l("Thời gian xử lý (trung vị)"), minutes(f["handle_p50"]),
                        _l("trung bình %(t)s", t=minutes(f["handle_avg"])))),
        chart=Chart("bar", labels, [(_l("Đã nhận"), answered), (_l("Không nhận"), unanswered)], stacked=True,
                    y_title=_l("Cuộc gọi theo giờ trong ngày")),
        tables=(Table(_l("Theo nhân viên"), (_l("Nhân viên"), _l("Lượt đổ chuông"), _l("Đã nhận"), _l("Nhỡ"),
                                             _l("Cuộc đã xử lý"), _l("Xử lý trung bình")),
                      [(name, r, a, m, n, minutes(h)) for name, r, a, m, n, h in per_agent(scope)]),
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
    for cid, dossier_id, region, agent, status, outcome, asked, answered, ended in stream(stmt, conn):
        wait = int((answered - asked).total_seconds()) if answered else None
        handle = int((ended - answered).total_seconds()) if answered and ended else None
        yield (cid, dossier_id, region, agent or "", str(status.label), outcome, asked, answered, ended, wait, handle)


REPORT = register(Report("video-desk", _l("Tổ video call: cuộc gọi, thời gian chờ, xử lý"),
                         _l("Cuộc gọi yêu cầu, đã nhận, nhỡ, bỏ dở; thời gian chờ p50/p90 và xử lý; theo nhân viên "
                            "và theo giờ trong ngày."), build, HEADERS, rows, order=20))
