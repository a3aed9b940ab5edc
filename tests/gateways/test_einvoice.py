"""The e-invoice provider's protocol (docs/einvoice.md) between the portal's client and the sandbox: signed requests,
one invoice per idempotency key, adjustments and cancellation, the lookup page and PDF, failures."""
from __future__ import annotations

import pytest
import requests

from portal.gateways.einvoice import EinvoiceClient, EinvoiceError, InvoiceLine, InvoiceRequest
from tests.gateways.msale_fixtures import EINVOICE_SECRET

REQUEST = InvoiceRequest("DH26120200001", "Nguyễn Thị Lan", "lan@example.vn", "Số 5 Phạm Hùng, Hà Nội",
                         (InvoiceLine("Số thuê bao 0903686801", 1, 500_000), InvoiceLine("Phí SIM", 1, 25_000)))


def _client(box, secret: str = EINVOICE_SECRET) -> EinvoiceClient:
    return EinvoiceClient(box.url, box.seller, secret, "1C26TMB", timeout=(1, 2))


def test_one_invoice_per_key_with_its_lookup_code_and_pdf(einvoice_box):
    client = _client(einvoice_box)
    first = client.issue(REQUEST, "order-1")
    assert first.status == "issued" and first.total == 525_000 and first.series == "1C26TMB"
    assert first.invoice_no == "00000001" and len(first.lookup_code) == 12
    assert client.issue(REQUEST, "order-1") == first  # the same key: the same invoice, not a second
    assert client.find("order-1") == first and client.find("order-2") is None
    pdf = requests.get(first.pdf_url, timeout=10)
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert first.lookup_code in requests.get(first.lookup_url, timeout=5).text
    assert len(einvoice_box.all()) == 1


def test_adjustments_are_unique_per_key_and_a_full_one_cancels(einvoice_box):
    client = _client(einvoice_box)
    client.issue(REQUEST, "order-3")
    adjusted = client.adjust("order-3", "refund-1", 25_000, "Hoàn phí SIM")
    assert adjusted.status == "adjusted" and adjusted.total == 500_000
    assert client.adjust("order-3", "refund-1", 25_000, "Hoàn phí SIM").total == 500_000  # once
    assert client.cancel("order-3", "Hoàn tiền").status == "cancelled"


def test_down_wrong_secret_and_garbage(einvoice_box):
    einvoice_box.down = True
    with pytest.raises(EinvoiceError) as err:
        _client(einvoice_box).issue(REQUEST, "order-4")
    assert err.value.transient and err.value.code == "http_503"
    einvoice_box.down = False
    with pytest.raises(EinvoiceError) as err:
        _client(einvoice_box, secret="wrong").issue(REQUEST, "order-4")
    assert not err.value.transient and err.value.code == "bad_signature"
    einvoice_box.faults = {"garbage": 1}
    with pytest.raises(EinvoiceError) as err:
        _client(einvoice_box).issue(REQUEST, "order-4")
    assert err.value.maybe_accepted and err.value.code == "garbage"
    assert _client(einvoice_box).find("order-4").status == "issued"  # the work was done: the key finds it
