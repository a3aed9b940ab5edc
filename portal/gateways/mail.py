"""Sending e-mail through a Mailgun-style HTTP API.

Protocol (Mailgun "messages" API):

    POST {MAIL_URL}/v3/{MAIL_DOMAIN}/messages
    Authorization: Basic base64("api:" + MAIL_API_KEY)
    Content-Type: application/x-www-form-urlencoded (or multipart/form-data)
    from=Chọn số Online <no-reply@...>&to=khach@example.com&subject=...&text=...&html=...
    inline=<file> (multipart only, repeatable): a picture the html shows as <img src="cid:<file name>">

    → 200 {"id": "<20261125153000.1.ABCD@domain>", "message": "Queued. Thank you."}
    → 401 "Forbidden"                                   wrong key
    → 404 {"message": "Domain not found: ..."}          unknown sending domain
    → 400 {"message": "'to' parameter is missing"}      a required field is missing

``mail_gateway()`` builds the client from the app's settings (MAIL_URL,
MAIL_API_KEY, MAIL_DOMAIN, MAIL_FROM); in development they point at
``python -m portal.gateways.outbox_sandbox``, which speaks this protocol.
A message that must leave once (a job may run twice) goes through ``portal.notify.outbox.send_mail_once``,
which keeps an idempotency record around this client.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import requests
from flask import current_app
from urllib3.exceptions import NewConnectionError

from portal.config import MAIL_SANDBOX_API_KEY as SANDBOX_API_KEY  # noqa: F401  (the sandbox and tests use them)
from portal.config import MAIL_SANDBOX_DOMAIN as SANDBOX_DOMAIN  # noqa: F401

log = logging.getLogger(__name__)



KEY_HEADER = "X-Portal-Message-Key"  # the reason a message is sent (portal.notify.outbox), on the message itself


class MailError(Exception):
    """The message was not accepted; ``status`` is the HTTP status (0 for a network failure).

    ``maybe_sent``: the provider may have taken it all the same (no answer read after the request went out),
    so sending again could deliver it twice.
    """

    def __init__(self, status: int, message: str, maybe_sent: bool = False):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.maybe_sent = maybe_sent


@dataclass(frozen=True)
class InlineImage:
    """A picture inside the HTML body: Mailgun's ``inline`` file, shown where the HTML says ``cid:<filename>``."""

    filename: str  # e.g. "esim-qr.png"; the HTML refers to it as <img src="cid:esim-qr.png">
    data: bytes
    content_type: str = "image/png"


class MailGateway(Protocol):
    def send(self, to: str, subject: str, text: str, html: str | None = None, key: str | None = None,
             inline: Sequence[InlineImage] = ()) -> str:
        """Send one message (``key``: sent as the X-Portal-Message-Key header; ``inline``: pictures the HTML shows
        by ``cid:<filename>``); returns the provider's id."""


class MailgunClient:
    """Mailgun's messages API over HTTP (see the module docstring)."""

    def __init__(self, base_url: str, api_key: str, domain: str, sender: str, timeout: float = 10.0):
        self.url = f"{base_url.rstrip('/')}/v3/{domain}/messages"
        self.api_key, self.sender, self.timeout = api_key, sender, timeout

    def send(self, to: str, subject: str, text: str, html: str | None = None, key: str | None = None,
             inline: Sequence[InlineImage] = ()) -> str:
        data = {"from": self.sender, "to": to, "subject": subject, "text": text}
        if html:
            data["html"] = html
        if key:
            data[f"h:{KEY_HEADER}"] = key  # Mailgun's custom header: the provider's logs show it
        try:
            # With inline pictures the request is multipart/form-data (Mailgun's ``inline`` parameter).
            files = [("inline", (i.filename, i.data, i.content_type)) for i in inline] or None
            response = requests.post(self.url, auth=("api", self.api_key), data=data, files=files,
                                     timeout=self.timeout)
        except requests.RequestException as exc:
            log.warning("mail to %s: %s", _masked(to), type(exc).__name__)
            raise MailError(0, type(exc).__name__, maybe_sent=not _never_connected(exc)) from None
        if response.status_code != 200:
            log.warning("mail to %s refused: HTTP %s", _masked(to), response.status_code)
            raise MailError(response.status_code, response.text[:200])
        try:
            message_id = str(response.json().get("id", ""))
        except ValueError:
            raise MailError(response.status_code, "not JSON", maybe_sent=True) from None
        log.info("mail to %s accepted as %s", _masked(to), message_id)
        return message_id


def _never_connected(exc: requests.RequestException) -> bool:
    """The request never reached the provider (refused, unknown host, connect timeout); after that —
    a read timeout, a dropped connection — the provider may have queued the message."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None  # urllib3's MaxRetryError
    return isinstance(reason, NewConnectionError)


def _masked(address: str) -> str:
    name, _at, domain = address.partition("@")
    return f"{name[:2]}***@{domain}"


def mail_gateway() -> MailGateway:
    """The e-mail client configured for this app."""
    cfg = current_app.config
    return MailgunClient(cfg["MAIL_URL"], cfg["MAIL_API_KEY"], cfg["MAIL_DOMAIN"], cfg["MAIL_FROM"],
                         timeout=cfg["MAIL_TIMEOUT"])


def send_mail(to: str, subject: str, text: str, html: str | None = None) -> str:
    """Send one e-mail through the configured gateway (raises MailError when it is not accepted)."""
    return mail_gateway().send(to, subject, text, html)
