// The hold form (HOLD-6..11): eSIM hides receiving and COD; physical SIM shows the store list or the delivery form;
// the stores of the chosen province (then its region) come first. The server checks everything again.
(function () {
  "use strict";
  var form = document.getElementById("hold-form");
  if (!form) { return; }
  function value(name) {
    var checked = form.querySelector("input[name='" + name + "']:checked");
    return checked ? checked.value : "";
  }
  function show(selector, visible) {
    form.querySelectorAll(selector).forEach(function (el) { el.classList.toggle("cs-hidden", !visible); });
  }
  function sortStores() {
    var province = form.querySelector("select[name='province']").value;
    var list = document.getElementById("store-list");
    if (!list) { return; }
    var options = Array.prototype.slice.call(list.querySelectorAll(".cs-store-option"));
    var region = null;
    options.forEach(function (o) { if (o.dataset.province === province) { region = o.dataset.region; } });
    options.sort(function (a, b) {
      var ka = (a.dataset.province === province ? 0 : 2) + (region && a.dataset.region === region ? 0 : 1);
      var kb = (b.dataset.province === province ? 0 : 2) + (region && b.dataset.region === region ? 0 : 1);
      return ka - kb;
    });
    options.forEach(function (o) { list.appendChild(o); });
  }
  function update() {
    var esim = value("sim_type") === "esim";
    var email = form.querySelector("input[name='receive_method'][value='email']");
    if (email) {  // e-mail is the eSIM's only way: chosen for it, never offered to a physical SIM
      email.closest(".form-check").classList.add("cs-hidden");
      if (esim) { email.checked = true; }
      if (!esim && email.checked) { form.querySelector("input[name='receive_method'][value='delivery']").checked = true; }
    }
    var receive = value("receive_method");
    show(".cs-physical", !esim);
    show(".cs-esim-note", esim);
    show(".cs-store", !esim && receive === "store");
    show(".cs-delivery", !esim && receive === "delivery");
    var cod = form.querySelector("input[name='payment_method'][value='cod']");
    if (cod) {
      cod.closest(".form-check").classList.toggle("cs-hidden", esim);
      if (esim && cod.checked) { form.querySelector("input[name='payment_method'][value='online']").checked = true; }
    }
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "province") { sortStores(); }
    update();
  });
  sortStores();
  update();
})();
