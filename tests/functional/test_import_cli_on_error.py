"""``pmhc import --on-error fail|skip --report FILE`` as a real process on a legacy 211 export
with every problem class: counts printed, a short list on screen that says where the full
report is, every problem in the CSV, and the exit codes."""

from __future__ import annotations

import csv
import io

from tests.functional.test_cli import instance, ok, run  # noqa: F401 (the fixture)
from tests.legacy211_problems import build_messy_export


def test_on_error_and_report(instance, fresh_database_url, tmp_path):  # noqa: F811
    url = fresh_database_url
    ok(run(["init-db"], instance, url))
    export = tmp_path / "export.zip"
    spoilt = build_messy_export(export, 300)
    report = tmp_path / "problems.csv"

    failed = run(
        ["import", str(export), "--format", "hsds1-csv", "--report", str(report)], instance, url
    )
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert "nothing was changed" in failed.stderr
    rows = list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8"))))
    assert len(rows) > 20 and {r["action"] for r in rows} == {"refused"}
    assert f"{len(rows)} problem(s) written to {report}" in failed.stderr
    shown = [line for line in failed.stderr.splitlines() if line.startswith("record ")]
    assert len(shown) <= 20  # the list on screen stays short

    skipped = run(
        ["import", str(export), "--format", "hsds1-csv", "--on-error", "skip",
         "--report", str(report)],
        instance,
        url,
    )  # fmt: skip
    out = ok(skipped)
    sound = len(set(spoilt.manifest.hours) - spoilt.skipped_services)
    assert f"Imported: {sound} created, 0 updated, 0 unchanged, " in out
    assert f"{len(spoilt.skipped_services)} skipped" in out
    assert f"{len(spoilt.flagged_services)} service(s) flagged for review" in out
    rows = list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8"))))
    assert {"placeholder", "row-dropped", "field-dropped", "skipped"} <= {r["action"] for r in rows}
    assert f"all are in {report}" in skipped.stderr

    again = ok(run(["import", str(export), "--format", "hsds1-csv", "--on-error", "skip"],
                   instance, url))  # fmt: skip
    assert f"0 created, 0 updated, {sound} unchanged" in again
