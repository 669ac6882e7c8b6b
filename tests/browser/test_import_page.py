"""A coordinator imports a legacy 211 export on the import page in real Chromium: uploads the
zip, reads the dry run, downloads the problem report, confirms, watches the background import
finish on the page, and finds the flagged listings in the verification queue (axe-clean)."""

from __future__ import annotations

import csv
import io
import re

from tests.browser.conftest import serious_axe_violations
from tests.browser.test_editing import log_in
from tests.legacy211_problems import build_messy_export


def test_coordinator_imports_a_legacy_export(page, live_user, tmp_path):
    export = tmp_path / "metro211_hsds1.zip"
    spoilt = build_messy_export(export, 600)
    log_in(page, *live_user)
    page.goto("/inventory/import/")
    assert serious_axe_violations(page) == []
    page.get_by_label("File to import").set_input_files(str(export))
    page.get_by_role("button", name="Check the file").click()

    # the dry run runs in the background; the page follows it until the report is ready
    page.get_by_role("heading", name="Dry run: nothing has changed yet").wait_for(timeout=120_000)
    assert "Legacy 211 export" in page.content()
    sound = len(set(spoilt.manifest.hours) - spoilt.skipped_services)
    counts = page.locator("table.import-counts")
    assert re.search(rf"Services created\s+{sound}\b", counts.inner_text())
    assert page.locator("table.import-problems tbody tr").count() > 0
    assert serious_axe_violations(page) == []

    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"Download all \d+ problems")).click()
    text = download.value.path().read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {"placeholder", "row-dropped", "field-dropped", "skipped"} <= {r["action"] for r in rows}

    page.get_by_role("button", name=re.compile("^Import metro211")).click()
    # while it runs the page shows the progress bar (unless it finished before the first look)
    page.wait_for_selector("progress, h2:has-text('Imported')", timeout=60_000)
    page.get_by_role("heading", name="Imported", exact=True).wait_for(timeout=180_000)
    assert serious_axe_violations(page) == []

    page.get_by_role("link", name="verification queue", exact=True).click()
    section = page.locator("section[aria-labelledby='queue-imported']")
    heading = section.get_by_role("heading", name=re.compile("Imported with problems"))
    assert f"({len(spoilt.flagged_services)})" in heading.inner_text()
    first = section.locator(".imported-item").first
    assert first.locator(".import-problems-list li").count() >= 1
    assert serious_axe_violations(page) == []
