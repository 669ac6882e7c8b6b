"""Analysis areas, travel costs, the jurisdiction boundary and the place gazetteer: loading them.

Imports check every feature first and write nothing when any is wrong (all or nothing); the
error names the feature and the field.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
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
    """GeoJSON-like features in WGS84 from a GeoJSON FeatureCollection or an ESRI shapefile.

    Coordinates in another coordinate reference system (a GeoJSON ``crs`` member, or the
    shapefile's ``.prj``) are reprojected to WGS84 longitude/latitude with pyproj.
    """
    if Path(path).suffix.lower() == ".shp":
        return _read_shapefile(Path(path))
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise GeographyError([f"{path}: cannot read ({exc})"]) from None
    except json.JSONDecodeError as exc:
        raise GeographyError([f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})"]) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise GeographyError([f"{path}: expected a GeoJSON FeatureCollection"])
    features = data.get("features")
    if not isinstance(features, list):
        raise GeographyError([f"{path}: 'features' must be a list"])
    crs = ((data.get("crs") or {}).get("properties") or {}).get("name", "")
    if crs and not re.search(r"(CRS84|EPSG:?:?4326)$", crs):
        transformer = _to_wgs84(crs, f"{path}: crs")
        if transformer is not None:
            features = [_reprojected(f, transformer) for f in features]
    return features


def _to_wgs84(crs_text: str, where: str) -> Any:
    """A pyproj transformer to WGS84 lon/lat, or None when the CRS already is WGS84."""
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError

    try:
        source = CRS.from_user_input(crs_text)
    except CRSError as exc:
        raise GeographyError([f"{where}: unknown coordinate reference system ({exc})"]) from None
    target = CRS.from_user_input("OGC:CRS84")
    if source.equals(target, ignore_axis_order=True) or source.to_epsg() == 4326:
        return None
    return Transformer.from_crs(source, target, always_xy=True)


def _reprojected(feature: Any, transformer: Any) -> Any:
    """The feature with its geometry in WGS84 (left as it was when it cannot be read)."""
    import numpy as np
    import shapely
    from shapely.geometry import mapping, shape

    if not isinstance(feature, dict) or not isinstance(feature.get("geometry"), dict):
        return feature
    try:
        geom = shape(feature["geometry"])
    except Exception:  # malformed: polygonal_shape reports it
        return feature

    def transform(xy: np.ndarray) -> np.ndarray:
        lon, lat = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return {**feature, "geometry": mapping(shapely.transform(geom, transform))}


def _read_shapefile(path: Path) -> list[dict[str, Any]]:
    import shapefile

    prj = path.with_suffix(".prj")
    if not prj.exists():
        prj = path.with_suffix(".PRJ")
    try:
        reader = shapefile.Reader(str(path), encodingErrors="replace")
    except (OSError, shapefile.ShapefileException) as exc:
        raise GeographyError([f"{path}: cannot read the shapefile ({exc})"]) from None
    with reader:
        features: list[dict[str, Any]] = []
        for shape_record in reader.iterShapeRecords():
            shape, record = shape_record.shape, shape_record.record
            if shape is None or record is None:  # the reader fills both; the type allows None
                raise GeographyError([f"{path}: a shape record without its shape or fields"])
            geometry: Mapping[str, Any]  # a GeoJSON geometry, or a "type" polygonal_shape refuses
            try:
                geometry = shape.__geo_interface__
            except Exception as exc:  # pyshp raises several types for broken shapes
                geometry = {"type": f"an unreadable shape ({exc})"}
            properties = record.as_dict()
            features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    if prj.exists():
        try:
            wkt = prj.read_text("utf-8", errors="replace")
        except OSError as exc:
            raise GeographyError([f"{prj}: cannot read ({exc})"]) from None
        transformer = _to_wgs84(wkt, str(prj))
        if transformer is not None:
            features = [_reprojected(f, transformer) for f in features]
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
    population_csv: Path | None = None,
) -> int:
    """Insert or replace analysis areas from a GeoJSON FeatureCollection or a shapefile.

    ``path`` is GeoJSON, or an ESRI shapefile (``.shp`` with its ``.dbf``, ``.shx`` and, for a
    projected file, ``.prj``); other coordinate systems are reprojected to WGS84. Population
    must be a whole number of people >= 0, from ``population_field`` or, with
    ``population_csv``, from that CSV joined on the area id (:func:`read_population_csv`;
    every area needs a row, rows for other areas are ignored). The demand point is the given
    centre when both centre fields are named, else the CSV's population-weighted centre (Census
    CenPop), else a point guaranteed inside the polygon (shapely ``representative_point``).
    """
    features = _read_features(path)
    table = (
        read_population_csv(population_csv, id_field=id_field, population_field=population_field)
        if population_csv is not None
        else None
    )
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
        given: PopulationRow | None = None
        if table is not None:
            given = table.get(area_id)
            if given is None:
                problems.append(f"{where}: no row for {area_id!r} in {population_csv}")
                continue
            population: float | None = given.population
        else:
            population = _whole_population(
                props.get(population_field), population_field, where, problems
            )
        try:
            geom = polygonal_shape((feature or {}).get("geometry"))
        except ShapeError as exc:
            problems.append(f"{where}: geometry: {exc}")
            continue
        centres = (centre_lat_field, centre_lon_field)
        centre = _demand_point(props, centres, given, geom, where, problems)
        if centre is None or population is None:
            continue
        lat, lon = centre
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


def _whole_population(value: Any, label: str, where: str, problems: list[str]) -> float | None:
    """A population read from an area's properties: a whole number >= 0, else None."""
    population = _number(value, label, where, problems)
    if population is not None and (population < 0 or population != int(population)):
        problems.append(f"{where}: {label} must be a whole number >= 0")
        return None
    return population


def _demand_point(
    props: Mapping[str, Any],
    centre_fields: tuple[str | None, str | None],
    given: PopulationRow | None,
    geom: BaseGeometry,
    where: str,
    problems: list[str],
) -> tuple[float, float] | None:
    """An area's demand point (lat, lon): the named centre fields, the population CSV's
    weighted centre, or a point inside the polygon; None (with a problem) when unreadable."""
    lat_field, lon_field = centre_fields
    if lat_field and lon_field:
        lat = _number(props.get(lat_field), lat_field, where, problems)
        lon = _number(props.get(lon_field), lon_field, where, problems)
        if lat is None or lon is None:
            return None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            problems.append(f"{where}: centre {lat}, {lon} is not a latitude/longitude")
            return None
        return lat, lon
    if given is not None and given.lat is not None and given.lon is not None:
        return given.lat, given.lon
    point: Point = geom.representative_point()
    return point.y, point.x


def _read_csv(path: Path) -> tuple[list[str], list[dict[str | Any, str | Any]]]:
    """A CSV's stripped header and its records (a BOM is dropped); GeographyError if unreadable."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in reader.fieldnames or []]
            records = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise GeographyError([f"{path}: cannot read ({exc})"]) from None
    return header, records


#: Census CenPop 2020 layout (tracts; block groups add BLKGRPCE).
CENPOP_COLUMNS = ("STATEFP", "COUNTYFP", "TRACTCE", "POPULATION", "LATITUDE", "LONGITUDE")
_ID_COLUMNS = ("GEOID", "GEO_ID", "area_id", "id")
_POPULATION_COLUMNS = ("POPULATION", "population", "B01003_001E", "P1_001N", "pop_2020")


@dataclass(frozen=True)
class PopulationRow:
    population: int
    lat: float | None = None
    lon: float | None = None


def read_population_csv(
    path: Path, *, id_field: str = "area_id", population_field: str = "population"
) -> dict[str, PopulationRow]:
    """Population (and maybe a population-weighted centre) per area id from a CSV.

    Layouts: the Census CenPop 2020 file (``STATEFP,COUNTYFP,TRACTCE[,BLKGRPCE],POPULATION,
    LATITUDE,LONGITUDE``; the id is the GEOID, state + county + tract [+ block group], and
    LATITUDE/LONGITUDE are the population-weighted centre); or any CSV with an id column
    (``id_field``, else GEOID / GEO_ID / area_id) and a population column (``population_field``,
    else POPULATION / B01003_001E, ACS total population). ACS ``GEO_ID`` values such as
    ``1400000US35001000107`` are reduced to the GEOID, and the ACS label row is skipped.
    """
    header, records = _read_csv(path)
    problems: list[str] = []
    table: dict[str, PopulationRow] = {}
    cenpop = all(c in header for c in CENPOP_COLUMNS)
    columns = None if cenpop else _plain_columns(header, path, id_field, population_field)
    for line, raw in enumerate(records, start=2):
        record = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        where = f"{path} line {line}"
        lat = lon = None
        if columns is None:
            cenpop_row = _cenpop_record(record, where, problems)
            if cenpop_row is None:
                continue
            area_id, value, lat, lon = cenpop_row
        else:
            plain_row = _plain_record(record, columns)
            if plain_row is None:
                continue  # the second (label) header row of data.census.gov downloads
            area_id, value = plain_row
        if not area_id:
            problems.append(f"{where}: the area id is missing")
            continue
        population = _number(value, "population", where, problems)
        if population is None:
            continue
        if population < 0 or population != int(population):
            problems.append(f"{where}: population must be a whole number >= 0")
            continue
        if area_id in table:
            problems.append(f"{where}: area {area_id!r} appears twice")
            continue
        table[area_id] = PopulationRow(int(population), lat, lon)
    if problems:
        raise GeographyError(problems)
    return table


def _plain_columns(
    header: Sequence[str], path: Path, id_field: str, population_field: str
) -> tuple[str, str]:
    """The (id, population) columns of a CSV that is not in the CenPop layout."""
    id_col = next((c for c in (id_field, *_ID_COLUMNS) if c in header), None)
    pop_col = next((c for c in (population_field, *_POPULATION_COLUMNS) if c in header), None)
    if id_col is None or pop_col is None:
        missing = id_field if id_col is None else population_field
        raise GeographyError(
            [
                f"{path}: no {missing!r} column; expected the Census CenPop layout "
                f"({','.join(CENPOP_COLUMNS)}) or columns {id_field!r} and "
                f"{population_field!r}"
            ]
        )
    return id_col, pop_col


def _plain_record(record: Mapping[str, str], columns: tuple[str, str]) -> tuple[str, str] | None:
    """(area id, population text) of a plain CSV row; None for the ACS label row."""
    id_col, pop_col = columns
    area_id = record[id_col]
    if id_col == "GEO_ID" and area_id == "Geography":
        return None
    if "US" in area_id:  # ACS GEO_ID such as 1400000US35001000107
        area_id = area_id.split("US", 1)[1]
    return area_id, record[pop_col]


def _cenpop_record(
    record: Mapping[str, str], where: str, problems: list[str]
) -> tuple[str, str, float, float] | None:
    """(GEOID, population text, lat, lon) of a CenPop row; None (with a problem) if unreadable."""
    area_id = record["STATEFP"] + record["COUNTYFP"] + record["TRACTCE"]
    area_id += record.get("BLKGRPCE", "")
    lat = _number(record["LATITUDE"], "LATITUDE", where, problems)
    lon = _number(record["LONGITUDE"], "LONGITUDE", where, problems)
    if lat is None or lon is None:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        problems.append(f"{where}: {lat}, {lon} is not a latitude/longitude")
        return None
    return area_id, record["POPULATION"], lat, lon


def import_travel_costs_csv(session: Session, path: Path, *, replace: bool = False) -> int:
    """Load supplied travel times (CSV ``area_id,location_id,minutes``), all or nothing.

    Each pair replaces the estimate for that area and location everywhere (spec/api.md 6).
    Pairs already stored are updated; with ``replace`` every stored pair is deleted first.
    Unknown areas or locations, bad or negative minutes and repeated pairs are refused with
    their line numbers.
    """
    from sqlalchemy import select

    from ..models import Location, TravelCost

    header, records = _read_csv(path)
    missing = [c for c in ("area_id", "location_id", "minutes") if c not in header]
    if missing:
        raise GeographyError([f"{path}: missing column(s) {', '.join(missing)}"])
    areas = set(session.scalars(select(AnalysisArea.id)))
    locations = set(session.scalars(select(Location.id)))
    problems: list[str] = []
    pairs: dict[tuple[str, str], float] = {}
    for line, raw in enumerate(records, start=2):
        record = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        where = f"line {line}"
        area_id, location_id = record.get("area_id", ""), record.get("location_id", "")
        if area_id not in areas:
            problems.append(f"{where}: area_id {area_id!r} is not a loaded analysis area")
        if location_id not in locations:
            problems.append(f"{where}: location_id {location_id!r} is not a known location")
        minutes = _number(record.get("minutes"), "minutes", where, problems)
        if minutes is not None and not (minutes >= 0 and minutes != float("inf")):
            problems.append(f"{where}: minutes must be a finite number >= 0")
            continue
        if (area_id, location_id) in pairs:
            problems.append(f"{where}: the pair {area_id}, {location_id} appears twice")
            continue
        if minutes is not None and area_id in areas and location_id in locations:
            pairs[(area_id, location_id)] = minutes
    if not records:
        problems.append(f"{path}: the file has no rows")
    if problems:
        raise GeographyError(problems)
    if replace:
        session.execute(delete(TravelCost))
    for (area_id, location_id), minutes in pairs.items():
        session.merge(TravelCost(area_id=area_id, location_id=location_id, minutes=minutes))
    session.flush()
    return len(pairs)


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
