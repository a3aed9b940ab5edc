"""Reports fixtures: the connections' approved dossiers and the sandbox mSale, reused from tests/connections."""
from __future__ import annotations

from tests.connections import conftest as connections

approved, msale_box, einvoice_box = connections.approved, connections.msale_box, connections.einvoice_box
outbox, checks_once, media_root, numbers = (connections.outbox, connections.checks_once, connections.media_root,
                                            connections.numbers)
lan, delivered_order, paid_esim = connections.lan, connections.delivered_order, connections.paid_esim
