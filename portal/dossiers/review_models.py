"""What signing and review add to a dossier (ACT-9..11, ESIM-8..10): the signed artefacts (SIM photo, drawn
signature, the operator-signed contract PDF), the connection team's decisions with a snapshot of what they
decided on (so that a resubmission shows what changed), notes between reviewers, and the catalogues of reasons
and of the parts a customer may be asked to redo."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from portal.core.editing import Versioned
from portal.core.i18n import N_
from portal.core.models import status_enum
from portal.core.time import utcnow
from portal.extensions import Model


class DocKind(StrEnum):
    SIM_PHOTO = "sim_photo"  # ACT-9: the SIM with its serial, through the same intake as the ID photos
    SIGNATURE = "signature"  # ACT-9, ESIM-8: the drawn signature, a PNG with ink
    CONTRACT = "contract"  # the subscriber contract, PDF signed by the operator (PAdES)

    @property
    def label(self) -> str:
        return str({DocKind.SIM_PHOTO: _l("Ảnh SIM"), DocKind.SIGNATURE: _l("Chữ ký"),
                    DocKind.CONTRACT: _l("Hợp đồng thuê bao")}[self])

    @property
    def content_type(self) -> str:
        return {DocKind.SIM_PHOTO: "image/jpeg", DocKind.SIGNATURE: "image/png",
                DocKind.CONTRACT: "application/pdf"}[self]


class DossierDocument(Model):
    """A signing artefact, stored encrypted in ``portal.media.storage`` under a random name; a new submission
    replaces the earlier one of its kind (``replaced_at``); the retention job deletes them with the photos."""

    __tablename__ = "dossier_document"
    __table_args__ = (
        Index("uq_dossier_document_current", "dossier_id", "kind", unique=True,
              sqlite_where=text("replaced_at IS NULL AND deleted_at IS NULL"),
              postgresql_where=text("replaced_at IS NULL AND deleted_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    kind: Mapped[DocKind] = mapped_column(status_enum(DocKind))
    storage_name: Mapped[str] = mapped_column(String(80), unique=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))  # of the stored bytes
    data_hash: Mapped[str] = mapped_column(String(64), default="")  # contract: the dossier data's hash printed on it
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    replaced_at: Mapped[datetime | None] = mapped_column(DateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)


class RedoPart(StrEnum):
    """What a reviewer may ask the customer to do again (the customer's pages open exactly these)."""

    DETAILS = "details"
    ID_PHOTOS = "id_photos"
    PORTRAIT = "portrait"
    SIGNATURE = "signature"
    SIM_PHOTO = "sim_photo"

    @property
    def label(self) -> str:
        return str({RedoPart.DETAILS: _l("Thông tin đăng ký"), RedoPart.ID_PHOTOS: _l("Ảnh giấy tờ"),
                    RedoPart.PORTRAIT: _l("Ảnh chân dung"), RedoPart.SIGNATURE: _l("Chữ ký"),
                    RedoPart.SIM_PHOTO: _l("Ảnh SIM và số serial")}[self])


# The rejection reasons every database starts with (``RejectionReason``, seeded by the migration and by the reference
# data): stable codes, labels admins may change. Marked for translation, so that an unchanged label reads in English
# on the English pages.
DEFAULT_REJECT_REASONS = {
    "id_unreadable": N_("Ảnh giấy tờ không rõ hoặc bị che"),
    "id_mismatch": N_("Thông tin khai không khớp giấy tờ"),
    "portrait_mismatch": N_("Chân dung không khớp ảnh trên giấy tờ"),
    "id_invalid": N_("Giấy tờ hết hạn hoặc không hợp lệ"),
    "signature_invalid": N_("Chữ ký không hợp lệ"),
    "sim_mismatch": N_("Ảnh SIM hoặc số serial không đúng"),
    "suspected_fraud": N_("Nghi ngờ giả mạo"),
    "other": N_("Lý do khác"),
}


OTHER_REASON = "other"  # its note is required: the label alone says nothing


class RejectionReason(Versioned, Model):
    """A reason a reviewer may give for rejecting a dossier (admins keep the catalogue: portal.dossiers.reasons).
    The code is what decisions keep and never changes; a reason once used is deactivated, never deleted."""

    __tablename__ = "rejection_reason"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=100)  # the order reviewers see them in (small first)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    @property
    def shown_label(self) -> str:
        """The label in the page's language: an unchanged default reads translated, an admin's own as written."""
        return gettext(self.label) if self.label else self.code


class Decision(StrEnum):
    FIRST_APPROVAL = "first_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    REDO = "redo"

    @property
    def label(self) -> str:
        return str({Decision.FIRST_APPROVAL: _l("Duyệt lần một"), Decision.APPROVED: _l("Duyệt"),
                    Decision.REJECTED: _l("Từ chối"), Decision.REDO: _l("Yêu cầu bổ sung")}[self])


class ReviewDecision(Model):
    """One decision of the connection team on a submission, with what the dossier was when decided."""

    __tablename__ = "dossier_review_decision"
    __table_args__ = (Index("ix_dossier_review_decision_dossier", "dossier_id", "id"),
                      Index("ix_dossier_review_decision_at", "at"))  # reports (migration 0022_reports)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    reviewer_name: Mapped[str] = mapped_column(String(80), default="")
    decision: Mapped[Decision] = mapped_column(status_enum(Decision))
    reason_code: Mapped[str] = mapped_column(String(40), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    parts: Mapped[list[str]] = mapped_column(JSON, default=list)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # portal.dossiers.review.snapshot

    # The catalogue's reason of this decision, active or not (its label as it reads today).
    reason: Mapped[RejectionReason | None] = relationship(
        RejectionReason, primaryjoin=lambda: foreign(ReviewDecision.reason_code) == RejectionReason.code,
        viewonly=True, lazy="select")

    @property
    def reason_label(self) -> str:
        return self.reason.shown_label if self.reason is not None else self.reason_code

    @property
    def part_labels(self) -> list[str]:
        return [RedoPart(p).label for p in self.parts or [] if p in RedoPart.__members__.values()]


class ReviewNote(Model):
    """A note between reviewers on a dossier (never shown to the customer)."""

    __tablename__ = "dossier_review_note"
    __table_args__ = (Index("ix_dossier_review_note_dossier", "dossier_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    author_name: Mapped[str] = mapped_column(String(80), default="")
    text: Mapped[str] = mapped_column(String(1000))
