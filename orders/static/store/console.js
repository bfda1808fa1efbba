// omnishop store console: small progressive behaviour; every page works without it.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // A select that submits its form when changed (the store switcher); its button is hidden with JS on.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]")) {
      target.form.submit();
    }
  });

  // A region refreshed from its fragment URL every data-refresh seconds (the queue), without a full reload.
  function refresher(region) {
    var seconds = parseInt(region.getAttribute("data-refresh"), 10) || 30;
    var url = region.getAttribute("data-refresh-url");
    var busy = false;
    function load() {
      if (busy || document.hidden) return;
      busy = true;
      fetch(url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
        .then(function (response) {
          if (response.redirected || !response.ok) throw new Error(response.status);
          return response.text();
        })
        .then(function (html) {
          region.innerHTML = html;
          region.setAttribute("data-refreshed", new Date().toISOString());
        })
        .catch(function () { /* offline or logged out: keep what is shown, try again later */ })
        .then(function () { busy = false; });
    }
    window.setInterval(load, seconds * 1000);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) load(); });
    region.storeRefresh = load;
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-refresh-url]").forEach(refresher);
    // Ask before an action that cannot be undone (data-confirm on the form).
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  });
})();
