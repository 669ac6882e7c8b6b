"""An officer logs an encounter on a phone-sized screen in real headless Chromium: a handful of
taps, no console errors, nothing wider than the screen."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pmhc_directory.db import get_database
from pmhc_directory.models import Encounter, User
from pmhc_directory.services.accounts import create_user

OFFICER = ("browser.officer@example.org", "a long browser officer password")


@pytest.fixture
def live_officer(live_app) -> tuple[str, str]:
    """An officer account in the live server's database (email, password)."""
    email, password = OFFICER
    with Session(get_database(live_app).engine) as session:
        if session.scalar(select(User).where(User.email == email)) is None:
            create_user(session, email, "officer", password)
            session.commit()
    return email, password


def log_in(page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()
    page.wait_for_load_state()
    assert page.get_by_text(email).first.is_visible()


def no_overflow(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def encounters(live_app) -> list[Encounter]:
    with Session(get_database(live_app).engine) as session:
        found = list(session.scalars(select(Encounter)))
        session.expunge_all()
        return found


def test_officer_logs_an_encounter_in_a_few_taps(page, live_app, live_officer):
    log_in(page, *live_officer)
    before = len(encounters(live_app))
    page.get_by_role("link", name="Outcomes").click()
    page.wait_for_load_state()
    no_overflow(page)
    page.get_by_role("link", name="Log an encounter").click()
    page.wait_for_load_state()
    assert page.get_by_text("Location is reduced to a census area and not kept").is_visible()
    assert page.locator("#occurred_at").input_value() != ""
    # The facility fields only show for "transported" and "facility declined".
    assert not page.locator("#facility_id").is_visible()
    no_overflow(page)

    page.locator(".chip", has_text="Mental health care").click()
    page.get_by_label("ZIP code, place or landmark").fill("87102")
    page.get_by_label("Connected on scene").check()
    page.locator("#field-use_of_force").get_by_label("No").check()
    page.locator("#field-injury").get_by_label("No").check()
    page.get_by_role("button", name="Log encounter").click()
    page.wait_for_load_state()

    assert page.url.endswith("/outcomes/encounters/new")
    assert page.get_by_role("status").filter(has_text="Encounter logged").is_visible()
    # A fresh form: nothing carried over.
    assert page.get_by_label("ZIP code, place or landmark").input_value() == ""
    no_overflow(page)
    after = encounters(live_app)
    assert len(after) == before + 1
    logged = max(after, key=lambda e: (e.created_on, e.occurred_hour))
    assert logged.area_id, "the ZIP code was turned into a demo analysis area"
    assert logged.disposition == "connected-on-scene"
    assert logged.needs == "mental-health-care"
    assert not logged.use_of_force and not logged.injury


def test_facility_fields_show_for_a_decline(page, live_officer):
    log_in(page, *live_officer)
    page.goto("/outcomes/encounters/new")
    page.get_by_label("Facility declined", exact=True).check()
    assert page.locator("#facility_id").is_visible()
    assert page.locator("#decline_reason").is_visible()
    page.get_by_label("Transported to a facility").check()
    assert page.locator("#facility_id").is_visible()
    assert not page.locator("#decline_reason").is_visible()
    no_overflow(page)


def test_dashboard_and_scorecard_fit_a_phone(page, live_user):
    log_in(page, *live_user)
    response = page.goto("/outcomes/")
    assert response is not None and response.status == 200
    no_overflow(page)
    response = page.goto("/outcomes/scorecard")
    assert response is not None and response.status == 200
    no_overflow(page)


def test_log_encounter_from_a_lookup_result(page, live_officer):
    log_in(page, *live_officer)
    page.goto("/?near=87102&needs=crisis-now")
    card = page.locator(".result-card").first
    name = card.locator(".result-title a").inner_text()
    card.get_by_role("link", name="Log encounter").click()
    page.wait_for_load_state()
    assert "/outcomes/encounters/new?services=" in page.url
    referred = page.locator("#field-services")
    assert referred.get_by_label(name).is_checked()
    no_overflow(page)
