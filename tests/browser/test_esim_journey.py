"""Issue 13's "Done when" for the eSIM, end to end in headless Chromium on everything ``make run`` runs: a customer
whose video call passed signs on the canvas and sends (ESIM-8, ESIM-9); the connection team's queue, open in a
second browser context, shows the new item live; the reviewer claims and approves it (ESIM-10); the real worker
pushes it to the sandbox mSale (ESIM-11), whose signed callback brings the activation code (ESIM-12, ESIM-13); the
customer's page shows the QR, which decodes to the code printed under it, and "Quét mã QR thành công" gives
Đã hòa mạng (ESIM-14, ESIM-15); the e-mail with the QR inline is in the outbox sandbox (ESIM-13).
Screenshots: /tmp/shots/esim-*.png (customer 390×844; staff 1366×768)."""
from __future__ import annotations

import base64
import io
import time
from pathlib import Path

import pytest
import requests
import zxingcpp
from PIL import Image

from portal.core.roles import Role
from portal.dossiers import contract
from portal.dossiers.models import DossierStatus
from portal.dossiers.queries import timeline
from tests.browser.test_signing_review import (  # noqa: F401 (fixture)
    _draw,
    claim_when_it_arrives,
    dossier_phone,
    open_queue,
    signing_env,
)
from tests.conftest import CHROMIUM, CHROMIUM_FLAGS, customer_page
from tests.connections.test_live import _wait, quick_msale  # noqa: F401 (fixture)
from tests.dossiers.conftest import (  # noqa: F401 (fixtures)
    contract_certificate,
    delivered_order,
    lan,
    media_root,
    numbers,
    paid_esim,
    verified,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = Path("/tmp/shots")


def _decode(png: bytes) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode)]


def _qr_mail(outbox: str, to: str) -> dict | None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        mails = [m for m in requests.get(f"{outbox}/outbox.json", params={"to": to}, timeout=5).json()["messages"]
                 if m["inline"]]
        if mails:
            return mails[0]
        time.sleep(0.3)
    return None


def test_an_esim_goes_from_signing_to_connected_in_the_browser__ESIM_8_to_ESIM_15(
        quick_msale, signing_env, app, verified, make_staff, live_stack, tmp_path):  # noqa: F811
    dossier = verified("esim")
    code = dossier.ticket.hold_code
    reviewer = make_staff(Role.CONNECTION, 1)
    SHOTS.mkdir(exist_ok=True)
    from playwright.sync_api import sync_playwright

    console: list[str] = []
    live = live_stack.url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        staff = open_queue(browser, live, reviewer.username, console)

        page = customer_page(browser, live, dossier_phone(dossier), console)
        # ESIM-8: sign on the canvas (no SIM serial or photo for an eSIM); ESIM-9: send.
        page.goto(f"{live}/chonso/hoa-mang/{code}")
        page.click("a:has-text('Ký và gửi thông tin hòa mạng')")
        assert page.locator("#sim_serial").count() == 0
        _draw(page)
        assert "dz-inked" in page.get_attribute("[data-sign-pad]", "class")
        page.screenshot(path=str(SHOTS / "esim-1-signing.png"), full_page=True)
        page.click("button:has-text('Gửi thông tin hòa mạng')")
        page.wait_for_selector("text=Tổ đấu nối đang duyệt")
        page.screenshot(path=str(SHOTS / "esim-2-sent.png"), full_page=True)
        # The contract behind the page's link, as the customer downloads it: the operator's signature is valid.
        # (checked once the browser is closed: pyHanko runs its own event loop)
        pdf = page.request.get(live + page.get_attribute("a:has-text('Xem hợp đồng thuê bao đã ký')", "href")).body()

        # ESIM-10: the queue, open all along, gets the row without a reload; claim, approve.
        claim_when_it_arrives(staff, dossier.id, SHOTS / "esim-3-queue.png")
        staff.screenshot(path=str(SHOTS / "esim-4-review.png"), full_page=True)
        staff.click("[data-approve]")
        staff.wait_for_selector("text=Đã duyệt hồ sơ.")

        # ESIM-11..13: the worker pushes, the sandbox mSale issues the code by its signed callback.
        issued = _wait(dossier.id, DossierStatus.QR_ISSUED, tmp_path)
        assert issued.activation_code.startswith("LPA:1$")
        page.reload()
        qr = page.locator("#ma-qr-esim img")
        qr.wait_for()
        qr.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "esim-5-qr.png"), full_page=True)
        assert "Quét mã bên dưới" in page.inner_text("[role=status]")  # the status box says what to do
        shown = page.inner_text("#ma-qr-esim .esim-activation-code").strip()
        assert shown == issued.activation_code
        assert _decode(qr.screenshot()) == [shown]  # the picture as the browser drew it

        # ESIM-14/15: "Quét mã QR thành công" → Đã hòa mạng.
        assert "Nhân viên MobiFone" in page.inner_text(".dz-timeline")  # the reviewer, not "Tổng đài viên"
        page.click("[data-qr-ok]")
        page.wait_for_selector("text=Đã hòa mạng")
        assert page.locator("#ma-qr-esim").count() == 0
        page.screenshot(path=str(SHOTS / "esim-6-connected.png"), full_page=True)
        browser.close()
    check = contract.check_signature(pdf, app.config["CONTRACT_SIGNING_CERT"])
    assert check == contract.SignatureCheck(intact=True, valid=True, trusted=True)
    connected = _wait(dossier.id, DossierStatus.CONNECTED, tmp_path)
    assert [s.step for s in timeline(connected)][-5:] == ["ESIM-9", "ESIM-10", "ESIM-10", "ESIM-13", "ESIM-15"]
    mail = _qr_mail(live_stack.outbox, "lan@example.vn")
    assert mail, (tmp_path / "worker.log").read_text()[-2000:]
    assert _decode(base64.b64decode(mail["inline"][0]["data"])) == [issued.activation_code]
    assert not [c for c in console if "favicon" not in c], console
