"""Importing ``hsds-ndjson`` and ``hsds-csv``: lossless round trips through a fresh database,
idempotent re-imports, and bad files that change nothing and name record and field."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from pmhc_directory.cli import SEED_DIR
from pmhc_directory.db import make_engine
from pmhc_directory.hsds.tabular import write_package
from pmhc_directory.schema import upgrade
from pmhc_directory.services import imports
from pmhc_directory.services.exports import export_file
from pmhc_directory.services.imports import ImportFailed, import_file, import_services
from pmhc_directory.services.reference_data import load_taxonomy
from tests.factories import make_location, make_organization, make_service
from tests.integration.test_hsds_import import table_counts
from tests.unit.test_hsds_parsing import (
    full_service_dict,
    location_dict,
    new_id,
    organization_dict,
    service_dict,
)
from tests.unit.test_hsds_tabular import edit_cell, read_csv, write_csv

PACKAGE_FORMATS = {
    "ndjson": ("hsds-ndjson", "services.ndjson"),
    "folder": ("hsds-csv", "package"),
    "zip": ("hsds-csv", "package.zip"),
}


@pytest.fixture
def directory(session: Session) -> None:
    """The demo services, two fixture services and factory-made ones."""
    import_file(session, SEED_DIR / "services.json", fmt="hsds-json")
    import_services(
        session, [full_service_dict(name="Alpha crisis line"), service_dict()], source="t.json"
    )
    org = make_organization(session, name="County Behavioral Health")
    made = make_service(
        session,
        name="Mobile crisis team",
        organization=org,
        types=("mobile-crisis",),
        attributes=("open-24-7", "accepts-law-enforcement-dropoff"),
    )
    make_location(session, made)
    session.flush()


def without_last_modified(services: list[dict]) -> list[dict]:
    return [{k: v for k, v in s.items() if k != "last_modified"} for s in services]


@pytest.mark.parametrize("kind", sorted(PACKAGE_FORMATS))
def test_round_trip_through_a_fresh_database(
    session, directory, fresh_database_url, tmp_path, kind
):
    fmt, name = PACKAGE_FORMATS[kind]
    first_path = tmp_path / "first.json"
    export_file(session, first_path, fmt="hsds-json")
    first = json.loads(first_path.read_text(encoding="utf-8"))
    package = tmp_path / name
    assert export_file(session, package, fmt=fmt) == len(first)

    engine = make_engine(fresh_database_url)
    try:
        upgrade(engine)
        with Session(engine) as fresh:
            load_taxonomy(fresh)
            fresh.commit()
            summary = import_file(fresh, package, fmt=fmt)
            assert (summary.created, summary.updated, summary.unchanged) == (len(first), 0, 0)
            fresh.commit()
            again = import_file(fresh, package, fmt=fmt)
            assert str(again) == f"0 created, 0 updated, {len(first)} unchanged"
            second_path = tmp_path / "second.json"
            export_file(fresh, second_path, fmt="hsds-json")
    finally:
        engine.dispose()
    second = json.loads(second_path.read_text(encoding="utf-8"))
    assert without_last_modified(second) == without_last_modified(first)


def test_reimporting_a_package_into_the_same_database_changes_nothing(session, directory, tmp_path):
    package = tmp_path / "package.zip"
    export_file(session, package, fmt="hsds-csv")
    counts = table_counts(session)
    assert str(import_file(session, package, fmt="hsds-csv")).startswith("0 created, 0 updated, ")
    assert table_counts(session) == counts


def test_ndjson_and_csv_imports_create_the_same_rows(session, tmp_path):
    records = [full_service_dict(), service_dict()]
    ndjson = tmp_path / "feed.ndjson"
    ndjson.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    assert str(import_file(session, ndjson, fmt="hsds-ndjson")) == (
        "2 created, 0 updated, 0 unchanged"
    )
    package = tmp_path / "package"
    export_file(session, package, fmt="hsds-csv")
    summary = import_file(session, package, fmt="hsds-csv")
    assert summary.created == 0 and summary.updated == 0


# --- bad files change nothing and say where the problem is


def _refused(session: Session, path: Path, fmt: str) -> list[str]:
    counts = table_counts(session)
    with pytest.raises(ImportFailed) as failure:
        import_file(session, path, fmt=fmt)
    assert table_counts(session) == counts
    return [str(e) for e in failure.value.errors]


def test_bad_ndjson_lines_are_all_reported_and_nothing_changes(session, tmp_path):
    good, bad_status = service_dict(), service_dict(status="open")
    path = tmp_path / "feed.ndjson"
    lines = [json.dumps(good), "", '{"id": ', json.dumps(bad_status), "[1, 2"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    errors = _refused(session, path, "hsds-ndjson")
    assert errors[0].startswith("record 2: line 3: is not valid JSON: ")
    assert errors[2].startswith("record 4: line 5: is not valid JSON: ")
    # The parser counted the readable records only; its record numbers are those of the file.
    assert errors[1] == (
        f"record 3 (id {bad_status['id']}): service.status: 'open' is not one of 'active', "
        "'inactive', 'defunct', 'temporarily closed'"
    )
    assert len(errors) == 3


@pytest.fixture
def package(tmp_path) -> Path:
    """A package of one full service (not in the database)."""
    folder = tmp_path / "package"
    folder.mkdir()
    write_package([full_service_dict()], folder)
    return folder


def test_package_missing_a_required_column(session, package):
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        if resource["name"] == "address":
            fields = resource["schema"]["fields"]
            resource["schema"]["fields"] = [f for f in fields if f["name"] != "city"]
    (package / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    rows = read_csv(package / "addresses.csv")
    drop = rows[0].index("city")
    write_csv(package / "addresses.csv", [r[:drop] + r[drop + 1 :] for r in rows])
    assert _refused(session, package, "hsds-csv") == [
        "addresses.csv row 1: the required column city is missing"
    ]


def test_package_with_an_orphan_row(session, package):
    rows = read_csv(package / "service_at_location.csv")
    edit_cell(package, "service_at_location.csv", 2, "location_id", rows[1][0])
    assert _refused(session, package, "hsds-csv") == [
        f"service_at_location.csv row 2 (id {rows[1][0]}), location_id: "
        f"no row with id {rows[1][0]} in locations.csv"
    ]


def test_package_with_a_bad_time_and_a_bad_number(session, package):
    schedules = read_csv(package / "schedules.csv")
    edit_cell(package, "schedules.csv", 3, "closes_at", "5pm")
    edit_cell(package, "service_capacity.csv", 2, "available", "three")
    capacity_id = read_csv(package / "service_capacity.csv")[1][0]
    assert sorted(_refused(session, package, "hsds-csv")) == [
        f"schedules.csv row 3 (id {schedules[2][0]}), closes_at: '5pm' is not a time HH:MM",
        f"service_capacity.csv row 2 (id {capacity_id}), available: 'three' is not a number",
    ]


def test_package_values_checked_by_the_import_name_record_and_field(session, package):
    edit_cell(package, "services.csv", 2, "status", "open")
    service_id = read_csv(package / "services.csv")[1][0]
    edit_cell(package, "addresses.csv", 2, "postal_code", "")
    assert _refused(session, package, "hsds-csv") == [
        f"record 1 (id {service_id}): service.status: 'open' is not one of 'active', "
        "'inactive', 'defunct', 'temporarily closed'",
        f"record 1 (id {service_id}): "
        "service.service_at_locations[0].location.addresses[0].postal_code: is required",
    ]


# --- the command line


def test_cli_exports_and_imports_every_format(runner, session, tmp_path):
    import_services(session, [full_service_dict(), service_dict()], source="t.json")
    for fmt, name in PACKAGE_FORMATS.values():
        path = tmp_path / name
        result = runner.invoke(args=["export", str(path), "--format", fmt])
        assert result.exit_code == 0, result.output
        assert f"to {path}" in result.output
        dry = runner.invoke(args=["import", str(path), "--format", fmt, "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "Would have: 0 created, 0 updated," in dry.output
        done = runner.invoke(args=["import", str(path), "--format", fmt])
        assert done.exit_code == 0, done.output
        assert "Imported: 0 created, 0 updated," in done.output


def test_cli_reports_a_bad_package_and_fails(runner, session, package):
    edit_cell(package, "schedules.csv", 2, "opens_at", "25:00")
    result = runner.invoke(args=["import", str(package), "--format", "hsds-csv"])
    assert result.exit_code != 0
    assert "opens_at: '25:00' is not a time HH:MM" in result.output
    assert "nothing was changed" in result.output


# --- checks that span the chunks a stream is parsed in


@pytest.fixture
def small_chunks(monkeypatch):
    """Parse two records at a time, so that small files span several chunks."""
    monkeypatch.setattr(imports, "CHECK_RECORDS", 2)


def _errors(session: Session, records: list[dict]) -> list[str]:
    counts = table_counts(session)
    with pytest.raises(ImportFailed) as failure:
        import_services(session, copy.deepcopy(records), source="chunks.json")
    assert table_counts(session) == counts
    return [str(e) for e in failure.value.errors]


def test_a_stream_in_chunks_imports_like_one_piece(session, small_chunks):
    org, location = organization_dict(), location_dict()
    records = [
        service_dict(
            organization=org,
            service_at_locations=[{"id": new_id(), "location": copy.deepcopy(location)}],
        )
        for _ in range(5)
    ]
    records.append(full_service_dict(name="Alpha line"))
    summary = import_services(session, copy.deepcopy(records), source="chunks.json")
    assert str(summary) == "6 created, 0 updated, 0 unchanged; " + (
        "10 probable duplicate(s) flagged for review in the verification queue"
    )  # five services of one name at one place: every pair of them
    again = import_services(session, copy.deepcopy(records), source="chunks.json")
    assert str(again) == "0 created, 0 updated, 6 unchanged"


def test_repeated_ids_across_chunks(session, small_chunks):
    first, second, third = service_dict(), full_service_dict(), service_dict()
    repeated = service_dict(id=first["id"], name="Another name")
    phone = second["phones"][0]
    third["phones"] = [copy.deepcopy(phone)]
    errors = _errors(session, [first, second, third, repeated])
    assert errors == [
        f"record 3 (id {third['id']}): service.phones: "
        f"duplicate id {phone['id']}: also used at record 2",
        f"record 4 (id {first['id']}): service.id: duplicate service id: also record 1",
    ]


def test_differing_copies_of_a_shared_object_across_chunks(session, small_chunks):
    org = organization_dict()
    changed = {**org, "name": "Juniper Health Inc."}
    records = [service_dict(organization=org), service_dict(), service_dict(organization=changed)]
    errors = _errors(session, records)
    assert errors == [
        f"record 3 (id {records[2]['id']}): service.organization.name: differs from the copy "
        f"of organization {org['id']} in record 1 (a shared object must be the same wherever "
        "it appears)"
    ]


def test_record_numbers_in_messages_of_a_later_chunk(session, small_chunks):
    twin = service_dict()
    errors = _errors(session, [service_dict(), service_dict(), twin, copy.deepcopy(twin)])
    assert errors == [
        f"record 4 (id {twin['id']}): service.id: duplicate service id: also record 3"
    ]
