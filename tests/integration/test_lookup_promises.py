"""The lookup's plumbing against the database (issue #24): a service's facts read from its
attributes, the local gazetteer with an empty change sequence, and unmet needs recorded per
gap only."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete

from pmhc_directory.models import Place, SearchChange
from pmhc_directory.services.lookup import build_geocoder, facts_from_rows, service_facts
from pmhc_directory.taxonomy import vocabulary
from tests.scenario_builders import build_service

ZONE = ZoneInfo("America/Denver")
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def test_a_services_facts_sort_its_attributes_by_kind(session):
    service = build_service(
        session,
        "Sorted Facts",
        types=("crisis-receiving", "mobile-crisis", "crisis-receiving"),
        attributes=("open-24-7", "accepts-law-enforcement-dropoff"),
        eligibility=("veterans",),
        audience=("youth",),
        payments=("medicaid", "free"),
    )
    vocab = vocabulary()

    facts = service_facts(service, vocab)

    assert facts.types == ("crisis-receiving", "mobile-crisis")  # in order, once each
    assert facts.diversion == {"open-24-7", "accepts-law-enforcement-dropoff"}
    assert facts.eligibility == {"veterans"}
    assert facts.audience == {"youth"}
    assert facts.payments == {"medicaid", "free"}
    rows = [
        (a.taxonomy_term.taxonomy, a.taxonomy_term.code, a.link_type) for a in service.attributes
    ]
    assert facts_from_rows(rows, vocab) == facts


def test_unknown_codes_are_not_facts(session):
    vocab = vocabulary()
    rows = [
        ("service-type", "teleportation", "service_type"),
        ("service-type", None, "service_type"),
        ("population", "veterans", "audience"),
        (None, "veterans", "eligibility"),
    ]
    facts = facts_from_rows(rows, vocab)
    assert facts.types == () and facts.eligibility == frozenset()
    assert facts.audience == {"veterans"}


@pytest.mark.parametrize("typed", ["Quarry Hill Trailhead", "Quary Hill Trailhead"])
def test_places_are_found_while_the_change_sequence_is_empty(session, typed):
    session.add(
        Place(
            name="Quarry Hill Trailhead",
            name_key="quarry hill trailhead",
            kind="landmark",
            latitude=35.2,
            longitude=-106.7,
        )
    )
    session.execute(delete(SearchChange))
    session.flush()
    config = {"DATABASE_URL": f"empty-sequence-{typed}", "GEOCODER": ""}

    found = build_geocoder(session, config, NOW.date()).geocode(typed)

    assert found is not None and found.source == "place"
    assert (found.lat, found.lon) == pytest.approx((35.2, -106.7))


@pytest.mark.parametrize(
    "name",
    [
        "LookupRequest",
        "LookupSettings",
        "CapacityFact",
        "SiteEntry",
        "Columns",
        "CapacityColumns",
        "Shortlist",
    ],
)
def test_values_shared_between_requests_are_immutable(name):
    """The candidate cache hands the same entries, columns and capacity facts to concurrent
    requests; none of them may be changed in place by one request."""
    import dataclasses

    from pmhc_directory.services import lookup

    cls = getattr(lookup, name)
    assert dataclasses.is_dataclass(cls)
    assert cls.__dataclass_params__.frozen, f"{name} must be a frozen dataclass"


def test_edited_services_are_masked_until_a_fifth_of_the_columns_are_dead(session):
    """docs/scale.md: an edit masks the service's old entries and appends its new ones; once
    masked entries pass 20 % of all the columns are rebuilt from scratch (memory stays bounded)."""
    from pmhc_directory.services.lookup import CandidateCache

    vocab = vocabulary()
    made = [build_service(session, f"Masked {n}", lat=35.0 + n / 100, lon=-106.6) for n in range(8)]
    cache = CandidateCache()
    columns = cache.current(session, vocab)[0]
    assert columns.dead == 0
    for dead, service in enumerate(made, 1):
        service.name = f"Renamed {dead - 1}"
        session.flush()
        columns = cache.current(session, vocab)[0]
        if dead <= 0.2 * len(columns.entries):
            assert columns.dead == dead
        else:
            assert columns.dead == 0, "rebuilt from scratch"
            break
    else:
        pytest.fail("the columns were never rebuilt")
    names = {e.common["name"] for e in columns.entries if e.common["service_id"] == made[0].id}
    assert names == {"Renamed 0"}


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(35.05, -106.7), (35.05, -106.6), (35.0, -106.65), (35.1, -106.65), (35.0, -106.7)],
    ids=["west", "east", "south", "north", "corner"],
)
def test_a_point_on_the_edge_of_an_analysis_area_is_in_it(session, lat, lon):
    """Unmet needs are kept per analysis area: a point on an area's edge belongs to it."""
    import json

    from pmhc_directory.models import AnalysisArea
    from pmhc_directory.services.lookup import area_of_point

    ring = [[-106.7, 35.0], [-106.6, 35.0], [-106.6, 35.1], [-106.7, 35.1], [-106.7, 35.0]]
    session.add(
        AnalysisArea(
            id="EDGE-1",
            name="Edge",
            population=100,
            geometry=json.dumps({"type": "Polygon", "coordinates": [ring]}),
            centre_lat=35.05,
            centre_lon=-106.65,
            min_lon=-106.7,
            min_lat=35.0,
            max_lon=-106.6,
            max_lat=35.1,
        )
    )
    session.flush()

    assert area_of_point(session, lat, lon) == "EDGE-1"
    assert area_of_point(session, lat + 0.2, lon) is None


def test_facility_choices_are_places_only_nearest_first(session):
    from pmhc_directory.services.lookup import facility_choices

    far = build_service(session, "Far Receiving", lat=35.3, lon=-106.65)
    near = build_service(
        session, "Near Stabilization", types=("crisis-stabilization",), lat=35.09, lon=-106.65
    )
    two_sites = build_service(session, "Alpha Two Sites", lat=35.5, lon=-106.65)
    build_service(session, "Clinic", types=("outpatient-mental-health",), lat=35.08, lon=-106.65)
    build_service(session, "Team", types=("mobile-crisis",))
    build_service(session, "Closed For Good", lat=35.08, lon=-106.65, status="inactive")
    from pmhc_directory.models import Location, ServiceAtLocation

    site = Location(location_type="physical", name="second", latitude=35.1, longitude=-106.65)
    session.add_all([site, ServiceAtLocation(service=two_sites, location=site)])
    session.flush()

    by_distance = facility_choices(session, 35.08, -106.65)
    by_name = facility_choices(session)

    mine = {far.id, near.id, two_sites.id}
    nearest = [name for service_id, name in by_distance if service_id in mine]
    assert nearest == ["Near Stabilization", "Alpha Two Sites", "Far Receiving"]
    named = [name for service_id, name in by_name if service_id in mine]
    assert named == ["Alpha Two Sites", "Far Receiving", "Near Stabilization"]
    every_name = {name for _, name in by_name}
    assert not every_name & {"Clinic", "Team", "Closed For Good"}
    assert "988 Suicide & Crisis Lifeline" not in every_name


def test_place_names_are_landmarks_not_address_points(session):
    from pmhc_directory.services.lookup import place_names

    for name, kind in [
        ("Zeta Park", "landmark"),
        ("Alpha Plaza", "place"),
        ("1 Main St", "address"),
    ]:
        session.add(
            Place(name=name, name_key=name.lower(), kind=kind, latitude=35.1, longitude=-106.6)
        )
    session.flush()

    names = place_names(session)
    assert names.index("Alpha Plaza") < names.index("Zeta Park")
    assert "1 Main St" not in names
    assert len(place_names(session, limit=1)) == 1
