"""The planning page in a real headless Chromium at phone width, on the demo county.

The ``page`` fixture fails a test on any console error or request leaving the machine, so these
tests also prove Leaflet is served by the app and no tile server is asked for anything.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

AREA_PATHS = "#planning-map path.leaflet-interactive"
DEMO_AREAS = 150


def no_overflow(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"


def open_planning(page) -> None:
    response = page.goto("/planning")
    assert response is not None and response.status == 200
    expect(page.locator(AREA_PATHS)).to_have_count(DEMO_AREAS, timeout=15000)


def test_map_draws_the_areas_from_the_app_alone(page):
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    open_planning(page)
    # Leaflet came from the app, and the coverage layer from the gaps API.
    assert any("/planning/vendor/leaflet/leaflet.js" in url for url in requests)
    assert any("/api/v1/gaps/coverage?" in url for url in requests)
    assert not any("tile" in url for url in requests)
    # Every area is drawn in one of the coverage classes (colours from CSS, no style attribute).
    classes = page.eval_on_selector_all(AREA_PATHS, "els => els.map(e => e.getAttribute('class'))")
    assert all(re.search(r"svgmap-(c[0-3]|yes|no)\b", c) for c in classes)
    headline = page.locator("[data-headline-value]").inner_text()
    assert re.fullmatch(r"\d{1,3}%", headline)
    assert page.locator("[data-legend] li").count() == 4
    # The week profile chart was drawn: four lines (contact, respond, place, all three).
    expect(page.locator("[data-week-chart] svg polyline")).to_have_count(4)
    no_overflow(page)


def test_hour_slider_refetches_coverage(page):
    open_planning(page)
    page.select_option("#planning-day", "5")  # Saturday
    with page.expect_response(lambda r: "/api/v1/gaps/coverage?" in r.url and "T02%3A00" in r.url):
        page.locator("#planning-hour").fill("2")
    expect(page.locator("[data-headline-when]")).to_contain_text(re.compile(r"^Saturday 2 a\.m\."))
    assert page.locator("[data-hour-label]").inner_text() == "2 a.m."
    assert re.fullmatch(r"\d{1,3}%", page.locator("[data-headline-value]").inner_text())
    # The address and the downloads follow the choice.
    assert "day=5" in page.url and "hour=2" in page.url
    href = page.locator("a[data-download='coverage'][data-format='csv']").get_attribute("href")
    assert "T02%3A00" in href or "T02:00" in href
    expect(page.locator(AREA_PATHS)).to_have_count(DEMO_AREAS)


def test_choosing_a_type_colours_its_coverage(page):
    open_planning(page)
    page.select_option("#planning-type", "crisis-receiving")
    expect(page.locator("[data-legend] h3")).to_contain_text("Crisis receiving center")
    expect(page.locator("[data-type-share]")).to_contain_text("Crisis receiving center")
    expect(page.locator("[data-legend] li")).to_have_text(["Yes", "No"])
    classes = page.eval_on_selector_all(AREA_PATHS, "els => els.map(e => e.getAttribute('class'))")
    assert all(re.search(r"svgmap-(yes|no)\b", c) for c in classes)
    assert "type=crisis-receiving" in page.url


def test_accessibility_layer_has_a_legend(page):
    open_planning(page)
    with page.expect_response(lambda r: "/api/v1/gaps/access?" in r.url):
        page.select_option("#planning-layer", "access")
    expect(page.locator("[data-legend] h3")).to_contain_text("Accessibility")
    legend = page.locator("[data-legend]").inner_text()
    assert "No service within reach" in legend
    assert page.locator("[data-legend] .legend-swatch").count() >= 2
    expect(page.locator(AREA_PATHS)).to_have_count(DEMO_AREAS)
    classes = page.eval_on_selector_all(AREA_PATHS, "els => els.map(e => e.getAttribute('class'))")
    assert all(re.search(r"svgmap-(c[0-6]|none)\b", c) for c in classes)
    # Services as circle markers (no image icons).
    page.locator("#planning-services").check()
    expect(page.locator("#planning-map path.planning-site").first).to_be_attached()
    no_overflow(page)


def test_report_shows_static_svg_maps(page):
    response = page.goto("/planning/report")
    assert response is not None and response.status == 200
    maps = page.locator("svg.svgmap")
    assert maps.count() == 4
    assert page.locator("svg.svgmap path.svgmap-area").count() >= 4 * DEMO_AREAS
    assert page.get_by_role("heading", name=re.compile("Need versus capacity")).is_visible()
    assert page.locator("script").count() == 0
    no_overflow(page)
