"""The app's activation endpoints (/api/app/v1/dossiers…): ACT-3..7, ESIM-2..6, E-3.3 with bearer tokens and
multipart uploads; errors in the API's format with documented codes; another customer's dossier is 404."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from portal.dossiers.models import DossierMedia
from tests.conftest import CUSTOMER_PASSWORD
from tests.customers.test_app_api import assert_error, bearer
from tests.media.test_images import _png_claiming

from .conftest import API, lan_form, photo, stored_names

DETAILS = ("full_name", "id_type", "id_number", "birth_date", "gender", "province", "district", "ward", "address",
           "email", "contact_phone")


@pytest.fixture
def api(app, db):
    return app.test_client()


def _token(api, customer) -> dict:
    response = api.post(f"{API}/token", json={"phone": customer.phone, "password": CUSTOMER_PASSWORD})
    assert response.status_code == 201, response.get_json()
    return bearer(response.get_json()["token"])


def _photo(api, auth, code: str, kind: str, data: bytes, name: str = "anh.jpg"):
    return api.post(f"{API}/dossiers/{code}/photos/{kind}", headers=auth, content_type="multipart/form-data",
                    data={"photo": (io.BytesIO(data), name)})


def _details(**changes) -> dict:
    form = lan_form(**changes)
    return {name: form[name] for name in DETAILS}


def test_the_app_activates_an_esim_to_ready_for_call__ESIM_2_ESIM_6(api, db, lan, paid_esim):
    """E-3.4: the app's eKYC check; passed, the customer may video-call (E-1.5)."""
    code = paid_esim(lan).ticket.hold_code
    auth = _token(api, lan)
    opened = api.post(f"{API}/dossiers", headers=auth, json={"hold_code": code})
    assert opened.status_code == 201
    body = opened.get_json()
    assert (body["status"], body["sim_type"], body["may_verify"]) == ("draft", "esim", False)
    assert body["details"]["id_number"] == "001190012345" and body["timeline"][0]["step"] == "ESIM-2"

    updated = api.put(f"{API}/dossiers/{code}/details", headers=auth, json=_details(email="lan.anh@example.vn"))
    assert updated.status_code == 200 and updated.get_json()["details"]["email"] == "lan.anh@example.vn"

    for kind, name in (("id_front", "front"), ("id_back", "back"), ("portrait", "someone_else")):
        sent = _photo(api, auth, code, kind, photo(name))
        assert sent.status_code == 201 and sent.get_json()["kind"] == kind
    assert sent.get_json()["dossier"]["may_verify"] is True

    failed = api.post(f"{API}/dossiers/{code}/verify", headers=auth).get_json()
    assert failed["status"] == "ekyc_failed" and failed["ekyc"]["passed"] is False
    face = next(c for c in failed["ekyc"]["checks"] if c["name"] == "face_match")
    assert face["passed"] is False and face["code"] == "face_mismatch" and face["score"] < face["threshold"]
    assert "không khớp" in face["reason"] and failed["last_reason"]

    _photo(api, auth, code, "portrait", photo("portrait"))
    passed = api.post(f"{API}/dossiers/{code}/verify", headers=auth).get_json()
    assert passed["status"] == "ready_for_call" and passed["may_call"] is True and passed["ekyc"]["passed"]
    assert [s["step"] for s in passed["timeline"]] == [
        "ESIM-2", "ESIM-3", "ESIM-4", "ESIM-4", "ESIM-4", "ESIM-6", "ESIM-4", "ESIM-6"]
    assert {s["actor"] for s in passed["timeline"]} == {"customer"}
    listed = api.get(f"{API}/dossiers", headers=auth).get_json()["items"]
    assert [d["hold_code"] for d in listed] == [code]
    assert api.get(f"{API}/dossiers/{code}", headers=auth).get_json()["status"] == "ready_for_call"


def test_a_channels_ticket_is_opened_with_code_phone_and_details__E_3_3(api, db, lan, channel_ticket):
    ticket = channel_ticket("0912345678")
    auth = _token(api, lan)
    assert_error(api.post(f"{API}/dossiers", headers=auth, json={"hold_code": ticket.hold_code,
                                                                  "phone": "0900000000", "details": _details()}),
                 404, "hold_not_found")
    assert_error(api.post(f"{API}/dossiers", headers=auth, json={"hold_code": ticket.hold_code,
                                                                  "phone": "0912345678"}), 422, "missing_field")
    bad = api.post(f"{API}/dossiers", headers=auth, json={"hold_code": ticket.hold_code, "phone": "0912345678",
                                                           "details": _details(gender="male")})
    assert bad.status_code == 422 and bad.get_json()["error"]["fields"]["gender"]["code"] == "cccd_gender"
    opened = api.post(f"{API}/dossiers", headers=auth, json={"hold_code": ticket.hold_code, "phone": "0912345678",
                                                              "details": _details()})
    assert opened.status_code == 201 and opened.get_json()["timeline"][0]["note"].endswith("(E-3.3)")


def test_not_yet_and_not_yours_are_refused_with_stable_codes__ACT_3(api, db, lan, make_customer, delivered_order,
                                                                    numbers):
    from portal.orders import services as orders

    auth = _token(api, lan)
    waiting, _ = orders.place_order(lan_form(number="0903686819"), lan, "web", "w1")
    db.session.commit()
    assert_error(api.post(f"{API}/dossiers", headers=auth, json={"hold_code": waiting.ticket.hold_code}),
                 409, "not_ready_for_activation")
    code = delivered_order(lan).ticket.hold_code
    assert api.post(f"{API}/dossiers", headers=auth, json={"hold_code": code}).status_code == 201

    other = _token(api, make_customer("0987654321"))
    assert_error(api.post(f"{API}/dossiers", headers=other, json={"hold_code": code}), 404, "order_not_found")
    assert_error(api.get(f"{API}/dossiers/{code}", headers=other), 404, "dossier_not_found")
    assert_error(api.put(f"{API}/dossiers/{code}/details", headers=other, json=_details()), 404, "dossier_not_found")
    assert_error(_photo(api, other, code, "id_front", photo("front")), 404, "dossier_not_found")
    assert_error(api.post(f"{API}/dossiers/{code}/verify", headers=other), 404, "dossier_not_found")
    assert_error(api.get(f"{API}/dossiers/{code}"), 401, "unauthorized")
    assert stored_names() == []


def test_bad_photos_are_refused_with_stable_codes_and_nothing_stored__ACT_5(api, db, lan, delivered_order):
    code = delivered_order(lan).ticket.hold_code
    auth = _token(api, lan)
    api.post(f"{API}/dossiers", headers=auth, json={"hold_code": code})
    assert_error(_photo(api, auth, code, "id_front", b"%PDF-1.4 renamed", "cccd.jpg"), 422, "image_type")
    assert_error(_photo(api, auth, code, "id_front", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "a.svg"),
                 422, "image_type")
    assert_error(_photo(api, auth, code, "id_front", _png_claiming(20_000, 20_000)), 422, "image_too_many_pixels")
    assert_error(_photo(api, auth, code, "id_front", photo("front")[:5000]), 422, "image_broken")
    assert_error(_photo(api, auth, code, "id_front", bytes(50 * 1024 * 1024)), 413, "too_large")
    assert_error(_photo(api, auth, code, "selfie", photo("portrait")), 422, "bad_photo_kind")
    assert_error(api.post(f"{API}/dossiers/{code}/photos/portrait", headers=auth, data={},
                          content_type="multipart/form-data"), 422, "image_empty")
    assert_error(api.post(f"{API}/dossiers/{code}/verify", headers=auth), 422, "photos_missing")
    assert stored_names() == [] and db.session.scalar(select(func.count()).select_from(DossierMedia)) == 0


def test_the_api_keeps_its_small_body_limit_except_for_photos(api, db, lan, delivered_order):
    code = delivered_order(lan).ticket.hold_code
    auth = _token(api, lan)
    api.post(f"{API}/dossiers", headers=auth, json={"hold_code": code})
    assert_error(api.put(f"{API}/dossiers/{code}/details", headers=auth,
                         json={**_details(), "address": "x" * 40_000}), 413, "too_large")
    assert _photo(api, auth, code, "id_front", photo("front")).status_code == 201  # > 16 KB, under 10 MB


def test_the_document_describes_the_upload_as_multipart(api):
    spec = api.get(f"{API}/openapi.json").get_json()
    upload = spec["paths"]["/dossiers/{hold_code}/photos/{kind}"]["post"]
    assert list(upload["requestBody"]["content"]) == ["multipart/form-data"]
    assert "413" in upload["responses"] and "image_type" in upload["responses"]["422"]["description"]
    assert spec["paths"]["/dossiers/{hold_code}/verify"]["post"]["responses"]["503"]
