"""The e-invoice provider (hóa đơn điện tử, Decree 123/2020, Circular 78/2021): every paid order gets an invoice
with a lookup code (mã tra cứu) and a PDF; a refund adjusts it (hóa đơn điều chỉnh) or cancels it.

``EinvoiceProvider`` is what the invoices domain needs; ``EinvoiceClient`` speaks the JSON protocol of
docs/einvoice.md (requests signed like mSale's: ``X-Einvoice-Signature: t=…,v1=…`` over the method, the path and the
body, ``portal.gateways.signing``). The provider keeps the idempotency key unique — the key of an invoice is
``order-<order id>`` — so a resend (a retry after a timeout, a job run twice) answers the invoice already issued,
never a second one. ``einvoice()`` builds the client from the settings (development: the sandbox
``portal.gateways.einvoice_sandbox`` on PORT+6).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from flask import current_app

from portal.gateways.signing import ApiError, SignedJsonClient

SIGNATURE_HEADER = "X-Einvoice-Signature"
SELLER_HEADER = "X-Einvoice-Seller"  # the seller's tax code (mã số thuế)
ISSUE_PATH = "/api/v1/invoices"
INVOICE_PATH = "/api/v1/invoices/{key}"
ADJUST_PATH = "/api/v1/invoices/{key}/adjustments"
CANCEL_PATH = "/api/v1/invoices/{key}/cancel"


class EinvoiceError(ApiError):
    """The provider refused or could not be reached (``transient``, ``maybe_accepted``: signing.ApiError)."""


@dataclass(frozen=True)
class InvoiceLine:
    name: str
    quantity: int
    unit_price: int  # VND, VAT included
    vat_rate: int = 10  # percent

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_price


@dataclass(frozen=True)
class InvoiceRequest:
    order_no: str
    buyer_name: str
    buyer_email: str
    buyer_address: str
    lines: tuple[InvoiceLine, ...]

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    def body(self, idempotency_key: str, template: str) -> dict[str, Any]:
        return {"idempotency_key": idempotency_key, "template": template, "order_no": self.order_no,
                "currency": "VND", "payment_method": "TM/CK",
                "buyer": {"name": self.buyer_name, "email": self.buyer_email, "address": self.buyer_address},
                "items": [{"name": li.name, "quantity": li.quantity, "unit_price": li.unit_price,
                           "amount": li.amount, "vat_rate": li.vat_rate} for li in self.lines],
                "total": self.total}


@dataclass(frozen=True)
class IssuedInvoice:
    invoice_no: str  # số hóa đơn
    series: str  # ký hiệu
    lookup_code: str  # mã tra cứu
    pdf_url: str
    lookup_url: str
    status: str  # issued | adjusted | cancelled
    total: int


class EinvoiceProvider(Protocol):
    name: str

    def issue(self, request: InvoiceRequest, idempotency_key: str) -> IssuedInvoice: ...

    def find(self, idempotency_key: str) -> IssuedInvoice | None: ...

    def adjust(self, idempotency_key: str, adjustment_key: str, amount: int, reason: str) -> IssuedInvoice: ...

    def cancel(self, idempotency_key: str, reason: str) -> IssuedInvoice: ...


def _invoice(payload: dict[str, Any]) -> IssuedInvoice:
    try:
        invoice = IssuedInvoice(str(payload["invoice_no"]), str(payload["series"]), str(payload["lookup_code"]),
                                str(payload["pdf_url"]), str(payload.get("lookup_url") or ""),
                                str(payload["status"]), int(payload["total"]))
    except (KeyError, TypeError, ValueError):
        raise EinvoiceError("e-invoice provider answered garbage", maybe_accepted=True, code="garbage") from None
    if invoice.status not in ("issued", "adjusted", "cancelled") or not invoice.lookup_code:
        raise EinvoiceError("e-invoice provider answered garbage", maybe_accepted=True, code="garbage")
    return invoice


class EinvoiceClient(SignedJsonClient):
    """docs/einvoice.md over HTTPS (or the sandbox over HTTP)."""

    name = provider = "einvoice"
    error = EinvoiceError

    def __init__(self, base_url: str, seller_tax_code: str, secret: str, template: str,
                 timeout: tuple[float, float] = (3.05, 10)):
        super().__init__(base_url, SELLER_HEADER, seller_tax_code, SIGNATURE_HEADER, secret, timeout)
        self.template = template

    def _ok(self, status: int, payload: dict[str, Any]) -> IssuedInvoice:
        if status not in (200, 201):
            raise self.refused(status, payload)
        return _invoice(payload)

    def issue(self, request: InvoiceRequest, idempotency_key: str) -> IssuedInvoice:
        return self._ok(*self.call("POST", ISSUE_PATH, request.body(idempotency_key, self.template)))

    def find(self, idempotency_key: str) -> IssuedInvoice | None:
        status, payload = self.call("GET", INVOICE_PATH.format(key=idempotency_key))
        return None if status == 404 else self._ok(status, payload)

    def adjust(self, idempotency_key: str, adjustment_key: str, amount: int, reason: str) -> IssuedInvoice:
        return self._ok(*self.call("POST", ADJUST_PATH.format(key=idempotency_key), {
            "adjustment_key": adjustment_key, "amount": -abs(int(amount)), "reason": reason[:300]}))

    def cancel(self, idempotency_key: str, reason: str) -> IssuedInvoice:
        return self._ok(*self.call("POST", CANCEL_PATH.format(key=idempotency_key), {"reason": reason[:300]}))


def einvoice() -> EinvoiceProvider:
    """The configured e-invoice client."""
    cfg = current_app.config
    return EinvoiceClient(cfg["EINVOICE_URL"], cfg["EINVOICE_SELLER_TAX_CODE"], cfg["EINVOICE_SECRET"],
                          cfg["EINVOICE_TEMPLATE"], timeout=(3.05, float(cfg["EINVOICE_TIMEOUT_SECONDS"])))
