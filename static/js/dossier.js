// The activation page: "Xác thực thông tin" takes a second or two; say so and do not send it twice.
(function () {
  "use strict";
  document.querySelectorAll("form[data-busy-form]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type='submit']");
      if (button) {
        button.disabled = true;
        button.textContent = button.dataset.busyLabel || button.textContent;
      }
    });
  });
})();
