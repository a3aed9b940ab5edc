"""One unit of work for a view or a socket event: run a move, commit, or roll back and hand back the refusal."""
from __future__ import annotations

from typing import Any

from portal.core.errors import PortalError
from portal.extensions import db


def attempt(fn: Any, *args: Any) -> tuple[Any, PortalError | None]:
    """Run a move and commit (one unit of work of a view or a socket event); a refusal rolls back and is returned."""
    try:
        result = fn(*args)
        db.session.commit()
        return result, None
    except PortalError as exc:
        db.session.rollback()
        return None, exc


def refuse(exc: PortalError) -> dict[str, Any]:
    """A socket ack for a refusal."""
    return {"ok": False, "code": exc.code, "message": exc.message}
