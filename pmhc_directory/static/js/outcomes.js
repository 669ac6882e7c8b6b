/* Encounter form, progressive enhancement only: the form works without this file.
   "Use my location" fills the hidden lat/lon from the browser's geolocation and clears the
   typed place; typing a place clears the coordinates. The coordinates are sent once, turned
   into a census area on the server and dropped. Nothing is thrown or logged when geolocation
   is missing or refused. */
(function () {
  "use strict";

  var form = document.querySelector("[data-encounter-form]");
  if (!form) {
    return;
  }
  var button = form.querySelector("[data-geolocate]");
  var status = form.querySelector("[data-geo-status]");
  var near = form.querySelector("input[name='near']");
  var lat = form.querySelector("[data-lat]");
  var lon = form.querySelector("[data-lon]");
  if (!button || !near || !lat || !lon) {
    return;
  }

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  near.addEventListener("input", function () {
    if (lat.value || lon.value) {
      lat.value = "";
      lon.value = "";
      say("");
    }
  });

  if (!("geolocation" in navigator) || !window.isSecureContext) {
    return;
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
          near.value = "";
          say("Using your location. Only its census area is kept.");
          button.disabled = false;
        },
        function () {
          lat.value = "";
          lon.value = "";
          say("Your location is not available. Type a ZIP code or place.");
          button.disabled = false;
          near.focus();
        },
        { enableHighAccuracy: false, timeout: 15000, maximumAge: 60000 }
      );
    } catch (e) {
      say("Your location is not available. Type a ZIP code or place.");
      button.disabled = false;
    }
  });
})();
