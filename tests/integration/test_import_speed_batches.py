"""Big imports: rows written through the driver in batches, re-imports, the change sequence,
and a row the database refuses (behaviour only; the speed is measured by benchmarks/run.py)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from benchmarks import synthetic
from pmhc_directory.models import (
    Attribute,
    ChangeRecord,
    Location,
    Schedule,
    SearchChange,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
)
from pmhc_directory.services import imports
from pmhc_directory.services.imports import ImportFailed, import_services
from tests.unit.test_hsds_parsing import service_dict


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports, "BATCH_RECORDS", 4)


def records(count: int) -> list[dict[str, Any]]:
    return list(synthetic.services(count, areas=50))


def run(session: Session, items: list[dict[str, Any]]) -> imports.ImportSummary:
    return import_services(session, copy.deepcopy(items), source="big.json")


def newest_seq(session: Session) -> int:
    return session.scalar(select(func.max(SearchChange.seq))) or 0


def changed_since(session: Session, seq: int) -> list[str]:
    rows = session.scalars(select(SearchChange.service_id).where(SearchChange.seq > seq))
    return [str(r) for r in rows]


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_every_row_is_written_once_and_every_service_is_recorded(session, small_batches):
    items = records(12)
    services, attributes = count(session, Service), count(session, Attribute)
    mark = newest_seq(session)
    summary = run(session, items)
    assert (summary.created, summary.updated, summary.unchanged) == (12, 0, 0)
    assert count(session, Service) == services + 12
    assert count(session, Attribute) == attributes + sum(len(r["attributes"]) for r in items)
    links = {sal["id"] for r in items for sal in r.get("service_at_locations", [])}
    stored = session.scalars(select(ServiceAtLocation.id).where(ServiceAtLocation.id.in_(links)))
    assert set(stored) == links
    changed = changed_since(session, mark)
    assert set(changed) == {r["id"] for r in items}
    assert len(changed) == len(set(changed))  # one row per service and batch
    created = select(ChangeRecord.resource_id).where(ChangeRecord.last_action_type == "create")
    assert {r["id"] for r in items} <= set(session.scalars(created))


def test_values_read_back_as_they_were_given(session):
    [item] = records(1)
    run(session, [item])
    service = session.get(Service, item["id"])
    assert service.name == item["name"]
    assert service.assured_date.isoformat() == item["assured_date"]
    location = session.get(Location, item["service_at_locations"][0]["location"]["id"])
    assert location.latitude == item["service_at_locations"][0]["location"]["latitude"]
    if item.get("capacities"):
        assert service.capacities[0].updated.tzinfo is not None
    assert sorted(a.id for a in service.attributes) == sorted(a["id"] for a in item["attributes"])


def test_a_reimport_is_unchanged_and_a_changed_service_gets_its_new_rows(session, small_batches):
    items = records(10)
    run(session, items)
    changes = count(session, ChangeRecord)
    mark = newest_seq(session)
    summary = run(session, items)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 10)
    assert count(session, ChangeRecord) == changes
    assert changed_since(session, mark) == []

    renamed, rescheduled = items[0], items[5]
    renamed["name"] = "Renamed " + renamed["name"]
    kept = renamed["attributes"][:1]
    dropped = {a["id"] for a in renamed["attributes"][1:]}
    renamed["attributes"] = kept
    old_schedules = {s["id"] for s in rescheduled["schedules"]}
    rescheduled["schedules"] = [
        {
            "id": "6f1c1a52-5d59-4d3e-9d53-1b0c9d7a0e11",
            "freq": "WEEKLY",
            "byday": "SA",
            "opens_at": "10:00",
            "closes_at": "12:00",
        }
    ]
    mark = newest_seq(session)
    summary = run(session, items)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 2, 8)
    session.expire_all()
    service = session.get(Service, renamed["id"])
    assert service.name == renamed["name"]
    assert [a.id for a in service.attributes] == [kept[0]["id"]]
    assert session.scalars(select(Attribute).where(Attribute.id.in_(dropped))).all() == []
    schedules = session.scalars(
        select(Schedule.byday).where(Schedule.service_id == rescheduled["id"])
    ).all()
    assert schedules == ["SA"]
    gone = select(Schedule).where(Schedule.id.in_(old_schedules))
    assert session.scalars(gone).all() == []
    assert set(changed_since(session, mark)) == {renamed["id"], rescheduled["id"]}
    updates = select(ChangeRecord.resource_id, ChangeRecord.field_name).where(
        ChangeRecord.last_action_type == "update"
    )
    assert set(session.execute(updates).all()) == {
        (renamed["id"], "name"),
        (renamed["id"], "attributes"),
        (rescheduled["id"], "schedules"),
    }


def test_a_row_the_database_refuses_fails_the_import_and_writes_nothing(session):
    # A PMHC term the parser knows (from the vocabulary) but the database no longer has.
    term = session.scalars(
        select(TaxonomyTerm).where(~TaxonomyTerm.id.in_(select(Attribute.taxonomy_term_id)))
    ).first()
    assert term is not None
    session.execute(delete(TaxonomyTerm).where(TaxonomyTerm.id == term.id))
    session.flush()
    record = service_dict()
    record["attributes"] = [
        {"id": "0c4b7f57-3f3c-4a57-8a43-2b8e1e7d0f21", "taxonomy_term_id": term.id}
    ]
    before = count(session, Service)
    with pytest.raises(ImportFailed) as caught:
        run(session, [record])
    [issue] = caught.value.errors
    assert issue.field == "database"
    assert issue.message.startswith("the database refused the data")
    session.rollback()
    assert count(session, Service) <= before
    assert session.get(Service, record["id"]) is None
