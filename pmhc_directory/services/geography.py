"""Analysis areas, the jurisdiction boundary and the place gazetteer: loading them.

Imports check every feature first and write nothing when any is wrong (all or nothing); the
error names the feature and the field.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from shapely.geometry import Point
from sqlalchemy import delete
from sqlalchemy.orm import Session

from ..geo.addresses import normalize_address, place_key
from ..geo.shapes import ShapeError, bounds_of, polygonal_shape, to_geojson_text
from ..models import AnalysisArea, Boundary, Place

PLACE_KINDS = ("place", "landmark", "address")


class GeographyError(ValueError):
    """Problems found in a geography file; ``problems`` lists each one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "; ".join(problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problem(s): {shown}{more}")


def _read_features(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise GeographyError([f"{path}: cannot read ({exc})"]) from None
    except json.JSONDecodeError as exc:
        raise GeographyError([f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})"]) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise GeographyError([f"{path}: expected a GeoJSON FeatureCollection"])
    crs = (data.get("crs") or {}).get("properties", {}).get("name", "")
    if crs and not re.search(r"(CRS84|EPSG:?:?4326)$", crs):
        raise GeographyError([f"{path}: coordinates are in {crs}; convert to WGS84 first"])
    features = data.get("features")
    if not isinstance(features, list):
        raise GeographyError([f"{path}: 'features' must be a list"])
    return features


def _number(value: Any, label: str, where: str, problems: list[str]) -> float | None:
    if isinstance(value, bool) or value is None or value == "":
        problems.append(f"{where}: {label} is missing")
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        problems.append(f"{where}: {label} {value!r} is not a number")
        return None


def import_areas_geojson(
    session: Session,
    path: Path,
    *,
    id_field: str = "area_id",
    name_field: str = "name",
    population_field: str = "population",
    centre_lat_field: str | None = None,
    centre_lon_field: str | None = None,
) -> int:
    """Insert or replace analysis areas from a FeatureCollection; returns the number loaded.

    Population must be a whole number of people >= 0. The demand point is the given centre
    (e.g. a population-weighted centroid) when both centre fields are named, else a point
    guaranteed inside the polygon (shapely ``representative_point``).
    """
    features = _read_features(path)
    problems: list[str] = []
    rows: dict[str, AnalysisArea] = {}
    for index, feature in enumerate(features):
        props = (feature or {}).get("properties") or {}
        area_id = props.get(id_field)
        where = f"feature {index}" + (f" ({id_field}={area_id})" if area_id is not None else "")
        if area_id in (None, ""):
            problems.append(f"{where}: {id_field} is missing")
            continue
        area_id = str(area_id)
        if area_id in rows:
            problems.append(f"{where}: {id_field} {area_id!r} appears twice")
            continue
        population = _number(props.get(population_field), population_field, where, problems)
        if population is not None and (population < 0 or population != int(population)):
            problems.append(f"{where}: {population_field} must be a whole number >= 0")
            population = None
        try:
            geom = polygonal_shape((feature or {}).get("geometry"))
        except ShapeError as exc:
            problems.append(f"{where}: geometry: {exc}")
            continue
        if centre_lat_field and centre_lon_field:
            lat = _number(props.get(centre_lat_field), centre_lat_field, where, problems)
            lon = _number(props.get(centre_lon_field), centre_lon_field, where, problems)
            if lat is None or lon is None:
                continue
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                problems.append(f"{where}: centre {lat}, {lon} is not a latitude/longitude")
                continue
        else:
            point: Point = geom.representative_point()
            lat, lon = point.y, point.x
        if population is None:
            continue
        bounds = bounds_of(geom)
        rows[area_id] = AnalysisArea(
            id=area_id,
            name=str(props.get(name_field) or area_id),
            population=int(population),
            geometry=to_geojson_text(geom),
            centre_lat=lat,
            centre_lon=lon,
            min_lon=bounds.min_lon,
            min_lat=bounds.min_lat,
            max_lon=bounds.max_lon,
            max_lat=bounds.max_lat,
        )
    if not features:
        problems.append(f"{path}: the file has no features")
    if problems:
        raise GeographyError(problems)
    for row in rows.values():
        session.merge(row)
    session.flush()
    return len(rows)


def import_boundary_geojson(session: Session, path: Path, *, name_field: str = "name") -> str:
    """Replace the jurisdiction boundary with the union of the file's polygons."""
    from shapely.ops import unary_union

    features = _read_features(path)
    problems: list[str] = []
    shapes = []
    name = "Jurisdiction"
    for index, feature in enumerate(features):
        try:
            shapes.append(polygonal_shape((feature or {}).get("geometry")))
        except ShapeError as exc:
            problems.append(f"feature {index}: geometry: {exc}")
        name = ((feature or {}).get("properties") or {}).get(name_field) or name
    if not shapes and not problems:
        problems.append(f"{path}: the file has no features")
    if problems:
        raise GeographyError(problems)
    session.execute(delete(Boundary))
    session.add(Boundary(name=str(name), geometry=to_geojson_text(unary_union(shapes))))
    session.flush()
    return str(name)


def import_places_csv(session: Session, path: Path) -> int:
    """Load a gazetteer CSV of ``name,kind,lat,lon[,postal_code]`` rows (all or nothing).

    ``kind`` is ``place``, ``landmark`` or ``address`` (an address point: "120 N Main St").
    Entries of the kinds present in the file replace the stored entries of those kinds, so
    places and address points can be loaded from separate files.
    """
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            records = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise GeographyError([f"{path}: cannot read ({exc})"]) from None
    problems: list[str] = []
    places = list(_parse_places(records, problems))
    if problems:
        raise GeographyError(problems)
    kinds = {place.kind for place in places}
    session.execute(delete(Place).where(Place.kind.in_(kinds)))
    session.add_all(places)
    session.flush()
    return len(places)


def _parse_places(records: Iterable[dict[str, str]], problems: list[str]) -> Iterable[Place]:
    for line, record in enumerate(records, start=2):
        where = f"line {line}"
        name = (record.get("name") or "").strip()
        kind = (record.get("kind") or "place").strip()
        if not name:
            problems.append(f"{where}: name is missing")
            continue
        if kind not in PLACE_KINDS:
            problems.append(f"{where}: kind {kind!r} is not one of {', '.join(PLACE_KINDS)}")
            continue
        lat = _number(record.get("lat"), "lat", where, problems)
        lon = _number(record.get("lon"), "lon", where, problems)
        if lat is None or lon is None:
            continue
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            problems.append(f"{where}: {lat}, {lon} is not a latitude/longitude")
            continue
        yield Place(
            name=name,
            name_key=normalize_address(name) if kind == "address" else place_key(name),
            kind=kind,
            latitude=lat,
            longitude=lon,
            postal_code=(record.get("postal_code") or "").strip() or None,
        )
