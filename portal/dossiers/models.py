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
from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.models import status_enum
from portal.core.time import utcnow
from portal.dossiers.ekyc_models import CHECK_LABELS, EkycCheck, EkycRun  # noqa: F401  (re-exported)
from portal.dossiers.step_models import STEP_LABELS, DossierStep, StepAction  # noqa: F401  (re-exported)
from portal.extensions import Model
from portal.holds.models import HoldTicket, SimType
from portal.orders.models import Gender, IdType, Order
from portal.org.models import Region


class DossierStatus(StrEnum):
    DRAFT = "draft"  # ACT-3..6 / ESIM-2..5: details confirmed or edited, ID photos and portrait being taken
    EKYC_FAILED = "ekyc_failed"  # ACT-7 / ESIM-6: a check failed; back to the photos with the reasons
    READY_FOR_CALL = "ready_for_call"  # eKYC passed: the customer may video-call (E-1.5, ACT-8)
    VIDEO_FAILED = "video_failed"  # the agent failed the call with a reason: the customer may call again (ACT-8)
    VERIFIED = "verified"  # the video call passed: serial, SIM photo and signature next (ACT-9, ESIM-8)
    SUBMITTED = "submitted"  # ACT-10/11, ESIM-9/10: signed and sent; in the connection team's review queue
    APPROVED = "approved"  # the reviewer (two, with four eyes) approved: waiting for mSale (ACT-12, ESIM-11)
    REJECTED = "rejected"  # the reviewer refused it (reason + note): the customer may update and resubmit
    REDO = "redo"  # the reviewer asked for named parts again (details, photos, signature, SIM photo)
    QR_ISSUED = "qr_issued"  # eSIM: mSale gave an activation code; the customer scans it (ESIM-13, ESIM-14)
    CONNECTED = "connected"  # Đã hòa mạng (ACT-14, ESIM-15)
    CONNECTION_REFUSED = "connection_refused"  # mSale refused, or the QR scan failed (ACT-16, ESIM-18)
    ABANDONED = "abandoned"  # given up, or left untouched too long: its media are deleted after retention

    @property
    def label(self) -> str:
        return str(DOSSIER_STATUS_LABELS[self])


DOSSIER_STATUS_LABELS = {
    DossierStatus.DRAFT: _l("Đang khai báo"),
    DossierStatus.EKYC_FAILED: _l("eKYC chưa đạt"),
    DossierStatus.READY_FOR_CALL: _l("Chờ gọi video"),
    DossierStatus.VIDEO_FAILED: _l("Xác minh video chưa đạt"),
    DossierStatus.VERIFIED: _l("Đã xác minh video"),
    DossierStatus.SUBMITTED: _l("Chờ duyệt"),
    DossierStatus.APPROVED: _l("Chờ mSale"),
    DossierStatus.REJECTED: _l("Từ chối"),
    DossierStatus.REDO: _l("Cần bổ sung"),
    DossierStatus.QR_ISSUED: _l("Chờ quét mã QR"),
    DossierStatus.CONNECTED: _l("Đã hòa mạng"),
    DossierStatus.CONNECTION_REFUSED: _l("Từ chối hòa mạng"),
    DossierStatus.ABANDONED: _l("Đã bỏ dở"),
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
    # ACT-9/10, ESIM-8/9: signed and sent ("Gửi thông tin hòa mạng"; portal.dossiers.signing.submit).
    DossierStatus.VERIFIED: {DossierStatus.SUBMITTED},
    # The connection team's decision (portal.dossiers.review): four eyes keep it SUBMITTED after the first approval.
    DossierStatus.SUBMITTED: {DossierStatus.APPROVED, DossierStatus.REJECTED, DossierStatus.REDO},
    DossierStatus.REDO: {DossierStatus.SUBMITTED, DossierStatus.ABANDONED},
    # "Cập nhật và gửi lại" (ACT-18 → 3, ESIM-20 → 2): back to the details, eKYC and the call again.
    DossierStatus.REJECTED: {DossierStatus.DRAFT, DossierStatus.ABANDONED},
    # mSale's results (portal.dossiers.results, called by the connections domain).
    DossierStatus.APPROVED: {DossierStatus.CONNECTED, DossierStatus.CONNECTION_REFUSED, DossierStatus.QR_ISSUED},
    DossierStatus.QR_ISSUED: {DossierStatus.CONNECTED, DossierStatus.CONNECTION_REFUSED},
    DossierStatus.CONNECTION_REFUSED: {DossierStatus.DRAFT, DossierStatus.ABANDONED},
    # Reopened from the ticket (ACT-3 again): photos that outlived the retention are taken again.
    DossierStatus.ABANDONED: {DossierStatus.DRAFT},
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
                         DossierStatus.VIDEO_FAILED, DossierStatus.REDO, DossierStatus.REJECTED,
                         DossierStatus.CONNECTION_REFUSED})
# Per-ID limit (Decree 163/2024: 3 numbers per ID document online): the dossiers whose eKYC proved the ID and that
# are still alive count. Drafts and failed checks prove nothing — counting them would let anyone who knows an ID
# number block its holder — and abandoned, rejected or refused ones are over (until the customer resubmits).
COUNTS_FOR_ID_LIMIT = frozenset({DossierStatus.READY_FOR_CALL, DossierStatus.VIDEO_FAILED, DossierStatus.VERIFIED,
                                 DossierStatus.SUBMITTED, DossierStatus.REDO, DossierStatus.APPROVED,
                                 DossierStatus.QR_ISSUED, DossierStatus.CONNECTED})
# The customer signs and sends (ACT-9/10, ESIM-8/9): after the call passed, or again with the parts asked for.
MAY_SUBMIT = frozenset({DossierStatus.VERIFIED, DossierStatus.REDO})
# The connection team's queue tabs (portal.dossiers.review_queries).
WAITING_FOR_MSALE = frozenset({DossierStatus.APPROVED, DossierStatus.QR_ISSUED})
TURNED_DOWN = frozenset({DossierStatus.REJECTED, DossierStatus.REDO, DossierStatus.CONNECTION_REFUSED})
# "Cập nhật và gửi lại": the customer starts again from the details (ACT-18 → 3, ESIM-20 → 2).
MAY_RESUBMIT = frozenset({DossierStatus.REJECTED, DossierStatus.CONNECTION_REFUSED})
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

    @property
    def redo_part(self) -> str:
        """The part a reviewer names to have this photo taken again (review_models.RedoPart)."""
        return "portrait" if self == PhotoKind.PORTRAIT else "id_photos"

    @classmethod
    def from_slug(cls, slug: str) -> PhotoKind | None:
        return next((k for k in cls if slug in (k.slug, k.value)), None)


class Dossier(Model):
    """Hồ sơ thuê bao: one per hold ticket, opened when the customer chooses "Kích hoạt" on it."""

    __tablename__ = "dossier"
    audit_as = "dossier"  # audit actions read "dossier.<status>"
    __table_args__ = (
        Index("ix_dossier_region_status_updated", "region_id", "status", "updated_at"),
        Index("ix_dossier_id_number", "id_number"),  # the per-ID limit (Decree 163/2024)
        Index("ix_dossier_status_updated", "status", "updated_at"),  # the abandon and retention sweeps
        # The review queue's pages, oldest submission first: a region's (and head office's), a reviewer's own; the
        # SIM type rides along so that the counts of the SIM filter need no table reads either.
        Index("ix_dossier_region_status_submitted", "region_id", "status", "submitted_at", "sim_type"),
        Index("ix_dossier_status_submitted", "status", "submitted_at", "sim_type"),
        Index("ix_dossier_reviewer_status", "reviewer_id", "status"),
        Index("ix_dossier_sim_serial", "sim_serial"),
        Index("ix_dossier_created_region", "created_at", "region_id"),  # reports (migration 0022_reports)
        Index("ix_dossier_region_created", "region_id", "created_at"),
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

    last_reason: Mapped[str] = mapped_column(String(500), default="")  # why eKYC, the call or the review failed

    # Signing and submission (ACT-9/10, ESIM-8/9; portal.dossiers.signing); the artefacts are DossierDocuments.
    sim_serial: Mapped[str | None] = mapped_column(String(20))  # ICCID of the SIM in the customer's hands
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)  # the last submission: the queue's age
    submissions: Mapped[int] = mapped_column(Integer, default=0)  # > 1: a resubmission (shown to the reviewer)
    # The review (portal.dossiers.review): one reviewer's claim at a time, free again once idle.
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    review_active_at: Mapped[datetime | None] = mapped_column(DateTime)  # the claim's last activity
    first_approver_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))  # four eyes: the first of two
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    reject_code: Mapped[str] = mapped_column(String(40), default="")
    redo_parts: Mapped[list[str]] = mapped_column(JSON, default=list)  # RedoPart values asked for
    # mSale's results (portal.dossiers.results; the connections domain calls them).
    msale_ref: Mapped[str | None] = mapped_column(String(64))
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
    def is_esim(self) -> bool:
        return self.sim_type == SimType.ESIM

    @property
    def may_submit(self) -> bool:
        """ACT-9/10, ESIM-8/9: the call passed (or the reviewer asked for parts again): sign and send."""
        return self.status in MAY_SUBMIT

    @property
    def may_resubmit(self) -> bool:
        """"Cập nhật và gửi lại": rejected by the reviewer or refused by mSale (ACT-18, ESIM-20)."""
        return self.status in MAY_RESUBMIT

    @property
    def is_submitted(self) -> bool:
        return self.status == DossierStatus.SUBMITTED

    @property
    def is_redo(self) -> bool:
        return self.status == DossierStatus.REDO

    @property
    def is_rejected(self) -> bool:
        return self.status == DossierStatus.REJECTED

    @property
    def is_refused(self) -> bool:
        return self.status == DossierStatus.CONNECTION_REFUSED

    @property
    def waits_for_msale(self) -> bool:
        return self.status in WAITING_FOR_MSALE

    @property
    def awaits_qr_scan(self) -> bool:
        """ESIM-13/14: mSale gave the activation code; the customer scans it and says how it went."""
        return self.status == DossierStatus.QR_ISSUED and bool(self.activation_code)

    @property
    def is_connected(self) -> bool:
        return self.status == DossierStatus.CONNECTED

    @property
    def is_resubmission(self) -> bool:
        return self.submissions > 1

    def may_redo(self, part: str) -> bool:
        """In REDO, the parts the reviewer named are open again (and only those)."""
        return self.status == DossierStatus.REDO and part in (self.redo_parts or [])

    def may_change(self, part: str) -> bool:
        """The details (``details``) or a photo (``id_photos``, ``portrait``) may be changed now."""
        return self.editable or self.may_redo(part)

    @property
    def may_edit_details(self) -> bool:
        return self.may_change("details")

    def may_retake(self, kind: PhotoKind) -> bool:
        return self.may_change(kind.redo_part)

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


class DossierMedia(Model):
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
