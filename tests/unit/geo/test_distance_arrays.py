"""The array forms of the distances (one point to many) agree with the scalar ones."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pmhc_directory.geo.distance import (
    HAVERSINE_MAX_RELATIVE_ERROR,
    TravelModel,
    distance_km,
    geodesic_km_to_many,
    haversine_km,
    haversine_km_to_many,
)

ORIGIN = (35.0844, -106.6504)
SITES = [(35.0844, -106.6504), (35.2, -106.7), (36.5, -105.9), (31.8, -106.4), (0.0, 0.0)]


def test_geodesic_to_many_is_the_geodesic_of_each():
    lats = np.array([s[0] for s in SITES])
    lons = np.array([s[1] for s in SITES])
    found = geodesic_km_to_many(*ORIGIN, lats, lons)
    assert found.shape == (len(SITES),)
    for km, (lat, lon) in zip(found.tolist(), SITES, strict=True):
        assert km == pytest.approx(distance_km(*ORIGIN, lat, lon), abs=1e-6)


def test_haversine_to_many_is_the_haversine_of_each_and_near_the_geodesic():
    lats = np.array([s[0] for s in SITES])
    lons = np.array([s[1] for s in SITES])
    found = haversine_km_to_many(*ORIGIN, lats, lons)
    for km, (lat, lon) in zip(found.tolist(), SITES, strict=True):
        assert km == pytest.approx(haversine_km(*ORIGIN, lat, lon), rel=1e-12, abs=1e-9)
        exact = distance_km(*ORIGIN, lat, lon)
        assert abs(km - exact) <= HAVERSINE_MAX_RELATIVE_ERROR * exact + 1e-9


def test_the_travel_formula_is_one_for_numbers_and_arrays():
    travel = TravelModel(circuity=1.3, speed_kmh=50.0)
    km = np.array([0.0, 1.5, 12.25, math.nan])
    minutes = travel.minutes_of(km)
    assert minutes[:3].tolist() == [travel.minutes(k) for k in km[:3].tolist()]
    assert math.isnan(minutes[3])
    assert travel.minutes(12.25) == 12.25 * 1.3 / 50.0 * 60.0
