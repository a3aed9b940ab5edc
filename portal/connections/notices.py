"""The customer is told of mSale's result by e-mail, once per move (ACT-15, ACT-17, ESIM-13, ESIM-16, ESIM-19):
connected, refused with the reason, or — for an eSIM — the activation code with its QR code inline (GSMA SGP.22
``LPA:1$<SM-DP+ address>$<matching id>``, the text too for manual entry). In-app, the dossier page shows the same.
"""
from __future__ import annotations

import base64
import html
import io
import logging

import segno
from flask_babel import gettext as _

from portal.connections import messages
from portal.core.jobs import job
from portal.core.links import external_url
from portal.dossiers.models import Dossier, DossierStatus
from portal.extensions import db
from portal.gateways.mail import InlineImage
from portal.messages.rendering import html_of, render
from portal.notify.outbox import send_mail_once
from portal.numbers.formatting import format_number

log = logging.getLogger(__name__)
QR_FILENAME = "esim-qr.png"


def qr_png(activation_code: str) -> bytes:
    """The activation code's QR code as a PNG (error correction M, as operators print them)."""
    buffer = io.BytesIO()
    segno.make(activation_code, error="m", micro=False).save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def qr_data_uri(activation_code: str) -> str:
    """The same QR code as a data: URL for a page (the CSP allows data: images)."""
    return "data:image/png;base64," + base64.b64encode(qr_png(activation_code)).decode()


def _recipient(dossier: Dossier) -> str:
    return dossier.email or (dossier.order.email if dossier.order is not None else "") or ""


@job
def mail_connection_result(dossier_id: int, change_id: int, to_status: str) -> bool:
    """Tell the customer the result of their activation once (the status change's id is the key)."""
    dossier = db.session.get(Dossier, dossier_id)
    to = _recipient(dossier) if dossier is not None else ""
    if not to:
        return False
    status = DossierStatus(to_status)
    values = {"number": format_number(dossier.ticket.lines[0].number) if dossier.ticket.lines else "",
              "link": external_url("dossiers.dossier", hold_code=dossier.ticket.hold_code)}
    inline: list[InlineImage] = []
    picture = ""
    if status == DossierStatus.CONNECTED:
        mail = render(messages.CONNECTED, **values)
    elif status == DossierStatus.CONNECTION_REFUSED:
        mail = render(messages.REFUSED, **values, reason=dossier.last_reason or "")
    elif status == DossierStatus.QR_ISSUED and dossier.activation_code:
        mail = render(messages.ESIM_QR, **values, activation_code=dossier.activation_code)
        inline = [InlineImage(QR_FILENAME, qr_png(dossier.activation_code))]
        picture = (f'<p><img src="cid:{QR_FILENAME}" alt="{html.escape(_("Mã QR kích hoạt eSIM"))}" width="240" '
                   f'height="240"></p>')
    else:
        return False
    sent = send_mail_once(f"dossier_status:{change_id}", to, mail.subject, mail.body, html_of(mail.body, picture),
                          inline=inline)
    log.info("dossier %s: %s told (change %s)", dossier.id, to_status, change_id)
    return sent is not None
