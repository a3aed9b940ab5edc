"""Where uploaded images live: a small interface over a local folder or S3-compatible object storage.

``storage()`` is the configured store of the current app. ``put(data, kind)`` encrypts the bytes
(portal/media/crypto.py) and stores them under a name of our own, ``<kind>/<32 random hex digits>``,
never the client's file name; that name is the only handle (``get``, ``delete``, ``exists``). Names are
checked against that exact shape before any backend sees them, so no name can reach outside the store.

- ``MEDIA_STORAGE=local`` (default): files under ``MEDIA_ROOT`` (``instance/media``, outside ``static/``),
  mode 0600, written to a temporary file then renamed (a reader never sees half an object).
- ``MEDIA_STORAGE=s3``: one bucket (``MEDIA_S3_BUCKET``, optional ``MEDIA_S3_PREFIX``) through boto3, at
  ``MEDIA_S3_ENDPOINT_URL`` (MinIO, Ceph, a cloud's S3 API) or AWS itself; several web machines share it.
"""
from __future__ import annotations

import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import Any, Protocol

from flask import current_app

from portal.media.crypto import DecryptError, Keyring

KIND = re.compile(r"[a-z][a-z0-9_]{0,31}")
NAME = re.compile(r"([a-z][a-z0-9_]{0,31})/([0-9a-f]{32})")


class MediaNotFound(KeyError):
    """No object under that name (never stored, or deleted)."""


class BadName(ValueError):
    """Not a name this store gives out."""


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise BadName("not a media name")
    return name


class Backend(Protocol):
    """Raw bytes by name; names are already checked."""

    def write(self, name: str, blob: bytes) -> None: ...

    def read(self, name: str) -> bytes: ...

    def remove(self, name: str) -> None: ...

    def has(self, name: str) -> bool: ...


class LocalBackend:
    """A folder; ``kind/ab/abcdef…`` (two-digit fan-out keeps directories small)."""

    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()

    def _path(self, name: str) -> Path:
        kind, token = NAME.fullmatch(name).groups()  # type: ignore[union-attr]
        path = (self.root / kind / token[:2] / token).resolve()
        if self.root not in path.parents:  # cannot happen with a checked name; a second lock on the door
            raise BadName("outside the media folder")
        return path

    def write(self, name: str, blob: bytes) -> None:
        path = self._path(name)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")  # created 0600
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(blob)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def read(self, name: str) -> bytes:
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError:
            raise MediaNotFound(name) from None

    def remove(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def has(self, name: str) -> bool:
        return self._path(name).is_file()


class S3Backend:
    """One bucket of an S3-compatible store, through a boto3 client."""

    def __init__(self, client: Any, bucket: str, prefix: str = ""):
        self.client, self.bucket, self.prefix = client, bucket, prefix

    @classmethod
    def from_config(cls, config: dict) -> S3Backend:
        import boto3
        from botocore.config import Config

        if not config["MEDIA_S3_BUCKET"]:
            raise RuntimeError("MEDIA_STORAGE=s3 needs MEDIA_S3_BUCKET")
        client = boto3.client(
            "s3", endpoint_url=config["MEDIA_S3_ENDPOINT_URL"] or None, region_name=config["MEDIA_S3_REGION"],
            aws_access_key_id=config["MEDIA_S3_ACCESS_KEY_ID"] or None,
            aws_secret_access_key=config["MEDIA_S3_SECRET_ACCESS_KEY"] or None,
            config=Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"}))
        return cls(client, config["MEDIA_S3_BUCKET"], config["MEDIA_S3_PREFIX"])

    def _missing(self, exc: Exception) -> bool:
        error = getattr(exc, "response", {}).get("Error", {})
        return str(error.get("Code")) in ("NoSuchKey", "404", "NotFound")

    def write(self, name: str, blob: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + name, Body=blob,
                               ContentType="application/octet-stream")

    def read(self, name: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.prefix + name)["Body"].read()
        except ClientError as exc:
            if self._missing(exc):
                raise MediaNotFound(name) from None
            raise

    def remove(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + name)

    def has(self, name: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.prefix + name)
        except ClientError as exc:
            if self._missing(exc):
                return False
            raise
        return True


class Storage:
    """Encrypted objects under names of our own, on any backend."""

    def __init__(self, backend: Backend, keyring: Keyring):
        self.backend, self.keyring = backend, keyring

    def put(self, data: bytes, kind: str) -> str:
        """Store ``data`` encrypted under a new random name ``<kind>/<hex>``; returns the name."""
        if not KIND.fullmatch(kind):
            raise BadName("kind is lower-case letters, digits and _")
        name = f"{kind}/{secrets.token_hex(16)}"
        self.backend.write(name, self.keyring.encrypt(data, name))
        return name

    def get(self, name: str) -> bytes:
        """The stored bytes, decrypted (MediaNotFound, DecryptError)."""
        return self.keyring.decrypt(self.backend.read(check_name(name)), name)

    def delete(self, name: str) -> None:
        """Remove the object; deleting what is not there is not an error (jobs run twice)."""
        self.backend.remove(check_name(name))

    def exists(self, name: str) -> bool:
        return self.backend.has(check_name(name))

    def reencrypt(self, name: str) -> bool:
        """Rewrite one object under the current key (key rotation); False when it already uses it."""
        blob = self.backend.read(check_name(name))
        if self.keyring.key_id_of(blob) == self.keyring.current:
            return False
        self.backend.write(name, self.keyring.encrypt(self.keyring.decrypt(blob, name), name))
        return True


def build(config: dict) -> Storage:
    """The store the settings describe."""
    keyring = Keyring.parse(config["MEDIA_ENCRYPTION_KEYS"])
    kind = config.get("MEDIA_STORAGE", "local")
    if kind == "local":
        return Storage(LocalBackend(config["MEDIA_ROOT"]), keyring)
    if kind == "s3":
        return Storage(S3Backend.from_config(config), keyring)
    raise RuntimeError(f"unknown MEDIA_STORAGE {kind!r} (local or s3)")


def storage() -> Storage:
    """The current app's store (built once per app)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    store = app.extensions.get("media_storage")
    if store is None:
        store = app.extensions["media_storage"] = build(app.config)
    return store


__all__ = ["BadName", "DecryptError", "MediaNotFound", "Storage", "build", "check_name", "storage"]
