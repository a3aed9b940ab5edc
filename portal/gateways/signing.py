"""Signed requests between the portal and outside systems, as Stripe signs its webhooks: one header
``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">``. The timestamp is under the signature, so a
captured request cannot be replayed outside the window, and the body cannot be changed.

Used by the carrier's callbacks (``X-Carrier-Signature``, portal.gateways.ghn), by mSale's callbacks and the
portal's requests to mSale (``X-Msale-Signature``, portal.gateways.msale), and by the e-invoice provider's API
(``X-Einvoice-Signature``, portal.gateways.einvoice). ``sign`` makes the header, ``verify`` checks it and its
window and fails closed: no secret configured, no header, or any doubt is a refusal.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import requests

from portal.core.digits import is_ascii_digits
from portal.gateways.mail import _never_connected  # the same rule as e-mail's: did the request leave?


class CallbackRefused(Exception):
    """A callback we do not apply; ``authentic`` once its signature held (then the refusal is worth auditing)."""

    def __init__(self, status: int, code: str, message: str, authentic: bool = False, **detail: Any):
        super().__init__(message)
        self.status, self.code, self.message, self.authentic, self.detail = status, code, message, authentic, detail


def _mac(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The signature header's value for ``body`` sent now (or at ``timestamp``)."""
    signed_at = str(int(time.time()) if timestamp is None else timestamp)
    return f"t={signed_at},v1={_mac(secret, signed_at, body)}"


def signed_at(body: bytes, header: str | None, secret: str | None, header_name: str) -> int:
    """The timestamp under a valid signature (401 ``bad_signature`` otherwise); the window is not checked."""
    refused = CallbackRefused(401, "bad_signature", "signature missing, wrong, or no secret configured; "
                              f"{header_name} must be t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">")
    if not secret or not header or len(header) > 1000:
        raise refused
    timestamps, macs = [], []
    for item in header.split(","):
        key, _eq, value = item.strip().partition("=")
        if key == "t":
            timestamps.append(value)
        elif key == "v1":
            macs.append(value.lower())
    if len(timestamps) != 1 or not (is_ascii_digits(timestamps[0]) and len(timestamps[0]) <= 12):
        raise refused
    expected = _mac(secret, timestamps[0], body)
    if not any(hmac.compare_digest(expected, given) for given in macs if given.isascii()):
        raise refused
    return int(timestamps[0])


def verify(body: bytes, header: str | None, secret: str | None, header_name: str, tolerance: int) -> int:
    """``signed_at`` plus the window: signed more than ``tolerance`` seconds away from now → 401
    ``timestamp_outside_window`` (authentic: the refusal of a signed request is worth an audit row)."""
    at = signed_at(body, header, secret, header_name)
    age = int(time.time()) - at  # negative: signed in the future
    if abs(age) > tolerance:
        raise CallbackRefused(401, "timestamp_outside_window", f"signed {age} seconds ago; the window is "
                              f"{tolerance} seconds either way", True, signed_at=at, age_seconds=age)
    return at


def signed_bytes(method: str, path: str, body: bytes) -> bytes:
    """What a request's signature covers: the method, the path and the body (a GET's body is empty)."""
    return f"{method.upper()} {path}\n".encode() + body


class ApiError(Exception):
    """A provider refused or could not be reached. ``transient``: worth a retry. ``maybe_accepted``: the request
    may have reached the provider (a timeout after sending, a 5xx, an answer we could not read): ask for the
    record by its idempotency key before anything else."""

    def __init__(self, message: str, transient: bool = True, maybe_accepted: bool = False, code: str = ""):
        super().__init__(message)
        self.transient, self.maybe_accepted, self.code = transient, maybe_accepted, code


class SignedJsonClient:
    """JSON over HTTP(S) with every request signed (``sign`` over ``signed_bytes``) and a partner header: the shape
    of mSale's and the e-invoice provider's APIs (docs/msale.md, docs/einvoice.md)."""

    error: type[ApiError] = ApiError
    provider = "provider"

    def __init__(self, base_url: str, partner_header: str, partner: str, signature_header: str, secret: str,
                 timeout: tuple[float, float], session: Any = None):
        self.base_url, self.partner_header, self.partner = base_url.rstrip("/"), partner_header, partner
        self.signature_header, self.secret, self.timeout = signature_header, secret, timeout
        self.http = session or requests.Session()
        self.http.trust_env = False  # never through a proxy from the environment

    def call(self, method: str, path: str, body: dict[str, Any] | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON object) of a 2xx–4xx answer; ``error`` for 5xx, 429, garbage and the network."""
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode() if body is not None else b""
        headers = {"Content-Type": "application/json", self.partner_header: self.partner,
                   self.signature_header: sign(signed_bytes(method, path, raw), self.secret), **(headers or {})}
        try:
            response = self.http.request(method, self.base_url + path, data=raw or None, headers=headers,
                                         timeout=self.timeout)
        except requests.Timeout as exc:
            raise self.error(f"{self.provider} timed out", maybe_accepted=not isinstance(exc, requests.ConnectTimeout),
                             code="timeout") from exc
        except requests.RequestException as exc:
            raise self.error(f"{self.provider} unreachable: {type(exc).__name__}",
                             maybe_accepted=not _never_connected(exc), code="unreachable") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise self.error(f"{self.provider} answered {response.status_code}", maybe_accepted=True,
                             code=f"http_{response.status_code}")
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            raise self.error(f"{self.provider} answered garbage (HTTP {response.status_code})", maybe_accepted=True,
                             code="garbage")
        return response.status_code, payload

    def refused(self, status: int, payload: dict[str, Any]) -> ApiError:
        """A 4xx answer as a non-transient error, with the provider's code and message."""
        found = payload.get("error")
        error: dict[str, Any] = found if isinstance(found, dict) else {}
        code = str(error.get("code") or status)
        return self.error(f"{self.provider} refused ({status} {code}): {str(error.get('message') or '')[:200]}",
                          transient=False, code=code)
