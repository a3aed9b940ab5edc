"""Rendering a message from its template (the admins' text when there is one, else the default), and the checks an
admin's text must pass before it is saved.

Texts are Jinja, in a ``SandboxedEnvironment`` with ``StrictUndefined``, and limited further to what a message needs:
placeholders (``{{ otp }}``), conditions (``{% if offer %}…{% endif %}``), comparisons, ``~`` and a few text filters.
No loops, macros, includes, attribute access, calls or arithmetic, so a text cannot reach into Python or run long.
Only the template's own placeholders may be named. Rendered values are never logged (the OTP is one of them).
"""
from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask_babel import gettext as _
from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta, nodes
from jinja2.filters import FILTERS
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import select

from portal.extensions import db
from portal.gateways.sms import SmsLength, sms_length
from portal.messages.models import MessageOverride
from portal.messages.registry import MessageTemplate

log = logging.getLogger(__name__)

FILTERS_ALLOWED = ("upper", "lower", "title", "capitalize", "trim", "default")
NODES_ALLOWED = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.Const, nodes.If, nodes.Compare,
                 nodes.Operand, nodes.Not, nodes.And, nodes.Or, nodes.Filter, nodes.Concat, nodes.CondExpr)
MAX_BODY = {"sms": 1000, "email": 5000}  # characters of the text as written
MAX_SUBJECT = 200  # characters of the rendered subject
MAX_SMS_SEGMENTS = 3


def _environment() -> SandboxedEnvironment:
    # Whitespace as written (no trim_blocks): what an admin types is what the customer reads.
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    env.filters = {name: FILTERS[name] for name in FILTERS_ALLOWED}
    env.globals = {}  # no range(), dict(), lipsum(), namespace()…
    return env


ENV = _environment()


@lru_cache(maxsize=128)
def _compiled(text: str) -> Template:
    return ENV.from_string(text)


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    overridden: bool = False  # the admins' text was used

    @property
    def sms(self) -> SmsLength:
        return sms_length(self.body)


def _render(subject: str, body: str, values: Mapping[str, Any], overridden: bool = False) -> Rendered:
    return Rendered(_compiled(subject).render(values).strip() if subject else "",
                    _compiled(body).render(values).strip(), overridden)


def override_of(template: MessageTemplate) -> MessageOverride | None:
    return db.session.scalar(select(MessageOverride).where(MessageOverride.template_id == template.id))


def render(template: MessageTemplate, **values: Any) -> Rendered:
    """The message to send: the admins' text when there is one (the default if it cannot be rendered, which the
    checks on save make unlikely), else the default."""
    missing = set(template.placeholders) ^ set(values)
    if missing:
        raise ValueError(f"{template.id}: placeholders given do not match the template's: {sorted(missing)}")
    override = override_of(template)
    if override is not None:
        try:
            return _render(override.subject if template.subject else "", override.body, values, overridden=True)
        except Exception as exc:  # never the values in the log: the OTP is one of them
            log.warning("message %s: the admins' text failed to render (%s); the default was sent", template.id,
                        type(exc).__name__)
    return _render(template.subject, template.body, values)


# -- checks on save ------------------------------------------------------------------------------------------------

def _walk(node: nodes.Node) -> Iterator[nodes.Node]:
    yield node
    for child in node.iter_child_nodes():
        yield from _walk(child)


def _names(names: Any) -> str:
    return ", ".join("{{ " + name + " }}" for name in sorted(names))


def text_problem(template: MessageTemplate, text: str, kind: str) -> str | None:
    """Why ``text`` (the subject or the body) cannot be saved, or None; ``kind`` is "subject" or "body"."""
    if not text.strip():
        return _("Không được để trống.")
    limit = MAX_SUBJECT if kind == "subject" else MAX_BODY[template.channel]
    if len(text) > limit:
        return _("Dài quá %(n)d ký tự.", n=limit)
    try:
        tree = ENV.parse(text)
    except TemplateSyntaxError as exc:
        return _("Lỗi cú pháp ở dòng %(n)d: %(m)s", n=exc.lineno, m=exc.message or "")
    if any(not isinstance(node, NODES_ALLOWED) for node in _walk(tree)):
        return _("Chỉ được dùng biến {{ … }}, điều kiện {%% if %%}…{%% endif %%} và các bộ lọc %(f)s.",
                 f=", ".join(FILTERS_ALLOWED))
    filters = {node.name for node in _walk(tree) if isinstance(node, nodes.Filter)} - set(FILTERS_ALLOWED)
    if filters:
        return _("Bộ lọc không được dùng: %(f)s.", f=", ".join(sorted(filters)))
    unknown = meta.find_undeclared_variables(tree) - set(template.placeholders)
    if unknown:
        return _("Biến không có trong mẫu này: %(v)s. Các biến được dùng: %(ok)s.", v=_names(unknown),
                 ok=_names(template.placeholders))
    try:
        shown = _compiled(text).render(template.sample).strip()
    except Exception as exc:
        return _("Không hiển thị được với dữ liệu mẫu: %(e)s", e=str(exc)[:200])
    if kind == "subject" and ("\n" in shown or len(shown) > MAX_SUBJECT):
        return _("Tiêu đề phải trên một dòng, không quá %(n)d ký tự.", n=MAX_SUBJECT)
    if kind == "body":
        lost = [name for name in template.required if str(template.sample[name]) not in shown]
        if lost:
            return _("Nội dung phải hiện %(v)s.", v=_names(lost))
        if template.is_sms and (length := sms_length(shown)).segments > MAX_SMS_SEGMENTS:
            return _("Tin nhắn dài %(n)d phần (tối đa %(max)d).", n=length.segments, max=MAX_SMS_SEGMENTS)
    return None


def problems(template: MessageTemplate, subject: str, body: str) -> dict[str, str]:
    """The field errors of an admin's text: {"subject": …, "body": …} (empty: it may be saved)."""
    found = {"body": text_problem(template, body, "body")}
    if template.subject:
        found["subject"] = text_problem(template, subject, "subject")
    return {name: message for name, message in found.items() if message}


def preview(template: MessageTemplate, subject: str, body: str) -> Rendered:
    """The text rendered with the template's sample values (call after ``problems`` found none)."""
    return _render(subject if template.subject else "", body, template.sample)


# -- e-mail as HTML ------------------------------------------------------------------------------------------------

URL = re.compile(r"https?://[^\s<>\"']+")


def html_of(text: str, after_first: str = "") -> str:
    """A plain-text e-mail as HTML: a paragraph per block, line breaks kept, links clickable; ``after_first`` (HTML
    of ours, e.g. the eSIM's QR code) after the first paragraph."""
    blocks = [block for block in re.split(r"\n\s*\n", text.strip()) if block.strip()]

    def paragraph(block: str) -> str:
        escaped = "<br>".join(html.escape(line) for line in block.strip().splitlines())
        return "<p>" + URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped) + "</p>"

    parts = [paragraph(block) for block in blocks]
    return "".join(parts[:1]) + after_first + "".join(parts[1:])
