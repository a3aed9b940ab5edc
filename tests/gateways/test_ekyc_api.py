"""The commercial eKYC client (FPT.AI's shape) against the sandbox that speaks it, the provider registry, and the
sandbox's line in ``make run`` (issue 11, "eKYC gateway"; ACT-7, ESIM-6)."""
from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from portal import devstack
from portal.config import ROOT
from portal.devstack import services
from portal.gateways import ekyc
from portal.gateways.ekyc import EkycApiClient, EkycError
from portal.gateways.ekyc_local import LocalProvider
from portal.gateways.ekyc_sandbox import create_sandbox
from tests.conftest import _free_port
from tests.media import synthetic as syn

KEY = "test-ekyc-key"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[str]:
    server = make_server("127.0.0.1", 0, create_sandbox(api_key=KEY), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture(scope="module")
def genuine() -> tuple[bytes, bytes, bytes]:
    return syn.dossier()


def _client(url: str, key: str = KEY) -> EkycApiClient:
    return EkycApiClient(url, key, timeout=30)


def test_a_genuine_dossier_passes_through_the_api__ACT_7(sandbox, genuine):
    result = _client(sandbox).check(*genuine, syn.LAN.declared())
    assert result.provider == "api" and result.passed, [(c.name, c.reason) for c in result.failures]
    assert [c.name for c in result.checks] == ["card", "face_match", "liveness", "id_number"]
    assert result.check("face_match").score > 0.9 and result.check("card").details["mismatches"] == []


def test_the_api_reads_a_2024_card_from_its_back__ESIM_6(sandbox):
    assert _client(sandbox).check(*syn.dossier(qr_on="back"), syn.LAN.declared()).check("card").passed


def test_someone_elses_portrait_fails_the_api_face_match__ACT_7(sandbox, genuine):
    result = _client(sandbox).check(genuine[0], genuine[1], syn.jpeg(syn.portrait("grace_hopper")),
                                    syn.LAN.declared())
    match = result.check("face_match")
    assert (match.passed, match.code) == (False, "face_mismatch") and match.details["similarity"] < 80


def test_two_faces_or_none_are_the_apis_409_and_407(sandbox, genuine):
    client = _client(sandbox)
    assert client.face_match(genuine[0], syn.jpeg(syn.two_faces())).code == "several_faces"
    assert client.face_match(genuine[0], syn.jpeg(syn.no_face())).code == "no_face"
    assert client.liveness(syn.jpeg(syn.no_face())).code == "not_live"


def test_the_card_disagreeing_with_the_form_fails_through_the_api__ACT_7(sandbox, genuine):
    result = _client(sandbox).check(*genuine, syn.LAN.declared(full_name="Lê Văn Tám"))
    assert result.check("card").details["mismatches"] == ["full_name"] and not result.passed


def test_an_unreadable_card_says_so(sandbox, genuine):
    result = _client(sandbox).check(b"%PDF-1.4", b"%PDF-1.4", genuine[2], syn.LAN.declared())
    assert (result.check("card").passed, result.check("card").code) == (False, "card_unreadable")


def test_a_wrong_key_or_no_server_is_an_error_not_a_verdict(sandbox, genuine):
    with pytest.raises(EkycError, match="401"):
        _client(sandbox, "wrong").check(*genuine, syn.LAN.declared())
    with pytest.raises(EkycError, match="unreachable"):
        _client("http://127.0.0.1:9").read_card(genuine[0])


def test_the_provider_is_chosen_by_the_settings(app):
    with app.app_context():
        assert isinstance(ekyc.provider(), LocalProvider)  # the default: offline
        app.config["EKYC_PROVIDER"] = "api"
        try:
            client = ekyc.provider()
            assert isinstance(client, EkycApiClient) and client.base_url == app.config["EKYC_URL"]
        finally:
            app.config["EKYC_PROVIDER"] = "local"


def test_make_run_starts_the_ekyc_sandbox_on_port_plus_four():
    [line] = [s for s in services(5000) if s.name == "ekyc"]
    assert line.argv[-2:] == ["--port", "5004"] and line.ready_url == "http://127.0.0.1:5004/healthz"
    assert line.exports == {"EKYC_URL": "http://127.0.0.1:5004"}


@pytest.mark.slow
def test_the_devstack_line_runs_a_live_ekyc_sandbox(tmp_path, genuine):
    port = _free_port() - 4
    [line] = [s for s in services(port) if s.name == "ekyc"]
    env = {**os.environ, "PORTAL_INSTANCE": str(tmp_path), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(line.argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        devstack.wait_ready(line.ready_url, {"ekyc": proc})  # as make run waits for it
        card = _client(line.exports["EKYC_URL"], ekyc.SANDBOX_API_KEY).read_card(genuine[0])
        assert card is not None and card.id_number == syn.LAN.id_number
    finally:
        proc.terminate()
        proc.wait(10)
