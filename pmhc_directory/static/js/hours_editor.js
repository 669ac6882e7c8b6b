// Hours editor: an "Add a window" / "Add a closure" button that copies the last blank row.
// The form works without this file (it always has blank rows); this only adds more of them.
(function () {
  "use strict";

  function renumber(row, index) {
    row.querySelectorAll("[name], [id], [for], [aria-describedby]").forEach(function (el) {
      ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) {
          el.setAttribute(attr, value.replace(/^(windows|closures)-\d+-/, "$1-" + index + "-")
            .replace(/ (windows|closures)-\d+-/g, " $1-" + index + "-"));
        }
      });
    });
    var title = row.querySelector(".row-title");
    if (title) {
      title.textContent = title.textContent.replace(/\d+$/, String(index + 1));
    }
  }

  function clear(row) {
    row.querySelectorAll("input").forEach(function (input) {
      if (input.type === "checkbox") {
        input.checked = false;
      } else {
        input.value = "";
      }
      input.removeAttribute("aria-invalid");
    });
    row.querySelectorAll(".field-errors").forEach(function (el) { el.remove(); });
    row.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
  }

  function addButton(fieldset, label) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.textContent = label;
    button.addEventListener("click", function () {
      var rows = fieldset.querySelectorAll(".row-box");
      var last = rows[rows.length - 1];
      var copy = last.cloneNode(true);
      clear(copy);
      renumber(copy, rows.length);
      last.after(copy);
      var first = copy.querySelector("input");
      if (first) { first.focus(); }
    });
    fieldset.appendChild(button);
  }

  var windows = document.getElementById("windows");
  var closures = document.getElementById("closures");
  if (windows) { addButton(windows, "Add a window"); }
  if (closures) { addButton(closures, "Add a closure"); }
})();
