// The web import's progress bar (templates/numbers/import_progress.html): polls the import's JSON every second
// and moves the bar; when the import has finished, reloads the page, which lists the errors by line.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box) return;
  var bar = box.querySelector("[data-bar]");
  var meter = box.querySelector("[role=progressbar]");
  var fmt = function (n) { return Number(n).toLocaleString("vi-VN"); };

  function show(percent) {
    bar.style.width = percent + "%";  // a style property set from script: allowed by the CSP (no inline style)
    bar.textContent = percent + "%";
    meter.setAttribute("aria-valuenow", String(percent));
  }

  show(Number(bar.getAttribute("data-width")) || 0);
  if (box.getAttribute("data-finished") === "true") return;

  function poll() {
    fetch(box.getAttribute("data-progress-url"), {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (p) {
        show(p.percent);
        box.querySelectorAll("[data-count]").forEach(function (el) { el.textContent = fmt(p[el.dataset.count]); });
        if (p.finished) { window.location.reload(); return; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
})();
