"""Uploaded CSV files kept server-side between the preview and "Xác nhận nhập" (web import, two steps)."""
from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

from flask_babel import gettext as _

from portal.core.errors import NotFound

UPLOAD_TTL = 3600  # seconds an uploaded file waits for its confirmation
_TOKEN = re.compile(r"[0-9a-f]{32}")


def _gone() -> NotFound:
    return NotFound("import_not_found", _("Không tìm thấy tệp đã tải lên: tệp đã được nhập, đã hủy hoặc đã quá "
                                          "1 giờ. Vui lòng tải tệp lên lại."))


class PendingUploads:
    """Uploaded files waiting for "Xác nhận nhập": ``<dir>/<token>.csv`` plus ``<token>.json`` (owner, time, name).

    The token is random (never the user's file name) and belongs to the staff member who uploaded
    the file. Confirming claims the sidecar by renaming it, so a second confirmation (a double click,
    two tabs) finds nothing to import.
    """

    def __init__(self, directory: Path, ttl: int = UPLOAD_TTL):
        self.directory = directory
        self.ttl = ttl

    def _paths(self, token: str) -> tuple[Path, Path]:
        if not _TOKEN.fullmatch(token or ""):
            raise _gone()
        return self.directory / f"{token}.csv", self.directory / f"{token}.json"

    def purge(self, now: float | None = None) -> None:
        """Delete the files older than the time limit (run on every upload and look-up)."""
        if not self.directory.is_dir():
            return
        limit = (now or time.time()) - self.ttl
        for path in self.directory.iterdir():
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < limit:
                    path.unlink()

    def store(self, raw: bytes, owner_id: int, filename: str, rows: int = 0) -> str:
        self.purge()
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        token = secrets.token_hex(16)
        data, meta = self._paths(token)
        for path, content in ((data, raw), (meta, json.dumps({"owner_id": owner_id, "created": time.time(),
                                                               "filename": filename[:120], "size": len(raw),
                                                               "rows": rows})
                                            .encode())):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(content)
        return token

    def load(self, token: str, owner_id: int) -> tuple[bytes, dict]:
        """The file and its sidecar, if it exists, is recent and belongs to ``owner_id``; else NotFound."""
        self.purge()
        data, meta = self._paths(token)
        try:
            info = json.loads(meta.read_text())
            raw = data.read_bytes()
        except (OSError, ValueError):
            raise _gone() from None
        if info.get("owner_id") != owner_id:
            raise NotFound("import_not_owner", _gone().message)
        return raw, info

    @contextlib.contextmanager
    def claimed(self, token: str, owner_id: int) -> Iterator[tuple[bytes, dict]]:
        """Hold the upload for one import: given back if the import fails, deleted once it is done."""
        raw, info = self.load(token, owner_id)  # exists, recent, and the caller's
        data, meta = self._paths(token)
        claim = meta.with_suffix(f".claimed-{secrets.token_hex(4)}")
        try:
            os.rename(meta, claim)  # atomic: of two confirmations, one wins
        except OSError:
            raise _gone() from None
        try:
            yield raw, info
        except BaseException:
            with contextlib.suppress(OSError):
                os.rename(claim, meta)
            raise
        self.discard_paths(data, claim)

    def discard(self, token: str, owner_id: int) -> None:
        self.load(token, owner_id)
        self.discard_paths(*self._paths(token))

    @staticmethod
    def discard_paths(*paths: Path) -> None:
        for path in paths:
            with contextlib.suppress(OSError):
                path.unlink()
