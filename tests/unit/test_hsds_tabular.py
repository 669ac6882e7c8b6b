"""The HSDS 3.1 tabular data package (``hsds-csv``): descriptor, writing, checked reading.

``check_package`` (headers match the descriptor, every foreign key resolves) is reused by the
export tests.
"""

from __future__ import annotations

import copy
import csv
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from pmhc_directory.hsds.deserialize import ParsedFile, parse_services
from pmhc_directory.hsds.errors import ReadFailed
from pmhc_directory.hsds.tabular import descriptor, read_package, write_package
from tests.conftest import require_shared
from tests.unit.test_hsds_parsing import (
    full_service_dict,
    location_dict,
    new_id,
    organization_dict,
    service_dict,
)

# JSON Schema property -> Table Schema type, for the two resources whose official tabular
# declaration is incomplete (service_capacity, unit).
_JSON_TO_TABLE = {("number", None): "number", ("string", "date-time"): "datetime"}


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def edit_cell(folder: Path, file: str, row: int, column: str, value: str) -> None:
    """Set one cell; ``row`` counts like a spreadsheet (header = row 1)."""
    rows = read_csv(folder / file)
    rows[row - 1][rows[0].index(column)] = value
    write_csv(folder / file, rows)


def check_package(folder: Path) -> dict[str, list[dict[str, str]]]:
    """Assert the package is consistent; returns its rows by resource name."""
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    tables: dict[str, list[dict[str, str]]] = {}
    for resource in package["resources"]:
        rows = read_csv(folder / resource["path"])
        names = [f["name"] for f in resource["schema"]["fields"]]
        assert rows[0] == names, resource["path"]
        assert all(len(r) == len(names) for r in rows[1:]), resource["path"]
        tables[resource["name"]] = [dict(zip(names, r, strict=True)) for r in rows[1:]]
    for resource in package["resources"]:
        ids = [row["id"] for row in tables[resource["name"]]]
        assert len(ids) == len(set(ids)), f"repeated id in {resource['path']}"
        for key in resource["schema"].get("foreignKeys", []):
            target = {row["id"] for row in tables[key["reference"]["resource"]]}
            for row in tables[resource["name"]]:
                value = row[key["fields"]]
                assert value == "" or value in target, (resource["path"], key["fields"], value)
    return tables


def package_of(folder: Path, *records: dict[str, Any]) -> Path:
    folder.mkdir(exist_ok=True)
    write_package(copy.deepcopy(list(records)), folder)
    return folder


def problems(path: Path) -> list[str]:
    with pytest.raises(ReadFailed) as failure:
        list(read_package(path))
    return [str(issue) for issue in failure.value.issues]


def comparable(parsed: ParsedFile) -> tuple[Any, ...]:
    shared = {t: {i: e.canon() for i, e in es.items()} for t, es in parsed.shared.items()}
    return ([(r.service, r.rows) for r in parsed.records], shared, parsed.references)


# --- the descriptor


def test_descriptor_declares_every_table_with_keys():
    package = descriptor()
    assert package["profile"] == "tabular-data-package"
    names = [r["name"] for r in package["resources"]]
    paths = [r["path"] for r in package["resources"]]
    assert len(set(names)) == len(names) and len(set(paths)) == len(paths)
    for resource in package["resources"]:
        schema = resource["schema"]
        fields = [f["name"] for f in schema["fields"]]
        assert schema["primaryKey"] == "id" and fields[0] == "id"
        for key in schema.get("foreignKeys", []):
            assert key["fields"] in fields
            assert key["reference"]["resource"] in names
            assert key["reference"]["fields"] == "id"


def test_descriptor_follows_the_official_hsds_package():
    official_path = require_shared("hsds", "datapackage.json")
    official = {
        r["name"]: r for r in json.loads(official_path.read_text(encoding="utf-8"))["resources"]
    }
    schema_dir = require_shared("hsds", "schema")
    for resource in descriptor()["resources"]:
        theirs = official[resource["name"]]
        assert resource["path"] == theirs["path"]
        declared = {f["name"]: f for f in theirs["schema"]["fields"]}
        ours = resource["schema"]["fields"]
        if len(declared) > 2:
            for field in ours:
                assert field["name"] in declared, (resource["name"], field["name"])
                assert field["type"] == declared[field["name"]]["type"], field["name"]
                assert field.get("format") == declared[field["name"]].get("format"), field
            order = [name for name in declared if name in {f["name"] for f in ours}]
            assert [f["name"] for f in ours] == order, resource["name"]
        else:  # service_capacity and unit: the official descriptor is incomplete
            properties = json.loads(
                (schema_dir / f"{resource['name']}.json").read_text(encoding="utf-8")
            )["properties"]
            for field in ours:
                prop = properties[field["name"]]
                kind = (prop["type"], prop.get("format"))
                assert field["type"] == _JSON_TO_TABLE.get(kind, "string"), field["name"]
        official_keys = {
            (k["fields"], k["reference"]["resource"])
            for k in theirs["schema"].get("foreignKeys", [])
        }
        for key in resource["schema"].get("foreignKeys", []):
            assert (key["fields"], key["reference"]["resource"]) in official_keys


# --- writing and reading back


def test_written_package_reads_back_to_the_same_services(tmp_path):
    first = full_service_dict()
    org = organization_dict()
    shared_location = location_dict()
    second = service_dict(
        organization=org,
        description="",  # empty text and null are one thing in CSV
        service_at_locations=[{"id": new_id(), "location": shared_location}],
    )
    third = service_dict(
        organization=org,
        service_at_locations=[{"id": new_id(), "location": shared_location}],
    )
    records = [first, second, third]
    folder = package_of(tmp_path / "package", *records)
    tables = check_package(folder)
    assert len(tables["organization"]) == 2  # full_service_dict's, and the shared one
    assert len(tables["location"]) == 2  # the shared location is written once

    package = read_package(folder)
    assert len(package) == 3
    services = list(package)
    assert [s["id"] for s in services] == [r["id"] for r in records]
    assert "description" not in services[1]
    del second["description"]
    read_back, original = parse_services(services), parse_services(copy.deepcopy(records))
    assert read_back.issues == [] and original.issues == []
    assert comparable(read_back) == comparable(original)


def test_cells_are_typed_by_the_descriptor(tmp_path):
    folder = package_of(tmp_path / "package", full_service_dict())
    [service] = read_package(folder)
    sal = service["service_at_locations"][0]
    assert sal["phones"][0]["extension"] == 12
    assert isinstance(sal["location"]["latitude"], float)
    assert service["minimum_age"] == 12
    assert service["cost_options"][0]["amount"] == 35.5
    assert service["capacities"][0]["available"] == 3
    assert service["capacities"][0]["unit"]["name"] == "bed"
    assert service["schedules"][0]["opens_at"] == "00:00"  # written 00:00:00, one time
    assert "valid_from" not in service["schedules"][0]  # empty cell = null
    term = service["attributes"][3]["taxonomy_term"]
    assert term["taxonomy_detail"]["version"] == "2024"


@pytest.mark.parametrize("nested", [False, True])
def test_a_zip_is_read_like_a_folder(tmp_path, nested):
    record = full_service_dict()
    folder = package_of(tmp_path / "package", record)
    archive = tmp_path / "package.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for member in folder.iterdir():
            out.write(member, f"hsds/{member.name}" if nested else member.name)
    [service] = read_package(archive)
    assert service["id"] == record["id"]
    assert service["organization"]["name"] == "Juniper Health"


def test_columns_and_tables_that_are_not_hsds_are_reported_as_warnings(tmp_path):
    folder = package_of(tmp_path / "package", service_dict())
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    services = next(r for r in package["resources"] if r["name"] == "service")
    services["schema"]["fields"].append({"name": "x_intake_notes", "type": "string"})
    package["resources"].append(
        {"name": "referrals", "path": "referrals.csv", "schema": {"fields": [{"name": "id"}]}}
    )
    (folder / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    rows = read_csv(folder / "services.csv")
    write_csv(folder / "services.csv", [rows[0] + ["x_intake_notes"], rows[1] + ["2 days"]])
    package = read_package(folder)
    [service] = package
    assert "x_intake_notes" not in service
    assert sorted(str(w) for w in package.warnings) == [
        "datapackage.json resources[24] (referrals): is not an HSDS 3.1 table; not kept",
        "services.csv: x_intake_notes is not an HSDS 3.1 field of service; not kept",
    ]


def test_every_hsds_row_is_nested_where_it_belongs(tmp_path):
    record = service_dict()
    folder = package_of(tmp_path / "package", record)
    org_id = record["organization"]["id"]
    contacts = read_csv(folder / "contacts.csv")
    row = dict.fromkeys(contacts[0], "")
    row.update(id=new_id(), organization_id=org_id, name="Board office")
    write_csv(folder / "contacts.csv", [contacts[0], list(row.values())])
    [service] = read_package(folder)
    assert service["contacts"] == []
    assert [c["name"] for c in service["organization"]["contacts"]] == ["Board office"]


# --- bad packages: every problem named by file, row, id and field


def test_missing_required_column(tmp_path):
    folder = package_of(tmp_path / "package", service_dict())
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    services = next(r for r in package["resources"] if r["name"] == "service")
    services["schema"]["fields"] = [
        f for f in services["schema"]["fields"] if f["name"] != "status"
    ]
    (folder / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    rows = read_csv(folder / "services.csv")
    drop = rows[0].index("status")
    write_csv(folder / "services.csv", [r[:drop] + r[drop + 1 :] for r in rows])
    assert problems(folder) == ["services.csv row 1: the required column status is missing"]


def test_header_must_match_the_declaration(tmp_path):
    folder = package_of(tmp_path / "package", service_dict())
    rows = read_csv(folder / "phones.csv")
    write_csv(folder / "phones.csv", [rows[0][:-1] + ["notes"]])
    assert problems(folder) == [
        "phones.csv row 1: lacks declared column(s) description",
        "phones.csv row 1: has column(s) notes not declared in datapackage.json",
    ]


def test_bad_cells_name_file_row_id_and_field(tmp_path):
    record = full_service_dict()
    folder = package_of(tmp_path / "package", record)
    schedule_id = read_csv(folder / "schedules.csv")[1][0]
    edit_cell(folder, "schedules.csv", 2, "opens_at", "25:00")
    edit_cell(folder, "schedules.csv", 2, "interval", "two")
    edit_cell(folder, "services.csv", 2, "assured_date", "2026-13-01")
    edit_cell(folder, "locations.csv", 2, "latitude", "35,08")
    found = problems(folder)
    assert f"schedules.csv row 2 (id {schedule_id}), opens_at: '25:00' is not a time HH:MM" in found
    assert f"schedules.csv row 2 (id {schedule_id}), interval: 'two' is not a number" in found
    assert any(
        p.startswith("services.csv row 2 (id ") and "assured_date: '2026-13-01'" in p for p in found
    )
    assert any(
        "locations.csv row 2" in p and "latitude: '35,08' is not a number" in p for p in found
    )
    assert len(found) == 4


def test_orphan_foreign_key(tmp_path):
    record = full_service_dict()
    folder = package_of(tmp_path / "package", record)
    phones = read_csv(folder / "phones.csv")
    column = phones[0].index("service_id")
    row = next(i for i, r in enumerate(phones) if i and r[column])
    stray = new_id()
    edit_cell(folder, "phones.csv", row + 1, "service_id", stray)
    assert problems(folder) == [
        f"phones.csv row {row + 1} (id {phones[row][0]}), service_id: "
        f"no row with id {stray} in services.csv"
    ]


def test_service_with_unknown_organization(tmp_path):
    record = service_dict()
    folder = package_of(tmp_path / "package", record)
    stray = new_id()
    edit_cell(folder, "services.csv", 2, "organization_id", stray)
    assert problems(folder) == [
        f"services.csv row 2 (id {record['id']}), organization_id: "
        f"no row with id {stray} in organizations.csv"
    ]


def test_repeated_id_wrong_width_bad_uuid_and_unlinked_row(tmp_path):
    record = full_service_dict()
    folder = package_of(tmp_path / "package", record)
    rows = read_csv(folder / "languages.csv")
    write_csv(folder / "languages.csv", [*rows, rows[1], rows[1][:-1]])
    edit_cell(folder, "url.csv", 2, "service_id", "")
    edit_cell(folder, "cost_options.csv", 2, "id", "not-a-uuid")
    found = problems(folder)
    assert f"languages.csv row 4 (id {rows[1][0]}), id: repeats the id of row 2" in found
    assert f"languages.csv row 5 (id {rows[1][0]}): has 6 cells, the header has 7" in found
    assert "cost_options.csv row 2 (id not-a-uuid), id: 'not-a-uuid' is not a UUID" in found
    assert any(
        p.startswith("url.csv row 2") and "is linked to nothing (fill one of service_id" in p
        for p in found
    )


def test_missing_descriptor_or_file_or_unsafe_path(tmp_path):
    folder = package_of(tmp_path / "package", service_dict())
    (folder / "units.csv").unlink()
    assert problems(folder) == [
        "units.csv: is declared in datapackage.json but missing from the package"
    ]
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    for resource in package["resources"]:
        if resource["name"] == "unit":
            resource["path"] = "../units.csv"
    (folder / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    assert problems(folder) == [
        "datapackage.json resources[22] (unit): needs a relative path inside the package"
    ]
    (folder / "datapackage.json").unlink()
    assert problems(folder) == [
        "file: datapackage.json is missing: an hsds-csv package needs its descriptor"
    ]


def test_not_a_package(tmp_path):
    path = tmp_path / "services.csv"
    path.write_text("id,name\n", encoding="utf-8")
    assert problems(path) == ["file: services.csv is neither a folder nor a zip of an HSDS package"]
