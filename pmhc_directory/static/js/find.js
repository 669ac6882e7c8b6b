/* Officer page, progressive enhancement only: the page works without this file.
   - "Use my location" fills the hidden lat/lon from the browser's geolocation and clears the
     typed place; typing a place clears the coordinates again.
   - "Print" on the handout.
   - Focus on the "Thanks" of a problem report, inside the card reported on.
   No errors are thrown or logged when geolocation is missing or refused. */
(function () {
  "use strict";

  function setupLocation(form) {
    var button = form.querySelector("[data-geolocate]");
    var status = form.querySelector("[data-geo-status]");
    var near = form.querySelector("input[name='near']");
    var lat = form.querySelector("[data-lat]");
    var lon = form.querySelector("[data-lon]");
    var source = form.querySelector("[data-source]");
    if (!button || !near || !lat || !lon) {
      return;
    }

    function say(text) {
      if (status) {
        status.textContent = text;
      }
    }

    function clearPoint() {
      lat.value = "";
      lon.value = "";
      if (source) {
        source.value = "";
      }
    }

    near.addEventListener("input", function () {
      if (lat.value || lon.value) {
        clearPoint();
        say("");
      }
    });

    if (!("geolocation" in navigator) || !window.isSecureContext) {
      return; // the button stays hidden: type an address instead
    }
    button.hidden = false;

    button.addEventListener("click", function () {
      button.disabled = true;
      say("Finding your location\u2026");
      try {
        navigator.geolocation.getCurrentPosition(
          function (position) {
            lat.value = position.coords.latitude.toFixed(5);
            lon.value = position.coords.longitude.toFixed(5);
            if (source) {
              source.value = "geolocation";
            }
            near.value = "";
            var metres = Math.round(position.coords.accuracy || 0);
            say(metres ? "Using your location (within " + metres + " m)." : "Using your location.");
            button.disabled = false;
          },
          function () {
            clearPoint();
            say("Your location is not available. Type an address, ZIP code or landmark.");
            button.disabled = false;
            near.focus();
          },
          { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
        );
      } catch (e) {
        say("Your location is not available. Type an address, ZIP code or landmark.");
        button.disabled = false;
      }
    });
  }

  function setupPrint() {
    var buttons = document.querySelectorAll("[data-print]");
    Array.prototype.forEach.call(buttons, function (button) {
      if (typeof window.print !== "function") {
        return;
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        window.print();
      });
    });
  }

  // After "Report a problem", the thanks is inside the card reported on: move focus there so
  // a screen reader says it and the officer sees it where they were.
  function focusThanks() {
    var thanks = document.querySelector("[data-report-thanks]");
    if (thanks) {
      thanks.focus();
    }
  }

  // "Make handout" with nothing ticked: say so beside the buttons and stay on the results
  // (without this script the server answers 204 No Content, which keeps the results too).
  function setupHandout() {
    var form = document.getElementById("handout-form");
    if (!form) {
      return;
    }
    form.addEventListener("submit", function (event) {
      if (document.querySelector('input[form="handout-form"][name="services"]:checked')) {
        return;
      }
      event.preventDefault();
      var note = form.querySelector(".handout-empty");
      if (!note) {
        note = document.createElement("p");
        note.className = "handout-empty field-errors";
        note.setAttribute("role", "alert");
        form.insertBefore(note, form.querySelector(".actions"));
      }
      note.textContent = "No handout yet: nothing is ticked. Tick \u201cAdd to handout\u201d " +
        "on the places to give the person, then make the handout.";
    });
  }

  function start() {
    var forms = document.querySelectorAll("[data-find-form]");
    Array.prototype.forEach.call(forms, setupLocation);
    setupPrint();
    setupHandout();
    focusThanks();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
