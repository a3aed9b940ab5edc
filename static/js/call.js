// The customer's video call (/chonso/hoa-mang/<hold_code>/goi-video): "Gọi video" checks the camera, asks for a
// call, then shows the place in the queue and the wait, live; once an agent accepts, answers the agent's WebRTC
// offer; at the end shows the result (passed → the next step; failed → the reason and "Gọi lại"). A dropped
// connection may be resumed within its window. The server owns every state; after a reconnect the page asks again.
(function () {
  "use strict";
  const root = document.getElementById("call");
  const cfg = window.portalRtc && window.portalRtc.config("call-config");
  if (!root || !cfg || !window.io) { return; }
  const rtc = window.portalRtc;
  const text = cfg.text;
  const $ = (selector) => root.querySelector(selector);
  const el = {
    message: $("#call-message"),
    local: $("#call-local"),
    remote: $("#call-remote"),
    stage: $("#call-stage"),
    note: $("#call-note"),
    position: $("[data-queue=position]"),
    eta: $("[data-queue=eta]"),
    agent: $("[data-call=agent]"),
    resultTitle: $("[data-result=title]"),
    reason: $("[data-result=reason]"),
    resumeLeft: $("[data-resume=left]")
  };
  const state = { callId: null, link: null, socket: null, resumeTimer: null };

  function say(message, tone) {
    el.message.textContent = message || "";
    el.message.dataset.tone = tone || "info";
    el.message.hidden = !message;
  }
  function phase(name) { root.dataset.phase = name; }  // start | waiting | call | dropped | ended (css/desk.css)

  const camera = rtc.preview(el.local, root, text);

  function waitText(seconds) {
    if (seconds === null || seconds === undefined) { return text.etaUnknown; }
    const minutes = Math.round(seconds / 60);
    return minutes < 1 ? text.etaUnderMinute : text.etaMinutes.replace("{n}", String(minutes));
  }
  function showQueue(data) {
    if (!data || (state.callId && data.call_id !== state.callId)) { return; }
    state.callId = data.call_id;
    el.position.textContent = data.position || "—";
    el.eta.textContent = waitText(data.eta_seconds);
    if (["queued", "ringing"].includes(data.status) && root.dataset.phase !== "call") {
      phase("waiting");
      el.note.textContent = data.status === "ringing" ? text.ringing : text.waiting;
    }
  }

  // --- asking for a call --------------------------------------------------------------------------------------------
  async function call() {
    say("");
    const button = $("[data-action=call]:not([hidden])") || $("[data-action=call]");
    root.querySelectorAll("[data-action=call]").forEach((b) => { b.disabled = true; });
    try {
      await camera();
      phase("waiting");
      el.note.textContent = text.requesting;
      const answer = await rtc.post(cfg.urls.request, {}, text.requestFailed);
      state.callId = answer.call_id;
      showQueue(answer);
      connect();
    } catch (error) {
      phase(root.dataset.phase === "waiting" ? "start" : root.dataset.phase);
      say(error.message, "danger");
      if (error.code === "outside_hours") { window.location.reload(); }  // the page then shows hours and booking
    } finally {
      root.querySelectorAll("[data-action=call]").forEach((b) => { b.disabled = false; });
      if (button) { button.blur(); }
    }
  }
  root.querySelectorAll("[data-action=call]").forEach((b) => b.addEventListener("click", call));

  async function hangup() {
    const live = root.dataset.phase === "call";
    if (state.socket && state.callId) {
      if (live) { state.socket.emit("signal", { call_id: state.callId, kind: "bye", data: {} }); }
      state.socket.emit("hangup", {});
    }
    closeLink();
    try {
      if (!live) { await rtc.post(cfg.urls.cancel, {}, text.cancelFailed); }
    } catch (error) {
      say(error.message, "danger");
    }
    state.callId = null;
    showEnded({ passed: null, reason: text.hungUp });
  }
  root.querySelectorAll("[data-action=hangup]").forEach((b) => b.addEventListener("click", hangup));

  // --- the call --------------------------------------------------------------------------------------------------
  function closeLink() {
    if (state.link) { state.link.close(); }
    state.link = null;
  }
  function onRtcState(value) {
    el.stage.dataset.rtc = value;
    if (value === "connected") {
      el.note.textContent = text.inCall;
    } else if (value === "disconnected" || value === "failed") {
      el.note.textContent = text.rtcUnstable;
    }
  }
  async function onSignal(data) {
    if (!data || data.call_id !== state.callId) { return; }
    if (data.kind === "offer") {  // the agent dials (again, after a resume or a failure): a fresh connection
      closeLink();
      window.clearInterval(state.resumeTimer);  // resumed: the countdown of a drop no longer runs
      phase("call");
      const stream = await camera().catch((error) => { say(error.message, "danger"); return null; });
      if (!stream) { return; }
      const send = (kind, payload) => state.socket.emit("signal", { call_id: state.callId, kind: kind, data: payload });
      state.link = rtc.link({ iceServers: cfg.iceServers, stream: stream, remote: el.remote, send: send,
                              onState: onRtcState });
    }
    if (data.kind === "bye") {
      closeLink();
      el.note.textContent = text.agentLeft;
      return;
    }
    if (state.link) { state.link.receive(data.kind, data.data).catch(() => {}); }
  }

  function showEnded(data) {
    closeLink();
    window.clearInterval(state.resumeTimer);
    phase("ended");
    root.dataset.passed = data.passed === true ? "yes" : data.passed === false ? "no" : "none";
    el.resultTitle.textContent = data.passed === true ? text.passed : data.passed === false ? text.failed : text.ended;
    el.reason.textContent = data.reason || "";
    const badge = document.querySelector(".dz-status");  // the dossier's status in the heading, as it now is
    if (badge && typeof data.passed === "boolean") {
      badge.textContent = data.passed ? text.statusVerified : text.statusFailed;
      badge.className = "badge dz-status dz-status-" + (data.passed ? "verified" : "video_failed");
    }
  }

  function showDropped(data) {
    closeLink();
    phase("dropped");
    const until = Date.parse(data.resumable_until);
    window.clearInterval(state.resumeTimer);
    const tick = () => {
      const left = (until - Date.now()) / 1000;
      el.resumeLeft.textContent = rtc.clock(left);
      if (!(left > 0)) {
        window.clearInterval(state.resumeTimer);
        showEnded({ passed: null, reason: text.resumeExpired });
      }
    };
    tick();
    state.resumeTimer = window.setInterval(tick, 1000);
  }
  async function resume() {
    say("");
    try {
      await camera();
      const answer = await rtc.post(cfg.urls.request, {}, text.requestFailed);
      state.callId = answer.call_id;
      window.clearInterval(state.resumeTimer);
      phase(answer.status === "connected" ? "call" : "waiting");
      el.note.textContent = text.resuming;
      connect();
    } catch (error) {
      say(error.message, "danger");
    }
  }
  $("[data-action=resume]").addEventListener("click", resume);

  // --- the socket: the customer's own namespace, authenticated by the session cookie ---------------------------------
  function connect() {
    if (state.socket) {
      if (state.socket.connected) { state.socket.emit("resync", {}); } else { state.socket.connect(); }
      return;
    }
    const socket = window.io("/call", { transports: ["websocket", "polling"] });
    state.socket = socket;
    let connectedOnce = false;
    socket.on("connect", () => {
      root.dataset.socket = "online";
      if (connectedOnce) { socket.emit("resync", {}); }
      connectedOnce = true;
    });
    socket.on("disconnect", () => {
      root.dataset.socket = "offline";
      if (["waiting", "call"].includes(root.dataset.phase)) { el.note.textContent = text.reconnecting; }
    });
    socket.on("queue", showQueue);
    socket.on("accepted", (data) => {
      if (!data || data.call_id !== state.callId || (state.link && state.link.pc.connectionState === "connected")) {
        return;
      }
      el.agent.textContent = data.agent_name || "";
      window.clearInterval(state.resumeTimer);
      phase("call");
      el.note.textContent = text.connecting;
    });
    socket.on("signal", (data) => { onSignal(data).catch(() => {}); });
    socket.on("ended", (data) => { if (data && data.call_id === state.callId) { showEnded(data); } });
    socket.on("dropped", (data) => { if (data && data.call_id === state.callId) { showDropped(data); } });
  }

  // --- the page as rendered: a call may already be live (a reload, a second tab) --------------------------------------
  const live = cfg.call;
  if (live && !live.live && live.passed !== null && live.passed !== undefined) {
    showEnded(live);  // the last call's verdict: passed → the next step; failed → why, and "Gọi lại"
  } else if (live && live.live) {
    state.callId = live.id;  // a reload (or a second tab): connecting again resumes a dropped call by itself
    phase(["connected", "dropped"].includes(live.status) ? "call" : "waiting");
    showQueue({ call_id: live.id, status: live.status, position: live.position, eta_seconds: live.eta_seconds });
    if (live.status === "dropped") { el.note.textContent = text.resuming; }
    camera().catch((error) => say(error.message, "danger"));
    connect();
  } else {
    phase("start");
  }
})();
