"""The catalogue of rejection reasons (ACT-11, ESIM-10): the review offers the active ones in their order; admins add
reasons, change labels and order, deactivate them, and delete those never used.

A reason's code is what decisions and dossiers keep, so it never changes, and a reason in use is only deactivated:
earlier decisions keep showing its label. Every change is audited with the values before and after, and an edit drawn
from an older version is refused (``portal.core.editing``).
"""
from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select

from portal.core import editing
from portal.core.errors import Conflict, Invalid
from portal.dossiers.models import Dossier
from portal.dossiers.review_models import DEFAULT_REJECT_REASONS, RejectionReason, ReviewDecision
from portal.extensions import db

FIELDS = ("label", "position", "active")
CODE = re.compile(r"[a-z][a-z0-9_]{1,39}")


def reasons(active_only: bool = False) -> list[RejectionReason]:
    """The catalogue in the order reviewers see it."""
    query = select(RejectionReason).order_by(RejectionReason.position, RejectionReason.id)
    return list(db.session.scalars(query.where(RejectionReason.active.is_(True)) if active_only else query))


def active_reason(code: str) -> RejectionReason | None:
    """The active reason of this code (what a reviewer may choose)."""
    return db.session.scalar(select(RejectionReason).where(RejectionReason.code == code,
                                                           RejectionReason.active.is_(True)))


def in_use(reason: RejectionReason) -> bool:
    """A decision or a dossier names this reason."""
    return bool(db.session.scalar(select(or_(exists().where(ReviewDecision.reason_code == reason.code),
                                             exists().where(Dossier.reject_code == reason.code)))))


def _check(values: dict[str, Any], reason: RejectionReason | None = None) -> dict[str, Any]:
    label = " ".join((values.get("label") or "").split())
    if not 2 <= len(label) <= 200:
        raise Invalid("reason_label_length", _("Nội dung lý do từ 2 đến 200 ký tự."))
    # Compared here, not in SQL: SQLite's lower() leaves Vietnamese capitals (Ả, Ạ…) as they are.
    rows = db.session.execute(select(RejectionReason.id, RejectionReason.code, RejectionReason.label)).all()
    twin = next((code for id_, code, other in rows if other.casefold() == label.casefold()
                 and (reason is None or id_ != reason.id)), None)
    if twin is not None:
        raise Conflict("reason_label_taken", _("Lý do “%(l)s” đã có (mã %(c)s).", l=label, c=twin))
    position = values.get("position")
    if position is None or not 0 <= position <= 10_000:
        raise Invalid("reason_bad_position", _("Thứ tự là số từ 0 đến 10000."))
    return {**values, "label": label}


def _keep_one_active(reason: RejectionReason) -> None:
    others = db.session.scalar(select(func.count()).select_from(RejectionReason)
                               .where(RejectionReason.active.is_(True), RejectionReason.id != reason.id))
    if not others:
        raise Conflict("reason_last_active", _("Phải còn ít nhất một lý do đang dùng để người duyệt chọn."))


def create_reason(code: str, values: dict[str, Any]) -> RejectionReason:
    """An admin adds a reason (active)."""
    code = (code or "").strip().lower()
    if not CODE.fullmatch(code):
        raise Invalid("reason_bad_code", _("Mã gồm chữ thường không dấu, số và _, bắt đầu bằng chữ (2–40 ký tự)."))
    if db.session.scalar(select(RejectionReason.id).where(RejectionReason.code == code)) is not None:
        raise Conflict("reason_code_taken", _("Mã lý do %(c)s đã có.", c=code))
    return editing.insert(RejectionReason(code=code, **_check({**values, "active": True})), "reject_reason.create",
                          ("code", *FIELDS))


def update_reason(reason: RejectionReason, drawn_from: int | None, values: dict[str, Any]) -> dict[str, list[Any]]:
    """An admin changes a reason's label, order or whether reviewers are offered it."""
    editing.check(reason, drawn_from)
    values = _check({k: values[k] for k in FIELDS}, reason)
    if reason.active and not values["active"]:
        _keep_one_active(reason)
    return editing.apply(reason, drawn_from, "reject_reason.update", values)


def delete_reason(reason: RejectionReason, drawn_from: int | None) -> None:
    """Delete a reason no decision or dossier has used; one in use can only be deactivated."""
    editing.check(reason, drawn_from)
    if in_use(reason):
        raise Conflict("reason_in_use", _("Lý do “%(l)s” đã được dùng trong quyết định duyệt: chỉ có thể ngừng dùng, "
                                          "không xóa được.", l=reason.shown_label))
    if reason.active:
        _keep_one_active(reason)
    editing.remove(reason, drawn_from, "reject_reason.delete", ("code", *FIELDS))


def ensure_reference_reasons() -> None:
    """An empty catalogue gets the default reasons (the migration seeds them too); once there are reasons, the
    admins' catalogue is left as it is (a default they deleted stays deleted)."""
    if db.session.scalar(select(RejectionReason.id).limit(1)) is not None:
        return
    for position, (code, label) in enumerate(DEFAULT_REJECT_REASONS.items(), start=1):
        db.session.add(RejectionReason(code=code, label=label, position=position * 10, active=True))
    db.session.flush()
