// The video-call desk (/desk, agents): presence, the ring (banner, WebAudio tone, countdown), the call (WebRTC as
// the offerer, snapshots, the question checklist, recording in chunks), the verdict and the wrap-up, and the day's
// figures. The server owns every state: this page asks (Socket.IO with acks, form posts) and shows what it is told;
// after a reconnect it asks again (`resync`), so a dropped socket loses no call.
(function () {
  "use strict";
  const root = document.getElementById("desk");
  const cfg = window.portalRtc && window.portalRtc.config("desk-config");
  if (!root || !cfg) { return; }
  const rtc = window.portalRtc;
  const text = cfg.text;
  const $ = (selector) => root.querySelector(selector);
  const el = {
    message: $("#desk-message"),
    presence: Array.from(root.querySelectorAll("[data-presence]")),
    ring: $("#desk-ring"),
    ringName: $("[data-ring=name]"),
    ringRegion: $("[data-ring=region]"),
    ringCountdown: $("[data-ring=countdown]"),
    ringBar: $("[data-ring=bar]"),
    stage: $("#desk-stage"),
    stageNote: $("#desk-stage-note"),
    remote: $("#desk-remote"),
    local: $("#desk-local"),
    snapshot: $("[data-action=snapshot]"),
    snapshots: $("#desk-snapshots"),
    rec: $("#desk-rec"),
    dossier: $("#desk-dossier"),
    checklist: $("#desk-checklist"),
    verdict: $("#desk-verdict"),
    wrapUp: $("#desk-wrapup"),
    timer: $("#desk-call-timer")
  };
  const state = {
    presence: cfg.presence || "offline",
    stream: null,        // the agent's camera and microphone
    offer: null,         // the ring on screen: {offer_id, call_id, expires_at, …}
    call: null,          // the live call: {id, link, recorder, snapshots, startedAt}
    wrapUpCallId: cfg.wrapUpCallId || null
  };

  // --- what the agent reads ------------------------------------------------------------------------------------
  function say(message, tone) {
    el.message.textContent = message || "";
    el.message.dataset.tone = tone || "info";
    el.message.hidden = !message;
  }
  function phase(name) { root.dataset.phase = name; }  // idle | ringing | call | verdict | wrapup (css/desk.css)
  function showPresence(status) {
    state.presence = status;
    root.dataset.presence = status;
    el.presence.forEach((button) => {
      const on = button.dataset.presence === status;
      button.classList.toggle("active", on);
      button.setAttribute("aria-pressed", String(on));
    });
    if (!state.call && !state.offer && !state.wrapUpCallId) {
      el.stageNote.textContent = text["idle_" + status] || "";
    }
  }
  function showFigures(figures) {
    if (!figures) { return; }
    root.querySelector("[data-figure=calls]").textContent = figures.calls;
    root.querySelector("[data-figure=avg]").textContent = rtc.clock(figures.avg_handle_seconds || 0);
    root.querySelector("[data-figure=missed]").textContent = figures.missed;
  }

  // --- the ring tone: two soft notes every 2.5 s, made with WebAudio (no sound file) --------------------------
  const tone = {
    context: null, timer: null,
    unlock() {  // called from a click: browsers let a page make sound only after a gesture
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!this.context && Context) { this.context = new Context(); }
      if (this.context && this.context.state === "suspended") { this.context.resume().catch(() => {}); }
    },
    note(frequency, at) {
      const c = this.context;
      const osc = c.createOscillator();
      const gain = c.createGain();
      osc.type = "sine";
      osc.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.18, at + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.45);
      osc.connect(gain).connect(c.destination);
      osc.start(at);
      osc.stop(at + 0.5);
    },
    start() {
      this.stop();
      if (!this.context) { return; }
      const ring = () => {
        const now = this.context.currentTime;
        this.note(659.25, now);
        this.note(523.25, now + 0.28);
      };
      ring();
      this.timer = window.setInterval(ring, 2500);
      root.dataset.tone = "on";
    },
    stop() {
      if (this.timer) { window.clearInterval(this.timer); }
      this.timer = null;
      root.dataset.tone = "off";
    }
  };

  // After a reload nothing has been clicked yet: the first click or key anywhere on the page allows the tone.
  ["pointerdown", "keydown"].forEach((type) => document.addEventListener(type, () => tone.unlock(), { once: true }));

  // --- camera and microphone -----------------------------------------------------------------------------------
  const camera = rtc.preview(el.local, root, text);
  async function devices() {
    state.stream = await camera();
    listen(state.stream);
    return state.stream;
  }

  // The microphone's level under the agent's own picture: the check shows that sound, too, is coming in.
  let meter = null;
  function listen(stream) {
    const Context = window.AudioContext || window.webkitAudioContext;
    const bar = root.querySelector("[data-mic=level]");
    if (!Context || !bar || !stream.getAudioTracks().length || (meter && meter.stream === stream)) { return; }
    if (meter) { meter.context.close().catch(() => {}); }
    const context = new Context();
    const analyser = context.createAnalyser();
    analyser.fftSize = 512;
    context.createMediaStreamSource(stream).connect(analyser);
    const samples = new Uint8Array(analyser.fftSize);
    meter = { stream: stream, context: context };
    const mine = meter;
    const tick = () => {
      if (meter !== mine) { return; }
      analyser.getByteTimeDomainData(samples);
      let peak = 0;
      samples.forEach((v) => { peak = Math.max(peak, Math.abs(v - 128)); });
      bar.style.width = Math.min(100, Math.round(peak / 128 * 160)) + "%";
      window.setTimeout(tick, 100);
    };
    context.resume().catch(() => {}).then(tick);
  }

  // --- presence --------------------------------------------------------------------------------------------------
  const socket = window.portal.connect("/desk");
  function ask(event, payload) {  // an emit with its ack, or a failure after 10 s
    return new Promise((resolve) => {
      socket.timeout(10000).emit(event, payload, (error, answer) => {
        resolve(error ? { ok: false, code: "timeout" } : (answer || { ok: false }));
      });
    });
  }

  async function setPresence(status) {
    tone.unlock();
    let devicesOk = false;
    if (status === "available") {
      say(text.checkingDevices);
      try {
        await devices();
        devicesOk = true;
      } catch (error) {
        say(error.message, "danger");
        root.dataset.camera = "denied";
        return;
      }
    }
    const answer = await ask("presence", { status: status, devices_ok: devicesOk });
    if (answer.ok) {
      showPresence(answer.status || status);
      say("");
      if (status !== "available" && !state.call) {  // on a break or away: the camera's light goes off
        rtc.stop(state.stream);
        state.stream = null;
        if (meter) { meter.context.close().catch(() => {}); meter = null; }
        el.local.srcObject = null;
        root.dataset.camera = "off";
      }
    } else {
      say(text["presence_" + answer.code] || text.presenceFailed, "danger");
    }
  }
  el.presence.forEach((button) => button.addEventListener("click", () => setPresence(button.dataset.presence)));

  // --- the ring ----------------------------------------------------------------------------------------------------
  let countdown = null;
  function ringDeadline(offer) {
    // The server's expires_at, unless this computer's clock disagrees with it by more than the ring itself.
    const seconds = Number(offer.ring_seconds) || 20;
    const at = Date.parse(offer.expires_at);
    const now = Date.now();
    return Number.isFinite(at) && at > now - 1000 && at <= now + (seconds + 2) * 1000 ? at : now + seconds * 1000;
  }
  function showRing(offer) {
    if (state.call || (state.offer && state.offer.offer_id === offer.offer_id)) { return; }
    state.offer = Object.assign({}, offer, { deadline: ringDeadline(offer) });
    el.ringName.textContent = offer.customer_name || "";
    el.ringRegion.textContent = offer.region || "";
    el.ring.hidden = false;
    phase("ringing");
    tone.start();
    const total = Math.max(1, (state.offer.deadline - Date.now()) / 1000);
    const tick = () => {
      const left = (state.offer.deadline - Date.now()) / 1000;
      el.ringCountdown.textContent = Math.max(0, Math.ceil(left));
      el.ringBar.style.width = Math.max(0, Math.min(100, 100 * left / total)) + "%";
      if (left <= 0) { hideRing(text.ringTimeout); }
    };
    tick();
    window.clearInterval(countdown);
    countdown = window.setInterval(tick, 200);
    root.querySelector("[data-action=accept]").focus();
  }
  function hideRing(message) {
    window.clearInterval(countdown);
    tone.stop();
    state.offer = null;
    el.ring.hidden = true;
    if (!state.call) { phase(state.wrapUpCallId ? "wrapup" : "idle"); }
    if (message) { say(message, "warning"); }
  }

  async function accept() {
    const offer = state.offer;
    if (!offer) { return; }
    root.querySelector("[data-action=accept]").disabled = true;
    try {
      await devices();
    } catch (error) {
      say(error.message, "danger");
      root.querySelector("[data-action=accept]").disabled = false;
      return;
    }
    const answer = await ask("accept", { offer_id: offer.offer_id });
    root.querySelector("[data-action=accept]").disabled = false;
    hideRing();
    if (!answer.ok) {
      say(text["accept_" + answer.code] || text.acceptFailed, "warning");
      return;
    }
    say("");
    await openCall(answer.call_id);
  }
  async function decline() {
    const offer = state.offer;
    if (!offer) { return; }
    hideRing();
    await ask("decline", { offer_id: offer.offer_id });
  }
  root.querySelector("[data-action=accept]").addEventListener("click", accept);
  root.querySelector("[data-action=decline]").addEventListener("click", decline);

  // --- the dossier panel: rendered by the server (GET /desk/calls/<id>/panel) for the call just accepted ----------
  async function loadDossier(callId) {
    const response = await fetch(url("panel", callId), { credentials: "same-origin", headers: { "Accept": "text/html" } });
    if (response.ok) {
      el.dossier.innerHTML = await response.text();
      bindDossier();
    }
  }
  function panel() { return el.dossier.querySelector("[data-dossier-call]"); }
  function bindDossier() {
    const viewer = el.dossier.querySelector(".pv-viewer");
    if (viewer && window.portalPhotoViewer) { window.portalPhotoViewer(viewer); }
  }

  // --- the call ----------------------------------------------------------------------------------------------------
  function url(name, callId) { return cfg.urls[name].replace("/0/", "/" + callId + "/"); }

  function shuffle(items) {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i -= 1) {
      const j = Math.floor(Math.random() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
  function showChecklist() {
    const questions = panel() ? JSON.parse(panel().dataset.questions || "[]") : [];
    el.checklist.replaceChildren(...shuffle(questions).map((question, i) => {
      const item = document.createElement("li");
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.className = "form-check-input me-2";
      box.id = "desk-q" + i;
      box.addEventListener("change", checkVerdict);
      label.htmlFor = box.id;
      label.append(box, document.createTextNode(question));
      item.append(label);
      return item;
    }));
  }
  function checklistDone() {
    return Array.from(el.checklist.querySelectorAll("input")).every((box) => box.checked);
  }

  function signal(kind, data) {
    if (state.call) { socket.emit("signal", { call_id: state.call.id, kind: kind, data: data }); }
  }
  function onRtcState(value) {
    el.stage.dataset.rtc = value;
    if (!state.call) { return; }
    if (value === "connected") {
      el.stageNote.textContent = "";
      startRecording();
    } else if (value === "failed") {
      el.stageNote.textContent = text.rtcFailed;
      window.setTimeout(() => { if (state.call && el.stage.dataset.rtc === "failed") { dial(); } }, 1500);
    } else if (value === "disconnected") {
      el.stageNote.textContent = text.rtcUnstable;
    }
  }
  function dial() {  // a new peer connection and offer: at the start, after the customer resumes, after a failure
    const call = state.call;
    if (call.link) { call.link.close(); }
    call.link = rtc.link({ iceServers: cfg.iceServers, stream: state.stream, remote: el.remote, send: signal,
                           onState: onRtcState });
    el.stageNote.textContent = text.connecting;
    call.link.offer().catch(() => { el.stageNote.textContent = text.rtcFailed; });
  }

  async function openCall(callId) {
    if (state.call && state.call.id === callId) { return; }
    state.call = { id: callId, link: null, recorder: null, snapshots: 0, startedAt: Date.now(), recording: false };
    root.dataset.callId = callId;
    phase("call");
    el.verdict.reset();
    state.call.snapshots = el.snapshots.children.length;  // a reload mid-call: the server rendered them
    if (!panel() || panel().dataset.dossierCall !== String(callId)) { await loadDossier(callId); }
    state.call.recording = Boolean(panel() && panel().dataset.recording === "1");
    showChecklist();
    checkVerdict();
    try {
      await devices();
    } catch (error) {
      say(error.message, "danger");
      return;
    }
    dial();
  }
  function closeCall() {
    const call = state.call;
    if (!call) { return; }
    if (call.link) { call.link.close(); }
    state.call = null;
    delete root.dataset.callId;
    el.remote.srcObject = null;
    el.snapshots.replaceChildren();
  }

  // The call's clock, shown while a call is open.
  window.setInterval(() => {
    el.timer.textContent = state.call ? rtc.clock((Date.now() - state.call.startedAt) / 1000) : "";
  }, 1000);

  // --- snapshots: a frame of the customer's video → JPEG → the dossier ------------------------------------------
  async function snapshot() {
    const video = el.remote;
    if (!state.call || !video.videoWidth) { say(text.noVideo, "warning"); return; }
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.92));
    const form = new FormData();
    form.append("image", blob, "snapshot.jpg");
    el.snapshot.disabled = true;
    try {
      const answer = await rtc.post(url("snapshot", state.call.id), form, text.snapshotFailed);
      const figure = document.createElement("figure");
      const image = document.createElement("img");
      image.src = URL.createObjectURL(blob);
      image.alt = text.snapshot;
      const caption = document.createElement("figcaption");
      caption.textContent = new Date().toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit",
                                                                     second: "2-digit" });
      figure.dataset.snapshotId = answer.id;
      figure.append(image, caption);
      el.snapshots.append(figure);
      state.call.snapshots += 1;
      checkVerdict();
    } catch (error) {
      say(error.message, "danger");
    } finally {
      el.snapshot.disabled = false;
    }
  }
  el.snapshot.addEventListener("click", snapshot);

  // --- recording: the customer's video with the agent's in a corner, both voices; a chunk every 3 s ---------------
  function startRecording() {
    const call = state.call;
    if (!call || call.recorder || !call.recording) { return; }
    if (!window.MediaRecorder || !HTMLCanvasElement.prototype.captureStream) {
      say(text.noRecorder, "warning");
      return;
    }
    const canvas = document.createElement("canvas");
    canvas.width = 1280;
    canvas.height = 720;
    const g = canvas.getContext("2d");
    const fit = (video, x, y, w, h) => {  // contain the video in the box, keeping its shape
      if (!video.videoWidth) { return; }
      const scale = Math.min(w / video.videoWidth, h / video.videoHeight);
      const vw = video.videoWidth * scale;
      const vh = video.videoHeight * scale;
      g.drawImage(video, x + (w - vw) / 2, y + (h - vh) / 2, vw, vh);
    };
    const draw = () => {
      g.fillStyle = "#000";
      g.fillRect(0, 0, 1280, 720);
      fit(el.remote, 0, 0, 1280, 720);
      fit(el.local, 1280 - 336, 720 - 200, 320, 180);
    };
    const painter = window.setInterval(draw, 1000 / 15);
    const out = canvas.captureStream(15);
    const audio = new (window.AudioContext || window.webkitAudioContext)();
    const mix = audio.createMediaStreamDestination();
    [state.stream, call.link.remoteStream].forEach((stream) => {
      if (stream.getAudioTracks().length) { audio.createMediaStreamSource(stream).connect(mix); }
    });
    mix.stream.getAudioTracks().forEach((track) => out.addTrack(track));
    const type = ["video/webm;codecs=vp8,opus", "video/webm"].find((t) => MediaRecorder.isTypeSupported(t));
    const recorder = new MediaRecorder(out, { mimeType: type, videoBitsPerSecond: 900000 });
    const uploads = { seq: 0, chain: Promise.resolve(), failed: 0 };
    recorder.addEventListener("dataavailable", (event) => {
      if (!event.data || !event.data.size) { return; }
      const seq = uploads.seq;
      uploads.seq += 1;
      uploads.chain = uploads.chain.then(() => sendChunk(call.id, seq, event.data, uploads));
    });
    const stopped = new Promise((resolve) => recorder.addEventListener("stop", resolve));
    call.recorder = {
      async finish() {  // stop, then wait until the last chunk is on the server
        if (recorder.state !== "inactive") { recorder.stop(); }
        await stopped;
        window.clearInterval(painter);
        audio.close().catch(() => {});
        await uploads.chain;
        el.rec.hidden = true;
      }
    };
    recorder.start(cfg.recordingTimeslice || 3000);
    el.rec.hidden = false;
  }
  async function sendChunk(callId, seq, blob, uploads) {
    const form = new FormData();
    form.append("seq", String(seq));
    form.append("chunk", blob, "chunk-" + seq + ".webm");
    let lastError = "";
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        await rtc.post(url("recording", callId), form, text.recordingFailed);
        el.rec.dataset.chunks = String(seq + 1);
        return;
      } catch (error) {
        lastError = error.message;
        if (error.status && error.status < 500) { break; }  // refused: retrying will not help
        await new Promise((resolve) => window.setTimeout(resolve, 1000 * (attempt + 1)));
      }
    }
    uploads.failed += 1;
    el.rec.dataset.failed = String(uploads.failed);
    say(lastError || text.recordingFailed, "warning");
  }

  // --- verdict, then wrap-up ----------------------------------------------------------------------------------------
  function checkVerdict() {
    const form = el.verdict;
    const passed = form.querySelector("[name=passed]:checked");
    const failing = passed && passed.value === "0";
    form.querySelector(".desk-fail").hidden = !failing;
    form.querySelector("[name=reason]").required = failing;
    form.querySelector("[name=note]").required = failing && form.querySelector("[name=reason]").value === "other";
    const ready = !state.call || (checklistDone() && state.call.snapshots > 0);
    const pass = form.querySelector("[name=passed][value='1']");
    pass.disabled = !ready;
    if (pass.disabled && pass.checked) { pass.checked = false; }
    form.querySelector(".desk-pass-hint").hidden = ready;
  }
  el.verdict.addEventListener("change", checkVerdict);
  el.verdict.addEventListener("submit", async (event) => {
    event.preventDefault();
    const call = state.call;
    if (!call) { return; }
    const form = new FormData(el.verdict);
    const button = el.verdict.querySelector("[type=submit]");
    button.disabled = true;
    try {
      if (call.recorder) { await call.recorder.finish(); }
      await rtc.post(url("verdict", call.id), form, text.verdictFailed);
      signal("bye", {});
      state.wrapUpCallId = call.id;
      closeCall();
      openWrapUp(form.get("passed") === "1" ? "verified" : "");
    } catch (error) {
      say(error.message, "danger");
    } finally {
      button.disabled = false;
    }
  });

  function openWrapUp(outcome) {
    phase("wrapup");
    el.wrapUp.reset();
    const choice = el.wrapUp.querySelector("[name=outcome]");
    if (outcome && choice.querySelector("option[value='" + outcome + "']")) { choice.value = outcome; }
    el.stageNote.textContent = text.wrapUpFirst;
    el.wrapUp.querySelector("select, textarea").focus();
  }
  el.wrapUp.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = el.wrapUp.querySelector("[type=submit]");
    button.disabled = true;
    try {
      const answer = await rtc.post(url("wrapUp", state.wrapUpCallId), new FormData(el.wrapUp), text.wrapUpFailed);
      showFigures(answer.figures);
      state.wrapUpCallId = null;
      el.dossier.replaceChildren();
      phase("idle");
      showPresence(state.presence);
      say(text.wrapUpDone, "success");
    } catch (error) {
      say(error.message, "danger");
    } finally {
      button.disabled = false;
    }
  });

  // --- what the server says ----------------------------------------------------------------------------------------
  socket.on("ring", showRing);
  socket.on("ring_cancelled", (data) => {
    if (state.offer && data && data.offer_id === state.offer.offer_id) {
      hideRing(text["ring_" + data.reason] || text.ringCancelled);
    }
  });
  socket.on("presence", (data) => { if (data && data.status) { showPresence(data.status); } });
  socket.on("figures", showFigures);
  socket.on("waiting", (data) => {  // customers waiting in the region: the bar and the menu's badge
    if (!data || typeof data.count !== "number") { return; }
    const figure = root.querySelector("[data-figure=waiting]");
    figure.textContent = data.count;
    figure.dataset.count = String(data.count);
    const badge = document.querySelector("[data-nav-count='desk.index']");
    if (badge) {
      badge.textContent = data.count;
      badge.hidden = data.count === 0;
    }
  });
  socket.on("call_state", (data) => {
    if (!data) { return; }
    const mine = state.call && state.call.id === data.call_id;
    if (data.status === "connected") {
      if (!mine) {
        openCall(data.call_id);
      } else if (state.call.dropped) {
        state.call.dropped = false;
        dial();  // the customer came back (resume): a fresh connection
      }
    } else if (data.status === "dropped" && mine) {
      state.call.dropped = true;
      if (state.call.link) { state.call.link.close(); }
      state.call.link = null;
      el.stageNote.textContent = text.customerDropped;
      el.stage.dataset.rtc = "dropped";
    } else if (mine && ["ended", "abandoned", "cancelled", "expired"].includes(data.status)) {
      const wasOpen = state.call;
      closeCall();
      if (data.status !== "ended" && wasOpen) {
        say(text["call_" + data.status] || text.callClosed, "warning");
        state.wrapUpCallId = data.call_id;
        openWrapUp();
      }
    }
  });
  socket.on("signal", (data) => {
    if (!data || !state.call || data.call_id !== state.call.id || !state.call.link) { return; }
    if (data.kind === "bye") {
      el.stageNote.textContent = text.customerLeft;
      return;
    }
    state.call.link.receive(data.kind, data.data).catch(() => {});
  });
  let connectedOnce = false;
  socket.on("connect", () => {
    if (connectedOnce) { socket.emit("resync", {}); }  // on the first connect the server re-sends by itself
    connectedOnce = true;
  });

  // --- the page as rendered --------------------------------------------------------------------------------------
  showPresence(state.presence);
  showFigures(cfg.figures);
  if (cfg.offer && !cfg.call) {
    showRing(cfg.offer);  // the socket's `ring` says the same on connect; the same offer shows once
  }
  if (cfg.call && cfg.call.status === "connected") {
    openCall(cfg.call.id);
  } else if (state.wrapUpCallId) {
    openWrapUp();
  } else {
    phase("idle");
  }
  if (state.presence === "available") {  // a reload while available: the preview again, and the same check
    devices().catch((error) => { say(error.message, "danger"); root.dataset.camera = "denied"; });
  }
  bindDossier();
})();
