"""The synthetic test data itself: made-up cards whose QR holds the chip text, and a fake camera file that
Chromium plays to getUserMedia, showing the card and then the face (issue 11, "Test data")."""
from __future__ import annotations

import base64
import functools
import http.server
import io
import threading

import numpy as np
import pytest
import zxingcpp
from PIL import Image

from portal.gateways.ekyc_local import Models
from tests.conftest import CHROMIUM, CHROMIUM_FLAGS

from . import synthetic as syn


def test_the_card_carries_the_chip_text_in_its_qr_and_the_face_in_its_photo_box():
    front = syn.card_front()
    [code] = zxingcpp.read_barcodes(front, formats=zxingcpp.BarcodeFormat.QRCode)
    assert code.text == syn.LAN.chip_text() and code.text.split("|")[4] == "Nữ"
    assert len(Models.get().faces(np.asarray(front.resize((800, 600))), 0.5)) == 1
    assert not zxingcpp.read_barcodes(syn.card_back(), formats=zxingcpp.BarcodeFormat.QRCode)


def test_the_y4m_file_has_one_frame_per_tenth_of_a_second(tmp_path):
    path = syn.write_y4m(tmp_path / "feed.y4m", [(syn.card_front(), 0.5), (syn.portrait(), 0.3)], size=(320, 240))
    data = path.read_bytes()
    header, _, rest = data.partition(b"\n")
    assert header == b"YUV4MPEG2 W320 H240 F10:1 Ip A1:1 C420jpeg"
    frame = len(b"FRAME\n") + 320 * 240 * 3 // 2
    assert len(rest) == 8 * frame and rest.count(b"FRAME\n") >= 8


PAGE = """<!doctype html><meta charset="utf-8"><video id="v" autoplay muted playsinline></video>
<script>
window.grab = async () => {
  const v = document.getElementById("v");
  if (!v.srcObject) { v.srcObject = await navigator.mediaDevices.getUserMedia({video: {width: 1280, height: 720}}); }
  await new Promise(r => v.readyState >= 2 ? r() : v.onloadeddata = r);
  const c = document.createElement("canvas"); c.width = v.videoWidth; c.height = v.videoHeight;
  c.getContext("2d").drawImage(v, 0, 0);
  return c.toDataURL("image/jpeg", 0.95);
};
</script>"""


@pytest.mark.browser
@pytest.mark.slow
def test_chromiums_fake_camera_shows_the_card_then_the_face(tmp_path):
    """The lead's capture tests will feed this file to the camera page; here a bare getUserMedia page reads it."""
    from playwright.sync_api import sync_playwright

    feed = syn.camera_feed(tmp_path / "feed.y4m", seconds=2)
    (tmp_path / "index.html").write_text(PAGE)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    flags = [*CHROMIUM_FLAGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
             f"--use-file-for-fake-video-capture={feed}"]
    seen_qr, seen_face = None, False
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=flags)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{server.server_port}/index.html")
            for _ in range(60):  # the feed loops every 6 s: card front, card back, portrait
                shot = page.evaluate("window.grab()")
                frame = Image.open(io.BytesIO(base64.b64decode(shot.split(",", 1)[1]))).convert("RGB")
                codes = zxingcpp.read_barcodes(frame, formats=zxingcpp.BarcodeFormat.QRCode)
                seen_qr = seen_qr or (codes[0].text if codes else None)
                # At half size the card's small photo is below the detector's reach: a face there is the portrait.
                seen_face = seen_face or bool(Models.get().faces(np.asarray(frame.resize((640, 360))), 0.5))
                if seen_qr and seen_face:
                    break
                page.wait_for_timeout(300)
            browser.close()
    finally:
        server.shutdown()
    assert seen_qr == syn.LAN.chip_text() and seen_face
