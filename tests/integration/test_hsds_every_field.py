"""No HSDS 3.1 field silently lost (issue #15 item 5, with #16's one list of fields).

An HSDS 3.1 service with every field of the official schema filled
(:func:`tests.support.hsds_every_field.every_field_service`) is imported, exported as JSON,
NDJSON and the tabular package, and each export is read back: every field of the original is
there with its value. Importing an export again changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pmhc_directory.services.exports import export_file, export_services
from pmhc_directory.services.imports import import_file, import_services, read_records
from tests.support.hsds_every_field import every_field_service, lost_fields


def _exported(session, service_id: str) -> dict:
    return next(s for s in export_services(session) if s["id"] == service_id)


FORMATS = {"hsds-json": "out.json", "hsds-ndjson": "out.ndjson", "hsds-csv": "out.zip"}


@pytest.fixture
def imported(session):
    record = every_field_service()
    # ``last_modified`` is when the directory last changed the service (it replaces the
    # publisher's on import, docs/hsds-conventions.md); every other field is compared.
    record.pop("last_modified")
    summary = import_services(session, [json.loads(json.dumps(record))], source="test")
    assert summary.created == 1
    return record, summary


def test_every_field_of_the_official_schema_is_kept_on_import(session, imported):
    record, summary = imported
    exported = _exported(session, record["id"])
    assert lost_fields(record, exported) == []
    # The directory's own columns hold what it uses; the rest is kept verbatim.
    assert exported["wait_time"] == record["wait_time"]
    assert exported["organization"]["year_incorporated"] == 1998
    assert exported["organization"]["funding"] == record["organization"]["funding"]


def test_what_the_directory_cannot_evaluate_is_kept_with_warnings(session, imported):
    record, summary = imported
    warned = {w.field.rsplit(".", 1)[-1] for w in summary.warnings}
    assert "byweekno" in warned  # hours unknown, not refused
    assert "parent_id" in warned  # a parent term that is in neither the file nor the database
    exported = _exported(session, record["id"])
    term = exported["attributes"][0]["taxonomy_term"]
    assert term["parent_id"] == record["attributes"][0]["taxonomy_term"]["parent_id"]


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_field_round_trips_through_each_export_format(session, imported, tmp_path, fmt):
    record, _summary = imported
    path = tmp_path / FORMATS[fmt]
    count = export_file(session, path, fmt=fmt)
    read_back = [s for s in read_records(path, fmt) if s["id"] == record["id"]]
    assert len(read_back) == 1
    assert lost_fields(record, read_back[0]) == []
    again = import_file(session, path, fmt=fmt)
    assert (again.created, again.updated, again.unchanged) == (0, 0, count)
    exported = _exported(session, record["id"])
    assert lost_fields(record, exported) == []


def test_a_key_that_is_not_hsds_is_reported_by_name(session):
    record = every_field_service()
    record.pop("last_modified")
    record["x_intake_notes"] = "internal"
    record["organization"]["x_board"] = "7 members"
    summary = import_services(session, [record], source="test")
    fields = sorted(w.field for w in summary.warnings if "not an HSDS" in w.message)
    assert fields == ["service.organization.x_board", "service.x_intake_notes"]


def test_equal_times_in_either_form_are_no_change(session, tmp_path: Path):
    record = every_field_service()
    import_services(session, [json.loads(json.dumps(record))], source="test")
    schedule = record["schedules"][0]
    schedule["opens_at"], schedule["closes_at"] = "08:00:00", "17:30:00"
    again = import_services(session, [record], source="test")
    assert (again.updated, again.unchanged) == (0, 1)


def test_a_schedule_the_hours_engine_cannot_evaluate_shows_hours_unknown(session, imported):
    from pmhc_directory.hours import ScheduleError
    from pmhc_directory.models import Service
    from pmhc_directory.services.directory import describe_hours
    from pmhc_directory.services.lookup import schedule_rules

    record, _summary = imported
    service = session.get(Service, record["id"])
    [schedule] = service.schedules
    assert schedule.byweekno == "1"  # stored as published
    with pytest.raises(ScheduleError):  # the lookup then treats the hours as unknown
        schedule_rules(service.schedules)
    shown = describe_hours(service.schedules)
    assert shown.problem and not shown.lines  # never shown as open


def test_tabular_columns_that_are_not_hsds_are_warnings_of_the_import(session, tmp_path):
    import csv

    record = every_field_service()
    record.pop("last_modified")
    import_services(session, [record], source="test")
    folder = tmp_path / "package"
    export_file(session, folder, fmt="hsds-csv")
    package = json.loads((folder / "datapackage.json").read_text("utf-8"))
    services = next(r for r in package["resources"] if r["name"] == "service")
    services["schema"]["fields"].append({"name": "x_intake_notes", "type": "string"})
    (folder / "datapackage.json").write_text(json.dumps(package), "utf-8")
    with (folder / "services.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[0].append("x_intake_notes")
    for row in rows[1:]:
        row.append("internal")
    with (folder / "services.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    summary = import_file(session, folder, fmt="hsds-csv")
    assert any("x_intake_notes is not an HSDS 3.1 field" in str(w) for w in summary.warnings)
