"""The connection team's review (ACT-11, ESIM-10): claim (one reviewer at a time, free again once idle), assign
(supervisors), approve (twice, by two different reviewers, where the region has four eyes), reject with a reason
from the catalogue and a note, ask the customer to redo named parts, notes between reviewers.

``approve``, ``reject`` and ``ask_redo`` are named moves of the dossier (re-exported by ``lifecycle``). A claim is
taken with a conditional UPDATE, so two reviewers claiming at once get one winner; the status moves themselves
are conditional UPDATEs too (``core.states.transition``). Every decision keeps a snapshot of what was decided on.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, update
from sqlalchemy.orm.attributes import set_committed_value

from portal.auth.models import Staff
from portal.core.actors import Actor, describe
from portal.core.audit import audit
from portal.core.errors import Conflict, Invalid, NotFound
from portal.core.roles import Role
from portal.core.time import utcnow
from portal.dossiers.models import Dossier, DossierStatus, StepAction
from portal.dossiers.moves import move, step
from portal.dossiers.reasons import active_reason
from portal.dossiers.review_models import OTHER_REASON, Decision, RedoPart, ReviewDecision, ReviewNote
from portal.dossiers.signing import snapshot
from portal.dossiers.sockets import tell_after_commit
from portal.extensions import db

DECIDED = _("Hồ sơ đã được quyết định (“%(s)s”): không thể duyệt lại.")


def idle_cutoff():
    return utcnow() - timedelta(minutes=current_app.config.get("REVIEW_CLAIM_IDLE_MINUTES", 15))


def claim_is_live(dossier: Dossier) -> bool:
    """Someone holds the dossier and was active on it within REVIEW_CLAIM_IDLE_MINUTES."""
    return (dossier.reviewer_id is not None and dossier.review_active_at is not None
            and dossier.review_active_at >= idle_cutoff())


def held_by_other(dossier: Dossier, staff: Actor) -> bool:
    return claim_is_live(dossier) and dossier.reviewer_id != staff.id


def four_eyes(dossier: Dossier) -> bool:
    return dossier.region_id in (current_app.config.get("REVIEW_FOUR_EYES_REGIONS") or [])


def _claim_update(dossier: Dossier, reviewer_id: int, *, force: bool = False) -> bool:
    """The conditional UPDATE: the dossier is still waiting and free (or mine, or idle) → it is ``reviewer_id``'s."""
    now = utcnow()
    stmt = update(Dossier).where(Dossier.id == dossier.id, Dossier.status == DossierStatus.SUBMITTED)
    if not force:
        stmt = stmt.where(or_(Dossier.reviewer_id.is_(None), Dossier.reviewer_id == reviewer_id,
                              Dossier.review_active_at.is_(None), Dossier.review_active_at < idle_cutoff()))
    db.session.flush()
    result = db.session.execute(stmt.values(reviewer_id=reviewer_id, review_active_at=now)
                                .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    set_committed_value(dossier, "reviewer_id", reviewer_id)
    set_committed_value(dossier, "review_active_at", now)
    return True


def _refuse_taken(dossier: Dossier) -> Conflict:
    db.session.refresh(dossier)
    if dossier.status != DossierStatus.SUBMITTED:
        return Conflict("not_submitted", DECIDED % {"s": dossier.status_label})
    holder = db.session.get(Staff, dossier.reviewer_id) if dossier.reviewer_id else None
    return Conflict("claimed_by_other", _("Hồ sơ đang được %(name)s duyệt: không thể nhận hoặc quyết định.",
                                          name=holder.display_name if holder else _("người khác")))


def claim(dossier: Dossier, reviewer: Actor) -> bool:
    """"Nhận duyệt": the dossier becomes the reviewer's (refused while another reviewer's claim is live); True when
    newly taken, False when it already was theirs (the claim's activity time is refreshed)."""
    if dossier.status != DossierStatus.SUBMITTED:
        raise Conflict("not_submitted", DECIDED % {"s": dossier.status_label})
    mine = dossier.reviewer_id == reviewer.id
    if not _claim_update(dossier, reviewer.id):
        raise _refuse_taken(dossier)
    if not mine:
        step(dossier, StepAction.CLAIMED, reviewer, dossier.step_id("ACT-11", "ESIM-10"))
        audit("dossier.review_claimed", dossier, actor=reviewer)
        tell_after_commit(dossier, "claimed")
    return not mine


def release(dossier: Dossier, reviewer: Actor) -> None:
    """"Trả hồ sơ": the reviewer lets it go back to the new items."""
    if dossier.reviewer_id != reviewer.id or dossier.status != DossierStatus.SUBMITTED:
        return
    db.session.execute(update(Dossier).where(Dossier.id == dossier.id, Dossier.reviewer_id == reviewer.id)
                       .values(reviewer_id=None, review_active_at=None).execution_options(synchronize_session=False))
    set_committed_value(dossier, "reviewer_id", None)
    set_committed_value(dossier, "review_active_at", None)
    audit("dossier.review_released", dossier, actor=reviewer)
    tell_after_commit(dossier, "released")


def assign(dossier: Dossier, supervisor: Actor, reviewer_id: int) -> None:
    """A supervisor gives the dossier to a connection-team member of its region (overrides a live claim)."""
    staff = db.session.get(Staff, reviewer_id)
    if (staff is None or staff.role != Role.CONNECTION or not staff.is_active
            or staff.region_id not in (dossier.region_id,)):
        raise NotFound("reviewer_not_found", _("Không tìm thấy nhân viên tổ đấu nối của khu vực này."))
    if not _claim_update(dossier, staff.id, force=True):
        raise Conflict("not_submitted", DECIDED % {"s": dossier.status_label})
    step(dossier, StepAction.CLAIMED, supervisor, dossier.step_id("ACT-11", "ESIM-10"),
         _("Giao cho %(name)s", name=staff.display_name))
    audit("dossier.review_assigned", dossier, actor=supervisor, detail={"reviewer_id": staff.id})
    tell_after_commit(dossier, "assigned")


def _decidable(dossier: Dossier, reviewer: Actor) -> None:
    """Still waiting for a decision, and not someone else's (a free or idle one is claimed on the way)."""
    if dossier.status != DossierStatus.SUBMITTED:
        raise Conflict("not_submitted", DECIDED % {"s": dossier.status_label})
    if not _claim_update(dossier, reviewer.id):
        raise _refuse_taken(dossier)


def _record(dossier: Dossier, reviewer: Actor, decision: Decision, reason_code: str = "", note: str = "",
            parts: list[str] | None = None) -> ReviewDecision:
    actor_id, name, _kind = describe(reviewer)
    row = ReviewDecision(dossier_id=dossier.id, at=utcnow(), reviewer_id=actor_id, reviewer_name=name[:80],
                         decision=decision, reason_code=reason_code, note=note[:500], parts=parts or [],
                         snapshot=snapshot(dossier))
    db.session.add(row)
    return row


def _first_approval(dossier: Dossier, reviewer: Actor, step_id: str) -> bool:
    """Four eyes: the first of two approvals is recorded; the claim is let go for a second reviewer."""
    taken = db.session.execute(
        update(Dossier).where(Dossier.id == dossier.id, Dossier.status == DossierStatus.SUBMITTED,
                              Dossier.first_approver_id.is_(None))
        .values(first_approver_id=reviewer.id, reviewer_id=None, review_active_at=None)
        .execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        raise Conflict("stale_state", _("Hồ sơ vừa được người khác cập nhật. Vui lòng tải lại trang."))
    for name, value in (("first_approver_id", reviewer.id), ("reviewer_id", None),
                        ("review_active_at", None)):
        set_committed_value(dossier, name, value)
    _record(dossier, reviewer, Decision.FIRST_APPROVAL)
    step(dossier, StepAction.FIRST_APPROVAL, reviewer, step_id)
    audit("dossier.review_first_approval", dossier, actor=reviewer)
    tell_after_commit(dossier, "first_approval")
    return True


def approve(dossier: Dossier, reviewer: Actor) -> bool:
    """ACT-11, ESIM-10: approved → Chờ mSale. With four eyes in the region the first approval is recorded and the
    dossier stays Chờ duyệt until a second, different reviewer approves. False: it already is approved."""
    if dossier.status == DossierStatus.APPROVED:
        return False
    if four_eyes(dossier) and dossier.first_approver_id == reviewer.id:
        raise Conflict("four_eyes_same_reviewer", _(
            "Khu vực này cần hai người duyệt khác nhau: bạn đã duyệt lần một, hãy để đồng nghiệp duyệt lần hai."))
    _decidable(dossier, reviewer)
    step_id = dossier.step_id("ACT-11", "ESIM-10")
    now = utcnow()
    if four_eyes(dossier) and dossier.first_approver_id is None:
        return _first_approval(dossier, reviewer, step_id)
    _record(dossier, reviewer, Decision.APPROVED)
    move(dossier, DossierStatus.APPROVED, reviewer, _("Tổ đấu nối duyệt hồ sơ"), decided_by_id=reviewer.id,
         decided_at=now, last_reason="")
    step(dossier, StepAction.APPROVED, reviewer, step_id)
    return True


def _note(text: str, required: bool) -> str:
    text = " ".join((text or "").split())[:500]
    if required and not text:
        raise Invalid("note_required", _("Vui lòng ghi rõ lý do cho khách."))
    return text


def reject(dossier: Dossier, reviewer: Actor, reason_code: str, note: str) -> bool:
    """ACT-11, ESIM-10: Từ chối with a reason from the catalogue and a note (required for "other"); the customer
    sees both and may update and resubmit. False: already rejected for the same reason and note."""
    chosen = active_reason(reason_code or "")  # the catalogue's active reasons only (portal.dossiers.reasons)
    if chosen is None:
        raise Invalid("reason_unknown", _("Vui lòng chọn lý do từ chối."))
    note = _note(note, reason_code == OTHER_REASON)
    reason = f"{chosen.shown_label}{': ' + note if note else ''}"[:500]
    if dossier.is_rejected and (dossier.reject_code, dossier.last_reason) == (reason_code, reason):
        return False
    _decidable(dossier, reviewer)
    _record(dossier, reviewer, Decision.REJECTED, reason_code, note)
    move(dossier, DossierStatus.REJECTED, reviewer, reason, decided_by_id=reviewer.id, decided_at=utcnow(),
         reject_code=reason_code, last_reason=reason)
    step(dossier, StepAction.REJECTED, reviewer, dossier.step_id("ACT-11", "ESIM-10"), reason)
    return True


def redo_parts_for(dossier: Dossier) -> list[RedoPart]:
    """The parts a reviewer may name: an eSIM has no SIM photo."""
    return [p for p in RedoPart if not (dossier.is_esim and p == RedoPart.SIM_PHOTO)]


def ask_redo(dossier: Dossier, reviewer: Actor, parts: list[str], note: str) -> bool:
    """ACT-11, ESIM-10: Cần bổ sung — the named parts open again for the customer, who sends the dossier again
    (``signing.submit``). False: already asked for the same parts."""
    allowed = {p.value for p in redo_parts_for(dossier)}
    chosen = [p.value for p in RedoPart if p.value in set(parts or [])]
    if not chosen or not set(parts or []) <= allowed:
        raise Invalid("parts_required", _("Vui lòng chọn phần khách cần bổ sung."))
    note = _note(note, False)
    if dossier.status == DossierStatus.REDO and sorted(dossier.redo_parts or []) == sorted(chosen):
        return False
    _decidable(dossier, reviewer)
    labels = ", ".join(RedoPart(p).label for p in chosen)
    reason = f"{labels}{': ' + note if note else ''}"[:500]
    _record(dossier, reviewer, Decision.REDO, "", note, chosen)
    move(dossier, DossierStatus.REDO, reviewer, reason, decided_by_id=reviewer.id, decided_at=utcnow(),
         redo_parts=chosen, last_reason=reason)
    step(dossier, StepAction.REDO_ASKED, reviewer, dossier.step_id("ACT-11", "ESIM-10"), reason)
    return True


def add_note(dossier: Dossier, author: Actor, text: str) -> ReviewNote:
    """A note between reviewers (never shown to the customer)."""
    text = (text or "").strip()[:1000]
    if not text:
        raise Invalid("note_required", _("Vui lòng nhập nội dung ghi chú."))
    actor_id, name, _kind = describe(author)
    note = ReviewNote(dossier_id=dossier.id, at=utcnow(), author_id=actor_id, author_name=name[:80], text=text)
    db.session.add(note)
    audit("dossier.review_note", dossier, actor=author)
    return note
