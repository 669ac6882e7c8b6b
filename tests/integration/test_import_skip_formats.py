"""``--on-error skip`` on HSDS 3.1 files (JSON and NDJSON): each problem is repaired at the
smallest scope by its field path (an optional field dropped, a list item dropped, a record
skipped), what is sound is imported, the report names every problem with its action, and
the services kept with problems are flagged. Demo services from seed/demo are spoilt here."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pmhc_directory.models import ImportFlag, Phone, Schedule, Service
from pmhc_directory.services.imports import ImportFailed, import_file
from tests.integration.test_legacy_imports import table_counts

DEMO = Path(__file__).resolve().parents[2] / "seed" / "demo" / "services.json"


def spoilt_services() -> tuple[list[dict], dict[str, str]]:
    services = json.loads(DEMO.read_text(encoding="utf-8"))
    picked = [s for s in services if s.get("phones") and s.get("schedules")][:6]
    bad_email, no_number, bad_time, nameless, repeated, sound = (copy.deepcopy(s) for s in picked)
    bad_email["email"] = "intake@localhost"  # no dot in the domain: the editor refuses it
    no_number["phones"][0]["number"] = ""
    bad_time["schedules"][0]["opens_at"] = "25:00"
    nameless["name"] = ""
    repeated_copy = copy.deepcopy(repeated)
    repeated_copy["name"] = "The same id again"
    roles = {
        "bad_email": bad_email["id"],
        "no_number": no_number["id"],
        "bad_time": bad_time["id"],
        "nameless": nameless["id"],
        "repeated": repeated["id"],
        "sound": sound["id"],
        "no_number_phone": no_number["phones"][0]["id"],
        "bad_time_schedule": bad_time["schedules"][0]["id"],
    }
    return [bad_email, no_number, bad_time, nameless, repeated, sound, repeated_copy], roles


@pytest.mark.parametrize("fmt", ["hsds-json", "hsds-ndjson"])
def test_skip_repairs_at_the_smallest_scope(session: Session, tmp_path: Path, fmt: str) -> None:
    records, role = spoilt_services()
    path = tmp_path / ("services.json" if fmt == "hsds-json" else "services.ndjson")
    if fmt == "hsds-json":
        path.write_text(json.dumps(records), encoding="utf-8")
    else:
        path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")

    before = table_counts(session)
    with pytest.raises(ImportFailed) as failed:  # all or nothing by default
        import_file(session, path, fmt=fmt)
    session.rollback()
    assert table_counts(session) == before
    assert {e.action for e in failed.value.errors} == {"refused"}

    summary = import_file(session, path, fmt=fmt, on_error="skip")
    actions = {(issue.record_index, issue.field.rsplit(".", 1)[-1], issue.action)
               for issue in summary.problems}  # fmt: skip
    assert (0, "email", "field-dropped") in actions
    assert (1, "number", "row-dropped") in actions
    assert (2, "opens_at", "row-dropped") in actions
    assert (3, "name", "skipped") in actions
    assert (6, "id", "skipped") in actions  # the repeated service id: the later record
    assert summary.skipped == 2
    assert summary.created == 5

    stored = set(session.scalars(select(Service.id)))
    assert {role[k] for k in ("bad_email", "no_number", "bad_time", "repeated", "sound")} <= stored
    assert role["nameless"] not in stored
    assert session.get(Service, role["bad_email"]).email is None
    assert session.get(Service, role["repeated"]).name != "The same id again"
    assert session.get(Phone, role["no_number_phone"]) is None
    assert session.get(Schedule, role["bad_time_schedule"]) is None
    flagged = set(session.scalars(select(ImportFlag.service_id)))
    assert flagged == {role["bad_email"], role["no_number"], role["bad_time"]}


def test_skip_with_nothing_sound_imports_nothing(session: Session, tmp_path: Path) -> None:
    records, _role = spoilt_services()
    nameless = [dict(r, name="") for r in records[:3]]
    path = tmp_path / "all_bad.json"
    path.write_text(json.dumps(nameless), encoding="utf-8")
    summary = import_file(session, path, fmt="hsds-json", on_error="skip")
    assert (summary.created, summary.updated, summary.skipped) == (0, 0, 3)
    assert {i.action for i in summary.problems} == {"skipped"}


def spoilt_package(folder: Path) -> dict[str, str]:
    """A tabular package of sound demo services, then spoilt in its own cells and keys."""
    import csv

    from pmhc_directory.hsds.tabular import write_package

    services = json.loads(DEMO.read_text(encoding="utf-8"))
    picked = [s for s in services if s.get("phones") and s.get("schedules")][:5]
    folder.mkdir()
    write_package(picked, folder)

    def rows(name: str) -> tuple[list[str], list[list[str]]]:
        with open(folder / name, newline="", encoding="utf-8") as handle:
            table = list(csv.reader(handle))
        return table[0], table[1:]

    def write(name: str, header: list[str], body: list[list[str]]) -> None:
        with open(folder / name, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([header, *body])

    header, body = rows("services.csv")
    repeated = list(body[1])
    repeated[header.index("name")] = "The same id again"
    short = body[2][:3]  # fewer cells than the header: the row cannot be read
    write("services.csv", header, [*body, repeated, short])
    header, body = rows("phones.csv")
    orphan = list(body[0])
    orphan[header.index("id")] = "11111111-1111-4111-8111-111111111111"
    orphan[header.index("service_id")] = "22222222-2222-4222-8222-222222222222"
    write("phones.csv", header, [*body, orphan])
    header, body = rows("schedules.csv")
    body[0][header.index("valid_from")] = "not a date"
    write("schedules.csv", header, body)
    return {
        "short": picked[2]["id"],
        "repeated": picked[1]["id"],
        "orphan_phone": "11111111-1111-4111-8111-111111111111",
        "sound": picked[0]["id"],
    }


def test_skip_handles_a_tabular_package_s_own_cells_and_keys(session: Session, tmp_path: Path):
    folder = tmp_path / "package"
    role = spoilt_package(folder)
    before = table_counts(session)
    with pytest.raises(ImportFailed) as failed:  # all or nothing by default
        import_file(session, folder, fmt="hsds-csv")
    session.rollback()
    assert table_counts(session) == before
    refused = {(e.file, e.column) for e in failed.value.errors}
    assert ("services.csv", "id") in refused and ("phones.csv", "service_id") in refused

    summary = import_file(session, folder, fmt="hsds-csv", on_error="skip")
    actions = {(i.file, i.column, i.action) for i in summary.problems}
    assert ("services.csv", "id", "skipped") in actions  # the repeated id: the later row
    assert ("services.csv", "", "skipped") in actions  # the short row
    assert ("phones.csv", "service_id", "row-dropped") in actions
    assert ("schedules.csv", "valid_from", "field-dropped") in actions
    assert summary.skipped == 2
    assert summary.created == 5  # every sound service, the short row's first copy included
    stored = set(session.scalars(select(Service.id)))
    assert {role["sound"], role["repeated"], role["short"]} <= stored
    assert session.get(Service, role["repeated"]).name != "The same id again"
    assert session.get(Phone, role["orphan_phone"]) is None
