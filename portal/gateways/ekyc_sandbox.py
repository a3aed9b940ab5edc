"""A sandbox eKYC API speaking the commercial shape ``EkycApiClient`` uses (FPT.AI's), backed by the local provider.

``python -m portal.gateways.ekyc_sandbox --port N`` (``make run`` starts it on PORT+4). Every call needs the
``api-key`` header (``EKYC_API_KEY``, default ``sandbox-ekyc-key``); a wrong one is 401.

- ``POST /vision/idr/vnm`` (``image``): "OCR" by reading the chip card's QR code (the sandbox reads no
  printed text): ``{"errorCode": 0, "data": [{"id", "name", "dob": "dd/mm/yyyy", "sex", "address", "type"}]}``;
  errorCode 7 for a file that is not an image, 3 when no card (no QR) is found.
- ``POST /dmp/checkface/v1`` (``file[]``: card, then portrait): dlib's distance as a similarity,
  ``100 × (1 − distance / 3)``, which puts dlib's usual 0.6 at 80 (the client's default threshold);
  code 407 when either has no face, 409 when the portrait has more than one.
- ``POST /dmp/liveness/v3`` (``image``): no liveness model here: a sharp photo with one face is "live"
  (spoof_prob 0.02), anything else is not (0.9). The real check is the video call.
"""
from __future__ import annotations

import argparse
import hmac
import os
import threading

from flask import Flask, Response, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import Babel

from portal.config import ekyc_settings
from portal.gateways.ekyc import (
    API_KEY_HEADER,
    FACEMATCH_PATH,
    LIVENESS_PATH,
    OCR_PATH,
    SANDBOX_API_KEY,
    parse_chip_qr,
)
from portal.gateways.ekyc_local import LocalProvider as Local
from portal.gateways.ekyc_local import Models, Photo, Settings, face_distance, photo_check, read_chip_qr


def create_sandbox(api_key: str | None = None, settings: Settings | None = None) -> Flask:
    """The sandbox app (tests serve it in a thread with werkzeug's make_server)."""
    key = api_key or os.environ.get("EKYC_API_KEY") or SANDBOX_API_KEY
    local = Local(settings or Settings.from_config(ekyc_settings(dict(os.environ), production=False)))
    app = Flask(__name__)
    Babel(app, default_locale="vi")  # the local checks word their reasons through Babel

    @app.before_request
    def _authorise() -> ResponseReturnValue | None:
        if request.path != "/healthz" and not hmac.compare_digest(
                (request.headers.get(API_KEY_HEADER) or "").encode(), key.encode()):
            return jsonify(errorCode=401, errorMessage="Invalid API key"), 401
        return None

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(ok=True)

    def photo(field: str, index: int = 0) -> Photo | None:
        files = request.files.getlist(field)
        return Photo.decode(files[index].read()) if len(files) > index else None

    @app.post(OCR_PATH)
    def ocr() -> Response:
        card = photo("image")
        if card is None:
            return jsonify(errorCode=7, errorMessage="Invalid image file", data=[])
        found = read_chip_qr([("image", card)])
        fields = parse_chip_qr(found[1]) if found else None
        if fields is None:
            return jsonify(errorCode=3, errorMessage="Unable to find ID card in the image", data=[])
        return jsonify(errorCode=0, errorMessage="", data=[{
            "id": fields.id_number, "name": fields.full_name.upper(), "dob": f"{fields.birth_date:%d/%m/%Y}",
            "sex": "NỮ" if fields.gender and fields.gender.value == "female" else "NAM",
            "address": fields.address, "type": "chip_front"}])

    @app.post(FACEMATCH_PATH)
    def checkface() -> Response:
        card_check, card = local.card_face(photo("file[]", 0))
        portrait_check, selfie = local.portrait_face(photo("file[]", 1))
        if portrait_check.code == "several_faces":
            return jsonify(code="409", message="More than one face in the image")
        if card is None or selfie is None:
            return jsonify(code="407", message="No faces are detected")
        distance = face_distance(card, selfie)
        similarity = round(max(0.0, 100 * (1 - distance / 3)), 2)
        return jsonify(code="200", message="request successful.",
                       data={"isMatch": similarity >= 80, "similarity": similarity, "isBothImgIDCard": False})

    @app.post(LIVENESS_PATH)
    def liveness() -> Response:
        selfie = photo("image")
        live = photo_check("portrait", selfie, local.settings).passed and local.portrait_face(selfie)[0].passed
        return jsonify(code="200", message="request successful.",
                       liveness={"code": "200", "is_live": "true" if live else "false",
                                 "spoof_prob": "0.02" if live else "0.9", "need_to_review": "false"})

    threading.Thread(target=Models.get, daemon=True).start()  # the first request need not wait for the weights
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="eKYC sandbox (FPT.AI's API shape) backed by the local provider")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")) + 4)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    from werkzeug.serving import run_simple

    run_simple(args.host, args.port, create_sandbox(), threaded=True)


if __name__ == "__main__":
    main()
