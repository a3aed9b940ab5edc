"""Retention of ID photos (checklist 34): a dossier left alone is abandoned, and the photos of abandoned dossiers are
deleted from the store once the retention period has passed; replaced photos' objects too. Audited, on the
dossier's timeline, and safe to run twice."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.core.time import utcnow
from portal.dossiers import jobs, lifecycle, queries
from portal.dossiers.models import Dossier, DossierMedia, DossierStatus, PhotoKind, StepAction

from .conftest import photo, stored_names


def _age(db, dossier: Dossier, days: int, column: str = "updated_at") -> None:
    db.session.execute(update(Dossier).where(Dossier.id == dossier.id)
                       .values({column: utcnow() - timedelta(days=days)}))
    db.session.commit()


def _with_photos(db, lan, order) -> Dossier:
    dossier = lifecycle.open_dossier(order, lan)
    for kind, name in zip(PhotoKind, ("front", "back", "portrait"), strict=True):
        lifecycle.add_photo(dossier, lan, kind, photo(name))
    db.session.commit()
    return dossier


def test_an_untouched_dossier_is_abandoned_then_its_photos_deleted_after_retention__checklist_34(
        app, client, db, lan, delivered_order, login):
    dossier = _with_photos(db, lan, delivered_order(lan))
    fresh = _with_photos(db, lan, delivered_order(lan))
    assert len(stored_names()) == 6
    _age(db, dossier, app.config["DOSSIER_ABANDON_DAYS"] + 1)

    assert jobs.apply_retention() == {"abandoned": 1, "photos_deleted": 0, "replaced_deleted": 0}
    db.session.refresh(dossier)
    assert dossier.status == DossierStatus.ABANDONED and dossier.ended_at is not None
    assert fresh.status == DossierStatus.DRAFT and len(stored_names()) == 6  # kept until the retention passes
    abandoned = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "dossier.abandoned"))
    assert abandoned.actor_kind == "system" and "Quá 30 ngày" in abandoned.detail["reason"]

    _age(db, dossier, app.config["DOSSIER_MEDIA_RETENTION_DAYS"] + 1, "ended_at")
    assert jobs.apply_retention() == {"abandoned": 0, "photos_deleted": 3, "replaced_deleted": 0}
    assert len(stored_names()) == 3 and all(n in stored_names() for n in (p.storage_name for p in fresh.photos))
    rows = db.session.scalars(select(DossierMedia).where(DossierMedia.dossier_id == dossier.id)).all()
    assert len(rows) == 3 and all(r.deleted_at is not None for r in rows)
    db.session.refresh(dossier)
    assert dossier.media_purged_at is not None and dossier.photos == []
    assert queries.timeline(dossier)[-1].action == StepAction.MEDIA_DELETED
    deleted = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "dossier.media_deleted"))
    assert deleted.detail == {"photos": 3, "status": "abandoned"} and deleted.region_id == 1

    assert jobs.apply_retention() == {"abandoned": 0, "photos_deleted": 0, "replaced_deleted": 0}  # twice: nothing
    login(Role.AGENT, region=1)
    page = client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert "Ảnh đã được xóa lúc" in page and "hết hạn lưu trữ" in page


def test_a_dossier_waiting_for_the_next_issue_is_not_abandoned(db, app, lan, delivered_order, make_staff,
                                                               monkeypatch):
    from portal.gateways import ekyc

    from .test_id_limit import Passing

    monkeypatch.setattr(ekyc, "provider", Passing)
    dossier = _with_photos(db, lan, delivered_order(lan))
    lifecycle.verify(dossier, lan)
    lifecycle.video_passed(dossier, make_staff(Role.AGENT, region=1))  # verified: signing comes next (ACT-9)
    db.session.commit()
    _age(db, dossier, app.config["DOSSIER_ABANDON_DAYS"] + 5)
    assert jobs.apply_retention()["abandoned"] == 0
    db.session.refresh(dossier)
    assert dossier.status == DossierStatus.VERIFIED and len(stored_names()) == 3


def test_a_replaced_photo_whose_deletion_failed_is_deleted_by_the_job(db, lan, delivered_order, monkeypatch):
    dossier = _with_photos(db, lan, delivered_order(lan))
    monkeypatch.setattr(lifecycle, "_delete_objects", lambda names: None)  # the store was away after the commit
    lifecycle.add_photo(dossier, lan, PhotoKind.PORTRAIT, photo("someone_else"))
    db.session.commit()
    assert len(stored_names()) == 4
    assert jobs.apply_retention()["replaced_deleted"] == 1
    assert len(stored_names()) == 3 and sorted(p.storage_name for p in dossier.photos) == stored_names()
