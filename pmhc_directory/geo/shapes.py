"""Checking and describing GeoJSON shapes (WGS84 longitude/latitude, degrees)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from shapely import make_valid
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry


class ShapeError(ValueError):
    """A GeoJSON geometry that cannot be used; the message says why."""


#: Uploaded service areas are simplified (Douglas-Peucker, topology kept) within this many
#: degrees: 0.0001 degrees is 11 m north-south and less east-west, far below what a travel
#: time estimate can tell apart.
AREA_TOLERANCE_DEGREES = 0.0001
#: Most corners (coordinates) a service area keeps after simplifying; a shape with more is
#: refused. Every lookup and the /hsds/ feed carry the shape, so its size is everyone's cost.
MAX_AREA_VERTICES = 10_000


def simplified_area(geom: BaseGeometry, tolerance: float = AREA_TOLERANCE_DEGREES) -> BaseGeometry:
    """``geom`` simplified within ``tolerance`` degrees, still a valid (Multi)Polygon.

    Raises ``ShapeError`` when more than :data:`MAX_AREA_VERTICES` corners remain.
    """
    import shapely

    simple = geom.simplify(tolerance, preserve_topology=True)
    if simple.is_empty or not simple.is_valid:
        simple = geom  # an area too small to simplify, or a repair needed: keep it as it was
    corners = int(shapely.get_num_coordinates(simple))
    if corners > MAX_AREA_VERTICES:
        raise ShapeError(
            f"it has {corners:,} corners after simplifying to about 11 m; at most "
            f"{MAX_AREA_VERTICES:,} are kept. Simplify it first (for example with mapshaper)"
        )
    return polygonal_shape(mapping(simple))


@dataclass(frozen=True)
class Bounds:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


def polygonal_shape(geometry: Any) -> BaseGeometry:
    """A valid Polygon or MultiPolygon from a GeoJSON geometry (dict or JSON text).

    Self-intersections and similar defects are repaired with ``shapely.make_valid``; anything
    that is not an area after repair, or lies outside longitude/latitude ranges, is refused.
    """
    if isinstance(geometry, str):
        try:
            geometry = json.loads(geometry)
        except json.JSONDecodeError as exc:
            raise ShapeError(f"not valid GeoJSON text ({exc.msg})") from None
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        kind = geometry.get("type") if isinstance(geometry, dict) else type(geometry).__name__
        raise ShapeError(f"expected a GeoJSON Polygon or MultiPolygon, got {kind}")
    try:
        geom = shape(geometry)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise ShapeError(f"malformed coordinates ({exc})") from None
    if geom.is_empty:
        raise ShapeError("the polygon is empty")
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise ShapeError(
            "coordinates are outside longitude/latitude ranges; is the file in a projected "
            "coordinate system? Convert it to WGS84 (EPSG:4326) first"
        )
    if not geom.is_valid:
        geom = _keep_polygons(make_valid(geom))
        if geom.is_empty:
            raise ShapeError("the polygon is invalid and could not be repaired")
    return geom


def _keep_polygons(geom: BaseGeometry) -> BaseGeometry:
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon | MultiPolygon)]
    polygons: list[Polygon] = []
    for part in parts:
        polygons.extend(part.geoms if isinstance(part, MultiPolygon) else [part])
    return MultiPolygon(polygons)


def bounds_of(geom: BaseGeometry) -> Bounds:
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    return Bounds(min_lon, min_lat, max_lon, max_lat)


def to_geojson_text(geom: BaseGeometry) -> str:
    """Compact GeoJSON text of a geometry (the form stored in the database)."""
    return json.dumps(mapping(geom), separators=(",", ":"))
