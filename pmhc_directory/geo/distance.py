"""Distances and travel-time estimates between WGS84 points (EPSG:4326, degrees; km; minutes).

Every function takes latitude before longitude (the order people type and speak), unlike
GeoJSON and shapely, which use longitude/latitude.

- :func:`distance_km` is *the* distance of the application: the geodesic on the WGS84
  ellipsoid (``geopy.distance.geodesic``, Karney's algorithm, accurate to well under a
  millimetre). Use it for every distance that is shown, ranked on or compared with a limit.
- :func:`haversine_km` is a fast great-circle approximation on a sphere. It may differ from
  the geodesic by up to about 0.56 % (:data:`HAVERSINE_MAX_RELATIVE_ERROR`), so use it only
  to *pre-filter* candidates with a margin (see its docstring), never for a shown or final
  value.
- :class:`TravelModel` turns a distance into estimated minutes by road:
  ``distance x circuity / speed`` (api.md 6, product.md 3.2).
- :func:`geodesic_km_to_many` and :func:`haversine_km_to_many` are the same two distances
  from one point to numpy arrays of points (the lookup screens thousands of sites at once).
- :func:`bounding_box` gives a latitude/longitude box containing a circle, for a cheap SQL
  ``WHERE`` before exact distances are computed.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

#: Mean Earth radius (IUGG, R1 = (2a + b) / 3) in km, used by :func:`haversine_km`.
MEAN_EARTH_RADIUS_KM = 6371.0088

#: Largest relative difference between :func:`haversine_km` and :func:`distance_km` anywhere
#: on Earth, rounded up: the sphere is up to ~0.56 % off the ellipsoid, worst for short
#: north-south distances near the equator (a degree of latitude is 110.57 km on WGS84 and
#: 111.19 km on the sphere). Pre-filters widen their limit by this fraction.
HAVERSINE_MAX_RELATIVE_ERROR = 0.0057

# Smallest radius of curvature of the WGS84 ellipsoid (the meridional radius at the equator,
# a(1 - e^2)) in km. An angle computed with it is never smaller than the true one, which keeps
# bounding boxes on the safe (too large) side.
_MIN_RADIUS_OF_CURVATURE_KM = 6335.439
# Extra widening of bounding boxes, on top of the conservative radius above, and a pad in
# degrees (about 0.1 mm) against floating-point round-off in stored coordinates.
_BOX_MARGIN = 1.01
_BOX_PAD_DEG = 1e-9


def _check_point(lat: float, lon: float) -> None:
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise ValueError(f"latitude/longitude must be finite numbers, got {lat!r}, {lon!r}")
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude {lat!r} is outside -90..90")
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"longitude {lon!r} is outside -180..180")


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic distance in km between two WGS84 points (latitude, longitude in degrees).

    Computed on the WGS84 ellipsoid by ``geopy.distance.geodesic`` (geographiclib). Raises
    ``ValueError`` for a latitude outside -90..90, a longitude outside -180..180 or a
    non-finite value: a bad coordinate is a bug upstream, not a distance.
    """
    from geopy.distance import geodesic  # here: geopy's import takes 0.3 s of a worker's start

    _check_point(lat1, lon1)
    _check_point(lat2, lon2)
    return float(geodesic((lat1, lon1), (lat2, lon2), ellipsoid="WGS-84").km)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km on a sphere of radius :data:`MEAN_EARTH_RADIUS_KM`.

    Over a hundred times faster than :func:`distance_km`, and a plain formula (sin, cos, asin,
    sqrt) that translates directly to numpy arrays or SQL. Its error against the geodesic is
    at most :data:`HAVERSINE_MAX_RELATIVE_ERROR` (0.57 %) of the distance, so it is for
    pre-filtering only: keep candidates with
    ``haversine_km(...) <= limit_km * (1 + HAVERSINE_MAX_RELATIVE_ERROR)`` and then decide
    with :func:`distance_km`. Inputs are not range-checked.
    """
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * MEAN_EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


_geod: Any = None
_geod_lock = threading.Lock()


def _wgs84() -> Any:
    """pyproj's WGS84 ``Geod``, made once (its first use loads data files)."""
    global _geod
    with _geod_lock:
        if _geod is None:
            from pyproj import Geod

            _geod = Geod(ellps="WGS84")
        return _geod


def geodesic_km_to_many(lat: float, lon: float, lats: Any, lons: Any) -> Any:
    """WGS84 geodesic km from one point to many (numpy arrays or sequences of degrees).

    pyproj's ``Geod.inv`` (Karney's algorithm, as :func:`distance_km` through geopy); returns
    a float array. Inputs are not range-checked.
    """
    import numpy as np

    count = len(lats)
    _, _, metres = _wgs84().inv(
        np.full(count, lon), np.full(count, lat), np.asarray(lons, float), np.asarray(lats, float)
    )
    return np.asarray(metres, dtype=float) / 1000.0


def haversine_km_to_many(lat: float, lon: float, lats: Any, lons: Any) -> Any:
    """:func:`haversine_km` from one point to many (numpy arrays of degrees): within
    :data:`HAVERSINE_MAX_RELATIVE_ERROR` of the geodesic, so for pre-filtering only."""
    import numpy as np

    phi, lam = np.radians(lats), np.radians(lons)
    phi0, lam0 = math.radians(lat), math.radians(lon)
    half = (
        np.sin((phi - phi0) / 2.0) ** 2
        + math.cos(phi0) * np.cos(phi) * np.sin((lam - lam0) / 2.0) ** 2
    )
    return 2.0 * MEAN_EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(half, 1.0)))


@dataclass(frozen=True)
class TravelModel:
    """Estimated road travel time from a straight-line (geodesic) distance.

    ``minutes = distance_km x circuity / speed_kmh x 60``. ``circuity`` is how much longer
    the road route is than the geodesic (about 1.2-1.4 in US cities; must be >= 1, since no
    road is shorter than the geodesic); ``speed_kmh`` is the average door-to-door speed
    (must be > 0). Used wherever no travel-time matrix is loaded (api.md 6).
    """

    circuity: float = 1.3
    speed_kmh: float = 50.0

    def __post_init__(self) -> None:
        for name in ("circuity", "speed_kmh"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"{name} must be a number, got {type(value).__name__}")
            if not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number, got {value!r}")
        if self.circuity < 1.0:
            raise ValueError(f"circuity must be at least 1, got {self.circuity}")
        if self.speed_kmh <= 0:
            raise ValueError(f"speed_kmh must be positive, got {self.speed_kmh}")

    def minutes(self, distance_km: float) -> float:
        """Estimated minutes to travel ``distance_km`` (geodesic km, >= 0) by road."""
        if not math.isfinite(distance_km) or distance_km < 0:
            raise ValueError(f"distance must be a finite number of km >= 0, got {distance_km!r}")
        return float(self.minutes_of(distance_km))

    def minutes_of(self, distance_km: Any) -> Any:
        """:meth:`minutes` unchecked, for a number or a numpy array of km (NaN stays NaN).

        The one place the formula is written: every path that estimates minutes (the lookup's
        screening of thousands of sites, each candidate it shows) calls it, so a site's
        estimate is the same to the last bit whichever path computed it.
        """
        return distance_km * self.circuity / self.speed_kmh * 60.0

    def minutes_between(self, lat1: float, lon1: float, lat2: float, lon2: float) -> float:
        """Estimated minutes between two WGS84 points: :func:`distance_km` then :meth:`minutes`."""
        return self.minutes(distance_km(lat1, lon1, lat2, lon2))

    def reach_km(self, minutes: float) -> float:
        """Geodesic km reachable in ``minutes`` (the inverse of :meth:`minutes`), for radii."""
        if not math.isfinite(minutes) or minutes < 0:
            raise ValueError(f"minutes must be a finite number >= 0, got {minutes!r}")
        return minutes / 60.0 * self.speed_kmh / self.circuity


@dataclass(frozen=True)
class BoundingBox:
    """A latitude/longitude box in degrees (WGS84).

    When the box crosses the antimeridian (180°), ``min_lon > max_lon`` and the box is the
    union of ``min_lon..180`` and ``-180..max_lon``; :attr:`crosses_antimeridian` says so.
    In SQL: ``lat BETWEEN min_lat AND max_lat AND (lon BETWEEN min_lon AND max_lon)``, or
    ``... AND (lon >= min_lon OR lon <= max_lon)`` when it crosses.
    """

    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float

    @property
    def crosses_antimeridian(self) -> bool:
        return self.min_lon > self.max_lon

    def contains(self, lat: float, lon: float) -> bool:
        if not self.min_lat <= lat <= self.max_lat:
            return False
        if self.crosses_antimeridian:
            return lon >= self.min_lon or lon <= self.max_lon
        return self.min_lon <= lon <= self.max_lon


def bounding_box(lat: float, lon: float, radius_km: float) -> BoundingBox:
    """A box that contains every point within ``radius_km`` (geodesic) of ``lat, lon``.

    For a cheap pre-filter (e.g. an indexed SQL range query) before :func:`distance_km`
    decides. The box is deliberately a little too large, never too small: it uses the
    smallest radius of curvature of the ellipsoid plus a 1 % margin. Near a pole, when the
    circle reaches the pole, the box spans every longitude and is clamped at ±90° latitude.
    Across the antimeridian, ``min_lon > max_lon`` (see :class:`BoundingBox`).
    """
    _check_point(lat, lon)
    if not math.isfinite(radius_km) or radius_km < 0:
        raise ValueError(f"radius must be a finite number of km >= 0, got {radius_km!r}")
    angle = radius_km / _MIN_RADIUS_OF_CURVATURE_KM * _BOX_MARGIN  # radians
    dlat = math.degrees(angle) + _BOX_PAD_DEG
    min_lat, max_lat = lat - dlat, lat + dlat
    if min_lat <= -90.0 or max_lat >= 90.0 or angle >= math.pi / 2:
        # The circle contains a pole: every longitude is reachable.
        return BoundingBox(max(min_lat, -90.0), min(max_lat, 90.0), -180.0, 180.0)
    # Widest longitude extent of a spherical cap of angular radius `angle` around `lat`.
    ratio = math.sin(angle) / math.cos(math.radians(lat))
    if ratio >= 1.0:
        return BoundingBox(min_lat, max_lat, -180.0, 180.0)
    dlon = math.degrees(math.asin(ratio)) + _BOX_PAD_DEG
    min_lon, max_lon = lon - dlon, lon + dlon
    if min_lon < -180.0:
        min_lon += 360.0
    if max_lon > 180.0:
        max_lon -= 360.0
    return BoundingBox(min_lat, max_lat, min_lon, max_lon)
