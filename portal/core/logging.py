"""Log lines that carry their job id and never a secret, an ID number or a forged newline."""
from __future__ import annotations

import logging

from portal.core.privacy import mask_id_number, one_line


class PortalLogFilter(logging.Filter):
    """Adds ``job_id``; masks ID numbers and escapes control characters in the message."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            from rq import get_current_job

            current = get_current_job()
        except Exception:
            current = None
        record.job_id = current.id if current is not None else "-"
        message = record.getMessage()
        record.msg = one_line(mask_id_number(message))
        record.args = ()
        return True


FORMAT = "%(asctime)s %(levelname)s %(name)s [job=%(job_id)s] %(message)s"


def configure(level: int = logging.INFO) -> None:
    """Install the portal's handler on the root logger (once per process)."""
    root = logging.getLogger()
    if any(getattr(h, "portal", False) for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler.portal = True  # type: ignore[attr-defined]  # our mark on the handler: configure() runs once
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(PortalLogFilter())
    root.addHandler(handler)
    root.setLevel(level)
