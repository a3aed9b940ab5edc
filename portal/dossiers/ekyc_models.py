"""The eKYC runs of a dossier (ACT-6/7, ESIM-5/6, E-3.4): which photos were checked, by which provider, each check
with its score, threshold, stable code and reason (split from ``models`` to keep it short; re-exported there)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import utcnow
from portal.extensions import Model


class EkycRun(Model):
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


class EkycCheck(Model):
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
