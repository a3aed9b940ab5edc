"""mSale's protocol (docs/msale.md) between the portal's client and the sandbox: signed requests, a unique
idempotency key, the refusal rule, eSIM activation codes, failure injection, signed callbacks (E-4.1, E-4.2)."""
from __future__ import annotations

import json
import time

import pytest
import requests

from portal.gateways import msale_sandbox
from portal.gateways.msale import (
    SIGNATURE_HEADER,
    MsaleClient,
    MsaleError,
    Submission,
    Subscriber,
    is_activation_code,
    read_callback,
)
from portal.gateways.signing import CallbackRefused, sign
from tests.gateways.msale_fixtures import MSALE_SECRET

LAN = Subscriber("Nguyễn Thị Lan", "cccd", "001190012345", "1990-05-17", "female", "Số 5 Phạm Hùng, Hà Nội", "Hà Nội")


def _submission(ref: str = "HS-1", sim: str = "physical", id_number: str = "001190012345") -> Submission:
    subscriber = Subscriber(**{**LAN.__dict__, "id_number": id_number})
    return Submission(dossier_ref=ref, sim_type=sim, msisdn="0903686801", subscriber=subscriber,
                      iccid="8984010000000000017" if sim == "physical" else "")


def _client(box, secret: str = MSALE_SECRET, timeout: float = 0.5) -> MsaleClient:
    return MsaleClient(box.url, box.partner, secret, timeout=(1, timeout))


def test_submit_queues_and_the_same_key_never_connects_twice__E_4_1(msale_box):
    client = _client(msale_box)
    first = client.submit(_submission(), "dossier-1-1")
    assert first.status == "queued" and first.msale_ref.startswith("MS") and not first.replayed
    again = client.submit(_submission(), "dossier-1-1")
    assert again.replayed and again.msale_ref == first.msale_ref
    assert client.status("dossier-1-1").state == "queued"
    msale_box.tick()
    msale_box.tick()
    done = client.status("dossier-1-1")
    assert done.state == "connected" and done.msale_ref == first.msale_ref and done.activation_code == ""
    assert client.submit(_submission(), "dossier-1-1").status == "connected"  # still the one submission
    assert msale_box.stats()["connections"] == 1 and msale_box.stats()["connected_twice"] == []


def test_an_unknown_key_is_unknown_and_a_key_reused_with_another_body_is_refused(msale_box):
    client = _client(msale_box)
    assert client.status("dossier-404-1").state == "unknown"
    client.submit(_submission("HS-2"), "dossier-2-1")
    with pytest.raises(MsaleError) as err:
        client.submit(_submission("HS-3"), "dossier-2-1")
    assert not err.value.transient and err.value.code == "idempotency_conflict"


def test_refused_by_the_documented_rule_with_a_reason__ACT_16(msale_box):
    client = _client(msale_box)
    client.submit(_submission("HS-4", id_number="001190012349"), "dossier-4-1")
    msale_box.tick()
    result = client.status("dossier-4-1")
    assert result.state == "refused" and "Cơ sở dữ liệu quốc gia" in result.reason


def test_an_esim_gets_a_gsma_activation_code__ESIM_13(msale_box):
    client = _client(msale_box)
    client.submit(_submission("HS-5", sim="esim"), "dossier-5-1")
    msale_box.tick()
    result = client.status("dossier-5-1")
    assert result.state == "connected" and is_activation_code(result.activation_code)
    lpa, smdp, matching = result.activation_code.split("$")
    assert lpa == "LPA:1" and smdp == msale_sandbox.SMDP_ADDRESS and len(matching) == 23


def test_a_wrong_secret_or_a_stale_signature_is_refused(msale_box):
    with pytest.raises(MsaleError) as err:
        _client(msale_box, secret="wrong").submit(_submission(), "dossier-6-1")
    assert err.value.code == "bad_signature" and not err.value.transient
    body = json.dumps(_submission().body("dossier-6-1")).encode()
    old = sign(b"POST /api/v1/subscriptions\n" + body, MSALE_SECRET, int(time.time()) - 3600)
    response = requests.post(msale_box.url + "/api/v1/subscriptions", data=body, timeout=5, headers={
        "X-Msale-Partner": msale_box.partner, SIGNATURE_HEADER: old})
    assert response.status_code == 401 and response.json()["error"]["code"] == "timestamp_outside_window"
    assert msale_box.all() == []


@pytest.mark.parametrize("mode, code", [("error", "http_500"), ("lost", "http_500"), ("garbage", "garbage"),
                                        ("timeout", "timeout")])
def test_failures_are_transient_and_say_whether_mSale_may_have_it(msale_box, mode, code):
    msale_box.set_fault(mode)
    with pytest.raises(MsaleError) as err:
        _client(msale_box).submit(_submission(), "dossier-7-1")
    assert err.value.transient and err.value.maybe_accepted and err.value.code == code
    had_it = mode != "error"  # lost, garbage, timeout: the work was done, only the answer went missing
    assert (_client(msale_box, timeout=5).status("dossier-7-1").state == "queued") == had_it


def test_nothing_listening_is_transient_and_never_reached(msale_box):
    client = MsaleClient("http://127.0.0.1:9", "CHONSO", MSALE_SECRET, timeout=(0.5, 0.5))
    with pytest.raises(MsaleError) as err:
        client.submit(_submission(), "dossier-8-1")
    assert err.value.transient and not err.value.maybe_accepted


def test_callbacks_are_signed_and_read_back(msale_box):
    _client(msale_box).submit(_submission("HS-9", sim="esim"), "dossier-9-1")
    msale_box.tick()
    raw = msale_box.callback_body(msale_box.get("dossier-9-1"))
    callback = read_callback(raw, sign(raw, MSALE_SECRET), MSALE_SECRET, tolerance=300)
    assert callback.idempotency_key == "dossier-9-1" and callback.result.state == "connected"
    assert is_activation_code(callback.result.activation_code)
    with pytest.raises(CallbackRefused) as err:
        read_callback(raw.replace(b"connected", b"refused"), sign(raw, MSALE_SECRET), MSALE_SECRET, tolerance=300)
    assert err.value.status == 401
    with pytest.raises(CallbackRefused) as err:
        read_callback(raw, sign(raw, MSALE_SECRET), None, tolerance=300)  # no secret configured: fail closed
    assert err.value.code == "bad_signature"
    bad = json.dumps({"idempotency_key": "dossier-9-1", "status": "connected",
                      "activation_code": "http://evil.example/"}).encode()
    with pytest.raises(CallbackRefused) as err:
        read_callback(bad, sign(bad, MSALE_SECRET), MSALE_SECRET, tolerance=300)
    assert err.value.status == 400 and err.value.authentic


def test_the_sandbox_page_lists_its_queue_and_its_rule(msale_box):
    _client(msale_box).submit(_submission("HS-10"), "dossier-10-1")
    page = requests.get(msale_box.url + "/", timeout=5).text
    assert "dossier-10-1" in page and "tận cùng bằng chữ số 9" in page
