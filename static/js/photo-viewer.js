// Staff's photo viewer (dossier page): pick a photo, zoom (buttons, wheel), pan (drag), rotate by 90°, fit again.
// No library; the transform is set through the CSSOM (the CSP allows no inline style attributes).
// Each `.pv-viewer` on the page is bound at load; a viewer added later (the video desk's dossier panel) is bound by
// calling `window.portalPhotoViewer(element)`.
(function () {
  "use strict";
  function bind(root) {
    var stage = root.querySelector(".pv-stage");
    var image = root.querySelector(".pv-image");
    if (!stage || !image || root.dataset.pvBound) { return; }
    root.dataset.pvBound = "1";
    var thumbs = Array.prototype.slice.call(root.querySelectorAll(".pv-thumb[data-src]"));
    var view = { scale: 1, angle: 0, x: 0, y: 0 };

    function apply() {
      image.style.transform = "translate(" + view.x + "px, " + view.y + "px) rotate(" + view.angle + "deg) scale(" +
        view.scale + ")";
    }
    function reset() { view = { scale: 1, angle: view.angle % 360, x: 0, y: 0 }; apply(); }
    function zoom(factor) {
      view.scale = Math.min(8, Math.max(0.5, view.scale * factor));
      apply();
    }
    function show(thumb) {
      thumbs.forEach(function (t) { t.classList.toggle("active", t === thumb); });
      image.src = thumb.dataset.src;
      image.alt = thumb.dataset.label;
      view = { scale: 1, angle: 0, x: 0, y: 0 };
      apply();
    }

    var actions = {
      "zoom-in": function () { zoom(1.25); },
      "zoom-out": function () { zoom(0.8); },
      "rotate": function () { view.angle += 90; apply(); },
      "reset": function () { view.angle = 0; reset(); }
    };
    root.querySelectorAll("[data-pv]").forEach(function (button) {
      button.addEventListener("click", function () { actions[button.dataset.pv](); });
    });
    thumbs.forEach(function (thumb) { thumb.addEventListener("click", function () { show(thumb); }); });

    stage.addEventListener("wheel", function (event) {
      event.preventDefault();
      zoom(event.deltaY < 0 ? 1.1 : 0.9);
    }, { passive: false });
    var drag = null;
    stage.addEventListener("pointerdown", function (event) {
      drag = { x: event.clientX - view.x, y: event.clientY - view.y };
      stage.setPointerCapture(event.pointerId);
      stage.classList.add("pv-dragging");
    });
    stage.addEventListener("pointermove", function (event) {
      if (!drag) { return; }
      view.x = event.clientX - drag.x;
      view.y = event.clientY - drag.y;
      apply();
    });
    function endDrag() { drag = null; stage.classList.remove("pv-dragging"); }
    stage.addEventListener("pointerup", endDrag);
    stage.addEventListener("pointercancel", endDrag);
    stage.addEventListener("keydown", function (event) {
      var key = { "+": "zoom-in", "=": "zoom-in", "-": "zoom-out", "r": "rotate", "0": "reset" }[event.key];
      if (key) { event.preventDefault(); actions[key](); }
    });

    if (thumbs.length) { show(thumbs[0]); }
  }
  window.portalPhotoViewer = bind;
  document.querySelectorAll(".pv-viewer").forEach(bind);
})();
