// Photo capture (ACT-5, ESIM-4): the camera with a card-shaped guide (an oval for the portrait), shoot, look,
// retake or send. The whole frame is sent as a JPEG; the server judges it by its content and re-encodes it without
// metadata. Without a camera (or permission) the plain file form below does the same job.
(function () {
  "use strict";
  var root = document.querySelector(".dz-capture");
  if (!root) { return; }
  var camera = root.querySelector(".dz-camera");
  var video = root.querySelector(".dz-video");
  var canvas = root.querySelector(".dz-shot");
  var status = root.querySelector(".dz-message");
  var buttons = {};
  ["shoot", "use", "retake"].forEach(function (name) {
    buttons[name] = root.querySelector("[data-action='" + name + "']");
  });
  var token = document.querySelector("meta[name='csrf-token']").getAttribute("content");
  var stream = null;
  var shot = null;

  function say(text, tone) {
    status.textContent = text || "";
    status.className = "dz-message" + (tone ? " text-" + tone : "");
  }
  function show(names) {
    Object.keys(buttons).forEach(function (name) { buttons[name].hidden = names.indexOf(name) < 0; });
  }
  function stop() {
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); stream = null; }
  }
  function live() {
    shot = null;
    canvas.hidden = true;
    video.hidden = false;
    show(["shoot"]);
  }

  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    say(root.dataset.noCamera, "warning");
    return;
  }
  navigator.mediaDevices.getUserMedia({
    audio: false,
    video: { facingMode: { ideal: root.dataset.facing }, width: { ideal: 1920 }, height: { ideal: 1080 } }
  }).then(function (s) {
    stream = s;
    video.srcObject = s;
    camera.hidden = false;
    live();
    return video.play();
  }).catch(function () {
    say(root.dataset.noCamera, "warning");
  });

  buttons.shoot.addEventListener("click", function () {
    var w = video.videoWidth, h = video.videoHeight;
    if (!w || !h) { return; }
    canvas.width = w;
    canvas.height = h;
    canvas.getContext("2d").drawImage(video, 0, 0, w, h);
    canvas.toBlob(function (blob) {
      shot = blob;
      video.hidden = true;
      canvas.hidden = false;
      show(["use", "retake"]);
      say("");
    }, "image/jpeg", 0.92);
  });

  buttons.retake.addEventListener("click", function () { say(""); live(); });

  buttons.use.addEventListener("click", function () {
    if (!shot) { return; }
    var body = new FormData();
    body.append("csrf_token", token);
    body.append("photo", shot, "photo.jpg");
    show([]);
    say(root.dataset.sending, "muted");
    fetch(root.dataset.upload, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": token }
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (answer) {
      if (answer.ok) {
        say(answer.data.message, "success");
        stop();
        window.location.assign(answer.data.next);
      } else {
        say(answer.data.error ? answer.data.error.message : root.dataset.failed, "danger");
        show(["use", "retake"]);
      }
    }).catch(function () {
      say(root.dataset.failed, "danger");
      show(["use", "retake"]);
    });
  });

  window.addEventListener("pagehide", stop);
})();
