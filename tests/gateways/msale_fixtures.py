"""The sandbox mSale and e-invoice provider served in-process, shared by tests/gateways and tests/connections."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from portal.gateways import einvoice_sandbox, msale_sandbox
from tests.shipping.conftest import Served

MSALE_SECRET = "test-msale-secret"
EINVOICE_SECRET = "test-einvoice-secret"


@pytest.fixture
def msale_box(app, tmp_path) -> Iterator[msale_sandbox.Sandbox]:
    """The sandbox mSale over HTTP, the portal's client pointing at it. Nothing is decided until a test calls
    ``tick()`` (the delay is 0) and callbacks are off unless a test turns them on."""
    box = msale_sandbox.Sandbox(tmp_path / "msale.db", secret=MSALE_SECRET, delay_seconds=0, hang_seconds=1.5)
    box.callbacks = False
    served = Served(msale_sandbox.create_app(box))
    box.url = served.url  # type: ignore[attr-defined]
    saved = {k: app.config[k] for k in ("MSALE_URL", "MSALE_SECRET", "MSALE_PARTNER", "MSALE_TIMEOUT_SECONDS")}
    app.config.update(MSALE_URL=served.url, MSALE_SECRET=MSALE_SECRET, MSALE_PARTNER=box.partner,
                      MSALE_TIMEOUT_SECONDS=0.5)
    yield box
    box.stop.set()
    served.close()
    app.config.update(saved)


@pytest.fixture
def einvoice_box(app, tmp_path) -> Iterator[einvoice_sandbox.Sandbox]:
    """The sandbox e-invoice provider over HTTP, the portal's client pointing at it."""
    box = einvoice_sandbox.Sandbox(tmp_path / "einvoice.db", secret=EINVOICE_SECRET)
    served = Served(einvoice_sandbox.create_app(box))
    box.base_url = served.url
    box.url = served.url  # type: ignore[attr-defined]
    saved = {k: app.config[k] for k in ("EINVOICE_URL", "EINVOICE_SECRET", "EINVOICE_SELLER_TAX_CODE")}
    app.config.update(EINVOICE_URL=served.url, EINVOICE_SECRET=EINVOICE_SECRET, EINVOICE_SELLER_TAX_CODE=box.seller)
    yield box
    served.close()
    app.config.update(saved)
