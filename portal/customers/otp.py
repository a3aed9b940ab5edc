"""One-time codes sent by SMS (AUTH-8..11, PWD-3..6; checklist 14).

Six digits from ``secrets``; only an HMAC-SHA256 under the app's secret key
(bound to the phone and the purpose) is stored, so a copy of the table cannot
be brute-forced offline. A code is good for OTP_TTL_MINUTES, for one purpose
and one use; a newer code of the same purpose replaces the older one; every try
is counted in Redis *before* comparing (atomic INCR: parallel guesses cannot
share a try) and the OTP_MAX_ATTEMPTS-th wrong try burns the code. Sends are
limited per phone and per address (per hour) with a cool-down between two sends
to one phone; unknown phones count the same, so the limits reveal nothing.

Delivery never blocks the request and never stores the code: right after the
commit the SMS is handed to a small pool of threads in this process
(``OTP_SMS_THREADS``), which sends it (eSMS.vn's RequestId ``otp-<row id>``
makes a retried send idempotent at the provider). The code lives only in that
process's memory until it leaves: not in the database (an HMAC only), not in an
RQ job's arguments or Redis, not in a log line. docs/customers.md says why this
and not an encrypted RQ job. The cost: a process that dies with SMS still
queued loses them; the customer presses "Gửi lại mã", as after any lost SMS.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from portal.core import redis as portal_redis
from portal.core.digits import ascii_digits
from portal.core.errors import Invalid, TooManyAttempts
from portal.core.time import utcnow
from portal.core.tx import after_commit, independently
from portal.customers.messages import OTP_TEXTS
from portal.customers.models import Customer, CustomerOtp, OtpPurpose
from portal.extensions import db
from portal.gateways.sms import SmsError, SmsGateway, sms_gateway
from portal.messages.rendering import render

log = logging.getLogger(__name__)
HOUR = 3600



@dataclass
class OtpDelivery:
    """What became of an SMS handed to the sender: ``sent`` is None until it is answered, then True or False."""

    phone: str
    sent: bool | None = None
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.sent is False


def otp_wrong() -> Invalid:
    return Invalid("otp_invalid", _("Mã OTP không đúng hoặc đã hết hạn."))  # AUTH-11, PWD-6


def code_hash(phone: str, purpose: OtpPurpose, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"otp:{purpose.value}:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _phone_key(phone: str) -> str:
    return hashlib.sha256(phone.encode()).hexdigest()[:32]


def check_send_limits(phone: str, ip: str) -> None:
    """Refuse a send over the per-phone / per-address hourly limits or within the cool-down; count this one."""
    cfg = current_app.config
    r = portal_redis.connection()
    phone_key, ip_key = f"portal:otp:sends:phone:{_phone_key(phone)}", f"portal:otp:sends:ip:{ip}"
    per_phone, per_ip = (int(v or 0) for v in r.mget(phone_key, ip_key))
    if per_phone >= cfg["OTP_MAX_SENDS_PER_PHONE"] or per_ip >= cfg["OTP_MAX_SENDS_PER_ADDRESS"]:
        raise TooManyAttempts("otp_send_limit", _("Bạn đã yêu cầu gửi mã quá nhiều lần. Vui lòng thử lại sau 1 giờ."))
    cooldown = cfg["OTP_RESEND_SECONDS"]
    if cooldown and not r.set(f"portal:otp:cooldown:{_phone_key(phone)}", 1, nx=True, ex=cooldown):
        raise TooManyAttempts("otp_resend_too_soon", _("Vui lòng đợi %(s)d giây trước khi yêu cầu mã mới.",
                                                       s=cooldown))
    pipe = r.pipeline()
    for key in (phone_key, ip_key):
        pipe.set(key, 0, nx=True, ex=HOUR)  # the hour starts at the first send (EXPIRE NX needs Redis 7)
        pipe.incr(key)
    pipe.execute()


def issue_code(customer: Customer, purpose: OtpPurpose) -> OtpDelivery:
    """Create a code for ``customer`` and ``purpose`` (replacing older ones); the SMS leaves after the commit.

    The caller has checked the send limits (``check_send_limits``).
    """
    now = utcnow()
    db.session.execute(update(CustomerOtp).where(CustomerOtp.customer_id == customer.id,
                                                 CustomerOtp.purpose == purpose, CustomerOtp.used_at.is_(None))
                       .values(used_at=now))
    code = f"{secrets.randbelow(10**6):06d}"
    minutes = current_app.config["OTP_TTL_MINUTES"]
    row = CustomerOtp(customer_id=customer.id, phone=customer.phone, purpose=purpose,
                      code_hash=code_hash(customer.phone, purpose, code), created_at=now,
                      expires_at=now + timedelta(minutes=minutes))
    db.session.add(row)
    db.session.flush()
    delivery = OtpDelivery(customer.phone)
    text = render(OTP_TEXTS[purpose], otp=code, minutes=minutes).body  # the admins' text, if any (/admin/messages)
    after_commit(_hand_over, delivery, text, f"otp-{row.id}", time.monotonic() + minutes * 60)
    return delivery


# -- the sender: a few threads per process, created after a fork (gunicorn, RQ's work horse) ----------------
_pool: ThreadPoolExecutor | None = None
_pool_pid = 0
_pool_lock = threading.Lock()
_in_flight: set[Future] = set()
RETRY_PAUSE = 2.0  # seconds before the one retry of a send the provider never answered


def _executor() -> ThreadPoolExecutor:
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(max_workers=current_app.config["OTP_SMS_THREADS"],
                                       thread_name_prefix="otp-sms")
            _pool_pid = os.getpid()
        return _pool


def _hand_over(delivery: OtpDelivery, content: str, request_id: str, expires: float) -> None:
    """after_commit: give the SMS to the sender threads and return at once."""
    future = _executor().submit(_deliver, sms_gateway(), delivery, content, request_id, expires)
    _in_flight.add(future)
    future.add_done_callback(_in_flight.discard)


def _deliver(gateway: SmsGateway, delivery: OtpDelivery, content: str, request_id: str, expires: float) -> None:
    """In a sender thread: send (once more if the provider was not reached), unless the code has expired."""
    for attempt in (1, 2):
        if time.monotonic() >= expires:
            log.warning("sms %s dropped: the code expired before it could be sent", request_id)
            delivery.sent, delivery.error = False, "expired"
            return
        try:
            gateway.send(delivery.phone, content, request_id)
        except SmsError as exc:
            delivery.sent, delivery.error = False, exc.code
            if exc.code != "network" or attempt == 2:
                return
            time.sleep(RETRY_PAUSE)
        else:
            delivery.sent, delivery.error = True, None
            return


def wait_for_sends(timeout: float = 15.0) -> None:
    """Wait until the SMS handed to this process's sender have been answered (tests; a clean shutdown)."""
    wait(list(_in_flight), timeout=timeout)


def _tries_key(otp_id: int) -> str:
    return f"portal:otp:tries:{otp_id}"


def consume_code(phone: str, purpose: OtpPurpose, code: str) -> CustomerOtp:
    """Check ``code`` for ``phone`` and ``purpose`` and use it up (one use; wrong tries counted and burning)."""
    now = utcnow()
    row = db.session.scalar(
        select(CustomerOtp).where(CustomerOtp.phone == phone, CustomerOtp.purpose == purpose,
                                  CustomerOtp.used_at.is_(None), CustomerOtp.expires_at > now)
        .order_by(CustomerOtp.id.desc()).limit(1)
    )
    code = ascii_digits(code) or ""  # full-width digits are the code's digits; other scripts' are not
    if row is None:
        raise otp_wrong()
    cfg = current_app.config
    r = portal_redis.connection()
    pipe = r.pipeline()
    pipe.incr(_tries_key(row.id))
    pipe.expire(_tries_key(row.id), cfg["OTP_TTL_MINUTES"] * 60 + 60)
    tries = pipe.execute()[0]
    right = len(code) == 6 and hmac.compare_digest(
        row.code_hash, code_hash(phone, purpose, code))
    if tries > cfg["OTP_MAX_ATTEMPTS"] or (not right and tries >= cfg["OTP_MAX_ATTEMPTS"]):
        independently(_burn, row.id)  # survives the refusal's rollback
        raise Invalid("otp_burned", _("Bạn đã nhập sai mã quá %(n)d lần; mã đã bị hủy. Vui lòng bấm “Gửi lại mã”.",
                                      n=cfg["OTP_MAX_ATTEMPTS"]))
    if not right:
        raise otp_wrong()
    used = db.session.execute(update(CustomerOtp).where(CustomerOtp.id == row.id, CustomerOtp.used_at.is_(None))
                              .values(used_at=now).execution_options(synchronize_session=False))
    if used.rowcount != 1:  # a parallel request used it first
        raise otp_wrong()
    return row


def _burn(connection, otp_id: int) -> None:
    connection.execute(update(CustomerOtp).where(CustomerOtp.id == otp_id, CustomerOtp.used_at.is_(None))
                       .values(used_at=utcnow()))
