"""Sign-in, sessions and sign-out (issue 2 §5; checklist 1–7, 15)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.auth.models import Staff, StaffSession
from portal.core.models import AuditEntry
from portal.core.roles import Role
from tests.conftest import TEST_PASSWORD, csrf_from, page_csrf


def _post_login(client, username, password):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def test_password_is_hashed_with_argon2id(make_staff):
    staff = make_staff(Role.AGENT)
    assert staff.password_hash.startswith("$argon2id$")
    assert TEST_PASSWORD not in staff.password_hash


def test_unknown_user_and_wrong_password_get_the_same_answer(client, make_staff):
    staff = make_staff(Role.AGENT)
    wrong = _post_login(client, staff.username, "not-the-password")
    unknown = _post_login(client, "nobody-here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    wrong_text, unknown_text = wrong.get_data(as_text=True), unknown.get_data(as_text=True)
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in wrong_text
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in unknown_text
    # Same page apart from the per-request CSRF token and nonce.
    assert wrong_text.count("alert") == unknown_text.count("alert")


def test_session_identifier_changes_at_sign_in(client, make_staff):
    staff = make_staff(Role.AGENT)
    client.get("/login")
    before = client.get_cookie("portal_session", domain="portal.test").value
    assert _post_login(client, staff.username, TEST_PASSWORD).status_code == 302
    after = client.get_cookie("portal_session", domain="portal.test").value
    assert before != after
    with client.session_transaction() as sess:
        assert sess.get("sid") and "csrf_token" not in sess  # a fresh session, nothing carried over


def test_sign_in_records_audit_row_without_the_password(client, app, make_staff, db):
    staff = make_staff(Role.AGENT)
    _post_login(client, staff.username, TEST_PASSWORD)
    _post_login(app.test_client(), staff.username, "wrong-password-123")
    rows = db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("auth.%"))).all()
    assert {r.action for r in rows} >= {"auth.login", "auth.login_failed"}
    for row in rows:
        assert TEST_PASSWORD not in str(row.detail) and "wrong-password-123" not in str(row.detail)
        assert row.ip == "127.0.0.1"


def test_account_is_locked_after_repeated_failures_even_from_changing_addresses(client, make_staff, app):
    staff = make_staff(Role.AGENT)
    limit = app.config["LOGIN_MAX_FAILURES"]
    for i in range(limit):
        token = csrf_from(client.get("/login").get_data(as_text=True))
        r = client.post("/login", data={"username": staff.username, "password": "bad-password-x", "csrf_token": token},
                        environ_overrides={"REMOTE_ADDR": f"10.0.0.{i + 1}"})
        assert r.status_code == 401
    token = csrf_from(client.get("/login").get_data(as_text=True))
    locked = client.post("/login", data={"username": staff.username, "password": TEST_PASSWORD, "csrf_token": token},
                         environ_overrides={"REMOTE_ADDR": "10.0.0.99"})
    assert locked.status_code == 429
    assert "Đăng nhập sai quá nhiều lần" in locked.get_data(as_text=True)


def test_unknown_accounts_lock_the_same_way(client, app):
    """No difference between real and made-up usernames, even at the lockout."""
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _post_login(client, "ghost", "bad-password-x").status_code == 401
    assert _post_login(client, "ghost", "bad-password-x").status_code == 429


def test_failure_counter_resets_after_success(client, make_staff, app):
    staff = make_staff(Role.AGENT)
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        _post_login(client, staff.username, "bad-password-x")
    assert _post_login(client, staff.username, TEST_PASSWORD).status_code == 302
    client.post("/logout", headers={"X-CSRFToken": page_csrf(client)})
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        assert _post_login(client, staff.username, "bad-password-x").status_code == 401
    assert _post_login(client, staff.username, TEST_PASSWORD).status_code == 302


def test_failures_per_address_are_throttled(client, app, make_staff):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"], saved = 3, app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    try:
        for i in range(3):
            assert _post_login(client, f"user{i}", "bad-password-x").status_code == 401
        staff = make_staff(Role.AGENT)
        assert _post_login(client, staff.username, TEST_PASSWORD).status_code == 429
    finally:
        app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = saved


def test_cookie_replayed_after_logout_is_refused(client, app, login):
    login(Role.AGENT)
    cookie = client.get_cookie("portal_session", domain="portal.test").value
    assert client.get("/").status_code == 200
    client.post("/logout", headers={"X-CSRFToken": page_csrf(client)})
    other = app.test_client()
    other.set_cookie("portal_session", cookie, domain="portal.test")
    response = other.get("/")
    assert response.status_code == 401
    assert "Bạn đã đăng xuất" in response.get_data(as_text=True)


def test_logout_ends_the_server_side_session(client, login, db):
    staff = login(Role.AGENT)
    client.post("/logout", headers={"X-CSRFToken": page_csrf(client)})
    row = db.session.scalar(select(StaffSession).where(StaffSession.staff_id == staff.id))
    assert row.ended_at is not None and row.ended_reason == "logout"


def _age_session(db, staff_id, **delta):
    row = db.session.scalar(select(StaffSession).where(StaffSession.staff_id == staff_id))
    if "idle" in delta:
        row.last_seen_at -= delta["idle"]
    if "age" in delta:
        row.created_at -= delta["age"]
        row.last_seen_at -= timedelta(minutes=1)
    db.session.commit()


def test_idle_session_expires_after_30_minutes(client, login, db):
    staff = login(Role.AGENT)
    _age_session(db, staff.id, idle=timedelta(minutes=31))
    response = client.get("/")
    assert response.status_code == 401
    assert "hết hạn do không hoạt động" in response.get_data(as_text=True)


def test_session_expires_after_12_hours_even_if_active(client, login, db):
    staff = login(Role.AGENT)
    _age_session(db, staff.id, age=timedelta(hours=12, minutes=1))
    assert client.get("/").status_code == 401


def test_active_session_is_kept_alive(client, login, db):
    staff = login(Role.AGENT)
    _age_session(db, staff.id, idle=timedelta(minutes=20))
    assert client.get("/").status_code == 200
    db.session.expire_all()
    row = db.session.scalar(select(StaffSession).where(StaffSession.staff_id == staff.id))
    from portal.core.time import utcnow

    assert utcnow() - row.last_seen_at < timedelta(minutes=1)


def test_session_cookie_flags(client, make_staff, app):
    staff = make_staff(Role.AGENT)
    response = _post_login(client, staff.username, TEST_PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert app.config["SESSION_COOKIE_SECURE"] is False  # development/test; production sets it (test_config)


def test_next_parameter_only_redirects_inside_the_portal(client, make_staff):
    staff = make_staff(Role.ADMIN, region=0)
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": staff.username, "password": TEST_PASSWORD,
                                           "csrf_token": token, "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    client.post("/logout", headers={"X-CSRFToken": page_csrf(client)})
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": staff.username, "password": TEST_PASSWORD,
                                           "csrf_token": token, "next": "/audit/?action=auth"})
    assert response.headers["Location"] == "/audit/?action=auth"


def test_protected_page_shows_sign_in_form_with_401_and_comes_back(client, make_staff):
    make_staff(Role.SUPERVISOR, region=1)
    response = client.get("/audit/?action=auth")
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert 'value="/audit/?action=auth"' in html


def test_disabled_staff_cannot_sign_in(client, make_staff, db):
    from portal.auth.models import StaffStatus

    staff = make_staff(Role.AGENT)
    staff.status = StaffStatus.DISABLED
    db.session.commit()
    response = _post_login(client, staff.username, TEST_PASSWORD)
    assert response.status_code == 401


def test_staff_usernames_are_case_insensitive(client, make_staff, db):
    staff = make_staff(Role.AGENT, username="nguyen.an")
    assert _post_login(client, "Nguyen.An", TEST_PASSWORD).status_code == 302
    assert db.session.get(Staff, staff.id).last_login_at is not None


def test_production_hasher_uses_argon2id_defaults():
    from argon2 import PasswordHasher, Type

    from portal.core.passwords import PRODUCTION_HASHER

    defaults = PasswordHasher()
    assert PRODUCTION_HASHER.type == Type.ID
    assert (PRODUCTION_HASHER.time_cost, PRODUCTION_HASHER.memory_cost) == (defaults.time_cost, defaults.memory_cost)
    assert PRODUCTION_HASHER.hash("x" * 12).startswith("$argon2id$")
