// The counter screens: the amount to collect follows the refuse controls and the kept / not kept
// choices as staff tap them. The server computes it again on submit; this is only the preview.
(function () {
  "use strict";
  function money(amount, currency) {
    var lang = document.documentElement.lang || "pl";
    return new Intl.NumberFormat(lang === "pl" ? "pl-PL" : "en-GB", { style: "currency", currency: currency }).format(amount);
  }
  function recompute(form) {
    var currency = form.getAttribute("data-currency");
    var total = parseFloat(form.getAttribute("data-total"));
    var payInStore = form.getAttribute("data-pay-in-store") === "1";
    var refused = 0;
    form.querySelectorAll("[data-line]").forEach(function (line) {
      var amount = parseFloat(line.getAttribute("data-amount"));
      var quantity = parseInt(line.getAttribute("data-quantity"), 10);
      var units = 0;
      var input = line.querySelector("input[type=number]");
      if (input) {
        units = Math.max(0, Math.min(quantity, parseInt(input.value, 10) || 0));
      } else if (line.querySelector("[data-not-kept]:checked")) {
        units = quantity;
      }
      line.classList.toggle("refused", units > 0);
      line.classList.toggle("all-refused", units === quantity);
      refused += units === quantity ? amount : Math.round(amount * units / quantity * 100) / 100;
    });
    refused = Math.min(refused, total);
    var collect = payInStore ? total - refused : 0;
    document.querySelectorAll("[data-collect]").forEach(function (el) { el.textContent = money(collect, currency); });
    document.querySelectorAll("[data-refused]").forEach(function (el) { el.textContent = money(refused, currency); });
    document.querySelectorAll("[data-refused-label]").forEach(function (el) { el.hidden = refused <= 0; });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-handover]").forEach(function (form) {
      form.addEventListener("click", function (event) {
        var button = event.target.closest("[data-step]");
        if (!button) return;
        var input = button.parentNode.querySelector("input[type=number]");
        var next = (parseInt(input.value, 10) || 0) + parseInt(button.getAttribute("data-step"), 10);
        input.value = Math.max(0, Math.min(parseInt(input.max, 10), next));
        recompute(form);
      });
      form.addEventListener("input", function () { recompute(form); });
      form.addEventListener("change", function () { recompute(form); });
    });
  });
})();
