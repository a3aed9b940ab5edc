"""Signing and submission (ACT-9, ACT-10, ESIM-8, ESIM-9): the SIM serial and a photo of the SIM (physical SIM), the
signature drawn on a canvas, the subscriber contract signed by the operator, then "Gửi thông tin hòa mạng" →
Chờ duyệt. Also "Cập nhật và gửi lại" (ACT-18 → 3, ESIM-20 → 2) after a rejection or a refusal.

``submit`` is one of the dossier's named moves (re-exported by ``portal.dossiers.lifecycle``). Objects go to the
encrypted media store before the rows that point to them; what a failed submission stored is deleted again.
"""
from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from PIL import Image, ImageChops, UnidentifiedImageError
from sqlalchemy import select

from portal.core.actors import Actor
from portal.core.audit import audit
from portal.core.errors import Conflict, Invalid
from portal.core.time import utcnow
from portal.core.tx import after_commit
from portal.dossiers import contract
from portal.dossiers.models import Dossier, DossierStatus, PhotoKind, StepAction
from portal.dossiers.moves import move, step
from portal.dossiers.review_models import DocKind, DossierDocument, RedoPart, ReviewDecision
from portal.dossiers.validation import FIELD_LABELS, FIELDS
from portal.extensions import db
from portal.media.crypto import DecryptError
from portal.media.images import clean_image
from portal.media.storage import MediaNotFound, storage
from portal.orders.sim import normalize_iccid

log = logging.getLogger(__name__)
PNG = b"\x89PNG\r\n\x1a\n"
SIGNATURE_MAX_BYTES = 512 * 1024
SIGNATURE_MAX_SIDE = 3000
INK_MIN_PIXELS = 60  # a dot or a stray tap is not a signature
INK_MIN_EXTENT = 20  # pixels: the ink's box must be at least this wide or tall


@dataclass(frozen=True)
class SigningInput:
    """What the customer sends with "Gửi thông tin hòa mạng": the serial and SIM photo (physical SIM only) and the
    drawn signature (PNG). In REDO only the parts the reviewer named are read; the others stay as they were."""

    signature_png: bytes | None = None
    sim_serial: str | None = None
    sim_photo: bytes | None = None


# --- the checks -----------------------------------------------------------------------------------------------

def check_serial(dossier: Dossier, text: str) -> str:
    """ACT-9: a well-formed ICCID (Luhn), not another order's, and the very SIM shipped or handed over for this
    order when one was recorded."""
    if not (text or "").strip():
        raise Invalid("sim_serial_required", _("Vui lòng nhập số serial in trên SIM (ICCID)."))
    serial = normalize_iccid(text, dossier.order)
    recorded = dossier.order.sim_serial if dossier.order is not None else None
    if recorded and serial != recorded:
        raise Invalid("sim_serial_mismatch", _(
            "Số serial không khớp với SIM đã giao cho đơn hàng này (SIM đã giao có serial kết thúc bằng …%(tail)s). "
            "Vui lòng kiểm tra lại số in trên SIM.", tail=recorded[-4:]))
    other = db.session.scalar(select(Dossier.id).where(Dossier.sim_serial == serial, Dossier.id != dossier.id,
                                                        Dossier.status != DossierStatus.ABANDONED))
    if other is not None:
        raise Conflict("iccid_in_use", _("Số serial SIM này đã được dùng cho một hồ sơ kích hoạt khác."))
    return serial


def clean_signature(data: bytes | None) -> bytes:
    """ACT-9, ESIM-8: the canvas's PNG, judged by its pixels — refused when there is no ink on it (an empty or
    nearly empty canvas); re-encoded as a plain RGBA PNG without metadata."""
    if not data:
        raise Invalid("signature_empty", _("Vui lòng ký tên vào khung trước khi gửi."))
    if len(data) > SIGNATURE_MAX_BYTES or not data.startswith(PNG):
        raise Invalid("signature_type", _("Chữ ký không hợp lệ: vui lòng ký lại trong khung."))
    try:
        image = Image.open(io.BytesIO(data), formats=["PNG"])
        if max(image.size) > SIGNATURE_MAX_SIDE:
            raise Invalid("signature_type", _("Chữ ký không hợp lệ: vui lòng ký lại trong khung."))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise Invalid("signature_type", _("Chữ ký không hợp lệ: vui lòng ký lại trong khung.")) from None
    rgba = image.convert("RGBA")
    visible = rgba.getchannel("A").point(lambda a: 255 if a > 32 else 0)
    dark = rgba.convert("L").point(lambda v: 255 if v < 160 else 0)  # ink on a transparent or white canvas
    ink = ImageChops.multiply(visible, dark)
    box = ink.getbbox()
    pixels = ink.histogram()[255]
    if box is None or pixels < INK_MIN_PIXELS or max(box[2] - box[0], box[3] - box[1]) < INK_MIN_EXTENT:
        raise Invalid("signature_empty", _("Vui lòng ký tên vào khung trước khi gửi."))
    out = io.BytesIO()
    rgba.save(out, "PNG", optimize=True)
    return out.getvalue()


# --- what the dossier holds -------------------------------------------------------------------------------------

def document(dossier: Dossier, kind: DocKind) -> DossierDocument | None:
    """The current artefact of a kind (None: not there, or deleted by the retention job)."""
    return db.session.scalar(select(DossierDocument).where(
        DossierDocument.dossier_id == dossier.id, DossierDocument.kind == kind,
        DossierDocument.replaced_at.is_(None), DossierDocument.deleted_at.is_(None)))


def snapshot(dossier: Dossier) -> dict[str, Any]:
    """What a decision was taken on: the details, the serial, and which photo and artefact (by row id)."""
    data: dict[str, Any] = {name: str(getattr(dossier, name)) for name in FIELDS}
    data["sim_serial"] = dossier.sim_serial or ""
    for kind in PhotoKind:
        photo = dossier.photo(kind)
        data[f"photo:{kind.value}"] = photo.id if photo else None
    for kind in (DocKind.SIGNATURE, DocKind.SIM_PHOTO):
        doc = document(dossier, kind)
        data[f"doc:{kind.value}"] = doc.id if doc else None
    return data


def _label(key: str) -> str:
    if key in FIELD_LABELS:
        return str(FIELD_LABELS[key])
    if key == "sim_serial":
        return _("số serial SIM")
    kind, _sep, value = key.partition(":")
    if kind == "photo":
        return PhotoKind(value).label.lower()
    return DocKind(value).label.lower()


def changes_since_decision(dossier: Dossier) -> list[str]:
    """A resubmission: what differs from the dossier as the last decision saw it (labels, in order)."""
    last = db.session.scalar(select(ReviewDecision).where(ReviewDecision.dossier_id == dossier.id)
                             .order_by(ReviewDecision.id.desc()).limit(1))
    if last is None or not last.snapshot:
        return []
    now = snapshot(dossier)
    return [_label(k) for k in now if k in last.snapshot and last.snapshot[k] != now[k]]


def _store(dossier: Dossier, kind: DocKind, data: bytes, stored: list[str], digest: str = "") -> DossierDocument:
    """Put the bytes in the store (remembered in ``stored`` for a clean-up) and make them the current ``kind``."""
    name = storage().put(data, kind.value)
    stored.append(name)
    earlier = document(dossier, kind)
    now = utcnow()
    if earlier is not None:
        earlier.replaced_at = now
        db.session.flush()
        after_commit(_delete_objects, [earlier.storage_name])
    doc = DossierDocument(dossier_id=dossier.id, kind=kind, storage_name=name, size_bytes=len(data),
                          sha256=hashlib.sha256(data).hexdigest(), data_hash=digest, created_at=now)
    db.session.add(doc)
    db.session.flush()
    return doc


def _delete_objects(names: list[str]) -> None:
    for name in names:
        try:
            storage().delete(name)
        except Exception:
            log.exception("could not delete a replaced signing artefact now; the retention job will")


# --- the contract -------------------------------------------------------------------------------------------------

def _contract_content(dossier: Dossier, signature_png: bytes, sim_photo: bytes | None, at) -> tuple[Any, str]:
    data = snapshot(dossier)
    data.update({"dossier_id": dossier.id, "hold_code": dossier.ticket.hold_code,
                 "numbers": list(dossier.ticket.numbers), "sim_type": dossier.sim_type.value,
                 "signature_sha256": hashlib.sha256(signature_png).hexdigest()})
    digest = contract.data_hash(data, at)
    pictures = []
    try:
        for kind in PhotoKind:
            photo = dossier.photo(kind)
            if photo is not None:
                pictures.append((kind.label, storage().get(photo.storage_name)))
    except (MediaNotFound, DecryptError):
        log.error("dossier %s: a photo could not be read for the contract", dossier.id)
        raise Invalid("photos_missing", _("Không đọc được ảnh đã chụp: vui lòng chụp lại.")) from None
    if sim_photo is not None:
        pictures.append((DocKind.SIM_PHOTO.label, sim_photo))
    address = ", ".join(p for p in (dossier.address, dossier.ward, dossier.district, dossier.province) if p)
    rows = [("Số thuê bao", ", ".join(dossier.ticket.numbers)), ("Mã giữ số", dossier.ticket.hold_code),
            ("Loại SIM", dossier.sim_type.label), ("Số serial SIM (ICCID)", dossier.sim_serial or "—"),
            ("Họ và tên", dossier.full_name), ("Giấy tờ", f"{dossier.id_type.label} {dossier.id_number}"),
            ("Ngày sinh", dossier.birth_date.strftime("%d/%m/%Y")), ("Giới tính", dossier.gender.label),
            ("Địa chỉ thường trú", address), ("Điện thoại liên hệ", dossier.contact_phone),
            ("E-mail", dossier.email or "—")]
    parties = ["Bên A (Nhà cung cấp): Tổng công ty Viễn thông MobiFone.",
               f"Bên B (Thuê bao): {dossier.full_name}.",
               "Hai bên thỏa thuận cung cấp và sử dụng dịch vụ viễn thông di động theo các điều kiện giao dịch chung "
               "của MobiFone. Bên B cam kết thông tin dưới đây là đúng và do chính mình khai báo (Nghị định "
               "163/2024/NĐ-CP)."]
    return contract.ContractContent("HỢP ĐỒNG CUNG CẤP VÀ SỬ DỤNG DỊCH VỤ VIỄN THÔNG DI ĐỘNG", parties, rows,
                                    pictures, signature_png, digest, at), digest


# --- the moves ----------------------------------------------------------------------------------------------------

def needs(dossier: Dossier, part: RedoPart) -> bool:
    """Whether this submission must bring ``part``: all of them the first time, the named ones in REDO."""
    return dossier.status == DossierStatus.VERIFIED or dossier.may_redo(part.value)


def submit(dossier: Dossier, customer: Actor, signing: SigningInput) -> bool:
    """ACT-9/10, ESIM-8/9: serial + SIM photo (physical), drawn signature, the operator-signed contract, then
    "Gửi thông tin hòa mạng" → Chờ duyệt (ACT-11, ESIM-10: the connection team's queue). False when it is
    already submitted (a double click)."""
    if dossier.status == DossierStatus.SUBMITTED:
        return False
    if not dossier.may_submit:
        raise Conflict("not_verified", _("Hồ sơ ở trạng thái “%(s)s”: chưa thể gửi thông tin hòa mạng.",
                                         s=dossier.status_label))
    physical = not dossier.is_esim
    serial = None
    sim_photo = None
    if physical and needs(dossier, RedoPart.SIM_PHOTO):
        serial = check_serial(dossier, signing.sim_serial or "")
        if not signing.sim_photo:
            raise Invalid("sim_photo_required", _("Vui lòng chụp ảnh SIM (thấy rõ số serial)."))
        sim_photo = clean_image(signing.sim_photo).data
    signature = clean_signature(signing.signature_png) if needs(dossier, RedoPart.SIGNATURE) else None
    if dossier.missing_photos:
        raise Invalid("photos_missing", _("Vui lòng chụp đủ ảnh giấy tờ và chân dung trước khi gửi."))
    stored: list[str] = []
    try:
        if serial is not None:
            dossier.sim_serial = serial
        if sim_photo is not None:
            _store(dossier, DocKind.SIM_PHOTO, sim_photo, stored)
        elif physical:
            kept = document(dossier, DocKind.SIM_PHOTO)
            sim_photo = storage().get(kept.storage_name) if kept else None
        if signature is not None:
            _store(dossier, DocKind.SIGNATURE, signature, stored)
        else:
            kept = document(dossier, DocKind.SIGNATURE)
            if kept is None:
                raise Invalid("signature_empty", _("Vui lòng ký tên vào khung trước khi gửi."))
            signature = storage().get(kept.storage_name)
        at = utcnow()
        content, digest = _contract_content(dossier, signature, sim_photo, at)
        pdf = contract.sign(contract.render(content))
        _store(dossier, DocKind.CONTRACT, pdf, stored, digest)
        resubmission = dossier.submissions > 0
        move(dossier, DossierStatus.SUBMITTED, customer, _("Khách gửi thông tin hòa mạng"), submitted_at=at,
             submissions=dossier.submissions + 1, reviewer_id=None, review_active_at=None, first_approver_id=None,
             redo_parts=[], last_reason="")
    except Exception:
        for name in stored:
            storage().delete(name)
        raise
    note = _("Gửi lại sau khi cập nhật") if resubmission else ""
    step(dossier, StepAction.SUBMITTED, customer, dossier.step_id("ACT-10", "ESIM-9"), note)
    audit("dossier.signed", dossier, actor=customer, detail={"contract_sha256": hashlib.sha256(pdf).hexdigest(),
                                                             "data_sha256": digest, "resubmission": resubmission})
    return True


def start_again(dossier: Dossier, customer: Actor) -> None:
    """"Cập nhật và gửi lại" (ACT-18 → 3, ESIM-20 → 2): rejected or refused → back to the details; the reviewer
    will see it marked as a resubmission with what changed since the decision."""
    if not dossier.may_resubmit:
        raise Conflict("not_rejected", _("Hồ sơ ở trạng thái “%(s)s”: không cần gửi lại.", s=dossier.status_label))
    move(dossier, DossierStatus.DRAFT, customer, _("Khách cập nhật hồ sơ để gửi lại"), ended_at=None)
    step(dossier, StepAction.RESUBMITTING, customer, dossier.step_id("ACT-3", "ESIM-2"))
