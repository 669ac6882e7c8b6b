/* Planning page (/planning): the interactive gap map. Progressive enhancement only: without this
   file the page still shows the headline numbers, the need table and the downloads, and its
   GET form re-renders them on the server.

   - Leaflet (served by the app, /planning/vendor/leaflet/) draws the analysis areas from the
     /api/v1/gaps/* endpoints on a plain background; a tile layer only when data-tile-url is set.
   - Base layers: coverage at the chosen hour, accessibility (classed choropleth), unmet needs;
     overlay: services (circle markers, no image icons).
   - Day select + hour slider re-fetch coverage for the next such day and hour in the page's
     time zone (data-timezone), updating the headline; a 168-hour week profile drawn as SVG.
   - Colours come from CSS classes (svgmap-*) shared with the server's static SVG maps, so
     nothing sets a style attribute (the CSP forbids inline styles).
   Class rule (as rendering/svg_map.py): `classes` are increasing upper bounds; a value goes in the
   first class whose bound it does not exceed, a value above the last in the last class. */
(function () {
  "use strict";

  var mapEl = document.querySelector("[data-planning-map]");
  var form = document.querySelector("[data-planning-form]");
  if (!mapEl || !form || typeof window.L === "undefined" || !window.fetch) {
    return;
  }
  var L = window.L;

  var ELEMENTS = ["contact", "respond", "place"];
  var ELEMENT_NAMES = {
    contact: "Someone to contact",
    respond: "Someone to respond",
    place: "A safe place",
    all_three: "All three"
  };
  var DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
  var DAY_SHORT = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  var COVERAGE_LABELS = ["None of the three", "One of three", "Two of three", "All three"];
  var SVG_NS = "http://www.w3.org/2000/svg";

  var zone = mapEl.getAttribute("data-timezone") || "UTC";
  var crisisTypes = (mapEl.getAttribute("data-crisis-types") || "").split(",").filter(Boolean);
  var defaultAccessType = mapEl.getAttribute("data-default-access-type") || "crisis-receiving";
  // Each layer's API URL, title and legend title, from the server's layer registry
  // (services/planning_layers.py).
  var LAYERS = JSON.parse(mapEl.getAttribute("data-layers") || "{}");
  var urls = {};
  Object.keys(LAYERS).forEach(function (key) {
    urls[key] = LAYERS[key].url;
  });

  var controls = {
    layer: form.querySelector("[data-layer-select]"),
    day: form.querySelector("[data-day]"),
    hour: form.querySelector("[data-hour]"),
    hourLabel: form.querySelector("[data-hour-label]"),
    type: form.querySelector("[data-type]"),
    method: form.querySelector("[data-method]"),
    services: form.querySelector("[data-services-toggle]")
  };
  var legendEl = document.querySelector("[data-legend]");
  var statusEl = document.querySelector("[data-status]");
  var weekEl = document.querySelector("[data-week-chart]");

  // ---------------------------------------------------------------- small helpers

  function say(text) {
    if (statusEl) {
      statusEl.textContent = text;
    }
  }

  function pct(share) {
    return typeof share === "number" && isFinite(share) ? Math.round(share * 100) + "%" : "n/a";
  }

  function shareOf(value) {
    if (value && typeof value === "object") {
      value = value.share;
    }
    return typeof value === "number" ? value : null;
  }

  function formatNumber(value) {
    if (value === 0) {
      return "0";
    }
    var abs = Math.abs(value);
    if (abs >= 100) {
      return Math.round(value).toLocaleString("en-US");
    }
    return String(Number(value.toPrecision(abs >= 1 ? 3 : 2)));
  }

  function hourLabel(hour) {
    if (hour === 0) {
      return "12 a.m. (midnight)";
    }
    if (hour === 12) {
      return "12 p.m. (noon)";
    }
    return (hour % 12) + (hour < 12 ? " a.m." : " p.m.");
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function classIndex(value, classes) {
    for (var i = 0; i < classes.length; i += 1) {
      if (value <= classes[i]) {
        return i;
      }
    }
    return classes.length - 1;
  }

  function quantileBreaks(values, count) {
    var ordered = values
      .filter(function (v) {
        return typeof v === "number" && isFinite(v);
      })
      .sort(function (a, b) {
        return a - b;
      });
    var breaks = [];
    if (!ordered.length) {
      return breaks;
    }
    for (var k = 1; k <= count; k += 1) {
      var position = Math.min(ordered.length - 1, Math.ceil((k * ordered.length) / count) - 1);
      var bound = ordered[position];
      if (!breaks.length || bound > breaks[breaks.length - 1]) {
        breaks.push(bound);
      }
    }
    return breaks;
  }

  function rangeLabels(classes) {
    return classes.map(function (bound, i) {
      return i === 0
        ? "up to " + formatNumber(bound)
        : formatNumber(classes[i - 1]) + " to " + formatNumber(bound);
    });
  }

  function getJSON(url) {
    return window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) {
            var message = body && body.error && body.error.message;
            throw new Error(message || "The server answered " + response.status + ".");
          }
          return body;
        });
      });
  }

  function withQuery(base, params) {
    var query = new URLSearchParams();
    Object.keys(params).forEach(function (key) {
      if (params[key] !== "" && params[key] !== null && params[key] !== undefined) {
        query.set(key, params[key]);
      }
    });
    var text = query.toString();
    return text ? base + "?" + text : base;
  }

  // The next date (today included, unless the hour has passed) with this weekday in the
  // jurisdiction's time zone, as local wall-clock time without an offset (the server reads it
  // in its TIMEZONE): "2026-11-28T02:00".
  function nextAt(day, hour) {
    var parts = {};
    new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      hourCycle: "h23",
      weekday: "short"
    })
      .formatToParts(new Date())
      .forEach(function (p) {
        parts[p.type] = p.value;
      });
    var today = DAY_SHORT.indexOf(parts.weekday);
    var ahead = (day - today + 7) % 7;
    if (ahead === 0 && hour < Number(parts.hour)) {
      ahead = 7;
    }
    var date = new Date(
      Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day) + ahead)
    );
    var iso =
      date.getUTCFullYear() + "-" + pad(date.getUTCMonth() + 1) + "-" + pad(date.getUTCDate());
    return { at: iso + "T" + pad(hour) + ":00", date: date };
  }

  // Every crisis type plus the chosen one, so "all three" stays meaningful with a type chosen.
  function analysedTypes(type) {
    if (!type || crisisTypes.indexOf(type) >= 0) {
      return "";
    }
    return crisisTypes.concat([type]).join(",");
  }

  function state() {
    return {
      layer: controls.layer ? controls.layer.value : "coverage",
      day: Number(controls.day.value),
      hour: Number(controls.hour.value),
      type: controls.type.value,
      method: controls.method.value
    };
  }

  // ---------------------------------------------------------------- the map

  mapEl.hidden = false;
  Array.prototype.forEach.call(document.querySelectorAll("[data-js-only]"), function (el) {
    el.hidden = false;
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-no-js-note]"), function (el) {
    el.hidden = true;
  });

  var tileUrl = mapEl.getAttribute("data-tile-url") || "";
  // Popups pan clear of the map's corner controls (the layers toggle would cover a popup's
  // close button: WCAG 2.2 target size).
  L.Popup.prototype.options.autoPanPadding = L.point(64, 64);
  var map = L.map(mapEl, {
    attributionControl: Boolean(tileUrl),
    scrollWheelZoom: false,
    zoomSnap: 0.25
  });
  if (tileUrl) {
    L.tileLayer(tileUrl, {
      maxZoom: 19,
      attribution: mapEl.getAttribute("data-tile-attribution") || ""
    }).addTo(map);
  }
  var bounds = (mapEl.getAttribute("data-bounds") || "").split(",").map(Number);
  var fitted = false;
  if (bounds.length === 4 && bounds.every(isFinite)) {
    map.fitBounds([
      [bounds[0], bounds[1]],
      [bounds[2], bounds[3]]
    ]);
    fitted = true;
  }

  function areaStyle(classFor) {
    return function (feature) {
      return {
        className: "svgmap-area " + classFor(feature.properties || {}),
        weight: 0.6,
        fillOpacity: 0.85
      };
    };
  }

  function popupFor(describe) {
    return function (feature, layer) {
      layer.bindPopup(function () {
        var p = feature.properties || {};
        var box = document.createElement("div");
        var name = document.createElement("strong");
        name.textContent = p.name || p.area_id || "Area";
        box.appendChild(name);
        var lines = ["Population " + (p.population || 0).toLocaleString("en-US")].concat(
          describe(p)
        );
        lines.forEach(function (text) {
          var line = document.createElement("div");
          line.textContent = text;
          box.appendChild(line);
        });
        return box;
      });
    };
  }

  var current = { coverage: null, access: null, unmet: null };

  function coverageClass(p) {
    var type = current.coverage && current.coverage.type;
    if (type) {
      return (p.covered || {})[type] ? "svgmap-yes" : "svgmap-no";
    }
    var count = ELEMENTS.filter(function (e) {
      return (p.continuum || {})[e];
    }).length;
    return "svgmap-c" + count;
  }

  function accessClass(p) {
    var classes = (current.access && current.access.classes) || [];
    if (p.score === null || p.score === undefined || !classes.length) {
      return "svgmap-none";
    }
    return "svgmap-c" + classIndex(p.score, classes);
  }

  function unmetClass(p) {
    var classes = (current.unmet && current.unmet.classes) || [0];
    return "svgmap-c" + classIndex(p.unmet || 0, classes);
  }

  var layers = {
    coverage: L.geoJSON(null, {
      style: areaStyle(coverageClass),
      onEachFeature: popupFor(function (p) {
        var lines = ELEMENTS.map(function (e) {
          return ELEMENT_NAMES[e] + ": " + ((p.continuum || {})[e] ? "yes" : "no");
        });
        var type = current.coverage && current.coverage.type;
        if (type) {
          lines.unshift(current.coverage.typeName + ": " + ((p.covered || {})[type] ? "yes" : "no"));
        }
        return lines;
      })
    }),
    access: L.geoJSON(null, {
      style: areaStyle(accessClass),
      onEachFeature: popupFor(function (p) {
        return [
          "Score: " +
            (p.score === null || p.score === undefined
              ? "no service within reach"
              : formatNumber(p.score * 100000) + " per 100,000 people")
        ];
      })
    }),
    unmet: L.geoJSON(null, {
      style: areaStyle(unmetClass),
      onEachFeature: popupFor(function (p) {
        return ["Unmet needs recorded: " + (p.unmet || 0)];
      })
    }),
    services: L.geoJSON(null, {
      pointToLayer: function (feature, latlng) {
        var element = (feature.properties || {}).continuum;
        var known = ELEMENTS.indexOf(element) >= 0 ? element : "other";
        return L.circleMarker(latlng, {
          radius: 6,
          className: "planning-site planning-site-" + known,
          weight: 1.5,
          fillOpacity: 0.95
        });
      },
      onEachFeature: function (feature, layer) {
        layer.bindPopup(function () {
          var p = feature.properties || {};
          var box = document.createElement("div");
          var name = document.createElement("strong");
          name.textContent = p.name || "Service";
          box.appendChild(name);
          var types = document.createElement("div");
          types.textContent =
            (p.service_types || []).map(typeName).join(", ") + " (" + (p.status || "") + ")";
          box.appendChild(types);
          return box;
        });
      }
    })
  };
  var baseLayers = {};
  ["coverage", "access", "unmet"].forEach(function (key) {
    baseLayers[LAYERS[key].title] = layers[key];
  });
  var overlays = {};
  overlays[LAYERS.services.title] = layers.services;
  L.control.layers(baseLayers, overlays, { collapsed: true }).addTo(map);

  var shown = "coverage";
  layers.coverage.addTo(map);

  // A scale bar always; town names from the jurisdiction's places when there are no tiles
  // (tiles carry their own names).
  L.control.scale({ position: "bottomleft", metric: true, imperial: true }).addTo(map);
  if (!tileUrl) {
    var places = [];
    try {
      places = JSON.parse(mapEl.getAttribute("data-places") || "[]");
    } catch (err) {
      places = [];
    }
    var towns = L.layerGroup();
    places.forEach(function (place) {
      var label = document.createElement("span");
      label.textContent = place[0];
      towns.addLayer(
        L.marker([place[1], place[2]], {
          icon: L.divIcon({ className: "planning-town", html: label, iconSize: null }),
          interactive: false,
          keyboard: false
        })
      );
    });
    towns.addTo(map);
  }

  // Suggested new sites (the server's table) as ringed dots over every layer.
  var suggested = L.layerGroup();
  Array.prototype.forEach.call(document.querySelectorAll("[data-suggested-site]"), function (row) {
    var lat = Number(row.getAttribute("data-lat"));
    var lon = Number(row.getAttribute("data-lon"));
    if (!isFinite(lat) || !isFinite(lon)) {
      return;
    }
    var marker = L.circleMarker([lat, lon], {
      radius: 9,
      className: "planning-suggested",
      weight: 3,
      fillOpacity: 1
    });
    marker.bindPopup(function () {
      var box = document.createElement("div");
      var title = document.createElement("strong");
      title.textContent =
        "Suggested new site " + row.getAttribute("data-rank") + ": " + row.getAttribute("data-name");
      box.appendChild(title);
      var people = document.createElement("div");
      people.textContent =
        Number(row.getAttribute("data-people")).toLocaleString("en-US") + " people newly covered";
      box.appendChild(people);
      return box;
    });
    suggested.addLayer(marker);
  });
  suggested.addTo(map);

  // The areas table is the keyboard route into the map: "Show on map" fits the area and opens
  // its popup.
  function showArea(areaId) {
    var found = null;
    layers[shown].eachLayer(function (layer) {
      if (layer.feature && (layer.feature.properties || {}).area_id === areaId) {
        found = layer;
      }
    });
    if (!found) {
      return false;
    }
    map.fitBounds(found.getBounds(), { maxZoom: 12 });
    found.openPopup();
    return true;
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-area-link]"), function (link) {
    link.addEventListener("click", function () {
      mapEl.scrollIntoView({ block: "nearest" });
      if (!showArea(link.getAttribute("data-area-link"))) {
        say("That area is not on the map layer shown.");
      }
    });
  });

  function keyOf(layer) {
    var found = null;
    Object.keys(layers).forEach(function (key) {
      if (layers[key] === layer) {
        found = key;
      }
    });
    return found;
  }

  // ---------------------------------------------------------------- legends

  function renderLegend() {
    if (!legendEl) {
      return;
    }
    var title = "";
    var entries = [];
    if (shown === "coverage" && current.coverage) {
      if (current.coverage.type) {
        title = current.coverage.typeName + " within reach and open, " + current.coverage.when;
        entries = [
          ["svgmap-yes", "Yes"],
          ["svgmap-no", "No"]
        ];
      } else {
        title = LAYERS.coverage.legend + ", " + current.coverage.when;
        entries = COVERAGE_LABELS.map(function (text, i) {
          return ["svgmap-c" + i, text];
        });
      }
    } else if (shown === "access" && current.access) {
      title = current.access.title;
      var per100k = current.access.classes.map(function (c) {
        return c * 100000;
      });
      entries = rangeLabels(per100k).map(function (text, i) {
        return ["svgmap-c" + i, text];
      });
      entries.push(["svgmap-none", "No service within reach"]);
    } else if (shown === "unmet" && current.unmet) {
      title = LAYERS.unmet.legend;
      entries = rangeLabels(current.unmet.classes).map(function (text, i) {
        return ["svgmap-c" + i, i === 0 ? "None recorded" : text];
      });
    }
    legendEl.textContent = "";
    if (!title) {
      return;
    }
    var heading = document.createElement("h3");
    heading.textContent = title;
    var list = document.createElement("ul");
    list.setAttribute("aria-label", "Legend");
    entries.forEach(function (entry) {
      var item = document.createElement("li");
      var swatch = document.createElement("span");
      swatch.className = "legend-swatch " + entry[0];
      swatch.setAttribute("aria-hidden", "true");
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(entry[1]));
      list.appendChild(item);
    });
    legendEl.appendChild(heading);
    legendEl.appendChild(list);
  }

  // ---------------------------------------------------------------- loading layers

  var cache = {};
  var latest = {};
  var pending = 0;

  // Fetch a layer's data and apply it; the last answer is kept, so asking again for the same
  // address re-applies it (a different type colours the same data differently). An answer to
  // an older request (the slider moved on) is dropped.
  function load(key, url, apply) {
    if (cache[key] && cache[key].url === url) {
      latest[key] = url;
      apply(cache[key].data);
      return Promise.resolve();
    }
    if (latest[key] === url) {
      return Promise.resolve(); // on its way
    }
    latest[key] = url;
    pending += 1;
    say("Loading\u2026");
    return getJSON(url)
      .then(function (data) {
        pending -= 1;
        if (latest[key] === url) {
          cache[key] = { url: url, data: data };
          apply(data);
        }
        if (!pending) {
          say("");
        }
      })
      .catch(function (err) {
        pending -= 1;
        if (latest[key] === url) {
          latest[key] = null;
        }
        say("Could not load the " + key + " layer: " + err.message);
      });
  }

  function typeName(code) {
    var option = controls.type.querySelector("option[value='" + code + "']");
    return option ? option.textContent : code;
  }

  function loadCoverage() {
    var s = state();
    var when = nextAt(s.day, s.hour);
    var url = withQuery(urls.coverage, { types: analysedTypes(s.type), at: when.at });
    return load("coverage", url, function (data) {
      var text =
        DAY_NAMES[s.day] + " " + hourLabel(s.hour) + " (" + when.at.slice(0, 10) + ")";
      current.coverage = { type: s.type, typeName: typeName(s.type), when: text };
      layers.coverage.clearLayers();
      layers.coverage.addData(data);
      if (!fitted && layers.coverage.getLayers().length) {
        map.fitBounds(layers.coverage.getBounds());
        fitted = true;
      }
      updateHeadline(data.summary || {}, s, text);
      renderLegend();
    });
  }

  function loadAccess() {
    var s = state();
    var type = s.type || defaultAccessType;
    var url = withQuery(urls.access, { type: type, method: s.method });
    return load("accessibility", url, function (data) {
      var method = controls.method.querySelector("option[value='" + s.method + "']");
      current.access = {
        classes: data.classes || [],
        title:
          "Accessibility of " +
          (data.type_label || typeName(type)).toLowerCase() +
          ": " +
          (method ? method.textContent : s.method) +
          " score, " +
          LAYERS.access.legend.toLowerCase()
      };
      layers.access.clearLayers();
      layers.access.addData(data);
      renderLegend();
    });
  }

  function loadUnmet() {
    return load("unmet needs", urls.unmet, function (data) {
      var counts = (data.features || [])
        .map(function (f) {
          return (f.properties || {}).unmet || 0;
        })
        .filter(function (n) {
          return n > 0;
        });
      var classes = [0].concat(
        quantileBreaks(counts, 4).filter(function (b) {
          return b > 0;
        })
      );
      current.unmet = { classes: classes };
      layers.unmet.clearLayers();
      layers.unmet.addData(data);
      renderLegend();
    });
  }

  function loadServices() {
    return load("services", urls.services, function (data) {
      layers.services.clearLayers();
      layers.services.addData(data);
    });
  }

  var loaders = { coverage: loadCoverage, access: loadAccess, unmet: loadUnmet };

  // ---------------------------------------------------------------- headline

  function updateHeadline(summary, s, text) {
    var value = document.querySelector("[data-headline-value]");
    if (value) {
      value.textContent = pct(summary.all_three_share);
    }
    var when = document.querySelector("[data-headline-when]");
    if (when) {
      when.textContent =
        text +
        "; " +
        (summary.population || 0).toLocaleString("en-US") +
        " people in " +
        layers.coverage.getLayers().length +
        " areas.";
    }
    var typeLine = document.querySelector("[data-type-share]");
    if (typeLine) {
      var entry = s.type ? (summary.by_type || {})[s.type] : null;
      typeLine.hidden = !s.type;
      typeLine.textContent = s.type
        ? typeName(s.type) + " within reach and open: " + pct(shareOf(entry)) + " of people."
        : "";
    }
    var list = document.querySelector("[data-continuum]");
    if (list) {
      list.textContent = "";
      var byContinuum = summary.by_continuum || {};
      Object.keys(byContinuum).forEach(function (element) {
        var row = document.createElement("div");
        var dt = document.createElement("dt");
        var dd = document.createElement("dd");
        dt.textContent = ELEMENT_NAMES[element] || element;
        dd.textContent = pct(shareOf(byContinuum[element]));
        row.appendChild(dt);
        row.appendChild(dd);
        list.appendChild(row);
      });
    }
  }

  // ---------------------------------------------------------------- week profile

  var week = null;

  function svg(name, attrs) {
    var node = document.createElementNS(SVG_NS, name);
    Object.keys(attrs || {}).forEach(function (key) {
      node.setAttribute(key, attrs[key]);
    });
    return node;
  }

  // The vertical axis fitted to the values shown (rounded out to a step of 1, 2, 5, 10 or
  // 20 points), so a week between 93.7 % and 95.5 % does not read flat.
  function weekAxis(values) {
    var finite = values.filter(function (v) {
      return typeof v === "number" && isFinite(v);
    });
    var lo = finite.length ? Math.min.apply(null, finite) : 0;
    var hi = finite.length ? Math.max.apply(null, finite) : 1;
    var span = Math.max(hi - lo, 0.01);
    var steps = [0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2];
    var step = steps[steps.length - 1];
    for (var i = 0; i < steps.length; i += 1) {
      if (span / steps[i] <= 5) {
        step = steps[i];
        break;
      }
    }
    var bottom = Math.max(0, Math.floor(lo / step) * step);
    var top = Math.min(1, Math.ceil(hi / step) * step);
    if (top - bottom < step) {
      top = Math.min(1, bottom + step);
      bottom = Math.max(0, top - step);
    }
    var ticks = [];
    for (var t = bottom; t <= top + step / 2; t += step) {
      ticks.push(Math.round(t * 10000) / 10000);
    }
    return { bottom: bottom, top: top, ticks: ticks, step: step };
  }

  function pctTick(share, step) {
    return (share * 100).toFixed(step < 0.01 ? 1 : 0) + "%";
  }

  function drawWeek() {
    if (!weekEl || !week) {
      return;
    }
    var s = state();
    var W = 336;
    var left = 40;
    var top = 8;
    var plot = 100;
    var x = function (h) {
      return left + h * ((W - left - 4) / 168);
    };
    var old = weekEl.querySelector("svg");
    if (old) {
      old.remove();
    }
    var oldKey = weekEl.querySelector("ul");
    if (oldKey) {
      oldKey.remove();
    }
    var lows = week.all_three || [];
    var series = ELEMENTS.filter(function (e) {
      return (week.by_continuum || {})[e];
    }).map(function (e) {
      return [e, week.by_continuum[e]];
    });
    series.push(["all_three", lows]);
    if (s.type && (week.by_type || {})[s.type]) {
      series.push(["type", week.by_type[s.type], typeName(s.type)]);
    }
    var every = [];
    series.forEach(function (entry) {
      every = every.concat(entry[1]);
    });
    var axis = weekAxis(every);
    var y = function (share) {
      var clamped = Math.min(axis.top, Math.max(axis.bottom, share));
      return top + (1 - (clamped - axis.bottom) / (axis.top - axis.bottom)) * plot;
    };
    var worst = (week.worst || {}).all_three;
    var chart = svg("svg", {
      viewBox: "0 0 " + W + " 146",
      role: "img",
      "aria-label":
        "Week profile for the week of " +
        (week.week_of || "") +
        ": people with all three crisis elements range from " +
        pct(lows.length ? Math.min.apply(null, lows) : 0) +
        " to " +
        pct(lows.length ? Math.max.apply(null, lows) : 0) +
        (worst ? "; the worst hour is " + describeHour(worst.hour) : "") +
        ". The vertical axis runs from " +
        pctTick(axis.bottom, axis.step) +
        " to " +
        pctTick(axis.top, axis.step) +
        ". The table below the chart lists every hour."
    });
    axis.ticks.forEach(function (share) {
      chart.appendChild(
        svg("line", { class: "week-grid", x1: x(0), x2: x(168), y1: y(share), y2: y(share) })
      );
      var label = svg("text", {
        class: "week-axis",
        x: left - 3,
        y: y(share) + 3,
        "text-anchor": "end"
      });
      label.textContent = pctTick(share, axis.step);
      chart.appendChild(label);
    });
    for (var d = 0; d < 7; d += 1) {
      chart.appendChild(
        svg("line", { class: "week-grid", x1: x(d * 24), x2: x(d * 24), y1: y(axis.top), y2: y(axis.bottom) })
      );
      var day = svg("text", { class: "week-axis", x: x(d * 24 + 7), y: top + plot + 12 });
      day.textContent = DAY_SHORT[d];
      chart.appendChild(day);
    }
    var yTitle = svg("text", { class: "week-axis-title", x: 0, y: top + plot + 26 });
    yTitle.textContent = "People covered (%), by day and hour, week of " + (week.week_of || "");
    chart.appendChild(yTitle);
    series.forEach(function (entry) {
      var points = entry[1]
        .map(function (share, h) {
          return x(h + 0.5).toFixed(1) + "," + y(share).toFixed(1);
        })
        .join(" ");
      chart.appendChild(svg("polyline", { class: "week-line week-" + entry[0], points: points }));
    });
    if (worst && typeof worst.hour === "number") {
      chart.appendChild(
        svg("circle", { class: "week-low", cx: x(worst.hour + 0.5), cy: y(lows[worst.hour]), r: 3 })
      );
    }
    var hourOfWeek = s.day * 24 + s.hour;
    chart.appendChild(
      svg("line", {
        class: "week-marker",
        x1: x(hourOfWeek + 0.5),
        x2: x(hourOfWeek + 0.5),
        y1: y(axis.top) - 4,
        y2: y(axis.bottom)
      })
    );
    weekEl.insertBefore(chart, weekEl.firstChild);
    var key = document.createElement("ul");
    key.className = "week-key";
    series.forEach(function (entry) {
      var item = document.createElement("li");
      item.className = "week-" + entry[0];
      item.textContent = entry[2] || ELEMENT_NAMES[entry[0]] || entry[0];
      key.appendChild(item);
    });
    var lowItem = document.createElement("li");
    lowItem.className = "week-lowest";
    lowItem.textContent = "Dot: worst hour for all three";
    key.appendChild(lowItem);
    weekEl.insertBefore(key, chart.nextSibling);
    weekEl.hidden = false;
  }

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  // "Saturday 3 a.m. (Dec 12, 2026)" for an hour of the loaded week (as the server writes it).
  function describeHour(hour) {
    var parts = String((week && week.week_of) || "").split("-").map(Number);
    var text = DAY_NAMES[Math.floor(hour / 24) % 7] + " " + ((hour % 12) || 12) +
      (hour % 24 < 12 ? " a.m." : " p.m.");
    if (parts.length === 3 && parts.every(isFinite)) {
      var date = new Date(Date.UTC(parts[0], parts[1] - 1, parts[2] + Math.floor(hour / 24)));
      text += " (" + MONTHS[date.getUTCMonth()] + " " + date.getUTCDate() + ", " +
        date.getUTCFullYear() + ")";
    }
    return text;
  }

  // The worst-hour table follows the week shown.
  function updateWorst() {
    var worst = (week && week.worst) || {};
    Array.prototype.forEach.call(document.querySelectorAll("[data-worst-row]"), function (row) {
      var entry = worst[row.getAttribute("data-worst-row")];
      if (!entry) {
        return;
      }
      var cells = row.querySelectorAll("td");
      if (cells.length >= 3) {
        cells[0].textContent = describeHour(entry.hour);
        cells[1].textContent = pct(entry.share);
        cells[2].textContent = Number(entry.people_without).toLocaleString("en-US");
      }
    });
  }

  // The week holding the chosen day and hour (the headline's week), as on the server.
  function loadWeek() {
    var s = state();
    // Noon of the chosen date names its week (the address, and the cached answer, change only
    // when the week does).
    var when = nextAt(s.day, s.hour);
    var url = withQuery(urls.week, { types: analysedTypes(s.type), at: when.at.slice(0, 10) + "T12:00" });
    return load("week", url, function (data) {
      week = data;
      drawWeek();
      updateWorst();
    });
  }

  // ---------------------------------------------------------------- downloads and address

  function updateLinks() {
    var s = state();
    var when = nextAt(s.day, s.hour);
    var queries = {
      coverage: { at: when.at, type: s.type },
      access: { type: s.type || defaultAccessType, method: s.method },
      week: { type: s.type, at: when.at }
    };
    Array.prototype.forEach.call(document.querySelectorAll("a[data-download]"), function (a) {
      var query = queries[a.getAttribute("data-download")];
      if (query) {
        a.setAttribute("href", withQuery(a.pathname, query));
      }
    });
    Array.prototype.forEach.call(document.querySelectorAll("input[data-carry]"), function (input) {
      input.value = s[input.getAttribute("data-carry")];
    });
    if (window.history && window.history.replaceState) {
      var page = withQuery(window.location.pathname, {
        day: s.day,
        hour: s.hour,
        type: s.type,
        method: s.method === "e2sfca" ? "" : s.method
      });
      window.history.replaceState(null, "", page);
    }
  }

  // ---------------------------------------------------------------- wiring

  function showLayer(key) {
    if (!layers[key] || key === shown) {
      return;
    }
    map.removeLayer(layers[shown]);
    map.addLayer(layers[key]);
  }

  map.on("baselayerchange", function (event) {
    var key = keyOf(event.layer);
    if (!key) {
      return;
    }
    shown = key;
    if (controls.layer) {
      controls.layer.value = key;
    }
    renderLegend();
    loaders[key]();
  });
  map.on("overlayadd overlayremove", function (event) {
    if (event.layer === layers.services && controls.services) {
      controls.services.checked = event.type === "overlayadd";
      if (event.type === "overlayadd") {
        loadServices();
      }
    }
  });

  // Leaflet fires baselayerchange only for its own control; the select does the same by hand.
  if (controls.layer) {
    controls.layer.addEventListener("change", function () {
      var key = controls.layer.value;
      if (key === shown) {
        return;
      }
      showLayer(key);
      shown = key;
      renderLegend();
      loaders[key]();
    });
  }
  if (controls.services) {
    controls.services.addEventListener("change", function () {
      if (controls.services.checked) {
        map.addLayer(layers.services);
        loadServices();
      } else {
        map.removeLayer(layers.services);
      }
    });
  }

  var timer = null;
  function refreshTime() {
    var s = state();
    if (controls.hourLabel) {
      controls.hourLabel.textContent = hourLabel(s.hour);
    }
    drawWeek();
    updateLinks();
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      loadCoverage();
      loadWeek();
    }, 200);
  }
  controls.hour.addEventListener("input", refreshTime);
  controls.day.addEventListener("change", refreshTime);
  controls.type.addEventListener("change", function () {
    updateLinks();
    loadCoverage();
    loadWeek();
    if (shown === "access") {
      loadAccess();
    }
  });
  controls.method.addEventListener("change", function () {
    updateLinks();
    if (shown === "access") {
      loadAccess();
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    updateLinks();
    loadCoverage();
    loadWeek();
    if (shown !== "coverage") {
      loaders[shown]();
    }
  });

  if (controls.layer) {
    controls.layer.value = "coverage";
  }
  updateLinks();
  loadCoverage();
  loadWeek();
})();
