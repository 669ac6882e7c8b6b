"""The first pages in a real headless Chromium at phone width."""

from __future__ import annotations

import re


def test_home_page_loads_clean(page):
    response = page.goto("/")
    assert response is not None and response.status == 200
    # National lines are always visible; the demo banner shows while demo data is loaded.
    assert page.get_by_text("988").first.is_visible()
    assert page.get_by_text(re.compile("demo data", re.IGNORECASE)).first.is_visible()
    # Nothing wider than the phone screen.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_browse_and_open_a_service(page):
    page.goto("/directory")
    first = page.locator("main a[href^='/services/']").first
    name = first.inner_text().strip()
    first.click()
    page.wait_for_load_state()
    assert re.search(r"/services/[0-9a-f-]{36}$", page.url)
    assert page.locator("h1").inner_text().strip() == name


def test_coordinator_logs_in_and_out(page, live_user):
    email, password = live_user
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()
    page.wait_for_load_state()
    assert page.get_by_text(email).first.is_visible()
    page.get_by_role("button", name=re.compile("log out", re.IGNORECASE)).click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name=re.compile("log in", re.IGNORECASE)).first.is_visible()
