"""Partner keys (E-3.1): stored hashed, shown once, revoked at once; the admin page and the CLI; all audited."""
from __future__ import annotations

import hashlib

from sqlalchemy import select

from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.partners.models import Partner, PartnerStatus
from tests.conftest import page_csrf


def _audit(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_a_key_is_stored_as_a_hash_and_authenticates(db):
    from portal.partners.services import authenticate, create_partner

    partner, key = create_partner("  Cổng   bán hàng  ")
    db.session.commit()
    assert partner.name == "Cổng bán hàng" and partner.channel == f"partner:{partner.id}"
    assert key.startswith("cso_") and len(key) == 47 and partner.key_prefix == key[:12]
    assert partner.key_hash == hashlib.sha256(key.encode()).hexdigest() and key not in partner.key_hash
    assert authenticate(key) is partner
    assert authenticate(key[:-1] + ("x" if key[-1] != "x" else "y")) is None
    assert authenticate(None) is None and authenticate("") is None and authenticate(key + " ") is None
    entry = _audit(db, "partner.create")[0]
    assert entry.object_id == str(partner.id) and entry.detail["before"] is None
    assert entry.detail["after"] == {"name": "Cổng bán hàng", "prefix": partner.key_prefix, "status": "active"}
    assert key not in str(entry.detail)


def test_names_are_unique_and_sensible(db):
    import pytest

    from portal.core.errors import PortalError
    from portal.partners.services import create_partner

    create_partner("Fanpage")
    db.session.commit()
    for name, code in (("fanpage", "partner_name_taken"), ("x", "bad_partner_name"), ("y" * 81, "bad_partner_name")):
        with pytest.raises(PortalError) as caught:
            create_partner(name)
        assert caught.value.code == code


def test_revoked_twice_is_a_conflict(db):
    import pytest

    from portal.core.errors import Conflict
    from portal.partners.services import authenticate, create_partner, revoke_partner

    partner, key = create_partner("Affiliate")
    revoke_partner(partner, None, "hết hợp đồng")
    db.session.commit()
    assert authenticate(key) is None and partner.status == PartnerStatus.REVOKED and partner.revoked_at
    with pytest.raises(Conflict):
        revoke_partner(partner, None)


def test_admin_creates_a_partner_and_sees_the_key_once(client, login, db):
    admin = login(Role.ADMIN, region=0)
    response = client.post("/partners/", data={"name": "Kênh KDO", "csrf_token": page_csrf(client, "/partners/")})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    partner = db.session.scalar(select(Partner))
    key = next(word for word in html.replace('"', " ").split() if word.startswith("cso_") and len(word) == 47)
    assert partner.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert partner.created_by_id == admin.id and partner.created_by_name == admin.username
    assert response.headers["Cache-Control"] == "no-store"
    listing = client.get("/partners/").get_data(as_text=True)
    assert "Kênh KDO" in listing and partner.key_prefix in listing and key not in listing
    assert key not in (response.headers.get("Set-Cookie") or "")
    entry = _audit(db, "partner.create")[0]
    assert entry.actor_id == admin.id and entry.actor_kind == "staff"


def test_admin_create_refuses_a_taken_name(client, login, make_partner, db):
    make_partner("Kênh KDO")
    login(Role.ADMIN, region=0)
    response = client.post("/partners/", data={"name": "kênh kdo", "csrf_token": page_csrf(client, "/partners/")})
    assert response.status_code == 422 and "Đã có đối tác" in response.get_data(as_text=True)
    assert len(list(db.session.scalars(select(Partner)))) == 1


def test_admin_revokes_a_key_and_the_api_refuses_it(client, login, make_partner, api_for, db):
    partner, key = make_partner("Kênh KDO")
    admin = login(Role.ADMIN, region=0)
    assert api_for(key).get("/numbers").status_code == 200
    response = client.post(f"/partners/{partner.id}/revoke",
                           data={"reason": "lộ khóa", "csrf_token": page_csrf(client, "/partners/")})
    assert response.status_code == 302
    assert api_for(key).get("/numbers").status_code == 401
    db.session.refresh(partner)
    assert partner.status == PartnerStatus.REVOKED and partner.revoked_by_id == admin.id
    entry = _audit(db, "partner.revoke")[0]
    assert entry.actor_id == admin.id and entry.detail["before"]["status"] == "active"
    assert entry.detail["after"]["status"] == "revoked" and entry.detail["after"]["reason"] == "lộ khóa"
    assert entry.detail["after"]["revoked_by"] == admin.username and entry.detail["after"]["revoked_at"]
    again = client.post(f"/partners/{partner.id}/revoke",  # a second admin, from the page as it was before
                        data={"reason": "trùng", "csrf_token": page_csrf(client, "/partners/")})
    assert again.status_code == 409 and "đã được thu hồi trước đó" in again.get_data(as_text=True)
    assert len(_audit(db, "partner.revoke")) == 1
    assert client.post("/partners/999999/revoke", data={"csrf_token": page_csrf(client, "/partners/")}
                       ).status_code == 404


def test_only_admins_reach_the_keys_page(client, login, make_partner, db):
    partner, _key = make_partner("Kênh KDO")
    login(Role.SUPERVISOR, region=0)
    token = page_csrf(client)
    assert client.get("/partners/").status_code == 403
    assert client.post("/partners/", data={"name": "X kênh", "csrf_token": token}).status_code == 403
    assert client.post(f"/partners/{partner.id}/revoke", data={"csrf_token": token}).status_code == 403
    assert db.session.get(Partner, partner.id).status == PartnerStatus.ACTIVE
    assert _audit(db, "access.forbidden")


def test_cli_creates_a_partner_and_prints_the_key_once(app, db):
    from portal.partners.services import authenticate

    runner = app.test_cli_runner()
    result = runner.invoke(args=["partners", "create", "--name", "Kênh CLI"])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert authenticate(key) is not None and authenticate(key).name == "Kênh CLI"
    listed = runner.invoke(args=["partners", "list"])
    assert "Kênh CLI" in listed.output and key not in listed.output
    again = runner.invoke(args=["partners", "create", "--name", "Kênh CLI"])
    assert again.exit_code != 0 and "partner_name_taken" in again.output
    partner_id = db.session.scalar(select(Partner.id))
    revoked = runner.invoke(args=["partners", "revoke", "--id", str(partner_id), "--reason", "thử"])
    assert revoked.exit_code == 0 and authenticate(key) is None
    assert _audit(db, "partner.create") and _audit(db, "partner.revoke")
