"""Coordinators edit demo listings in a real headless Chromium: the hours editor, and a conflict
between two browsers editing the same service."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

VET_TO_VET = "b5a9eda0-7544-52de-9019-890013cea669"  # demo: Mon-Fri 12:00-20:00
SENIOR_HELPLINE = "e0dff816-c1c4-5b1a-817d-1cca33e4722c"


def log_in(page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()
    page.wait_for_load_state()
    assert page.get_by_text(email).first.is_visible()


def test_add_an_overnight_window_in_the_hours_editor(page, live_user):
    log_in(page, *live_user)
    response = page.goto(f"/inventory/services/{VET_TO_VET}/hours")
    assert response is not None and response.status == 200
    # The existing window is shown as row 1; row 2 is blank.
    assert page.locator("#windows-0-opens_at").input_value() == "12:00"
    assert page.locator("#windows-1-opens_at").input_value() == ""
    row = page.locator(".window-row").nth(1)
    row.get_by_label("Sat").check()
    page.locator("#windows-1-opens_at").fill("22:00")
    page.locator("#windows-1-closes_at").fill("06:00")
    page.get_by_role("button", name="Save hours").click()
    page.wait_for_load_state()

    assert re.search(rf"/services/{VET_TO_VET}$", page.url)
    assert page.get_by_text("Saved.").first.is_visible()
    hours = page.locator("ul.hours").first.inner_text()
    assert "Sat" in hours and "10:00 PM" in hours and "6:00 AM" in hours
    assert "12:00 PM" in hours  # the existing window is kept
    # Nothing wider than the phone screen on the editor.
    page.goto(f"/inventory/services/{VET_TO_VET}/hours")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_the_js_button_adds_a_row(page, live_user):
    log_in(page, *live_user)
    page.goto(f"/inventory/services/{VET_TO_VET}/hours")
    before = page.locator(".window-row").count()
    page.get_by_role("button", name="Add a window").click()
    assert page.locator(".window-row").count() == before + 1
    assert page.locator(f"#windows-{before}-opens_at").input_value() == ""


def _context(browser, live_server, errors: list[str]):
    context = browser.new_context(viewport={"width": 1024, "height": 900}, base_url=live_server)
    page = context.new_page()
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page


def test_two_browsers_editing_the_same_service_get_a_conflict(browser, live_server, live_user):
    errors: list[str] = []
    first_context, first = _context(browser, live_server, errors)
    second_context, second = _context(browser, live_server, errors)
    try:
        log_in(first, *live_user)
        log_in(second, *live_user)
        path = f"/inventory/services/{SENIOR_HELPLINE}/edit"
        first.goto(path)
        second.goto(path)

        first.get_by_label("Alert shown at the top of the listing").fill("First browser alert")
        first.get_by_role("button", name="Save", exact=True).click()
        first.wait_for_load_state()
        assert first.get_by_text("Saved.").first.is_visible()

        second.get_by_label("Alert shown at the top of the listing").fill("Second browser alert")
        with second.expect_navigation() as navigation:
            second.get_by_role("button", name="Save", exact=True).click()
        assert navigation.value.status == 409
        assert second.get_by_role("heading", level=1).inner_text().startswith("Not saved")
        table = second.locator("table.conflict").inner_text()
        assert "Second browser alert" in table and "First browser alert" in table

        second.get_by_role("link", name="Reload the form with the current version").click()
        second.wait_for_load_state()
        field = second.get_by_label("Alert shown at the top of the listing")
        assert field.input_value() == "First browser alert"
        second.goto(f"/services/{SENIOR_HELPLINE}")
        assert second.get_by_text("First browser alert").first.is_visible()
        assert second.get_by_text("Second browser alert").count() == 0
    finally:
        first_context.close()
        second_context.close()
    # Chromium reports the 409 page load as a failed resource; nothing else may fail.
    assert all("409" in e for e in errors), errors
    assert len(errors) <= 1, errors


def test_coordinator_edits_hours_verifies_and_sees_the_history(page, live_user):
    """The issue's whole flow in one browser: overnight hours, verified today, the history."""
    log_in(page, *live_user)
    page.goto(f"/services/{SENIOR_HELPLINE}")
    page.get_by_role("link", name="Edit hours").click()
    page.wait_for_load_state()
    blank = page.locator(".window-row").last
    blank.get_by_label("Fri").check()
    row_id = blank.locator("input[id$='-opens_at']").get_attribute("id")
    page.locator(f"#{row_id}").fill("21:00")
    page.locator(f"#{row_id.replace('opens_at', 'closes_at')}").fill("03:00")
    page.get_by_role("button", name="Save hours").click()
    page.wait_for_load_state()
    assert re.search(rf"/services/{SENIOR_HELPLINE}$", page.url)
    hours = page.locator("ul.hours").first.inner_text()
    assert "9:00 PM" in hours and "3:00 AM" in hours

    page.get_by_role("button", name=re.compile("Verified today")).click()
    page.wait_for_load_state()
    assert re.search(rf"/services/{SENIOR_HELPLINE}$", page.url)
    verified = page.locator("#verified-heading + p").inner_text()
    today = datetime.now(ZoneInfo("America/Denver")).date()
    assert f"{today:%b} {today.day}, {today.year}" in verified

    page.get_by_role("link", name="History").click()
    page.wait_for_load_state()
    history = page.locator("main").inner_text()
    assert "schedules" in history
    assert "verify" in history.lower()
    assert live_user[0] in history
