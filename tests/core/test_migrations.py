"""Migrations (issue 2 §3): one head; upgrade from empty on SQLite and PostgreSQL; the schema they build
matches the models; the audit log is append-only in the database."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://root@127.0.0.1:5432/test")


def test_there_is_one_migration_head():
    config = Config(str(ROOT / "migrations" / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def _flask(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def _upgrade_and_check(url: str, tmp_path) -> None:
    from portal.extensions import db

    env = {**os.environ, "DATABASE_URL": url, "PORTAL_INSTANCE": str(tmp_path), "SECRET_KEY": "x",
           "REDIS_URL": os.environ.get("TEST_REDIS_URL", "")}
    result = _flask(env, "db", "upgrade")
    assert result.returncode == 0, result.stderr[-2000:]
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        tables = set(inspect(engine).get_table_names())
        assert set(db.metadata.tables) <= tables
        # Nothing in the models that the migrations lack.
        check = _flask(env, "db", "check")
        assert check.returncode == 0, check.stdout + check.stderr[-2000:]
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO audit_entry (at, actor_name, actor_kind, action, detail) "
                              "VALUES (CURRENT_TIMESTAMP, 'x', 'system', 'test', '{}')"))
        for statement in ("UPDATE audit_entry SET action = 'forged'", "DELETE FROM audit_entry"):
            with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
                conn.execute(text(statement))
        downgrade = _flask(env, "db", "downgrade", "base")
        assert downgrade.returncode == 0, downgrade.stderr[-2000:]
    finally:
        engine.dispose()


def test_upgrade_from_empty_on_sqlite(tmp_path):
    _upgrade_and_check(f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path)


def test_upgrade_from_empty_on_postgresql(tmp_path):
    admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        if os.environ.get("CI") or os.environ.get("TEST_DATABASE_URL"):
            raise
        pytest.skip("no PostgreSQL on 127.0.0.1:5432 (CI always has one)")
    # A database of its own: the suite's database (and its alembic_version) must not be touched.
    name = f"test_migr_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        _upgrade_and_check(PG_URL.rsplit("/", 1)[0] + f"/{name}", tmp_path)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def test_no_create_all_outside_tests():
    offenders = [p for p in (ROOT / "portal").rglob("*.py") if "create_all(" in p.read_text()]
    assert offenders == []
