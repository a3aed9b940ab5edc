"""The one helper through which every status changes (STYLE: state machines are data).

Each domain keeps its transition table as ``{from: {to, ...}}`` beside its
models; ``transition`` enforces it and records who moved what, when and why.
"""
from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

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
) -> None:
    """Move ``obj.<field>`` to ``to`` if the table allows it, and record the move."""
    current = getattr(obj, field)
    if to not in allowed.get(current, ()):
        raise Conflict("invalid_transition", _message(current, to))
    setattr(obj, field, to)
    db.session.add(
        StatusChange(
            object_type=obj.__tablename__,
            object_id=str(obj.id),
            from_status=current.value if current is not None else None,
            to_status=to.value,
            actor_id=getattr(actor, "id", None),
            actor_name=getattr(actor, "username", "") or str(actor or "system"),
            reason=reason[:500],
        )
    )


def _message(current: Enum | None, to: Enum) -> str:
    from flask_babel import gettext as _

    label = getattr(current, "label", current)
    target = getattr(to, "label", to)
    return _("Không thể chuyển từ trạng thái “%(a)s” sang “%(b)s”.", a=label, b=target)
