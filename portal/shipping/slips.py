"""What is printed: the packing slip's (E-2.3) and the store slip's QR code, pointing the customer at activation
on our own site (ACT-3: the ticket's activation page, behind the customer's sign-in)."""
from __future__ import annotations

from portal.core.links import external_url
from portal.orders.models import Order


def activation_link(order: Order) -> str:
    """The activation page of the order's hold ticket (``PUBLIC_ORIGIN``: printed, it must work from a phone)."""
    return external_url("dossiers.start", ma=order.ticket.hold_code)


def activation_qr(order: Order) -> str:
    """An SVG data URI (the CSP allows data: images): the QR code of the activation link."""
    import segno

    return segno.make(activation_link(order), error="m").svg_data_uri(scale=4, border=2)
