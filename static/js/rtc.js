// The video call's WebRTC, shared by the agent's desk (desk.js, the offerer) and the customer's call page (call.js,
// the answerer). Signalling goes over Socket.IO as {call_id, kind: offer|answer|candidate|bye, data}; this file
// only builds the messages and reads them. Candidates that arrive before the remote description wait for it.
(function () {
  "use strict";

  // The page's settings, rendered by the server as JSON in the data-json attribute of an element (no inline
  // script: the CSP allows none).
  function config(id) {
    const node = document.getElementById(id);
    return node && node.dataset.json ? JSON.parse(node.dataset.json) : null;
  }

  // Camera and microphone. Resolves to the stream, or rejects with a message for the person (from `text`).
  async function media(text) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      throw new Error(text.noDevices);
    }
    try {
      return await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true },
        video: { width: { ideal: 1280 }, height: { ideal: 720 }, facingMode: "user" }
      });
    } catch (error) {
      const known = { NotAllowedError: text.denied, SecurityError: text.denied, NotFoundError: text.noDevices,
                      OverconstrainedError: text.noDevices, NotReadableError: text.busy, AbortError: text.busy };
      throw new Error(known[error && error.name] || text.noDevices);
    }
  }

  // The camera previewed in `video` (muted): ask once, then the same stream while its tracks live; marks
  // root[data-camera=on]. Returns the function that gets it.
  function preview(video, root, text) {
    let stream = null;
    return async function () {
      if (stream && stream.getTracks().every((t) => t.readyState === "live")) { return stream; }
      stream = await media(text);
      video.srcObject = stream;
      video.play().catch(() => {});
      root.dataset.camera = "on";
      return stream;
    };
  }

  function stop(stream) {
    if (stream) { stream.getTracks().forEach((track) => track.stop()); }
  }

  // One peer connection for one call. `send(kind, data)` emits a signal; `onState(state)` hears
  // connectionState changes ("new", "connecting", "connected", "disconnected", "failed", "closed").
  function link(options) {
    const pc = new RTCPeerConnection({ iceServers: options.iceServers || [] });
    const waiting = [];
    let closed = false;
    options.stream.getTracks().forEach((track) => pc.addTrack(track, options.stream));
    const remote = new MediaStream();
    options.remote.srcObject = remote;
    pc.addEventListener("track", (event) => {
      remote.addTrack(event.track);
      options.remote.play().catch(() => {});  // muted autoplay needs no gesture; sound follows once allowed
    });
    pc.addEventListener("icecandidate", (event) => {
      if (event.candidate) { options.send("candidate", event.candidate.toJSON()); }
    });
    pc.addEventListener("connectionstatechange", () => options.onState(pc.connectionState));

    async function described(description) {
      await pc.setRemoteDescription(description);
      while (waiting.length) { await pc.addIceCandidate(waiting.shift()).catch(() => {}); }
    }

    return {
      pc: pc,
      remoteStream: remote,
      async offer() {
        const offer = await pc.createOffer();
        await pc.setLocalDescription(offer);
        options.send("offer", { type: pc.localDescription.type, sdp: pc.localDescription.sdp });
      },
      async receive(kind, data) {
        if (closed || !data) { return; }
        if (kind === "offer" && typeof data.sdp === "string") {
          await described({ type: "offer", sdp: data.sdp });
          const answer = await pc.createAnswer();
          await pc.setLocalDescription(answer);
          options.send("answer", { type: pc.localDescription.type, sdp: pc.localDescription.sdp });
        } else if (kind === "answer" && typeof data.sdp === "string" && pc.signalingState === "have-local-offer") {
          await described({ type: "answer", sdp: data.sdp });
        } else if (kind === "candidate" && typeof data.candidate === "string") {
          if (pc.remoteDescription) {
            await pc.addIceCandidate(data).catch(() => {});
          } else {
            waiting.push(data);
          }
        }
      },
      close() {
        if (closed) { return; }
        closed = true;
        pc.close();
        remote.getTracks().forEach((track) => remote.removeTrack(track));
        options.onState("closed");
      }
    };
  }

  // mm:ss for a number of seconds.
  function clock(seconds) {
    const s = Math.max(0, Math.round(seconds));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  function csrf() {
    const meta = document.querySelector("meta[name='csrf-token']");
    return meta ? meta.getAttribute("content") : "";
  }

  // POST a FormData (or JSON when `body` is a plain object); resolves to the JSON answer, rejects with the
  // server's message ({"error": {"code", "message"}}) or `fallback`.
  async function post(url, body, fallback) {
    const json = body && !(body instanceof FormData);
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: Object.assign({ "Accept": "application/json", "X-CSRFToken": csrf() },
                             json ? { "Content-Type": "application/json" } : {}),
      body: json ? JSON.stringify(body) : body
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error((answer.error && answer.error.message) || fallback);
      error.code = answer.error && answer.error.code;
      error.status = response.status;
      throw error;
    }
    return answer;
  }

  window.portalRtc = { config: config, media: media, preview: preview, stop: stop, link: link, clock: clock, post: post };
})();
