"""The officer page in a real headless Chromium at phone width (390 x 844), on the demo county."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import PageWatch

# A landmark of the demo county (seed/demo/places.csv).
LANDMARK = "Cedar Bluff Police Headquarters"
LANDMARK_POINT = {"latitude": 35.09820, "longitude": -106.61122}
OPEN_WORDS = re.compile(r"^(Open 24/7|Open, closes .+|Open|Closed, opens .+|Hours unknown)$")


def watched_page(context, live_server: str):
    """A page of ``context`` failing the test on console errors or off-machine requests."""
    page = context.new_page()
    watch = PageWatch()
    page.on(
        "console",
        lambda msg: watch.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: watch.console_errors.append(str(exc)))

    def guard(route):
        host = urlsplit(route.request.url).hostname
        if host in ("localhost", "127.0.0.1") or route.request.url.startswith("data:"):
            route.continue_()
        else:
            watch.offsite_requests.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.watch = watch
    return page


@pytest.fixture
def located_page(browser, live_server: str) -> Iterator:
    """A phone page whose browser has granted geolocation at the demo police headquarters."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        base_url=live_server,
        geolocation=LANDMARK_POINT,
        permissions=["geolocation"],
    )
    page = watched_page(context, live_server)
    yield page
    context.close()
    page.watch.assert_clean()


@pytest.fixture
def no_js_page(browser, live_server: str) -> Iterator:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, base_url=live_server, java_script_enabled=False
    )
    page = watched_page(context, live_server)
    yield page
    context.close()
    page.watch.assert_clean()


def no_horizontal_overflow(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than the screen"


def search(page, place: str = LANDMARK, need: str = "In crisis now") -> None:
    page.goto("/")
    page.get_by_label("Address, ZIP code or landmark").fill(place)
    page.locator("label.chip", has_text=need).click()
    page.get_by_role("button", name="Find places").click()
    page.wait_for_load_state()


def test_search_by_landmark_shows_open_places_nearest_facts_and_why(page):
    search(page)

    cards = page.locator("li.result-card")
    assert cards.count() > 0
    first = cards.first
    assert first.is_visible()
    assert OPEN_WORDS.match(first.locator(".open-state").inner_text().strip())
    assert re.search(r"\d+ min drive", first.locator(".travel").inner_text())
    call = first.locator("a[href^='tel:']").first
    assert call.is_visible() and call.inner_text().startswith("Call ")
    assert first.get_by_role("link", name="Directions").is_visible()
    # The officer transports by default: every result takes police drop-offs.
    assert page.get_by_text(LANDMARK).first.is_visible()
    assert page.get_by_role("heading", name="Why these").is_visible()
    assert page.get_by_role("heading", name="Not shown, and why").is_visible()
    assert page.get_by_role("heading", name="Someone to contact, any time").count() == 1
    assert page.get_by_text("988 Suicide & Crisis Lifeline").first.count() == 1
    no_horizontal_overflow(page)
    # The first card's facts fit on the first screens of a phone.
    box = first.bounding_box()
    assert box is not None and box["width"] <= 390


def test_why_this_one_and_not_shown_open_on_tap(page):
    search(page, place="87110")

    first = page.locator("li.result-card").first
    first.get_by_text("Why this one").click()
    assert first.locator(".why-one li").first.is_visible()
    page.locator("#not-shown summary").click()
    assert page.locator(".excluded-list li").first.is_visible()
    no_horizontal_overflow(page)


def test_handout_from_a_result_has_a_qr_code_in_english_and_spanish(page):
    search(page)
    first = page.locator("li.result-card").first
    name = first.locator(".result-title a").inner_text().strip()

    first.get_by_label("Add to handout").check()
    page.get_by_role("button", name="Make handout").click()
    page.wait_for_load_state()

    assert urlsplit(page.url).path == "/handout"
    assert set(parse_qs(urlsplit(page.url).query)) == {"services", "lang"}
    assert page.get_by_role("heading", name="Places that can help").is_visible()
    assert page.get_by_role("heading", name=name).is_visible()
    qr = page.locator(".handout-qr img").first
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", qr.element_handle())
    assert page.get_by_role("button", name="Print").is_visible()
    no_horizontal_overflow(page)

    page.get_by_role("link", name="En español").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Lugares que pueden ayudar").is_visible()
    assert page.locator(".handout-qr img").count() == 1


def test_report_a_problem_from_a_result(page):
    search(page)
    first = page.locator("li.result-card").first

    first.get_by_text("Report a problem").click()
    first.get_by_label("What is wrong with this listing?").select_option("wrong-phone")
    first.get_by_label("Details (optional)").fill("The number was not answered.")
    first.get_by_role("button", name="Send report").click()
    page.wait_for_load_state()

    assert page.get_by_text("Thanks, the coordinators will check this listing.").is_visible()
    assert "again=1" in page.url
    assert page.locator("li.result-card").count() > 0  # back at the same results


def test_use_my_location_with_granted_geolocation(located_page):
    page = located_page
    page.goto("/")
    page.get_by_label("Address, ZIP code or landmark").fill("something typed first")

    button = page.get_by_role("button", name="Use my location")
    assert button.is_visible()
    button.click()
    page.get_by_text(re.compile("Using your location")).wait_for()

    assert page.get_by_label("Address, ZIP code or landmark").input_value() == ""
    assert page.locator("input[name='lat']").input_value() == "35.09820"
    assert page.locator("input[name='lon']").input_value() == "-106.61122"
    page.locator("label.chip", has_text="In crisis now").click()
    page.get_by_role("button", name="Find places").click()
    page.wait_for_load_state()

    query = parse_qs(urlsplit(page.url).query)
    assert query["lat"] == ["35.09820"] and query["location_source"] == ["geolocation"]
    assert page.locator(".search-summary").get_by_text("your location").is_visible()
    assert page.locator("li.result-card").count() > 0
    no_horizontal_overflow(page)


def test_use_my_location_refused_says_so_without_errors(page):
    # The default test context grants no permission: the browser refuses the position.
    page.goto("/")
    page.get_by_role("button", name="Use my location").click()

    page.get_by_text(re.compile("Your location is not available")).wait_for()
    assert page.locator("input[name='lat']").input_value() == ""


def test_typing_a_place_clears_the_point(located_page):
    page = located_page
    page.goto("/")
    page.get_by_role("button", name="Use my location").click()
    page.get_by_text(re.compile("Using your location")).wait_for()

    page.get_by_label("Address, ZIP code or landmark").fill("87110")

    assert page.locator("input[name='lat']").input_value() == ""
    assert page.locator("input[name='location_source']").input_value() == ""


def test_basic_search_works_without_javascript(no_js_page):
    page = no_js_page
    page.goto("/")
    assert not page.get_by_role("button", name="Use my location").is_visible()

    search(page, place="87110")

    assert page.locator("li.result-card").count() > 0
    assert page.get_by_role("heading", name="Not shown, and why").is_visible()
    no_horizontal_overflow(page)


def test_missing_location_is_shown_beside_the_field(page):
    page.goto("/")
    page.locator("label.chip", has_text="In crisis now").click()
    page.get_by_role("button", name="Find places").click()
    page.wait_for_load_state()

    error = page.locator("#near-error")
    assert error.is_visible() and "Where is the person?" in error.inner_text()
    assert page.locator("label.chip", has_text="In crisis now").locator("input").is_checked()
    no_horizontal_overflow(page)


def test_empty_form_fits_the_phone_screen(page):
    page.goto("/")

    assert page.get_by_role("heading", name="Find help now").is_visible()
    assert page.locator("label.chip").count() >= 5
    chip = page.locator("label.chip").first.bounding_box()
    assert chip is not None and chip["height"] >= 44  # large tap targets
    assert page.get_by_label("I will drive them there (police drop-off)").is_checked()
    no_horizontal_overflow(page)
