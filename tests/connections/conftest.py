"""Connections fixtures: dossiers brought to "approved" (the review branch's ``approve`` stands in as a plain
transition, which publishes the same status event), the sandbox mSale in-process, signed callbacks."""
from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from portal.core.actors import SystemActor
from portal.core.states import transition
from portal.dossiers import lifecycle
from portal.dossiers.models import Dossier, DossierStatus
from tests.conftest import writing_now
from tests.customers import conftest as customers
from tests.dossiers import conftest as dossiers
from tests.gateways import msale_fixtures
from tests.gateways.msale_fixtures import MSALE_SECRET

# Fixtures of other folders this one uses.
outbox = customers.outbox
checks_once, media_root, numbers = dossiers.checks_once, dossiers.media_root, dossiers.numbers
lan, delivered_order, paid_esim = dossiers.lan, dossiers.delivered_order, dossiers.paid_esim
msale_box, einvoice_box = msale_fixtures.msale_box, msale_fixtures.einvoice_box

REVIEWER = SystemActor("Tổ đấu nối (kiểm thử)")
# What branch review's ``lifecycle.approve`` does to the status; its four-eyes rules are not ours to test.
APPROVE = {status: {DossierStatus.APPROVED} for status in DossierStatus}
CALLBACK = "/msale/callback"


@pytest.fixture
def approved(db, lan, delivered_order, paid_esim) -> Callable[..., Dossier]:
    """``approved(esim=False, id_number=None)`` → a committed dossier the connection team has just approved."""

    def make(esim: bool = False, id_number: str | None = None) -> Dossier:
        order = paid_esim(lan) if esim else delivered_order(lan)
        with writing_now(db):
            dossier = lifecycle.open_dossier(order, lan)
            if id_number:
                dossier.id_number = id_number
            transition(dossier, DossierStatus.APPROVED, REVIEWER, APPROVE, "Duyệt hồ sơ (kiểm thử)")
            db.session.commit()
        return dossier

    return make


def post_callback(client, body: dict | bytes, secret: str = MSALE_SECRET, header: str | None = None,
                  timestamp: int | None = None):
    from portal.gateways.signing import sign

    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    signature = header if header is not None else sign(raw, secret, timestamp)
    return client.post(CALLBACK, data=raw, headers={"Content-Type": "application/json",
                                                    "X-Msale-Signature": signature})
