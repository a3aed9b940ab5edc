"""Staff's view of dossiers (/dossiers): the region's agents and connection team (and overseers) see the details,
photos, eKYC scores and cross-checks and the timeline; every look is audited; another region's dossier or photo is
a 404 with an audit row; photos are never cached or sniffed (checklist 11, 12, 33)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.dossiers import lifecycle
from portal.dossiers.models import Dossier, PhotoKind

from .conftest import photo

ROW = re.compile(r'href="/dossiers/(\d+)"')


@pytest.fixture
def checked(db, lan, delivered_order) -> Dossier:
    """LAN's dossier (region 1) with its photos, verified once with someone else's face and once genuinely."""
    dossier = lifecycle.open_dossier(delivered_order(lan), lan)
    for kind, name in zip(PhotoKind, ("front", "back", "someone_else"), strict=True):
        lifecycle.add_photo(dossier, lan, kind, photo(name))
    lifecycle.verify(dossier, lan)
    lifecycle.add_photo(dossier, lan, PhotoKind.PORTRAIT, photo("portrait"))
    lifecycle.verify(dossier, lan)
    db.session.commit()
    return dossier


def _audits(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


@pytest.mark.parametrize("role", [Role.AGENT, Role.CONNECTION])
def test_the_regions_team_sees_details_scores_and_cross_checks__ACT_7(client, db, login, checked, role):
    staff = login(role, region=1)
    page = client.get(f"/dossiers/{checked.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "001190012345" in html and "Nguyễn Thị Lan Anh" in html and "Chờ gọi video" in html
    assert "So khớp khuôn mặt" in html and "Mã QR của thẻ gắn chip" in html and "Ngưỡng" in html
    assert html.count("text-success\" title=\"Khớp\"") == 4  # every field of the card agrees
    assert "ACT-7" in html and "eKYC chưa đạt" in html and "Các lần trước" in html
    assert html.count('class="pv-thumb"') == 3
    view = _audits(db, "dossier.view")
    assert [(a.actor_id, a.object_id, a.region_id) for a in view] == [(staff.id, str(checked.id), 1)]


def test_a_photo_is_served_to_the_region_with_no_store_nosniff_and_an_audit_row__checklist_12(client, db, login,
                                                                                                checked):
    staff = login(Role.AGENT, region=1)
    media = checked.photo(PhotoKind.ID_FRONT)
    response = client.get(f"/dossiers/{checked.id}/anh/{media.id}")
    assert response.status_code == 200 and response.data.startswith(b"\xff\xd8")
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["Cache-Control"] == "no-store" and response.headers["X-Content-Type-Options"] == "nosniff"
    assert [(a.actor_id, a.detail["kind"]) for a in _audits(db, "dossier.photo_view")] == [(staff.id, "id_front")]
    replaced = db.session.scalar(select(lifecycle.DossierMedia).where(
        lifecycle.DossierMedia.replaced_at.is_not(None)))
    assert client.get(f"/dossiers/{checked.id}/anh/{replaced.id}").status_code == 404  # the retaken portrait


@pytest.mark.parametrize("role", [Role.AGENT, Role.CONNECTION, Role.SUPERVISOR])
def test_another_regions_staff_get_404_and_an_audit_row__checklist_11(client, db, login, checked, role):
    staff = login(role, region=2)
    media = checked.photo(PhotoKind.PORTRAIT)
    assert client.get(f"/dossiers/{checked.id}").status_code == 404
    response = client.get(f"/dossiers/{checked.id}/anh/{media.id}")
    assert response.status_code == 404 and not response.data.startswith(b"\xff\xd8")
    denied = _audits(db, "access.denied_region")
    assert [(a.actor_id, a.object_type, a.object_id, a.region_id) for a in denied] == [
        (staff.id, "dossier", str(checked.id), 1)] * 2
    assert _audits(db, "dossier.photo_view") == [] and _audits(db, "dossier.view") == []
    listing = client.get("/dossiers/").get_data(as_text=True)
    assert checked.ticket.hold_code not in listing


def test_head_office_sees_every_region_and_other_teams_are_refused(client, app, db, login, checked):
    login(Role.SUPERVISOR, region=0)
    assert client.get(f"/dossiers/{checked.id}").status_code == 200
    assert checked.ticket.hold_code in client.get("/dossiers/").get_data(as_text=True)
    for role in (Role.CLERK, Role.SHIPPING):
        other = app.test_client()
        login(role, region=1, on=other)
        assert other.get(f"/dossiers/{checked.id}").status_code == 403
        assert other.get(f"/dossiers/{checked.id}/anh/{checked.photos[0].id}").status_code == 403


def test_the_list_filters_by_status_and_finds_by_hold_code_or_phone(client, db, login, checked, lan, paid_esim):
    lifecycle.open_dossier(paid_esim(lan), lan)
    db.session.commit()
    login(Role.AGENT, region=1)
    def rows(query: str) -> list[str]:
        return ROW.findall(client.get(f"/dossiers/{query}").get_data(as_text=True))

    assert len(rows("")) == 2
    assert rows("?status=ready_for_call") == [str(checked.id)]
    assert len(rows("?status=draft")) == 1
    assert rows(f"?q={checked.ticket.hold_code.lower()}") == [str(checked.id)]
    assert len(rows("?q=0912 345 678")) == 2


def test_agents_and_the_connection_team_find_dossiers_in_their_menu(client, db, app, login, checked):
    login(Role.AGENT, region=1)
    home = client.get("/").get_data(as_text=True)
    assert 'href="/dossiers/"' in home and "Hồ sơ kích hoạt" in home
    assert re.search(r'data-nav-count="dossier_staff.index"\s*>1<', home)  # agents: the dossiers waiting for a call
    other = app.test_client()
    login(Role.CONNECTION, region=1, on=other)
    assert 'href="/dossiers/"' in other.get("/").get_data(as_text=True)
