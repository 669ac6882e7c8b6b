"""Importing HSDS 3.1 services: creates, upserts by id, idempotent, all or nothing."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from pmhc_directory.models import (
    Address,
    Attribute,
    Base,
    ChangeRecord,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceCapacity,
    Taxonomy,
    TaxonomyTerm,
)
from pmhc_directory.services.imports import (
    ImportFailed,
    ImportSummary,
    import_file,
    import_services,
)
from pmhc_directory.taxonomy import vocabulary
from tests.factories import make_service
from tests.unit.test_hsds_parsing import (
    full_service_dict,
    location_dict,
    new_id,
    organization_dict,
    pmhc_attribute,
    service_dict,
)


def summary_counts(summary: ImportSummary) -> str:
    """The summary's counts without its duplicate note (probable duplicates have own tests)."""
    return f"{summary.created} created, {summary.updated} updated, {summary.unchanged} unchanged"


def run(session: Session, *records: dict, source: str = "test.json"):
    return import_services(session, copy.deepcopy(list(records)), source=source)


def table_counts(session: Session) -> dict[str, int]:
    return {
        table.name: session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
    }


def changes_of(session: Session, service_id: str) -> list[ChangeRecord]:
    statement = select(ChangeRecord).where(ChangeRecord.resource_id == service_id)
    return list(session.scalars(statement.order_by(ChangeRecord.field_name)))


def test_valid_import_creates_rows(session):
    record = full_service_dict()
    summary = run(session, record)
    assert summary_counts(summary) == "1 created, 0 updated, 0 unchanged"

    service = session.get(Service, record["id"])
    assert service is not None
    assert service.name == "Crisis Line"
    assert service.minimum_age == 12
    assert service.organization.name == "Juniper Health"
    [sal] = service.service_at_locations
    assert sal.location.name == "Westside Center"
    assert sal.location.addresses[0].postal_code == "87102"
    assert [p.number for p in service.phones] == ["505-555-0199", "505-555-0198"]
    assert sal.phones[0].extension == "12"
    assert [s.byday for s in service.schedules] == ["MO", "TU"]
    assert sal.schedules[0].byday == "2MO,-1FR"
    codes = [a.taxonomy_term.code for a in service.attributes]
    assert codes == ["crisis-line", "open-24-7", "veterans", "RP-1500"]
    assert service.attributes[2].link_type == "audience"
    assert service.contacts[0].phones[0].number == "505-555-0177"
    assert service.urls[0].url == "https://example.org/more"
    assert service.cost_options[0].amount == 35.5
    assert service.languages[0].code == "en"

    [change] = changes_of(session, record["id"])
    assert (change.resource_type, change.last_action_type) == ("service", "create")
    assert change.updated_by == "import:test.json"
    assert change.last_action_date.tzinfo is not None


def test_reimport_is_idempotent(session):
    records = [full_service_dict(), service_dict(), service_dict()]
    assert summary_counts(run(session, *records)) == "3 created, 0 updated, 0 unchanged"
    counts = table_counts(session)
    versions = dict(session.execute(select(Service.id, Service.version)).all())

    assert summary_counts(run(session, *records)) == "0 created, 0 updated, 3 unchanged"
    assert table_counts(session) == counts  # no new ChangeRecord, no row added or removed
    assert dict(session.execute(select(Service.id, Service.version)).all()) == versions


def test_update_detected_with_change_records(session):
    record = full_service_dict()
    run(session, record)
    version = session.get(Service, record["id"]).version
    old_schedule_ids = {s["id"] for s in record["schedules"]}

    record["name"] = "Juniper Crisis Line"
    record["schedules"] = [
        {"id": new_id(), "freq": "WEEKLY", "byday": "SA", "opens_at": "10:00", "closes_at": "14:00"}
    ]
    record["phones"][0]["number"] = "505-555-0111"
    del record["description"]
    summary = run(session, record, source="feed.json")
    assert summary_counts(summary) == "0 created, 1 updated, 0 unchanged"

    service = session.get(Service, record["id"])
    assert service.name == "Juniper Crisis Line"
    assert service.description is None
    assert service.version == version + 1
    assert [s.byday for s in service.schedules] == ["SA"]
    assert session.scalars(select(Schedule).where(Schedule.id.in_(old_schedule_ids))).all() == []
    assert service.phones[0].number == "505-555-0111"

    updates = [c for c in changes_of(session, record["id"]) if c.last_action_type == "update"]
    assert [c.field_name for c in updates] == ["description", "name", "phones", "schedules"]
    by_field = {c.field_name: c for c in updates}
    assert by_field["name"].previous_value == "Crisis Line"
    assert by_field["name"].replacement_value == "Juniper Crisis Line"
    assert by_field["description"].replacement_value == ""
    assert "505-555-0111" in by_field["phones"].replacement_value
    assert json.loads(by_field["schedules"].replacement_value)[0]["byday"] == "SA"
    assert {c.updated_by for c in updates} == {"import:feed.json"}


def test_emptied_lists_delete_children(session):
    record = full_service_dict()
    run(session, record)
    location_id = record["service_at_locations"][0]["location"]["id"]
    for key in ("service_at_locations", "phones", "attributes", "capacities", "contacts"):
        record[key] = []
    assert summary_counts(run(session, record)) == "0 created, 1 updated, 0 unchanged"
    service = session.get(Service, record["id"])
    assert service.service_at_locations == []
    assert service.phones == []
    assert service.attributes == []
    assert service.capacities == []
    assert service.contacts == []
    assert session.get(Location, location_id) is not None  # shared data: never deleted here


def test_all_or_nothing(session):
    good = [service_dict(), full_service_dict()]
    bad = service_dict()
    bad["schedules"] = [{"id": new_id(), "opens_at": "25:00"}]
    before = table_counts(session)
    with pytest.raises(ImportFailed) as caught:
        run(session, good[0], bad, good[1])
    assert table_counts(session) == before
    [issue] = caught.value.errors
    assert (issue.record_index, issue.record_id) == (1, bad["id"])
    assert issue.field == "service.schedules[0].opens_at"
    assert caught.value.report() == (
        f"record 2 (id {bad['id']}): service.schedules[0].opens_at: '25:00' is not a time HH:MM"
    )


def test_many_errors_reported_and_nothing_written(session):
    existing = full_service_dict()
    run(session, existing)
    before = table_counts(session)
    changed = copy.deepcopy(existing)
    changed["name"] = "Renamed"
    records = [changed] + [service_dict(status="open", minimum_age=-3) for _ in range(3)]
    with pytest.raises(ImportFailed) as caught:
        run(session, *records)
    assert len(caught.value.errors) == 6
    assert {i.field for i in caught.value.errors} == {"service.status", "service.minimum_age"}
    assert table_counts(session) == before
    assert session.get(Service, existing["id"]).name == "Crisis Line"


def test_unknown_pmhc_code_fails(session):
    sid = new_id()
    attribute = pmhc_attribute(sid, "attribute", "open-24-7")
    attribute["taxonomy_term"].update(id=new_id(), code="open-sometimes")
    del attribute["taxonomy_term_id"]
    with pytest.raises(ImportFailed) as caught:
        run(session, service_dict(id=sid, attributes=[attribute]))
    [issue] = caught.value.errors
    assert issue.field == "service.attributes[0].taxonomy_term.code"
    assert issue.message == "unknown attribute code 'open-sometimes'"
    assert session.get(Service, sid) is None


def test_external_taxonomy_kept(session):
    record = full_service_dict()
    run(session, record)
    external = record["attributes"][3]["taxonomy_term"]
    term = session.get(TaxonomyTerm, external["id"])
    assert (term.code, term.name, term.taxonomy) == ("RP-1500", "Crisis Intervention", "AIRS")
    taxonomy = session.get(Taxonomy, external["taxonomy_detail"]["id"])
    assert taxonomy.key is None
    assert (taxonomy.name, taxonomy.version) == ("211 LA County Taxonomy", "2024")
    assert term.taxonomy_id == taxonomy.id
    # the PMHC vocabulary is untouched: no term of ours was written or duplicated
    pmhc_terms = (
        select(func.count()).select_from(TaxonomyTerm).where(TaxonomyTerm.code.is_not(None))
    )
    assert session.scalar(pmhc_terms) == len(vocabulary().terms) + 1

    # a later file may refer to the external term by id only
    other = service_dict(
        attributes=[{"id": new_id(), "taxonomy_term_id": external["id"], "link_type": "category"}]
    )
    assert summary_counts(run(session, other)) == "1 created, 0 updated, 0 unchanged"
    assert session.get(Service, other["id"]).attributes[0].taxonomy_term.code == "RP-1500"

    # a changed external term counts as a change of every service using it
    record["attributes"][3]["taxonomy_term"]["name"] = "Crisis intervention (AIRS)"
    assert summary_counts(run(session, record)) == "0 created, 1 updated, 0 unchanged"
    session.refresh(term)
    assert term.name == "Crisis intervention (AIRS)"


def test_reference_to_unknown_rows_fails(session):
    record = service_dict(
        service_at_locations=[{"id": new_id(), "location_id": new_id()}],
        attributes=[{"id": new_id(), "taxonomy_term_id": new_id()}],
    )
    with pytest.raises(ImportFailed) as caught:
        run(session, record)
    assert {i.field for i in caught.value.errors} == {
        "service.service_at_locations[0].location_id",
        "service.attributes[0].taxonomy_term_id",
    }
    assert "neither in this file nor in the database" in caught.value.errors[0].message


def test_location_shared_and_organization_shared(session):
    org = organization_dict()
    location = location_dict()
    records = [
        service_dict(
            name=f"Service {i}",
            organization=copy.deepcopy(org),
            service_at_locations=[{"id": new_id(), "location": copy.deepcopy(location)}],
        )
        for i in range(4)
    ]
    assert summary_counts(run(session, *records)) == "4 created, 0 updated, 0 unchanged"
    assert len(session.get(Organization, org["id"]).services) == 4
    assert len(session.get(Location, location["id"]).service_at_locations) == 4
    assert (
        session.scalar(
            select(func.count()).select_from(Address).where(Address.location_id == location["id"])
        )
        == 1
    )

    # changing the shared location updates every service that lists it
    for record in records:
        record["service_at_locations"][0]["location"]["name"] = "Westside Campus"
    assert summary_counts(run(session, *records)) == "0 created, 4 updated, 0 unchanged"
    assert session.get(Location, location["id"]).name == "Westside Campus"
    fields = {c.field_name for c in changes_of(session, records[0]["id"])}
    assert fields == {"", "service_at_locations"}


def test_service_moves_to_another_organization(session):
    record = service_dict()
    old_org = record["organization"]["id"]
    run(session, record)
    record["organization"] = organization_dict(name="New Provider")
    assert summary_counts(run(session, record)) == "0 created, 1 updated, 0 unchanged"
    service = session.get(Service, record["id"])
    assert service.organization.name == "New Provider"
    assert session.get(Organization, old_org) is not None  # kept, never deleted by an import
    fields = [c.field_name for c in changes_of(session, record["id"]) if c.field_name]
    assert fields == ["organization", "organization_id"]


def test_existing_service_made_elsewhere_is_updated(session):
    made = make_service(session, name="Made in the app", attributes=("walk-in",))
    record = service_dict(id=made.id, name="From the feed")
    assert summary_counts(run(session, record)) == "0 created, 1 updated, 0 unchanged"
    session.refresh(made)
    assert made.name == "From the feed"
    assert made.attributes == []  # the record lists none


def test_child_moves_between_services(session):
    first, second = service_dict(), service_dict()
    phone = {"id": new_id(), "number": "505-555-0123"}
    first["phones"] = [phone]
    run(session, first, second)
    first["phones"], second["phones"] = [], [phone]
    assert summary_counts(run(session, second, first)) == "0 created, 2 updated, 0 unchanged"
    assert session.get(Phone, phone["id"]).service_id == second["id"]


def test_service_area_bounds_stored(session):
    record = full_service_dict()
    run(session, record)
    area = session.get(ServiceArea, record["service_areas"][0]["id"])
    assert (area.min_lon, area.min_lat, area.max_lon, area.max_lat) == (
        -106.8,
        35.0,
        -106.4,
        35.3,
    )
    assert area.extent == record["service_areas"][0]["extent"]


def test_capacity_updated_is_an_aware_datetime(session):
    record = full_service_dict()
    run(session, record)
    capacity = session.get(ServiceCapacity, record["capacities"][0]["id"])
    assert capacity.updated == datetime(2026, 10, 28, 8, 10, tzinfo=UTC)
    assert capacity.unit.name == "bed"

    record["capacities"][0]["updated"] = "2026-10-28T01:10:00"
    with pytest.raises(ImportFailed) as caught:
        run(session, record)
    [issue] = caught.value.errors
    assert issue.field == "service.capacities[0].updated"
    assert "no UTC offset" in issue.message


def test_import_file_with_bad_json(session, tmp_path: Path):
    path = tmp_path / "feed.json"
    path.write_text("[{]", encoding="utf-8")
    before = table_counts(session)
    with pytest.raises(ImportFailed) as caught:
        import_file(session, path)
    assert caught.value.report().startswith("file: is not valid JSON: ")
    assert "line 1 column 3" in caught.value.report()
    assert table_counts(session) == before


def test_import_file_records_source_and_progress(session, tmp_path: Path):
    records = [service_dict() for _ in range(3)]
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    seen: list[tuple[str, int | None, int]] = []

    from contextlib import contextmanager

    @contextmanager
    def progress(label, total=None):
        done = []
        yield done.append
        seen.append((label, total, sum(done)))

    summary = import_file(session, path, progress=progress)
    assert summary_counts(summary) == "3 created, 0 updated, 0 unchanged"
    assert seen == [("Checking", 3, 3), ("Importing", 3, 3)]
    assert changes_of(session, records[0]["id"])[0].updated_by == "import:feed.json"


def test_unsupported_format(session, tmp_path: Path):
    path = tmp_path / "feed.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ImportFailed, match="not supported"):
        import_file(session, path, fmt="xml")


def test_attribute_positions_follow_the_file(session):
    sid = new_id()
    attributes = [
        pmhc_attribute(sid, "service-type", "mobile-crisis"),
        pmhc_attribute(sid, "service-type", "crisis-line"),
    ]
    run(session, service_dict(id=sid, attributes=attributes))
    rows = session.scalars(
        select(Attribute).where(Attribute.link_id == sid).order_by(Attribute.position)
    ).all()
    assert [a.taxonomy_term.code for a in rows] == ["mobile-crisis", "crisis-line"]


def test_location_can_be_referenced_by_id(session):
    first = full_service_dict()
    run(session, first)
    location_id = first["service_at_locations"][0]["location"]["id"]
    second = service_dict(service_at_locations=[{"id": new_id(), "location_id": location_id}])
    assert summary_counts(run(session, second)) == "1 created, 0 updated, 0 unchanged"
    sal = session.scalars(
        select(ServiceAtLocation).where(ServiceAtLocation.service_id == second["id"])
    ).one()
    assert sal.location.name == "Westside Center"


def test_postgres_planner_setting_restored(session):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: the import plans its look-ups as index scans there")
    run(session, service_dict())
    assert session.scalar(text("SHOW enable_seqscan")) == "on"
