"""Planning use cases (services/planning.py) on a synthetic 3x3 grid of square areas.

Cells are 0.1 degree squares around the scenario origin (about 9.1 km east-west and 11.1 km
north-south between neighbouring centres). With the default travel model (circuity 1.3,
50 km/h), a 10-minute threshold reaches 6.4 km (only a site's own cell) and a 20-minute one
12.8 km (the cell and its four edge neighbours, not the diagonals at 14.4 km).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import select

from pmhc_directory.geo.distance import TravelModel, distance_km
from pmhc_directory.models import AnalysisArea, Location, ServiceStaffing, TravelCost, UnmetNeed
from pmhc_directory.services import planning
from tests.scenario_builders import ORIGIN_LAT, ORIGIN_LON, ROUND_THE_CLOCK, build_service, square

ZONE = ZoneInfo("America/Denver")
STEP = 0.1
# Tuesday 13 January 2026 (no DST change that week).
TUESDAY_2AM = datetime(2026, 1, 13, 2, 0, tzinfo=ZONE)
TUESDAY_2PM = datetime(2026, 1, 13, 14, 0, tzinfo=ZONE)
NINE_TO_FIVE = ({"byday": "MO,TU,WE,TH,FR", "opens_at": "09:00", "closes_at": "17:00"},)
OVERNIGHT = ({"byday": "MO,TU,WE,TH,FR,SA,SU", "opens_at": "22:00", "closes_at": "06:00"},)


def cell_id(row: int, col: int) -> str:
    return f"cell-{row}{col}"


def cell_centre(row: int, col: int) -> tuple[float, float]:
    return ORIGIN_LAT + (row - 1) * STEP, ORIGIN_LON + (col - 1) * STEP


def population_of(row: int, col: int) -> int:
    return 1000 * (3 * row + col + 1)  # 1,000 .. 9,000; 45,000 in all


TOTAL = 45_000


@pytest.fixture
def grid(session):
    for row in range(3):
        for col in range(3):
            lat, lon = cell_centre(row, col)
            half = STEP / 2
            session.add(
                AnalysisArea(
                    id=cell_id(row, col),
                    name=f"Cell {row},{col}",
                    population=population_of(row, col),
                    geometry=json.dumps(square(lat, lon, half)),
                    centre_lat=lat,
                    centre_lon=lon,
                    min_lon=lon - half,
                    min_lat=lat - half,
                    max_lon=lon + half,
                    max_lat=lat + half,
                )
            )
    session.flush()


@pytest.fixture
def config(app):
    """The app's settings with place 20 minutes and respond 10 minutes."""
    settings = dict(app.config)
    settings["COVERAGE_MINUTES_BY_CONTINUUM"] = {
        **app.config["COVERAGE_MINUTES_BY_CONTINUUM"],
        "place": 20,
        "respond": 10,
    }
    settings["COVERAGE_MINUTES_BY_TYPE"] = {}
    return settings


def covered_cells(result: dict, key: str, name: str) -> set[str]:
    return {f["properties"]["area_id"] for f in result["features"] if f["properties"][key][name]}


def night_team(session, **fields):
    """A mobile team serving only the centre cell, 22:00-06:00 every day."""
    lat, lon = cell_centre(1, 1)
    return build_service(
        session,
        "Night team",
        types=("mobile-crisis",),
        schedules=OVERNIGHT,
        service_area=square(lat, lon, STEP / 2 - 0.001),
        **fields,
    )


def day_centre(session, row=0, col=0, **fields):
    lat, lon = cell_centre(row, col)
    return build_service(
        session,
        fields.pop("name", "Day centre"),
        types=fields.pop("types", ("crisis-receiving",)),
        lat=lat,
        lon=lon,
        schedules=fields.pop("schedules", NINE_TO_FIVE),
        **fields,
    )


# --------------------------------------------------------------------------- coverage


def test_overnight_team_covers_only_its_area_at_night(session, grid, config):
    night_team(session)
    night = planning.coverage_at(session, config, ["mobile-crisis"], TUESDAY_2AM)
    day = planning.coverage_at(session, config, ["mobile-crisis"], TUESDAY_2PM)

    assert covered_cells(night, "covered", "mobile-crisis") == {cell_id(1, 1)}
    assert covered_cells(night, "continuum", "respond") == {cell_id(1, 1)}
    assert covered_cells(day, "covered", "mobile-crisis") == set()
    share = night["summary"]["by_type"]["mobile-crisis"]
    assert share["covered_population"] == population_of(1, 1)
    assert share["share"] == pytest.approx(population_of(1, 1) / TOTAL)
    assert night["summary"]["population"] == TOTAL
    assert night["summary"]["at"] == TUESDAY_2AM.isoformat()


def test_nine_to_five_centre_covers_within_threshold_by_day_only(session, grid, config):
    day_centre(session)
    day = planning.coverage_at(session, config, ["crisis-receiving"], TUESDAY_2PM)
    night = planning.coverage_at(session, config, ["crisis-receiving"], TUESDAY_2AM)

    assert covered_cells(day, "covered", "crisis-receiving") == {
        cell_id(0, 0),
        cell_id(0, 1),
        cell_id(1, 0),
    }
    assert covered_cells(day, "continuum", "place") == covered_cells(
        day, "covered", "crisis-receiving"
    )
    assert covered_cells(night, "covered", "crisis-receiving") == set()


def test_max_minutes_replaces_the_threshold(session, grid, config):
    day_centre(session)
    tight = planning.coverage_at(session, config, ["crisis-receiving"], TUESDAY_2PM, 10)
    assert covered_cells(tight, "covered", "crisis-receiving") == {cell_id(0, 0)}
    assert tight["summary"]["thresholds"]["crisis-receiving"] == 10


def test_supplied_travel_time_replaces_the_estimate(session, grid, config):
    centre = day_centre(session)
    location_id = centre.service_at_locations[0].location_id
    session.add_all(
        [
            # A river between: the next cell is now 45 minutes away.
            TravelCost(area_id=cell_id(0, 1), location_id=location_id, minutes=45),
            # A freeway: the far corner is 12 minutes away.
            TravelCost(area_id=cell_id(2, 2), location_id=location_id, minutes=12),
        ]
    )
    session.flush()
    day = planning.coverage_at(session, config, ["crisis-receiving"], TUESDAY_2PM)
    assert covered_cells(day, "covered", "crisis-receiving") == {
        cell_id(0, 0),
        cell_id(1, 0),
        cell_id(2, 2),
    }


def test_minutes_matrix_estimates_from_the_geodesic(session, grid, app):
    centre = day_centre(session, row=2, col=1)
    areas = planning.load_areas(session)
    units = [u for u in planning.load_units(session) if u.service_id == centre.id]
    minutes = planning.minutes_matrix(session, app.config, areas, units)
    model = TravelModel(app.config["TRAVEL_CIRCUITY"], app.config["TRAVEL_SPEED_KMH"])
    lat, lon = cell_centre(2, 1)
    for i in range(len(areas)):
        expected = model.minutes(distance_km(areas.lat[i], areas.lon[i], lat, lon))
        assert minutes[i, 0] == pytest.approx(expected, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("status", ["inactive", "defunct", "temporarily closed"])
def test_services_that_are_not_active_cover_nothing(session, grid, config, status):
    day_centre(session, row=1, col=1, attributes=("open-24-7",), schedules=ROUND_THE_CLOCK)
    service = day_centre(session, schedules=ROUND_THE_CLOCK, attributes=("open-24-7",))
    service.status = status
    session.flush()
    result = planning.coverage_at(session, config, ["crisis-receiving"], TUESDAY_2AM)
    # Only the active one (centre cell) covers: the centre and its four neighbours.
    assert covered_cells(result, "covered", "crisis-receiving") == {
        cell_id(1, 1),
        cell_id(0, 1),
        cell_id(1, 0),
        cell_id(1, 2),
        cell_id(2, 1),
    }


def test_unreadable_and_unknown_hours_never_open(session, grid, config):
    day_centre(session, schedules=({"byday": "XX", "opens_at": "09:00", "closes_at": "17:00"},))
    day_centre(session, row=2, col=2, schedules=None)
    result = planning.coverage_at(session, config, ["crisis-receiving"], TUESDAY_2PM)
    assert covered_cells(result, "covered", "crisis-receiving") == set()


def test_all_three_needs_contact_respond_and_place(session, grid, config):
    night_team(session)
    day_centre(session, row=1, col=1, attributes=("open-24-7",), schedules=ROUND_THE_CLOCK)
    night = planning.coverage_at(session, config, None, TUESDAY_2AM)
    day = planning.coverage_at(session, config, None, TUESDAY_2PM)

    # The national lines (988 and others) are always there for contact.
    assert night["summary"]["by_continuum"]["contact"]["share"] == 1.0
    assert covered_cells(night, "continuum", "respond") == {cell_id(1, 1)}
    assert {
        f["properties"]["area_id"] for f in night["features"] if f["properties"]["all_three"]
    } == {cell_id(1, 1)}
    assert night["summary"]["all_three_share"] == pytest.approx(population_of(1, 1) / TOTAL)
    assert day["summary"]["all_three_share"] == 0.0
    assert set(night["summary"]["by_type"]) == set(planning.crisis_types())
    feature = night["features"][0]
    assert feature["geometry"]["type"] == "Polygon"
    assert set(feature["properties"]["continuum"]) >= {"contact", "respond", "place"}


def test_a_continuum_with_no_selected_type_is_reported(session, grid, config):
    result = planning.coverage_at(session, config, ["mobile-crisis"], TUESDAY_2AM)
    assert result["summary"]["elements_without_selected_types"] == ["contact", "place"]
    assert result["summary"]["all_three_share"] == 0.0


def test_no_geography_raises(session, config):
    with pytest.raises(planning.NoGeographyError):
        planning.coverage_at(session, config, None, TUESDAY_2AM)


# --------------------------------------------------------------------------- week


def test_week_profile_by_hour(session, grid, config):
    night_team(session)
    day_centre(session)
    week = planning.coverage_week(
        session, config, ["mobile-crisis", "crisis-receiving"], now=TUESDAY_2PM
    )
    assert week["start"] == "Monday 00:00"
    assert week["hours"] == 168
    assert week["week_of"] == "2026-01-12"
    place, respond = week["by_continuum"]["place"], week["by_continuum"]["respond"]
    assert len(place) == len(respond) == len(week["all_three"]) == 168
    day_share = (population_of(0, 0) + population_of(0, 1) + population_of(1, 0)) / TOTAL
    night_share = population_of(1, 1) / TOTAL
    monday_2am, monday_2pm, saturday_2pm = 2, 14, 5 * 24 + 14
    assert place[monday_2pm] == pytest.approx(day_share)
    assert place[monday_2am] == 0.0
    assert place[saturday_2pm] == 0.0
    assert place[8] == 0.0 and place[9] == pytest.approx(day_share)  # 08:30 no, 09:30 yes
    assert place[16] == pytest.approx(day_share) and place[17] == 0.0
    assert respond[monday_2am] == pytest.approx(night_share)
    assert respond[22] == pytest.approx(night_share)  # 22:30
    assert respond[6] == 0.0 and respond[monday_2pm] == 0.0
    # No place at night where the team is, no team by day: never all three.
    assert max(week["all_three"]) == 0.0
    assert week["by_continuum"]["contact"] == [0.0] * 168  # no contact type selected


# --------------------------------------------------------------------------- accessibility


def test_accessibility_scores_follow_the_method(session, grid, config):
    capacity = {"available": 4, "maximum": 10, "unit": "chair", "updated": TUESDAY_2PM}
    day_centre(session, row=1, col=1, capacity=capacity)
    two_step = planning.accessibility(session, config, "crisis-receiving", "2sfca", 20)
    scores = {f["properties"]["area_id"]: f["properties"]["score"] for f in two_step["features"]}
    reached = [cell_id(1, 1), cell_id(0, 1), cell_id(1, 0), cell_id(1, 2), cell_id(2, 1)]
    people = sum(population_of(int(a[-2]), int(a[-1])) for a in reached)
    for area in reached:
        assert scores[area] == pytest.approx(10 / people)
    assert scores[cell_id(0, 0)] is None  # no site within the catchment: no score
    assert two_step["supply_total"] == 10
    assert two_step["classes"] == [pytest.approx(10 / people)]
    for method in ("e2sfca", "gravity"):
        result = planning.accessibility(session, config, "crisis-receiving", method)
        assert result["method"] == method
        values = [f["properties"]["score"] for f in result["features"]]
        assert any(v for v in values)


def test_accessibility_counts_one_per_site_without_capacity(session, grid, config):
    day_centre(session, row=1, col=1)
    result = planning.accessibility(session, config, "crisis-receiving", "2sfca", 5)
    scores = {f["properties"]["area_id"]: f["properties"]["score"] for f in result["features"]}
    assert scores[cell_id(1, 1)] == pytest.approx(1 / population_of(1, 1))


# --------------------------------------------------------------------------- need


def test_need_table_against_the_inventory(session, grid):
    from pmhc_directory.gaps import need

    updated = TUESDAY_2PM
    build_service(session, "Team A", types=("mobile-crisis",))
    build_service(session, "Team B", types=("mobile-crisis",))
    build_service(session, "Gone", types=("mobile-crisis",), status="inactive")
    day_centre(
        session, capacity={"available": 1, "maximum": 3, "unit": "chair", "updated": updated}
    )
    stabilisation = day_centre(
        session,
        row=2,
        col=2,
        types=("crisis-stabilization",),
        capacity={"available": 0, "maximum": 200, "unit": "bed", "updated": updated},
    )
    session.add(ServiceStaffing(service_id=stabilisation.id, core_fte=3.0, psychiatrist_fte=1.0))
    session.flush()

    table = planning.need_table(session, need.NeedParameters())
    assert table["population"] == TOTAL
    rows = {r["service_type"]: r for r in table["rows"]}
    expected = {r.service_type: r.needed for r in need.crisis_need(TOTAL, need.NeedParameters())}
    assert rows["mobile-crisis"]["in_inventory"] == 2
    assert rows["crisis-receiving"]["in_inventory"] == 3
    assert rows["crisis-stabilization"]["in_inventory"] == 200
    assert rows["inpatient-psychiatric"]["in_inventory"] == 0
    for code, row in rows.items():
        assert row["needed"] == pytest.approx(expected[code])
        assert row["shortfall"] == pytest.approx(max(0.0, expected[code] - row["in_inventory"]))
    assert rows["crisis-stabilization"]["shortfall"] == 0
    assert rows["inpatient-psychiatric"]["shortfall"] == pytest.approx(
        expected["inpatient-psychiatric"]
    )
    assert table["ratios"]["core_fte"] == 3.0
    assert table["ratios"]["population_per_core_fte"] == pytest.approx(TOTAL / 3)
    assert table["parameters"]["episodes_per_100k_month"] == 230


def test_need_parameters_from_text(session):
    params = planning.need_parameters({"crf_los_days": "1.5", "unknown": "x"})
    assert params.crf_los_days == 1.5
    with pytest.raises(planning.PlanningInputError) as bad:
        planning.need_parameters({"crf_occupancy": "abc"})
    assert bad.value.field == "crf_occupancy"
    with pytest.raises(planning.PlanningInputError) as bad:
        planning.need_parameters({"crf_occupancy": "1.5"})
    assert bad.value.field == "crf_occupancy"


# --------------------------------------------------------------------------- siting


def test_sites_cover_the_largest_uncovered_population(session, grid, config):
    # An existing centre in the top-left corner covers cells 00, 01 and 10 (20 minutes).
    day_centre(session)
    result = planning.suggest_sites(session, config, "crisis-receiving", p=1, max_minutes=10)
    # 10 minutes: each candidate (an area centre) reaches only its own cell; the largest
    # uncovered population is the bottom-right cell (9,000 people).
    assert [s["area_id"] for s in result["sites"]] == [cell_id(2, 2)]
    assert result["covered_before"] == population_of(0, 0)
    assert result["covered_after"] == population_of(0, 0) + population_of(2, 2)
    assert result["sites"][0]["newly_covered_population"] == population_of(2, 2)

    wide = planning.suggest_sites(session, config, "crisis-receiving", p=1)
    # 20 minutes: the centre of cell 21 reaches 20, 21, 22 and 11 (uncovered: 7+8+9+5 = 29k),
    # more than any other candidate.
    assert [s["area_id"] for s in wide["sites"]] == [cell_id(2, 1)]
    assert wide["sites"][0]["newly_covered_population"] == 29_000
    assert wide["covered_before"] == 1000 + 2000 + 4000
    assert wide["covered_after"] == wide["covered_before"] + 29_000


def test_sites_from_given_candidates(session, grid, config):
    candidates = [
        planning.Candidate("nowhere", 10.0, 10.0),
        planning.Candidate("corner", *cell_centre(2, 2)),
    ]
    result = planning.suggest_sites(
        session, config, "crisis-receiving", p=2, max_minutes=10, candidates=candidates
    )
    assert [s["id"] for s in result["sites"]] == ["corner"]
    assert result["covered_after"] == population_of(2, 2)


# --------------------------------------------------------------------------- layers


def test_unmet_layer_counts_by_area_and_need(session, grid):
    session.add_all(
        [
            UnmetNeed(
                need="mental-health-crisis",
                area_id=cell_id(0, 0),
                hour_of_week=2,
                occurred_on=date(2026, 1, 5),
            ),
            UnmetNeed(
                need="mental-health-crisis",
                area_id=cell_id(0, 0),
                hour_of_week=3,
                occurred_on=date(2026, 1, 6),
            ),
            UnmetNeed(
                need="type:sobering-center",
                area_id=cell_id(0, 0),
                hour_of_week=3,
                occurred_on=date(2025, 1, 6),
            ),
            UnmetNeed(
                need="mental-health-crisis",
                area_id=None,
                hour_of_week=3,
                occurred_on=date(2026, 1, 6),
            ),
        ]
    )
    session.flush()
    layer = planning.unmet_layer(session, date(2026, 1, 1))
    props = {f["properties"]["area_id"]: f["properties"] for f in layer["features"]}
    assert props[cell_id(0, 0)]["unmet"] == 2
    assert props[cell_id(0, 0)]["by_need"] == {"mental-health-crisis": 2}
    assert props[cell_id(2, 2)]["unmet"] == 0
    assert layer["outside_areas"] == 1
    everything = planning.unmet_layer(session)
    props = {f["properties"]["area_id"]: f["properties"] for f in everything["features"]}
    assert props[cell_id(0, 0)]["by_need"] == {
        "mental-health-crisis": 2,
        "type:sobering-center": 1,
    }


def test_services_layer_lists_sites_with_their_status(session, grid):
    centre = day_centre(session)
    closed = day_centre(session, row=2, col=2, status="inactive")
    night_team(session)  # no site: not on the map
    layer = planning.services_layer(session)
    by_id = {f["properties"]["service_id"]: f for f in layer["features"]}
    assert set(by_id) == {centre.id, closed.id}
    lat, lon = cell_centre(0, 0)
    assert by_id[centre.id]["geometry"] == {"type": "Point", "coordinates": [lon, lat]}
    assert by_id[centre.id]["properties"]["continuum"] == "place"
    assert by_id[closed.id]["properties"]["status"] == "inactive"
    assert planning.services_layer(session, ["mobile-crisis"])["features"] == []


def test_geodesic_matrix_matches_distance_km():
    lat1 = np.array([35.0, 35.1, -33.9])
    lon1 = np.array([-106.6, -106.7, 151.2])
    lat2 = np.array([35.2, 36.0, 51.5])
    lon2 = np.array([-106.4, -105.0, -0.12])
    km = planning.geodesic_km(lat1, lon1, lat2, lon2)
    for k in range(3):
        assert km[k] == pytest.approx(distance_km(lat1[k], lon1[k], lat2[k], lon2[k]), rel=1e-9)


def test_parsers_name_the_field():
    now = datetime(2026, 1, 13, 12, tzinfo=ZONE)
    cases = [
        (lambda: planning.parse_types("crisis-line,nope"), "types"),
        (lambda: planning.parse_type(None), "type"),
        (lambda: planning.parse_minutes("-5"), "max_minutes"),
        (lambda: planning.parse_minutes("soon"), "max_minutes"),
        (lambda: planning.parse_sites("0"), "p"),
        (lambda: planning.parse_sites("51"), "p"),
        (lambda: planning.parse_sites("1.5"), "p"),
        (lambda: planning.parse_at("tuesday", ZONE, now), "at"),
        (lambda: planning.parse_at("2030-01-01T00:00", ZONE, now), "at"),
        (lambda: planning.parse_since("last week"), "since"),
        (lambda: planning.parse_method("3sfca"), "method"),
        (lambda: planning.parse_candidates([{"id": "a", "lat": 95, "lon": 0}]), "candidates"),
    ]
    for call, field in cases:
        with pytest.raises(planning.PlanningInputError) as bad:
            call()
        assert bad.value.field == field
    assert planning.parse_at("2026-01-13T02:00", ZONE, now) == TUESDAY_2AM
    assert planning.parse_types("crisis-line, warmline") == ["crisis-line", "warmline"]
    assert planning.parse_sites(None) == planning.DEFAULT_SITES


def test_locations_without_coordinates_reach_only_by_supplied_time(session, grid, config):
    centre = day_centre(session, attributes=("open-24-7",), schedules=ROUND_THE_CLOCK)
    location = session.scalar(
        select(Location).where(Location.id == centre.service_at_locations[0].location_id)
    )
    location.latitude = location.longitude = None
    session.add(TravelCost(area_id=cell_id(1, 1), location_id=location.id, minutes=5))
    session.flush()
    result = planning.coverage_at(session, config, ["crisis-receiving"], TUESDAY_2AM)
    assert covered_cells(result, "covered", "crisis-receiving") == {cell_id(1, 1)}
