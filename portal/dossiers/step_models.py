"""The dossier's timeline (split from ``models`` to keep it short; re-exported there): every step with what it
did, its SPEC step id (ACT-5, ESIM-6, …), who and when — shown to the customer and to staff."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.models import status_enum
from portal.core.time import utcnow
from portal.extensions import Model


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
    SUBMITTED = "submitted"
    CLAIMED = "claimed"
    FIRST_APPROVAL = "first_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    REDO_ASKED = "redo_asked"
    RESUBMITTING = "resubmitting"
    QR_ISSUED = "qr_issued"
    CONNECTED = "connected"
    CONNECTION_REFUSED = "connection_refused"

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
    StepAction.SUBMITTED: _l("Ký và gửi thông tin hòa mạng"),
    StepAction.CLAIMED: _l("Tổ đấu nối nhận duyệt hồ sơ"),
    StepAction.FIRST_APPROVAL: _l("Duyệt lần một (chờ người duyệt thứ hai)"),
    StepAction.APPROVED: _l("Hồ sơ được duyệt: chờ mSale"),
    StepAction.REJECTED: _l("Hồ sơ bị từ chối"),
    StepAction.REDO_ASKED: _l("Cần bổ sung hồ sơ"),
    StepAction.RESUBMITTING: _l("Khách cập nhật để gửi lại"),
    StepAction.QR_ISSUED: _l("mSale cấp mã QR eSIM"),
    StepAction.CONNECTED: _l("Đã hòa mạng"),
    StepAction.CONNECTION_REFUSED: _l("Từ chối hòa mạng"),
}


class DossierStep(Model):
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
