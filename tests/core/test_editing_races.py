"""portal.core.editing's answers when two admins act at once, at the database: a record created by both (the second
INSERT meets the first row) and a delete drawn from an older version — stale_edit, nothing written. Runs on SQLite and
PostgreSQL (committed_db: real commits from another connection)."""
from __future__ import annotations

import pytest
from sqlalchemy import insert, select

from portal.core import editing
from portal.core.errors import Conflict
from portal.core.models import AuditEntry
from portal.core.sqlite import writing
from portal.core.time import utcnow
from portal.messages.models import MessageOverride

TEMPLATE = "customers.otp_activate"


@pytest.mark.usefixtures("committed_db")
def test_two_admins_creating_the_same_record_the_second_insert_is_stale(db):
    """Both read "no admin's text yet" (version 0); the other one's row is committed first: ours is refused."""
    assert db.session.scalar(select(MessageOverride).where(MessageOverride.template_id == TEMPLATE)) is None
    db.session.commit()
    with db.engine.begin() as conn:
        conn.execute(insert(MessageOverride).values(template_id=TEMPLATE, subject="", body="Ma: {{ otp }}",
                                                    updated_at=utcnow(), updated_by="other", version=1))
    with writing(), pytest.raises(Conflict) as caught, editing.committed():
        editing.put(None, 0, "message_template.update", {"subject": "", "body": "OTP {{ otp }}"},
                    make=lambda: MessageOverride(template_id=TEMPLATE, updated_by="me"), before={"body": "x"})
    assert caught.value.code == "stale_edit"
    rows = db.session.scalars(select(MessageOverride)).all()
    assert [(r.body, r.updated_by) for r in rows] == [("Ma: {{ otp }}", "other")]
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "message_template.update")) is None


@pytest.mark.usefixtures("committed_db")
def test_a_delete_drawn_from_an_older_version_is_refused(db):
    row = MessageOverride(template_id=TEMPLATE, subject="", body="Ma: {{ otp }}", updated_by="a")
    db.session.add(row)
    db.session.commit()
    row.body = "Ma moi: {{ otp }}"
    db.session.commit()
    assert row.version == 2
    with writing(), pytest.raises(Conflict) as caught, editing.committed():
        editing.remove(db.session.get(MessageOverride, row.id), 1, "message_template.reset", ("body",))
    assert caught.value.code == "stale_edit"
    assert db.session.get(MessageOverride, row.id) is not None


@pytest.mark.parametrize(("sent", "version"), [("3", 3), ("0", 0), ("٣", None), ("", None), ("1e3", None)])
def test_a_form_s_version_is_ascii_digits_or_none(app, sent, version):
    """A version that is not plainly digits 0–9 (another script's, an exponent) counts as no version: the
    edit is refused as stale rather than read as some other number."""
    with app.test_request_context(method="POST", data={"version": sent}):
        assert editing.VersionForm(meta={"csrf": False}).version.data == version
