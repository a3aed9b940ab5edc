"""The Chọn số Online back office: create_app builds it for servers, the worker and tests."""
from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context, request, session
from socketio import RedisManager
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import config as portal_config
from portal.extensions import babel, csrf, db, limiter, login_manager, migrate, socketio

# The domain packages, each declaring its blueprints, models, sockets, nav entries, commands and reference data
# (portal.core.domains). Blueprints register and reference data is inserted in this order.
DOMAINS = ("portal.org", "portal.home", "portal.auth", "portal.audit", "portal.admin", "portal.holds",
           "portal.numbers", "portal.messages", "portal.notify", "portal.partners", "portal.customers", "portal.appapi",
           "portal.promotions", "portal.orders", "portal.payments", "portal.shipping", "portal.dossiers",
           "portal.calls", "portal.connections", "portal.invoices", "portal.wall",
           "portal.reports")


def _locale() -> str:
    if not has_request_context():  # jobs and CLI speak the default language
        return "vi"
    # Vietnamese unless the person chose English (footer switch): many staff browsers say "en" by default.
    return session.get("lang") or "vi"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings from the environment, then ``config`` on top (tests)."""
    from portal.core import access, domains, errors, security
    from portal.core import logging as portal_logging
    from portal.core import redis as portal_redis

    app = Flask(__name__, template_folder="../templates", static_folder="../static", instance_path=str(
        portal_config.INSTANCE))
    app.config.update(portal_config.load())
    app.config.update(config or {})
    portal_logging.configure()
    if app.config.get("PROXY_FIX"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    redis_url = portal_redis.resolve_url(app)
    db.init_app(app)
    from portal.core.tx import run_independent_writes

    # Registered after db.init_app, so it runs before Flask-SQLAlchemy removes the session.
    app.teardown_appcontext(run_independent_writes)
    migrate.init_app(app, db, directory=str(portal_config.ROOT / "migrations"), render_as_batch=True)
    _configure_sqlite(app)
    # Access policy first: a forbidden caller hears 403 (or 401), whatever its CSRF token.
    app.before_request(access.enforce)
    app.before_request(security.apply_body_limit)  # a photo upload's own limit, before CSRF reads the body
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_locale)
    app.config.setdefault("RATELIMIT_STORAGE_URI", _limiter_uri(redis_url))
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = None  # our server-side sessions do better than a hash of the IP
    import portal.core.models  # noqa: F401  (the audit log and the jobs outbox; domains import their own)
    from portal.core.realtime import STAFF_NOTICES

    installed = domains.load(DOMAINS)
    # Before init_app, so that every app's server gets the namespaces.
    domains.add_namespaces(socketio, [STAFF_NOTICES, *(n for d in installed for n in d.namespaces)])
    socketio.init_app(
        app,
        async_mode="threading",
        **_socket_manager(app, redis_url),
        manage_session=False,  # the Flask cookie (and our server-side session row) stays the truth
        cors_allowed_origins=app.config.get("SOCKETIO_ORIGINS"),  # None: same origin only
    )

    domains.install(app, installed)
    app.view_functions["static"].access_policy = access.PUBLIC  # type: ignore[attr-defined]
    errors.register(app)
    security.register(app)
    _register_template_helpers(app)

    from portal.cli import register as register_cli

    register_cli(app)
    return app


def _configure_sqlite(app: Flask) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from portal.core import sqlite

    with app.app_context():
        sqlite.configure(db.engine)

    @app.before_request
    def _write_intent() -> None:
        sqlite.set_write_intent(request.method not in ("GET", "HEAD", "OPTIONS"))

    @app.teardown_request
    def _reset_intent(_exc: BaseException | None) -> None:
        sqlite.set_write_intent(False)


def _socket_manager(app: Flask, redis_url: str) -> dict[str, Any]:
    """Redis pub/sub so that every process (web, worker) can emit to every socket.

    Explicit, because Flask-SocketIO would pick Kombu for a unix:// (embedded)
    URL. Only in-process socket tests switch it off (SOCKETIO_QUEUE=False): the
    Flask-SocketIO test client cannot run with a queue; tests/core/test_realtime_server.py
    covers the queue with a real server.
    """
    if not app.config.get("SOCKETIO_QUEUE", True):
        return {"client_manager": None}
    return {"client_manager": RedisManager(redis_url, channel="portal-socketio")}


def _limiter_uri(redis_url: str) -> str:
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://"):]
    return redis_url


def _register_template_helpers(app: Flask) -> None:
    from datetime import UTC

    from flask_babel import format_datetime, format_decimal

    from portal.core.access import may_open
    from portal.core.nav import nav_for
    from portal.core.privacy import scrub
    from portal.core.roles import ROLE_LABELS
    from portal.numbers.formatting import format_number, format_vnd

    app.jinja_env.globals["may_open"] = may_open
    app.jinja_env.filters["phone"] = format_number
    app.jinja_env.filters["vnd"] = format_vnd
    app.jinja_env.filters["decimal"] = format_decimal  # the locale's decimal comma: "8,5"
    app.jinja_env.filters["vn_datetime"] = lambda d: format_datetime(d.replace(tzinfo=UTC), "dd/MM/yyyy HH:mm:ss")
    # A failed job's last error line, scrubbed: exceptions can carry personal data.
    app.jinja_env.filters["last_line"] = lambda s: scrub((s or "").strip().splitlines()[-1] if s else "")

    @app.context_processor
    def _helpers() -> dict[str, Any]:
        from flask_login import current_user

        return {"nav_items": nav_for(current_user), "role_labels": ROLE_LABELS, "current_lang": _locale()}


from portal.core import jobs as _jobs  # noqa: E402

_jobs.set_app_factory(create_app)  # a job run outside worker.py (and outside a request) builds the app itself
