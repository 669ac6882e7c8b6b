"""What each field of a ``/api/v1/match`` answer says, at its edges (issue #24: the lookup's
plumbing around the rules): card fields, capacity wording and freshness, the edges of service
areas, how service areas are read, and the listing of excluded places."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from shapely.geometry import shape

from pmhc_directory.models import ServiceArea, ServiceCapacity
from tests.scenario_builders import ORIGIN_LAT, ORIGIN_LON, offset, open_place, unit_named

URL = "/api/v1/match"
AT = "2026-11-28T02:00:00-07:00"


def answer_of(client, session, **params: Any) -> dict[str, Any]:
    params = {"lat": ORIGIN_LAT, "lon": ORIGIN_LON, "at": AT, **params}
    session.commit()
    response = client.get(URL, query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def result_of(answer: dict[str, Any], service) -> dict[str, Any]:
    (found,) = [r for r in answer["results"] if r["service_id"] == service.id]
    return found


def excluded_codes(answer: dict[str, Any], service) -> list[str]:
    (found,) = [e for e in answer["excluded"] if e["service_id"] == service.id]
    return [r["code"] for r in found["reasons"]]


def now_utc() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- card fields


def test_a_card_gives_address_directions_distance_and_drive(client, session):
    place = open_place(session, "Card Receiving", north_km=6, east_km=2, address="7 Elm St")

    result = result_of(answer_of(client, session, types="crisis-receiving"), place)

    lat, lon = offset(north_km=6, east_km=2)
    assert result["address"] == "7 Elm St, Albuquerque, NM 87102"
    assert result["directions_url"] == (
        f"https://www.openstreetmap.org/directions?to={lat:.6f}%2C{lon:.6f}"
    )
    assert result["geo_uri"] == f"geo:{lat:.6f},{lon:.6f}"
    assert (result["lat"], result["lon"]) == pytest.approx((lat, lon))
    assert result["distance_km"] == pytest.approx(6.32, abs=0.05)
    assert result["distance_km"] == round(result["distance_km"], 2)
    # TravelModel defaults: km x 1.3 / 50 km/h, in whole minutes.
    assert result["travel_minutes"] == round(result["distance_km"] * 1.3 / 50 * 60)
    assert result["open_now"] is True and result["always_open"] is True
    assert result["continuum"] == "place" and result["matched_type"] == "crisis-receiving"


def test_a_card_gives_hours_phones_facts_and_verification(client, session):
    from datetime import date

    place = open_place(
        session,
        "Overnight Receiving",
        attributes=("no-medical-clearance", "accepts-law-enforcement-dropoff"),
        schedules=[
            {"byday": "FR", "opens_at": "22:00", "closes_at": "24:00"},
            {"byday": "SA", "opens_at": "00:00", "closes_at": "06:00"},
        ],
        assured_date=date(2026, 10, 1),
        phone="505-555-0177",
    )
    place.attributes = [a for a in place.attributes if a.taxonomy_term.code != "open-24-7"]
    session.flush()

    result = result_of(answer_of(client, session, types="crisis-receiving"), place)

    assert (result["open_now"], result["always_open"]) == (True, False)
    assert result["closes_at"] == "2026-11-28T06:00:00-07:00"
    assert result["opens_next"] is None
    assert result["open_status_text"] == "Open, closes 6:00 AM"
    assert result["assured_date"] == "2026-10-01"
    assert result["phones"] == ["505-555-0177"]
    assert result["attributes"] == ["accepts-law-enforcement-dropoff", "no-medical-clearance"]
    assert result["organization"] == "Overnight Receiving (organization)"
    assert result["service_types"] == ["crisis-receiving"]


def test_the_answer_echoes_the_question(client, session):
    answer = answer_of(client, session, types="crisis-line", age="40", limit="3")

    query = answer["query"]
    assert (query["lat"], query["lon"]) == (ORIGIN_LAT, ORIGIN_LON)
    assert query["location_source"] == "coordinates"
    assert query["at"] == AT
    assert (query["types"], query["age"], query["limit"]) == (["crisis-line"], 40, 3)


# --------------------------------------------------------------------------- capacity


def report(available, maximum=16, unit="bed", hours_ago=1.0):
    return {
        "available": available,
        "maximum": maximum,
        "unit": unit,
        "updated": now_utc() - timedelta(hours=hours_ago),
    }


@pytest.mark.parametrize(
    ("capacity", "text"),
    [
        (report(3, unit="chair", hours_ago=2.5), "3 of 16 chairs free, 2 h ago"),
        (report(1, maximum=None, unit="team"), "1 teams free, 1 h ago"),
        (report(4, unit="beds"), "4 of 16 beds free, 1 h ago"),
        (report(5, hours_ago=11), "5 of 16 beds free, 11 h ago"),
        (report(5, hours_ago=13), "Capacity not reported recently"),
    ],
)
def test_capacity_in_words(client, session, capacity, text):
    place = open_place(session, "Reporting Receiving", capacity=capacity)

    result = result_of(answer_of(client, session, types="crisis-receiving"), place)

    assert result["capacity_text"] == text


def test_the_latest_report_counts(client, session):
    place = open_place(session, "Twice Reported", capacity=report(0, hours_ago=2))
    place.capacities.append(
        ServiceCapacity(
            unit=unit_named(session, "bed"),
            available=6,
            maximum=16,
            updated=now_utc() - timedelta(minutes=10),
        )
    )
    older = open_place(session, "Full Then Stale", north_km=3, capacity=report(6, hours_ago=3))
    older.capacities.append(
        ServiceCapacity(
            unit=unit_named(session, "bed"),
            available=0,
            maximum=16,
            updated=now_utc() - timedelta(minutes=10),
        )
    )
    session.flush()

    answer = answer_of(client, session, types="crisis-receiving")

    assert result_of(answer, place)["capacity"]["available"] == 6
    assert excluded_codes(answer, older) == ["full"]


@pytest.mark.parametrize(("hours_ago", "full"), [(11.9, True), (12.1, False)])
def test_a_report_of_no_room_is_trusted_for_12_hours(client, session, hours_ago, full):
    place = open_place(session, "No Room", capacity=report(0, hours_ago=hours_ago))

    answer = answer_of(client, session, types="crisis-receiving")

    if full:
        assert excluded_codes(answer, place) == ["full"]
    else:
        assert result_of(answer, place)["capacity"]["stale"] is True
    # Screening (which counts every site) and the matcher (which shows them) agree.
    assert (answer["more_results"], answer["excluded_more"]) == (0, 0)


# --------------------------------------------------------------------------- service areas


def polygon(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


EDGES = {
    "west": polygon(ORIGIN_LON, ORIGIN_LAT - 0.1, ORIGIN_LON + 0.2, ORIGIN_LAT + 0.1),
    "east": polygon(ORIGIN_LON - 0.2, ORIGIN_LAT - 0.1, ORIGIN_LON, ORIGIN_LAT + 0.1),
    "south": polygon(ORIGIN_LON - 0.1, ORIGIN_LAT, ORIGIN_LON + 0.1, ORIGIN_LAT + 0.2),
    "north": polygon(ORIGIN_LON - 0.1, ORIGIN_LAT - 0.2, ORIGIN_LON + 0.1, ORIGIN_LAT),
}


@pytest.mark.parametrize("edge", sorted(EDGES))
def test_a_person_on_the_edge_of_a_service_area_is_inside(client, session, edge):
    place = open_place(session, "Edge Residents Center", service_area=EDGES[edge])

    answer = answer_of(client, session, types="crisis-receiving")

    assert result_of(answer, place)["name"] == "Edge Residents Center"
    # Screening (which counts every site) and the matcher (which shows them) agree.
    assert (answer["more_results"], answer["excluded_more"]) == (0, 0)


def area_row(extent: str | None, extent_type: str | None, polygon_: dict[str, Any]) -> ServiceArea:
    min_lon, min_lat, max_lon, max_lat = shape(polygon_).bounds
    return ServiceArea(
        name="area",
        extent=extent,
        extent_type=extent_type,
        min_lon=min_lon,
        min_lat=min_lat,
        max_lon=max_lon,
        max_lat=max_lat,
    )


ELSEWHERE = polygon(ORIGIN_LON + 1.0, ORIGIN_LAT - 0.1, ORIGIN_LON + 1.2, ORIGIN_LAT + 0.1)


@pytest.mark.parametrize("extent_type", ["geojson", "GeoJSON", None])
def test_a_geojson_area_is_read_whatever_the_case_of_its_type(client, session, extent_type):
    place = open_place(session, "Typed Area Center")
    place.service_areas.append(area_row(json.dumps(ELSEWHERE), extent_type, ELSEWHERE))
    session.flush()

    answer = answer_of(client, session, types="crisis-receiving")

    assert excluded_codes(answer, place) == ["outside-service-area"]


@pytest.mark.parametrize(
    ("extent", "extent_type"),
    [("not json at all", "geojson"), (json.dumps(ELSEWHERE), "topojson"), ("", "geojson")],
)
def test_an_area_that_cannot_be_read_restricts_nobody(client, session, extent, extent_type):
    place = open_place(session, "Unreadable Area Center")
    place.service_areas.append(area_row(extent, extent_type, ELSEWHERE))
    session.flush()

    answer = answer_of(client, session, types="crisis-receiving")

    assert result_of(answer, place)["name"] == "Unreadable Area Center"


# --------------------------------------------------------------------------- excluded places


def test_at_most_50_excluded_places_are_listed_nearest_first(client, session):
    for number in range(53):
        open_place(
            session,
            f"Elsewhere {number:02d}",
            north_km=1 + number * 0.1,
            service_area=ELSEWHERE,
        )

    answer = answer_of(client, session, types="crisis-receiving")

    listed = [e["name"] for e in answer["excluded"]]
    assert listed == [f"Elsewhere {n:02d}" for n in range(50)]
    assert answer["excluded_more"] == 3
    assert answer["results"] == [] and answer["more_results"] == 0


# --------------------------------------------------------------------------- unreadable hours


def test_treatment_with_unreadable_hours_is_shown_never_open_never_24_7(client, session):
    clinic = open_place(
        session,
        "Unreadable Clinic",
        types=("outpatient-mental-health",),
        attributes=("open-24-7",),
        schedules=[{"byday": "MO", "byyearday": "1", "opens_at": "08:00", "closes_at": "17:00"}],
    )

    result = result_of(answer_of(client, session, types="outpatient-mental-health"), clinic)

    assert (result["open_now"], result["always_open"]) == (None, False)
    assert (result["closes_at"], result["opens_next"]) == (None, None)
