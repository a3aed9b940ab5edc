"""Staff accounts and sign-in: argon2id hashes, throttling, server-side sessions."""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import cast

from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from portal.auth.models import STAFF_TRANSITIONS, Staff, StaffSession, StaffStatus
from portal.core import editing, tokens
from portal.core import redis as portal_redis
from portal.core.audit import audit, audit_now
from portal.core.errors import FieldErrors, Invalid, PortalError, TooManyAttempts
from portal.core.passwords import dummy_hash, password_hasher
from portal.core.realtime import disconnect_staff
from portal.core.roles import Role
from portal.core.states import transition
from portal.core.tx import after_commit
from portal.extensions import db
from portal.org.models import Region, Store

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")
MIN_PASSWORD = 12
# What an admin edits on a staff member's page (editing.apply audits each change before/after).
STAFF_FIELDS = ("full_name", "role", "region_id", "store_id")
RIGHTS = {"role", "region_id", "store_id"}  # a change of these ends the sessions: the new rights apply at once

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
    one_time: bool = False,
) -> Staff:
    """Create a staff member (CLI and admin page); clerks belong to a store of their region. ``one_time``: the
    password was made for them (a CSV import) and must be changed at the first sign-in."""
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
        must_change_password=one_time,
    )
    db.session.add(staff)
    db.session.flush()
    # As editing.created writes it, with the actor given (the CLI has no signed-in user).
    audit("staff.create", staff, actor=actor, detail={
        "before": None, "after": editing.values_of(staff, ("username", *STAFF_FIELDS))})
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
    row, token = tokens.issue(STAFF_SESSIONS, staff.id, ip=ip, user_agent=user_agent[:200])
    values = {"last_login_at": row.created_at}
    if password_hasher().check_needs_rehash(staff.password_hash):
        values["password_hash"] = password_hasher().hash(password)
    # Not through the ORM: signing in is not an edit of the account, so the row's version (an admin's form drawn
    # before this sign-in) stays as it was, and a sign-in never loses a race to an admin's edit.
    db.session.execute(update(Staff).where(Staff.id == staff.id).values(values)
                       .execution_options(synchronize_session=False))
    for name, value in values.items():
        set_committed_value(staff, name, value)
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
    """Disable or re-enable a staff member; disabling ends their sessions and closes their sockets (in every process,
    through the Socket.IO message queue) once this commits. Two admins at once: one moves it, the other is told."""
    transition(staff, status, actor, STAFF_TRANSITIONS, reason=reason)
    if status == StaffStatus.DISABLED:
        end_all_sessions(staff, "disabled")
    audit("staff.disable" if status == StaffStatus.DISABLED else "staff.enable", staff, actor=actor,
          detail={"reason": reason})


def assignment_errors(role: Role, region_id: int | None, store_code: str, actor: Staff | None,
                      keep_store_id: int | None = None) -> tuple[dict[str, tuple[str, str]], Store | None]:
    """Whether ``role`` in region ``region_id`` at store ``store_code`` is consistent, and for ``actor`` to give:
    the errors by field (``region_id``, ``store_code``) and the store. A clerk needs an active store of that region;
    a regional admin assigns their own region only. ``keep_store_id``: the store the person is at now (kept even if
    it has since been deactivated)."""
    errors: dict[str, tuple[str, str]] = {}
    region = db.session.get(Region, region_id) if region_id is not None else None
    if region is None:
        errors["region_id"] = ("bad_region", _("Khu vực không tồn tại."))
    elif actor is not None and not actor.is_head_office and region_id != actor.region_id:
        errors["region_id"] = ("foreign_region", _("Bạn chỉ quản lý nhân viên trong khu vực của mình (%(r)s).",
                                                   r=actor.region.code))
    store = db.session.scalar(select(Store).where(Store.code == store_code.strip().upper())) if store_code else None
    if store_code and (store is None or (not store.active and store.id != keep_store_id)):
        errors["store_code"] = ("bad_store", _("Không có cửa hàng đang hoạt động với mã %(c)s.", c=store_code[:20]))
    elif store is not None and region is not None and store.region_id != region_id:
        errors["store_code"] = ("store_region", _("Cửa hàng %(c)s thuộc %(s)s, không thuộc khu vực đã chọn (%(r)s).",
                                                  c=store.code, s=store.region.code, r=region.code))
    elif role == Role.CLERK and store is None:
        errors["store_code"] = ("store_required", _("Nhân viên cửa hàng phải thuộc một cửa hàng của khu vực đã chọn."))
    return errors, store


def update_staff(staff: Staff, drawn_from: int | None, actor: Staff, *, full_name: str, role: Role | str,
                 region_id: int | None, store_code: str = "") -> dict[str, list]:
    """An admin's edit of a staff member's name, role, region and store (``FieldErrors`` if inconsistent, nothing
    changed; ``stale_edit`` if the form was drawn from an older version). A change of rights ends their sessions
    and sockets. Returns the fields changed, ``{field: [before, after]}``."""
    role = Role(role)
    errors, store = assignment_errors(role, region_id, store_code, actor, keep_store_id=staff.store_id)
    if staff.id == actor.id and (role != staff.role or region_id != staff.region_id
                                 or (store.id if store else None) != staff.store_id):
        errors.setdefault("role", ("own_rights", _("Bạn không thể tự đổi vai trò, khu vực hay cửa hàng của mình.")))
    if not full_name.strip():
        errors["full_name"] = ("name_required", _("Vui lòng nhập họ và tên."))
    if errors:
        raise FieldErrors(errors)
    changes = editing.apply(staff, drawn_from, "staff.update", {
        "full_name": " ".join(full_name.split()), "role": role, "region_id": region_id,
        "store_id": store.id if store else None})
    if RIGHTS & changes.keys():
        end_all_sessions(staff, "role_changed" if "role" in changes else "reassigned")
    return changes


def reset_password(staff: Staff, password: str, actor: Staff) -> None:
    """An admin sets a new password (which the admin knows: the staff member changes it at their next sign-in);
    every open session of that staff member ends."""
    staff.password_hash = hash_password(password)
    staff.must_change_password = True
    end_all_sessions(staff, "password")
    audit("staff.password_reset", staff, actor=actor)


def change_own_password(staff: Staff, current: str, new: str) -> None:
    """A staff member replaces their password (a one-time one, or any): the current one first, then a new one of
    at least MIN_PASSWORD characters that is not the same. Not an admin's edit: the account's version stays."""
    try:
        password_hasher().verify(staff.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise FieldErrors({"current": ("bad_password", _("Mật khẩu hiện tại không đúng."))}) from None
    if new == current:
        raise FieldErrors({"new": ("same_password", _("Mật khẩu mới phải khác mật khẩu hiện tại."))})
    if len(new) < MIN_PASSWORD:
        raise FieldErrors({"new": ("weak_password", _("Mật khẩu phải có ít nhất %(n)d ký tự.", n=MIN_PASSWORD))})
    values = {"password_hash": password_hasher().hash(new), "must_change_password": False}
    db.session.execute(update(Staff).where(Staff.id == staff.id).values(values)
                       .execution_options(synchronize_session=False))
    for name, value in values.items():
        set_committed_value(staff, name, value)
    audit("staff.password_changed", staff, actor=staff)


def active_session_count(staff: Staff) -> int:
    return db.session.scalar(
        select(func.count()).select_from(StaffSession)
        .where(StaffSession.staff_id == staff.id, StaffSession.ended_at.is_(None))
    ) or 0
