"""App settings, health, headers, error pages, CLI, privacy of logs and audit rows."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from portal import config as portal_config
from portal.auth.models import Staff
from portal.core.models import AuditEntry
from portal.core.privacy import mask_id_number, scrub
from portal.core.roles import Role
from portal.media.crypto import new_key

ROOT = Path(__file__).resolve().parents[2]


# --- settings ---------------------------------------------------------------------------------

def test_production_refuses_to_start_without_its_secrets():
    with pytest.raises(portal_config.ConfigError, match="SECRET_KEY, DATABASE_URL, REDIS_URL"):
        portal_config.load({"PORTAL_ENV": "production"})
    with pytest.raises(portal_config.ConfigError, match="REDIS_URL"):
        portal_config.load({"PORTAL_ENV": "production", "SECRET_KEY": "k", "DATABASE_URL": "postgresql://x/y"})


def test_production_cookies_are_secure_and_urls_use_psycopg():
    cfg = portal_config.load({"PORTAL_ENV": "production", "SECRET_KEY": "k", "DATABASE_URL": "postgresql://h/db",
                              "REDIS_URL": "redis://h:6379/0", "MEDIA_ENCRYPTION_KEYS": f"k1:{new_key()}"})
    assert cfg["SESSION_COOKIE_SECURE"] and cfg["SESSION_COOKIE_HTTPONLY"] and cfg["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://h/db"


def test_development_defaults_need_nothing_installed():
    cfg = portal_config.load({})
    assert cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///") and cfg["REDIS_URL"] == ""
    assert cfg["SESSION_COOKIE_SECURE"] is False


def test_embedded_redis_is_a_real_redis(app):
    from portal.core import redis as portal_redis

    if os.environ.get("TEST_REDIS_URL"):
        pytest.skip("this pass runs against an external Redis")
    with app.app_context():
        r = portal_redis.connection()
        assert app.config["REDIS_URL"].startswith("unix://")
        r.set("portal:test", "1", ex=5)
        assert r.get("portal:test") == b"1" and r.info("server")["redis_version"]


# --- health and errors ------------------------------------------------------------------------

def test_healthz_reports_database_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_says_503_when_redis_does_not_answer(client, monkeypatch):
    from redis import Redis
    from redis.exceptions import ConnectionError

    def down(self, *a, **k):
        raise ConnectionError("gone")

    monkeypatch.setattr(Redis, "ping", down)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["redis"] == "unavailable"


def test_redis_outage_shows_a_clear_503_page_without_a_stack_trace(client, login, monkeypatch):
    """Checklist 29: sign-in needs Redis (throttling); without it, a Vietnamese 503 page."""
    from redis.client import Redis
    from redis.exceptions import ConnectionError

    def down(self, *a, **k):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379")

    from tests.conftest import csrf_from

    token = csrf_from(client.get("/login").get_data(as_text=True))
    monkeypatch.setattr(Redis, "mget", down)
    response = client.post("/login", data={"username": "a", "password": "b" * 12, "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Hệ thống tạm thời gián đoạn" in html and "Traceback" not in html and "6379" not in html


def test_not_found_page_is_vietnamese(client, login):
    login(Role.AGENT)
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.get_data(as_text=True)


def test_customer_site_errors_keep_the_customer_site_frame(client, login_customer):
    login_customer()
    html = client.get("/chonso/giu-so/0123").get_data(as_text=True)  # not one of our numbers
    assert "Không tìm thấy trang" in html and "Phiếu của tôi" in html  # the site's tabs
    assert "Hệ thống quản trị" not in html and 'href="/chonso/tim-so"' in html


def test_api_paths_get_json_errors(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json() == {"error": {"code": "not_found",
                                             "message": "Không tìm thấy trang hoặc hồ sơ bạn yêu cầu."}}


def test_english_is_available(client, login):
    from tests.conftest import page_csrf

    login(Role.AGENT)
    client.post("/language/en", data={"csrf_token": page_csrf(client), "next": "/"})
    html = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in html


# --- headers (checklist 32) ---------------------------------------------------------------------

def test_every_html_page_carries_the_security_headers(client, login):
    login(Role.ADMIN, region=0)
    for path in ("/", "/admin/staff", "/audit/", "/login"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
                          "script-src 'self' 'nonce-"):
            assert directive in csp, (path, directive)
        assert "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["Cache-Control"] == "no-store"


def test_csp_nonce_changes_per_response(client):
    a = client.get("/login").headers["Content-Security-Policy"]
    b = client.get("/login").headers["Content-Security-Policy"]
    assert a != b


def test_templates_have_no_inline_script_without_nonce():
    import re

    for path in (ROOT / "templates").rglob("*.html"):
        for tag in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", path.read_text()):
            assert "nonce=" in tag, f"{path}: inline script without a nonce"
        assert " style=\"" not in path.read_text(), f"{path}: inline style (CSP forbids it)"


# --- CLI ----------------------------------------------------------------------------------------

def _cli(app, tmp_path, *args, stdin: str = "") -> subprocess.CompletedProcess:
    """``flask --app wsgi ARGS`` in a process of its own: its commits are real (tests using it need committed_db)."""
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": app.config["REDIS_URL"],
           "PORTAL_INSTANCE": str(tmp_path), "SECRET_KEY": "x"}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.usefixtures("committed_db")
def test_cli_creates_staff_reading_the_password_from_stdin(app, db, tmp_path):
    result = _cli(app, tmp_path, "staff", "create", "--username", "ch.hcm", "--role", "clerk", "--region", "2",
                  "--store", "CH-HCM-01", stdin="mat-khau-cua-hang-1\n")
    assert result.returncode == 0, result.stderr
    assert "mat-khau-cua-hang-1" not in result.stdout + result.stderr
    staff = db.session.scalar(select(Staff).where(Staff.username == "ch.hcm"))
    assert staff.role == Role.CLERK and staff.store.code == "CH-HCM-01"


@pytest.mark.usefixtures("committed_db")
def test_cli_refuses_bad_input_with_a_clear_message(app, db, tmp_path):
    result = _cli(app, tmp_path, "staff", "create", "--username", "x1y", "--role", "clerk", "--region", "2",
                  stdin="mat-khau-cua-hang-1\n")
    assert result.returncode != 0 and "store_required" in result.stderr
    result = _cli(app, tmp_path, "staff", "create", "--username", "x1y", "--role", "agent", "--region", "2",
                  stdin="short\n")
    assert result.returncode != 0 and "weak_password" in result.stderr


@pytest.mark.usefixtures("committed_db")
def test_seed_demo_is_idempotent_and_prints_logins(app, db, tmp_path):
    first = _cli(app, tmp_path, "seed-demo")
    second = _cli(app, tmp_path, "seed-demo")
    assert first.returncode == second.returncode == 0, first.stderr
    assert "demo data ready (20 new staff)" in first.stdout and "demo data ready (0 new staff)" in second.stdout
    assert "demo inventory: 20000 numbers" in first.stdout and "demo inventory" not in second.stdout
    assert "vc1" in first.stdout and "chonso-demo-2026" in first.stdout
    roles = set(db.session.scalars(select(Staff.role)))
    assert roles == set(Role)


# --- privacy (checklist 33) -----------------------------------------------------------------------

def test_scrub_removes_secrets_and_masks_id_numbers():
    cleaned = scrub({"password": "hunter2", "otp": "123456", "note": "CCCD 001203012345, CMND 123456789",
                     "phone": "0903123456"})
    assert cleaned["password"] == cleaned["otp"] == "[redacted]"
    assert cleaned["note"] == "CCCD *********345, CMND ******789"
    assert cleaned["phone"] == "0903123456"
    assert mask_id_number("ICCID 8984012345678901234") == "ICCID 8984012345678901234"


def test_newline_in_a_username_cannot_forge_an_audit_or_log_line(client, db, caplog):
    from portal.core.logging import PortalLogFilter
    from tests.conftest import csrf_from

    forged = "ghost\n2026-11-25 INFO auth.login admin"
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": forged, "password": "x" * 12, "csrf_token": token})
    row = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "auth.login_failed"))
    assert "\n" not in row.detail["username"]
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "user %s id %s", (forged, "001203012345"), None)
    PortalLogFilter().filter(record)
    assert "\n" not in record.getMessage() and "001203012345" not in record.getMessage()


def test_audit_rows_cannot_be_changed_through_the_orm(db):
    from portal.core.audit import audit

    entry = audit("test.append_only")
    db.session.commit()
    entry.action = "forged"
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()


def test_method_not_allowed_keeps_its_allow_header(client):
    response = client.delete("/healthz")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
