// The signature canvas (ACT-9, ESIM-8): draw with a finger, a pen or the mouse (pointer events), "Xóa và ký lại"
// clears it; on submit the drawing goes as a PNG data URL in the hidden field. The server judges by the pixels
// whether there is a signature at all (an empty canvas is refused there, not only here).
(function () {
  "use strict";
  var pad = document.querySelector("[data-sign-pad]");
  if (!pad) { return; }
  var canvas = pad.querySelector("canvas");
  var field = document.querySelector("[data-sign-value]");
  var form = document.querySelector("[data-sign-form]");
  var context = canvas.getContext("2d");
  var drawing = false;
  var inked = false;
  var last = null;

  function fit() {
    // The backing store follows the displayed size (and the screen's pixel ratio) so strokes stay sharp.
    var ratio = Math.max(window.devicePixelRatio || 1, 1);
    var box = canvas.getBoundingClientRect();
    canvas.width = Math.round(box.width * ratio);
    canvas.height = Math.round(box.height * ratio);
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.lineWidth = 2.5;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.strokeStyle = "#0b1f4b";
    inked = false;
    pad.classList.remove("dz-inked");
  }

  function point(event) {
    var box = canvas.getBoundingClientRect();
    return { x: event.clientX - box.left, y: event.clientY - box.top };
  }

  canvas.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    drawing = true;
    last = point(event);
    context.beginPath();
    context.arc(last.x, last.y, 1.2, 0, Math.PI * 2);
    context.fillStyle = context.strokeStyle;
    context.fill();
  });
  canvas.addEventListener("pointermove", function (event) {
    if (!drawing) { return; }
    event.preventDefault();
    var next = point(event);
    context.beginPath();
    context.moveTo(last.x, last.y);
    context.lineTo(next.x, next.y);
    context.stroke();
    last = next;
    inked = true;
    pad.classList.add("dz-inked");
  });
  ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
    canvas.addEventListener(name, function () { drawing = false; });
  });
  document.querySelector("[data-sign-clear]").addEventListener("click", function () {
    context.clearRect(0, 0, canvas.width, canvas.height);
    field.value = "";
    inked = false;
    pad.classList.remove("dz-inked");
  });
  form.addEventListener("submit", function () {
    field.value = inked ? canvas.toDataURL("image/png") : "";
  });
  window.addEventListener("resize", function () { if (!inked) { fit(); } });
  fit();
})();
