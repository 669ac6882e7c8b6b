"""What an officer typed does not leave the results page in a Referer (issue #17 item 3).

The lookup is a GET form, so the results page's address holds the place and the person's facts.
Real Chromium decides what Referer it sends from the page's Referrer-Policy; this test reads the
headers Chromium actually sent for the results page's styles, scripts and icon, and for the
listing the officer opens from a result.
"""

from __future__ import annotations

LANDMARK = "Cedar Bluff Police Headquarters"


def test_results_page_sends_no_referer_with_its_requests_or_links(page):
    page.goto("/")
    page.get_by_label("Address, ZIP code or landmark").fill(LANDMARK)
    page.locator("label.chip", has_text="In crisis now").click()
    sent: list = []
    page.on("request", lambda request: sent.append(request))
    with page.expect_navigation():
        page.get_by_role("button", name="Find places").click()
    page.wait_for_load_state("networkidle")
    results_url = page.url
    assert "near=Cedar" in results_url
    cards = page.locator("li.result-card")
    assert cards.count() > 0
    with page.expect_navigation():
        cards.first.locator("a[href^='/services/']").first.click()
    after_results = [r for r in sent if r.url != results_url]
    kinds = {r.resource_type for r in after_results}
    assert {"stylesheet", "script", "document"} <= kinds, kinds
    referers = {r.url: r.all_headers().get("referer") for r in after_results}
    assert all(referer is None for referer in referers.values()), referers
