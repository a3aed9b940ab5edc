"""Review queue report (ACT-11, ESIM-10): the connection team's decisions made in the range
(dossier_review_decision.at) — approved, rejected, asked to redo; a four-eyes first approval is counted apart, not as
a decision —, the time to decision (from the submission it decided on: the dossier's last move to "submitted" in
status_change before it), the approval rate, rejections by the catalogue's reasons (rejection_reason labels as they
read today), and resubmissions (moves to "submitted" in the range of a dossier submitted before: after a redo, or a
rejection and the whole way again)."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Connection, Select, String, cast, func, select
from sqlalchemy.orm import aliased

from portal.core.models import StatusChange
from portal.dossiers.models import Dossier, DossierStatus
from portal.dossiers.review_models import Decision, RejectionReason, ReviewDecision
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
    translated,
)
from portal.reports.cells import Cells, Fact, seconds, vietnam_day
from portal.reports.filters import Scope

FINAL = (Decision.APPROVED, Decision.REJECTED, Decision.REDO)
DISTRIBUTIONS = frozenset({"waited"})  # seconds from the submission to the decision


def _submitted_at() -> Any:
    """When the submission a decision was made on arrived: the dossier's last move to "submitted" before it."""
    return (select(func.max(StatusChange.at))
            .where(StatusChange.object_type == Dossier.__tablename__,
                   StatusChange.object_id == cast(ReviewDecision.dossier_id, String),
                   StatusChange.to_status == DossierStatus.SUBMITTED.value, StatusChange.at <= ReviewDecision.at)
            .correlate(ReviewDecision).scalar_subquery())


def _decisions(stmt: Select, scope: Scope, *, dims: bool = False) -> Select:
    return by_dossier(stmt.select_from(ReviewDecision), scope, dossier_id=ReviewDecision.dossier_id,
                      at=ReviewDecision.at, dims=dims)


def facts(scope: Scope) -> Iterator[Fact]:
    """Per decision of the scope (its day: when it was made; the dossier's region and SIM type, its ticket's
    channel): ``decision:<kind>``, for a final one the seconds since the submission it decided on (``waited``), for
    a rejection ``reason:<code>``; per move to "submitted" of a dossier submitted before (its day: the move's),
    ``resubmitted``."""
    stmt = _decisions(select(ReviewDecision.at, ReviewDecision.decision, ReviewDecision.reason_code,
                             _submitted_at().label("submitted"), Dossier.region_id, HoldTicket.channel,
                             Dossier.sim_type), scope, dims=True)
    for row in db.session.execute(stmt):
        day, dims = vietnam_day(row.at), (row.region_id, row.channel, row.sim_type.value)
        yield Fact(day, *dims, f"decision:{row.decision.value}")
        if row.decision in FINAL:
            waited = seconds(row.submitted, row.at)
            if waited is not None:
                yield Fact(day, *dims, "waited", waited)
        if row.decision == Decision.REJECTED:
            yield Fact(day, *dims, f"reason:{row.reason_code}")
    earlier = aliased(StatusChange)
    again = (select(earlier.id).where(earlier.object_type == StatusChange.object_type,
                                      earlier.object_id == StatusChange.object_id,
                                      earlier.to_status == DossierStatus.SUBMITTED.value, earlier.at < StatusChange.at)
             .exists())
    moves = by_dossier(select(StatusChange.at, Dossier.region_id, HoldTicket.channel, Dossier.sim_type)
                       .select_from(StatusChange), scope, dossier_id=StatusChange.object_id, at=StatusChange.at,
                       dims=True)
    moves = moves.where(StatusChange.object_type == Dossier.__tablename__,
                        StatusChange.to_status == DossierStatus.SUBMITTED.value, again)
    for row in db.session.execute(moves):
        yield Fact(vietnam_day(row.at), row.region_id, row.channel, row.sim_type.value, "resubmitted")


def reasons(cells: Cells) -> list[tuple[str, int]]:
    """Rejections by reason, their catalogue label as it reads today (a code no longer in it: the code)."""
    counts = {code: n for code, (n, _total, _top) in cells.under("reason:").items()}
    named = dict(db.session.execute(select(RejectionReason.code, RejectionReason.label)
                                    .where(RejectionReason.code.in_(counts))).tuples().all()) if counts else {}
    out = [(gettext(named[code]) if named.get(code) else (code or "—"), n) for code, n in counts.items()]
    return sorted(out, key=lambda r: (-r[1], r[0]))


def build(scope: Scope, cells: Cells) -> Page:
    approved, rejected, redo = (cells.n(f"decision:{d.value}") for d in FINAL)
    decided = approved + rejected + redo
    by_reason = reasons(cells)
    return Page(
        figures=(Figure(_l("Quyết định"), decided), Figure(_l("Duyệt"), approved, share(approved, decided)),
                 Figure(_l("Từ chối"), rejected, share(rejected, decided)),
                 Figure(_l("Yêu cầu bổ sung"), redo, share(redo, decided)),
                 Figure(_l("Hồ sơ gửi lại"), cells.n("resubmitted"), _l("sau từ chối hoặc bổ sung")),
                 Figure(_l("Thời gian đến quyết định (trung vị)"), minutes(cells.quantile("waited", 0.5))),
                 Figure(_l("Thời gian đến quyết định (p90)"), minutes(cells.quantile("waited", 0.9))),
                 Figure(_l("Duyệt lần một (bốn mắt)"), cells.n(f"decision:{Decision.FIRST_APPROVAL.value}"))),
        chart=Chart("bar", [label for label, _n in by_reason], [(_l("Hồ sơ bị từ chối"), [n for _l_, n in by_reason])],
                    horizontal=True, y_title=_l("Số hồ sơ")) if by_reason else
        Chart("bar", [str(Decision.APPROVED.label), str(Decision.REJECTED.label), str(Decision.REDO.label)],
              [(_l("Quyết định"), [approved, rejected, redo])], y_title=_l("Số quyết định")),
        tables=(Table(_l("Từ chối theo lý do"), (_l("Lý do"), _l("Số hồ sơ")), by_reason),),
        notes=(_l("Tỷ lệ duyệt = duyệt / (duyệt + từ chối + yêu cầu bổ sung) trong khoảng ngày."),
               _l("Thời gian đến quyết định: từ lần gửi hồ sơ mà quyết định xét đến lúc quyết định.")),
    )


HEADERS: Sequence[Any] = (_l("Mã quyết định"), _l("Mã hồ sơ"), _l("Khu vực"), _l("Loại SIM"), _l("Người duyệt"),
                          _l("Quyết định"), _l("Lý do"), _l("Gửi lúc (giờ Việt Nam)"),
                          _l("Quyết định lúc (giờ Việt Nam)"), _l("Thời gian đến quyết định (giây)"),
                          _l("Số lần gửi"))


def rows(scope: Scope, conn: Connection) -> Iterator[Sequence[Any]]:
    submitted = _submitted_at().label("submitted")
    stmt = (_decisions(select(ReviewDecision.id, ReviewDecision.dossier_id, Dossier.region_id, Dossier.sim_type,
                              ReviewDecision.reviewer_name, ReviewDecision.decision, RejectionReason.label,
                              ReviewDecision.reason_code, submitted, ReviewDecision.at, Dossier.submissions), scope)
            .outerjoin(RejectionReason, RejectionReason.code == ReviewDecision.reason_code)
            .order_by(ReviewDecision.id))
    label, text = labels(), translated()
    for did, dossier_id, region, sim, reviewer, decision, reason, code, sent, at, times in stream(stmt, conn):
        waited = int((at - sent).total_seconds()) if sent is not None else None
        yield (did, dossier_id, region, label(sim), reviewer, label(decision), text(reason) if reason else code, sent,
               at, waited, times)


REPORT = register(Report("review-queue", _l("Hàng chờ duyệt: thời gian, tỷ lệ duyệt, lý do từ chối"),
                         _l("Quyết định của tổ đấu nối: thời gian đến quyết định, tỷ lệ duyệt, lý do từ chối, số "
                            "lần gửi lại."), build, HEADERS, rows, facts, DISTRIBUTIONS, order=30))
