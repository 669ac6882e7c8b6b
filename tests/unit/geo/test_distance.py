"""Geodesic distance, the haversine pre-filter, travel minutes and bounding boxes."""

from __future__ import annotations

import math

import pytest
from geographiclib.geodesic import Geodesic
from hypothesis import given
from hypothesis import strategies as st

from pmhc_directory.geo.distance import (
    HAVERSINE_MAX_RELATIVE_ERROR,
    BoundingBox,
    TravelModel,
    bounding_box,
    distance_km,
    haversine_km,
)

WGS84 = Geodesic.WGS84  # independent reference: geographiclib called directly


def reference_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return WGS84.Inverse(lat1, lon1, lat2, lon2)["s12"] / 1000.0


latitudes = st.floats(-90, 90, allow_nan=False)
longitudes = st.floats(-180, 180, allow_nan=False)


# --- distance_km -------------------------------------------------------------------------


def test_one_degree_of_latitude_at_the_equator_is_110_57_km():
    assert distance_km(0, 0, 1, 0) == pytest.approx(110.574, abs=0.001)


def test_one_degree_of_longitude_at_the_equator_is_111_32_km():
    assert distance_km(0, 0, 0, 1) == pytest.approx(111.319, abs=0.001)


def test_albuquerque_to_santa_fe_matches_geographiclib():
    # Albuquerque Civic Plaza -> Santa Fe Plaza, about 90 km.
    expected = reference_km(35.0853, -106.6505, 35.6870, -105.9378)
    assert 85 < expected < 95
    assert distance_km(35.0853, -106.6505, 35.6870, -105.9378) == pytest.approx(expected, abs=1e-6)


def test_same_point_is_zero_and_distance_is_symmetric():
    assert distance_km(35.08, -106.65, 35.08, -106.65) == 0.0
    forward = distance_km(35.08, -106.65, 40.0, -100.0)
    assert forward == pytest.approx(distance_km(40.0, -100.0, 35.08, -106.65), abs=1e-9)


def test_across_the_antimeridian_is_short():
    assert distance_km(0, 179.5, 0, -179.5) == pytest.approx(111.319, abs=0.001)


@pytest.mark.parametrize(
    "point",
    [(91, 0), (-90.5, 0), (0, 180.5), (0, -181), (math.nan, 0), (0, math.inf)],
)
def test_impossible_coordinates_raise(point):
    with pytest.raises(ValueError):
        distance_km(*point, 0, 0)
    with pytest.raises(ValueError):
        distance_km(0, 0, *point)


@given(latitudes, longitudes, latitudes, longitudes)
def test_distance_agrees_with_geographiclib(lat1, lon1, lat2, lon2):
    assert distance_km(lat1, lon1, lat2, lon2) == pytest.approx(
        reference_km(lat1, lon1, lat2, lon2), rel=1e-9, abs=1e-6
    )


# --- haversine_km ------------------------------------------------------------------------


@given(latitudes, longitudes, latitudes, longitudes)
def test_haversine_is_within_its_documented_error(lat1, lon1, lat2, lon2):
    exact = reference_km(lat1, lon1, lat2, lon2)
    assert abs(haversine_km(lat1, lon1, lat2, lon2) - exact) <= (
        HAVERSINE_MAX_RELATIVE_ERROR * exact + 1e-6
    )


def test_haversine_worst_case_short_meridian_at_equator():
    exact = reference_km(-0.01, 0, 0.01, 0)
    error = abs(haversine_km(-0.01, 0, 0.01, 0) - exact) / exact
    assert 0.005 < error <= HAVERSINE_MAX_RELATIVE_ERROR


# --- TravelModel -------------------------------------------------------------------------


def test_default_travel_model_is_1_3_circuity_at_50_kmh():
    model = TravelModel()
    assert (model.circuity, model.speed_kmh) == (1.3, 50.0)
    # 10 km straight line -> 13 km by road -> 13 / 50 h = 15.6 minutes.
    assert model.minutes(10.0) == pytest.approx(15.6)
    assert model.minutes(0.0) == 0.0


def test_travel_minutes_scale_with_circuity_and_speed():
    assert TravelModel(circuity=1.0, speed_kmh=60.0).minutes(30.0) == pytest.approx(30.0)
    assert TravelModel(circuity=1.5, speed_kmh=30.0).minutes(20.0) == pytest.approx(60.0)


def test_reach_km_inverts_minutes():
    model = TravelModel(circuity=1.4, speed_kmh=45.0)
    assert model.minutes(model.reach_km(40.0)) == pytest.approx(40.0)
    assert model.reach_km(60.0) == pytest.approx(45.0 / 1.4)


def test_minutes_between_uses_the_geodesic():
    model = TravelModel()
    expected = reference_km(0, 0, 1, 0) * 1.3 / 50.0 * 60.0
    assert model.minutes_between(0, 0, 1, 0) == pytest.approx(expected)


def test_travel_model_is_frozen():
    model = TravelModel()
    with pytest.raises(AttributeError):
        model.speed_kmh = 80.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("circuity", "speed"),
    [
        (0.0, 50.0),
        (-1.3, 50.0),
        (0.9, 50.0),
        (1.3, 0.0),
        (1.3, -5.0),
        (math.nan, 50.0),
        (1.3, math.inf),
    ],
)
def test_travel_model_rejects_impossible_settings(circuity, speed):
    with pytest.raises(ValueError):
        TravelModel(circuity=circuity, speed_kmh=speed)


def test_travel_model_rejects_non_numbers():
    with pytest.raises(TypeError):
        TravelModel(circuity="1.3")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        TravelModel(speed_kmh=True)


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_minutes_rejects_bad_distances(bad):
    with pytest.raises(ValueError):
        TravelModel().minutes(bad)
    with pytest.raises(ValueError):
        TravelModel().reach_km(bad)


# --- bounding_box ------------------------------------------------------------------------


@given(
    lat=latitudes,
    lon=longitudes,
    radius_km=st.floats(0, 3000, allow_nan=False),
    azimuth=st.floats(-180, 180, allow_nan=False),
    fraction=st.floats(0, 1, allow_nan=False),
)
def test_bounding_box_contains_every_point_within_the_radius(
    lat, lon, radius_km, azimuth, fraction
):
    box = bounding_box(lat, lon, radius_km)
    point = WGS84.Direct(lat, lon, azimuth, radius_km * fraction * 1000.0)
    assert box.contains(point["lat2"], point["lon2"]), (box, point["lat2"], point["lon2"])


def test_bounding_box_is_not_much_larger_than_needed():
    box = bounding_box(35.08, -106.65, 10.0)
    assert not box.crosses_antimeridian
    north = WGS84.Direct(35.08, -106.65, 0, 10_000)["lat2"]
    east = WGS84.Direct(35.08, -106.65, 90, 10_000)["lon2"]
    assert north < box.max_lat < 35.08 + (north - 35.08) * 1.03
    assert east < box.max_lon < -106.65 + (east + 106.65) * 1.03
    assert box.contains(35.08, -106.65)
    assert not box.contains(35.08, -106.0)
    assert not box.contains(35.5, -106.65)


def test_bounding_box_across_the_antimeridian_wraps():
    box = bounding_box(-17.7, 179.9, 50.0)  # Fiji
    assert box.crosses_antimeridian
    assert box.min_lon > box.max_lon
    assert box.contains(-17.7, -179.9)
    assert box.contains(-17.7, 179.95)
    assert not box.contains(-17.7, 0.0)


def test_bounding_box_reaching_a_pole_spans_all_longitudes():
    box = bounding_box(89.9, 10.0, 50.0)
    assert box == BoundingBox(box.min_lat, 90.0, -180.0, 180.0)
    assert box.contains(89.95, -170.0)
    south = bounding_box(-90.0, 0.0, 0.0)
    assert (south.min_lat, south.min_lon, south.max_lon) == (-90.0, -180.0, 180.0)


def test_bounding_box_of_radius_zero_contains_its_centre():
    box = bounding_box(35.08, -106.65, 0.0)
    assert box.contains(35.08, -106.65)


@pytest.mark.parametrize(
    "args", [(91, 0, 10), (0, 181, 10), (0, 0, -1), (0, 0, math.nan), (0, 0, math.inf)]
)
def test_bounding_box_rejects_bad_input(args):
    with pytest.raises(ValueError):
        bounding_box(*args)
