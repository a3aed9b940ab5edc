"""Password hashing for every account (staff and customers): argon2id, one hasher (checklist 15)."""
from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from flask import current_app

PRODUCTION_HASHER = PasswordHasher()  # argon2id with argon2-cffi's defaults
# Tests hash hundreds of passwords: same algorithm, cheap parameters (TESTING only).
_TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def password_hasher() -> PasswordHasher:
    return _TEST_HASHER if current_app.config.get("TESTING") else PRODUCTION_HASHER


def dummy_hash() -> str:
    """A hash to verify against when the account is unknown, so both paths cost the same time (checklist 2)."""
    key = "portal_dummy_hash"
    if key not in current_app.extensions:
        current_app.extensions[key] = password_hasher().hash(secrets.token_urlsafe(16))
    return current_app.extensions[key]
