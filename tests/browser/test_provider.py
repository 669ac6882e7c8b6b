"""Provider self-service in a real Chromium on a 390x844 phone: invited, logs in, marks a unit
full, and an officer's lookup in another browser context sees it at once; then "+2"."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from tests.browser.conftest import PageWatch, serious_axe_violations

# Demo data: a crisis receiving center near the landmark, counting chairs (3 of 16, stale).
SERVICE = "f43a0f25-07b9-5d42-bb01-bdc802b919ec"
SERVICE_NAME = "Mesa Ridge Crisis Receiving Center"
ORGANIZATION = "a2b37ec0-66e7-56bc-8dfb-e05303cf3502"
LANDMARK = "Cedar Bluff Police Headquarters"
LANDMARK_POINT = {"lat": 35.09820, "lon": -106.61122}
PROVIDER_EMAIL = "charge.nurse@mesa-ridge.example.org"
PROVIDER_PASSWORD = "a long charge nurse password"


def phone(browser, live_server: str):
    """Another 390x844 browser context (its own cookies), watched like the ``page`` fixture."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=live_server)
    page = context.new_page()
    watch = PageWatch()
    page.on(
        "console",
        lambda msg: watch.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: watch.console_errors.append(str(exc)))

    def guard(route):
        if urlsplit(route.request.url).hostname in ("localhost", "127.0.0.1"):
            route.continue_()
        else:
            watch.offsite_requests.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.watch = watch
    return context, page


def log_in(page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()
    page.wait_for_load_state()


def officer_search(page) -> None:
    page.goto("/")
    page.get_by_label("Address, ZIP code or landmark").fill(LANDMARK)
    page.locator("label.chip", has_text="In crisis now").click()
    page.get_by_role("button", name="Find places").click()
    page.wait_for_load_state()


def card(page):
    return page.locator("li.result-card", has_text=SERVICE_NAME)


def match_exclusions(page) -> list[str]:
    answer = page.request.get(
        "/api/v1/match",
        params={**LANDMARK_POINT, "needs": "crisis-now", "transport": "true"},
    ).json()
    return [
        reason["code"]
        for excluded in answer["excluded"]
        if excluded["service_id"] == SERVICE
        for reason in excluded["reasons"]
    ]


def test_invited_provider_marks_full_then_plus_two_and_the_officer_sees_it_at_once(
    page, browser, live_server, live_user
):
    # A coordinator invites the charge nurse; the link is shown once.
    log_in(page, *live_user)
    page.goto(f"/inventory/organizations/{ORGANIZATION}/providers")
    page.get_by_label("Their work email").fill(PROVIDER_EMAIL)
    page.get_by_role("button", name="Create invitation link").click()
    page.wait_for_load_state()
    link = page.locator("code.invitation-link").inner_text().strip()
    assert "/provider/invitation/" in link

    provider_context, provider = phone(browser, live_server)
    officer_context, officer = phone(browser, live_server)
    try:
        # The provider accepts the invitation on the unit's phone, then logs in.
        provider.goto(urlsplit(link).path)
        provider.get_by_label("New password").fill(PROVIDER_PASSWORD)
        provider.get_by_label("The same password again").fill(PROVIDER_PASSWORD)
        provider.get_by_role("button", name="Set password and log in").click()
        provider.wait_for_load_state()
        assert "/login" in provider.url
        log_in(provider, PROVIDER_EMAIL, PROVIDER_PASSWORD)
        assert urlsplit(provider.url).path == "/provider/"
        section = provider.locator(f"#service-{SERVICE}")
        assert section.get_by_role("heading", name=SERVICE_NAME).is_visible()
        assert "Please update" in section.inner_text()  # the demo figure is stale
        assert serious_axe_violations(provider) == []
        assert provider.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        # The link is used up.
        used = provider.context.new_page()
        response = used.goto(urlsplit(link).path)
        assert response is not None and response.status == 410
        assert "already been used" in used.locator("main").inner_text()
        used.close()

        # Before: the officer is offered the center.
        officer_search(officer)
        assert card(officer).count() == 1

        # Full: the very next look-up leaves it out, as full.
        section.get_by_role("button", name="Full").click()
        provider.wait_for_load_state()
        assert "0 chairs free, reported just now" in provider.locator(".flashes").inner_text()
        officer_search(officer)
        assert card(officer).count() == 0
        not_shown = officer.locator("#not-shown")
        not_shown.locator("summary").click()
        entry = not_shown.locator("li", has_text=SERVICE_NAME)
        assert "Full" in entry.first.inner_text()
        assert "full" in match_exclusions(officer)

        # "+2": back in the results with 2 free, reported just now.
        section = provider.locator(f"#service-{SERVICE}")
        section.get_by_label(re.compile("Set free chairs to N")).fill("+2")
        section.get_by_role("button", name="Set", exact=True).click()
        provider.wait_for_load_state()
        assert "2 chairs free, reported just now" in provider.locator(".flashes").inner_text()
        officer_search(officer)
        result = card(officer)
        assert result.count() == 1
        assert (
            result.locator(".capacity-line").inner_text().strip() == "2 of 16 chairs free, just now"
        )
        result.get_by_text("Why this one").click()
        assert "2 chairs free, reported just now" in result.locator(".why-one").inner_text()
        assert match_exclusions(officer) == []

        # The provider page still has nothing serious for axe after the updates.
        assert serious_axe_violations(provider) == []
    finally:
        provider_context.close()
        officer_context.close()
    provider.watch.assert_clean()
    officer.watch.assert_clean()


def test_provider_page_works_without_javascript(browser, live_server, live_app):
    from sqlalchemy.orm import Session

    from pmhc_directory.db import get_database
    from pmhc_directory.services.accounts import create_user

    email = "nojs.nurse@mesa-ridge.example.org"
    with Session(get_database(live_app).engine) as session:
        create_user(session, email, "provider", PROVIDER_PASSWORD, ORGANIZATION)
        session.commit()
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, base_url=live_server, java_script_enabled=False
    )
    try:
        page = context.new_page()
        log_in(page, email, PROVIDER_PASSWORD)
        section = page.locator(f"#service-{SERVICE}")
        section.get_by_label(re.compile("Set free chairs to N")).fill("5")
        section.get_by_role("button", name="Set", exact=True).click()
        page.wait_for_load_state()
        assert "5 chairs free, reported just now" in page.locator(".flashes").inner_text()
        section = page.locator(f"#service-{SERVICE}")
        section.get_by_role("button", name=re.compile("one fewer free")).click()
        page.wait_for_load_state()
        assert "4 chairs free" in page.locator(".flashes").inner_text()
    finally:
        context.close()


# Last in the module: accepting the hours changes the demo center the tests above look up.
def test_proposed_overnight_hours_are_accepted_from_the_queue(
    page, browser, live_server, live_app, live_user
):
    from sqlalchemy.orm import Session

    from pmhc_directory.db import get_database
    from pmhc_directory.services.accounts import create_user

    email = "hours.nurse@mesa-ridge.example.org"
    with Session(get_database(live_app).engine) as session:
        create_user(session, email, "provider", PROVIDER_PASSWORD, ORGANIZATION)
        session.commit()
    provider_context, provider = phone(browser, live_server)
    try:
        log_in(provider, email, PROVIDER_PASSWORD)
        provider.locator(f"#service-{SERVICE}").get_by_role(
            "link", name="Propose new hours"
        ).click()
        provider.wait_for_load_state()
        assert serious_axe_violations(provider) == []
        provider.locator("#always_open").uncheck()  # the demo center is 24/7 now
        blank = provider.locator(".window-row").last
        blank.get_by_label("Sat").check()
        row_id = blank.locator("input[id$='-opens_at']").get_attribute("id")
        provider.locator(f"#{row_id}").fill("21:00")
        provider.locator(f"#{row_id.replace('opens_at', 'closes_at')}").fill("03:00")
        provider.get_by_role("button", name="Send for review").click()
        provider.wait_for_load_state()
        assert "sent to your coordinator" in provider.locator(".flashes").inner_text()
    finally:
        provider_context.close()
    provider.watch.assert_clean()

    log_in(page, *live_user)
    page.goto("/inventory/queue#queue-proposals")
    proposal = page.locator("article.proposal", has_text=SERVICE_NAME)
    assert "9:00 PM" in proposal.inner_text() and "3:00 AM" in proposal.inner_text()
    assert serious_axe_violations(page) == []
    proposal.get_by_role("button", name="Accept").click()
    page.wait_for_load_state()
    assert "are live" in page.locator(".flashes").inner_text()
    page.goto(f"/services/{SERVICE}")
    hours = page.locator("ul.hours").first.inner_text()
    assert "9:00 PM" in hours and "3:00 AM" in hours
