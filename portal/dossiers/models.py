"""Activation dossiers (hồ sơ thuê bao): what the customer declares and proves, what the video-call agent verifies,
the connection team approves and mSale connects (ACT-1..18, ESIM-1..20, E-1.3..E-1.6, E-3.3..E-3.7).

One dossier per hold ticket, its own tables and its own transition table; only ``portal.dossiers.lifecycle``
moves it, and every move is published (``portal.core.events``) for whoever reacts (the video desk, the review
queue, the customer's notifications, the audit log). The ID number, photos and portrait are sensitive personal
data: shown only to staff of the dossier's region, every view audited, never logged.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.models import status_enum
from portal.core.time import utcnow
from portal.extensions import db
from portal.holds.models import HoldTicket, SimType
from portal.orders.models import Gender, IdType, Order
from portal.org.models import Region


class DossierStatus(StrEnum):
    DRAFT = "draft"  # ACT-3..6 / ESIM-2..5: details confirmed or edited, ID photos and portrait being taken
    EKYC_FAILED = "ekyc_failed"  # ACT-7 / ESIM-6: a check failed; back to the photos with the reasons
    READY_FOR_CALL = "ready_for_call"  # eKYC passed: the customer may video-call (E-1.5, ACT-8)
    VIDEO_FAILED = "video_failed"  # the agent failed the call with a reason: the customer may call again (ACT-8)
    VERIFIED = "verified"  # the video call passed: serial, SIM photo and signature next (ACT-9, ESIM-8)
    ABANDONED = "abandoned"  # given up, or left untouched too long: its media are deleted after retention
    # After the review (issue 13; branch ``review`` owns these and the moves into them — ``msale`` added the minimum
    # it calls: approved → connected / connection_refused / qr_issued, and qr_issued → connected / refused).
    APPROVED = "approved"  # "Chờ mSale": approved by the connection team, pushed to mSale (ACT-11, ESIM-10)
    CONNECTED = "connected"  # "Đã hòa mạng" (ACT-14, ESIM-15)
    CONNECTION_REFUSED = "connection_refused"  # "Từ chối hòa mạng" + mSale's reason (ACT-16, ESIM-18)
    QR_ISSUED = "qr_issued"  # "Chờ quét mã QR": mSale issued the eSIM's activation code (ESIM-13)

    @property
    def label(self) -> str:
        return str(DOSSIER_STATUS_LABELS[self])


DOSSIER_STATUS_LABELS = {
    DossierStatus.DRAFT: _l("Đang khai báo"),
    DossierStatus.EKYC_FAILED: _l("eKYC chưa đạt"),
    DossierStatus.READY_FOR_CALL: _l("Chờ gọi video"),
    DossierStatus.VIDEO_FAILED: _l("Xác minh video chưa đạt"),
    DossierStatus.VERIFIED: _l("Đã xác minh video"),
    DossierStatus.ABANDONED: _l("Đã bỏ dở"),
    DossierStatus.APPROVED: _l("Chờ mSale"),
    DossierStatus.CONNECTED: _l("Đã hòa mạng"),
    DossierStatus.CONNECTION_REFUSED: _l("Từ chối hòa mạng"),
    DossierStatus.QR_ISSUED: _l("Chờ quét mã QR"),
}

# The one transition table of the dossiers domain (signing, submission, review and mSale extend it).
DOSSIER_TRANSITIONS = {
    DossierStatus.DRAFT: {DossierStatus.READY_FOR_CALL, DossierStatus.EKYC_FAILED, DossierStatus.ABANDONED},
    DossierStatus.EKYC_FAILED: {DossierStatus.DRAFT, DossierStatus.READY_FOR_CALL, DossierStatus.EKYC_FAILED,
                                DossierStatus.ABANDONED},
    DossierStatus.READY_FOR_CALL: {DossierStatus.VERIFIED, DossierStatus.VIDEO_FAILED, DossierStatus.DRAFT,
                                   DossierStatus.ABANDONED},
    DossierStatus.VIDEO_FAILED: {DossierStatus.VERIFIED, DossierStatus.VIDEO_FAILED, DossierStatus.DRAFT,
                                 DossierStatus.ABANDONED},
    # Reopened from the ticket (ACT-3 again): photos that outlived the retention are taken again.
    DossierStatus.ABANDONED: {DossierStatus.DRAFT},
    # mSale's answers (portal.connections calls the moves; ESIM-14: the customer's scan of the QR code).
    DossierStatus.APPROVED: {DossierStatus.CONNECTED, DossierStatus.CONNECTION_REFUSED, DossierStatus.QR_ISSUED},
    DossierStatus.QR_ISSUED: {DossierStatus.CONNECTED, DossierStatus.CONNECTION_REFUSED},
}
# The customer may still change details and photos (ACT-4, ACT-5; after a failed call too, ACT-8 → 5). A change
# after a verification sends the dossier back to DRAFT: eKYC must run again on what is now there.
EDITABLE = frozenset({DossierStatus.DRAFT, DossierStatus.EKYC_FAILED, DossierStatus.READY_FOR_CALL,
                      DossierStatus.VIDEO_FAILED})
# "Xác thực thông tin" (ACT-6, ESIM-5): before the first check, and again after a failed one.
MAY_VERIFY = frozenset({DossierStatus.DRAFT, DossierStatus.EKYC_FAILED})
# A video call may be requested (E-1.5): only once eKYC passed, again after a failed call.
MAY_CALL = frozenset({DossierStatus.READY_FOR_CALL, DossierStatus.VIDEO_FAILED})
# Left alone this long (DOSSIER_ABANDON_DAYS), these are abandoned by the sweep (the customer has the next step).
MAY_ABANDON = frozenset({DossierStatus.DRAFT, DossierStatus.EKYC_FAILED, DossierStatus.READY_FOR_CALL,
                         DossierStatus.VIDEO_FAILED})
# Per-ID limit (Decree 163/2024: 3 numbers per ID document online): the dossiers whose eKYC proved the ID and that
# are still alive count. Drafts and failed checks prove nothing — counting them would let anyone who knows an ID
# number block its holder — and abandoned ones are over. Submitted and connected dossiers join (later issues).
COUNTS_FOR_ID_LIMIT = frozenset({DossierStatus.READY_FOR_CALL, DossierStatus.VIDEO_FAILED, DossierStatus.VERIFIED})
# Whose photos the retention job deletes once DOSSIER_MEDIA_RETENTION_DAYS have passed since they ended
# (the review issue's "rejected" joins: checklist 34).
MEDIA_PURGED_WHEN = frozenset({DossierStatus.ABANDONED})


class PhotoKind(StrEnum):
    ID_FRONT = "id_front"
    ID_BACK = "id_back"
    PORTRAIT = "portrait"

    @property
    def label(self) -> str:
        return str({PhotoKind.ID_FRONT: _l("Mặt trước giấy tờ"), PhotoKind.ID_BACK: _l("Mặt sau giấy tờ"),
                    PhotoKind.PORTRAIT: _l("Ảnh chân dung")}[self])

    @property
    def short_label(self) -> str:
        return str({PhotoKind.ID_FRONT: _l("Mặt trước"), PhotoKind.ID_BACK: _l("Mặt sau"),
                    PhotoKind.PORTRAIT: _l("Chân dung")}[self])

    @property
    def is_portrait(self) -> bool:
        return self == PhotoKind.PORTRAIT

    @property
    def slug(self) -> str:
        """In the customer's URLs."""
        return {PhotoKind.ID_FRONT: "mat-truoc", PhotoKind.ID_BACK: "mat-sau", PhotoKind.PORTRAIT: "chan-dung"}[self]

    @classmethod
    def from_slug(cls, slug: str) -> PhotoKind | None:
        return next((k for k in cls if slug in (k.slug, k.value)), None)


class StepAction(StrEnum):
    """What a step of the timeline did; the SPEC step id is kept beside it (ACT-5, ESIM-4, …)."""

    OPENED = "opened"
    REOPENED = "reopened"
    DETAILS_UPDATED = "details_updated"
    PHOTO_ADDED = "photo_added"
    EKYC_PASSED = "ekyc_passed"
    EKYC_FAILED = "ekyc_failed"
    VIDEO_PASSED = "video_passed"
    VIDEO_FAILED = "video_failed"
    ABANDONED = "abandoned"
    MEDIA_DELETED = "media_deleted"
    CONNECTED = "connected"
    CONNECTION_REFUSED = "connection_refused"
    QR_ISSUED = "qr_issued"

    @property
    def label(self) -> str:
        return str(STEP_LABELS[self])


STEP_LABELS = {
    StepAction.OPENED: _l("Mở hồ sơ kích hoạt"),
    StepAction.REOPENED: _l("Mở lại hồ sơ kích hoạt"),
    StepAction.DETAILS_UPDATED: _l("Cập nhật thông tin đăng ký"),
    StepAction.PHOTO_ADDED: _l("Chụp ảnh"),
    StepAction.EKYC_PASSED: _l("eKYC đạt: chờ gọi video"),
    StepAction.EKYC_FAILED: _l("eKYC chưa đạt"),
    StepAction.VIDEO_PASSED: _l("Xác minh video đạt"),
    StepAction.VIDEO_FAILED: _l("Xác minh video chưa đạt"),
    StepAction.ABANDONED: _l("Hồ sơ bị bỏ dở"),
    StepAction.MEDIA_DELETED: _l("Đã xóa ảnh giấy tờ và chân dung (hết hạn lưu trữ)"),
    StepAction.CONNECTED: _l("Đã hòa mạng"),
    StepAction.CONNECTION_REFUSED: _l("Từ chối hòa mạng"),
    StepAction.QR_ISSUED: _l("mSale đã cấp mã QR eSIM"),
}


class Dossier(db.Model):
    """Hồ sơ thuê bao: one per hold ticket, opened when the customer chooses "Kích hoạt" on it."""

    __tablename__ = "dossier"
    audit_as = "dossier"  # audit actions read "dossier.<status>"
    __table_args__ = (
        Index("ix_dossier_region_status_updated", "region_id", "status", "updated_at"),
        Index("ix_dossier_id_number", "id_number"),  # the per-ID limit (Decree 163/2024)
        Index("ix_dossier_status_updated", "status", "updated_at"),  # the abandon and retention sweeps
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("hold_ticket.id"), unique=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("customer_order.id"), unique=True)  # None: a channel's
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))  # whose video-call and connection teams serve it
    sim_type: Mapped[SimType] = mapped_column(status_enum(SimType, length=10))
    status: Mapped[DossierStatus] = mapped_column(status_enum(DossierStatus), default=DossierStatus.DRAFT)

    # The registration details (ACT-4, ESIM-3), from the order and editable by the customer.
    full_name: Mapped[str] = mapped_column(String(120))
    id_type: Mapped[IdType] = mapped_column(status_enum(IdType, length=10))
    id_number: Mapped[str] = mapped_column(String(12))
    birth_date: Mapped[date] = mapped_column(Date)
    gender: Mapped[Gender] = mapped_column(status_enum(Gender, length=10))
    address: Mapped[str] = mapped_column(String(300))
    ward: Mapped[str] = mapped_column(String(120))
    district: Mapped[str] = mapped_column(String(120), default="")
    province: Mapped[str] = mapped_column(String(80))
    email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(10))

    last_reason: Mapped[str] = mapped_column(String(500), default="")  # why eKYC or the call last failed
    msale_ref: Mapped[str | None] = mapped_column(String(40))  # mSale's reference of the connection (issue 13)
    activation_code: Mapped[str | None] = mapped_column(String(255))  # eSIM: LPA:1$<SM-DP+>$<matching id>
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)  # abandoned (later: rejected): retention runs from it
    media_purged_at: Mapped[datetime | None] = mapped_column(DateTime)

    ticket: Mapped[HoldTicket] = relationship()
    order: Mapped[Order | None] = relationship()
    region: Mapped[Region] = relationship()
    photos: Mapped[list[DossierMedia]] = relationship(
        primaryjoin="and_(DossierMedia.dossier_id == Dossier.id, DossierMedia.replaced_at.is_(None), "
                    "DossierMedia.deleted_at.is_(None))",
        viewonly=True, order_by="DossierMedia.id")

    @property
    def status_label(self) -> str:
        return self.status.label

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE

    @property
    def may_verify(self) -> bool:
        """ACT-6, ESIM-5: every photo taken, and not yet passed (or failed: try again)."""
        return self.status in MAY_VERIFY and self.has_all_photos

    @property
    def may_call(self) -> bool:
        """E-1.5: eKYC passed (and any earlier call failed): the customer may ask for a video call."""
        return self.status in MAY_CALL

    @property
    def is_draft(self) -> bool:
        return self.status == DossierStatus.DRAFT

    @property
    def ekyc_failed(self) -> bool:
        return self.status == DossierStatus.EKYC_FAILED

    @property
    def is_abandoned(self) -> bool:
        return self.status == DossierStatus.ABANDONED

    @property
    def is_verified(self) -> bool:
        return self.status == DossierStatus.VERIFIED

    @property
    def is_connected(self) -> bool:
        return self.status == DossierStatus.CONNECTED

    @property
    def connection_refused(self) -> bool:
        return self.status == DossierStatus.CONNECTION_REFUSED

    @property
    def qr_issued(self) -> bool:
        return self.status == DossierStatus.QR_ISSUED

    @property
    def is_esim(self) -> bool:
        return self.sim_type == SimType.ESIM

    def photo(self, kind: PhotoKind) -> DossierMedia | None:
        return next((p for p in self.photos if p.kind == kind), None)

    @property
    def missing_photos(self) -> list[PhotoKind]:
        taken = {p.kind for p in self.photos}
        return [k for k in PhotoKind if k not in taken]

    @property
    def has_all_photos(self) -> bool:
        return not self.missing_photos

    def step_id(self, physical: str, esim: str) -> str:
        """The SPEC step of this dossier's flow: ACT-n for a physical SIM, ESIM-n for an eSIM."""
        return esim if self.is_esim else physical

    def status_data(self) -> dict[str, Any]:
        """What live screens need of a move (portal.core.events)."""
        return {"region_id": self.region_id, "sim_type": self.sim_type.value, "ticket_id": self.ticket_id,
                "customer_id": self.customer_id}


class DossierMedia(db.Model):
    """An ID photo or portrait: the encrypted object's name in ``portal.media.storage``, never the file's own name.

    A retake replaces the photo (``replaced_at``; its object is deleted after the commit); the retention job
    deletes the objects of replaced photos and of ended dossiers and marks them ``deleted_at``. Rows stay,
    without their pictures, for the record.
    """

    __tablename__ = "dossier_media"
    __table_args__ = (
        # One current photo of each kind per dossier (two uploads at once cannot both stay).
        Index("uq_dossier_media_current", "dossier_id", "kind", unique=True,
              sqlite_where=text("replaced_at IS NULL AND deleted_at IS NULL"),
              postgresql_where=text("replaced_at IS NULL AND deleted_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    kind: Mapped[PhotoKind] = mapped_column(status_enum(PhotoKind))
    storage_name: Mapped[str] = mapped_column(String(80), unique=True)  # "<kind>/<32 hex>"
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    source_type: Mapped[str] = mapped_column(String(10))  # jpeg, png, webp, heif: as sniffed from the upload
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    replaced_at: Mapped[datetime | None] = mapped_column(DateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)  # the object is gone from the store

    @property
    def is_current(self) -> bool:
        return self.replaced_at is None and self.deleted_at is None


class EkycRun(db.Model):
    """One "Xác thực thông tin" (ACT-6/7, ESIM-5/6): which photos were checked, by which provider, the verdict."""

    __tablename__ = "dossier_ekyc_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    provider: Mapped[str] = mapped_column(String(20))
    passed: Mapped[bool] = mapped_column(Boolean)
    front_id: Mapped[int] = mapped_column(ForeignKey("dossier_media.id"))
    back_id: Mapped[int] = mapped_column(ForeignKey("dossier_media.id"))
    portrait_id: Mapped[int] = mapped_column(ForeignKey("dossier_media.id"))
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)

    checks: Mapped[list[EkycCheck]] = relationship(order_by="EkycCheck.id")

    @property
    def failures(self) -> list[EkycCheck]:
        return [c for c in self.checks if not c.passed]


CHECK_LABELS = {
    "photo_front": _l("Ảnh mặt trước"), "photo_back": _l("Ảnh mặt sau"), "photo_portrait": _l("Ảnh chân dung"),
    "portrait_face": _l("Một khuôn mặt trong ảnh chân dung"), "card_face": _l("Khuôn mặt trên giấy tờ"),
    "face_match": _l("So khớp khuôn mặt"), "qr": _l("Mã QR của thẻ gắn chip"), "card": _l("Thông tin đọc từ giấy tờ"),
    "liveness": _l("Ảnh chụp người thật"), "id_number": _l("Cấu trúc số giấy tờ"),
}


class EkycCheck(db.Model):
    """One check of a run: its name, verdict, score against its threshold, stable code and Vietnamese reason."""

    __tablename__ = "dossier_ekyc_check"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("dossier_ekyc_run.id"), index=True)
    name: Mapped[str] = mapped_column(String(30))  # photo_front, portrait_face, face_match, qr, id_number, …
    passed: Mapped[bool] = mapped_column(Boolean)
    code: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(500))
    score: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # raw measures, what the card says

    @property
    def label(self) -> str:
        return str(CHECK_LABELS.get(self.name, self.name))


class DossierStep(db.Model):
    """The dossier's timeline: every step with its SPEC step id, actor and time (shown to the customer and staff)."""

    __tablename__ = "dossier_step"
    __table_args__ = (Index("ix_dossier_step_dossier_at", "dossier_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    step: Mapped[str] = mapped_column(String(12), default="")  # "ACT-5", "ESIM-6", "E-3.3"; "" for the system's
    action: Mapped[StepAction] = mapped_column(status_enum(StepAction))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(80), default="")
    actor_kind: Mapped[str] = mapped_column(String(16), default="system")  # customer, staff, system
    note: Mapped[str] = mapped_column(String(500), default="")
