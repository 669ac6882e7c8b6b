// Import page: polls the run's status.json and updates the progress bar; reloads the page
// when the run moves on (checked, done, failed). Without scripts the page refreshes itself.
(function () {
  "use strict";
  var box = document.querySelector(".import-progress");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  var status = box.getAttribute("data-status");
  var bar = document.getElementById("import-progress-bar");
  var text = document.getElementById("import-progress-text");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { window.setTimeout(poll, 3000); return; }
        if (data.status !== status) { window.location.reload(); return; }
        if (data.percent !== null) { bar.value = data.percent; } else { bar.removeAttribute("value"); }
        text.textContent = data.phase + ": " + data.done + (data.total ? " of " + data.total : "") + " records";
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
})();
