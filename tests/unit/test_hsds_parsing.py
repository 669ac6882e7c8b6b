"""Parsing and checking of HSDS 3.1 compiled services (no database).

``service_dict`` / ``full_service_dict`` build small HSDS records; the integration tests of the
import and export reuse them.
"""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pmhc_directory.hsds.deserialize import ParsedFile, parse_services
from pmhc_directory.hsds.errors import ReadFailed
from pmhc_directory.hsds.json_array import read_hsds_json
from pmhc_directory.services.imports import ImportFailed, ImportIssue, ImportSummary
from pmhc_directory.taxonomy import vocabulary

SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[-106.8, 35.0], [-106.4, 35.0], [-106.4, 35.3], [-106.8, 35.3], [-106.8, 35.0]]
    ],
}


def new_id() -> str:
    return str(uuid.uuid4())


def organization_dict(**overrides: Any) -> dict[str, Any]:
    org = {"id": new_id(), "name": "Juniper Health", "description": "Runs crisis services."}
    org.update(overrides)
    return org


def service_dict(**overrides: Any) -> dict[str, Any]:
    """A minimal valid compiled HSDS service; ``overrides`` replace top-level fields."""
    service = {
        "id": new_id(),
        "name": "Crisis Line",
        "status": "active",
        "organization": organization_dict(),
    }
    service.update(overrides)
    return service


def pmhc_attribute(service_id: str, taxonomy: str, code: str, **overrides: Any) -> dict:
    """An attribute naming a PMHC term the way docs/hsds-conventions.md does."""
    vocab = vocabulary()
    term = vocab.term(taxonomy, code)
    attribute = {
        "id": new_id(),
        "link_id": service_id,
        "link_entity": "service",
        "taxonomy_term_id": term.id,
        "taxonomy_term": {
            "id": term.id,
            "code": code,
            "name": term.name,
            "description": term.description,
            "taxonomy": taxonomy,
            "taxonomy_id": vocab.taxonomies[taxonomy].id,
        },
    }
    attribute.update(overrides)
    return attribute


def location_dict(**overrides: Any) -> dict[str, Any]:
    location_id = overrides.pop("id", None) or new_id()
    location = {
        "id": location_id,
        "location_type": "physical",
        "name": "Westside Center",
        "latitude": 35.0844,
        "longitude": -106.6504,
        "addresses": [
            {
                "id": new_id(),
                "location_id": location_id,
                "address_1": "100 Main St NW",
                "city": "Albuquerque",
                "state_province": "NM",
                "postal_code": "87102",
                "country": "US",
                "address_type": "physical",
            }
        ],
        "phones": [{"id": new_id(), "number": "505-555-0100"}],
        "schedules": [
            {
                "id": new_id(),
                "freq": "WEEKLY",
                "byday": "MO,TU,WE,TH,FR",
                "opens_at": "08:00",
                "closes_at": "17:00",
            }
        ],
        "languages": [{"id": new_id(), "code": "es", "name": "Spanish"}],
    }
    location.update(overrides)
    return location


def full_service_dict(**overrides: Any) -> dict[str, Any]:
    """A service using every part of HSDS the directory stores."""
    sid = overrides.pop("id", None) or new_id()
    taxonomy_id = new_id()
    service = service_dict(
        id=sid,
        alternate_name="JCL",
        description="Answered around the clock.",
        url="https://crisis.example.org/",
        email="help@example.org",
        interpretation_services="Telephone interpreters.",
        minimum_age=12,
        maximum_age=99,
        assured_date="2026-06-02",
        assurer_email="k.nguyen@example.org",
        service_at_locations=[
            {
                "id": new_id(),
                "service_id": sid,
                "description": "Walk-in entrance on 2nd St.",
                "location": location_dict(),
                "phones": [{"id": new_id(), "number": "505-555-0101", "extension": 12}],
                "schedules": [
                    {
                        "id": new_id(),
                        "freq": "MONTHLY",
                        "byday": "2MO,-1FR",
                        "opens_at": "09:00:00-07:00",
                        "closes_at": "12:00Z",
                        "valid_from": "2026-01-01",
                        "valid_to": "2026-12-31",
                    }
                ],
                "service_areas": [],
            }
        ],
        phones=[
            {"id": new_id(), "number": "505-555-0199", "type": "voice"},
            {"id": new_id(), "number": "505-555-0198", "type": "text"},
        ],
        schedules=[
            {
                "id": new_id(),
                "freq": "WEEKLY",
                "byday": day,
                "opens_at": "00:00",
                "closes_at": "23:59",
            }
            for day in ("MO", "TU")
        ],
        service_areas=[
            {
                "id": new_id(),
                "name": "Juniper County",
                "extent": json.dumps(SQUARE),
                "extent_type": "geojson",
            }
        ],
        languages=[{"id": new_id(), "code": "en", "name": "English"}],
        cost_options=[{"id": new_id(), "option": "Sliding fee", "currency": "USD", "amount": 35.5}],
        capacities=[
            {
                "id": new_id(),
                "unit": {"id": new_id(), "name": "bed", "scheme": "PMHC"},
                "available": 3,
                "maximum": 16,
                "updated": "2026-10-28T01:10:00-07:00",
            }
        ],
        contacts=[
            {
                "id": new_id(),
                "name": "Intake desk",
                "email": "intake@example.org",
                "phones": [{"id": new_id(), "number": "505-555-0177"}],
            }
        ],
        additional_urls=[{"id": new_id(), "url": "https://example.org/more", "label": "More"}],
        attributes=[
            pmhc_attribute(sid, "service-type", "crisis-line", link_type="service_type"),
            pmhc_attribute(sid, "attribute", "open-24-7", link_type="diversion"),
            pmhc_attribute(sid, "population", "veterans", link_type="audience"),
            {
                "id": new_id(),
                "link_id": sid,
                "link_entity": "service",
                "link_type": "category",
                "taxonomy_term": {
                    "id": new_id(),
                    "code": "RP-1500",
                    "name": "Crisis Intervention",
                    "description": "An external term.",
                    "taxonomy": "AIRS",
                    "taxonomy_detail": {
                        "id": taxonomy_id,
                        "name": "211 LA County Taxonomy",
                        "description": "AIRS/211 taxonomy.",
                        "uri": "https://211taxonomy.org/",
                        "version": "2024",
                    },
                },
            },
        ],
    )
    service.update(overrides)
    return service


def parse(*records: Any) -> ParsedFile:
    return parse_services(records)


def fields_of(parsed: ParsedFile) -> set[str]:
    return {issue.field for issue in parsed.issues}


def messages(parsed: ParsedFile) -> dict[str, str]:
    return {issue.field: issue.message for issue in parsed.issues}


# --- valid data


def test_minimal_service_is_valid():
    record = service_dict()
    parsed = parse(record)
    assert parsed.issues == []
    [parsed_record] = parsed.records
    assert parsed_record.service["name"] == "Crisis Line"
    assert parsed_record.service["organization_id"] == record["organization"]["id"]
    assert list(parsed.shared["organizations"]) == [record["organization"]["id"]]


def test_full_service_is_valid_and_converted():
    record = full_service_dict()
    parsed = parse(record)
    assert parsed.issues == []
    rows = parsed.records[0].rows
    assert len(rows["services_at_location"]) == 1
    assert len(rows["phones"]) == 4  # 2 service, 1 service_at_location, 1 contact
    assert {p["extension"] for p in rows["phones"]} == {None, "12"}
    [capacity] = rows["service_capacities"]
    assert capacity["updated"] == datetime(2026, 10, 28, 8, 10, tzinfo=UTC)
    [cost] = rows["cost_options"]
    assert cost["amount"] == Decimal("35.5")
    [area] = rows["service_areas"]
    assert (area["min_lon"], area["min_lat"], area["max_lon"], area["max_lat"]) == (
        -106.8,
        35.0,
        -106.4,
        35.3,
    )
    assert set(parsed.shared["locations"]) == {record["service_at_locations"][0]["location"]["id"]}
    assert len(parsed.shared["taxonomies"]) == 1
    assert len(parsed.shared["taxonomy_terms"]) == 1
    assert len(parsed.shared["units"]) == 1


def test_ids_are_normalised_to_lower_case():
    record = service_dict()
    record["id"] = record["id"].upper()
    parsed = parse(record)
    assert parsed.records[0].id == record["id"].lower()


@pytest.mark.parametrize("value", ["08:00", "08:00:00", "08:00Z", "08:00-07:00", "23:59+05:30"])
def test_accepted_times(value):
    record = service_dict(schedules=[{"id": new_id(), "opens_at": value, "closes_at": value}])
    assert parse(record).issues == []


def test_pmhc_term_recognised_by_taxonomy_key_and_code():
    """A publisher's own term id is replaced by ours when taxonomy + code name a PMHC term."""
    sid = new_id()
    attribute = {
        "id": new_id(),
        "taxonomy_term": {
            "id": new_id(),
            "code": "mobile-crisis",
            "name": "Mobile crisis",
            "description": "",
            "taxonomy": "service-type",
        },
    }
    parsed = parse(service_dict(id=sid, attributes=[attribute]))
    assert parsed.issues == []
    [row] = parsed.records[0].rows["attributes"]
    assert row["taxonomy_term_id"] == vocabulary().id_for_code("service-type", "mobile-crisis")
    assert row["link_type"] == "service_type"  # filled in from docs/hsds-conventions.md
    assert row["link_id"] == sid
    assert parsed.shared["taxonomy_terms"] == {}


def test_pmhc_term_recognised_by_term_id_alone():
    term = vocabulary().term("attribute", "walk-in")
    attribute = {"id": new_id(), "taxonomy_term_id": term.id}
    parsed = parse(service_dict(attributes=[attribute]))
    assert parsed.issues == []
    assert parsed.records[0].rows["attributes"][0]["link_type"] == "diversion"


def test_free_text_taxonomy_named_like_ours_but_with_other_taxonomy_id_is_external():
    attribute = {
        "id": new_id(),
        "taxonomy_term": {
            "id": new_id(),
            "code": "cash",
            "name": "Cash",
            "description": "",
            "taxonomy": "payment",
            "taxonomy_detail": {"id": new_id(), "name": "Other payments", "description": ""},
        },
    }
    parsed = parse(service_dict(attributes=[attribute]))
    assert parsed.issues == []
    assert len(parsed.shared["taxonomy_terms"]) == 1


def test_shared_organization_and_location_kept_once():
    org = organization_dict()
    location = location_dict()
    records = [
        service_dict(
            organization=copy.deepcopy(org),
            service_at_locations=[{"id": new_id(), "location": copy.deepcopy(location)}],
        )
        for _ in range(3)
    ]
    parsed = parse(*records)
    assert parsed.issues == []
    assert list(parsed.shared["organizations"]) == [org["id"]]
    assert list(parsed.shared["locations"]) == [location["id"]]


# --- errors


def test_required_fields():
    record = {"organization": {}, "service_at_locations": [{"id": new_id(), "location": {}}]}
    parsed = parse(record)
    assert {
        "service.id",
        "service.name",
        "service.status",
        "service.organization.id",
        "service.organization.name",
        "service.service_at_locations[0].location.id",
        "service.service_at_locations[0].location.location_type",
    } <= fields_of(parsed)
    assert parsed.records == []


def test_address_required_fields_when_given():
    location = location_dict(addresses=[{"id": new_id(), "address_1": "1 Main St"}])
    parsed = parse(service_dict(service_at_locations=[{"id": new_id(), "location": location}]))
    prefix = "service.service_at_locations[0].location.addresses[0]"
    assert {
        f"{prefix}.city",
        f"{prefix}.state_province",
        f"{prefix}.postal_code",
        f"{prefix}.country",
        f"{prefix}.address_type",
    } == fields_of(parsed)


def test_status_must_be_allowed():
    parsed = parse(service_dict(status="closed"))
    assert "'closed' is not one of" in messages(parsed)["service.status"]


def test_bad_uuids_are_named():
    record = service_dict(id="not-a-uuid", phones=[{"id": "42", "number": "1"}])
    parsed = parse(record)
    assert messages(parsed)["service.id"] == "'not-a-uuid' is not a UUID"
    assert messages(parsed)["service.phones[0].id"] == "'42' is not a UUID"
    assert parsed.issues[0].record_id == "not-a-uuid"


def test_bad_times_and_schedule_codes():
    schedule = {
        "id": new_id(),
        "opens_at": "25:00",
        "closes_at": "8am",
        "freq": "DAILY",
        "byday": "MO,XX",
        "bymonthday": "0",
        "valid_from": "2026-02-30",
    }
    parsed = parse(service_dict(schedules=[schedule]))
    found = messages(parsed)
    assert found["service.schedules[0].opens_at"] == "'25:00' is not a time HH:MM"
    assert found["service.schedules[0].closes_at"] == "'8am' is not a time HH:MM"
    assert "not one of 'WEEKLY', 'MONTHLY'" in found["service.schedules[0].freq"]
    assert "'XX' is not a day code" in found["service.schedules[0].byday"]
    assert "service.schedules[0].bymonthday" in found
    assert found["service.schedules[0].valid_from"] == "'2026-02-30' is not a date YYYY-MM-DD"


def test_numbered_day_needs_monthly():
    parsed = parse(service_dict(schedules=[{"id": new_id(), "freq": "WEEKLY", "byday": "2MO"}]))
    assert "needs freq MONTHLY" in messages(parsed)["service.schedules[0].byday"]


def test_ages():
    assert "service.minimum_age" in fields_of(parse(service_dict(minimum_age=-1)))
    assert "service.minimum_age" in fields_of(parse(service_dict(minimum_age=12.5)))
    assert "service.minimum_age" in fields_of(parse(service_dict(minimum_age="12")))
    parsed = parse(service_dict(minimum_age=18, maximum_age=17))
    assert messages(parsed) == {"service.maximum_age": "17 is below minimum_age 18"}
    assert parse(service_dict(minimum_age=18.0, maximum_age=18)).issues == []


def test_coordinates_in_range():
    location = location_dict(latitude=91, longitude=-181)
    parsed = parse(service_dict(service_at_locations=[{"id": new_id(), "location": location}]))
    prefix = "service.service_at_locations[0].location"
    assert {f"{prefix}.latitude", f"{prefix}.longitude"} == fields_of(parsed)


def test_capacity_checks():
    capacity = {
        "id": new_id(),
        "unit": {"id": new_id(), "name": "bed"},
        "available": -1,
        "maximum": 2.5,
        "updated": "2026-10-28T01:10:00",
    }
    found = messages(parse(service_dict(capacities=[capacity])))
    assert found["service.capacities[0].available"] == "-1 is negative"
    assert found["service.capacities[0].maximum"] == "2.5 is not a whole number"
    assert "has no UTC offset" in found["service.capacities[0].updated"]
    missing = messages(parse(service_dict(capacities=[{"id": new_id(), "available": 1}])))
    assert missing["service.capacities[0].unit"] == "is required"
    assert missing["service.capacities[0].updated"] == "is required"


def test_service_area_extent_must_be_polygon():
    areas = [
        {"id": new_id(), "extent_type": "geojson", "extent": '{"type": "Point"'},
        {
            "id": new_id(),
            "extent_type": "geojson",
            "extent": json.dumps({"type": "Point", "coordinates": [0, 0]}),
        },
        {
            "id": new_id(),
            "extent_type": "geojson",
            "extent": json.dumps({"type": "Polygon", "coordinates": [[[0, 0], [1]]]}),
        },
        {"id": new_id(), "extent_type": "text", "extent": "All of Juniper County"},
    ]
    found = messages(parse(service_dict(service_areas=areas)))
    assert found["service.service_areas[0].extent"].startswith("is not GeoJSON")
    assert "not Point" in found["service.service_areas[1].extent"]
    assert "service.service_areas[2].extent" in found
    assert "service.service_areas[3].extent" not in found


def test_unknown_pmhc_code_names_the_field():
    sid = new_id()
    attribute = pmhc_attribute(sid, "service-type", "crisis-line")
    attribute["taxonomy_term"].update(id=new_id(), code="crisis-spa")
    del attribute["taxonomy_term_id"]
    parsed = parse(service_dict(id=sid, attributes=[attribute]))
    assert messages(parsed) == {
        "service.attributes[0].taxonomy_term.code": "unknown service-type code 'crisis-spa'"
    }


def test_pmhc_link_type_rules():
    sid = new_id()
    attributes = [
        pmhc_attribute(sid, "population", "veterans"),  # eligibility or audience: say which
        pmhc_attribute(sid, "payment", "medicaid", link_type="diversion"),
        pmhc_attribute(sid, "need", vocabulary().codes("need")[0]),
    ]
    found = messages(parse(service_dict(id=sid, attributes=attributes)))
    assert "is required for population" in found["service.attributes[0].link_type"]
    assert "must be 'payment'" in found["service.attributes[1].link_type"]
    assert "never attached" in found["service.attributes[2].taxonomy_term"]


def test_nested_ids_must_match_their_parent():
    sid = new_id()
    record = service_dict(
        id=sid,
        organization_id=new_id(),
        phones=[{"id": new_id(), "number": "1", "service_id": new_id()}],
        attributes=[pmhc_attribute(sid, "service-type", "crisis-line", link_id=new_id())],
    )
    assert {
        "service.organization_id",
        "service.phones[0].service_id",
        "service.attributes[0].link_id",
    } == fields_of(parse(record))


def test_formats_checked():
    record = service_dict(url="www.example.org", email="nobody", assured_date="02/06/2026")
    assert {"service.url", "service.email", "service.assured_date"} == fields_of(parse(record))


def test_too_long_text():
    parsed = parse(service_dict(name="x" * 501))
    assert messages(parsed) == {"service.name": "is longer than 500 characters"}


def test_duplicate_ids_in_one_file():
    first = service_dict()
    phone_id = new_id()
    first["phones"] = [{"id": phone_id, "number": "1"}]
    second = service_dict(id=first["id"], phones=[{"id": phone_id, "number": "2"}])
    parsed = parse(first, second)
    found = {(i.record_index, i.field): i.message for i in parsed.issues}
    assert found[(1, "service.id")] == "duplicate service id: also record 1"
    assert found[(1, "service.phones[0].id")].startswith(f"duplicate id {phone_id}")


def test_shared_copies_must_agree():
    org = organization_dict()
    first = service_dict(organization=copy.deepcopy(org))
    second = service_dict(organization={**org, "name": "Another name"})
    parsed = parse(first, second)
    [issue] = parsed.issues
    assert issue.record_index == 1
    assert issue.field == "service.organization.name"
    assert "differs from the copy of organization" in issue.message
    assert "record 1" in issue.message


def test_many_errors_are_collected_across_records():
    records = [service_dict(status="nope") for _ in range(5)] + [service_dict(), "oops"]
    parsed = parse(*records)
    assert [i.record_index for i in parsed.issues] == [0, 1, 2, 3, 4, 6]
    assert parsed.issues[-1].message == "must be an HSDS service object, not a string"
    assert parsed.records == []


def test_wrong_shapes_do_not_crash():
    record = service_dict(
        phones={"id": new_id()},
        schedules=["MO"],
        organization="Juniper",
        capacities=[{"id": new_id(), "unit": "bed", "available": True, "updated": 5}],
    )
    found = messages(parse(record))
    assert found["service.phones"] == "must be an array, not an object"
    assert found["service.schedules[0]"] == "must be an object, not a string"
    assert found["service.organization"] == "must be an object, not a string"
    assert found["service.capacities[0].unit"] == "must be an object, not a string"
    assert found["service.capacities[0].available"] == "must be a whole number, not a boolean"


# --- report text and file reading


def test_import_failed_report():
    sid = new_id()
    issues = [
        ImportIssue(sid, 2, "service.schedules[0].opens_at", "'25:00' is not a time HH:MM"),
        ImportIssue(None, 0, "service.id", "is required"),
    ]
    report = ImportFailed(issues).report()
    assert report.splitlines() == [
        "record 1: service.id: is required",
        f"record 3 (id {sid}): service.schedules[0].opens_at: '25:00' is not a time HH:MM",
    ]
    many = ImportFailed([ImportIssue(None, i, "service.name", "is required") for i in range(60)])
    lines = many.report(limit=50).splitlines()
    assert len(lines) == 51
    assert lines[-1] == "... and 10 more error(s)"
    file_issue = ImportIssue(None, -1, "file", "is not valid JSON")
    assert ImportFailed([file_issue]).report() == "file: is not valid JSON"


def test_summary_text():
    assert str(ImportSummary(12, 3, 0)) == "12 created, 3 updated, 0 unchanged"


def test_read_invalid_json_names_line_and_column(tmp_path: Path):
    path = tmp_path / "bad.json"
    path.write_text('[\n  {"id": "x",\n  "name" "y"}\n]\n', encoding="utf-8")
    with pytest.raises(ReadFailed) as caught:
        read_hsds_json(path)
    assert [str(issue) for issue in caught.value.issues] == [
        "file: is not valid JSON: Expecting ':' delimiter at line 3 column 10"
    ]


@pytest.mark.parametrize("content", ['{"services": []}', '"text"', "42"])
def test_read_needs_an_array(tmp_path: Path, content: str):
    path = tmp_path / "x.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ReadFailed, match="expected a JSON array of HSDS services"):
        read_hsds_json(path)


def test_read_single_object_and_bom(tmp_path: Path):
    record = service_dict()
    path = tmp_path / "one.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(record).encode())
    assert list(read_hsds_json(path)) == [record]


def test_schedule_the_hours_engine_cannot_evaluate_is_kept_with_a_warning_naming_the_field():
    """Valid HSDS (byyearday) the hours engine cannot evaluate is stored, not refused; the
    service then shows hours unknown (issue #15 item 5)."""
    from pmhc_directory.hsds.deserialize import parse_services

    record = service_dict(
        schedules=[
            {
                "id": "6f1d0c1e-2b1a-4c55-9f0e-000000000001",
                "freq": "WEEKLY",
                "byday": "MO",
                "byyearday": "1",
                "opens_at": "08:00",
                "closes_at": "17:00",
            }
        ]
    )
    parsed = parse_services([record])
    assert parsed.issues == []
    assert [w.field for w in parsed.warnings] == ["service.schedules[0].byyearday"]
    assert parsed.records[0].rows["schedules"][0]["byyearday"] == "1"


def test_schedule_with_one_time_missing_is_an_error():
    from pmhc_directory.hsds.deserialize import parse_services

    record = service_dict(
        schedules=[
            {
                "id": "6f1d0c1e-2b1a-4c55-9f0e-000000000002",
                "freq": "WEEKLY",
                "byday": "MO",
                "opens_at": "08:00",
            }
        ]
    )
    issues = parse_services([record]).issues
    assert len(issues) == 1 and issues[0].field.startswith("service.schedules[0].")
