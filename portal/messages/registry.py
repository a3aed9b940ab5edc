"""The messages the portal sends (SMS and e-mail), each named by a stable template id and declared by the domain
that sends it, with its default text and the placeholders it may use.

    OTP_ACTIVATE = define(MessageTemplate(
        "customers.otp_activate", SMS, _l("Mã OTP kích hoạt tài khoản"), _l("Khi khách đăng ký …"),
        placeholders={"otp": _l("Mã OTP 6 chữ số"), "minutes": _l("Số phút mã còn hiệu lực")},
        sample={"otp": "123456", "minutes": 5}, required=("otp",),
        body="Ma kich hoat … la {{ otp }}, hieu luc {{ minutes }} phut. …"))

Admins may override a template's text (``portal.messages.services``); ``portal.messages.rendering.render`` is what
the senders call, and it uses the override when there is one.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SMS = "sms"
EMAIL = "email"


@dataclass(frozen=True)
class MessageTemplate:
    id: str  # stable: "orders.placed"; the override table is keyed by it
    channel: str  # SMS or EMAIL
    name: Any  # what admins read (lazy string)
    description: Any  # when it is sent, to whom
    placeholders: Mapping[str, Any]  # the only names the text may use → what each holds
    sample: Mapping[str, Any]  # a value of every placeholder, for the preview and the checks on save
    body: str  # the default text (Jinja, sandboxed)
    subject: str = ""  # e-mail only
    required: tuple[str, ...] = field(default=())  # placeholders the text must show (the OTP's code)

    @property
    def is_sms(self) -> bool:
        return self.channel == SMS


_TEMPLATES: dict[str, MessageTemplate] = {}


def define(template: MessageTemplate) -> MessageTemplate:
    """Declare a template (at import of the sending domain's ``messages`` module)."""
    assert set(template.sample) == set(template.placeholders), template.id
    assert set(template.required) <= set(template.placeholders), template.id
    _TEMPLATES[template.id] = template
    return template


def template(template_id: str) -> MessageTemplate | None:
    return _TEMPLATES.get(template_id)


def templates() -> list[MessageTemplate]:
    """Every declared template: SMS first, then e-mail, each by id."""
    return sorted(_TEMPLATES.values(), key=lambda t: (t.channel != SMS, t.id))
