"""The planning page in a real headless Chromium at phone width, on the demo county.

The ``page`` fixture fails a test on any console error or request leaving the machine, so these
tests also prove Leaflet is served by the app and no tile server is asked for anything.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import serious_axe_violations

AREA_PATHS = "#planning-map path.svgmap-area"
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


def test_planner_reads_worst_hour_suggested_sites_and_areas_by_gap(page):
    open_planning(page)
    # The worst hour of the week, beside the headline, for all three and for each element.
    worst = page.locator("[data-worst-row='all_three']")
    expect(worst).to_be_visible()
    when = worst.locator("[data-worst-when]").inner_text()
    assert re.fullmatch(r"(Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day \d{1,2} [ap]\.m\. \(.+\)", when)
    people = int(worst.locator("[data-worst-people]").inner_text().replace(",", ""))
    assert people >= 0
    for element in ("contact", "respond", "place"):
        expect(page.locator(f"[data-worst-row='{element}']")).to_have_count(1)
    # The week chart's axis is fitted to the data and labelled; its table lists 168 hours.
    expect(page.locator("[data-week-chart] svg .week-axis-title")).to_contain_text("People covered")
    ticks = page.locator("[data-week-chart] svg text.week-axis").all_text_contents()
    percents = sorted(float(t.rstrip("%")) for t in ticks if t.endswith("%"))
    page.get_by_text("Week table: people covered hour by hour").click()
    expect(page.locator("[data-week-table] tbody tr")).to_have_count(168)
    cells = page.locator("[data-week-table] tbody td").all_text_contents()
    values = [float(c.rstrip("%")) for c in cells if c.endswith("%")]
    low, high = min(values), max(values)
    assert len(percents) >= 2 and percents[0] <= low and percents[-1] >= high
    # fitted: the axis spans little more than the data (never 0-100 % for a narrow band)
    assert percents[-1] - percents[0] <= max(3 * (high - low), 3.0) + 0.01
    # Suggested sites: in the table with the people newly covered, and on the map.
    rows = page.locator("[data-suggested-site]")
    assert rows.count() >= 1
    first_people = int(rows.first.locator("[data-site-people]").inner_text().replace(",", ""))
    assert first_people > 0
    expect(page.locator("#planning-map path.planning-suggested")).to_have_count(rows.count())
    # The areas table, largest gap first, is the keyboard route into the map.
    gap_rows = page.locator("[data-gap-table] tbody tr")
    assert gap_rows.count() >= 1
    link = gap_rows.first.locator("[data-area-link]")
    name = gap_rows.first.locator("th").inner_text()
    link.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".leaflet-popup-content")).to_contain_text(name)
    # Scale bar and town labels are drawn without tiles.
    expect(page.locator(".leaflet-control-scale")).to_be_visible()
    assert page.locator(".planning-town").count() >= 1
    no_overflow(page)
    assert serious_axe_violations(page) == []


def test_service_popups_name_types_in_plain_words(page):
    open_planning(page)
    page.locator("#planning-services").check()
    marker = page.locator("#planning-map path.planning-site").first
    expect(marker).to_be_attached()
    marker.dispatch_event("click")
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_be_visible()
    text = popup.inner_text()
    assert not re.search(r"\b[a-z]+-[a-z]+\b", text.split("\n", 1)[1]), text


def test_report_lists_suggested_sites_and_marks_them(page):
    response = page.goto("/planning/report")
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", name=re.compile("Suggested new"))).to_be_visible()
    assert page.locator("svg.svgmap .svgmap-mark").count() >= 1
    assert page.locator("svg.svgmap .svgmap-scale").count() >= 1
    expect(page.get_by_text(re.compile("Worst hour this week, all three"))).to_be_visible()
    assert serious_axe_violations(page) == []
