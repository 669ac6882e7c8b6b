"""``/api/v1/gaps/*`` (spec/api.md 6): shapes, parameter errors and the no-geography answer."""

from __future__ import annotations

import json

import pytest

from pmhc_directory.models import AnalysisArea, UnmetNeed
from pmhc_directory.services import planning
from tests.scenario_builders import ROUND_THE_CLOCK, build_service, offset, square

HALF = 0.02


@pytest.fixture
def areas(session):
    """Two square areas west and east of the origin, 10,000 and 30,000 people."""
    for area_id, east_km, people in (("west", -3.0, 10_000), ("east", 3.0, 30_000)):
        lat, lon = offset(0.0, east_km)
        session.add(
            AnalysisArea(
                id=area_id,
                name=area_id.title(),
                population=people,
                geometry=json.dumps(square(lat, lon, HALF)),
                centre_lat=lat,
                centre_lon=lon,
                min_lon=lon - HALF,
                min_lat=lat - HALF,
                max_lon=lon + HALF,
                max_lat=lat + HALF,
            )
        )
    session.flush()
    session.commit()


@pytest.fixture
def inventory(session, areas):
    lat, lon = offset(0.0, -3.0)
    centre = build_service(
        session,
        "Receiving centre",
        types=("crisis-receiving",),
        attributes=("open-24-7",),
        schedules=ROUND_THE_CLOCK,
        lat=lat,
        lon=lon,
    )
    team = build_service(
        session,
        "Team",
        types=("mobile-crisis",),
        attributes=("open-24-7",),
        schedules=ROUND_THE_CLOCK,
        service_area=square(lat, lon, HALF),
    )
    session.commit()
    return centre, team


def error_of(response, status: int, field: str | None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    error = response.get_json()["error"]
    assert error["field"] == field
    assert error["message"]
    return error


def test_coverage_shape(client, inventory):
    response = client.get("/api/v1/gaps/coverage?types=crisis-receiving,mobile-crisis")
    assert response.status_code == 200
    body = response.get_json()
    assert body["type"] == "FeatureCollection"
    props = {f["properties"]["area_id"]: f["properties"] for f in body["features"]}
    assert set(props) == {"west", "east"}
    west = props["west"]
    assert west["population"] == 10_000
    assert west["name"] == "West"
    assert west["covered"] == {"crisis-receiving": True, "mobile-crisis": True}
    assert west["continuum"]["place"] is True and west["continuum"]["respond"] is True
    assert west["continuum"]["contact"] is False  # no contact type selected
    assert west["all_three"] is False
    assert body["features"][0]["geometry"]["type"] == "Polygon"
    summary = body["summary"]
    assert summary["population"] == 40_000
    assert summary["by_type"]["mobile-crisis"] == {"covered_population": 10_000, "share": 0.25}
    assert set(summary["by_continuum"]) >= {"contact", "respond", "place"}
    assert summary["all_three_share"] == 0.0
    assert summary["at"]


def test_coverage_defaults_to_every_crisis_type(client, inventory):
    body = client.get("/api/v1/gaps/coverage?at=2026-01-13T02:00:00-07:00").get_json()
    assert set(body["summary"]["by_type"]) == set(planning.crisis_types())
    assert body["summary"]["at"] == "2026-01-13T02:00:00-07:00" or body["summary"]["at"]
    west = next(f for f in body["features"] if f["properties"]["area_id"] == "west")
    # The national lines answer everywhere: the west area has all three.
    assert west["properties"]["all_three"] is True
    assert body["summary"]["all_three_share"] == 0.25


def test_week_shape(client, inventory):
    body = client.get("/api/v1/gaps/coverage/week?types=crisis-receiving").get_json()
    assert body["start"] == "Monday 00:00"
    assert body["hours"] == 168
    assert body["by_continuum"]["place"] == [1.0] * 168  # 24/7, 9 minutes from the east
    assert len(body["all_three"]) == 168


@pytest.mark.parametrize("method", ["2sfca", "e2sfca", "gravity"])
def test_access_shape(client, inventory, method):
    body = client.get(f"/api/v1/gaps/access?type=crisis-receiving&method={method}").get_json()
    assert body["type"] == "FeatureCollection"
    assert body["method"] == method
    assert body["service_type"] == "crisis-receiving"
    assert "supply" in body["supply_note"]
    props = body["features"][0]["properties"]
    assert {"area_id", "population", "score"} <= set(props)
    scores = [f["properties"]["score"] for f in body["features"]]
    assert all(s is None or s > 0 for s in scores)
    assert len(body["classes"]) <= 5
    assert body["classes"] == sorted(body["classes"])


def test_access_without_sites_gives_null_scores(client, areas):
    body = client.get("/api/v1/gaps/access?type=sobering-center&method=2sfca").get_json()
    assert [f["properties"]["score"] for f in body["features"]] == [None, None]
    assert body["classes"] == []


def test_need_shape_and_parameters(client, inventory):
    body = client.get("/api/v1/gaps/need?crf_los_days=1.8").get_json()
    assert body["population"] == 40_000
    assert body["parameters"]["crf_los_days"] == 1.8
    rows = {r["service_type"]: r for r in body["rows"]}
    assert set(rows) >= {"mobile-crisis", "crisis-receiving"}
    for row in body["rows"]:
        assert {"service_type", "label", "unit", "needed", "in_inventory", "shortfall"} <= set(row)
        assert row["shortfall"] == pytest.approx(max(0, row["needed"] - row["in_inventory"]))
    assert rows["mobile-crisis"]["in_inventory"] == 1
    assert "population_per_core_fte" in body["ratios"]


def test_sites_get_and_post(client, inventory):
    body = client.get("/api/v1/gaps/sites?type=crisis-receiving&p=1&max_minutes=5").get_json()
    assert body["type"] == "crisis-receiving"
    assert body["p"] == 1
    assert body["population"] == 40_000
    assert body["covered_before"] == 10_000
    assert body["covered_after"] == 40_000
    assert body["sites"] == [
        {
            "area_id": "east",
            "id": "east",
            "lat": pytest.approx(offset(0.0, 3.0)[0]),
            "lon": pytest.approx(offset(0.0, 3.0)[1]),
            "newly_covered_population": 30_000,
            "newly_covered_areas": ["east"],
        }
    ]
    lat, lon = offset(0.0, 3.5)
    posted = client.post(
        "/api/v1/gaps/sites",
        json={
            "type": "crisis-receiving",
            "p": 1,
            "max_minutes": 5,
            "candidates": [{"id": "church", "lat": lat, "lon": lon}],
        },
    ).get_json()
    assert [s["area_id"] for s in posted["sites"]] == ["church"]
    assert posted["sites"][0]["newly_covered_population"] == 30_000


def test_unmet_shape(client, areas, session):
    from datetime import date

    session.add(
        UnmetNeed(need="withdrawal", area_id="east", hour_of_week=3, occurred_on=date(2026, 1, 6))
    )
    session.commit()
    body = client.get("/api/v1/gaps/unmet?since=2026-01-01").get_json()
    props = {f["properties"]["area_id"]: f["properties"] for f in body["features"]}
    assert props["east"]["unmet"] == 1
    assert props["east"]["by_need"] == {"withdrawal": 1}
    assert props["west"] == {
        "area_id": "west",
        "name": "West",
        "population": 10_000,
        "unmet": 0,
        "by_need": {},
    }
    later = client.get("/api/v1/gaps/unmet?since=2026-02-01").get_json()
    assert sum(f["properties"]["unmet"] for f in later["features"]) == 0


def test_services_shape(client, inventory):
    centre, _team = inventory
    body = client.get("/api/v1/gaps/services?types=crisis-receiving").get_json()
    assert body["type"] == "FeatureCollection"
    ours = [f for f in body["features"] if f["properties"]["service_id"] == centre.id]
    assert len(ours) == 1
    props = ours[0]["properties"]
    assert props["name"] == "Receiving centre"
    assert props["service_types"] == ["crisis-receiving"]
    assert props["continuum"] == "place"
    assert props["status"] == "active"
    assert ours[0]["geometry"]["type"] == "Point"
    assert client.get("/api/v1/gaps/services?types=warmline").get_json()["features"] == []


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/gaps/coverage?types=nope", "types"),
        ("/api/v1/gaps/coverage?at=yesterday", "at"),
        ("/api/v1/gaps/coverage?max_minutes=-5", "max_minutes"),
        ("/api/v1/gaps/coverage?max_minutes=abc", "max_minutes"),
        ("/api/v1/gaps/coverage/week?types=crisis-line,nope", "types"),
        ("/api/v1/gaps/access?type=nope", "type"),
        ("/api/v1/gaps/access", "type"),
        ("/api/v1/gaps/access?type=crisis-receiving&method=3sfca", "method"),
        ("/api/v1/gaps/access?type=crisis-receiving&max_minutes=0", "max_minutes"),
        ("/api/v1/gaps/need?crf_occupancy=2", "crf_occupancy"),
        ("/api/v1/gaps/need?crf_los_days=lots", "crf_los_days"),
        ("/api/v1/gaps/need?triage_mobile=-1", "triage_mobile"),
        ("/api/v1/gaps/sites?type=crisis-receiving&p=0", "p"),
        ("/api/v1/gaps/sites?type=crisis-receiving&p=51", "p"),
        ("/api/v1/gaps/sites?type=crisis-receiving&p=two", "p"),
        ("/api/v1/gaps/sites?p=2", "type"),
        ("/api/v1/gaps/unmet?since=last-week", "since"),
        ("/api/v1/gaps/services?types=nope", "types"),
    ],
)
def test_bad_parameters_name_the_field(client, areas, url, field):
    error_of(client.get(url), 422, field)


def test_bad_post_bodies(client, areas):
    response = client.post("/api/v1/gaps/sites", data="{not json", content_type="application/json")
    assert error_of(response, 400, None)["code"] == "invalid-json"
    error_of(client.post("/api/v1/gaps/sites", json=[1, 2]), 400, None)
    form = client.post("/api/v1/gaps/sites", data={"type": "crisis-receiving"})
    assert error_of(form, 415, None)["code"] == "unsupported-media-type"
    bad_candidates = {"type": "crisis-receiving", "candidates": [{"id": "x", "lat": "north"}]}
    error_of(client.post("/api/v1/gaps/sites", json=bad_candidates), 422, "candidates")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/gaps/coverage",
        "/api/v1/gaps/coverage/week",
        "/api/v1/gaps/access?type=crisis-receiving",
        "/api/v1/gaps/need",
        "/api/v1/gaps/sites?type=crisis-receiving",
        "/api/v1/gaps/unmet",
    ],
)
def test_no_geography_is_a_409(client, session, url):
    error = error_of(client.get(url), 409, None)
    assert error["code"] == "no-geography"
    assert "geography import" in error["message"]


def test_services_layer_needs_no_geography(client, session):
    assert client.get("/api/v1/gaps/services").status_code == 200


def test_gaps_need_a_login_when_the_directory_is_private(app, client, areas):
    app.config["PUBLIC_DIRECTORY"] = False
    try:
        response = client.get("/api/v1/gaps/coverage")
    finally:
        app.config["PUBLIC_DIRECTORY"] = True
    assert response.status_code == 401
    assert response.is_json
