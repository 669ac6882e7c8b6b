"""Probable duplicates flagged on import: same normalised name, locations within 50 m.

They are listed on the import summary for the coordinators' verification queue and never
merged: both services stay as imported.
"""

from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import func, select

from pmhc_directory.models import Service
from pmhc_directory.services.imports import import_services
from pmhc_directory.services.inventory import probable_duplicates
from tests.unit.test_hsds_parsing import location_dict, new_id, service_dict

LAT, LON = 35.0844, -106.6504
# Degrees of latitude per metre (about 111.2 km per degree).
DEG_PER_M = 1 / 111_200


def at(name: str, metres_north: float | None, **overrides) -> dict:
    """A service called ``name`` at a location ``metres_north`` of the reference point
    (no location when None)."""
    service = service_dict(name=name, **overrides)
    if metres_north is not None:
        location = location_dict(latitude=LAT + metres_north * DEG_PER_M, longitude=LON)
        service["service_at_locations"] = [{"id": new_id(), "location": location}]
    return service


def run(session, *records):
    return import_services(session, copy.deepcopy(list(records)), source="feed.json")


def ids_of(summary) -> list[set[str]]:
    return [{pair.first.id, pair.second.id} for pair in summary.duplicates]


def test_same_name_20_m_apart_is_flagged_and_not_merged(session):
    first = at("Westside Crisis Center", 0)
    second = at("westside crisis  center!", 20)
    summary = run(session, first, second)
    assert ids_of(summary) == [{first["id"], second["id"]}]
    [pair] = summary.duplicates
    assert pair.distance_m == pytest.approx(20, abs=0.5)
    assert str(summary) == (
        "2 created, 0 updated, 0 unchanged; "
        "1 probable duplicate(s) flagged for review in the verification queue"
    )
    count = (
        select(func.count()).select_from(Service).where(Service.id.in_([first["id"], second["id"]]))
    )
    assert session.scalar(count) == 2
    queue = [{p.first.id, p.second.id} for p in probable_duplicates(session)]
    assert {first["id"], second["id"]} in queue


def test_same_name_200_m_apart_is_not_flagged(session):
    summary = run(session, at("Westside Crisis Center", 0), at("Westside Crisis Center", 200))
    assert summary.duplicates == []
    assert str(summary) == "2 created, 0 updated, 0 unchanged"


def test_different_names_at_one_place_are_not_flagged(session):
    summary = run(session, at("Westside Crisis Center", 0), at("Westside Detox", 5))
    assert summary.duplicates == []


def test_a_service_already_in_the_directory_is_found(session):
    existing = at("Eastside Mobile Team", 0)
    run(session, existing)
    newcomer = at("EASTSIDE MOBILE TEAM", 30)
    summary = run(session, newcomer)
    assert ids_of(summary) == [{existing["id"], newcomer["id"]}]
    # Re-importing the unchanged newcomer touches nothing, so it flags nothing again.
    assert run(session, newcomer).duplicates == []
    # An update of the existing service brings the pair up again.
    existing["description"] = "Now also covers the river valley."
    assert ids_of(run(session, existing)) == [{existing["id"], newcomer["id"]}]


def test_defunct_services_are_not_flagged(session):
    old = at("Northside Clinic", 0, status="defunct")
    summary = run(session, old, at("Northside Clinic", 10))
    assert summary.duplicates == []


def test_same_name_and_no_location_at_all_is_flagged(session):
    first, second = at("Warmline Z", None), at("Warmline Z", None)
    summary = run(session, first, second)
    [pair] = summary.duplicates
    assert {pair.first.id, pair.second.id} == {first["id"], second["id"]}
    assert pair.distance_m is None


def test_one_located_and_one_not_is_not_flagged(session):
    summary = run(session, at("Warmline Y", None), at("Warmline Y", 0))
    assert summary.duplicates == []


def test_cli_reports_the_flag(runner, session, tmp_path):
    path = tmp_path / "feed.ndjson"
    records = [at("Southside Crisis Center", 0), at("Southside Crisis Center", 15)]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    result = runner.invoke(args=["import", str(path), "--format", "hsds-ndjson"])
    assert result.exit_code == 0, result.output
    assert "1 probable duplicate(s) flagged for review in the verification queue" in result.output


def test_an_import_finds_exactly_the_queue_pairs_that_involve_its_services(session):
    """One finder: the import's pairs are the verification queue's pairs with a service the
    import touched (same distances), whatever the mix of near, far and unlocated services."""
    run(
        session,
        at("Southside Clinic", 0),
        at("Southside Clinic", 500),
        at("Southside Clinic", None),
    )
    newcomers = [at("southside clinic", 10), at("SOUTHSIDE CLINIC", None), at("Other", 0)]
    summary = run(session, *newcomers)
    touched = {record["id"] for record in newcomers}
    queue = {
        frozenset((p.first.id, p.second.id)): p.distance_m
        for p in probable_duplicates(session)
        if {p.first.id, p.second.id} & touched
    }
    found = {frozenset((p.first.id, p.second.id)): p.distance_m for p in summary.duplicates}
    assert found == queue
    assert sorted(found.values(), key=str) == [10.0, None]  # near the one at 0 m; unlocated pair
