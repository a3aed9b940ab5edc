"""The carrier (đơn vị vận chuyển): GHN's public API shape (Giao Hàng Nhanh, "shiip" v2).

``Carrier`` is what the shipping domain needs; ``GhnClient`` speaks GHN's documented protocol
(``Token`` + ``ShopId`` headers, ``{"code": 200, "message": "Success", "data": ...}`` answers);
``carrier()`` picks the client from the configuration (the dev default points at the sandbox,
``portal.gateways.ghn_sandbox``). Status callbacks into the portal are signed as Stripe signs its
webhooks: ``X-Carrier-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`` (``sign``);
``read_callback`` checks the signature, the timestamp's window and the body, and hands back a
``CarrierCallback`` or raises ``CallbackRefused`` with a stable code (docs/shipping.md).
"""
from __future__ import annotations

import calendar
import json
import logging
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import requests
from flask import current_app

from portal.gateways.signing import CallbackRefused, sign, verify

__all__ = ["CallbackRefused", "sign"]  # the shared signing (portal.gateways.signing), as the carrier's callbacks use it

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Carrier-Signature"
AMOUNT_FIELDS = ("CODAmount", "TotalFee")  # VND: whole, 0 ≤ amount ≤ the configured bound
TEXT_FIELDS = ("Status", "OrderCode", "ClientOrderCode", "Reason", "Time")  # strings when present
CREATE_PATH = "/shiip/public-api/v2/shipping-order/create"
DETAIL_PATH = "/shiip/public-api/v2/shipping-order/detail"
DETAIL_BY_CLIENT_PATH = "/shiip/public-api/v2/shipping-order/detail-by-client-code"
CANCEL_PATH = "/shiip/public-api/v2/switch-status/cancel"
TIMEOUT = (3.05, 10)  # connect, read (seconds)


class CarrierError(Exception):
    """The carrier refused or could not be reached; ``transient`` errors are worth a retry."""

    def __init__(self, message: str, transient: bool = False, code: int | None = None):
        super().__init__(message)
        self.transient = transient
        self.code = code


@dataclass
class Parcel:
    """What we ask the carrier to deliver (SHIP-8.2): pickup time, recipient, amount to collect."""

    client_order_code: str  # our order number: the carrier keeps it unique (idempotency)
    to_name: str
    to_phone: str
    to_address: str
    to_ward_name: str
    to_district_name: str
    to_province_name: str
    cod_amount: int  # VND to collect at the door; 0 when paid online
    pick_at: datetime  # naive UTC
    pickup_address: str
    note: str = ""
    items: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class CarrierOrder:
    order_code: str
    client_order_code: str
    status: str


class Carrier(Protocol):
    name: str

    def create_order(self, parcel: Parcel) -> CarrierOrder: ...

    def find_by_client_code(self, client_order_code: str) -> CarrierOrder | None: ...

    def detail(self, order_code: str) -> CarrierOrder | None: ...

    def cancel(self, order_code: str) -> None: ...


class GhnClient:
    """GHN public API v2 over HTTPS (or the sandbox over HTTP)."""

    name = "ghn"

    def __init__(self, base_url: str, token: str, shop_id: str, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.shop_id = shop_id
        self.http = session or requests.Session()
        self.http.trust_env = False  # never through a proxy from the environment

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self.http.post(self.base_url + path, json=body, timeout=TIMEOUT,
                                      headers={"Token": self.token, "ShopId": str(self.shop_id)})
        except requests.Timeout as exc:
            raise CarrierError("carrier timed out", transient=True) from exc
        except requests.RequestException as exc:
            raise CarrierError(f"carrier unreachable: {type(exc).__name__}", transient=True) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise CarrierError(f"carrier answered {response.status_code}", transient=True, code=response.status_code)
        try:
            payload = response.json()
        except ValueError as exc:
            raise CarrierError("carrier answered non-JSON", transient=True) from exc
        if payload.get("code") != 200:
            raise CarrierError(str(payload.get("message") or payload.get("code_message") or "refused"),
                               code=payload.get("code") or response.status_code)
        return payload.get("data") or {}

    def create_order(self, parcel: Parcel) -> CarrierOrder:
        body = {
            "payment_type_id": 1,  # the shop pays the fee; the courier collects cod_amount only
            "required_note": "CHOXEMHANGKHONGTHU",
            "client_order_code": parcel.client_order_code,
            "to_name": parcel.to_name, "to_phone": parcel.to_phone, "to_address": parcel.to_address,
            "to_ward_name": parcel.to_ward_name, "to_district_name": parcel.to_district_name,
            "to_province_name": parcel.to_province_name,
            "cod_amount": int(parcel.cod_amount),
            "weight": 50, "length": 10, "width": 8, "height": 1,
            "service_type_id": 2,
            "pick_shift": [],
            "pickup_time": calendar.timegm(parcel.pick_at.timetuple()),  # naive UTC → Unix seconds
            "note": parcel.note or parcel.pickup_address,
            "items": parcel.items or [{"name": "SIM trắng", "quantity": 1, "weight": 50}],
        }
        data = self._post(CREATE_PATH, body)
        return CarrierOrder(data["order_code"], parcel.client_order_code, data.get("status", "ready_to_pick"))

    def find_by_client_code(self, client_order_code: str) -> CarrierOrder | None:
        try:
            data = self._post(DETAIL_BY_CLIENT_PATH, {"client_order_code": client_order_code})
        except CarrierError as exc:
            if exc.transient:
                raise
            return None  # GHN answers 400 "order not found"
        return CarrierOrder(data["order_code"], data.get("client_order_code", client_order_code),
                            data.get("status", ""))

    def detail(self, order_code: str) -> CarrierOrder | None:
        try:
            data = self._post(DETAIL_PATH, {"order_code": order_code})
        except CarrierError as exc:
            if exc.transient:
                raise
            return None
        return CarrierOrder(data["order_code"], data.get("client_order_code", ""), data.get("status", ""))

    def cancel(self, order_code: str) -> None:
        self._post(CANCEL_PATH, {"order_codes": [order_code]})


def carrier() -> Carrier:
    """The configured carrier (registry by ``CARRIER``; only GHN's protocol for now)."""
    config = current_app.config
    name = config.get("CARRIER", "ghn")
    if name != "ghn":
        raise RuntimeError(f"unknown carrier {name!r}")
    return GhnClient(config["GHN_URL"], config["GHN_TOKEN"], config["GHN_SHOP_ID"])


# --- status callbacks into the portal ----------------------------------------------------------------------------

@dataclass(frozen=True)
class CarrierCallback:
    """A status callback whose signature, timestamp and fields were checked: what the shipping service applies."""

    status: str
    order_code: str
    client_order_code: str
    reason: str
    event_time: str
    cod_amount: int | None
    signed_at: int  # the signature's timestamp (Unix seconds)
    payload: dict[str, Any]  # the body, amounts as whole numbers: the duplicate key and the stored record read it


def _amount(payload: dict[str, Any], name: str, bound: int) -> int | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)  # 545000.0 is a whole number written as a float
    if isinstance(value, bool) or not isinstance(value, int):
        raise CallbackRefused(400, "bad_amount", f"{name} must be a whole number of VND", True, field=name,
                              value=repr(value)[:40])
    if not 0 <= value <= bound:
        raise CallbackRefused(400, "bad_amount", f"{name} must be between 0 and {bound} VND", True, field=name,
                              value=repr(value)[:40])
    return value


def _finite(value: Any) -> bool:
    """No NaN or Infinity anywhere (Python's json reads them; a JSON column cannot store them)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


def read_callback(body: bytes, header: str | None, secret: str | None, *, tolerance: int,
                  max_amount: int) -> CarrierCallback:
    """Check a status callback: signature (401), timestamp within ``tolerance`` seconds (401), body (400)."""
    signed_at = verify(body, header, secret, SIGNATURE_HEADER, tolerance)
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        payload = None
    if not isinstance(payload, dict):
        raise CallbackRefused(400, "bad_json", "body must be a JSON object", True)
    amounts = {name: _amount(payload, name, max_amount) for name in AMOUNT_FIELDS}
    try:
        finite = _finite(payload)
    except RecursionError:
        finite = False
    if not finite:
        raise CallbackRefused(400, "bad_json", "NaN and Infinity are not JSON numbers", True)
    for name in TEXT_FIELDS:
        if payload.get(name) is not None and not isinstance(payload[name], str):
            raise CallbackRefused(400, "bad_field", f"{name} must be a string", True, field=name,
                                  value=repr(payload[name])[:40])
    payload.update({name: value for name, value in amounts.items() if value is not None})
    return CarrierCallback(
        status=(payload.get("Status") or "").strip().lower(), order_code=(payload.get("OrderCode") or "")[:40],
        client_order_code=(payload.get("ClientOrderCode") or "")[:40], reason=(payload.get("Reason") or "")[:300],
        event_time=(payload.get("Time") or "")[:40], cod_amount=amounts["CODAmount"], signed_at=signed_at,
        payload=payload)
