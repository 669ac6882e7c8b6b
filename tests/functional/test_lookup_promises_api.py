"""Promises of the officer lookup that users meet through ``/api/v1/match`` and the page at ``/``
(issue #24): service areas published for the whole service, gap notices in a big directory,
approximate place names, the primary service type, the edges of the inputs and the online
geocoder. Each test was seen to fail with the behaviour broken in the code.

Time: ``AT`` is Saturday 2026-11-28 02:00 in America/Denver; the person is at the scenario
origin (35.08, -106.65). Queries name service types (not needs) so that the tests hold
whatever order of preference the needs get.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from pmhc_directory.models import (
    Base,
    Location,
    Place,
    ServiceArea,
    ServiceAtLocation,
    UnmetNeed,
)
from tests.functional.test_directory_pages import log_in
from tests.scenario_builders import (
    ORIGIN_LAT,
    ORIGIN_LON,
    offset,
    open_place,
    square,
)

URL = "/api/v1/match"
AT = "2026-11-28T02:00:00-07:00"  # Saturday 02:00 MST
RESIDENTS_ONLY = "Only for people who live in its service area"


def answer_of(client, session, **params: Any) -> dict[str, Any]:
    params.setdefault("lat", ORIGIN_LAT)
    params.setdefault("lon", ORIGIN_LON)
    params.setdefault("at", AT)
    params = {name: value for name, value in params.items() if value is not None}
    session.commit()  # releases the builders' savepoint; the request sees the rows
    response = client.get(URL, query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def site_of(service) -> str:
    (site,) = [s.id for s in service.service_at_locations]
    return site


def results_by_site(answer: dict[str, Any]) -> dict[str | None, dict[str, Any]]:
    return {r["service_at_location_id"]: r for r in answer["results"]}


def excluded_by_site(answer: dict[str, Any]) -> dict[str | None, list[dict[str, str]]]:
    return {e["service_at_location_id"]: e["reasons"] for e in answer["excluded"]}


def unmet_count(session) -> int:
    return session.scalar(select(func.count()).select_from(UnmetNeed))


def add_site(session, service, name: str, lat: float, lon: float) -> ServiceAtLocation:
    location = Location(location_type="physical", name=name, latitude=lat, longitude=lon)
    site = ServiceAtLocation(service=service, location=location)
    session.add_all([location, site])
    session.flush()
    return site


def site_area(session, site: ServiceAtLocation, polygon: dict[str, Any]) -> None:
    """A ServiceArea on the service-at-location only (HSDS service_at_location.service_areas)."""
    import json

    from shapely.geometry import shape

    min_lon, min_lat, max_lon, max_lat = shape(polygon).bounds
    session.add(
        ServiceArea(
            service_at_location_id=site.id,
            name="site area",
            extent=json.dumps(polygon),
            extent_type="geojson",
            min_lon=min_lon,
            min_lat=min_lat,
            max_lon=max_lon,
            max_lat=max_lat,
        )
    )
    session.flush()


# An area ~100 km east of the person, and one around the person.
ELSEWHERE = square(ORIGIN_LAT, ORIGIN_LON + 1.1, 0.2)
AROUND_HERE = square(ORIGIN_LAT, ORIGIN_LON, 0.2)


# --------------------------------------------------------------------------- 1. service areas


def test_service_level_area_restricts_every_site_of_a_residents_only_service(client, session):
    outside = open_place(session, "County Residents Center", service_area=ELSEWHERE)
    inside = open_place(session, "City Residents Center", north_km=3, service_area=AROUND_HERE)

    answer = answer_of(client, session, types="crisis-receiving")

    reasons = excluded_by_site(answer)[site_of(outside)]
    assert [(r["code"], r["message"]) for r in reasons] == [
        ("outside-service-area", RESIDENTS_ONLY)
    ]
    assert site_of(outside) not in results_by_site(answer)
    assert site_of(inside) in results_by_site(answer)


def test_a_site_with_its_own_area_is_judged_by_its_own(client, session):
    # The service publishes an area far away; one of its two sites publishes its own area
    # around the person, the other none (so the service's area applies to it).
    service = open_place(session, "Two Site Center", service_area=ELSEWHERE)
    plain_site = site_of(service)
    lat, lon = offset(north_km=4)
    own = add_site(session, service, "Own Area Site", lat, lon)
    site_area(session, own, AROUND_HERE)
    # And the reverse: a service whose area covers the person, with a site whose own area
    # does not.
    other = open_place(session, "Reverse Center", north_km=5, service_area=AROUND_HERE)
    wide_site = site_of(other)
    lat, lon = offset(north_km=6)
    narrow = add_site(session, other, "Narrow Site", lat, lon)
    site_area(session, narrow, ELSEWHERE)

    answer = answer_of(client, session, types="crisis-receiving")

    results, excluded = results_by_site(answer), excluded_by_site(answer)
    assert own.id in results
    assert [r["message"] for r in excluded[plain_site]] == [RESIDENTS_ONLY]
    assert wide_site in results
    assert [r["message"] for r in excluded[narrow.id]] == [RESIDENTS_ONLY]


# --------------------------------------------------------------------------- 2. gap notices


@pytest.fixture
def big_directory(session):
    """A dozen near crisis receiving centers, and one sobering center farther off (30 min)."""
    for number in range(12):
        open_place(session, f"Receiving {number:02d}", north_km=1 + number * 0.4)
    return open_place(session, "Only Sobering Center", types=("sobering-center",), north_km=19)


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_an_eligible_site_ranked_below_the_limit_is_not_a_gap(
    client, session, big_directory, limit
):
    log_in(client, session)  # a signed-in lookup about now: one that records unmet needs
    before = unmet_count(session)

    answer = answer_of(
        client, session, types="crisis-receiving,sobering-center", limit=str(limit), at=None
    )

    assert [r["name"] for r in answer["results"]] == [f"Receiving {n:02d}" for n in range(limit)]
    assert answer["gaps"] == []
    assert answer["more_results"] == 13 - limit
    assert unmet_count(session) == before


def test_a_named_type_ranked_below_the_limit_is_not_a_gap_beside_a_need(
    client, session, big_directory
):
    log_in(client, session)
    before = unmet_count(session)

    answer = answer_of(
        client, session, needs="crisis-now", types="sobering-center", limit="2", at=None
    )

    assert len(answer["results"]) == 2
    assert answer["gaps"] == []
    assert unmet_count(session) == before


def test_the_same_directory_without_the_sobering_center_is_a_gap(client, session):
    for number in range(12):
        open_place(session, f"Receiving {number:02d}", north_km=1 + number * 0.4)
    log_in(client, session)
    before = unmet_count(session)

    answer = answer_of(
        client, session, types="crisis-receiving,sobering-center", limit="2", at=None
    )

    assert [g["service_type"] for g in answer["gaps"]] == ["sobering-center"]
    assert unmet_count(session) == before + 1


# --------------------------------------------------------------------------- 3. place names


@pytest.fixture
def juniper_park(session):
    open_place(session, "Juniper Receiving")
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


@pytest.mark.parametrize("typed", ["Junipr Point Prk", "juniper point"])
def test_a_misspelled_or_partial_place_name_is_found_approximately(
    client, session, juniper_park, typed
):
    answer = answer_of(client, session, near=typed, types="crisis-receiving", lat=None, lon=None)

    assert answer["query"]["location_source"] == "place"
    assert answer["query"]["location_label"] == "Juniper Point Park"
    assert (answer["query"]["lat"], answer["query"]["lon"]) == pytest.approx((35.1, -106.6))


def test_the_officer_page_finds_a_misspelled_place(client, session, juniper_park):
    session.commit()

    response = client.get("/", query_string={"near": "Junipr Point Prk", "needs": "crisis-now"})
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert 'id="near-error"' not in html
    assert "Juniper Point Park" in html
    assert "Juniper Receiving" in html


def test_a_name_far_from_every_place_is_still_not_found(client, session, juniper_park):
    session.commit()
    response = client.get(URL, query_string={"near": "Zebra Canyon Mall", "types": "crisis-line"})
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "near"


# --------------------------------------------------------------------------- 5. primary type

FAR_BASE = {"north_km": 150}  # 150 km: about 234 minutes' drive, over every default cap


def test_a_team_listed_first_is_judged_by_its_area_not_by_the_drive(client, session):
    team = open_place(
        session,
        "Team With A Base",
        types=("mobile-crisis", "crisis-receiving"),
        service_area=AROUND_HERE,
        **FAR_BASE,
    )

    for wanted in ("mobile-crisis", "crisis-receiving"):
        answer = answer_of(client, session, types=wanted)
        result = results_by_site(answer)[site_of(team)]
        assert result["continuum"] == "respond"
        assert result["matched_type"] == wanted


def test_a_team_listed_first_does_not_come_outside_its_area(client, session):
    team = open_place(
        session,
        "Team With A Base",
        types=("mobile-crisis", "crisis-receiving"),
        service_area=ELSEWHERE,
        north_km=1,
    )

    answer = answer_of(client, session, types="crisis-receiving")

    assert [r["message"] for r in excluded_by_site(answer)[site_of(team)]] == [
        "Does not come to this location"
    ]


def test_a_site_listed_first_is_judged_by_the_drive(client, session):
    site = open_place(
        session,
        "Site With A Team",
        types=("crisis-receiving", "mobile-crisis"),
        service_area=AROUND_HERE,
        **FAR_BASE,
    )

    for wanted in ("mobile-crisis", "crisis-receiving"):
        answer = answer_of(client, session, types=wanted)
        codes = [r["code"] for r in excluded_by_site(answer)[site_of(site)]]
        assert codes == ["too-far"], (wanted, answer["results"])


# --------------------------------------------------------------------------- 6. input edges


def assert_json_error(response, field: str) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["field"] == field and error["code"] and error["message"]


ACCEPTED = [
    pytest.param({"age": "0"}, id="age-0"),
    pytest.param({"age": "130"}, id="age-130"),
    pytest.param({"lat": "-90", "lon": "0"}, id="lat-minus-90"),
    pytest.param({"lat": "90", "lon": "0"}, id="lat-90"),
    pytest.param({"lat": "35.08", "lon": "-180"}, id="lon-minus-180"),
    pytest.param({"lat": "35.08", "lon": "180"}, id="lon-180"),
]
REFUSED = [
    pytest.param({"age": "131"}, "age", "age must be between 0 and 130.", id="age-131"),
    pytest.param(
        {"lat": "-90.5", "lon": "0"}, "lat", "lat must be between -90 and 90.", id="lat-minus-90.5"
    ),
    pytest.param(
        {"lat": "90.5", "lon": "0"}, "lat", "lat must be between -90 and 90.", id="lat-90.5"
    ),
    pytest.param(
        {"lat": "35.08", "lon": "-180.5"},
        "lon",
        "lon must be between -180 and 180.",
        id="lon-minus-180.5",
    ),
    pytest.param(
        {"lat": "35.08", "lon": "180.5"}, "lon", "lon must be between -180 and 180.", id="lon-180.5"
    ),
]


@pytest.mark.parametrize("params", ACCEPTED)
def test_the_ends_of_each_range_are_accepted(client, params):
    params = {"lat": "35.08", "lon": "-106.65", **params}
    response = client.get(URL, query_string={"types": "crisis-line", "at": AT, **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    query = response.get_json()["query"]
    for name, value in params.items():
        assert query[name] == pytest.approx(float(value))


@pytest.mark.parametrize(("params", "field", "message"), REFUSED)
def test_just_past_each_end_is_refused(client, params, field, message):
    params = {"lat": "35.08", "lon": "-106.65", **params}
    response = client.get(URL, query_string={"types": "crisis-line", "at": AT, **params})
    assert_json_error(response, field)
    assert response.get_json()["error"]["message"] == message


@pytest.mark.parametrize("params", ACCEPTED)
def test_the_page_accepts_the_ends_of_each_range(client, params):
    params = {"lat": "35.08", "lon": "-106.65", **params}
    response = client.get("/", query_string={"needs": "crisis-now", **params})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="field-errors"' not in html, re.findall(r'field-errors"[^<]*<', html)


@pytest.mark.parametrize(("params", "field", "message"), REFUSED)
def test_the_page_refuses_just_past_each_end(client, params, field, message):
    params = {"lat": "35.08", "lon": "-106.65", **params}
    response = client.get("/", query_string={"needs": "crisis-now", **params})
    html = response.get_data(as_text=True)
    shown_at = "age" if field == "age" else "near"  # a position is about where the person is
    assert response.status_code == 200
    assert f'id="{shown_at}-error">{message}' in html


# --------------------------------------------------------------------------- 7. online geocoder


class FakeGeopy:
    """A geopy geocoder's ``geocode``: one known address, counted calls, no network."""

    def __init__(self, lat: float, lon: float, address: str) -> None:
        self.answer = type("Location", (), {"latitude": lat, "longitude": lon, "address": address})
        self.queries: list[str] = []

    def geocode(self, query: str, exactly_one: bool = True, **kwargs: Any):
        self.queries.append(query)
        return self.answer if "Mesa Verde Court" in query else None


@pytest.fixture
def online(app, monkeypatch):
    """``PMHC_GEOCODER=nominatim`` with geopy's service replaced by :class:`FakeGeopy`."""
    from pmhc_directory.geo import geocoding

    fake = FakeGeopy(35.0901, -106.6102, "Mesa Verde Court, Albuquerque, NM 87102, USA")
    made: list[str] = []

    def backend(name, user_agent, timeout, options):
        made.append(name)
        return fake

    monkeypatch.setattr(geocoding, "_make_backend", backend)
    monkeypatch.setitem(app.config, "GEOCODER", "nominatim")
    monkeypatch.setitem(app.config, "GEOCODER_USER_AGENT", "pmhc-tests (test@example.org)")
    monkeypatch.setitem(app.config, "GEOCODER_MIN_DELAY_SECONDS", 0.0)
    fake.made = made
    return fake


def every_stored_value(session) -> str:
    """Every value of every row of every table, as one text (the test database is small)."""
    parts = []
    for table in Base.metadata.sorted_tables:
        for row in session.execute(select(table)):
            parts.append(repr(tuple(row)))
    return "\n".join(parts)


def test_an_address_the_gazetteer_misses_is_found_online_once(client, session, online, caplog):
    open_place(session, "Online Receiving")
    typed = f"{uuid.uuid4().int % 9000 + 1000} Mesa Verde Court, Albuquerque"
    caplog.set_level(logging.DEBUG)

    first = answer_of(client, session, near=typed, types="crisis-receiving", lat=None, lon=None)
    second = answer_of(client, session, near=typed, types="crisis-receiving", lat=None, lon=None)

    assert online.made == ["nominatim"] * len(online.made) and online.made
    for answer in (first, second):
        query = answer["query"]
        assert (query["lat"], query["lon"]) == pytest.approx((35.0901, -106.6102))
        assert query["location_source"] == "address"
        assert query["location_label"] == "Mesa Verde Court, Albuquerque, NM 87102, USA"
        assert [r["name"] for r in answer["results"]] == ["Online Receiving"]
    assert online.queries == [typed], "the second look-up is answered by the cache"
    # Privacy (docs/geocoding.md): the typed text is kept nowhere, logged nowhere.
    session.expire_all()
    assert typed not in every_stored_value(session)
    assert "Mesa Verde" not in caplog.text


def test_not_found_online_is_remembered_too(client, session, online):
    typed = f"{uuid.uuid4().hex[:8]} Nowhere Lane, Albuquerque"
    session.commit()

    for _ in range(2):
        response = client.get(URL, query_string={"near": typed, "types": "crisis-line"})
        assert response.status_code == 422
        assert response.get_json()["error"]["code"] == "not-found"

    assert online.queries == [typed]


def test_local_places_never_go_online(client, session, online, juniper_park):
    answer = answer_of(
        client, session, near="Juniper Point Park", types="crisis-receiving", lat=None, lon=None
    )
    zip_answer = answer_of(
        client, session, near="87102", types="crisis-receiving", lat=None, lon=None
    )

    assert answer["query"]["location_source"] == "place"
    assert zip_answer["query"]["location_source"] == "zip"
    assert online.queries == []


def test_the_page_uses_the_online_geocoder(client, session, online):
    open_place(session, "Online Receiving")
    session.commit()
    typed = f"{uuid.uuid4().int % 9000 + 1000} Mesa Verde Court"

    html = client.get("/", query_string={"near": typed, "needs": "crisis-now"}).get_data(
        as_text=True
    )

    assert 'id="near-error"' not in html
    assert "Online Receiving" in html
    assert online.queries == [typed]
