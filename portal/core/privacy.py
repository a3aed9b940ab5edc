"""What must never reach a log or the audit trail: passwords, OTPs, full ID numbers."""
from __future__ import annotations

import re
from typing import Any

SECRET_KEYS = re.compile(r"pass|otp|secret|token|pin|hash|key", re.IGNORECASE)
# CMND has 9 digits, CCCD 12; phone numbers (10 digits) and ICCIDs (19–20) are left alone.
# Letters count as part of a token, so hex ids (RQ workers, jobs) are left alone.
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{9}|\d{12})(?![0-9A-Za-z])")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def mask_id_number(value: str) -> str:
    """Keep the last three digits of a 9- or 12-digit ID number."""
    return ID_NUMBER.sub(lambda m: "*" * (len(m.group(1)) - 3) + m.group(1)[-3:], value)


def one_line(value: str) -> str:
    """Escape control characters so that user input cannot forge a log line."""
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)


def scrub(value: Any, key: str = "", limit: int = 500) -> Any:
    """A copy of ``value`` safe to store in the audit log or print in a log line: each string at most ``limit``
    characters (a log line's default; the audit keeps longer texts whole, ``core.audit.AUDIT_TEXT_LIMIT``)."""
    if key and SECRET_KEYS.search(key):
        return "[redacted]"
    if isinstance(value, dict):
        return {str(k): scrub(v, str(k), limit) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v, limit=limit) for v in value]
    if isinstance(value, str):
        return one_line(mask_id_number(value))[:limit]
    return value
