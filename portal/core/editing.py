"""Edits made on the admin screens: what changed, audited with the values before and after, and two admins editing
the same record at once.

A configurable record derives from ``Versioned``: its ``version`` column is SQLAlchemy's version counter, so an
UPDATE carries ``WHERE version = <the version read>`` and a concurrent writer's UPDATE matches no row. The edit
form carries the version it was drawn from (``VersionField``); ``apply`` refuses an edit drawn from an older
version with ``stale_edit`` (409) and changes nothing, so the second admin is told and the first one's values stay.

    with editing.committed():  # commits; a race lost at the UPDATE becomes the same refusal, nothing written
        changes = editing.apply(rule, form.version.data, "routing_rule.update",
                                {"region_id": form.region_id.data, "note": form.note.data})

A new record is audited with ``editing.created``; a deleted one with ``editing.deleted``.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField

from portal.core.audit import audit
from portal.core.digits import is_ascii_digits
from portal.core.errors import Conflict
from portal.extensions import db


class Versioned:
    """Mixin: an optimistic-locking version (starts at 1, +1 at every UPDATE of the row)."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805 (SQLAlchemy's declared_attr takes the class)
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class VersionField(HiddenField):
    """The version the form was drawn from (``VersionField()`` in a form; filled with ``obj=record``)."""

    data: Any

    def process_formdata(self, valuelist: list[Any]) -> None:
        raw = str(valuelist[0] if valuelist else "")
        self.data = int(raw) if is_ascii_digits(raw) and len(raw) < 10 else None


def stale() -> Conflict:
    return Conflict("stale_edit", _("Một người khác vừa sửa mục này trước bạn. Các giá trị mới nhất đang hiện "
                                    "trên trang; xem lại rồi lưu lần nữa nếu vẫn cần thay đổi."))


def plain(value: Any) -> Any:
    """A value as the audit log's JSON keeps it."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def values_of(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    return {name: plain(getattr(obj, name)) for name in fields}


def apply(obj: Any, drawn_from: int | None, action: str, changes: Mapping[str, Any], *,
          region_id: int | None = None) -> dict[str, list[Any]]:
    """Set ``changes`` on ``obj`` if the form was drawn from its current version; audit ``action`` with the fields
    that changed as ``{"before": {...}, "after": {...}}``. Returns ``{field: [before, after]}`` (empty: nothing
    changed, nothing audited). ``drawn_from=None`` (a form without a version) is refused as stale."""
    if drawn_from is None or drawn_from != getattr(obj, "version", None):
        raise stale()
    before = values_of(obj, changes)
    for name, value in changes.items():
        setattr(obj, name, value)
    after = values_of(obj, changes)
    changed = {name: [before[name], after[name]] for name in changes if before[name] != after[name]}
    if changed:
        audit(action, obj, region_id=region_id, detail={
            "before": {k: v[0] for k, v in changed.items()}, "after": {k: v[1] for k, v in changed.items()}})
    return changed


def created(obj: Any, action: str, fields: Iterable[str], *, region_id: int | None = None) -> None:
    """Audit a new record with its values (call after the flush that gave it an id)."""
    audit(action, obj, region_id=region_id, detail={"before": None, "after": values_of(obj, fields)})


def deleted(obj: Any, action: str, fields: Iterable[str], *, region_id: int | None = None) -> None:
    """Audit a record about to be deleted with its last values."""
    audit(action, obj, region_id=region_id, detail={"before": values_of(obj, fields), "after": None})


@contextmanager
def committed() -> Iterator[None]:
    """Commit what the block changed; a concurrent admin's UPDATE that won the race (the row's version moved
    between our read and our write) becomes ``stale_edit``, with the session rolled back and nothing written."""
    try:
        yield
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise stale() from None
    except BaseException:
        db.session.rollback()
        raise
