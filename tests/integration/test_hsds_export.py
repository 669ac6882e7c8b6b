"""Exporting HSDS 3.1: schema-valid compiled services, safe file writing, lossless round trip."""

from __future__ import annotations

import errno
import json
import os
import zipfile
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from pmhc_directory.db import make_engine
from pmhc_directory.hsds.deserialize import parse_services
from pmhc_directory.hsds.serialize import service_to_hsds
from pmhc_directory.hsds.tabular import read_package
from pmhc_directory.models import Service
from pmhc_directory.schema import upgrade
from pmhc_directory.services import exports
from pmhc_directory.services.exports import ExportFailed, export_file, export_services
from pmhc_directory.services.imports import import_file, import_services
from pmhc_directory.services.reference_data import load_taxonomy
from tests.factories import make_location, make_organization, make_service
from tests.support.hsds_schema import service_validator
from tests.unit.test_hsds_parsing import full_service_dict, service_dict
from tests.unit.test_hsds_tabular import check_package


def schema_errors(service: dict) -> list[str]:
    validator = service_validator()
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(service)
    ]


@pytest.fixture
def directory(session: Session) -> list[str]:
    """Services made by the import and by the app's own code; their ids."""
    records = [full_service_dict(name="Alpha crisis line"), service_dict(name="Zeta warmline")]
    import_services(session, records, source="fixture.json")
    org = make_organization(session, name="County Behavioral Health")
    made = make_service(
        session,
        name="Mobile crisis team",
        organization=org,
        types=("mobile-crisis",),
        attributes=("open-24-7", "accepts-law-enforcement-dropoff"),
        minimum_age=0,
    )
    make_location(session, made)
    national = make_service(session, name="988 Lifeline", is_national=True, organization=org)
    return [records[0]["id"], national.id, made.id, records[1]["id"]]


def our_services(session: Session, ids: list[str]) -> list[dict]:
    return [s for s in export_services(session) if s["id"] in ids]


def test_export_order_and_content(session, directory):
    exported = our_services(session, directory)
    assert [s["name"] for s in exported] == [
        "988 Lifeline",
        "Alpha crisis line",
        "Mobile crisis team",
        "Zeta warmline",
    ]
    national = exported[0]
    assert "is_national" not in national
    full = exported[1]
    assert full["organization"]["name"] == "Juniper Health"
    sal = full["service_at_locations"][0]
    assert sal["location"]["addresses"][0]["postal_code"] == "87102"
    assert sal["phones"][0]["extension"] == 12
    assert full["capacities"][0]["updated"] == "2026-10-28T08:10:00Z"
    assert full["capacities"][0]["unit"]["name"] == "bed"
    assert full["cost_options"][0]["amount"] == 35.5
    assert full["assured_date"] == "2026-06-02"
    assert full["last_modified"].endswith("Z")
    term = full["attributes"][0]["taxonomy_term"]
    assert (term["code"], term["taxonomy"]) == ("crisis-line", "service-type")
    assert term["taxonomy_detail"]["name"] == "PMHC service type"
    assert full["attributes"][3]["taxonomy_term"]["taxonomy_detail"]["version"] == "2024"
    minimal = exported[3]
    assert "description" not in minimal  # None fields are left out
    assert minimal["phones"] == []


def test_exported_services_are_valid_hsds(session, directory):
    for service in our_services(session, directory):
        assert schema_errors(service) == [], service["name"]


def test_serializer_output_is_json_with_string_ids(session, directory):
    service = session.get(Service, directory[0])
    data = service_to_hsds(service)
    assert json.loads(json.dumps(data)) == data
    assert isinstance(data["id"], str)


def test_export_file_writes_a_json_array(session, directory, tmp_path: Path):
    path = tmp_path / "out.json"
    advanced = []

    from contextlib import contextmanager

    @contextmanager
    def progress(label, total=None):
        yield advanced.append

    count = export_file(session, path, progress=progress)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert count == len(data) == sum(advanced)
    assert {s["id"] for s in data} >= set(directory)
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no temporary file left


def test_export_of_no_services_is_an_empty_array(session, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(exports, "export_services", lambda _session: iter(()))
    path = tmp_path / "out.json"
    assert export_file(session, path) == 0
    assert json.loads(path.read_text(encoding="utf-8")) == []


def test_export_to_a_folder_or_missing_folder_fails(session, tmp_path: Path):
    with pytest.raises(ExportFailed, match="is a folder"):
        export_file(session, tmp_path)
    with pytest.raises(ExportFailed, match="is a folder"):
        export_file(session, tmp_path, fmt="hsds-ndjson")
    with pytest.raises(ExportFailed, match="does not exist"):
        export_file(session, tmp_path / "nowhere" / "out.json")


def test_failed_export_leaves_no_half_file(session, directory, tmp_path: Path, monkeypatch):
    path = tmp_path / "out.json"
    path.write_text("previous export", encoding="utf-8")

    def disk_full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(exports.os, "fsync", disk_full)
    with pytest.raises(ExportFailed, match="disk is full"):
        export_file(session, path)
    assert path.read_text(encoding="utf-8") == "previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_export_to_unwritable_place_fails(session, tmp_path: Path, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(exports.tempfile, "mkstemp", refuse)
    with pytest.raises(ExportFailed, match="is not writable"):
        export_file(session, tmp_path / "out.json")


def _without_metadata(services: list[dict]) -> list[dict]:
    return [{k: v for k, v in s.items() if k != "last_modified"} for s in services]


def test_round_trip_through_a_fresh_database(session, directory, fresh_database_url, tmp_path):
    first_path = tmp_path / "first.json"
    export_file(session, first_path)
    first = json.loads(first_path.read_text(encoding="utf-8"))

    engine = make_engine(fresh_database_url)
    try:
        upgrade(engine)
        with Session(engine) as fresh:
            load_taxonomy(fresh)
            fresh.commit()
            summary = import_file(fresh, first_path)
            assert summary.created == len(first)
            fresh.commit()
            second_path = tmp_path / "second.json"
            export_file(fresh, second_path)
            assert (
                str(import_file(fresh, second_path))
                == f"0 created, 0 updated, {len(first)} unchanged"
            )
        second = json.loads(second_path.read_text(encoding="utf-8"))
    finally:
        engine.dispose()
    assert _without_metadata(second) == _without_metadata(first)


# --- hsds-ndjson and hsds-csv


def test_ndjson_export_is_one_valid_service_per_line(session, directory, tmp_path: Path):
    path = tmp_path / "out.ndjson"
    count = export_file(session, path, fmt="hsds-ndjson")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == count
    services = [json.loads(line) for line in lines]
    assert {s["id"] for s in services} >= set(directory)
    for service in services:
        assert schema_errors(service) == [], service["name"]
    assert [p.name for p in tmp_path.iterdir()] == ["out.ndjson"]


@pytest.mark.parametrize("name", ["package", "package.zip"])
def test_csv_export_is_a_consistent_package_of_valid_services(
    session, directory, tmp_path: Path, name
):
    path = tmp_path / name
    count = export_file(session, path, fmt="hsds-csv")
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file or folder left
    if name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            archive.extractall(tmp_path / "unpacked")
        folder = tmp_path / "unpacked"
    else:
        folder = path
    tables = check_package(folder)
    assert len(tables["service"]) == count
    services = list(read_package(path))
    assert len(services) == count
    for service in services:
        assert schema_errors(service) == [], service["name"]
    exported = {s["id"]: s for s in export_services(session)}
    for service in services:  # the package holds what the JSON export holds
        if service["id"] in directory:
            assert parse_services([service]).issues == []
            assert parse_services([service]).records[0].rows == (
                parse_services([exported[service["id"]]]).records[0].rows
            )


def test_csv_export_needs_a_new_or_empty_folder(session, directory, tmp_path: Path):
    folder = tmp_path / "package"
    folder.mkdir()
    assert export_file(session, folder, fmt="hsds-csv") > 0  # an empty folder is fine
    with pytest.raises(ExportFailed, match="folder is not empty"):
        export_file(session, folder, fmt="hsds-csv")
    file = tmp_path / "services.csv"
    file.write_text("x", encoding="utf-8")
    with pytest.raises(ExportFailed, match="is a file"):
        export_file(session, file, fmt="hsds-csv")
    with pytest.raises(ExportFailed, match="does not exist"):
        export_file(session, tmp_path / "nowhere" / "package.zip", fmt="hsds-csv")


@pytest.mark.parametrize("name", ["package", "package.zip", "out.ndjson"])
def test_failed_package_or_ndjson_export_leaves_nothing(
    session, directory, tmp_path: Path, monkeypatch, name
):
    from pmhc_directory.hsds import tabular

    def disk_full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(tabular.os, "fsync", disk_full)
    monkeypatch.setattr(exports.os, "fsync", disk_full)
    fmt = "hsds-ndjson" if name.endswith(".ndjson") else "hsds-csv"
    with pytest.raises(ExportFailed, match="disk is full"):
        export_file(session, tmp_path / name, fmt=fmt)
    assert list(tmp_path.iterdir()) == []


def test_zip_export_replaces_a_previous_zip_only_when_complete(
    session, directory, tmp_path: Path, monkeypatch
):
    path = tmp_path / "package.zip"
    path.write_bytes(b"previous export")

    def disk_full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as patch:
        patch.setattr(exports.os, "fsync", disk_full)
        with pytest.raises(ExportFailed, match="disk is full"):
            export_file(session, path, fmt="hsds-csv")
    assert path.read_bytes() == b"previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["package.zip"]
    export_file(session, path, fmt="hsds-csv")
    assert zipfile.is_zipfile(path)


def test_csv_export_includes_an_organization_named_only_by_a_location(
    session, directory, tmp_path: Path
):
    landlord = make_organization(session, name="County Facilities")
    service = session.get(Service, directory[2])
    location = make_location(session, service, organization_id=landlord.id)
    path = tmp_path / "package"
    export_file(session, path, fmt="hsds-csv")
    tables = check_package(path)  # every locations.csv organization_id resolves
    [row] = [r for r in tables["location"] if r["id"] == location.id]
    assert row["organization_id"] == landlord.id
    [org] = [r for r in tables["organization"] if r["id"] == landlord.id]
    assert org["name"] == "County Facilities"
