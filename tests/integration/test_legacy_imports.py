"""Importing legacy formats end to end: a 211-style HSDS 1.x export (synthetic, messy, built by
tests/legacy211_builder.py: no real 211 export is available) and real SAMHSA locator files
from ../shared. Imported services must export as valid HSDS 3.1, re-imports change nothing,
and a bad file changes nothing while naming file, row and field."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pmhc_directory.hsds.legacy211 import stable_id
from pmhc_directory.models import Base, Service
from pmhc_directory.services.exports import export_services
from pmhc_directory.services.imports import ImportFailed, import_file
from tests.conftest import require_shared
from tests.legacy211_builder import MAPPED_TYPES, Manifest, build_export, write_taxonomy_map
from tests.support.hsds_schema import service_validator

SAMHSA = ("data", "samhsa_treatment_facilities")
SAMHSA_FILES = {
    "samhsa_mental_health_facilities.csv": "outpatient-mental-health",
    "samhsa_substance_use_facilities.csv": "outpatient-substance-use",
    "samhsa_opioid_treatment_programs.csv": "opioid-treatment",
}


def table_counts(session: Session) -> dict[str, int]:
    return {
        table.name: session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
    }


def exported(session: Session) -> dict[str, dict]:
    """Every service as the HSDS export writes it, each checked against the HSDS 3.1 schema."""
    validator = service_validator()
    services = {}
    for service in export_services(session):
        errors = sorted(validator.iter_errors(service), key=lambda e: list(e.path))
        assert not errors, f"{service['id']}: {errors[0].message} at {list(errors[0].path)}"
        services[service["id"]] = service
    return services


def codes(service: dict, link_type: str) -> list[str]:
    return [
        a["taxonomy_term"]["code"] for a in service["attributes"] if a["link_type"] == link_type
    ]


def check_against_plan(services: dict[str, dict], manifest: Manifest) -> None:
    """The exported services say what the generator meant (its plan, not the reader's output)."""
    for original, hours in manifest.hours.items():
        service = services[stable_id("services", original)]
        weekly = sorted(
            (day, s["opens_at"], s["closes_at"])
            for s in service["schedules"]
            if "valid_from" not in s
            for day in s["byday"].split(",")
        )
        assert weekly == hours, original
        closures = [
            (s["valid_from"], s["valid_to"]) for s in service["schedules"] if "opens_at" not in s
        ]
        assert closures == manifest.closures.get(original, []), original
        expected_types = list(
            dict.fromkeys(t for code in manifest.codes[original] for t in MAPPED_TYPES[code])
        )
        assert codes(service, "service_type") == expected_types, original
        assert sorted(codes(service, "category")) == sorted(manifest.codes[original])
        assert ("open-24-7" in codes(service, "diversion")) == (original in manifest.always_open)
        assert ("veterans" in codes(service, "eligibility")) == (original in manifest.veterans_only)
        assert service.get("minimum_age") == manifest.minimum_age.get(original)
        assert sorted(lang["code"] for lang in service["languages"]) == manifest.languages[original]
        [sal] = service["service_at_locations"]
        location_original = manifest.location_of[original]
        assert sal["location"]["id"] == stable_id("locations", location_original)
        physical = [a for a in sal["location"]["addresses"] if a["address_type"] == "physical"]
        assert physical[0]["postal_code"] == manifest.zip_of_location[location_original]


def import_211(session: Session, tmp_path: Path, services: int, **kwargs) -> tuple[Manifest, Path]:
    path = tmp_path / ("export.zip" if kwargs.get("as_zip") else "export")
    manifest = build_export(path, services, **kwargs)
    mapping = write_taxonomy_map(tmp_path / "map.csv")
    summary = import_file(session, path, fmt="hsds1-csv", taxonomy_map=mapping)
    assert (summary.created, summary.updated, summary.unchanged) == (services, 0, 0)
    return manifest, path


def test_messy_211_export_imports_and_exports_valid_hsds(session, tmp_path):
    manifest, path = import_211(session, tmp_path, 120, as_zip=True)
    services = exported(session)
    check_against_plan(services, manifest)
    # re-importing the same export changes nothing
    again = import_file(session, path, fmt="hsds1-csv", taxonomy_map=tmp_path / "map.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 120)


@pytest.mark.slow
def test_large_messy_211_export(session, tmp_path):
    manifest, path = import_211(session, tmp_path, 3000)
    services = exported(session)
    check_against_plan(services, manifest)
    assert session.scalar(select(func.count()).select_from(Service)) >= 3000
    again = import_file(session, path, fmt="hsds1-csv", taxonomy_map=tmp_path / "map.csv")
    assert (again.created, again.updated) == (0, 0)


def test_a_changed_row_updates_only_its_service(session, tmp_path):
    manifest, path = import_211(session, tmp_path, 30)
    schedules = path / "regular_schedules.csv"
    text = schedules.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    target = next(r for r in rows[1:] if r[header.index("service_id")] == "1001")
    target[header.index("weekday")] = "Saturday"  # the Monday row of service 1001 moves
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    schedules.write_text(buffer.getvalue(), encoding="utf-8")
    summary = import_file(session, path, fmt="hsds1-csv", taxonomy_map=tmp_path / "map.csv")
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 29)
    service = session.get(Service, stable_id("services", "1001"))
    assert "SA" in {s.byday for s in service.schedules}


def corrupt(path: Path, file: str, match: dict[str, str], column: str, value: str) -> int:
    """Set ``column`` of the first row of ``file`` matching ``match``; its spreadsheet row."""
    raw = (path / file).read_bytes()
    encoding = "cp1252" if file == "organization.csv" else "utf-8-sig"
    rows = list(csv.reader(io.StringIO(raw.decode(encoding))))
    header = rows[0]
    for number, row in enumerate(rows[1:], start=2):
        if all(row[header.index(k)] == v for k, v in match.items()):
            row[header.index(column)] = value
            buffer = io.StringIO()
            csv.writer(buffer).writerows(rows)
            (path / file).write_bytes(buffer.getvalue().encode(encoding.replace("-sig", "")))
            return number
    raise AssertionError(f"no row of {file} matches {match}")


def test_bad_211_export_changes_nothing_and_names_file_row_and_field(session, tmp_path):
    path = tmp_path / "export"
    build_export(path, 40)
    before = table_counts(session)
    weekday_row = corrupt(path, "regular_schedules.csv", {"id": "3"}, "weekday", "Funday")
    hours_row = corrupt(path, "regular_schedules.csv", {"id": "4"}, "opens_at", "nine-ish")
    phone_row = corrupt(path, "phones.csv", {"id": "4002"}, "number", "n/a")
    org_row = corrupt(path, "services.csv", {"id": "1003"}, "organization_id", "999")
    zip_row = corrupt(path, "physical_addresses.csv", {"id": "501"}, "postal_code", "ABCDE")
    with pytest.raises(ImportFailed) as info:
        import_file(session, path, fmt="hsds1-csv")
    report = info.value.report()
    assert f"regular_schedules.csv row {weekday_row}, id 3, weekday: 'Funday'" in report
    assert f"regular_schedules.csv row {hours_row}, id 4, opens_at/closes_at: " in report
    assert "'nine-ish'" in report
    assert f"phones.csv row {phone_row}, id 4002, number: 'n/a' is not a phone number" in report
    assert f"services.csv row {org_row}, id 1003, organization_id: names '999'" in report
    assert f"physical_addresses.csv row {zip_row}, id 501, postal_code: 'ABCDE'" in report
    assert len(info.value.errors) == 5
    assert table_counts(session) == before


def test_missing_file_and_column_are_file_level_errors(session, tmp_path):
    path = tmp_path / "export"
    build_export(path, 5)
    (path / "organization.csv").unlink()
    (path / "locations.csv").write_text("name,latitude\nX,1\n", encoding="utf-8")
    before = table_counts(session)
    with pytest.raises(ImportFailed) as info:
        import_file(session, path, fmt="hsds1-csv")
    assert info.value.report().splitlines() == [
        "organizations.csv: is missing from the package",
        "locations.csv row 1: lacks the required column(s) id",
    ]
    assert table_counts(session) == before


def test_unknown_pmhc_type_in_the_map_is_a_clear_error(session, tmp_path):
    path = tmp_path / "export"
    build_export(path, 5)
    mapping = tmp_path / "map.csv"
    mapping.write_text("code,pmhc_type\nRP-1500*,sandwich-shop\n", encoding="utf-8")
    before = table_counts(session)
    with pytest.raises(ImportFailed) as info:
        import_file(session, path, fmt="hsds1-csv", taxonomy_map=mapping)
    assert info.value.report() == (
        "taxonomy map map.csv row 2, pmhc_type: 'sandwich-shop' is not a PMHC service type; "
        "the codes are the service-type terms of pmhc_directory/data/taxonomy.json"
    )
    assert table_counts(session) == before


def test_cli_dry_run_writes_nothing(runner, session, tmp_path):
    path = tmp_path / "export"
    build_export(path, 12)
    write_taxonomy_map(tmp_path / "map.csv")
    before = table_counts(session)
    args = [
        "import",
        str(path),
        "--format",
        "hsds1-csv",
        "--taxonomy-map",
        str(tmp_path / "map.csv"),
    ]
    result = runner.invoke(args=[*args, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert (
        "Dry run, nothing written. Would have: 12 created, 0 updated, 0 unchanged" in result.output
    )
    assert table_counts(session) == before


def test_cli_reports_a_bad_export_and_fails(runner, session, tmp_path):
    path = tmp_path / "export"
    build_export(path, 5)
    row = corrupt(path, "regular_schedules.csv", {"id": "2"}, "closes_at", "whenever")
    result = runner.invoke(args=["import", str(path), "--format", "hsds1-csv"])
    assert result.exit_code != 0
    assert f"regular_schedules.csv row {row}, id 2, opens_at/closes_at:" in result.output
    assert "Import failed: 1 error(s); nothing was changed." in result.output


# ---------------------------------------------------------------------------------------------
# Real SAMHSA locator files (../shared)


def samhsa_subset(name: str, target: Path, rows: int) -> Path:
    """The header and every n-th row of a real file, about ``rows`` rows in all."""
    source = require_shared(*SAMHSA, name)
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    step = max(1, (len(lines) - 1) // rows)
    target.write_text("".join([lines[0], *lines[1::step]]), encoding="utf-8")
    return target


@pytest.mark.parametrize(("name", "service_type"), SAMHSA_FILES.items())
def test_real_samhsa_rows_import_as_valid_hsds(session, tmp_path, name, service_type):
    path = samhsa_subset(name, tmp_path / name, 150)
    with path.open(encoding="utf-8", newline="") as handle:
        expected_rows = sum(1 for _ in csv.DictReader(handle))
    summary = import_file(session, path, fmt="samhsa-csv")
    assert summary.created == expected_rows and summary.updated == 0
    services = exported(session)
    imported = [s for s in services.values() if service_type in codes(s, "service_type")]
    assert len(imported) == expected_rows
    for service in imported:
        [sal] = service["service_at_locations"]
        assert sal["location"]["latitude"] is not None and sal["location"]["addresses"]
    again = import_file(session, path, fmt="samhsa-csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, expected_rows)


def test_real_samhsa_with_taxonomy_map(session, tmp_path):
    path = samhsa_subset("samhsa_mental_health_facilities.csv", tmp_path / "mh.csv", 40)
    mapping = tmp_path / "map.csv"
    mapping.write_text("code,pmhc_type\nMH,psychiatric-medication\n", encoding="utf-8")
    summary = import_file(session, path, fmt="samhsa-csv", taxonomy_map=mapping)
    services = [
        s
        for s in exported(session).values()
        if "psychiatric-medication" in codes(s, "service_type")
    ]
    assert len(services) == summary.created > 0
    assert all(codes(s, "service_type") == ["psychiatric-medication"] for s in services)


def test_real_samhsa_duplicate_rows_do_not_crash(session, tmp_path):
    source = require_shared(*SAMHSA, "samhsa_mental_health_facilities.csv")
    with source.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames
        rows = list(reader)
    seen: dict[tuple, int] = {}
    repeated = []
    for row in rows:
        key = tuple(row.values())
        seen[key] = seen.get(key, 0) + 1
        if seen[key] == 2:
            repeated.append(row)
        if len(repeated) == 5:
            break
    assert repeated, "the real file has exact repeats (PROVENANCE.md)"
    path = tmp_path / "dups.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(repeated + repeated)
    summary = import_file(session, path, fmt="samhsa-csv")
    assert summary.created == 2 * len(repeated)  # each row its own service, none merged
    assert len(summary.duplicates) >= len(repeated)  # and flagged for the coordinators


@pytest.mark.slow
def test_full_samhsa_file(session, tmp_path):
    path = require_shared(*SAMHSA, "samhsa_mental_health_facilities.csv")
    # A few real rows write the website's path with backslashes, which is no web address
    # (issue #15): all or nothing refuses them, --on-error skip drops only those websites.
    with pytest.raises(ImportFailed) as failed:
        import_file(session, path, fmt="samhsa-csv")
    bad_websites = [e for e in failed.value.errors if e.column == "website"]
    assert bad_websites and len(bad_websites) == len(failed.value.errors)
    summary = import_file(session, path, fmt="samhsa-csv", on_error="skip")
    assert summary.created == 11375 and summary.updated == 0 and summary.skipped == 0
    assert {(i.column, i.action) for i in summary.problems} == {("website", "field-dropped")}
    assert summary.flagged == len(bad_websites)
    exported(session)
    again = import_file(session, path, fmt="samhsa-csv", on_error="skip")
    assert (again.created, again.updated) == (0, 0)
