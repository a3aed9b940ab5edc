"""Staff accounts and sign-in: argon2id hashes, throttling, server-side sessions."""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import cast

from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.auth.models import STAFF_TRANSITIONS, Staff, StaffSession, StaffStatus
from portal.core import redis as portal_redis
from portal.core import tokens
from portal.core.audit import audit, audit_now
from portal.core.errors import Invalid, PortalError, TooManyAttempts
from portal.core.passwords import dummy_hash, password_hasher
from portal.core.realtime import disconnect_staff
from portal.core.roles import Role
from portal.core.states import transition
from portal.core.tx import after_commit
from portal.extensions import db
from portal.org.models import Region, Store

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")
MIN_PASSWORD = 12

# The cookie carries the token; its row ends at sign-out, after SESSION_IDLE_MINUTES idle or SESSION_MAX_HOURS.
STAFF_SESSIONS = tokens.TokenKind(
    StaffSession, owner_column="staff_id", owner_active=lambda row: row.staff.is_active,
    limits=lambda row: (timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"]),
                        row.created_at + timedelta(hours=current_app.config["SESSION_MAX_HOURS"])))


class SignInFailed(PortalError):
    status = 401


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise Invalid("weak_password", _("Mật khẩu phải có ít nhất %(n)d ký tự.", n=MIN_PASSWORD))
    return password_hasher().hash(password)


def create_staff(
    username: str,
    password: str,
    role: Role | str,
    region_id: int,
    store_code: str | None = None,
    full_name: str = "",
    actor: Staff | None = None,
) -> Staff:
    """Create a staff member (CLI and admin page); clerks belong to a store of their region."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise Invalid("bad_username", _("Tên đăng nhập chỉ gồm chữ thường, số, dấu chấm, gạch; 3–40 ký tự."))
    if db.session.scalar(select(Staff.id).where(Staff.username == username)):
        raise Invalid("username_taken", _("Tên đăng nhập đã tồn tại."))
    try:
        role = Role(role)
    except ValueError:
        raise Invalid("bad_role", _("Vai trò không hợp lệ.")) from None
    if db.session.get(Region, region_id) is None:
        raise Invalid("bad_region", _("Khu vực không tồn tại."))
    store = None
    if store_code:
        store = db.session.scalar(select(Store).where(Store.code == store_code))
        if store is None or store.region_id != region_id:
            raise Invalid("bad_store", _("Cửa hàng không tồn tại trong khu vực đã chọn."))
    if role == Role.CLERK and store is None:
        raise Invalid("store_required", _("Nhân viên cửa hàng phải thuộc một cửa hàng."))
    staff = Staff(
        username=username,
        full_name=full_name.strip(),
        password_hash=hash_password(password),
        role=role,
        region_id=region_id,
        store_id=store.id if store else None,
    )
    db.session.add(staff)
    db.session.flush()
    audit("staff.create", staff, actor=actor, detail={"username": username, "role": role.value})
    return staff


def _throttle_keys(username: str, ip: str) -> tuple[str, str]:
    user = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return f"portal:login:user:{user}", f"portal:login:ip:{ip}"


def _check_throttle(user_key: str, ip_key: str) -> None:
    cfg = current_app.config
    r = portal_redis.connection()
    counts = cast(list[bytes | None], r.mget(user_key, ip_key))  # redis-py types sync and async answers as one
    user_failures, ip_failures = (int(v or 0) for v in counts)
    if user_failures >= cfg["LOGIN_MAX_FAILURES"] or ip_failures >= cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"]:
        raise TooManyAttempts(
            "login_locked",
            _("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau %(m)d phút.", m=cfg["LOGIN_LOCK_MINUTES"]),
        )


def _record_failure(user_key: str, ip_key: str) -> None:
    window = current_app.config["LOGIN_LOCK_MINUTES"] * 60
    pipe = portal_redis.connection().pipeline()
    for key in (user_key, ip_key):
        pipe.incr(key)
        pipe.expire(key, window)
    pipe.execute()


def sign_in(username: str, password: str, ip: str, user_agent: str = "") -> tuple[Staff, str]:
    """Check the password and open a server-side session; returns the staff member and the session token.

    Unknown user and wrong password get the same refusal and take the same time
    (checklist 2); failures are counted per account and per address, whether or
    not the account exists, so the lockout reveals nothing either (checklist 1).
    """
    user_key, ip_key = _throttle_keys(username, ip)
    _check_throttle(user_key, ip_key)
    staff = db.session.scalar(select(Staff).where(Staff.username == username.strip().lower()))
    try:
        password_hasher().verify(staff.password_hash if staff else dummy_hash(), password)
        ok = staff is not None and staff.is_active
    except (VerificationError, InvalidHashError):
        ok = False
    if staff is None or not ok:
        _record_failure(user_key, ip_key)
        audit_now("auth.login_failed", staff, actor=staff, detail={"username": username[:40]})
        raise SignInFailed("bad_credentials", _("Tên đăng nhập hoặc mật khẩu không đúng."))
    portal_redis.connection().delete(user_key)
    if password_hasher().check_needs_rehash(staff.password_hash):
        staff.password_hash = password_hasher().hash(password)
    row, token = tokens.issue(STAFF_SESSIONS, staff.id, ip=ip, user_agent=user_agent[:200])
    staff.last_login_at = row.created_at
    audit("auth.login", staff, actor=staff)
    return staff, token


def load_session_user(staff_id: str, token: str | None) -> tuple[Staff | None, str | None]:
    """The staff member behind a live session, or None and why the session no longer counts."""
    found = tokens.look_up(STAFF_SESSIONS, token, owner_id=staff_id)
    return (found.row.staff if found.row else None), found.ended


def sign_out(staff: Staff, token: str | None) -> None:
    """End this browser's session on the server (checklist 4)."""
    if token:
        tokens.end(STAFF_SESSIONS, tokens.digest(token), "logout")
    audit("auth.logout", staff, actor=staff)


def end_all_sessions(staff: Staff, reason: str) -> int:
    """End every open session of ``staff``; their sockets close after commit (checklist 5)."""
    ended = tokens.end_all(STAFF_SESSIONS, staff.id, reason)
    after_commit(disconnect_staff, staff.id)
    return ended


def set_staff_status(staff: Staff, status: StaffStatus, actor: Staff, reason: str = "") -> None:
    """Disable or re-enable a staff member; disabling ends their sessions at once."""
    transition(staff, status, actor, STAFF_TRANSITIONS, reason=reason)
    if status == StaffStatus.DISABLED:
        end_all_sessions(staff, "disabled")
    audit("staff.disable" if status == StaffStatus.DISABLED else "staff.enable", staff, actor=actor,
          detail={"reason": reason})


def change_role(staff: Staff, role: Role, actor: Staff) -> None:
    """Give a staff member another role; their open sessions end so the new rights apply at once."""
    old = staff.role
    staff.role = Role(role)
    end_all_sessions(staff, "role_changed")
    audit("staff.role_change", staff, actor=actor, detail={"from": old.value, "to": staff.role.value})


def reset_password(staff: Staff, password: str, actor: Staff) -> None:
    """Set a new password; every open session of that staff member ends."""
    staff.password_hash = hash_password(password)
    end_all_sessions(staff, "password")
    audit("staff.password_reset", staff, actor=actor)


def active_session_count(staff: Staff) -> int:
    return db.session.scalar(
        select(func.count()).select_from(StaffSession)
        .where(StaffSession.staff_id == staff.id, StaffSession.ended_at.is_(None))
    ) or 0
