"""After-commit callbacks run at the outermost commit only: a savepoint released is not a commit, a savepoint
rolled back drops what was registered inside it and nothing else (portal/core/tx.py)."""
from __future__ import annotations

from portal.core.tx import after_commit


def test_a_released_savepoint_runs_nothing_and_the_commit_runs_all_in_order(app, db):
    ran: list[str] = []
    after_commit(ran.append, "outer")
    with db.session.begin_nested():
        after_commit(ran.append, "inner")
        with db.session.begin_nested():
            after_commit(ran.append, "ring", first=True)
    assert ran == []  # released savepoints: not committed yet
    db.session.commit()
    assert ran == ["ring", "outer", "inner"]  # first=True goes ahead of the others


def test_a_savepoint_rolled_back_drops_only_its_own_callbacks(app, db):
    ran: list[str] = []
    after_commit(ran.append, "kept")
    try:
        with db.session.begin_nested():
            after_commit(ran.append, "dropped")
            with db.session.begin_nested():
                after_commit(ran.append, "dropped too", first=True)
            raise RuntimeError("lost a race")
    except RuntimeError:
        pass
    with db.session.begin_nested():
        after_commit(ran.append, "later")
    db.session.commit()
    assert ran == ["kept", "later"]


def test_a_rollback_drops_everything(app, db):
    ran: list[str] = []
    with db.session.begin_nested():
        after_commit(ran.append, "inner")
    after_commit(ran.append, "outer", first=True)
    db.session.rollback()
    db.session.commit()
    assert ran == []
