"""Sending SMS through a Vietnamese brandname-SMS provider (eSMS.vn's JSON API).

Protocol (eSMS.vn, "SendMultipleMessage_V4_post_json"):

    POST {SMS_URL}/MainService.svc/json/SendMultipleMessage_V4_post_json/
    Content-Type: application/json
    {"ApiKey": "...", "SecretKey": "...", "Phone": "0903123456", "Content": "...",
     "Brandname": "ChonSo", "SmsType": "2", "IsUnicode": "0", "RequestId": "<our id, unique>"}

    → 200 {"CodeResult": "100", "CountRegenerate": 0, "SMSID": "<provider's id>"}      accepted
    → 200 {"CodeResult": "101", "ErrorMessage": "..."}    wrong ApiKey / SecretKey
    → 200 {"CodeResult": "104", "ErrorMessage": "..."}    brandname not registered
    → 200 {"CodeResult": "103", "ErrorMessage": "..."}    balance exhausted
    → 200 {"CodeResult": "99",  "ErrorMessage": "..."}    anything else (bad phone, empty content)

``SmsType`` 2 is "customer care with brandname" (OTPs). ``RequestId`` makes a
resend idempotent at the provider: the same id answers the first SMSID. The
provider answers HTTP 200 with a ``CodeResult``; only "100" means accepted.

``sms_gateway()`` picks the client from the app's settings (SMS_URL, SMS_API_KEY,
SMS_SECRET_KEY, SMS_BRANDNAME); in development they point at
``python -m portal.gateways.outbox_sandbox``, which speaks this protocol.
Message contents (OTPs!) are never logged here.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Protocol

import requests
from flask import current_app

from portal.config import SMS_SANDBOX_API_KEY as SANDBOX_API_KEY  # noqa: F401  (the sandbox and tests use them)
from portal.config import SMS_SANDBOX_BRANDNAME as SANDBOX_BRANDNAME  # noqa: F401
from portal.config import SMS_SANDBOX_SECRET_KEY as SANDBOX_SECRET_KEY  # noqa: F401

log = logging.getLogger(__name__)

SEND_PATH = "/MainService.svc/json/SendMultipleMessage_V4_post_json/"
SMS_TYPE_CARE = "2"
ACCEPTED = "100"


# GSM 03.38: the default alphabet (one septet each) and its extension table (escape + septet: two each). Any other
# character — Vietnamese letters with diacritics such as "ệ", "ư", "đ" — sends the whole message as UCS-2.
GSM7_BASIC = frozenset("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsLength:
    """How an SMS travels: its encoding, its length in that encoding's units, and the segments it takes."""

    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int  # what one segment holds at this length: 160/153 (GSM-7), 70/67 (UCS-2)

    @property
    def unicode(self) -> bool:
        return self.encoding == "UCS-2"


def sms_length(text: str) -> SmsLength:
    """GSM-7 fits 160 septets in one SMS, 153 per part of a longer one; UCS-2 fits 70, then 67 per part."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text):
        units = sum(2 if c in GSM7_EXTENDED else 1 for c in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    if units <= single:
        return SmsLength(encoding, units, 1 if units else 0, single)
    return SmsLength(encoding, units, -(-units // multi), multi)


class SmsError(Exception):
    """The SMS was not accepted; ``code`` is the provider's CodeResult (or "network")."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code


class SmsGateway(Protocol):
    def send(self, phone: str, content: str, request_id: str | None = None) -> str:
        """Send ``content`` to ``phone`` (0xxxxxxxxx); returns the provider's message id or raises SmsError."""


class EsmsClient:
    """eSMS.vn's brandname API over HTTP (see the module docstring)."""

    def __init__(self, base_url: str, api_key: str, secret_key: str, brandname: str, timeout: float = 10.0):
        self.url = base_url.rstrip("/") + SEND_PATH
        self.api_key, self.secret_key, self.brandname, self.timeout = api_key, secret_key, brandname, timeout

    def send(self, phone: str, content: str, request_id: str | None = None) -> str:
        request_id = request_id or uuid.uuid4().hex
        payload = {"ApiKey": self.api_key, "SecretKey": self.secret_key, "Phone": phone, "Content": content,
                   "Brandname": self.brandname, "SmsType": SMS_TYPE_CARE,
                   "IsUnicode": "1" if sms_length(content).unicode else "0",
                   "RequestId": request_id}
        try:
            response = requests.post(self.url, json=payload, timeout=self.timeout)
            response.raise_for_status()
            body = response.json()
        except (requests.RequestException, ValueError) as exc:
            log.warning("sms %s to %s***: %s", request_id, phone[:4], type(exc).__name__)
            raise SmsError("network", type(exc).__name__) from None
        code = str(body.get("CodeResult", ""))
        if code != ACCEPTED:
            log.warning("sms %s to %s*** refused: CodeResult %s", request_id, phone[:4], code)
            raise SmsError(code or "unknown", str(body.get("ErrorMessage", ""))[:200])
        log.info("sms %s to %s*** accepted as %s", request_id, phone[:4], body.get("SMSID"))
        return str(body.get("SMSID", ""))


def sms_gateway() -> SmsGateway:
    """The SMS client configured for this app."""
    cfg = current_app.config
    return EsmsClient(cfg["SMS_URL"], cfg["SMS_API_KEY"], cfg["SMS_SECRET_KEY"], cfg["SMS_BRANDNAME"],
                      timeout=cfg["SMS_TIMEOUT"])


def send_sms(phone: str, content: str, request_id: str | None = None) -> str:
    """Send one SMS through the configured gateway (raises SmsError when it is not accepted)."""
    return sms_gateway().send(phone, content, request_id)
