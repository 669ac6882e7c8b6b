"""Issue #22 in a real headless Chromium, at desktop (1366x900) and phone (390x844) sizes: the
public directory's search box, History, the hours editor, the conflict page, the outcomes
pages and the empty handout, each checked with axe-core (WCAG 2.2 AA).

Screenshots go to ``$PMHC_SCREENSHOT_DIR`` when it is set (to look at), else to a temporary
folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy.orm import Session

from pmhc_directory.cli import SEED_DIR
from pmhc_directory.db import get_database
from tests.browser.conftest import PageWatch, serious_axe_violations

SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
SOBERING = "Depot District Sobering Center"
SOBERING_ID = "99d433c6-062c-5acd-bc66-30c306edc316"  # demo, open 24/7
RESPITE_ID = "3ee37ea2-8338-5629-a864-756cfb9d6210"  # demo, open 24/7
VET_TO_VET = "b5a9eda0-7544-52de-9019-890013cea669"  # demo: Mon-Fri 12:00-20:00
LANDMARK = "Cedar Bluff Police Headquarters"


@pytest.fixture(params=list(SIZES))
def sized(request, browser, live_server, tmp_path_factory):
    """A page at one of the two sizes, failing on console errors and off-site requests."""
    width, height = SIZES[request.param]
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=live_server)
    page = context.new_page()
    watch = PageWatch()
    page.on(
        "console",
        lambda msg: (
            watch.console_errors.append(msg.text)
            if msg.type == "error" and "409" not in msg.text and "422" not in msg.text
            else None
        ),
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
    folder = Path(os.environ.get("PMHC_SCREENSHOT_DIR") or tmp_path_factory.mktemp("shots"))
    folder.mkdir(parents=True, exist_ok=True)
    page.size_name = request.param
    page.shot = lambda name, full=True: page.screenshot(
        path=str(folder / f"{name}-{request.param}.png"), full_page=full
    )
    yield page
    context.close()
    watch.assert_clean()


def log_in(page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()
    page.wait_for_load_state()


def no_horizontal_overflow(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than the screen"


def no_axe_problems(page) -> None:
    assert serious_axe_violations(page) == []


# 1. The directory's search box ------------------------------------------------------------------


def test_search_the_directory_by_a_misspelt_name(sized):
    page = sized
    page.goto("/directory")
    page.get_by_label("Search by name or words").fill("Depot Distrct Sobring")
    page.get_by_role("button", name="Show services").click()
    page.wait_for_load_state()
    assert "q=Depot+Distrct+Sobring" in page.url
    names = page.locator("h3.result-name").all_inner_texts()
    assert names[0] == SOBERING  # best match first
    assert page.get_by_role("heading", name=re.compile("Services matching")).is_visible()
    assert page.get_by_label("Search by name or words").input_value() == "Depot Distrct Sobring"
    page.shot("directory-search")
    no_horizontal_overflow(page)
    no_axe_problems(page)
    # With a filter that excludes it, it is not found.
    page.goto("/directory?q=sobring&continuum=contact")
    assert SOBERING not in page.locator("main").inner_text()


# 2. History --------------------------------------------------------------------------------------


def test_history_is_readable(sized, live_user):
    page = sized
    log_in(page, *live_user)
    page.goto(f"/inventory/services/{VET_TO_VET}/hours")
    row = page.locator(".window-row").nth(1)
    row.get_by_label("Sat").check()
    page.locator("#windows-1-opens_at").fill("10am")
    page.locator("#windows-1-closes_at").fill("2pm")
    page.get_by_role("button", name="Save hours").click()
    page.wait_for_load_state()

    page.goto(f"/inventory/services/{VET_TO_VET}/history")
    main = page.locator("main").inner_text()
    assert '["' not in main  # no raw JSON
    assert re.search(r"Sat 10:00 AM.2:00 PM", main)
    assert re.search(r"Mon.Fri 12:00 PM.8:00 PM", main)
    page.shot("history")
    no_horizontal_overflow(page)
    # Nothing cut off at the right, and no value squeezed into a sliver (letter by letter).
    width = page.evaluate("window.innerWidth")
    for box in page.locator(".history-value").evaluate_all(
        "cells => cells.map(c => c.getBoundingClientRect()).map(r => [r.right, r.width])"
    ):
        right, cell_width = box
        assert right <= width
        assert cell_width >= 150
    if page.size_name == "desktop":
        table = page.locator("table.history-table").bounding_box()
        column = page.locator("main h1").bounding_box()
        assert table["width"] > column["width"]  # wider than the reading column
    no_axe_problems(page)


# 3. The hours editor ------------------------------------------------------------------------------


def test_hours_editor_reads_free_times_and_flags_every_bad_one(sized, live_user):
    page = sized
    log_in(page, *live_user)
    page.goto(f"/inventory/services/{VET_TO_VET}/hours")
    no_axe_problems(page)
    opens = page.locator("#windows-2-opens_at")
    assert opens.get_attribute("placeholder") is None
    page.locator(".window-row").nth(2).get_by_label("Fri").check()
    opens.fill("11pmm")
    page.locator("#windows-2-closes_at").fill("7 in the morning")
    page.get_by_role("button", name="Save hours").click()
    page.wait_for_load_state()

    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert "Nothing was saved" in summary.inner_text()
    box = summary.bounding_box()
    assert box["y"] < page.viewport_size["height"]  # seen without scrolling
    assert page.locator("#windows-2-opens_at-error").is_visible()
    assert page.locator("#windows-2-closes_at-error").is_visible()
    assert "“11pmm” is not a time of day" in page.locator("#windows-2-opens_at-error").inner_text()
    page.shot("hours-errors")
    no_horizontal_overflow(page)
    no_axe_problems(page)
    # The summary's link takes the keyboard to the field.
    summary.get_by_role("link", name=re.compile("Window 3, Closes")).click()
    assert page.evaluate("document.activeElement.id") == "windows-2-closes_at"

    page.locator("#windows-2-opens_at").fill("11pm")
    page.locator("#windows-2-closes_at").fill("7am")
    page.get_by_role("button", name="Save hours").click()
    page.wait_for_load_state()
    assert page.get_by_text("Saved.").first.is_visible()
    hours = page.locator("ul.hours").first.inner_text()
    assert "11:00 PM" in hours and "7:00 AM" in hours


# 4. The conflict page -----------------------------------------------------------------------------


def test_conflict_page_names_only_the_real_changes_in_local_time(sized, live_user):
    page = sized
    log_in(page, *live_user)
    path = f"/inventory/services/{RESPITE_ID}/edit"
    page.goto(path)
    other = page.context.new_page()
    other.goto(path)
    other.get_by_label("Alert shown at the top of the listing").fill(f"Closed {page.size_name}")
    other.get_by_role("button", name="Save", exact=True).click()
    other.wait_for_load_state()
    other.close()

    page.get_by_label("Description").fill("Peer-run house, walk in any time.")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Save", exact=True).click()
    assert navigation.value.status == 409
    differing = page.locator("tr.differs th").all_inner_texts()
    assert sorted(d.replace("differs", "").strip() for d in differing) == [
        "Alert shown at the top of the listing",
        "Description",
    ]
    text = page.locator("main").inner_text()
    assert "open-24-7" not in text
    assert re.search(r"\d{2}:\d{2} (MST|MDT)", text)  # local time, as History shows
    page.shot("conflict")
    no_horizontal_overflow(page)
    no_axe_problems(page)


# 5. Outcomes -------------------------------------------------------------------------------------


def test_outcomes_dashboard_has_demo_figures_with_the_outcomes_defined(sized, live_user):
    page = sized
    log_in(page, *live_user)
    page.goto("/outcomes/")
    encounters = page.locator("text=Encounters in the period").locator("strong").inner_text()
    assert int(encounters.replace(",", "")) >= 11
    table = page.locator("table.outcome-table").first.inner_text()
    assert "Connected to care (on scene or taken to a facility)" in table
    assert "on scene\t" not in table
    assert re.search(r"\d+%", table)
    page.locator("summary", has_text="How each measure is counted").click()
    assert page.get_by_text("taken to a crisis facility, of all encounters").is_visible()
    assert "<11" in page.locator("main").inner_text()  # small areas stay suppressed
    page.shot("outcomes")
    no_horizontal_overflow(page)
    no_axe_problems(page)

    page.goto("/outcomes/scorecard")
    q5 = page.locator("#q5").locator("xpath=..").inner_text()
    assert "Encounters in the last 12 months" in q5
    page.shot("scorecard")
    no_axe_problems(page)


# 6. An empty handout ------------------------------------------------------------------------------


def test_an_empty_handout_goes_back_to_the_results(sized):
    page = sized
    page.goto("/")
    page.get_by_label("Address, ZIP code or landmark").fill(LANDMARK)
    page.locator("label.chip", has_text="In crisis now").click()
    page.get_by_role("button", name="Find places").click()
    page.wait_for_load_state()
    results = page.url
    names = page.locator("li.result-card .result-title a").all_inner_texts()
    assert names

    page.get_by_role("button", name="Make handout").click()
    alert = page.locator("#handout-form").get_by_role("alert")
    alert.wait_for()
    assert "No handout yet: nothing is ticked" in alert.inner_text()
    assert page.url == results  # still the results, all of them
    assert page.locator("li.result-card .result-title a").all_inner_texts() == names
    alert.scroll_into_view_if_needed()
    page.shot("empty-handout", full=False)  # where the officer is: at the handout buttons
    no_horizontal_overflow(page)


def test_an_empty_handout_without_javascript_keeps_the_results(browser, live_server):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, base_url=live_server, java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.goto("/")
        page.get_by_label("Address, ZIP code or landmark").fill(LANDMARK)
        page.locator("label.chip", has_text="In crisis now").click()
        page.get_by_role("button", name="Find places").click()
        page.wait_for_load_state()
        results, names = page.url, page.locator("li.result-card .result-title a").all_inner_texts()
        with page.expect_response(lambda r: urlsplit(r.url).path == "/handout") as answer:
            page.get_by_role("button", name="Make handout").click()
        assert answer.value.status == 204
        page.wait_for_timeout(300)
        assert page.url == results
        assert page.locator("li.result-card .result-title a").all_inner_texts() == names
    finally:
        context.close()


# Inventory and the demo's fresh capacity ---------------------------------------------------------


def test_inventory_and_editing_pages_pass_axe(sized, live_user):
    page = sized
    log_in(page, *live_user)
    for path in ("/inventory", f"/inventory/services/{SOBERING_ID}/edit"):
        page.goto(path)
        no_axe_problems(page)
    page.shot("inventory-edit")


def test_demo_capacity_kept_fresh_shows_on_some_cards(sized, live_app):
    from pmhc_directory.services.seed import refresh_demo_capacity

    with Session(get_database(live_app).engine) as session:
        from datetime import UTC, datetime

        refresh_demo_capacity(session, SEED_DIR, datetime.now(UTC), 12)
        session.commit()
    page = sized
    page.goto("/")
    page.get_by_label("Address, ZIP code or landmark").fill(LANDMARK)
    page.locator("label.chip", has_text="In crisis now").click()
    page.get_by_role("button", name="Find places").click()
    page.wait_for_load_state()
    lines = page.locator(".capacity-line")
    fresh = page.locator(".capacity-line:not(.capacity-old)")
    assert fresh.count() >= 1, lines.all_inner_texts()
    page.shot("find-fresh-capacity")
