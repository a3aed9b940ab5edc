"""Every move of a dossier, named (ACT-3..8, ESIM-2..7, E-1.3, E-1.4, E-3.3, E-3.4): the only code that changes
``Dossier.status``.

The customer's pages and the app API call ``open_dossier``, ``update_details``, ``add_photo`` and ``verify``; the
video-call desk calls ``video_passed`` / ``video_failed``; the retention job calls ``abandon``. The rules each
move checks are ``Dossier`` properties (``editable``, ``may_verify``, ``may_call``), which views and templates ask
too. Status moves go through ``core.states.transition``, which writes the history and publishes them
(``portal.core.events``): the audit row ``dossier.<status>`` and whatever else reacts listen. Every step is also
kept on the dossier's timeline (``DossierStep``) with its SPEC step id. Services never commit.
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Any, BinaryIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from portal.core.actors import Actor, describe
from portal.core.audit import audit, audit_now
from portal.core.errors import Conflict, Invalid, NotFound, PortalError
from portal.core.states import record_change, transition
from portal.core.time import utcnow
from portal.core.tx import after_commit
from portal.dossiers.models import (
    COUNTS_FOR_ID_LIMIT,
    DOSSIER_TRANSITIONS,
    Dossier,
    DossierMedia,
    DossierStatus,
    DossierStep,
    EkycCheck,
    EkycRun,
    PhotoKind,
    StepAction,
)
from portal.dossiers.validation import FIELD_LABELS, DossierDetails, details_of_order
from portal.extensions import db
from portal.gateways import ekyc
from portal.holds.models import HoldLine, HoldStatus, HoldTicket, SimType
from portal.media.images import clean_image
from portal.media.storage import MediaNotFound, storage
from portal.orders.models import Order, OrderStatus
from portal.org.places import region_of_province

log = logging.getLogger(__name__)


class EkycUnavailable(PortalError):
    status = 503


def _move(dossier: Dossier, to: DossierStatus, actor: Actor | None, reason: str = "", **values: Any) -> None:
    transition(dossier, to, actor, DOSSIER_TRANSITIONS, reason, **values)


def _step(dossier: Dossier, action: StepAction, actor: Actor | None, step: str = "", note: str = "") -> None:
    """One line of the timeline: what happened, its SPEC step id, who and when."""
    actor_id, actor_name, actor_kind = describe(actor)
    db.session.add(DossierStep(dossier_id=dossier.id, at=utcnow(), step=step, action=action, actor_id=actor_id,
                               actor_name=actor_name[:80], actor_kind=actor_kind, note=note[:500]))


def _back_to_draft(dossier: Dossier, actor: Actor | None, reason: str) -> None:
    """A change after a verification: eKYC must run again on what is there now."""
    if dossier.status != DossierStatus.DRAFT:
        _move(dossier, DossierStatus.DRAFT, actor, reason)


def _refuse_unless_editable(dossier: Dossier) -> None:
    if not dossier.editable:
        raise Conflict("dossier_not_editable", _("Hồ sơ ở trạng thái “%(s)s”: không thể sửa thông tin hoặc ảnh.",
                                                 s=dossier.status_label))


# --- the per-ID limit (Decree 163/2024) ---------------------------------------------------------------------------

def numbers_on_id(id_number: str, other_than: int | None = None) -> int:
    """Numbers registered online on this ID document: the lines of the live dossiers whose eKYC passed."""
    stmt = (select(func.count(HoldLine.id)).select_from(Dossier)
            .join(HoldLine, HoldLine.ticket_id == Dossier.ticket_id)
            .where(Dossier.id_number == id_number, Dossier.status.in_(COUNTS_FOR_ID_LIMIT)))
    if other_than is not None:
        stmt = stmt.where(Dossier.id != other_than)
    return db.session.scalar(stmt) or 0


def _lock_id_number(id_number: str) -> None:
    """Serialise the limit's count-then-move per ID document (SQLite's BEGIN IMMEDIATE already serialises writers)."""
    if db.session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"id:{id_number}".encode()).digest()[:8], "big", signed=True)
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def check_id_limit(id_number: str, numbers: int, dossier_id: int | None = None) -> None:
    """Refuse a registration that would put more than DOSSIER_MAX_NUMBERS_PER_ID numbers on one ID document."""
    limit = current_app.config["DOSSIER_MAX_NUMBERS_PER_ID"]
    if numbers_on_id(id_number, dossier_id) + numbers > limit:
        raise Conflict("id_limit_reached", _(
            "Giấy tờ này đã đăng ký đủ %(n)d số thuê bao trực tuyến (Nghị định 163/2024/NĐ-CP): không thể đăng ký "
            "thêm số. Vui lòng đến cửa hàng MobiFone nếu cần hỗ trợ.", n=limit))


# --- opening (ACT-3, ESIM-2, E-1.3, E-3.3) --------------------------------------------------------------------

def opening_refusal(order: Order) -> str | None:
    """Why the customer may not activate this order's number yet (None: they may). A physical SIM once it is in
    their hands (delivered, or handed over at the store); an eSIM once its hold is paid."""
    ticket = order.ticket
    if order.is_cancelled or ticket.status in (HoldStatus.CANCELLED, HoldStatus.EXPIRED):
        return _("Đơn hàng đã hủy: không thể kích hoạt.")
    if ticket.status == HoldStatus.COMPLETED:
        return _("Số đã được hòa mạng.")
    if order.sim_type == SimType.ESIM:
        if ticket.status != HoldStatus.PAID:
            return _("Kích hoạt eSIM sau khi đơn hàng được thanh toán.")
        return None
    if order.status != OrderStatus.DELIVERED:  # delivered at the door, or handed over at the store
        return _("Kích hoạt sau khi bạn nhận được SIM (giao tận nơi hoặc nhận tại cửa hàng).")
    return None


def _new(ticket: HoldTicket, order: Order | None, customer: Actor, details: DossierDetails, region_id: int,
         step_note: str) -> Dossier:
    dossier = Dossier(ticket_id=ticket.id, order_id=order.id if order else None, customer_id=customer.id,
                      region_id=region_id, sim_type=ticket.sim_type, status=DossierStatus.DRAFT,
                      **details.values())
    db.session.add(dossier)
    db.session.flush()
    record_change(dossier, None, DossierStatus.DRAFT, customer, _("Khách mở hồ sơ kích hoạt"))
    _step(dossier, StepAction.OPENED, customer, dossier.step_id("ACT-3", "ESIM-2"), step_note)
    audit("dossier.open", dossier, actor=customer, detail={"ticket": ticket.hold_code, "channel": ticket.channel})
    return dossier


def _existing(ticket: HoldTicket, customer: Actor) -> Dossier | None:
    """The ticket's dossier if it is this customer's (reopened if abandoned); someone else's is 'not found'."""
    dossier = db.session.scalar(select(Dossier).where(Dossier.ticket_id == ticket.id))
    if dossier is None:
        return None
    if dossier.customer_id != customer.id:
        raise NotFound("dossier_not_found", _("Không tìm thấy phiếu giữ số."))
    if dossier.is_abandoned:
        _move(dossier, DossierStatus.DRAFT, customer, _("Khách mở lại hồ sơ kích hoạt"), ended_at=None,
              media_purged_at=None)
        _step(dossier, StepAction.REOPENED, customer, dossier.step_id("ACT-3", "ESIM-2"))
    return dossier


def open_dossier(order: Order, customer: Actor) -> Dossier:
    """ACT-3, ESIM-2: "Kích hoạt" on the customer's own ticket: a dossier starting from the hold form's details
    (the same dossier again if there is one)."""
    refusal = opening_refusal(order)
    if refusal:
        raise Conflict("not_ready_for_activation", refusal)
    existing = _existing(order.ticket, customer)
    if existing is not None:
        return existing
    check_id_limit(order.id_number, len(order.ticket.lines))
    return _new(order.ticket, order, customer, details_of_order(order), order.region_id, "")


def open_from_hold_code(ticket: HoldTicket, customer: Actor, details: DossierDetails) -> Dossier:
    """E-1.3, E-3.3: a sales channel's ticket (no order here), found by its hold code and phone (the caller checked
    both with ``holds.services.lookup_hold``); the customer gives the registration details at once."""
    if db.session.scalar(select(Order.id).where(Order.ticket_id == ticket.id)) is not None:
        raise NotFound("dossier_not_found", _("Không tìm thấy phiếu giữ số."))  # an order's ticket: its own page
    mine = db.session.scalar(select(Dossier).where(Dossier.ticket_id == ticket.id,
                                                   Dossier.customer_id == customer.id))
    if mine is not None and not mine.is_abandoned:
        return mine  # the customer typed the code again: their dossier, however far it went
    if not ticket.is_live:
        raise Conflict("not_ready_for_activation", _("Phiếu giữ số đã hết hạn hoặc đã hủy: không thể kích hoạt."))
    existing = _existing(ticket, customer)  # someone else's: not found; an abandoned one: reopened
    if existing is not None:
        return existing
    check_id_limit(details.id_number, len(ticket.lines))
    region = region_of_province(details.province) or ticket.region_id
    return _new(ticket, None, customer, details, region, _("Mã giữ số và số điện thoại đã được kiểm tra (E-3.3)"))


# --- details and photos (ACT-4, ACT-5, ESIM-3, ESIM-4) -----------------------------------------------------------

def update_details(dossier: Dossier, actor: Actor, details: DossierDetails) -> list[str]:
    """ACT-4, ESIM-3: the customer confirms or corrects the registration details; returns the fields changed.
    The dossier follows the province to its region's teams (routing by the customer's address)."""
    _refuse_unless_editable(dossier)
    changed = [name for name, value in details.values().items() if getattr(dossier, name) != value]
    for name in changed:
        setattr(dossier, name, getattr(details, name))
    if "province" in changed:
        dossier.region_id = region_of_province(details.province) or dossier.region_id
    if changed:
        dossier.updated_at = utcnow()
        audit("dossier.details_updated", dossier, actor=actor, detail={"fields": changed})
        _back_to_draft(dossier, actor, _("Khách sửa thông tin đăng ký: cần xác thực lại"))
    note = (_("Đã sửa: %(f)s", f=", ".join(str(FIELD_LABELS[n]) for n in changed)) if changed
            else _("Giữ nguyên thông tin"))
    _step(dossier, StepAction.DETAILS_UPDATED, actor, dossier.step_id("ACT-4", "ESIM-3"), note)
    db.session.flush()
    return changed


def add_photo(dossier: Dossier, actor: Actor, kind: PhotoKind, upload: bytes | BinaryIO) -> DossierMedia:
    """ACT-5, ESIM-4: an ID side or the portrait, judged by its content, re-encoded without metadata, stored
    encrypted under a random name; a retake replaces the earlier photo (its object is deleted after the commit)."""
    _refuse_unless_editable(dossier)
    clean = clean_image(upload)
    name = storage().put(clean.data, kind.value)
    try:
        earlier = dossier.photo(kind)
        now = utcnow()
        if earlier is not None:
            earlier.replaced_at = now
            db.session.flush()  # out of the "one current photo of a kind" index before the new one goes in
            after_commit(_delete_objects, [earlier.storage_name])
        media = DossierMedia(dossier_id=dossier.id, kind=kind, storage_name=name, width=clean.width,
                             height=clean.height, size_bytes=len(clean.data), source_type=clean.source_type,
                             created_at=now)
        db.session.add(media)
        dossier.updated_at = now
        db.session.flush()
    except IntegrityError:
        storage().delete(name)  # nothing stored that the dossier does not point to
        raise Conflict("stale_state", _("Ảnh này vừa được gửi từ nơi khác. Vui lòng tải lại trang.")) from None
    except Exception:
        storage().delete(name)
        raise
    db.session.expire(dossier, ["photos"])
    audit("dossier.photo_added", dossier, actor=actor, detail={"kind": kind.value, "replaces": bool(earlier),
                                                              "source_type": clean.source_type})
    _back_to_draft(dossier, actor, _("Khách chụp lại ảnh: cần xác thực lại"))
    _step(dossier, StepAction.PHOTO_ADDED, actor, dossier.step_id("ACT-5", "ESIM-4"), kind.label)
    return media


def _delete_objects(names: list[str]) -> None:
    """after_commit: best effort; what fails here is deleted by the retention job (``deleted_at`` still empty)."""
    for name in names:
        try:
            storage().delete(name)
        except Exception:
            log.exception("could not delete a replaced photo now; the retention job will")


# --- verification (ACT-6, ACT-7, ESIM-5, ESIM-6, E-3.4) ---------------------------------------------------------

@dataclass(frozen=True)
class Prepared:
    """What one eKYC run checks: the photos (by row and bytes) and the declaration, read before the check runs."""

    dossier_id: int
    status: DossierStatus
    media_ids: tuple[int, int, int]
    images: tuple[bytes, bytes, bytes]
    declared: ekyc.DeclaredIdentity


def prepare_verification(dossier: Dossier) -> Prepared:
    """ACT-6, ESIM-5: "Xác thực thông tin" — every photo there, the per-ID limit not reached; read the photos."""
    if dossier.status not in (DossierStatus.DRAFT, DossierStatus.EKYC_FAILED):
        raise Conflict("not_verifiable", _("Hồ sơ ở trạng thái “%(s)s”: không cần xác thực lại.",
                                           s=dossier.status_label))
    if dossier.missing_photos:
        raise Invalid("photos_missing", _("Vui lòng chụp đủ ảnh trước khi xác thực: thiếu %(k)s.",
                                          k=", ".join(k.label.lower() for k in dossier.missing_photos)))
    check_id_limit(dossier.id_number, len(dossier.ticket.lines), dossier.id)
    photos = [dossier.photo(kind) for kind in PhotoKind]
    try:
        images = tuple(storage().get(p.storage_name) for p in photos)  # type: ignore[union-attr]
    except (MediaNotFound, ValueError):
        raise Invalid("photos_missing", _("Không đọc được ảnh đã chụp: vui lòng chụp lại.")) from None
    return Prepared(dossier.id, dossier.status, tuple(p.id for p in photos), images, _declared(dossier))  # type: ignore


def _declared(dossier: Dossier) -> ekyc.DeclaredIdentity:
    return ekyc.DeclaredIdentity(dossier.id_type, dossier.id_number, dossier.full_name, dossier.birth_date,
                                 dossier.gender)


def run_checks(prepared: Prepared) -> tuple[ekyc.EkycResult, int]:
    """The eKYC provider on the prepared photos (no database work: it may take a second); the result and its ms."""
    started = time.perf_counter()
    try:
        result = ekyc.provider().check(*prepared.images, prepared.declared)
    except ekyc.EkycError as exc:
        log.warning("ekyc provider unavailable: %s", exc)
        raise EkycUnavailable("ekyc_unavailable", _(
            "Hệ thống xác thực eKYC tạm thời gián đoạn. Ảnh của bạn đã được lưu, vui lòng thử lại sau ít phút."),
        ) from None
    return result, round((time.perf_counter() - started) * 1000)


def record_verification(dossier: Dossier, actor: Actor, prepared: Prepared, result: ekyc.EkycResult,
                        duration_ms: int = 0) -> EkycRun:
    """ACT-7, ESIM-6, E-3.4: keep every check; pass → Chờ gọi video, fail → back to the photos with the reasons.
    Refused (Conflict) if the photos, the details or the status changed while the check ran."""
    _lock_id_number(dossier.id_number)
    db.session.refresh(dossier)
    db.session.expire(dossier, ["photos"])
    current = tuple(p.id for p in (dossier.photo(k) for k in PhotoKind) if p is not None)
    if dossier.status != prepared.status or current != prepared.media_ids or _declared(dossier) != prepared.declared:
        raise Conflict("stale_state", _("Hồ sơ vừa thay đổi trong lúc xác thực. Vui lòng xác thực lại."))
    if result.passed:
        check_id_limit(dossier.id_number, len(dossier.ticket.lines), dossier.id)
    front, back, portrait = prepared.media_ids
    run = EkycRun(dossier_id=dossier.id, at=utcnow(), provider=result.provider, passed=result.passed,
                  front_id=front, back_id=back, portrait_id=portrait, duration_ms=duration_ms)
    db.session.add(run)
    db.session.flush()
    for c in result.checks:
        db.session.add(EkycCheck(run_id=run.id, name=c.name, passed=c.passed, code=c.code, reason=c.reason[:500],
                                 score=c.score, threshold=c.threshold, details=c.details))
    step = dossier.step_id("ACT-7", "ESIM-6")
    if result.passed:
        _move(dossier, DossierStatus.READY_FOR_CALL, actor, _("eKYC đạt: mời gọi video"), last_reason="")
        _step(dossier, StepAction.EKYC_PASSED, actor, step)
    else:
        reasons = " ".join(c.reason for c in result.failures)[:500]
        _move(dossier, DossierStatus.EKYC_FAILED, actor, reasons, last_reason=reasons)
        _step(dossier, StepAction.EKYC_FAILED, actor, step, reasons)
    return run


def verify(dossier: Dossier, actor: Actor) -> EkycRun:
    """ACT-6/7, ESIM-5/6 in one go (tests, jobs); the web and API views split it so that no write lock is held
    while the provider works (``portal.dossiers.views_common.verify_now``)."""
    prepared = prepare_verification(dossier)
    result, ms = run_checks(prepared)
    return record_verification(dossier, actor, prepared, result, ms)


# --- the video call (ACT-8, ESIM-7; called by the video-call desk) -----------------------------------------------

def video_passed(dossier: Dossier, agent: Actor) -> None:
    """ACT-8 → 9, ESIM-7 → 8: the agent saw the customer and the documents agree → Đã xác minh video."""
    if not dossier.may_call:
        raise Conflict("not_waiting_for_call", _("Hồ sơ không ở trạng thái chờ gọi video."))
    _move(dossier, DossierStatus.VERIFIED, agent, _("Xác minh video đạt"), last_reason="")
    _step(dossier, StepAction.VIDEO_PASSED, agent, dossier.step_id("ACT-8", "ESIM-7"))


def video_failed(dossier: Dossier, agent: Actor, reason: str) -> None:
    """ACT-8, ESIM-7: the call did not verify the customer; they may call again (or fix their details or photos)."""
    reason = " ".join((reason or "").split())[:500]
    if not reason:
        raise Invalid("reason_required", _("Vui lòng nhập lý do xác minh không đạt."))
    if not dossier.may_call:
        raise Conflict("not_waiting_for_call", _("Hồ sơ không ở trạng thái chờ gọi video."))
    _move(dossier, DossierStatus.VIDEO_FAILED, agent, reason, last_reason=reason)
    _step(dossier, StepAction.VIDEO_FAILED, agent, dossier.step_id("ACT-8", "ESIM-7"), reason)


# --- mSale's results (ACT-12..16, ESIM-11..13, 18; called by portal.connections) ------------------------------
# Branch ``review`` writes these too (the contract's signatures); at the merge theirs is kept.

def connected(dossier: Dossier, actor: Actor | None, msale_ref: str) -> bool:
    """ACT-13 → 14: mSale connected the line → Đã hòa mạng; False (no-op) if it already is, with that reference."""
    if dossier.status == DossierStatus.CONNECTED and dossier.msale_ref == msale_ref:
        return False
    if dossier.status not in (DossierStatus.APPROVED, DossierStatus.QR_ISSUED):
        raise Conflict("not_approved", _("Hồ sơ không ở trạng thái chờ mSale."))
    _move(dossier, DossierStatus.CONNECTED, actor, _("mSale đã hòa mạng"), msale_ref=msale_ref, last_reason="")
    _step(dossier, StepAction.CONNECTED, actor, dossier.step_id("ACT-14", "ESIM-15"), msale_ref)
    return True


def connection_refused(dossier: Dossier, actor: Actor | None, reason: str) -> bool:
    """ACT-16, ESIM-18: mSale refused the connection (or the eSIM's QR code failed) → Từ chối hòa mạng + reason."""
    reason = " ".join((reason or "").split())[:500] or _("mSale từ chối hòa mạng")
    if dossier.status == DossierStatus.CONNECTION_REFUSED and dossier.last_reason == reason:
        return False
    if dossier.status not in (DossierStatus.APPROVED, DossierStatus.QR_ISSUED):
        raise Conflict("not_approved", _("Hồ sơ không ở trạng thái chờ mSale."))
    _move(dossier, DossierStatus.CONNECTION_REFUSED, actor, reason, last_reason=reason)
    _step(dossier, StepAction.CONNECTION_REFUSED, actor, dossier.step_id("ACT-16", "ESIM-18"), reason)
    return True


def qr_issued(dossier: Dossier, actor: Actor | None, activation_code: str) -> bool:
    """ESIM-13: mSale issued the eSIM's activation code → Chờ quét mã QR; False (no-op) if already, same code."""
    if dossier.status == DossierStatus.QR_ISSUED and dossier.activation_code == activation_code:
        return False
    if dossier.status != DossierStatus.APPROVED:
        raise Conflict("not_approved", _("Hồ sơ không ở trạng thái chờ mSale."))
    _move(dossier, DossierStatus.QR_ISSUED, actor, _("mSale đã cấp mã QR eSIM"), activation_code=activation_code)
    _step(dossier, StepAction.QR_ISSUED, actor, "ESIM-13")
    return True


# --- ending -------------------------------------------------------------------------------------------------

def abandon(dossier: Dossier, actor: Actor | None, reason: str) -> None:
    """Given up, or untouched for DOSSIER_ABANDON_DAYS: its photos are deleted after the retention period."""
    _move(dossier, DossierStatus.ABANDONED, actor, reason, ended_at=utcnow())
    _step(dossier, StepAction.ABANDONED, actor, "", reason)


def purge_media(dossier: Dossier, actor: Actor | None) -> int:
    """Checklist 34: delete the dossier's photos from the store (ID photos are sensitive); the rows stay, marked."""
    rows = list(db.session.scalars(select(DossierMedia).where(DossierMedia.dossier_id == dossier.id,
                                                              DossierMedia.deleted_at.is_(None))))
    now = utcnow()
    for media in rows:
        storage().delete(media.storage_name)  # before the commit: a failed commit only leaves rows to mark again
        media.deleted_at = now
    dossier.media_purged_at = now
    _step(dossier, StepAction.MEDIA_DELETED, actor, "", _("%(n)d ảnh", n=len(rows)))
    audit("dossier.media_deleted", dossier, actor=actor, detail={"photos": len(rows), "status": dossier.status.value})
    return len(rows)


def audit_view(dossier: Dossier, what: str, **detail: Any) -> None:
    """A staff member looked at the dossier or one of its photos (checklist 33): kept whatever the request does."""
    audit_now(f"dossier.{what}", dossier, detail=detail)
