"""The eSIM and physical results on real processes, everything ``make run`` runs: the approval queues the push, the
real worker sends it to the sandbox mSale, the sandbox connects after its delay and posts the signed callback to
the real web server, the worker e-mails the customer through the outbox sandbox (ESIM-10..13, ACT-11..15)."""
from __future__ import annotations

import base64
import time

import pytest
import requests

from portal.dossiers.models import Dossier, DossierStatus
from portal.extensions import db as _db
from tests.connections.test_notices import _decode

pytestmark = pytest.mark.slow


@pytest.fixture
def quick_msale(monkeypatch):
    """The sandbox mSale of the live stack decides after half a second (make run: 10 s)."""
    monkeypatch.setenv("MSALE_SANDBOX_DELAY_SECONDS", "0.5")


def _wait(dossier_id: int, status: DossierStatus, tmp_path) -> Dossier:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        _db.session.commit()
        _db.session.expire_all()
        dossier = _db.session.get(Dossier, dossier_id)
        if dossier.status == status:
            return dossier
        time.sleep(0.3)
    logs = "\n".join((tmp_path / f"{n}.log").read_text()[-1500:] for n in ("worker", "msale", "web"))
    pytest.fail(f"dossier {dossier.status}: {logs}")


def test_an_approved_esim_gets_its_qr_by_email_through_the_real_stack__ESIM_13(quick_msale, approved, live_stack,
                                                                               tmp_path):
    esim = approved(esim=True)
    physical = approved()
    found = _wait(esim.id, DossierStatus.QR_ISSUED, tmp_path)
    assert found.activation_code.startswith("LPA:1$")
    assert _wait(physical.id, DossierStatus.CONNECTED, tmp_path).msale_ref
    queue = requests.get(f"{live_stack.msale}/sandbox/stats.json", timeout=5).json()
    assert queue["connections"] == 2 and queue["connected_twice"] == []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        mails = [m for m in requests.get(f"{live_stack.outbox}/outbox.json", params={"to": "lan@example.vn"},
                                         timeout=5).json()["messages"] if m["inline"]]
        if mails:
            break
        time.sleep(0.3)
    assert mails, (tmp_path / "worker.log").read_text()[-2000:]
    assert _decode(base64.b64decode(mails[0]["inline"][0]["data"])) == [found.activation_code]
