"""The tariff package catalogue (gói cước) and the offers that give its packages: admin pages with field errors and
nothing saved, audit before/after, a package still given by a running offer cannot stop, offers pick a running
package, and two admins editing at once → the second is told (409) with the latest values."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from portal.core.models import AuditEntry
from portal.core.roles import Role
from portal.promotions.models import Offer, Package
from tests.conftest import page_csrf

ROOT = Path(__file__).resolve().parents[2]
OFFER = {"name": "Giảm 50%", "package": "TN4G", "description": "Ưu đãi", "sim_types": ["esim"],
         "channels": ["web"], "starts_on": "2026-12-01", "ends_on": "2026-12-31"}


def _package(db, code: str) -> Package | None:
    db.session.expire_all()
    return db.session.scalar(select(Package).where(Package.code == code))


def _audits(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _post(client, path: str, **data):
    return client.post(path, data={"csrf_token": page_csrf(client, "/promotions/packages/"), **data})


def test_tn4g_is_in_the_catalogue_with_what_spec_says(db):
    tn4g = _package(db, "TN4G")
    assert tn4g.active and "15 GB" in tn4g.allowance and "10 ngày" in tn4g.allowance


def test_admin_adds_and_edits_a_package_audited_before_and_after(client, db, login):
    admin = login(Role.ADMIN, region=0)
    assert _post(client, "/promotions/packages/new", code="c90n", name="C90N", monthly_price="90.000",
                 allowance="1,5 GB/ngày; miễn phí gọi nội mạng dưới 20 phút").status_code == 302
    package = _package(db, "C90N")
    assert (package.monthly_price, package.active, package.version) == (90_000, True, 1)
    [created] = _audits(db, "package.create")
    assert created.actor_id == admin.id and created.detail["before"] is None
    assert created.detail["after"] == {"code": "C90N", "name": "C90N", "monthly_price": 90_000,
                                       "allowance": "1,5 GB/ngày; miễn phí gọi nội mạng dưới 20 phút", "active": True}
    page = client.get(f"/promotions/packages/{package.id}").get_data(as_text=True)
    assert 'value="90.000"' in page and "readonly" in page
    assert _post(client, f"/promotions/packages/{package.id}", version=1, code="OTHER", name="C90N",
                 monthly_price="95000", allowance=package.allowance).status_code == 302
    [updated] = _audits(db, "package.update")
    assert updated.detail == {"before": {"monthly_price": 90_000}, "after": {"monthly_price": 95_000}}
    assert _package(db, "C90N").monthly_price == 95_000 and _package(db, "OTHER") is None
    listing = client.get("/promotions/packages/").get_data(as_text=True)
    assert "C90N" in listing and "95.000 ₫" in listing


def test_duplicates_and_bad_prices_are_field_errors_and_nothing_is_saved(client, db, login):
    login(Role.ADMIN, region=0)
    count = len(db.session.scalars(select(Package)).all())
    for data, message in (({"code": "tn4g", "name": "Gói khác", "monthly_price": "10000"}, "Mã gói TN4G đã có"),
                          ({"code": "MAX", "name": "tn4G", "monthly_price": "10000"}, "Đã có gói cước tên"),
                          ({"code": "MAX", "name": "Gói Max", "monthly_price": "mười nghìn"}, "Nhập số tiền VND"),
                          ({"code": "MAX", "name": "Gói Max", "monthly_price": "200.000.000"},
                           "từ 0 đến 100.000.000 đồng"),
                          ({"code": "MAX 1", "name": "Gói Max", "monthly_price": "1"}, "Chỉ chữ, số, - và _")):
        response = _post(client, "/promotions/packages/new", allowance="", **data)
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and message in html and "is-invalid" in html
    assert len(db.session.scalars(select(Package)).all()) == count and _audits(db, "package.create") == []


def test_a_package_a_running_offer_gives_cannot_stop(client, db, login):
    login(Role.ADMIN, region=0)
    tn4g = _package(db, "TN4G")
    refused = _post(client, f"/promotions/packages/{tn4g.id}/active", version=tn4g.version)
    assert refused.status_code == 409 and "đang được ưu đãi TN4G sử dụng" in refused.get_data(as_text=True)
    assert _package(db, "TN4G").active
    offer = db.session.scalar(select(Offer).where(Offer.code == "TN4G"))
    assert client.post(f"/promotions/{offer.id}/active", data={
        "csrf_token": page_csrf(client, "/promotions/"), "version": offer.version}).status_code == 302
    assert _post(client, f"/promotions/packages/{tn4g.id}/active", version=tn4g.version).status_code == 302
    assert not _package(db, "TN4G").active
    [stopped] = _audits(db, "package.deactivate")
    assert stopped.detail == {"before": {"active": True}, "after": {"active": False}}
    again = client.post(f"/promotions/{offer.id}/active", data={
        "csrf_token": page_csrf(client, "/promotions/"), "version": offer.version})
    assert again.status_code == 409 and "đã ngừng" in again.get_data(as_text=True)  # no offer of a stopped package


def test_an_offer_picks_a_running_package_from_the_catalogue(client, db, login):
    login(Role.ADMIN, region=0)
    _post(client, "/promotions/packages/new", code="D50", name="D50", monthly_price="50000", allowance="")
    page = client.get("/promotions/new").get_data(as_text=True)
    assert '<option value="D50">D50 — D50</option>' in page and '<option value="TN4G">' in page
    token = page_csrf(client, "/promotions/new")
    unknown = client.post("/promotions/new", data={"csrf_token": token, "code": "X1", **OFFER, "package": "ZZZ"})
    assert unknown.status_code == 422 and "Chọn một gói cước trong danh mục" in unknown.get_data(as_text=True)
    d50 = _package(db, "D50")
    _post(client, f"/promotions/packages/{d50.id}/active", version=d50.version)
    stopped = client.post("/promotions/new", data={"csrf_token": token, "code": "X1", **OFFER, "package": "D50"})
    assert stopped.status_code == 422 and "Gói cước D50 đã ngừng" in stopped.get_data(as_text=True)
    assert db.session.scalar(select(Offer).where(Offer.code == "X1")) is None
    assert client.post("/promotions/new", data={"csrf_token": token, "code": "X1", **OFFER}).status_code == 302
    offer = db.session.scalar(select(Offer).where(Offer.code == "X1"))
    assert offer.package == "TN4G" and offer.package_row.name == "TN4G"


def test_two_admins_editing_one_offer_the_second_is_told_and_nothing_is_lost(app, client, db, login):
    login(Role.ADMIN, region=0)
    other = app.test_client()
    login(Role.ADMIN, region=0, on=other)
    offer = db.session.scalar(select(Offer).where(Offer.code == "TN4G"))
    drawn = offer.version
    form = {"name": offer.name, "package": "TN4G", "description": offer.description, "sim_types": ["esim"],
            "channels": ["app"], "starts_on": "2022-06-17", "ends_on": "2022-08-31", "new_subscriber_only": "y"}
    first = other.post(f"/promotions/{offer.id}", data={"csrf_token": page_csrf(other, "/promotions/"),
                                                        "version": drawn, **form, "ends_on": "2022-09-30"})
    assert first.status_code == 302
    second = client.post(f"/promotions/{offer.id}", data={"csrf_token": page_csrf(client, "/promotions/"),
                                                          "version": drawn, **form, "name": "Tên khác"})
    html = second.get_data(as_text=True)
    assert second.status_code == 409 and "Một người khác vừa sửa mục này trước bạn" in html
    assert 'value="2022-09-30"' in html and "Tên khác" in html.split('id="stale-sent"', 1)[1]
    db.session.expire_all()
    offer = db.session.get(Offer, offer.id)
    assert offer.ends_on.isoformat() == "2022-09-30" and offer.name != "Tên khác" and offer.version == drawn + 1
    [updated] = _audits(db, "offer.update")
    assert updated.detail == {"before": {"ends_on": "2022-08-31"}, "after": {"ends_on": "2022-09-30"}}


def test_two_admins_editing_one_package_the_second_is_told(app, client, db, login):
    login(Role.ADMIN, region=0)
    other = app.test_client()
    login(Role.ADMIN, region=0, on=other)
    tn4g = _package(db, "TN4G")
    first = other.post(f"/promotions/packages/{tn4g.id}", data={
        "csrf_token": page_csrf(other, "/promotions/packages/"), "version": 1, "name": "TN4G", "monthly_price": "0",
        "allowance": tn4g.allowance})
    assert first.status_code == 302
    second = _post(client, f"/promotions/packages/{tn4g.id}", version=1, name="TN4G 10 ngày",
                   monthly_price="30.000", allowance=tn4g.allowance)
    html = second.get_data(as_text=True)
    assert second.status_code == 409 and 'id="monthly_price"' in html and 'value="0"' in html
    assert (_package(db, "TN4G").monthly_price, _package(db, "TN4G").name) == (0, "TN4G")


def test_the_migration_puts_every_package_an_offer_named_into_the_catalogue(tmp_path):
    """Offers named their package as free text before the catalogue: each one becomes a package (TN4G with what
    is known of it), so that the offers' new foreign key holds."""
    db_file = tmp_path / "before.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_file}", "PORTAL_INSTANCE": str(tmp_path), "SECRET_KEY": "x",
           "REDIS_URL": os.environ.get("TEST_REDIS_URL", "")}

    def flask(*args: str) -> None:
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]

    flask("db", "upgrade", "0018_connections")
    with sqlite3.connect(db_file) as conn:
        for code, package in (("A", "TN4G"), ("B", "D50"), ("C", "D50")):
            conn.execute("INSERT INTO offer (code, name, package, description, sim_types, channels, starts_on, ends_on,"
                         " new_subscriber_only, active, created_at, updated_at) VALUES (?, 'x', ?, '', '[]', '[]',"
                         " '2022-01-01', '2022-02-01', 1, 1, '2022-01-01', '2022-01-01')", (code, package))
    flask("db", "upgrade", "0021_admin_catalogues")
    with sqlite3.connect(db_file) as conn:
        packages = conn.execute("SELECT code, name, monthly_price, allowance, active, version FROM package "
                                "ORDER BY code").fetchall()
        reasons = conn.execute("SELECT code FROM rejection_reason ORDER BY position").fetchall()
        versions = conn.execute("SELECT DISTINCT version FROM offer").fetchall()
    assert packages == [("D50", "D50", None, "", 1, 1), ("TN4G", "TN4G", None, "15 GB dùng trong 10 ngày (1,5 GB/ngày)",
                                                          1, 1)]
    assert reasons[0] == ("id_unreadable",) and reasons[-1] == ("other",) and len(reasons) == 8
    assert versions == [(1,)]
