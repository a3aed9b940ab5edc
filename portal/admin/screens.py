"""What every admin edit screen shares: the choices of the admin's scope, and the answer to an edit refused as stale
(two admins at once: the second sees the latest values beside what they typed, status 409, nothing saved)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from wtforms import Field, Form

from portal.core.access import in_region
from portal.core.errors import FieldErrors, PortalError
from portal.core.models import AuditEntry
from portal.core.roles import ROLE_LABELS
from portal.extensions import db
from portal.org.models import Region, Shopcode, Store

SKIP = {"CSRFTokenField", "VersionField", "HiddenField", "PasswordField", "FileField"}


def scope_regions(ctkv_only: bool = False) -> list[Region]:
    """The regions the signed-in admin manages: head office all, a regional admin their own."""
    stmt = in_region(select(Region), Region.id)
    if ctkv_only:
        stmt = stmt.where(Region.id > 0)
    return list(db.session.scalars(stmt.order_by(Region.id)))


def region_choices(ctkv_only: bool = False) -> list[tuple[int, str]]:
    return [(r.id, f"{r.code} — {r.name}") for r in scope_regions(ctkv_only)]


def store_choices(keep: int | None = None) -> dict[str, list[tuple[str, str]]]:
    """The active stores of the admin's scope by region (an optgroup each), "none" first; ``keep``: a store id shown
    even if it has been deactivated (the one the record points at now)."""
    stmt = in_region(select(Store), Store.region_id).where((Store.active.is_(True)) | (Store.id == keep))
    groups: dict[str, list[tuple[str, str]]] = {"": [("", _("— Không thuộc cửa hàng —"))]}
    for store in db.session.scalars(stmt.order_by(Store.region_id, Store.code)):
        groups.setdefault(store.region.code, []).append((store.code, f"{store.code} — {store.name}"))
    return groups


def shopcode_choices(keep: str | None = None) -> dict[str, list[tuple[str, str]]]:
    stmt = in_region(select(Shopcode), Shopcode.region_id).where((Shopcode.active.is_(True)) | (Shopcode.code == keep))
    groups: dict[str, list[tuple[str, str]]] = {"": [("", _("— Chọn shopcode —"))]}
    for row in db.session.scalars(stmt.order_by(Shopcode.region_id, Shopcode.code)):
        groups.setdefault(row.region.code, []).append((row.code, f"{row.code} — {row.name}"))
    return groups


def shown(field: Field) -> str:
    """A field's value as the page shows it (a select box: its option's label)."""
    if field.type == "BooleanField":
        return _("Có") if field.data else _("Không")
    if field.type == "SelectField":
        choices = field.choices or []
        options = [o for group in choices.values() for o in group] if isinstance(choices, dict) else list(choices)
        labels = {str(value): label for value, label in options}
        return str(labels.get(str(field.data), field.data if field.data is not None else ""))
    return "" if field.data is None else str(field.data)


def differences(submitted: Form, latest: Form) -> list[tuple[str, str, str]]:
    """Where what the admin typed differs from the record's latest values: (label, latest, typed)."""
    out = []
    for field in submitted:
        if field.type in SKIP or field.name not in latest:
            continue
        now, typed = shown(latest[field.name]), shown(field)
        if now != typed:
            out.append((str(field.label.text), now, typed))
    return out


def refused(exc: PortalError, submitted: Form, latest: Callable[[], Form], render: Callable[..., Any]) -> Any:
    """The page again after a refused edit: a stale one with the latest values in the form and what the admin
    typed beside them (409); wrong fields with their messages beside them (422); another refusal above the form."""
    db.session.rollback()
    if exc.code == "stale_edit":
        fresh = latest()
        return render(form=fresh, stale={"message": exc.message, "rows": differences(submitted, fresh)},
                      status=409)
    if isinstance(exc, FieldErrors):
        exc.show_on(submitted)
    else:
        submitted.form_errors.append(exc.message)
    return render(form=submitted, status=exc.status)


def shown_values() -> dict[str, dict[Any, str]]:
    """How the history tables name stored values: region and store ids by their codes, roles by their labels."""
    return {"region_id": {r.id: r.code for r in db.session.scalars(select(Region))},
            "store_id": dict(db.session.execute(select(Store.id, Store.code)).tuples().all()),
            "role": {role.value: str(label) for role, label in ROLE_LABELS.items()}}


def audit_history(record: Any, limit: int = 20) -> list[AuditEntry]:
    """The latest audit rows of one record (who changed what, before and after), newest first."""
    return list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == record.__tablename__,
                                 AuditEntry.object_id == str(record.id))
        .order_by(AuditEntry.id.desc()).limit(limit)))
