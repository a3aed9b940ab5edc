"""The one helper through which every status changes (STYLE: state machines are data).

Each domain keeps its transition table as ``{from: {to, ...}}`` beside its
models; ``transition`` enforces it, applies it with a conditional UPDATE (so
two people acting at once cannot both move the same record: the second gets
``Conflict``), and records who moved what, when and why.
"""
from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from portal.core.errors import Conflict
from portal.core.models import StatusChange
from portal.extensions import db


def transition(
    obj: Any,
    to: Enum,
    actor: Any,
    allowed: Mapping[Enum, set[Enum] | frozenset[Enum]],
    reason: str = "",
    field: str = "status",
    **values: Any,
) -> None:
    """Move ``obj.<field>`` to ``to`` if the table allows it (setting ``values`` too), and record the move."""
    current = getattr(obj, field)
    if to not in allowed.get(current, ()):
        raise Conflict("invalid_transition", _("Không thể chuyển từ trạng thái “%(a)s” sang “%(b)s”.",
                                               a=getattr(current, "label", current), b=getattr(to, "label", to)))
    model = type(obj)
    db.session.flush()
    result = db.session.execute(
        update(model).where(model.id == obj.id, getattr(model, field) == current)
        .values({field: to, **values}).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict("stale_state", _("Hồ sơ vừa được người khác cập nhật. Vui lòng tải lại trang."))
    for name, value in {field: to, **values}.items():
        set_committed_value(obj, name, value)
    record_change(obj, current, to, actor, reason)


def record_change(obj: Any, current: Enum | None, to: Enum, actor: Any, reason: str = "") -> None:
    """Write the status history row (also used by bulk moves such as hold expiry)."""
    db.session.add(
        StatusChange(
            object_type=obj.__tablename__,
            object_id=str(obj.id),
            from_status=current.value if current is not None else None,
            to_status=to.value,
            actor_id=getattr(actor, "id", None),
            actor_name=getattr(actor, "audit_name", None) or getattr(actor, "username", None) or str(actor or "system"),
            reason=reason[:500],
        )
    )
