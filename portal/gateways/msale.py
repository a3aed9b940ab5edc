"""mSale, the operator's connection gateway (E-4.1, E-4.2): the dossier goes to its connection queue, it connects
the line or refuses it with a reason, and for an eSIM issues the activation code (GSMA SGP.22
``LPA:1$<SM-DP+ address>$<matching id>``).

``Msale`` is what the connections domain needs: ``submit(submission, idempotency_key)`` → ``Accepted`` (mSale's
reference), ``status(idempotency_key)`` → ``MsaleStatus`` (queued, connected, refused with a reason, or unknown:
mSale never took that key). ``MsaleClient`` speaks the JSON protocol of docs/msale.md: every request signed with
HMAC-SHA256 under a timestamp (``X-Msale-Signature: t=…,v1=…``, ``portal.gateways.signing``, the same helper as
the carrier's callbacks), the idempotency key in the body and the ``Idempotency-Key`` header; mSale keeps it
unique, so a resend with the same key never makes a second connection. Results come back by signed callback
(``read_callback``) and by status queries. ``msale()`` builds the client from the settings (the development
default points at the sandbox ``portal.gateways.msale_sandbox`` on PORT+5).
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

import requests
from flask import current_app

from portal.gateways.signing import ApiError, CallbackRefused, SignedJsonClient, signed_bytes, verify

__all__ = ["signed_bytes"]  # the sandbox checks requests with it

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Msale-Signature"
PARTNER_HEADER = "X-Msale-Partner"
SUBMIT_PATH = "/api/v1/subscriptions"
STATUS_PATH = "/api/v1/subscriptions/{key}"
TIMEOUT = (3.05, 10)  # connect, read (seconds)
States = Literal["queued", "connected", "refused", "unknown"]
STATES = ("queued", "connected", "refused", "unknown")


class MsaleError(ApiError):
    """mSale refused or could not be reached (``transient``, ``maybe_accepted``: portal.gateways.signing.ApiError)."""


@dataclass(frozen=True)
class Subscriber:
    full_name: str
    id_type: str
    id_number: str
    birth_date: str  # ISO date
    gender: str
    address: str
    province: str


@dataclass(frozen=True)
class Submission:
    """What the portal sends for one dossier (ACT-11, ESIM-10)."""

    dossier_ref: str  # "HS-<dossier id>": mSale counts connections per dossier
    sim_type: str  # physical | esim
    msisdn: str  # the number to connect
    subscriber: Subscriber
    iccid: str = ""  # physical SIM: its serial
    callback_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def body(self, idempotency_key: str) -> dict[str, Any]:
        data = asdict(self)
        data.pop("extra")
        return {"idempotency_key": idempotency_key, **data, **self.extra}


@dataclass(frozen=True)
class Accepted:
    msale_ref: str
    status: str  # queued (or already connected/refused when the key was known)
    replayed: bool = False  # the same key was sent before: mSale answered its first result


@dataclass(frozen=True)
class MsaleStatus:
    state: States
    msale_ref: str = ""
    reason: str = ""
    activation_code: str = ""  # eSIM, once connected


class Msale(Protocol):
    name: str

    def submit(self, submission: Submission, idempotency_key: str) -> Accepted: ...

    def status(self, idempotency_key: str) -> MsaleStatus: ...


class MsaleClient(SignedJsonClient):
    """docs/msale.md over HTTPS (or the sandbox over HTTP)."""

    name = provider = "msale"
    error = MsaleError

    def __init__(self, base_url: str, partner: str, secret: str, timeout: tuple[float, float] = TIMEOUT,
                 session: requests.Session | None = None):
        super().__init__(base_url, PARTNER_HEADER, partner, SIGNATURE_HEADER, secret, timeout, session)

    def submit(self, submission: Submission, idempotency_key: str) -> Accepted:
        status, payload = self.call("POST", SUBMIT_PATH, submission.body(idempotency_key),
                                     {"Idempotency-Key": idempotency_key})
        if status not in (200, 202):
            raise self.refused(status, payload)
        ref, state = payload.get("msale_ref"), payload.get("status")
        if not isinstance(ref, str) or not ref or state not in STATES:
            raise MsaleError("msale answered garbage (no msale_ref/status)", maybe_accepted=True, code="garbage")
        return Accepted(ref[:40], state, replayed=status == 200)

    def status(self, idempotency_key: str) -> MsaleStatus:
        status, payload = self.call("GET", STATUS_PATH.format(key=idempotency_key))
        if status == 404:
            return MsaleStatus("unknown")
        if status != 200:
            raise self.refused(status, payload)
        return parse_status(payload)


def parse_status(payload: dict[str, Any]) -> MsaleStatus:
    """A status answer or a callback's body → ``MsaleStatus``; MsaleError (garbage) when it is not one."""
    state, ref = payload.get("status"), payload.get("msale_ref", "")
    reason, code = payload.get("reason") or "", payload.get("activation_code") or ""
    if state not in STATES or not all(isinstance(v, str) for v in (ref, reason, code)):
        raise MsaleError("msale answered garbage (status)", maybe_accepted=True, code="garbage")
    if code and not is_activation_code(code):
        raise MsaleError("msale answered a malformed activation code", maybe_accepted=True, code="garbage")
    return MsaleStatus(state, ref[:40], " ".join(reason.split())[:300], code)


def is_activation_code(code: str) -> bool:
    """GSMA SGP.22 activation code: ``LPA:1$<SM-DP+ address>$<matching id>`` (printable ASCII, no spaces)."""
    parts = code.split("$")
    return (len(code) <= 255 and code.isascii() and code.isprintable() and " " not in code and len(parts) >= 3
            and parts[0] == "LPA:1" and bool(parts[1]) and bool(parts[2]))


def msale() -> Msale:
    """The configured mSale client."""
    cfg = current_app.config
    return MsaleClient(cfg["MSALE_URL"], cfg["MSALE_PARTNER"], cfg["MSALE_SECRET"],
                       timeout=(3.05, float(cfg["MSALE_TIMEOUT_SECONDS"])))


# --- callbacks into the portal ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class MsaleCallback:
    """A result callback whose signature, timestamp and body were checked."""

    event_id: str
    idempotency_key: str
    result: MsaleStatus
    signed_at: int


def read_callback(body: bytes, header: str | None, secret: str | None, *, tolerance: int) -> MsaleCallback:
    """Check a result callback: signature (401), timestamp within ``tolerance`` seconds (401), body (400)."""
    at = verify(body, header, secret, SIGNATURE_HEADER, tolerance)
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        payload = None
    if not isinstance(payload, dict):
        raise CallbackRefused(400, "bad_json", "body must be a JSON object", True)
    key, event_id = payload.get("idempotency_key"), payload.get("event_id", "")
    if not isinstance(key, str) or not key or len(key) > 64 or not isinstance(event_id, str):
        raise CallbackRefused(400, "bad_field", "idempotency_key must be a string", True)
    try:
        result = parse_status(payload)
    except MsaleError:
        raise CallbackRefused(400, "bad_field", "status must be queued, connected or refused; reason and "
                              "activation_code strings (LPA:1$…$…)", True, key=key) from None
    return MsaleCallback(event_id[:64], key, result, at)
