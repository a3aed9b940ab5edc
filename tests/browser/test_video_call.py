"""Issue 12's "Done when", in headless Chromium with fake cameras and microphones: a customer's page calls; an agent's
desk in a second browser context rings and accepts; both reach a connected WebRTC state with video frames arriving
(the fake camera's picture, decoded on each side); the agent captures a snapshot (stored on the dossier) and passes
the dossier (Đã xác minh video). A second dossier's call is failed with a reason from the catalogue: the customer
reads the reason, presses "Gọi lại", and a new call rings at the desk once the agent has wrapped up.

Screenshots (look at them): test-artifacts/calls/ — the desk ringing and in a call at 1366×768, the customer's page
at 390×844.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.core.roles import Role
from portal.dossiers import lifecycle
from portal.dossiers.models import Dossier, DossierStatus, PhotoKind
from tests.conftest import CHROMIUM, CHROMIUM_FLAGS, CUSTOMER_PASSWORD, staff_page, writing_now
from tests.dossiers.conftest import delivered_order, lan, media_root, numbers, paid_esim, photo  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "calls"
# Chromium's fake camera (a moving test pattern) and microphone (a beep), permission granted without asking, and
# WebRTC between two pages of the same machine.
CALL_FLAGS = [*CHROMIUM_FLAGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required"]

# Frames arriving on a page's remote <video>: a picture, and its time moving between two polls 400 ms apart.
# Synchronous on purpose: wait_for_function takes the Promise of an async predicate for a truthy answer and
# returns at once (Playwright 1.65), which let the test click "Chụp ảnh khách" before any frame had come.
FRAMES = """(selector) => {
  const v = document.querySelector(selector);
  if (!v || !v.videoWidth || v.readyState < 2) { return false; }
  const seen = (window.framesSeen ||= {}), last = seen[selector], now = performance.now();
  if (last && last.video === v && now - last.at < 400) { return false; }
  seen[selector] = { video: v, time: v.currentTime, at: now };
  return Boolean(last && last.video === v && v.currentTime > last.time);
}"""


STATE = """() => ['desk', 'desk-stage', 'call', 'call-stage', 'desk-message', 'call-message', 'call-note']
  .map((id) => document.getElementById(id)).filter(Boolean)
  .map((n) => n.id + ' ' + JSON.stringify(Object.assign({}, n.dataset)) + ' ' + (n.hidden ? '' : n.textContent.trim()))
  .join('\\n')"""


def _why(pages, logs: Path) -> str:
    """What the pages showed and what the live processes logged, for a failure's message."""
    seen = []
    for page in pages:
        try:
            seen.append(page.evaluate(STATE))
        except Exception as exc:  # noqa: BLE001 (a closed page says so)
            seen.append(repr(exc))
    for name in ("web.log", "worker.log"):
        lines = (logs / name).read_text(errors="replace").splitlines() if (logs / name).exists() else []
        seen.append(f"--- {name}\n" + "\n".join(line[:300] for line in lines
                                                if " ERROR " in line or " WARNING " in line or "Error" in line)[-4000:])
    return "\n".join(seen)


def _ready_for_call(db, customer, order_factory) -> Dossier:
    """A dossier whose eKYC passed (Chờ gọi video), through the dossiers' own moves with the synthetic photos."""
    with writing_now(db):
        dossier = lifecycle.open_dossier(order_factory(customer), customer)
        for kind, name in zip(PhotoKind, ("front", "back", "portrait"), strict=True):
            lifecycle.add_photo(dossier, customer, kind, photo(name))
        lifecycle.verify(dossier, customer)
        db.session.commit()
    assert dossier.status == DossierStatus.READY_FOR_CALL
    return dossier


def _fresh(db) -> None:
    """End the test's read transaction: the next query sees what the live server committed since."""
    db.session.rollback()


def _status(db, dossier_id: int) -> DossierStatus:
    _fresh(db)
    return db.session.get(Dossier, dossier_id).status


def _recording(db, dossier_id: int) -> list[tuple[int, bytes]]:
    """(seq, first bytes) of each stored recording chunk of the dossier's calls, in order."""
    from portal.calls.models import Call, CallRecordingChunk
    from portal.media.storage import storage

    _fresh(db)
    chunks = db.session.scalars(select(CallRecordingChunk).join(Call, Call.id == CallRecordingChunk.call_id)
                                .where(Call.dossier_id == dossier_id).order_by(CallRecordingChunk.seq))
    return [(c.seq, storage().get(c.storage_name)[:4]) for c in chunks]


def _snapshots(db, dossier_id: int) -> int:
    from portal.calls.models import CallSnapshot

    _fresh(db)
    return db.session.scalar(select(func.count()).select_from(CallSnapshot)
                             .where(CallSnapshot.dossier_id == dossier_id))


class Desk:
    """The agent's desk (1366×768)."""

    def __init__(self, page, base: str):
        self.page, self.base = page, base

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(SHOTS / f"desk-{name}.png"))

    def available(self) -> None:
        self.page.goto(f"{self.base}/desk")
        self.page.click("[data-presence=available]")
        self.page.wait_for_selector("#desk[data-presence=available][data-camera=on]")
        # the microphone check: the fake microphone's beep moves the level under the agent's picture
        self.page.wait_for_function("() => parseFloat(document.querySelector('[data-mic=level]').style.width) > 0",
                                    polling=100, timeout=10_000)

    def accept(self) -> None:
        self.page.wait_for_selector("#desk-ring:not([hidden])", timeout=20_000)
        self.page.click("[data-action=accept]")
        self.page.wait_for_selector("#desk[data-phase=call] #desk-stage[data-rtc=connected]", timeout=30_000)
        self.page.wait_for_function(FRAMES, arg="#desk-remote", polling=200, timeout=20_000)

    def verdict(self, passed: bool, reason: str = "", note: str = "") -> None:
        page = self.page
        if passed:
            for box in page.locator("#desk-checklist input").all():
                box.check()
        page.click("label[for=desk-pass]" if passed else "label[for=desk-fail]")
        if reason:
            page.select_option("#desk-reason", reason)
        if note:
            page.fill("#desk-note", note)
        page.click("#desk-verdict [type=submit]")
        page.wait_for_selector("#desk[data-phase=wrapup]")

    def wrap_up(self, note: str, outcome: str = "") -> None:
        if outcome:
            self.page.select_option("#desk-outcome", outcome)
        self.page.fill("#desk-wrapup-note", note)
        self.page.click("#desk-wrapup [type=submit]")
        self.page.wait_for_selector("#desk[data-phase=idle]")


class Customer:
    """The customer's phone-sized call page."""

    def __init__(self, page, base: str):
        self.page, self.base = page, base

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(SHOTS / f"customer-{name}.png"), full_page=True)

    def sign_in(self, phone: str) -> None:
        self.page.goto(f"{self.base}/chonso/dang-nhap")
        self.page.fill("#phone", phone)
        self.page.fill("#password", CUSTOMER_PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state()

    def call(self, hold_code: str) -> None:
        self.page.goto(f"{self.base}/chonso/hoa-mang/{hold_code}/goi-video")
        self.page.click("#call [data-action=call]:visible")
        self.page.wait_for_selector("#call[data-phase=waiting]")

    def connected(self) -> None:
        self.page.wait_for_selector("#call[data-phase=call] #call-stage[data-rtc=connected]", timeout=30_000)
        self.page.wait_for_function(FRAMES, arg="#call-remote", polling=200, timeout=20_000)


def test_a_customer_calls_the_agent_passes_then_fails_another_and_the_customer_calls_again(
        db, lan, delivered_order, paid_esim, make_staff, live, tmp_path):  # noqa: F811
    """E-5.1: the agent takes the call and saves pictures from it (a snapshot stored on the dossier)."""
    from portal.calls.models import RegionCallSettings

    agent = make_staff(Role.AGENT, region=1, username="vc_desk")
    with writing_now(db):
        db.session.add(RegionCallSettings(region_id=1, recording=True))  # the desk records (MediaRecorder chunks)
        db.session.commit()
    first = _ready_for_call(db, lan, delivered_order)
    second = _ready_for_call(db, lan, paid_esim)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("*.png"):
        old.unlink()
    from playwright.sync_api import sync_playwright

    console: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CALL_FLAGS)
        desk = Desk(staff_page(browser, live, agent.username, console), live)
        phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN").new_page()
        phone.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        me = Customer(phone, live)
        try:
            _two_calls(db, desk, me, lan, first, second)
        except Exception as exc:
            raise AssertionError(f"{exc}\n{_why([desk.page, phone], tmp_path)}") from exc
        browser.close()
    assert not [m for m in console if "Content Security Policy" in m], console


def _two_calls(db, desk: Desk, me: Customer, holder, first: Dossier, second: Dossier) -> None:
    """The two calls of the test above, as the two pages see them."""
    phone = me.page
    me.sign_in(holder.phone)
    desk.available()
    desk.shot("1-available")

    # --- the first dossier: ring, accept, video both ways, a snapshot, passed ---------------------------------
    me.call(first.ticket.hold_code)
    phone.wait_for_function("() => document.querySelector('[data-queue=position]').textContent.trim() === '1'")
    desk.page.wait_for_selector("#desk-ring:not([hidden])", timeout=20_000)
    assert holder.full_name in desk.page.inner_text("#desk-ring")
    desk.shot("2-ringing")
    me.shot("1-waiting")
    desk.accept()
    me.connected()
    assert phone.inner_text("[data-call=agent]").strip()  # the agent's first name
    desk.page.click("[data-action=snapshot]")
    desk.page.wait_for_selector("#desk-snapshots figure[data-snapshot-id]")
    assert _snapshots(db, first.id) == 1
    assert first.full_name in desk.page.inner_text("#desk-dossier")
    desk.page.wait_for_function("() => document.querySelector('#desk-dossier .pv-image').naturalWidth > 0")
    desk.shot("3-in-call")
    me.shot("2-in-call")
    assert desk.page.is_visible("#desk-rec")  # recording, in 3 s chunks
    desk.verdict(passed=True, note="Khách trả lời đúng, giấy tờ gốc khớp")  # waits for the last chunk
    phone.wait_for_selector("#call[data-phase=ended][data-passed=yes]", timeout=15_000)
    assert "Xác minh video thành công" in phone.inner_text("#call")
    me.shot("3-passed")
    assert _status(db, first.id) == DossierStatus.VERIFIED
    chunks = _recording(db, first.id)
    assert chunks and [seq for seq, _ in chunks] == list(range(len(chunks)))
    assert chunks[0][1] == bytes.fromhex("1A45DFA3")  # WebM (EBML) from the first chunk
    desk.shot("4-wrap-up")
    assert desk.page.input_value("#desk-outcome") == "verified"  # chosen from the verdict
    desk.wrap_up("Đã xác minh")

    # --- the second: failed with a reason; the customer reads it and calls again --------------------------------
    me.call(second.ticket.hold_code)
    desk.accept()
    me.connected()
    phone.reload()  # the customer's page drops mid-call: its socket comes back, the call resumes, the desk redials
    me.connected()
    desk.page.wait_for_function(FRAMES, arg="#desk-remote", polling=200, timeout=20_000)
    assert desk.page.get_attribute("#desk-stage", "data-rtc") == "connected"
    desk.verdict(passed=False, reason="face_mismatch", note="Người gọi không phải người trên giấy tờ")
    phone.wait_for_selector("#call[data-phase=ended][data-passed=no]", timeout=15_000)
    result = phone.inner_text("#call")
    assert "Xác minh video chưa đạt" in result and "Khuôn mặt không khớp" in result
    me.shot("4-failed")
    assert _status(db, second.id) == DossierStatus.VIDEO_FAILED
    desk.wrap_up("Không đạt: khuôn mặt không khớp", outcome="follow_up")
    phone.click("#call [data-action=call]:visible")  # "Gọi lại" (ACT-8 repeat)
    phone.wait_for_selector("#call[data-phase=waiting]")
    desk.page.wait_for_selector("#desk-ring:not([hidden])", timeout=20_000)
    assert holder.full_name in desk.page.inner_text("#desk-ring")


def test_without_the_camera_the_agent_stays_away_and_the_customer_is_told_how_to_allow_it(
        db, lan, delivered_order, make_staff, live):  # noqa: F811
    """Camera and microphone refused (no permission granted): the desk says what to do and does not go available;
    the customer's page says the same, and no call is asked for."""
    from portal.calls.models import Call

    agent = make_staff(Role.AGENT, region=1, username="vc_nocam")
    dossier = _ready_for_call(db, lan, delivered_order)
    from playwright.sync_api import sync_playwright

    console: list[str] = []
    with sync_playwright() as p:  # fake devices, but nobody answers the permission prompt: refused
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=[*CHROMIUM_FLAGS, "--use-fake-device-for-media-stream"])
        desk = staff_page(browser, live, agent.username, console)
        desk.goto(f"{live}/desk")
        desk.click("[data-presence=available]")
        desk.wait_for_selector("#desk[data-camera=denied]")
        assert "Trình duyệt đang chặn camera hoặc micro" in desk.inner_text("#desk-message")
        assert desk.get_attribute("#desk", "data-presence") == "offline"
        phone = Customer(browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN").new_page(),
                         live)
        phone.sign_in(lan.phone)
        phone.page.goto(f"{live}/chonso/hoa-mang/{dossier.ticket.hold_code}/goi-video")
        phone.page.click("#call [data-action=call]:visible")
        phone.page.wait_for_selector("#call-message:not([hidden])")
        assert "Bạn chưa cho phép dùng camera và micro" in phone.page.inner_text("#call-message")
        assert phone.page.get_attribute("#call", "data-phase") == "start"
        browser.close()
    _fresh(db)
    assert db.session.scalar(select(func.count()).select_from(Call)) == 0
