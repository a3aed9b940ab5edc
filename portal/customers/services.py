"""Customer accounts: register → activate by SMS OTP (AUTH-3..12), sign in (AUTH-13..18), forgot password (PWD-1..11).

Passwords are argon2id (the staff hasher, checklist 15). Sign-in failures are
counted per phone and per address whether or not the phone has an account, and
unknown phones get the same refusal in the same time (checklist 1, 2). Forgot
password answers the same for unknown phones and sends nothing to them.
Services never commit; views and API endpoints do, once.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from datetime import timedelta
from typing import cast

from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from portal.core import redis as portal_redis
from portal.core.actors import Actor, SystemActor
from portal.core.audit import audit, audit_now
from portal.core.errors import Invalid, PortalError, TooManyAttempts
from portal.core.passwords import dummy_hash, password_hasher
from portal.core.states import transition
from portal.core.time import utcnow
from portal.core.tokens import digest
from portal.customers import otp
from portal.customers.models import (
    CUSTOMER_TRANSITIONS,
    Customer,
    CustomerOtp,
    CustomerStatus,
    OtpPurpose,
)
from portal.customers.otp import OtpDelivery
from portal.customers.tokens import end_everywhere
from portal.extensions import db
from portal.numbers.formatting import OPERATOR_PREFIXES, normalize_number

MIN_PASSWORD, MAX_PASSWORD = 8, 128
RESET_GRANT_MINUTES = 10
NAME = re.compile(r"^[^\W\d_]+(?:[ .'-][^\W\d_]+)*$")  # letters (any script) in words
COMMON_PASSWORDS = frozenset({"12345678", "123456789", "1234567890", "password", "password1", "matkhau123",
                              "abc12345", "qwerty123", "11111111", "88888888", "iloveyou1", "admin123"})


class FieldError(Invalid):
    """A refusal that belongs beside one form field (``field``); API clients read ``code``."""

    def __init__(self, field: str, code: str, message: str):
        super().__init__(code, message)
        self.field = field


class SignInFailed(PortalError):
    status = 401


def normalize_phone(text: str | None, field: str = "phone") -> str:
    phone = normalize_number(text or "")
    if phone is None:
        raise FieldError(field, "bad_phone", _("Số điện thoại phải là số di động của nhà mạng (đầu số %(p)s).",
                                               p=", ".join(OPERATOR_PREFIXES)))
    return phone


def check_password(password: str, phone: str = "", field: str = "password") -> None:
    """8–128 characters, letters and digits, not a common password, not the phone number."""
    password = password or ""
    if len(password) < MIN_PASSWORD or len(password) > MAX_PASSWORD:
        raise FieldError(field, "weak_password", _("Mật khẩu phải có từ %(a)d đến %(b)d ký tự.", a=MIN_PASSWORD,
                                                   b=MAX_PASSWORD))
    if not (re.search(r"[^\W\d_]", password) and re.search(r"\d", password)):
        raise FieldError(field, "weak_password", _("Mật khẩu phải có cả chữ và số."))
    if password.lower() in COMMON_PASSWORDS or (phone and phone[1:] in password):
        raise FieldError(field, "weak_password", _("Mật khẩu quá dễ đoán; vui lòng chọn mật khẩu khác."))


def _check_name(full_name: str) -> str:
    # NFC: a name typed with combining accents (some Android keyboards) is the same name.
    name = " ".join(unicodedata.normalize("NFC", full_name or "").split())
    if not 2 <= len(name) <= 120 or not NAME.match(name):
        raise FieldError("full_name", "bad_name", _("Họ tên chỉ gồm chữ cái, từ 2 đến 120 ký tự."))
    return name


def _by_phone(phone: str) -> Customer | None:
    return db.session.scalar(select(Customer).where(Customer.phone == phone))


# --- register and activate (AUTH-3..12) -----------------------------------------------------------------------

def register(phone: str, full_name: str, password: str, ip: str) -> tuple[Customer, OtpDelivery]:
    """Create a pending account and send the activation code (AUTH-6, AUTH-8).

    A phone registered but never activated may register again (its owner proves it
    with the OTP); an active account's phone is refused beside the field.
    """
    phone = normalize_phone(phone)
    name = _check_name(full_name)
    check_password(password, phone)
    customer = _by_phone(phone)
    if customer is not None and customer.status != CustomerStatus.PENDING:
        raise FieldError("phone", "phone_taken", _("Số điện thoại này đã có tài khoản. Vui lòng đăng nhập."))
    otp.check_send_limits(phone, ip)
    if customer is None:
        customer = Customer(phone=phone, full_name=name, password_hash=password_hasher().hash(password))
        db.session.add(customer)
        db.session.flush()
    else:
        customer.full_name, customer.password_hash = name, password_hasher().hash(password)
    audit("customer.register", customer, actor=customer)
    return customer, otp.issue_code(customer, OtpPurpose.ACTIVATE)


def resend_code(phone: str, purpose: OtpPurpose, ip: str) -> OtpDelivery:
    """Send a new code (limits apply); unknown phones and accounts in the wrong state count but get nothing."""
    phone = normalize_phone(phone)
    otp.check_send_limits(phone, ip)
    customer = _by_phone(phone)
    wanted = CustomerStatus.PENDING if purpose == OtpPurpose.ACTIVATE else CustomerStatus.ACTIVE
    if customer is None or customer.status != wanted:
        return OtpDelivery(phone, sent=True)  # the same answer: nothing to learn from it
    audit("customer.otp_sent", customer, actor=customer, detail={"purpose": purpose.value})
    return otp.issue_code(customer, purpose)


def activate(phone: str, code: str) -> Customer:
    """Prove the phone with the activation code and activate the account (AUTH-9..12)."""
    phone = normalize_phone(phone)
    row = otp.consume_code(phone, OtpPurpose.ACTIVATE, code)
    customer = db.session.get_one(Customer, row.customer_id)
    transition(customer, CustomerStatus.ACTIVE, customer, CUSTOMER_TRANSITIONS, reason="otp",
               activated_at=utcnow())
    audit("customer.activate", customer, actor=customer)
    return customer


# --- sign in (AUTH-13..18) --------------------------------------------------------------------------------------

def _throttle_keys(phone: str, ip: str) -> tuple[str, str]:
    return (f"portal:customer-login:phone:{hashlib.sha256(phone.encode()).hexdigest()[:32]}",
            f"portal:customer-login:ip:{ip}")


def _locked(phone_key: str, ip_key: str) -> None:
    cfg = current_app.config
    counts = cast(list[bytes | None], portal_redis.connection().mget(phone_key, ip_key))  # redis-py: sync|async
    per_phone, per_ip = (int(v or 0) for v in counts)
    if per_phone >= cfg["CUSTOMER_LOGIN_MAX_FAILURES"] or per_ip >= cfg["CUSTOMER_LOGIN_MAX_FAILURES_PER_ADDRESS"]:
        raise TooManyAttempts("login_locked", _("Bạn đã nhập sai quá nhiều lần. Vui lòng thử lại sau %(m)d phút "
                                                "hoặc dùng “Quên mật khẩu”.", m=cfg["CUSTOMER_LOGIN_LOCK_MINUTES"]))


def _failed(phone_key: str, ip_key: str) -> None:
    pipe = portal_redis.connection().pipeline()
    for key in (phone_key, ip_key):
        pipe.incr(key)
        pipe.expire(key, current_app.config["CUSTOMER_LOGIN_LOCK_MINUTES"] * 60)
    pipe.execute()


def sign_in(phone_text: str, password: str, ip: str) -> Customer:
    """Check phone + password (AUTH-15, 16). Pending accounts with the right password: ``not_activated``."""
    phone = normalize_number(phone_text or "") or (phone_text or "").strip()[:20]
    phone_key, ip_key = _throttle_keys(phone, ip)
    _locked(phone_key, ip_key)
    customer = _by_phone(phone) if len(phone) == 10 else None
    try:
        password_hasher().verify(customer.password_hash if customer else dummy_hash(), password or "")
        ok = customer is not None and customer.status != CustomerStatus.DISABLED
    except (VerificationError, InvalidHashError):
        ok = False
    if customer is None or not ok:
        _failed(phone_key, ip_key)
        who = customer or SystemActor(f"KH {phone[:3]}****{phone[-3:]} (không có tài khoản)", None, "customer")
        audit_now("customer.login_failed", customer, actor=who)
        raise SignInFailed("bad_credentials", _("Số điện thoại hoặc mật khẩu không đúng."))  # AUTH-17
    portal_redis.connection().delete(phone_key)
    if customer.status == CustomerStatus.PENDING:
        raise SignInFailed("not_activated", _("Tài khoản chưa được kích hoạt. Vui lòng nhập mã OTP đã gửi tới "
                                              "số điện thoại của bạn."), status=403)
    if password_hasher().check_needs_rehash(customer.password_hash):
        customer.password_hash = password_hasher().hash(password)
    customer.last_login_at = utcnow()
    audit("customer.login", customer, actor=customer)
    return customer


# --- forgot password (PWD-1..11) --------------------------------------------------------------------------------

def forgot_password(phone: str, ip: str) -> OtpDelivery:
    """Send a reset code to the account's phone (PWD-3); the same answer for phones without an account."""
    return resend_code(phone, OtpPurpose.RESET_PASSWORD, ip)


def verify_reset_code(phone: str, code: str) -> str:
    """Check the reset code (PWD-4..6) and return a short-lived reset grant for the new-password step (PWD-7)."""
    phone = normalize_phone(phone)
    row = otp.consume_code(phone, OtpPurpose.RESET_PASSWORD, code)
    grant = secrets.token_urlsafe(32)
    row.grant_hash = digest(grant)
    row.grant_expires_at = utcnow() + timedelta(minutes=RESET_GRANT_MINUTES)
    return grant


def reset_password(grant: str, password: str, password_again: str | None = None) -> Customer:
    """Set the new password (PWD-8..11); every session and app token of the account ends."""
    now = utcnow()
    row = db.session.scalar(select(CustomerOtp).where(CustomerOtp.grant_hash == digest(grant or ""),
                                                      CustomerOtp.grant_expires_at > now))
    if row is None:
        raise Invalid("reset_expired", _("Phiên đặt lại mật khẩu đã hết hạn. Vui lòng yêu cầu mã OTP mới."))
    customer = db.session.get_one(Customer, row.customer_id)
    check_password(password, customer.phone)
    if password_again is not None and password_again != password:
        raise FieldError("password_again", "password_mismatch", _("Hai mật khẩu không giống nhau."))
    customer.password_hash = password_hasher().hash(password)
    row.grant_hash, row.grant_expires_at = None, None  # one use
    end_everywhere(customer, "password")
    portal_redis.connection().delete(_throttle_keys(customer.phone, "-")[0])  # a lockout ends with a new password
    audit("customer.password_reset", customer, actor=customer)
    return customer


# --- disabling an account (staff, issue 10) -----------------------------------------------------------------------

def _reason(text: str | None) -> str:
    return " ".join((text or "").split())[:300]


def disable_customer(customer: Customer, actor: Actor, reason: str) -> None:
    """Disable an account: every website session and app token ends at once (the move's audit row, written by
    core.audit for every move, says who, why, and the status before and after)."""
    reason = _reason(reason)
    if not reason:
        raise FieldError("reason", "reason_required", _("Vui lòng nhập lý do khóa tài khoản."))
    transition(customer, CustomerStatus.DISABLED, actor, CUSTOMER_TRANSITIONS, reason=reason)
    end_everywhere(customer, "disabled")


def enable_customer(customer: Customer, actor: Actor, reason: str = "") -> None:
    """Re-enable a disabled account: active again if its phone was proven, else pending activation."""
    to = CustomerStatus.ACTIVE if customer.activated_at else CustomerStatus.PENDING
    transition(customer, to, actor, CUSTOMER_TRANSITIONS, reason=_reason(reason) or "mở khóa")

