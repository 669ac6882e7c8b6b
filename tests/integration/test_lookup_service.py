"""The lookup against the database: geocoding sources, areas, unmet needs and privacy."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, inspect, select

from pmhc_directory.geo.distance import TravelModel
from pmhc_directory.models import (
    Address,
    AnalysisArea,
    Base,
    Place,
    Schedule,
    UnmetNeed,
)
from pmhc_directory.services.lookup import (
    LookupAnswer,
    LookupInputError,
    LookupSettings,
    answer_lookup,
    area_of_point,
    build_geocoder,
    load_gazetteer,
    parse_lookup_params,
    record_unmet_needs,
    run_lookup,
)
from tests.factories import make_location, make_service

ZONE = ZoneInfo("America/Denver")
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
SETTINGS = LookupSettings(zone=ZONE, travel=TravelModel())
CONFIG = {"DATABASE_URL": "test", "GEOCODER": ""}


def lookup(session, **params):
    request = parse_lookup_params(params, zone=ZONE, now=NOW)
    geocoder = build_geocoder(session, {**CONFIG, "DATABASE_URL": str(id(session))}, NOW.date())
    return run_lookup(session, request, geocoder=geocoder, settings=SETTINGS, now=NOW)


def always_open_receiving(session, name="Open Receiving", lat=35.09, lon=-106.64):
    service = make_service(
        session, name=name, types=("crisis-receiving",), attributes=("open-24-7",)
    )
    location = make_location(session, service, latitude=lat, longitude=lon)
    session.add(
        Address(
            location=location,
            address_1="100 Sample Street",
            city="Cedar Bluff",
            state_province="NM",
            postal_code="87102",
            country="US",
        )
    )
    session.add(
        Schedule(
            service=service,
            freq="WEEKLY",
            byday="MO,TU,WE,TH,FR,SA,SU",
            opens_at="00:00",
            closes_at="23:59",
        )
    )
    session.flush()
    return service


def square(lon, lat, half=0.05):
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def add_area(session, area_id, lon, lat, half=0.05):
    session.add(
        AnalysisArea(
            id=area_id,
            name=area_id,
            population=1000,
            geometry=json.dumps(square(lon, lat, half)),
            centre_lat=lat,
            centre_lon=lon,
            min_lon=lon - half,
            min_lat=lat - half,
            max_lon=lon + half,
            max_lat=lat + half,
        )
    )
    session.flush()


def test_place_names_from_the_gazetteer_are_found(session):
    always_open_receiving(session)
    session.add(
        Place(
            name="Juniper Point Park",
            name_key="juniper point park",
            kind="landmark",
            latitude=35.1,
            longitude=-106.6,
        )
    )
    session.flush()
    answer = lookup(session, near="juniper point park", needs="crisis-now")
    assert answer["query"]["location_source"] == "place"
    assert answer["query"]["lat"] == pytest.approx(35.1)


def test_inventory_addresses_are_found(session):
    always_open_receiving(session, lat=35.11, lon=-106.61)
    gazetteer = load_gazetteer(session)
    found = gazetteer.geocode("100 Sample St, Cedar Bluff")
    assert found is not None and found.source == "address"
    assert (found.lat, found.lon) == pytest.approx((35.11, -106.61))


def test_unknown_place_is_a_clear_input_error(session):
    with pytest.raises(LookupInputError) as info:
        lookup(session, near="Atlantis Heights Mall", needs="crisis-now")
    assert info.value.field == "near" and info.value.code == "not-found"


def test_area_of_point_uses_the_polygon_not_just_the_box(session):
    add_area(session, "A1", -106.65, 35.08)
    assert area_of_point(session, 35.08, -106.65) == "A1"
    assert area_of_point(session, 36.5, -106.65) is None


def record(session, answer, request, *, user="officer-1", now=NOW, settings=SETTINGS):
    typed = LookupAnswer.from_json(answer)  # the API's JSON read back as the typed answer
    return record_unmet_needs(
        session, request, typed, user_key=user, secret="test-secret", settings=settings, now=now
    )


def test_unmet_need_is_recorded_with_area_and_hour_only(session):
    add_area(session, "TRACT-9", -106.65, 35.08)
    before = session.scalar(select(func.count()).select_from(UnmetNeed))
    params = {"lat": "35.08", "lon": "-106.65", "needs": "housing"}
    request = parse_lookup_params(params, zone=ZONE, now=NOW)
    answer = lookup(session, **params)
    assert before == session.scalar(select(func.count()).select_from(UnmetNeed))  # reads only
    assert any(g["need"] == "housing" for g in answer["gaps"])
    assert record(session, answer, request) == 1
    rows = session.scalars(select(UnmetNeed).order_by(UnmetNeed.need)).all()
    assert len(rows) == before + 1
    row = rows[-1]
    local = NOW.astimezone(ZONE)
    assert (row.need, row.area_id, row.hour_of_week, row.occurred_on) == (
        "housing",
        "TRACT-9",
        local.weekday() * 24 + local.hour,
        local.date(),
    )


def test_unmet_need_is_recorded_once_per_lookup_intent(session):
    # Issue #14 item 4: reloads, the back button and API replays are one intent.
    add_area(session, "TRACT-9", -106.65, 35.08)
    params = {"lat": "35.08", "lon": "-106.65", "needs": "housing"}
    request = parse_lookup_params(params, zone=ZONE, now=NOW)
    answer = lookup(session, **params)
    assert record(session, answer, request) == 1
    assert record(session, answer, request) == 0  # a reload
    assert record(session, answer, request, now=NOW + timedelta(hours=3)) == 0  # back button
    # Another officer, another person's facts, or the same search hours later: new intents.
    assert record(session, answer, request, user="officer-2") == 1
    older = parse_lookup_params({**params, "age": "70"}, zone=ZONE, now=NOW)
    assert record(session, lookup(session, **params, age="70"), older) == 1
    assert record(session, answer, request, now=NOW + timedelta(hours=5)) == 1


def test_unmet_need_only_at_now_and_only_for_the_persons_facts(session):
    add_area(session, "TRACT-9", -106.65, 35.08)
    later = {"lat": "35.08", "lon": "-106.65", "needs": "housing", "at": "2026-12-01T02:00"}
    request = parse_lookup_params(later, zone=ZONE, now=NOW)
    assert record(session, lookup(session, **later), request) == 0  # not a question about now
    # A gap only the officer's option made is not unmet need.
    receiving = make_service(
        session, name="No Drop-off", types=("crisis-receiving",), attributes=("open-24-7",)
    )
    make_location(session, receiving, latitude=35.081, longitude=-106.651)
    session.flush()
    params = {"lat": "35.08", "lon": "-106.65", "needs": "crisis-now", "transport": "true"}
    request = parse_lookup_params(params, zone=ZONE, now=NOW)
    answer = lookup(session, **params)
    (gap,) = [g for g in answer["gaps"] if g["need"] == "crisis-now"]
    assert gap["cause"] == "options" and gap["left_out_by_options"] == 1
    assert gap["detail"] == "1 place within 1 minute was left out: does not take police drop-offs"
    assert record(session, answer, request) == 0


def test_unmet_need_table_has_no_place_or_person_columns():
    columns = {c.key for c in inspect(UnmetNeed).columns}
    # ``intent`` is a keyed hash of the search's intent (not readable without the secret).
    assert columns == {
        "id",
        "need",
        "area_id",
        "hour_of_week",
        "occurred_on",
        "intent",
        "recorded_at",
    }


def _row_counts(session):
    return {
        table.name: session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
    }


def test_a_met_lookup_stores_nothing_at_all(session):
    always_open_receiving(session)
    before = _row_counts(session)
    answer = lookup(session, near="87102", needs="crisis-now", transport="false")
    assert answer["results"], answer["excluded"]
    assert answer["gaps"] == []
    assert _row_counts(session) == before


def test_typed_location_is_not_logged(session, caplog):
    always_open_receiving(session)
    caplog.set_level(logging.DEBUG)
    secret = "1234 Secret Person Lane, Cedar Bluff"
    with pytest.raises(LookupInputError):
        lookup(session, near=secret, needs="crisis-now")
    assert "Secret Person" not in caplog.text


def test_unreadable_hours_are_never_open(session):
    service = make_service(session, name="Broken Hours", types=("crisis-receiving",))
    make_location(session, service, latitude=35.08, longitude=-106.65)
    # A yearly rule the hours engine refuses to guess at.
    session.add(
        Schedule(
            service=service,
            freq="WEEKLY",
            byday="MO",
            byyearday="1",
            opens_at="08:00",
            closes_at="17:00",
        )
    )
    session.flush()
    answer = lookup(session, lat="35.08", lon="-106.65", types="crisis-receiving")
    assert all(r["service_id"] != service.id for r in answer["results"])
    excluded = {e["service_id"]: e for e in answer["excluded"]}
    assert [r["code"] for r in excluded[service.id]["reasons"]] == ["hours-unknown"]


def test_national_lines_are_contact_lines_never_results(session):
    always_open_receiving(session)
    answer = lookup(session, near="87102", needs="suicide-risk")
    names = {line["name"] for line in answer["contact_lines"]}
    assert "988 Suicide & Crisis Lifeline" in names
    result_names = {r["name"] for r in answer["results"]}
    assert not names & result_names


def test_the_json_is_the_typed_answer_written_out(session):
    """The API's body and the page's typed answer are one answer: reading the JSON back gives
    the typed answer field for field (results, left out, gaps, lines, the query)."""
    always_open_receiving(session)
    geocoder = build_geocoder(session, {**CONFIG, "DATABASE_URL": str(id(session))}, NOW.date())
    asked = [
        {"near": "87102", "needs": "crisis-now", "transport": "false"},
        {"lat": "35.08", "lon": "-106.65", "needs": "housing,crisis-now", "age": "15"},
    ]
    for params in asked:
        request = parse_lookup_params(params, zone=ZONE, now=NOW)
        answer = answer_lookup(session, request, geocoder=geocoder, settings=SETTINGS, now=NOW)
        body = answer.to_json()
        assert LookupAnswer.from_json(body) == answer, params
        assert body == run_lookup(session, request, geocoder=geocoder, settings=SETTINGS, now=NOW)
        assert answer.results or answer.gaps
        assert answer.contact_lines


@pytest.mark.parametrize(
    "lat, lon",
    [(35.68, 139.69), (-33.87, 151.21), (60.17, 24.94), (-34.60, -58.38), (35.08, -106.65)],
    ids=["tokyo", "sydney", "helsinki", "buenos-aires", "albuquerque"],
)
def test_screening_finds_a_service_area_in_every_quarter_of_the_globe(session, lat, lon):
    """Screening's in-area answer (a bounding box first, then the exact shape) is right
    wherever the point is, not only where longitudes are below latitudes (as across the
    United States): a wrong box test would drop a team from the shortlist at scale."""
    import numpy as np

    from pmhc_directory.matching.screen import IN_AREA_NO, IN_AREA_YES
    from pmhc_directory.services import lookup
    from pmhc_directory.services.lookup.screening import _in_area
    from pmhc_directory.taxonomy import vocabulary
    from tests.scenario_builders import ROUND_THE_CLOCK, build_service, square

    build_service(
        session,
        "Anywhere Mobile Team",
        types=("mobile-crisis",),
        attributes=("open-24-7",),
        schedules=ROUND_THE_CLOCK,
        service_area=square(lat, lon, 0.2),
    )
    cache = lookup.CandidateCache()
    columns, _capacity, _facts = cache.current(session, vocabulary())
    pool = np.flatnonzero(columns.alive)
    names = [columns.entries[int(p)].common["name"] for p in pool]
    team = names.index("Anywhere Mobile Team")
    assert _in_area(columns, pool, lat, lon)[team] == IN_AREA_YES
    assert _in_area(columns, pool, lat + 0.5, lon)[team] == IN_AREA_NO
    assert _in_area(columns, pool, lat, lon + 0.5)[team] == IN_AREA_NO
