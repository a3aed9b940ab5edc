"""mSale report (ACT-11, ESIM-10): submissions made in the range (msale_submission.created_at), their outcome
(connected, refused, failed, still in progress), the turnaround from submission to mSale's answer (the
status_change row that settled it), refusals and failures by reason."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Connection, String, cast, func, select

from portal.connections.models import MsaleSubmission, SubmissionStatus
from portal.core.models import StatusChange
from portal.dossiers.models import Dossier
from portal.extensions import db
from portal.holds.models import HoldTicket
from portal.reports.base import (
    Chart,
    Figure,
    Page,
    Report,
    Table,
    by_dossier,
    labels,
    minutes,
    register,
    share,
    stream,
)
from portal.reports.cells import Cells, Fact, seconds, vietnam_day
from portal.reports.filters import Scope

SETTLED = (SubmissionStatus.CONNECTED, SubmissionStatus.REFUSED, SubmissionStatus.FAILED)
BUCKETS = ((5 * 60, _l("< 5 phút")), (15 * 60, _l("5–15 phút")), (3600, _l("15–60 phút")),
           (4 * 3600, _l("1–4 giờ")), (None, _l("> 4 giờ")))
DISTRIBUTIONS = frozenset({"turnaround"})  # seconds from the submission to mSale's answer
REASON_CHARS = 100  # a refusal's reason or a failure's last error is cut to this in its fact's key


def _settled_at() -> Any:
    """When mSale's answer (or the last failed try) settled the submission: its status_change row."""
    return (select(func.max(StatusChange.at))
            .where(StatusChange.object_type == MsaleSubmission.__tablename__,
                   StatusChange.object_id == cast(MsaleSubmission.id, String),
                   StatusChange.to_status.in_([s.value for s in SETTLED]))
            .correlate(MsaleSubmission).scalar_subquery())


def _scoped(stmt: Any, scope: Scope, *, dims: bool = False) -> Any:
    return by_dossier(stmt, scope, dossier_id=MsaleSubmission.dossier_id, at=MsaleSubmission.created_at, dims=dims)


def _bin(turnaround: float) -> int:
    """The chart's bin (BUCKETS) of a turnaround in seconds."""
    return next(i for i, (top, _label) in enumerate(BUCKETS) if top is None or turnaround < top)


def facts(scope: Scope) -> Iterator[Fact]:
    """Per submission of the scope (its day: when it was made; the dossier's region and SIM type, its ticket's
    channel): ``status:<status>``; answered (connected or refused), the seconds to the answer (``turnaround``) and
    the chart's bin (``bin:<i>``); refused or failed, ``refused:<reason>`` / ``failed:<last error>`` (cut to
    REASON_CHARS)."""
    stmt = _scoped(select(MsaleSubmission.created_at, MsaleSubmission.status, MsaleSubmission.last_error,
                          _settled_at().label("settled"), Dossier.region_id, HoldTicket.channel, Dossier.sim_type)
                   .select_from(MsaleSubmission), scope, dims=True)
    for row in db.session.execute(stmt):
        day, dims = vietnam_day(row.created_at), (row.region_id, row.channel, row.sim_type.value)
        yield Fact(day, *dims, f"status:{row.status.value}")
        if row.status in (SubmissionStatus.REFUSED, SubmissionStatus.FAILED):
            yield Fact(day, *dims, f"{row.status.value}:{(row.last_error or '')[:REASON_CHARS]}")
        turnaround = seconds(row.created_at, row.settled)
        if row.status in (SubmissionStatus.CONNECTED, SubmissionStatus.REFUSED) and turnaround is not None:
            yield Fact(day, *dims, "turnaround", turnaround)
            yield Fact(day, *dims, f"bin:{_bin(turnaround)}")


def _by_reason(cells: Cells, status: SubmissionStatus) -> list[tuple[str, int]]:
    return sorted(((reason or "—", n) for reason, (n, _total, _top) in cells.under(f"{status.value}:").items()),
                  key=lambda r: (-r[1], r[0]))


def build(scope: Scope, cells: Cells) -> Page:
    counts = {SubmissionStatus(s): n for s, (n, _total, _top) in cells.under("status:").items()}
    total = sum(counts.values())
    connected, refused = counts.get(SubmissionStatus.CONNECTED, 0), counts.get(SubmissionStatus.REFUSED, 0)
    failed = counts.get(SubmissionStatus.FAILED, 0)
    waiting = total - connected - refused - failed
    histogram = [cells.n(f"bin:{i}") for i in range(len(BUCKETS))]
    refusals, failures = _by_reason(cells, SubmissionStatus.REFUSED), _by_reason(cells, SubmissionStatus.FAILED)
    return Page(
        figures=(Figure(_l("Lượt gửi mSale"), total), Figure(_l("Đã hòa mạng"), connected, share(connected, total)),
                 Figure(_l("Bị từ chối"), refused, share(refused, total)),
                 Figure(_l("Lỗi gửi"), failed, share(failed, total)), Figure(_l("Đang chờ"), waiting),
                 Figure(_l("Thời gian xử lý (trung vị)"), minutes(cells.quantile("turnaround", 0.5))),
                 Figure(_l("Thời gian xử lý (p90)"), minutes(cells.quantile("turnaround", 0.9)))),
        chart=Chart("bar", [label for _top, label in BUCKETS], [(_l("Lượt gửi có kết quả"), histogram)],
                    y_title=_l("Số lượt")),
        tables=(Table(_l("Từ chối theo lý do"), (_l("Lý do"), _l("Số lượt")), refusals),
                Table(_l("Lỗi gửi theo lỗi cuối"), (_l("Lỗi"), _l("Số lượt")), failures)),
        notes=(_l("Thời gian xử lý: từ lúc gửi đến khi mSale trả kết quả (hòa mạng hoặc từ chối)."),),
    )


HEADERS: Sequence[Any] = (_l("Mã lượt gửi"), _l("Mã hồ sơ"), _l("Lần gửi"), _l("Khu vực"), _l("Loại SIM"),
                          _l("Kênh"), _l("Trạng thái"), _l("Gửi lúc (giờ Việt Nam)"),
                          _l("Có kết quả lúc (giờ Việt Nam)"), _l("Thời gian xử lý (giây)"), _l("Lý do / lỗi"))


def rows(scope: Scope, conn: Connection) -> Iterator[Sequence[Any]]:
    settled = _settled_at().label("settled")
    stmt = (select(MsaleSubmission.id, MsaleSubmission.dossier_id, MsaleSubmission.attempt, Dossier.region_id,
                   Dossier.sim_type, HoldTicket.channel, MsaleSubmission.status, MsaleSubmission.created_at, settled,
                   MsaleSubmission.last_error)
            .select_from(MsaleSubmission).join(Dossier, Dossier.id == MsaleSubmission.dossier_id)
            .join(HoldTicket, HoldTicket.id == Dossier.ticket_id))
    stmt = scope.apply(stmt, at=MsaleSubmission.created_at, region=Dossier.region_id, channel=HoldTicket.channel,
                       sim=Dossier.sim_type).order_by(MsaleSubmission.id)
    label = labels()
    for sid, dossier_id, attempt, region, sim, channel, status, made, done, error in stream(stmt, conn):
        turnaround = int((done - made).total_seconds()) if done is not None and status in (
            SubmissionStatus.CONNECTED, SubmissionStatus.REFUSED) else None
        yield (sid, dossier_id, attempt, region, label(sim), channel,
               str(status.value), made, done, turnaround, error)


REPORT = register(Report("msale", _l("mSale: thời gian xử lý, từ chối và lỗi"),
                         _l("Lượt gửi hồ sơ sang mSale: kết quả, thời gian xử lý, từ chối theo lý do và lỗi gửi."),
                         build, HEADERS, rows, facts, DISTRIBUTIONS, order=40))
