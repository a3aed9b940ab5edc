"""Edits made on the admin screens: what changed, audited with the values before and after, and two admins editing
the same record at once.

A configurable record derives from ``Versioned``: its ``version`` column is SQLAlchemy's version counter, so an
UPDATE carries ``WHERE version = <the version read>`` and a concurrent writer's UPDATE matches no row. The edit
form carries the version it was drawn from (``VersionField``); ``apply`` refuses an edit drawn from an older
version with ``stale_edit`` (409) and changes nothing, so the second admin is told and the first one's values stay.

    with editing.committed():  # commits; a race lost at the UPDATE becomes the same refusal, nothing written
        changes = editing.apply(rule, form.version.data, "routing_rule.update",
                                {"region_id": form.region_id.data, "note": form.note.data})

A new record is audited with ``editing.created``; a deleted one with ``editing.deleted`` (``editing.remove`` also
refuses a deletion drawn from an older version). A record that exists only once it differs from its default (a
region's settings, a price tier, a message template) is edited with ``editing.put``: a form drawn while there was
none carries version 0.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import Integer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.orm.exc import StaleDataError
from wtforms import Form, HiddenField

from portal.core.audit import audit
from portal.core.digits import whole_number
from portal.core.errors import Conflict, PortalError
from portal.core.forms import PortalForm
from portal.extensions import db

T = TypeVar("T")

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
        try:  # ASCII digits only (portal.core.digits): isdigit() would take any script's
            self.data = whole_number(str(valuelist[0])) if valuelist else None
        except ValueError:
            self.data = None


class VersionForm(PortalForm):
    """A one-button action (stop, restart, delete, reset) on the version the page showed."""

    version = VersionField()


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
    check(obj, drawn_from)
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


def insert(obj: T, action: str, fields: Iterable[str], *, region_id: int | None = None) -> T:
    """Add a new record and audit it with its values (``created``)."""
    db.session.add(obj)
    db.session.flush()
    created(obj, action, fields, region_id=region_id)
    return obj


def deleted(obj: Any, action: str, fields: Iterable[str], *, region_id: int | None = None) -> None:
    """Audit a record about to be deleted with its last values."""
    audit(action, obj, region_id=region_id, detail={"before": values_of(obj, fields), "after": None})


def check(obj: Any, drawn_from: int | None) -> None:
    """Refuse (``stale_edit``) an action drawn from another version of ``obj`` than its current one."""
    if drawn_from is None or drawn_from != getattr(obj, "version", None):
        raise stale()


def put(obj: T | None, drawn_from: int | None, action: str, changes: Mapping[str, Any], *, make: Callable[[], T],
        before: Mapping[str, Any] | None = None, region_id: int | None = None) -> tuple[T, dict[str, list[Any]]]:
    """``apply`` to a record that may not exist yet (``obj`` None: the defaults hold, and a form drawn then carries
    version 0). Creating it (``make()``, then ``changes``) is audited with ``before``, the defaults it replaces;
    two admins creating it at once → the second one's INSERT meets the first one's row: ``stale_edit``."""
    if obj is not None:
        return obj, apply(obj, drawn_from, action, changes, region_id=region_id)
    if drawn_from != 0:
        raise stale()  # it existed when the form was drawn, and has been removed since
    new = make()
    for name, value in changes.items():
        setattr(new, name, value)
    try:
        with db.session.begin_nested():
            db.session.add(new)
            db.session.flush()
    except IntegrityError:
        raise stale() from None
    after = values_of(new, changes)
    prior = {name: plain(value) for name, value in before.items()} if before is not None else None
    audit(action, new, region_id=region_id, detail={"before": prior, "after": after})
    return new, {name: [(prior or {}).get(name), value] for name, value in after.items()}


def remove(obj: Any, drawn_from: int | None, action: str, fields: Iterable[str], *,
           region_id: int | None = None) -> None:
    """Delete ``obj`` if the form was drawn from its current version, audited with its last values."""
    check(obj, drawn_from)
    deleted(obj, action, fields, region_id=region_id)
    db.session.delete(obj)


F = TypeVar("F", bound=Form)


def shown(value: Any) -> str:
    """A form value as the admin reads it back."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Có") if value else _("Không")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _labelled(field: Any) -> str:
    """A field's value as the admin chose it: a choice by its label."""
    choices = getattr(field, "choices", None)
    labels = {value: label for value, label, *_rest in choices} if isinstance(choices, list | tuple) else {}
    if not labels:
        return shown(field.data)
    chosen = field.data if isinstance(field.data, list | tuple) else [field.data]
    return shown([str(labels.get(value, value)) for value in chosen] if chosen != [None] else None)


def redrawn(form_class: type[F], obj: Any, sent: Form, **kwargs: Any) -> tuple[F, list[tuple[str, str]]]:
    """The answer to a stale edit: the form again with ``obj``'s latest values and the refusal, and what the admin
    had sent that differs from them (label, value), so that they can redo their change without losing it."""
    fresh = form_class(formdata=None, obj=obj, **kwargs)
    fresh.form_errors.append(stale().message)
    typed = [(str(field.label.text), _labelled(field)) for field in sent
             if field.name not in ("csrf_token", "version") and field.name in fresh._fields
             and field.data != fresh[field.name].data]
    return fresh, typed


@dataclass
class Outcome:
    """What became of a form's save (``save_form``): done, or the form to show again with its status."""

    done: bool
    form: Any
    typed: list[tuple[str, str]] = field(default_factory=list)  # a stale edit: what the admin had sent
    status: int = 200


def save_form(form: Form, write: Callable[[], Any], *, latest: Callable[[], Any] | None,
              field_of: Callable[[PortalError], str]) -> Outcome:
    """Run ``write`` (one service call that creates or changes a record) and commit. A refusal goes beside the
    field ``field_of`` names (422: the form is to be corrected, a duplicate included); a stale edit (``latest``
    given: an existing record) gives the form again with ``latest()``'s values and what the admin had sent (409).
    Nothing is written unless it is done."""
    try:
        with committed():
            write()
    except PortalError as exc:
        if exc.code == "stale_edit" and latest is not None:
            fresh, typed = redrawn(type(form), latest(), form)
            return Outcome(False, fresh, typed, exc.status)
        name = field_of(exc)
        form[name].errors = [*form[name].errors, exc.message]
        return Outcome(False, form, [], 422)
    return Outcome(True, form)


def form_page(form: PortalForm, record: Any, write: Callable[[], Any], *, latest: Callable[[], Any],
              field_of: Callable[[PortalError], str], page: Callable[[Any, Any, int, list[tuple[str, str]]], Any],
              saved: Callable[[], Any]) -> Any:
    """A record's page (``record`` None: a new one): the form, or on a valid POST ``write`` then ``saved()`` (the
    redirect); a refusal, or a stale edit with the latest values, is ``page(form, record, status, typed)``."""
    if not form.validate_on_submit():
        return page(form, record, 422 if form.errors else 200, [])
    done = save_form(form, write, latest=latest if record is not None else None, field_of=field_of)
    if not done.done:
        return page(done.form, record, done.status, done.typed)
    return saved()


def one_button(action: Callable[[int | None], Any]) -> PortalError | None:
    """A one-button action posted with the version the page showed (``VersionForm``): run ``action(version)`` and
    commit; returns the refusal (stale, in use…) with nothing written, or None when done. A form without its CSRF
    token or version is a 400."""
    form = VersionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with committed():
            action(form.version.data)
    except PortalError as exc:
        return exc
    return None


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
