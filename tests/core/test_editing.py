"""portal.core.editing on a real record (a store): a stale form is refused, a race lost at the UPDATE is refused at
commit with nothing written, the audit row holds the values before and after, and an edit that changes nothing
writes no audit row. On SQLite and on PostgreSQL (TEST_DATABASE_URL)."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text

from portal.core import editing
from portal.core.errors import Conflict
from portal.core.models import AuditEntry
from portal.extensions import db as _db
from portal.org.models import Store


def _store() -> Store:
    return _db.session.scalar(select(Store).where(Store.code == "CH-HN-01"))


def _audits(action: str) -> list[AuditEntry]:
    return list(_db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_an_edit_is_audited_with_the_values_before_and_after_and_moves_the_version(db):
    store = _store()
    version, old_name = store.version, store.name
    with editing.committed():
        changes = editing.apply(store, version, "store.update",
                                {"name": "Cửa hàng Cầu Giấy mới", "address": store.address})
    assert changes == {"name": [old_name, "Cửa hàng Cầu Giấy mới"]}  # the address did not change: not listed
    db.session.expire_all()
    assert _store().version == version + 1 and _store().name == "Cửa hàng Cầu Giấy mới"
    [row] = _audits("store.update")
    assert (row.object_type, row.object_id, row.region_id) == ("store", str(store.id), 1)
    assert row.detail == {"before": {"name": old_name}, "after": {"name": "Cửa hàng Cầu Giấy mới"}}


def test_an_edit_that_changes_nothing_writes_no_audit_row_and_keeps_the_version(db):
    store = _store()
    version = store.version
    with editing.committed():
        assert editing.apply(store, version, "store.update", {"name": store.name, "active": True}) == {}
    db.session.expire_all()
    assert _store().version == version
    assert _audits("store.update") == []


@pytest.mark.parametrize("drawn_from", [0, None])
def test_a_form_drawn_from_an_older_version_is_refused_and_changes_nothing(db, drawn_from):
    store = _store()
    old_name = store.name
    with pytest.raises(Conflict) as refused, editing.committed():
        editing.apply(store, drawn_from if drawn_from is None else store.version - 1, "store.update",
                      {"name": "Tên của người đến sau"})
    assert refused.value.code == "stale_edit" and refused.value.status == 409
    db.session.expire_all()
    assert _store().name == old_name
    assert _audits("store.update") == []


def test_a_concurrent_update_that_wins_the_race_makes_ours_refused_at_commit(committed_db):
    """Both admins read version v; the other one commits first; ours passes ``apply`` (our copy still says v) but
    its UPDATE … WHERE version = v matches no row: refused, nothing of ours written, theirs kept."""
    db = committed_db
    store = _store()
    version, store_id = store.version, store.id
    db.session.expunge(store)
    db.session.rollback()  # our read is over (SQLite: a reader's snapshot could not write after the other commit)
    with db.engine.begin() as other:
        other.execute(text("UPDATE store SET name = :name, version = version + 1 WHERE id = :id"),
                      {"name": "Tên của người đến trước", "id": store_id})
    store = db.session.merge(store, load=False)  # our copy, as read before the other commit
    with pytest.raises(Conflict) as refused, editing.committed():
        editing.apply(store, version, "store.update", {"name": "Tên của người đến sau"})
    assert refused.value.code == "stale_edit"
    db.session.expire_all()
    latest = db.session.get(Store, store_id)
    assert (latest.name, latest.version) == ("Tên của người đến trước", version + 1)
    assert _audits("store.update") == []  # the audit row went with the refused transaction
    db.session.expunge_all()  # the fixture empties and re-seeds the tables next


def test_created_and_deleted_are_audited_with_the_whole_record(db):
    store = Store(code="CH-TEST-01", name="Cửa hàng thử", region_id=2, province="TP. Hồ Chí Minh", shopcode="KV2ONL")
    db.session.add(store)
    db.session.flush()
    editing.created(store, "store.create", ("code", "name", "region_id"))
    editing.deleted(store, "store.delete", ("code", "active"))
    created, gone = _audits("store.create")[0], _audits("store.delete")[0]
    assert created.detail == {"before": None, "after": {"code": "CH-TEST-01", "name": "Cửa hàng thử", "region_id": 2}}
    assert gone.detail == {"before": {"code": "CH-TEST-01", "active": True}, "after": None}
