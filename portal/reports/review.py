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
from portal.reports.base import (
    Chart,
    Figure,
    Page,
    Report,
    Table,
    by_dossier,
    minutes,
    quantiles,
    register,
    seconds_between,
    share,
    stream,
)
from portal.reports.filters import Scope

FINAL = (Decision.APPROVED, Decision.REJECTED, Decision.REDO)


def _submitted_at() -> Any:
    """When the submission a decision was made on arrived: the dossier's last move to "submitted" before it."""
    return (select(func.max(StatusChange.at))
            .where(StatusChange.object_type == Dossier.__tablename__,
                   StatusChange.object_id == cast(ReviewDecision.dossier_id, String),
                   StatusChange.to_status == DossierStatus.SUBMITTED.value, StatusChange.at <= ReviewDecision.at)
            .correlate(ReviewDecision).scalar_subquery())


def _decisions(stmt: Select, scope: Scope) -> Select:
    return by_dossier(stmt.select_from(ReviewDecision), scope, dossier_id=ReviewDecision.dossier_id,
                      at=ReviewDecision.at)


def figures(scope: Scope) -> dict[str, Any]:
    counts = {Decision(d): n for d, n in db.session.execute(
        _decisions(select(ReviewDecision.decision, func.count()), scope).group_by(ReviewDecision.decision))}
    decided = sum(counts.get(d, 0) for d in FINAL)
    waited = seconds_between(_submitted_at(), ReviewDecision.at)
    p50, p90 = quantiles(_decisions(select(waited), scope).where(ReviewDecision.decision.in_(FINAL)), (0.5, 0.9))
    earlier = aliased(StatusChange)
    again = (select(earlier.id).where(earlier.object_type == StatusChange.object_type,
                                      earlier.object_id == StatusChange.object_id,
                                      earlier.to_status == DossierStatus.SUBMITTED.value, earlier.at < StatusChange.at)
             .exists())
    resubmitted = by_dossier(select(func.count()).select_from(StatusChange), scope,
                             dossier_id=StatusChange.object_id, at=StatusChange.at)
    resubmitted = resubmitted.where(StatusChange.object_type == Dossier.__tablename__,
                                    StatusChange.to_status == DossierStatus.SUBMITTED.value, again)
    return {"decided": decided, "approved": counts.get(Decision.APPROVED, 0),
            "rejected": counts.get(Decision.REJECTED, 0), "redo": counts.get(Decision.REDO, 0),
            "first_approvals": counts.get(Decision.FIRST_APPROVAL, 0), "p50": p50, "p90": p90,
            "resubmissions": db.session.scalar(resubmitted) or 0}


def reasons(scope: Scope) -> list[tuple[str, int]]:
    """Rejections by reason, their catalogue label as it reads today (a code no longer in it: the code)."""
    stmt = (_decisions(select(ReviewDecision.reason_code, RejectionReason.label, func.count()), scope)
            .outerjoin(RejectionReason, RejectionReason.code == ReviewDecision.reason_code)
            .where(ReviewDecision.decision == Decision.REJECTED)
            .group_by(ReviewDecision.reason_code, RejectionReason.label))
    out = [(gettext(label) if label else (code or "—"), n) for code, label, n in db.session.execute(stmt)]
    return sorted(out, key=lambda r: (-r[1], r[0]))


def build(scope: Scope) -> Page:
    f = figures(scope)
    by_reason = reasons(scope)
    decided = f["decided"]
    return Page(
        figures=(Figure(_l("Quyết định"), decided), Figure(_l("Duyệt"), f["approved"], share(f["approved"], decided)),
                 Figure(_l("Từ chối"), f["rejected"], share(f["rejected"], decided)),
                 Figure(_l("Yêu cầu bổ sung"), f["redo"], share(f["redo"], decided)),
                 Figure(_l("Hồ sơ gửi lại"), f["resubmissions"], _l("sau từ chối hoặc bổ sung")),
                 Figure(_l("Thời gian đến quyết định (trung vị)"), minutes(f["p50"])),
                 Figure(_l("Thời gian đến quyết định (p90)"), minutes(f["p90"])),
                 Figure(_l("Duyệt lần một (bốn mắt)"), f["first_approvals"])),
        chart=Chart("bar", [label for label, _n in by_reason], [(_l("Hồ sơ bị từ chối"), [n for _l_, n in by_reason])],
                    horizontal=True, y_title=_l("Số hồ sơ")) if by_reason else
        Chart("bar", [str(Decision.APPROVED.label), str(Decision.REJECTED.label), str(Decision.REDO.label)],
              [(_l("Quyết định"), [f["approved"], f["rejected"], f["redo"]])], y_title=_l("Số quyết định")),
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
    for did, dossier_id, region, sim, reviewer, decision, label, code, sent, at, times in stream(stmt, conn):
        waited = int((at - sent).total_seconds()) if sent is not None else None
        yield (did, dossier_id, region, str(sim.label), reviewer, str(decision.label),
               gettext(label) if label else code, sent, at, waited, times)


REPORT = register(Report("review-queue", _l("Hàng chờ duyệt: thời gian, tỷ lệ duyệt, lý do từ chối"),
                         _l("Quyết định của tổ đấu nối: thời gian đến quyết định, tỷ lệ duyệt, lý do từ chối, số "
                            "lần gửi lại."), build, HEADERS, rows, order=30))
