"""What is printed: the packing slip's QR code (E-2.3) pointing the customer at activation in the app."""
from __future__ import annotations

from flask import current_app

from portal.orders.models import Order


def activation_link(order: Order) -> str:
    """The app's deep link to the hold ticket (the app asks for the serial and ID photos, ACT-3..9)."""
    base = current_app.config.get("APP_ACTIVATION_URL", "https://chonso.mobifone.vn/kich-hoat")
    return f"{base}?ma={order.ticket.hold_code}"


def activation_qr(order: Order) -> str:
    """An SVG data URI (the CSP allows data: images): the QR code of the activation link."""
    import segno

    return segno.make(activation_link(order), error="m").svg_data_uri(scale=4, border=2)
