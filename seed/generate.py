#!/usr/bin/env python3
"""Generate the fictional "Juniper County" demo data set (see seed/README.md).

    python seed/generate.py             # (re)write seed/demo/*
    python seed/generate.py --out DIR   # write the same files into DIR
    python seed/generate.py --check     # regenerate into a temp dir; exit 1 if seed/demo differs

Deterministic: every random choice comes from ``random.Random`` seeded with a fixed string, every
id is ``uuid.uuid5(NAMESPACE, "<readable key>")``, "today" is ``REFERENCE_DATE`` (never the
clock) and all output is written with sorted keys and a stable order, so two runs produce
byte-identical files. Needs the standard library, shapely, the PMHC taxonomy
(pmhc_directory/data/taxonomy.json) and the ZIP gazetteer in ``<repo>/../shared``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import random
import sys
import tempfile
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import shapely
from shapely.geometry import MultiPoint, Point, Polygon, mapping
from shapely.geometry.polygon import orient

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
ZIP_CSV = SHARED / "data" / "us_zip_gazetteer" / "us_zip_centroids.csv"
TAXONOMY_JSON = REPO / "pmhc_directory" / "data" / "taxonomy.json"
DEFAULT_OUT = REPO / "seed" / "demo"
OUTPUT_FILES = (
    "services.json",
    "areas.geojson",
    "boundary.geojson",
    "places.csv",
    "encounters.csv",
    "capacity.csv",
)

# Fixed namespace of every generated id (uuid5 of this and a readable key).
NAMESPACE = uuid.UUID("7635df98-7c3d-4fe9-afa1-8170c87d80c0")
SEED = "pmhc-juniper-county-v1"
# The data's "today": capacities, verification dates and seasonal hours are relative to it.
REFERENCE_DATE = date(2026, 11, 1)
# Standard (winter) offset of America/Denver, used for capacity reports.
MOUNTAIN_STANDARD = timezone(timedelta(hours=-7))
TIME_ZONE = "America/Denver"

COUNTY = "Juniper County"
SEAT = "Cedar Bluff"
STATE = "NM"
STATE_FIPS = "99"  # fictional: no real state uses 99
COUNTY_FIPS = "001"

# Real coordinates: the county is centred here; x/y below are kilometres east/north of it.
CENTRE_LAT = 35.10
CENTRE_LON = -106.62
KM_PER_DEG_LAT = 110.95
KM_PER_DEG_LON = 111.32 * math.cos(math.radians(CENTRE_LAT))
DECIMALS = 5


def uid(*parts: str) -> str:
    """A stable id: uuid5 of the fixed namespace and a readable key."""
    return str(uuid.uuid5(NAMESPACE, ":".join(parts)))


def rng_for(*parts: str) -> random.Random:
    """An independent, seeded random stream per concern, so editing one table moves nothing else."""
    return random.Random(":".join((SEED, *parts)))


def km_to_lonlat(x: float, y: float) -> tuple[float, float]:
    lon = round(CENTRE_LON + x / KM_PER_DEG_LON, DECIMALS)
    lat = round(CENTRE_LAT + y / KM_PER_DEG_LAT, DECIMALS)
    return lon, lat


def geom_km_to_lonlat(geom):
    """Project a km-plane geometry to lon/lat rounded to DECIMALS (vectorised by shapely)."""
    scale = [1 / KM_PER_DEG_LON, 1 / KM_PER_DEG_LAT]
    offset = [CENTRE_LON, CENTRE_LAT]
    return shapely.transform(geom, lambda c: (c * scale + offset).round(DECIMALS))


def snap(geom):
    """Round coordinates to DECIMALS again after a GEOS operation. GEOS versions compute
    grid-snapped values differently in the last bits (35.10001 vs 35.100010000000005); this
    keeps the output byte-identical across shapely/GEOS builds."""
    return shapely.transform(geom, lambda c: c.round(DECIMALS))


def geojson_geometry(geom) -> dict:
    """GeoJSON dict with counter-clockwise exteriors (RFC 7946) and list coordinates; rings are
    normalised first so that the starting vertex does not depend on the GEOS version."""
    geom = shapely.normalize(snap(geom))
    if geom.geom_type == "Polygon":
        geom = orient(geom, 1.0)
    elif geom.geom_type == "MultiPolygon":
        geom = shapely.MultiPolygon([orient(p, 1.0) for p in geom.geoms])
    return json.loads(json.dumps(mapping(geom)))


# --------------------------------------------------------------------------------------------
# Geography: boundary, tract-like areas, gazetteer
# --------------------------------------------------------------------------------------------

# Towns of the fictional county: name -> (x km, y km, radius km of the built-up area).
TOWNS = {
    SEAT: (0.0, 0.0, 12.5),
    "Willow Flats": (-19.0, 14.0, 3.0),
    "Pinyon Gap": (20.5, 8.5, 3.0),
    "Saltbrush": (-16.0, -14.0, 3.0),
    "Coyote Wells": (16.0, -13.0, 3.0),
}
CORE_TRACTS = 100
TOWN_TRACTS = 3
RURAL_TRACTS = 38


def county_outline_km() -> Polygon:
    """An irregular ~59 km x 45 km outline: surveyed straight lines north and south, a ridge
    line on the east and a meandering river on the west."""
    rng = rng_for("boundary")
    pts = [(-27.5, 21.0), (11.5, 21.0), (11.5, 23.0), (27.0, 23.0)]
    pts += [(28.5 + rng.uniform(-1.5, 1.5), y) for y in (17.0, 11.0, 5.0, -1.0, -7.0, -13.0)]
    pts += [(26.0, -21.5), (-4.0, -22.0), (-4.0, -19.5), (-21.0, -19.5)]
    y = -19.5
    while y < 21.0:
        pts.append((-27.0 + 2.2 * math.sin(y / 4.3) + rng.uniform(-0.6, 0.6), y))
        y += 1.5
    outline = Polygon(pts)
    if not outline.is_valid:
        raise ValueError("the county outline is not a valid polygon")
    return outline


def sample_points(rng, count, draw, accept, min_dist, existing):
    points: list[tuple[float, float]] = []
    tries = 0
    while len(points) < count:
        tries += 1
        if tries > 200_000:
            raise RuntimeError("could not place tract seeds; relax the spacing")
        x, y = draw()
        if not accept(x, y):
            continue
        if all(math.dist((x, y), p) >= min_dist for p in existing + points):
            points.append((round(x, 4), round(y, 4)))
    return points


def tract_seeds(outline: Polygon) -> list[dict]:
    """Seed points: dense in the urban core of Cedar Bluff and the four small towns, sparse
    across the rural remainder."""
    rng = rng_for("seeds")
    inner = outline.buffer(-0.8)
    minx, miny, maxx, maxy = outline.bounds
    seeds: list[dict] = []
    placed: list[tuple[float, float]] = []

    def inside(x, y):
        return inner.contains(Point(x, y))

    core = sample_points(
        rng,
        CORE_TRACTS,
        lambda: (rng.gauss(0.0, 4.6), rng.gauss(0.0, 4.6)),
        lambda x, y: math.hypot(x, y) <= 11.5 and inside(x, y),
        1.15,
        placed,
    )
    placed += core
    seeds += [{"xy": p, "kind": "urban", "zone": SEAT} for p in core]
    for town, (tx, ty, radius) in TOWNS.items():
        if town == SEAT:
            continue
        pts = sample_points(
            rng,
            TOWN_TRACTS,
            lambda tx=tx, ty=ty: (tx + rng.uniform(-2.2, 2.2), ty + rng.uniform(-2.2, 2.2)),
            lambda x, y, tx=tx, ty=ty, r=radius: (
                math.hypot(x - tx, y - ty) <= r - 0.8 and inside(x, y)
            ),
            1.4,
            placed,
        )
        placed += pts
        seeds += [{"xy": p, "kind": "urban", "zone": town} for p in pts]

    def rural_ok(x, y):
        if not inside(x, y):
            return False
        return all(math.hypot(x - tx, y - ty) > r + 0.6 for tx, ty, r in TOWNS.values())

    rural = sample_points(
        rng,
        RURAL_TRACTS,
        lambda: (rng.uniform(minx, maxx), rng.uniform(miny, maxy)),
        rural_ok,
        3.6,
        placed,
    )
    seeds += [{"xy": p, "kind": "rural", "zone": "rural"} for p in rural]
    return seeds


def serpentine_order(seeds: list[dict]) -> list[dict]:
    """Number tracts the way a census map reads: 3 km bands from north to south, alternating
    west-east and east-west."""

    def key(s):
        x, y = s["xy"]
        band = math.floor((25.0 - y) / 3.0)
        return (band, x if band % 2 == 0 else -x)

    return sorted(seeds, key=key)


def assign_tract_numbers(seeds: list[dict]) -> None:
    """Census-style numbers: urban tracts 1..n, rural ones from 9401; some numbers were split
    (Tract 12.01, Tract 12.02), the rest are whole (Tract 7)."""
    rng = rng_for("tract-numbers")
    for kind, first in (("urban", 1), ("rural", 9401)):
        group = serpentine_order([s for s in seeds if s["kind"] == kind])
        number = first
        i = 0
        while i < len(group):
            size = min(rng.choices((1, 2, 3), weights=(6, 3, 1))[0], len(group) - i)
            for j in range(size):
                suffix = j + 1 if size > 1 else 0
                group[i + j]["tract"] = number * 100 + suffix
            i += size
            number += 1 if kind == "urban" else rng.choice((1, 1, 2))


def tract_name(code: int) -> str:
    whole, suffix = divmod(code, 100)
    return f"Tract {whole}" if suffix == 0 else f"Tract {whole}.{suffix:02d}"


def build_geography() -> dict:
    outline_km = county_outline_km()
    seeds = tract_seeds(outline_km)
    cells = shapely.voronoi_polygons(MultiPoint([s["xy"] for s in seeds]), extend_to=outline_km)
    outline_ll = geom_km_to_lonlat(outline_km)
    for cell in cells.geoms:
        owners = [s for s in seeds if cell.contains(Point(s["xy"]))]
        if len(owners) != 1:
            raise ValueError("every Voronoi cell must hold exactly one seed")
        # Clip on the 5-decimal grid so that the rounded cells tile the rounded outline.
        clipped = snap(
            shapely.intersection(geom_km_to_lonlat(cell), outline_ll, grid_size=10**-DECIMALS)
        )
        if clipped.geom_type != "Polygon":
            raise RuntimeError(f"tract at {owners[0]['xy']} is {clipped.geom_type}")
        owners[0]["polygon"] = clipped
    assign_tract_numbers(seeds)

    rng = rng_for("population")
    for seed in serpentine_order(seeds):
        if seed["kind"] == "urban":
            seed["population"] = round(rng.triangular(2500, 6000, 3000))
        else:
            seed["population"] = round(rng.triangular(800, 3000, 1500))
    total = sum(s["population"] for s in seeds)
    if not 480_000 <= total <= 520_000:
        raise RuntimeError(f"population {total} is not about 500,000")

    boundary = snap(shapely.union_all([s["polygon"] for s in seeds]))
    if boundary.geom_type != "Polygon" or boundary.interiors:
        raise RuntimeError("tracts do not tile the county")
    for seed in seeds:
        poly = seed["polygon"]
        if not (poly.is_valid and boundary.covers(poly)):
            raise RuntimeError(f"tract {seed['tract']} is invalid or outside the county")
        # Population-weighted centre: between the seed (where housing clusters) and the
        # geometric centroid; always a point inside the polygon.
        sx, sy = km_to_lonlat(*seed["xy"])
        c = poly.centroid
        centre = Point(
            round(0.55 * sx + 0.45 * c.x, DECIMALS), round(0.55 * sy + 0.45 * c.y, DECIMALS)
        )
        if not poly.contains(centre):
            rp = poly.representative_point()
            centre = Point(round(rp.x, DECIMALS), round(rp.y, DECIMALS))
        if not poly.contains(centre):
            raise RuntimeError(f"no interior centre for tract {seed['tract']}")
        seed["centre"] = centre
    return {"outline_km": outline_km, "boundary": boundary, "tracts": seeds}


def areas_collection(geo: dict) -> dict:
    features = []
    for seed in sorted(geo["tracts"], key=lambda s: s["tract"]):
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "area_id": f"{STATE_FIPS}{COUNTY_FIPS}{seed['tract']:06d}",
                    "name": tract_name(seed["tract"]),
                    "population": seed["population"],
                    "centre_lat": seed["centre"].y,
                    "centre_lon": seed["centre"].x,
                },
                "geometry": geojson_geometry(seed["polygon"]),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def boundary_collection(geo: dict) -> dict:
    feature = {
        "type": "Feature",
        "properties": {"name": COUNTY},
        "geometry": geojson_geometry(geo["boundary"]),
    }
    return {"type": "FeatureCollection", "features": [feature]}


def district(geo: dict, keep) -> object:
    """Union of whole tracts: service areas line up exactly with the analysis areas."""
    parts = [s["polygon"] for s in geo["tracts"] if keep(s)]
    merged = snap(shapely.union_all(parts))
    if not merged.is_valid or merged.is_empty:
        raise RuntimeError("district union is invalid")
    return merged


def service_area_geometries(geo: dict) -> dict[str, tuple[str, str, object]]:
    """key -> (name, description, geometry) of the areas that services can operate in."""

    def core(s):
        return s["zone"] == SEAT

    def east(s):
        return s["zone"] in ("Pinyon Gap", "Coyote Wells") or (
            s["kind"] == "rural" and s["xy"][0] > 0
        )

    return {
        "county": (COUNTY, "The whole county.", geo["boundary"]),
        "city": (
            f"{SEAT} city limits",
            f"Incorporated {SEAT}; residents of other towns are not eligible.",
            district(geo, core),
        ),
        "westside": (
            f"{SEAT} Westside",
            f"{SEAT} west of the Depot Street rail line.",
            district(geo, lambda s: core(s) and s["xy"][0] < 0),
        ),
        "downtown": (
            "Downtown and Depot District",
            "Central Cedar Bluff within about 3.5 km of the courthouse.",
            district(geo, lambda s: core(s) and math.hypot(*s["xy"]) <= 3.5),
        ),
        "unincorporated": (
            f"{COUNTY} outside {SEAT}",
            "Unincorporated county and the small towns, patrolled by the Sheriff.",
            district(geo, lambda s: not core(s)),
        ),
        "east-county": (
            "East County district",
            "Pinyon Gap, Coyote Wells and the rural east of the county.",
            district(geo, east),
        ),
    }


# Gazetteer: name -> (kind, x km, y km). Landmarks that host services share coordinates with
# their locations below.
PLACES = {
    SEAT: ("place", 0.0, 0.0),
    "Depot District": ("place", 0.4, -0.9),
    "Foundry Row": ("place", -2.1, -1.6),
    "Lark Hill": ("place", 4.3, 5.4),
    "Mesa Alta": ("place", 8.2, 1.1),
    "Quail Run": ("place", 6.1, -6.2),
    "Sunset Terrace": ("place", -7.2, 3.1),
    "Granary Flats": ("place", -4.1, -7.0),
    "Vireo Heights": ("place", 2.1, 8.9),
    "Copperleaf": ("place", -8.9, -3.9),
    "Wren Hollow": ("place", 9.1, -2.4),
    "Thistle Ridge": ("place", -3.2, 8.1),
    "Bosque Lindo": ("place", -5.3, 0.2),
    "Willow Flats": ("place", -19.0, 14.0),
    "Pinyon Gap": ("place", 20.5, 8.5),
    "Saltbrush": ("place", -16.0, -14.0),
    "Coyote Wells": ("place", 16.0, -13.0),
    "Red Tank": ("place", -22.5, -2.5),
    "Windmill Junction": ("place", 23.5, -3.5),
    "Cedar Bluff General Hospital": ("landmark", 1.5, 2.0),
    "Juniper Valley University": ("landmark", 3.1, -0.9),
    "Juniper Valley University Hospital": ("landmark", 2.5, 0.5),
    "Cedar Bluff Transit Center": ("landmark", 0.2, -0.3),
    "Mesa Ridge Mall": ("landmark", 7.6, 3.4),
    "Lark Hill Shopping Center": ("landmark", 4.6, 5.7),
    "Copperleaf Plaza": ("landmark", -8.4, -3.4),
    "Heron Pond Park": ("landmark", -5.6, 1.6),
    "Sandstone Bluffs Park": ("landmark", -2.9, 4.2),
    "Bosque Lindo Nature Preserve": ("landmark", -6.4, -1.7),
    "Juniper County Fairgrounds": ("landmark", 6.0, -4.1),
    "Juniper County Courthouse": ("landmark", 0.6, 0.3),
    "Cedar Bluff Police Headquarters": ("landmark", 0.8, -0.2),
    "Juniper County Detention Center": ("landmark", -11.5, -12.0),
    "Juniper County Public Library": ("landmark", 0.1, 0.7),
    "Flint Ridge Ballpark": ("landmark", 1.6, -2.6),
    "Juniper Community College": ("landmark", 2.2, 9.6),
    "Cedar Bluff Municipal Airport": ("landmark", 4.0, -13.5),
    "Pinyon Gap Trailhead": ("landmark", 22.6, 10.4),
    "Saltbrush Community Center": ("landmark", -16.2, -14.3),
    "Coyote Wells Travel Center": ("landmark", 16.6, -12.4),
}


def load_zip_centroids() -> list[tuple[str, float, float]]:
    if not ZIP_CSV.is_file():
        sys.exit(f"{ZIP_CSV} not found: the generator reads real ZIP centroids from ../shared")
    rows = []
    with ZIP_CSV.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["state"] != STATE or row["zip_type"] != "Standard" or not row["lat"]:
                continue
            if not row["population"] or int(float(row["population"])) <= 0:
                continue
            rows.append((row["zip"], float(row["lat"]), float(row["lon"])))
    if not rows:
        sys.exit(f"no {STATE} ZIP centroids in {ZIP_CSV}")
    return sorted(rows)


def nearest_zip(zips, lat: float, lon: float) -> str:
    def dist(z):
        return math.hypot((z[1] - lat) * KM_PER_DEG_LAT, (z[2] - lon) * KM_PER_DEG_LON)

    return min(zips, key=lambda z: (dist(z), z[0]))[0]


def places_csv(geo: dict, zips) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "kind", "lat", "lon", "postal_code"])
    for name, (kind, x, y) in sorted(PLACES.items(), key=lambda kv: (kv[1][0], kv[0])):
        lon, lat = km_to_lonlat(x, y)
        if not geo["boundary"].contains(Point(lon, lat)):
            raise RuntimeError(f"place {name} is outside the county")
        writer.writerow([name, kind, f"{lat:.5f}", f"{lon:.5f}", nearest_zip(zips, lat, lon)])
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# Locations
# --------------------------------------------------------------------------------------------

STREETS = (
    "Larkspur Ave",
    "Copperleaf Rd",
    "Saltcedar St",
    "Flint Ridge Rd",
    "Tinder Mesa Blvd",
    "Bluestem Ave",
    "Granary St",
    "Stockyard Rd",
    "Foundry Way",
    "Wren Hollow Ln",
    "Vireo Ave",
    "Kestrel Pkwy",
    "Sagebrush Trl",
    "Windmill Rd",
    "Cedar Bluff Blvd",
    "Depot St",
    "Mica St",
    "Agate Ave",
    "Obsidian Dr",
    "Rabbitbrush Rd",
    "Thistle St",
    "Adobe Kiln Rd",
    "Old Wagon Rd",
    "Ridgeback Dr",
    "Heron Pond Dr",
    "Sandstone Ave",
    "Quail Run Blvd",
    "Mesa Alta Dr",
    "Lantern Ln",
    "Cinder Cone Rd",
)

# key -> name, x km, y km, extras (street to force one; address_2; description;
# transportation; accessibility; schedules at the location itself).
LOCATIONS: dict[str, dict] = {
    "jcbha-office": {"name": "Behavioral Health Authority Building", "x": 0.9, "y": 0.4},
    "westside-crc": {
        "name": "Westside Crisis Receiving Center",
        "x": -6.5,
        "y": 1.2,
        "transportation": "Route 4 bus stops at the door; law enforcement bay on the north side.",
    },
    "mesaridge-crc": {
        "name": "Mesa Ridge Crisis Center, Receiving Building",
        "x": 2.2,
        "y": -1.6,
        "street": "Granary St",
        "transportation": "Sally port for patrol cars off Granary St; Route 1 and 7 buses.",
    },
    "mesaridge-csu": {
        "name": "Mesa Ridge Crisis Center, Stabilization Building",
        "x": 2.3,
        "y": -1.7,
        "street": "Granary St",
    },
    "youth-crc": {"name": "Larkspur Youth Crisis Center", "x": 4.6, "y": 3.3},
    "heron-csu": {"name": "Heron Pond Stabilization House", "x": -3.8, "y": 5.2},
    "sagebrush-respite": {"name": "Sagebrush House", "x": -1.8, "y": 3.4},
    "larkhill-respite": {"name": "Lark Hill Respite House", "x": 4.2, "y": 5.8},
    "sobering-downtown": {
        "name": "Depot District Sobering Center",
        "x": 0.3,
        "y": -0.9,
        "street": "Depot St",
    },
    "sobering-fairgrounds": {
        "name": "Fairgrounds Sobering Station",
        "x": 6.0,
        "y": -4.1,
        "description": "Modular building at gate 3 of the Juniper County Fairgrounds.",
    },
    "wm-center": {"name": "High Desert Withdrawal Management Center", "x": -2.6, "y": -2.8},
    "cbgh": {"name": "Cedar Bluff General Hospital", "x": 1.5, "y": 2.0},
    "jvuh": {"name": "Juniper Valley University Hospital", "x": 2.5, "y": 0.5},
    "jvu-psych": {
        "name": "University Psychiatry Clinic",
        "x": 2.7,
        "y": 0.8,
        "address_2": "Pavilion B, 3rd floor",
    },
    "canyongate": {"name": "Canyon Gate Behavioral Health Center", "x": 3.4, "y": -0.4},
    "kestrel-downtown": {"name": "Kestrel Medical, Depot Clinic", "x": 0.7, "y": -1.9},
    "kestrel-south": {"name": "Kestrel Medical, Granary Flats Clinic", "x": -4.0, "y": -7.3},
    "kestrel-east": {"name": "Kestrel Medical, Mesa Alta Clinic", "x": 8.5, "y": 1.2},
    "saltcedar-main": {"name": "Saltcedar Community Health Center", "x": -4.5, "y": -6.5},
    "saltcedar-willow": {
        "name": "Saltcedar Willow Flats Clinic",
        "x": -19.2,
        "y": 13.6,
        "schedules": "willow-clinic",
    },
    "saltcedar-pinyon": {"name": "Saltcedar Pinyon Gap Clinic", "x": 20.7, "y": 8.2},
    "bluestem-main": {
        "name": "Bluestem Counseling, Lark Hill Office",
        "x": 5.2,
        "y": 2.2,
        "address_2": "Suite 200",
        "accessibility": "Elevator and step-free entrance; ASL interpreters on staff.",
    },
    "bluestem-west": {"name": "Bluestem Counseling, Copperleaf Office", "x": -8.2, "y": -3.0},
    "highdesert-op": {"name": "High Desert Recovery, Foundry Row", "x": -1.0, "y": -3.6},
    "highdesert-east": {"name": "High Desert Recovery, Wren Hollow", "x": 7.4, "y": -2.4},
    "highdesert-women": {"name": "High Desert Recovery, Women's Program", "x": 2.8, "y": -5.0},
    "larkspur-main": {"name": "Larkspur Family Services", "x": 4.8, "y": 3.0},
    "lotus": {"name": "Lotus Bridge Community Services", "x": -2.9, "y": -1.1},
    "skyloom": {"name": "Sky Loom Native Wellness Center", "x": -0.5, "y": 1.8},
    "prism": {"name": "Prism Youth Drop-in Center", "x": 1.1, "y": 1.2},
    "peervoices-rcc": {
        "name": "Peer Voices Recovery Community Center",
        "x": 0.0,
        "y": -0.5,
        "schedules": "rcc",
    },
    "peervoices-office": {"name": "Peer Voices Community Room", "x": 0.5, "y": 0.9},
    "highmesa": {"name": "High Mesa Veterans Center", "x": 6.8, "y": 4.6},
    "seniors": {"name": "Thistle Ridge Senior Center", "x": -4.2, "y": 6.6},
    "foundry-office": {"name": "Foundry Street Housing Alliance", "x": -1.5, "y": -1.3},
    "foundry-th": {"name": "Granary Flats Transitional Residence", "x": -3.3, "y": -4.2},
    "depot-shelter": {"name": "Depot Street Shelter", "x": 0.5, "y": -1.4, "street": "Depot St"},
    "winter-shelter": {"name": "Foundry Street Winter Shelter", "x": -1.9, "y": -1.9},
    "wren-th": {"name": "Wren House Transitional Apartments", "x": -5.0, "y": 3.7},
    "recovery-men": {"name": "Old Wagon Recovery Residence", "x": -6.1, "y": -5.4},
    "agate-house": {"name": "Agate House", "x": 3.9, "y": -3.3, "street": "Agate Ave"},
    "courthouse": {"name": "Juniper County Courthouse", "x": 0.6, "y": 0.3},
    "probation": {"name": "Adult Probation and Parole, Central Office", "x": 1.8, "y": -0.7},
    "detention": {"name": "Juniper County Detention Center", "x": -11.5, "y": -12.0},
    "opengate": {"name": "Open Gate Reentry Center", "x": -0.8, "y": -2.2},
    "cbpd-hq": {"name": "Cedar Bluff Police Headquarters", "x": 0.8, "y": -0.2},
    "jcso-pinyon": {"name": "Sheriff's Office, Pinyon Gap Substation", "x": 20.2, "y": 8.9},
    "community-safety": {"name": "Community Safety Department Base", "x": -1.2, "y": 0.6},
}


def town_of(x: float, y: float) -> str:
    """Address city: Cedar Bluff inside its built-up radius, otherwise the nearest town."""
    if math.hypot(x, y) <= TOWNS[SEAT][2]:
        return SEAT
    others = [(math.hypot(x - tx, y - ty), name) for name, (tx, ty, _) in TOWNS.items()]
    return min(o for o in others if o[1] != SEAT)[1]


def build_location(key: str, spec: dict, zips, boundary) -> dict:
    rng = rng_for("address", key)
    lon, lat = km_to_lonlat(spec["x"], spec["y"])
    if not boundary.contains(Point(lon, lat)):
        raise RuntimeError(f"location {key} is outside the county")
    loc_id = uid("location", key)
    street = spec.get("street") or rng.choice(STREETS)
    address = {
        "id": uid("address", key),
        "location_id": loc_id,
        "address_1": f"{rng.randrange(100, 9900, 2) + rng.choice((0, 1))} {street}",
        "city": town_of(spec["x"], spec["y"]),
        "state_province": STATE,
        "postal_code": nearest_zip(zips, lat, lon),
        "country": "US",
        "address_type": "physical",
    }
    if spec.get("address_2"):
        address["address_2"] = spec["address_2"]
    location = {
        "id": loc_id,
        "location_type": "physical",
        "name": spec["name"],
        "latitude": lat,
        "longitude": lon,
        "addresses": [address],
    }
    for field in ("description", "transportation"):
        if spec.get(field):
            location[field] = spec[field]
    if spec.get("accessibility"):
        location["accessibility"] = [
            {
                "id": uid("accessibility", key),
                "location_id": loc_id,
                "description": spec["accessibility"],
            }
        ]
    if spec.get("schedules"):
        location["schedules"] = schedule_objects(
            "location_id", loc_id, f"location:{key}", LOCATION_HOURS[spec["schedules"]]
        )
    return location


# --------------------------------------------------------------------------------------------
# Schedules (docs/hsds-conventions.md: one row per opening window)
# --------------------------------------------------------------------------------------------

DAY_NAMES = {
    "MO": "Monday",
    "TU": "Tuesday",
    "WE": "Wednesday",
    "TH": "Thursday",
    "FR": "Friday",
    "SA": "Saturday",
    "SU": "Sunday",
}
WEEKDAYS = "MO,TU,WE,TH,FR"
ALL_DAYS = "MO,TU,WE,TH,FR,SA,SU"


def describe_days(byday: str) -> str:
    days = byday.split(",")
    if byday == ALL_DAYS:
        return "Every day"
    order = list(DAY_NAMES)
    idx = [order.index(d) for d in days]
    if len(days) > 2 and idx == list(range(idx[0], idx[0] + len(idx))):
        return f"{DAY_NAMES[days[0]]} to {DAY_NAMES[days[-1]]}"
    names = [DAY_NAMES[d] for d in days]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def weekly(byday: str, opens: str, closes: str, description: str | None = None, **extra) -> dict:
    if description is None:
        description = f"{describe_days(byday)} {opens}-{closes}"
        if closes <= opens:
            description += " (closes the next morning)"
    return {
        "freq": "WEEKLY",
        "byday": byday,
        "opens_at": opens,
        "closes_at": closes,
        "description": description,
        **extra,
    }


def monthly(byday: str, opens: str, closes: str, description: str) -> dict:
    return {
        "freq": "MONTHLY",
        "byday": byday,
        "opens_at": opens,
        "closes_at": closes,
        "description": description,
    }


def closure(valid_from: str, valid_to: str, description: str) -> dict:
    """A schedule with dates and no times: closed on those days."""
    return {"valid_from": valid_from, "valid_to": valid_to, "description": description}


H24 = [weekly(ALL_DAYS, "00:00", "23:59", "Open 24 hours a day, 7 days a week")]
OFFICE = [weekly(WEEKDAYS, "08:00", "17:00")]
SPLIT = [weekly("MO,TU,WE,TH", "09:00", "12:00"), weekly("MO,TU,WE,TH", "13:00", "17:00")]
THANKSGIVING = closure("2026-11-26", "2026-11-27", "Closed for Thanksgiving")

LOCATION_HOURS = {
    "willow-clinic": [weekly("MO,TU,WE,TH", "08:00", "18:00")],
    "rcc": [weekly("MO,TU,WE,TH,FR,SA", "10:00", "18:00")],
}


def schedule_objects(owner_field: str, owner_id: str, owner_key: str, specs) -> list[dict]:
    rows = []
    for i, spec in enumerate(specs):
        rows.append({"id": uid("schedule", owner_key, str(i)), owner_field: owner_id, **spec})
    return rows


# --------------------------------------------------------------------------------------------
# Organizations and services
# --------------------------------------------------------------------------------------------

ORGANIZATIONS = {
    "jcbha": (
        "Juniper County Behavioral Health Authority",
        "County agency that funds and runs the public crisis system: the local crisis line, the "
        "county mobile crisis team and the Westside crisis receiving center.",
        "jcbha",
    ),
    "mesaridge": (
        "Mesa Ridge Crisis Center",
        "Nonprofit crisis provider operating the adult crisis receiving center, a crisis "
        "stabilization unit and the urban mobile crisis team.",
        "mesaridge",
    ),
    "cbpd": (
        "Cedar Bluff Police Department",
        "Municipal police department of Cedar Bluff. Runs the co-responder unit and the "
        "Pathways pre-arrest diversion program.",
        "cbpd",
    ),
    "jcso": (
        "Juniper County Sheriff's Office",
        "Law enforcement for unincorporated Juniper County and the small towns.",
        "jcso",
    ),
    "cbcsd": (
        "Cedar Bluff Community Safety Department",
        "Civilian city department that sends unarmed responders to behavioral health and "
        "welfare calls.",
        "safety",
    ),
    "cbgh": (
        "Cedar Bluff General Hospital",
        "Community hospital with a psychiatric emergency service and an adult behavioral "
        "health unit.",
        "cbgeneral",
    ),
    "jvuh": (
        "Juniper Valley University Hospital",
        "Teaching hospital of Juniper Valley University: psychiatric emergency care, an "
        "adolescent inpatient unit and psychiatry clinics.",
        "jvuhealth",
    ),
    "highdesert": (
        "High Desert Recovery Services",
        "Substance use treatment nonprofit: sobering, withdrawal management, outpatient "
        "treatment and recovery residences.",
        "highdesert",
    ),
    "bluestem": (
        "Bluestem Counseling Collective",
        "Outpatient counseling practice with a sliding fee scale and bilingual clinicians.",
        "bluestem",
    ),
    "larkspur": (
        "Larkspur Family Services",
        "Children, youth and family behavioral health: youth crisis center, youth mobile "
        "crisis and outpatient care.",
        "larkspur",
    ),
    "kestrel": (
        "Kestrel Medical Group",
        "Addiction medicine practice running opioid treatment programs.",
        "kestrel",
    ),
    "saltcedar": (
        "Saltcedar Community Health Center",
        "Federally funded community health center with integrated behavioral health and "
        "clinics in the rural towns.",
        "saltcedar",
    ),
    "peervoices": (
        "Peer Voices of Juniper County",
        "Peer-run organization: warmline, peer respite, recovery community center and "
        "support groups.",
        "peervoices",
    ),
    "connect": (
        "Juniper Connect",
        "Information and referral line for health and social services in Juniper County.",
        "juniperconnect",
    ),
    "foundry": (
        "Foundry Street Housing Alliance",
        "Homeless services and housing nonprofit: street outreach, shelters, transitional "
        "and permanent supportive housing.",
        "foundry",
    ),
    "wren": (
        "Wren House",
        "Shelter and housing for women and their children leaving violence or homelessness.",
        "wrenhouse",
    ),
    "highmesa": (
        "High Mesa Veterans Alliance",
        "Veteran-run nonprofit offering peer support, case management and housing to "
        "veterans and their families.",
        "highmesa",
    ),
    "court": (
        "Juniper County District Court",
        "Trial court of Juniper County; runs the treatment court programs.",
        "court",
    ),
    "pretrial": (
        "Juniper County Pretrial Services",
        "County office that supervises people awaiting trial and runs behavioral health "
        "pretrial diversion.",
        "pretrial",
    ),
    "probation": (
        "Juniper County Adult Probation and Parole",
        "Community supervision office with specialized mental health and co-occurring caseloads.",
        "probation",
    ),
    "da": (
        "Juniper County District Attorney's Office",
        "Prosecutor's office of Juniper County.",
        "da",
    ),
    "opengate": (
        "Open Gate Reentry Network",
        "Reentry nonprofit supporting people leaving jail and prison.",
        "opengate",
    ),
    "canyongate": (
        "Canyon Gate Behavioral Health",
        "Community mental health center: adult outpatient care, psychiatry, case management "
        "and assertive community treatment teams.",
        "canyongate",
    ),
    "skyloom": (
        "Sky Loom Native Wellness Center",
        "Native-led wellness center offering culturally grounded counseling and peer support.",
        "skyloom",
    ),
    "lotus": (
        "Lotus Bridge Community Services",
        "Immigrant and refugee community organization with counseling in Vietnamese and Chinese.",
        "lotusbridge",
    ),
    "prism": (
        "Prism Youth Alliance",
        "LGBTQ+ youth and young adult center.",
        "prism",
    ),
    "seniors": (
        "Juniper Senior Services",
        "Services for older adults, including behavioral health and an information line.",
        "seniors",
    ),
}

LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "vi": "Vietnamese",
    "nv": "Navajo",
    "zh": "Chinese",
}
INTERPRETERS = "Telephone interpreters for other languages, at no cost."
ADULT = (18, None)
YOUTH = (12, 17)
DROPOFF_FULL = [
    "open-24-7",
    "accepts-law-enforcement-dropoff",
    "law-enforcement-no-refusal",
    "walk-in",
    "no-medical-clearance",
    "accepts-intoxicated",
]
PUBLIC_PAY = ["medicaid", "medicare", "private-insurance", "uninsured"]


def svc(key: str, org: str, name: str, types: str, description: str, **kw) -> dict:
    """One service of the demo data (see build_service for the keyword arguments)."""
    return {"key": key, "org": org, "name": name, "types": types.split(), "desc": description, **kw}


SERVICES = [
    # ---- someone to contact --------------------------------------------------------------
    svc(
        "jcbha-crisis-line",
        "jcbha",
        "Juniper County Crisis Line",
        "crisis-line",
        "Local crisis line answered by counselors around the clock. Counselors de-escalate by "
        "phone and dispatch the county mobile crisis teams.",
        hours=H24,
        div=["open-24-7"],
        pay=["free"],
        langs="en es vi nv",
        interp=INTERPRETERS,
        text_line=True,
    ),
    svc(
        "larkspur-teen-line",
        "larkspur",
        "Teen Talk and Text Line",
        "crisis-line warmline",
        "Evening call and text line for young people, answered by trained counselors with teen "
        "peer volunteers.",
        hours=[weekly(ALL_DAYS, "16:00", "22:00")],
        pay=["free"],
        aud=["youth"],
        langs="en es",
        text_line=True,
    ),
    svc(
        "peervoices-warmline",
        "peervoices",
        "Peer Voices Warmline",
        "warmline",
        "Call a peer who has lived experience of mental health or substance use challenges. "
        "Not a crisis line; callers in crisis are transferred to the crisis line.",
        hours=[weekly(ALL_DAYS, "10:00", "02:00")],
        div=["peer-staffed"],
        pay=["free"],
        langs="en es",
    ),
    svc(
        "highmesa-vet-line",
        "highmesa",
        "Vet-to-Vet Line",
        "warmline peer-support",
        "Veterans answering the phone for veterans and their families.",
        hours=[weekly(WEEKDAYS, "12:00", "20:00")],
        div=["peer-staffed"],
        pay=["free"],
        only=["veterans"],
        eligibility="Veterans of any era and discharge status, and their family members.",
    ),
    svc(
        "connect-line",
        "connect",
        "Juniper Connect Information Line",
        "information-referral",
        "Information and referral for housing, food, health and behavioral health services "
        "anywhere in the county.",
        hours=[weekly(WEEKDAYS, "07:00", "19:00"), weekly("SA", "09:00", "13:00")],
        pay=["free"],
        langs="en es vi zh",
        interp=INTERPRETERS,
    ),
    svc(
        "seniors-helpline",
        "seniors",
        "Senior Helpline",
        "information-referral case-management",
        "Information line for older adults and caregivers, with short-term case management.",
        status="inactive",
        hours=OFFICE,
        pay=["free"],
        aud=["older-adults"],
        langs="en es",
        note="Merged into the Juniper Connect Information Line.",
    ),
    # ---- someone to respond --------------------------------------------------------------
    svc(
        "jcbha-mobile-crisis",
        "jcbha",
        "Juniper County Mobile Crisis Team",
        "mobile-crisis",
        "Two-person teams (clinician and peer) who go to the person anywhere in the county. "
        "Dispatched by the Juniper County Crisis Line or 911.",
        hours=H24,
        div=["open-24-7", "co-occurring"],
        pay=["free"],
        langs="en es",
        interp=INTERPRETERS,
        cap=("team", 3),
        area="county",
        locs=["jcbha-office"],
        sal_note="Team base: not open to the public.",
        application="Call the Juniper County Crisis Line or ask 911 dispatch for mobile crisis.",
    ),
    svc(
        "mesaridge-mobile",
        "mesaridge",
        "Mesa Ridge Urban Mobile Crisis Team",
        "mobile-crisis",
        "Mobile crisis clinicians covering Cedar Bluff, with a target response time of 30 minutes.",
        hours=H24,
        div=["open-24-7"],
        pay=["free"],
        langs="en es",
        cap=("team", 2),
        area="city",
    ),
    svc(
        "larkspur-youth-mobile",
        "larkspur",
        "Youth and Family Mobile Crisis",
        "mobile-crisis",
        "Mobile crisis for children, teens and their families at home or at school.",
        hours=[weekly(ALL_DAYS, "07:00", "23:00")],
        pay=["free"],
        only=["youth"],
        aud=["families"],
        ages=(5, 17),
        langs="en es",
        cap=("team", 1),
        area="county",
    ),
    svc(
        "saltcedar-rural-mobile",
        "saltcedar",
        "East County Mobile Crisis",
        "mobile-crisis",
        "Mobile crisis clinician and community health worker for the rural east of the county.",
        hours=H24,
        div=["open-24-7"],
        pay=["free"],
        langs="en es nv",
        cap=("team", 1),
        area="east-county",
        locs=["saltcedar-pinyon"],
        sal_note="Team base at the Pinyon Gap clinic.",
    ),
    svc(
        "cbpd-coresponder",
        "cbpd",
        "CBPD Co-Responder Unit",
        "co-responder",
        "Crisis intervention officers paired with behavioral health clinicians, responding "
        "together to calls involving mental illness.",
        hours=[weekly(ALL_DAYS, "10:00", "22:00")],
        pay=["free"],
        langs="en es",
        cap=("team", 2),
        area="city",
        application="Request through CBPD dispatch.",
    ),
    svc(
        "jcso-coresponder",
        "jcso",
        "Sheriff's Rural Co-Responder Program",
        "co-responder case-management",
        "A deputy and a clinician who respond together in the unincorporated county, then "
        "follow up with case management.",
        hours=[weekly(WEEKDAYS, "08:00", "18:00")],
        pay=["free"],
        langs="en",
        cap=("team", 1),
        area="unincorporated",
        locs=["jcso-pinyon"],
        sal_note="Unit office; not a walk-in site.",
    ),
    svc(
        "cbcsd-responders",
        "cbcsd",
        "Community Safety Responders",
        "community-responder",
        "Unarmed civilian responders for welfare checks, people in distress and non-violent "
        "behavioral health calls. Currently covers the Westside of Cedar Bluff only.",
        hours=[weekly(ALL_DAYS, "06:00", "02:00")],
        pay=["free"],
        langs="en es",
        cap=("team", 4),
        area="westside",
        locs=["community-safety"],
        sal_note="Department base; responders are dispatched through 911.",
    ),
    svc(
        "foundry-street-outreach",
        "foundry",
        "Foundry Street Outreach",
        "community-responder case-management",
        "Outreach workers who respond to calls about people sleeping outside downtown and "
        "connect them with shelter and care.",
        hours=[weekly(WEEKDAYS, "06:00", "14:00")],
        div=["housing-first"],
        pay=["free"],
        aud=["people-experiencing-homelessness"],
        langs="en es",
        cap=("team", 2),
        area="downtown",
    ),
    # ---- a safe place for help -----------------------------------------------------------
    svc(
        "mesaridge-crc",
        "mesaridge",
        "Mesa Ridge Crisis Receiving Center",
        "crisis-receiving",
        "No-wrong-door crisis center for adults. Takes walk-ins and law enforcement drop-offs "
        "24/7, including people on emergency holds and people who are intoxicated.",
        hours=H24,
        div=[*DROPOFF_FULL, "accepts-involuntary", "co-occurring", "accepts-justice-involved"],
        pay=PUBLIC_PAY,
        ages=ADULT,
        langs="en es",
        interp=INTERPRETERS,
        cap=("chair", 16),
        locs=["mesaridge-crc"],
        application="Officers: use the sally port off Granary St; hand-off in under 10 minutes.",
    ),
    svc(
        "jcbha-westside-crc",
        "jcbha",
        "Westside Crisis Receiving Center",
        "crisis-receiving crisis-stabilization",
        "Crisis receiving center with an attached 23-hour observation area and short-stay "
        "stabilization beds.",
        hours=H24,
        div=[
            "open-24-7",
            "accepts-law-enforcement-dropoff",
            "walk-in",
            "no-medical-clearance",
            "co-occurring",
        ],
        pay=PUBLIC_PAY,
        ages=ADULT,
        langs="en es",
        cap=("chair", 12),
        locs=["westside-crc"],
    ),
    svc(
        "larkspur-youth-crc",
        "larkspur",
        "Larkspur Youth Crisis Center",
        "crisis-receiving",
        "Crisis receiving for young people aged 12 to 17, separate from adults. Accepts walk-ins "
        "with or without a parent and law enforcement drop-offs.",
        hours=H24,
        div=["open-24-7", "accepts-law-enforcement-dropoff", "walk-in", "separate-youth-area"],
        pay=["medicaid", "private-insurance", "uninsured"],
        only=["youth"],
        ages=YOUTH,
        langs="en es",
        cap=("chair", 6),
        locs=["youth-crc"],
    ),
    svc(
        "mesaridge-csu",
        "mesaridge",
        "Mesa Ridge Crisis Stabilization Unit",
        "crisis-stabilization",
        "Voluntary short-term stabilization (3 to 7 days) for adults who need more than a "
        "crisis center visit but not a hospital.",
        hours=H24,
        div=["open-24-7", "voluntary-only", "co-occurring"],
        pay=["medicaid", "private-insurance", "uninsured"],
        ages=ADULT,
        langs="en es",
        cap=("bed", 16),
        locs=["mesaridge-csu"],
        application="Referral from a crisis center, mobile team or hospital; the person must "
        "agree to the stay.",
    ),
    svc(
        "jcbha-heron-csu",
        "jcbha",
        "Heron Pond Crisis Stabilization Unit",
        "crisis-stabilization",
        "Secure crisis stabilization for adults, including people on emergency mental health "
        "holds.",
        hours=H24,
        div=["open-24-7", "accepts-law-enforcement-dropoff", "accepts-involuntary"],
        pay=["medicaid", "medicare", "uninsured"],
        ages=ADULT,
        langs="en",
        interp=INTERPRETERS,
        cap=("bed", 12),
        locs=["heron-csu"],
    ),
    svc(
        "peervoices-sagebrush",
        "peervoices",
        "Sagebrush House Peer Respite",
        "crisis-respite",
        "Home-like peer-run respite for adults in emotional distress, stays of up to 7 nights.",
        status="temporarily closed",
        alert="Closed for renovation until 15 December 2026; use Lark Hill Respite House.",
        hours=[*H24, closure("2026-10-15", "2026-12-15", "Closed for renovation")],
        div=["open-24-7", "voluntary-only", "peer-staffed"],
        pay=["free"],
        ages=ADULT,
        langs="en",
        cap=("bed", 5, 0),
        locs=["sagebrush-respite"],
    ),
    svc(
        "peervoices-larkhill",
        "peervoices",
        "Lark Hill Respite House",
        "crisis-respite peer-support",
        "Peer-run crisis respite: a quiet room, peer support and up to 7 nights' stay.",
        hours=H24,
        div=["open-24-7", "voluntary-only", "peer-staffed", "walk-in"],
        pay=["free"],
        ages=ADULT,
        aud=["lgbtq"],
        langs="en es",
        cap=("bed", 4),
        locs=["larkhill-respite"],
    ),
    svc(
        "highdesert-sobering",
        "highdesert",
        "Depot District Sobering Center",
        "sobering-center",
        "A safe place to sober up under staff watch instead of jail or the emergency "
        "department. Law enforcement drop-off 24/7.",
        hours=H24,
        div=["open-24-7", "accepts-intoxicated", "accepts-law-enforcement-dropoff", "walk-in"],
        pay=["free"],
        ages=ADULT,
        aud=["people-experiencing-homelessness"],
        langs="en es",
        cap=("chair", 20),
        locs=["sobering-downtown"],
    ),
    svc(
        "highdesert-weekend-sobering",
        "highdesert",
        "Fairgrounds Weekend Sobering Station",
        "sobering-center",
        "Overnight sobering station open on weekend nights near the entertainment district.",
        hours=[weekly("FR,SA", "22:00", "06:00")],
        div=["accepts-intoxicated", "accepts-law-enforcement-dropoff"],
        pay=["free"],
        ages=ADULT,
        langs="en",
        cap=("chair", 8),
        locs=["sobering-fairgrounds"],
    ),
    svc(
        "highdesert-wm",
        "highdesert",
        "High Desert Withdrawal Management",
        "withdrawal-management",
        "Medically monitored withdrawal from alcohol, opioids and other drugs, with induction "
        "onto medication for opioid use disorder.",
        hours=H24,
        div=["open-24-7", "accepts-intoxicated", "accepts-law-enforcement-dropoff", "walk-in"],
        pay=["medicaid", "uninsured", "sliding-fee"],
        ages=ADULT,
        langs="en es",
        cap=("bed", 20),
        locs=["wm-center"],
    ),
    svc(
        "saltcedar-ambulatory-wm",
        "saltcedar",
        "Ambulatory Withdrawal Clinic",
        "withdrawal-management opioid-treatment",
        "Outpatient withdrawal management with daily check-ins and buprenorphine starts.",
        hours=[weekly(WEEKDAYS, "07:00", "15:00")],
        div=["walk-in"],
        pay=["medicaid", "medicare", "uninsured", "sliding-fee"],
        ages=ADULT,
        langs="en es",
        locs=["saltcedar-main"],
    ),
    svc(
        "cbgh-pes",
        "cbgh",
        "Cedar Bluff General Psychiatric Emergency Service",
        "psychiatric-emergency",
        "Psychiatric emergency department for all ages with medical care on site. Evaluates "
        "people brought in on emergency holds.",
        hours=H24,
        div=[
            "open-24-7",
            "accepts-law-enforcement-dropoff",
            "law-enforcement-no-refusal",
            "accepts-involuntary",
            "walk-in",
        ],
        pay=PUBLIC_PAY + ["va-tricare"],
        langs="en es",
        interp=INTERPRETERS,
        cap=("chair", 10),
        locs=["cbgh"],
    ),
    svc(
        "jvuh-pes",
        "jvuh",
        "University Hospital Psychiatric Emergency",
        "psychiatric-emergency",
        "Comprehensive psychiatric emergency program of the university hospital.",
        hours=H24,
        div=["open-24-7", "accepts-law-enforcement-dropoff", "accepts-involuntary", "walk-in"],
        pay=PUBLIC_PAY,
        langs="en es zh",
        interp=INTERPRETERS,
        cap=("chair", 8),
        locs=["jvuh"],
    ),
    svc(
        "cbgh-inpatient",
        "cbgh",
        "Cedar Bluff General Behavioral Health Unit",
        "inpatient-psychiatric",
        "Acute inpatient psychiatric unit for adults. Admission through the psychiatric "
        "emergency service.",
        hours=H24,
        div=["open-24-7", "accepts-involuntary"],
        pay=["medicaid", "medicare", "private-insurance"],
        ages=ADULT,
        langs="en",
        interp=INTERPRETERS,
        cap=("bed", 28),
        locs=["cbgh"],
    ),
    svc(
        "jvuh-adolescent",
        "jvuh",
        "Adolescent Inpatient Unit",
        "inpatient-psychiatric",
        "Inpatient psychiatric care for teenagers aged 12 to 17.",
        hours=H24,
        div=["open-24-7", "accepts-involuntary", "separate-youth-area"],
        pay=["medicaid", "private-insurance"],
        only=["youth"],
        ages=YOUTH,
        langs="en es",
        cap=("bed", 14),
        locs=["jvuh"],
    ),
    # ---- treatment and recovery ----------------------------------------------------------
    svc(
        "bluestem-counseling",
        "bluestem",
        "Bluestem Counseling, Lark Hill",
        "outpatient-mental-health",
        "Individual, couples and family counseling, with evening appointments twice a week.",
        hours=[
            *OFFICE,
            weekly("TU,TH", "17:00", "20:00", "Evening clinic Tuesday and Thursday 17:00-20:00"),
            THANKSGIVING,
        ],
        div=["asl", "telehealth"],
        pay=["medicaid", "private-insurance", "sliding-fee"],
        langs="en es",
        locs=["bluestem-main"],
    ),
    svc(
        "bluestem-west",
        "bluestem",
        "Bluestem Counseling, Copperleaf",
        "outpatient-mental-health",
        "Counseling for adults and families on the Westside.",
        hours=SPLIT,
        pay=["medicaid", "sliding-fee"],
        langs="en es",
        locs=["bluestem-west"],
    ),
    svc(
        "bluestem-tele",
        "bluestem",
        "Bluestem TeleCounseling",
        "outpatient-mental-health",
        "Video counseling for anyone in the county, including the rural towns.",
        hours=[weekly(WEEKDAYS, "08:00", "20:00"), weekly("SA", "09:00", "13:00")],
        div=["telehealth"],
        pay=["medicaid", "private-insurance", "sliding-fee"],
        langs="en es",
    ),
    svc(
        "canyongate-outpatient",
        "canyongate",
        "Canyon Gate Adult Outpatient Clinic",
        "outpatient-mental-health psychiatric-medication",
        "Therapy, psychiatric evaluation and medication management for adults with serious "
        "mental illness.",
        hours=[*OFFICE, weekly("WE", "17:00", "19:30"), THANKSGIVING],
        div=["walk-in", "co-occurring"],
        pay=["medicaid", "medicare", "uninsured", "sliding-fee"],
        ages=ADULT,
        langs="en es zh",
        interp=INTERPRETERS,
        locs=["canyongate"],
        application="Walk-in intake Monday to Friday 08:00-11:00.",
    ),
    svc(
        "canyongate-act",
        "canyongate",
        "Canyon Gate ACT Team",
        "assertive-community-treatment",
        "Assertive community treatment: a team that provides treatment, rehabilitation and "
        "support in the community for adults with serious mental illness.",
        hours=OFFICE,
        div=["co-occurring", "no-time-limit"],
        pay=["medicaid", "medicare"],
        ages=ADULT,
        langs="en es",
        locs=["canyongate"],
        application="Referral by a clinician; officers can request a referral through the "
        "co-responder unit.",
    ),
    svc(
        "canyongate-fact",
        "canyongate",
        "Forensic ACT Team",
        "assertive-community-treatment reentry-services",
        "Forensic assertive community treatment for adults with serious mental illness and "
        "repeated jail bookings.",
        hours=OFFICE,
        div=["accepts-justice-involved", "co-occurring", "no-time-limit"],
        pay=["medicaid", "uninsured"],
        ages=ADULT,
        langs="en",
        locs=["canyongate"],
    ),
    svc(
        "canyongate-case-mgmt",
        "canyongate",
        "Canyon Gate Case Management",
        "case-management",
        "Help with benefits, housing applications, appointments and transport.",
        hours=OFFICE,
        div=["wraparound-services"],
        pay=["medicaid", "uninsured"],
        ages=ADULT,
        langs="en es",
        locs=["canyongate"],
    ),
    svc(
        "kestrel-otp",
        "kestrel",
        "Kestrel Opioid Treatment Program",
        "opioid-treatment",
        "Methadone and buprenorphine with counseling; same-day admission on weekdays. "
        "Dosing hours differ by clinic.",
        sal_hours={
            "kestrel-downtown": [
                weekly(WEEKDAYS, "05:30", "13:00", "Dosing Monday to Friday 05:30-13:00"),
                weekly("SA,SU", "07:00", "10:00", "Weekend dosing 07:00-10:00"),
            ],
            "kestrel-south": [weekly(WEEKDAYS, "06:00", "12:00"), weekly("SA", "07:00", "09:00")],
        },
        div=["walk-in", "co-occurring"],
        pay=["medicaid", "medicare", "private-insurance", "uninsured"],
        ages=ADULT,
        langs="en es",
        locs=["kestrel-downtown", "kestrel-south"],
    ),
    svc(
        "kestrel-east",
        "kestrel",
        "Kestrel Mesa Alta Clinic",
        "opioid-treatment",
        "Former opioid treatment clinic; patients were transferred to the Depot clinic.",
        status="inactive",
        hours=[weekly(WEEKDAYS, "06:00", "12:00")],
        pay=["medicaid"],
        ages=ADULT,
        langs="en",
        locs=["kestrel-east"],
    ),
    svc(
        "saltcedar-integrated",
        "saltcedar",
        "Saltcedar Integrated Behavioral Health",
        "outpatient-mental-health outpatient-substance-use opioid-treatment",
        "Counseling, substance use treatment and office-based buprenorphine inside primary "
        "care, in Cedar Bluff and the rural towns.",
        sal_hours={"saltcedar-main": [weekly(WEEKDAYS, "08:00", "18:00")]},
        div=["co-occurring", "telehealth"],
        pay=["medicaid", "medicare", "uninsured", "sliding-fee"],
        aud=["tribal-members"],
        langs="en es nv",
        interp=INTERPRETERS,
        locs=["saltcedar-main", "saltcedar-willow", "saltcedar-pinyon"],
        sal_phones=True,
    ),
    svc(
        "highdesert-iop",
        "highdesert",
        "High Desert Intensive Outpatient",
        "outpatient-substance-use",
        "Evening intensive outpatient program for alcohol and drug use, three evenings a week.",
        sal_hours={
            "highdesert-op": [weekly("MO,WE,TH", "17:30", "20:30")],
            "highdesert-east": [weekly("TU,TH", "17:30", "20:30")],
        },
        div=["co-occurring", "accepts-justice-involved"],
        pay=["medicaid", "private-insurance", "sliding-fee"],
        ages=ADULT,
        langs="en es",
        locs=["highdesert-op", "highdesert-east"],
    ),
    svc(
        "highdesert-women",
        "highdesert",
        "New Dawn Women's Program",
        "outpatient-substance-use recovery-support",
        "Substance use treatment for women, with childcare during groups and parenting support.",
        hours=[weekly(WEEKDAYS, "09:00", "15:00")],
        div=["wraparound-services"],
        pay=["medicaid", "uninsured", "free"],
        only=["women"],
        aud=["families"],
        ages=ADULT,
        langs="en es",
        locs=["highdesert-women"],
        eligibility="Women aged 18 and over, including pregnant women; children welcome.",
    ),
    svc(
        "larkspur-outpatient",
        "larkspur",
        "Larkspur Child and Family Counseling",
        "outpatient-mental-health",
        "Counseling for children aged 5 to 17 and their families.",
        hours=[weekly(WEEKDAYS, "09:00", "18:00")],
        pay=["medicaid", "private-insurance", "sliding-fee"],
        only=["youth"],
        aud=["families"],
        ages=(5, 17),
        langs="en es",
        locs=["larkspur-main"],
    ),
    svc(
        "larkspur-teen-sud",
        "larkspur",
        "Teen Substance Use Program",
        "outpatient-substance-use",
        "After-school substance use treatment for teenagers.",
        hours=[weekly("MO,TU,WE,TH", "15:30", "18:30")],
        pay=["medicaid", "private-insurance", "sliding-fee"],
        only=["youth"],
        ages=YOUTH,
        langs="en es",
        locs=["larkspur-main"],
    ),
    svc(
        "jvu-psychiatry",
        "jvuh",
        "University Psychiatry Clinic",
        "psychiatric-medication outpatient-mental-health",
        "Psychiatric evaluation and medication management, including telepsychiatry for "
        "the rural towns.",
        hours=[weekly(WEEKDAYS, "08:00", "16:30")],
        div=["telehealth"],
        pay=["medicaid", "medicare", "private-insurance"],
        langs="en es",
        interp=INTERPRETERS,
        locs=["jvu-psych"],
    ),
    svc(
        "lotus-counseling",
        "lotus",
        "Lotus Bridge Counseling",
        "outpatient-mental-health case-management",
        "Counseling and case management in Vietnamese and Chinese for immigrant and refugee "
        "families.",
        hours=SPLIT,
        pay=["medicaid", "uninsured", "free"],
        aud=["families"],
        langs="en vi zh",
        locs=["lotus"],
    ),
    svc(
        "skyloom-wellness",
        "skyloom",
        "Sky Loom Counseling and Talking Circles",
        "outpatient-mental-health peer-support",
        "Culturally grounded counseling and peer talking circles for Native people.",
        hours=[weekly(WEEKDAYS, "09:00", "17:00"), weekly("TH", "18:00", "20:00")],
        div=["peer-staffed"],
        pay=["free"],
        aud=["tribal-members"],
        langs="en nv",
        locs=["skyloom"],
    ),
    svc(
        "prism-dropin",
        "prism",
        "Prism Drop-in and Peer Support",
        "peer-support",
        "Drop-in center and peer support for LGBTQ+ young people aged 16 to 25.",
        hours=[weekly("TU,WE,TH,FR", "14:00", "20:00"), weekly("SA", "12:00", "17:00")],
        div=["walk-in", "peer-staffed"],
        pay=["free"],
        only=["transition-age-youth"],
        aud=["lgbtq"],
        ages=(16, 25),
        langs="en es",
        locs=["prism"],
    ),
    svc(
        "peervoices-rcc",
        "peervoices",
        "Peer Voices Recovery Community Center",
        "recovery-support peer-support",
        "Recovery coaching, mutual-aid meetings, computer access and a place to be.",
        div=["walk-in", "peer-staffed"],
        pay=["free"],
        langs="en es",
        locs=["peervoices-rcc"],
    ),
    svc(
        "peervoices-family-night",
        "peervoices",
        "Family Peer Night",
        "peer-support",
        "Monthly support group for family members of people living with mental illness.",
        hours=[monthly("2MO", "18:00", "19:30", "Second Monday of the month 18:00-19:30")],
        pay=["free"],
        aud=["families"],
        langs="en es",
        locs=["peervoices-office"],
    ),
    svc(
        "peervoices-hearing-voices",
        "peervoices",
        "Hearing Voices Group",
        "peer-support",
        "Weekly peer group for people who hear voices or have unusual experiences.",
        hours=[weekly("WE", "18:00", "19:30")],
        div=["peer-staffed"],
        pay=["free"],
        ages=ADULT,
        langs="en",
        locs=["peervoices-office"],
    ),
    svc(
        "highmesa-peer",
        "highmesa",
        "High Mesa Veteran Peer Mentors",
        "peer-support case-management",
        "Veteran peer mentors and case managers help with VA benefits, housing and treatment.",
        hours=OFFICE,
        div=["peer-staffed"],
        pay=["free", "va-tricare"],
        only=["veterans"],
        ages=ADULT,
        langs="en es",
        locs=["highmesa"],
        eligibility="Veterans of any era and discharge status.",
    ),
    svc(
        "mesa-recovery-meetings",
        "peervoices",
        "Community Recovery Meetings",
        "recovery-support",
        "Free mutual-aid recovery meetings several times a day at the recovery center.",
        hours=[
            weekly(ALL_DAYS, "07:00", "08:00", "Morning meeting every day 07:00-08:00"),
            weekly(ALL_DAYS, "12:00", "13:00", "Noon meeting every day 12:00-13:00"),
            weekly(WEEKDAYS, "19:00", "20:00", "Evening meeting Monday to Friday 19:00-20:00"),
        ],
        pay=["free"],
        langs="en es",
        locs=["peervoices-office"],
    ),
    svc(
        "seniors-behavioral",
        "seniors",
        "Senior Behavioral Health Program",
        "outpatient-mental-health case-management",
        "Counseling and care coordination for adults aged 60 and over, at the senior center "
        "or at home.",
        hours=OFFICE,
        pay=["medicare", "medicaid", "free"],
        aud=["older-adults"],
        ages=(60, None),
        langs="en es",
        locs=["seniors"],
    ),
    # ---- housing -------------------------------------------------------------------------
    svc(
        "foundry-psh",
        "foundry",
        "Foundry Street Supportive Housing",
        "supportive-housing case-management",
        "Permanent supportive housing in scattered-site apartments with on-site case managers.",
        hours=OFFICE,
        div=["housing-first", "no-time-limit", "accepts-justice-involved"],
        pay=["free"],
        aud=["people-experiencing-homelessness"],
        ages=ADULT,
        langs="en es",
        cap=("bed", 60),
        locs=["foundry-office"],
        application="Referral through the county coordinated entry system.",
    ),
    svc(
        "foundry-transitional",
        "foundry",
        "Granary Flats Transitional Residence",
        "transitional-housing",
        "Up to 24 months of transitional housing with case management.",
        hours=OFFICE,
        div=["wraparound-services", "accepts-justice-involved"],
        pay=["free"],
        ages=ADULT,
        langs="en es",
        cap=("bed", 32),
        locs=["foundry-th"],
    ),
    svc(
        "foundry-winter-shelter",
        "foundry",
        "Foundry Street Winter Shelter",
        "emergency-shelter",
        "Low-barrier overnight winter shelter open every night from November to March.",
        hours=[
            weekly(
                ALL_DAYS,
                "18:00",
                "07:00",
                "Every night 18:00-07:00, 1 November to 31 March",
                valid_from="2026-11-01",
                valid_to="2027-03-31",
            )
        ],
        div=["housing-first", "walk-in", "accepts-intoxicated"],
        pay=["free"],
        ages=ADULT,
        aud=["people-experiencing-homelessness"],
        langs="en es",
        cap=("bed", 80),
        locs=["winter-shelter"],
    ),
    svc(
        "foundry-depot-shelter",
        "foundry",
        "Depot Street Shelter",
        "emergency-shelter",
        "Year-round emergency shelter for adult men; intake every evening.",
        hours=[weekly(ALL_DAYS, "17:00", "08:00", "Intake and beds every day 17:00-08:00")],
        div=["walk-in", "accepts-law-enforcement-dropoff"],
        pay=["free"],
        only=["men"],
        aud=["people-experiencing-homelessness"],
        ages=ADULT,
        langs="en es",
        cap=("bed", 120),
        locs=["depot-shelter"],
    ),
    svc(
        "wren-shelter",
        "wren",
        "Wren House Emergency Shelter",
        "emergency-shelter",
        "Confidential emergency shelter for women and their children. The address is given "
        "over the phone.",
        hours=H24,
        div=["open-24-7"],
        pay=["free"],
        only=["women"],
        aud=["families"],
        langs="en es",
        interp=INTERPRETERS,
        cap=("bed", 30),
    ),
    svc(
        "wren-transitional",
        "wren",
        "Wren House Transitional Apartments",
        "transitional-housing",
        "Transitional apartments for women and children for up to 18 months.",
        hours=OFFICE,
        div=["wraparound-services"],
        pay=["free"],
        only=["women"],
        aud=["families"],
        langs="en es",
        cap=("bed", 24),
        locs=["wren-th"],
    ),
    svc(
        "highdesert-recovery-home",
        "highdesert",
        "Old Wagon Recovery Residence",
        "recovery-housing",
        "Alcohol- and drug-free recovery residence for men in treatment or early recovery.",
        hours=OFFICE,
        div=["peer-staffed"],
        pay=["sliding-fee"],
        only=["men"],
        ages=ADULT,
        langs="en",
        cap=("bed", 16),
        locs=["recovery-men"],
    ),
    svc(
        "agate-house",
        "highdesert",
        "Agate House",
        "recovery-housing",
        "Recovery residence for women; residents may bring one child under 10.",
        div=["peer-staffed"],
        pay=["sliding-fee"],
        only=["women"],
        ages=ADULT,
        langs="en es",
        cap=("bed", 10),
        locs=["agate-house"],
    ),
    svc(
        "highmesa-housing",
        "highmesa",
        "High Mesa Veterans Housing",
        "supportive-housing",
        "Permanent supportive housing for veterans who were homeless.",
        hours=OFFICE,
        div=["housing-first", "no-time-limit"],
        pay=["va-tricare", "free"],
        only=["veterans"],
        ages=ADULT,
        langs="en",
        cap=("bed", 24),
        locs=["highmesa"],
    ),
    svc(
        "cb-rapid-rehousing",
        "foundry",
        "Cedar Bluff Rapid Rehousing",
        "supportive-housing case-management",
        "Rent help and case management to move households from shelter into housing. Only for "
        "people whose last address was in Cedar Bluff.",
        hours=[weekly("MO,WE,FR", "09:00", "16:00")],
        div=["housing-first"],
        pay=["free"],
        aud=["families", "people-experiencing-homelessness"],
        langs="en es",
        area="city",
        locs=["foundry-office"],
        eligibility="Residents of Cedar Bluff city limits who are homeless or about to be.",
    ),
    svc(
        "prism-host-homes",
        "prism",
        "Prism Host Homes",
        "transitional-housing",
        "Volunteer host homes for LGBTQ+ young people aged 18 to 24 who need a place to stay.",
        hours=[weekly("TU,WE,TH,FR", "14:00", "20:00")],
        pay=["free"],
        only=["transition-age-youth"],
        aud=["lgbtq"],
        ages=(18, 24),
        langs="en",
        cap=("bed", 6),
    ),
    # ---- justice -------------------------------------------------------------------------
    svc(
        "cbpd-pathways",
        "cbpd",
        "Pathways Pre-Arrest Diversion",
        "pre-arrest-diversion case-management",
        "Officers refer people for low-level offences linked to drug use or mental illness to "
        "a case manager instead of booking them. Referral by officers 24/7.",
        hours=H24,
        div=["open-24-7", "accepts-justice-involved", "housing-first"],
        pay=["free"],
        ages=ADULT,
        langs="en es",
        area="city",
        locs=["cbpd-hq"],
        sal_note="Case managers' office at police headquarters; not a drop-off site.",
        application="Officer calls the Pathways line from the scene; a case manager meets the "
        "person within 24 hours.",
    ),
    svc(
        "jcso-deflection",
        "jcso",
        "Sheriff's Deflection Program",
        "pre-arrest-diversion",
        "Deputies offer treatment referral instead of charges for possession and related "
        "offences in the unincorporated county.",
        hours=[weekly(WEEKDAYS, "08:00", "17:00")],
        div=["accepts-justice-involved"],
        pay=["free"],
        ages=ADULT,
        langs="en",
        area="unincorporated",
    ),
    svc(
        "pretrial-bh",
        "pretrial",
        "Behavioral Health Pretrial Diversion",
        "pretrial-diversion case-management",
        "Release with treatment and case management for defendants with mental illness or "
        "substance use disorders.",
        hours=[weekly(WEEKDAYS, "07:30", "16:30")],
        div=["accepts-justice-involved"],
        pay=["free"],
        ages=ADULT,
        langs="en es",
        locs=["courthouse"],
    ),
    svc(
        "da-preprosecution",
        "da",
        "Pre-Prosecution Diversion Program",
        "pretrial-diversion",
        "Former diversion program of the District Attorney; funding ended in 2026.",
        status="inactive",
        hours=OFFICE,
        div=["accepts-justice-involved"],
        ages=ADULT,
        langs="en",
        locs=["courthouse"],
    ),
    svc(
        "court-mh",
        "court",
        "Mental Health Court",
        "treatment-court",
        "Court-supervised treatment instead of jail for defendants with serious mental illness.",
        hours=[weekly("TH", "13:30", "16:30", "Court sessions Thursday 13:30-16:30")],
        div=["accepts-justice-involved"],
        pay=["free"],
        ages=ADULT,
        langs="en es",
        interp=INTERPRETERS,
        locs=["courthouse"],
    ),
    svc(
        "court-drug",
        "court",
        "Adult Drug Court",
        "treatment-court",
        "Drug court program with treatment, testing and regular status hearings.",
        hours=[weekly("WE", "08:30", "12:00", "Status hearings Wednesday 08:30-12:00")],
        div=["accepts-justice-involved"],
        pay=["free"],
        ages=ADULT,
        langs="en es",
        interp=INTERPRETERS,
        locs=["courthouse"],
    ),
    svc(
        "court-veterans",
        "court",
        "Veterans Treatment Court",
        "treatment-court",
        "Treatment court for veterans, with volunteer veteran mentors.",
        hours=[
            monthly("1TU,3TU", "09:00", "12:00", "First and third Tuesday of the month 09:00-12:00")
        ],
        div=["accepts-justice-involved"],
        pay=["free", "va-tricare"],
        only=["veterans"],
        ages=ADULT,
        langs="en",
        locs=["courthouse"],
    ),
    svc(
        "probation-mh",
        "probation",
        "Specialized Mental Health Caseload",
        "specialized-probation",
        "Probation and parole officers with small caseloads and mental health training, "
        "working with treatment providers.",
        hours=OFFICE,
        div=["accepts-justice-involved"],
        ages=ADULT,
        langs="en es",
        locs=["probation"],
    ),
    svc(
        "probation-cod",
        "probation",
        "Co-occurring Disorders Supervision Unit",
        "specialized-probation",
        "Supervision unit for people on probation or parole with co-occurring mental health "
        "and substance use disorders.",
        hours=[weekly("MO,TU,WE,TH", "07:00", "18:00")],
        div=["accepts-justice-involved", "co-occurring"],
        ages=ADULT,
        langs="en",
        locs=["probation"],
    ),
    svc(
        "opengate-reentry",
        "opengate",
        "Open Gate Reentry Center",
        "reentry-services case-management",
        "Help on the day of release and after: ID, benefits, housing, treatment and jobs.",
        hours=[*OFFICE, weekly("SA", "10:00", "14:00")],
        div=["accepts-justice-involved", "walk-in", "wraparound-services"],
        pay=["free"],
        ages=ADULT,
        langs="en es",
        locs=["opengate"],
    ),
    svc(
        "opengate-inreach",
        "opengate",
        "Jail In-Reach",
        "reentry-services",
        "Reentry planning with people inside the county detention center before release.",
        div=["accepts-justice-involved"],
        pay=["free"],
        ages=ADULT,
        langs="en es",
        locs=["detention"],
    ),
    svc(
        "opengate-womens-reentry",
        "opengate",
        "Women's Reentry Circle",
        "reentry-services peer-support",
        "Peer-led reentry support for women returning home from jail or prison.",
        hours=[weekly("TU", "17:30", "19:30")],
        div=["accepts-justice-involved", "peer-staffed"],
        pay=["free"],
        only=["women"],
        ages=ADULT,
        langs="en es",
        locs=["opengate"],
    ),
    svc(
        "detention-discharge",
        "jcbha",
        "Detention Center Discharge Planning",
        "reentry-services case-management",
        "County behavioral health staff in the detention center who arrange medication, "
        "appointments and transport at release.",
        hours=[weekly(ALL_DAYS, "06:00", "22:00")],
        div=["accepts-justice-involved", "co-occurring"],
        pay=["free"],
        ages=ADULT,
        langs="en es",
        locs=["detention"],
    ),
    svc(
        "skyloom-rural",
        "skyloom",
        "Sky Loom Willow Flats Outreach",
        "peer-support case-management",
        "Native peer navigators visiting Willow Flats and the west county each week.",
        sal_hours={"saltcedar-willow": [weekly("MO,TH", "10:00", "16:00")]},
        div=["peer-staffed"],
        pay=["free"],
        aud=["tribal-members"],
        langs="en nv",
        locs=["saltcedar-willow"],
        sal_note="Meets in the community room of the Willow Flats clinic.",
    ),
    svc(
        "canyongate-older-adults",
        "canyongate",
        "Older Adult Psychiatry",
        "psychiatric-medication",
        "Geriatric psychiatry and medication review for adults aged 65 and over.",
        hours=[weekly("MO,WE", "08:30", "16:00")],
        pay=["medicare", "medicaid"],
        only=["older-adults"],
        ages=(65, None),
        langs="en es",
        locs=["canyongate"],
    ),
    svc(
        "jvuh-idd-clinic",
        "jvuh",
        "Developmental Disabilities Behavioral Clinic",
        "psychiatric-medication outpatient-mental-health",
        "Psychiatric and behavioral care for people with intellectual or developmental "
        "disabilities.",
        hours=[weekly("TU,TH", "08:00", "16:00")],
        pay=["medicaid", "private-insurance"],
        aud=["people-with-idd"],
        langs="en",
        locs=["jvu-psych"],
    ),
]

ASSURERS = (
    "r.alvarado@example.org",
    "directory.team@example.org",
    "k.nguyen@example.org",
    "cit.coordinator@example.org",
)


class PhoneBook:
    """Numbers from the fiction range 555-0100..555-0199, handed out in table order."""

    def __init__(self) -> None:
        self.next = 100

    def number(self) -> str:
        if self.next > 199:
            raise RuntimeError("ran out of 555-01xx numbers")
        number = f"505-555-{self.next:04d}"
        self.next += 1
        return number


class Vocabulary:
    """The PMHC taxonomy: terms by (taxonomy key, code)."""

    LINK_TYPES = {"service-type": "service_type", "attribute": "diversion", "payment": "payment"}

    def __init__(self, path: Path) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        self.taxonomy_ids = {t["key"]: t["id"] for t in data["taxonomies"]}
        self.terms = {(t["taxonomy"], t["code"]): t for t in data["terms"]}

    def codes(self, taxonomy: str) -> list[str]:
        return [code for (tax, code) in self.terms if tax == taxonomy]

    def attribute(self, service_key: str, service_id: str, taxonomy: str, code: str, link_type):
        term = self.terms.get((taxonomy, code))
        if term is None or taxonomy == "need":
            raise KeyError(f"{service_key}: unknown {taxonomy} term {code!r}")
        # docs/hsds-conventions.md shows "value": null; HSDS 3.1 types value as a string, so a
        # term-only attribute leaves value out (absent means null).
        return {
            "id": uid("attribute", service_key, link_type, code),
            "link_id": service_id,
            "link_entity": "service",
            "link_type": link_type,
            "taxonomy_term_id": term["id"],
            "taxonomy_term": {
                "id": term["id"],
                "code": term["code"],
                "name": term["name"],
                "description": term["description"],
                "taxonomy": taxonomy,
                "taxonomy_id": self.taxonomy_ids[taxonomy],
            },
        }


def organization_object(key: str) -> dict:
    name, description, slug = ORGANIZATIONS[key]
    return {
        "id": uid("organization", key),
        "name": name,
        "description": description,
        "email": f"info@{slug}.example.org",
        "website": f"https://{slug}.example.org/",
    }


def assurance(rng: random.Random) -> tuple[date, str]:
    """Verification dates over the 400 days before REFERENCE_DATE; about a third are older than
    the 180-day re-verification interval."""
    days = rng.randint(181, 400) if rng.random() < 0.33 else rng.randint(2, 175)
    return REFERENCE_DATE - timedelta(days=days), rng.choice(ASSURERS)


def capacity_object(key: str, service_id: str, rng: random.Random, spec) -> dict:
    unit, maximum, *available = spec
    free = available[0] if available else rng.randint(0, max(1, maximum // 3))
    midnight = datetime(
        REFERENCE_DATE.year, REFERENCE_DATE.month, REFERENCE_DATE.day, tzinfo=MOUNTAIN_STANDARD
    )
    updated = midnight - timedelta(minutes=rng.randint(20, 4 * 24 * 60))
    unit_obj = {"id": uid("unit", unit), "name": unit, "scheme": "PMHC", "identifier": unit}
    noun = {"bed": "beds", "chair": "recliner chairs", "team": "teams on shift"}[unit]
    return {
        "id": uid("capacity", key, unit),
        "service_id": service_id,
        "unit_id": unit_obj["id"],
        "unit": unit_obj,
        "available": free,
        "maximum": maximum,
        "description": f"{noun.capitalize()} available now",
        "updated": updated.isoformat(timespec="seconds"),
    }


def build_service(spec: dict, vocab: Vocabulary, phones: PhoneBook, locations, areas) -> dict:
    key = spec["key"]
    rng = rng_for("service", key)
    sid = uid("service", key)
    org = organization_object(spec["org"])
    assured, assurer = assurance(rng)
    service: dict = {
        "id": sid,
        "organization_id": org["id"],
        "organization": org,
        "name": spec["name"],
        "description": spec["desc"],
        "status": spec.get("status", "active"),
        "assured_date": assured.isoformat(),
        "assurer_email": assurer,
        "last_modified": f"{assured.isoformat()}T{rng.randint(15, 23):02d}:"
        f"{rng.randint(0, 59):02d}:00Z",
    }
    if spec.get("note"):
        service["description"] += " " + spec["note"]
    for field, source in (
        ("alert", "alert"),
        ("eligibility_description", "eligibility"),
        ("application_process", "application"),
        ("interpretation_services", "interp"),
    ):
        if spec.get(source):
            service[field] = spec[source]
    minimum, maximum = spec.get("ages", (None, None))
    if minimum is not None:
        service["minimum_age"] = minimum
    if maximum is not None:
        service["maximum_age"] = maximum

    number = phones.number()
    service["phones"] = [
        {
            "id": uid("phone", key, "main"),
            "service_id": sid,
            "number": number,
            "type": "voice",
            "description": "Main line",
        }
    ]
    if spec.get("text_line"):
        service["phones"].append(
            {
                "id": uid("phone", key, "text"),
                "service_id": sid,
                "number": number,
                "type": "text",
                "description": "Text messages",
            }
        )
    if spec.get("hours"):
        service["schedules"] = schedule_objects("service_id", sid, f"service:{key}", spec["hours"])

    sals = []
    for loc_key in spec.get("locs", []):
        sal_id = uid("service_at_location", key, loc_key)
        sal = {
            "id": sal_id,
            "service_id": sid,
            "location_id": locations[loc_key]["id"],
            "location": locations[loc_key],
        }
        if spec.get("sal_note"):
            sal["description"] = spec["sal_note"]
        hours = spec.get("sal_hours", {}).get(loc_key)
        if hours:
            sal["schedules"] = schedule_objects(
                "service_at_location_id", sal_id, f"sal:{key}:{loc_key}", hours
            )
        if spec.get("sal_phones"):
            sal["phones"] = [
                {
                    "id": uid("phone", key, loc_key),
                    "service_at_location_id": sal_id,
                    "number": phones.number(),
                    "type": "voice",
                    "description": f"{locations[loc_key]['name']} front desk",
                }
            ]
        sals.append(sal)
    if sals:
        service["service_at_locations"] = sals

    if spec.get("area"):
        name, description, geom = areas[spec["area"]]
        service["service_areas"] = [
            {
                "id": uid("service_area", key, spec["area"]),
                "service_id": sid,
                "name": name,
                "description": description,
                "extent": json.dumps(geojson_geometry(geom), separators=(",", ":")),
                "extent_type": "geojson",
            }
        ]

    langs = spec.get("langs", "en").split()
    service["languages"] = [
        {"id": uid("language", key, c), "service_id": sid, "name": LANGUAGE_NAMES[c], "code": c}
        for c in langs
    ]

    if spec.get("cap") and service["status"] != "inactive":
        service["capacities"] = [capacity_object(key, sid, rng, spec["cap"])]

    links = (
        ("service-type", "service_type", spec["types"]),
        ("attribute", "diversion", spec.get("div", [])),
        ("payment", "payment", spec.get("pay", [])),
        ("population", "eligibility", spec.get("only", [])),
        ("population", "audience", spec.get("aud", [])),
    )
    attrs = [vocab.attribute(key, sid, tax, code, lt) for tax, lt, codes in links for code in codes]
    service["attributes"] = attrs
    return service


def build_services(geo: dict, zips) -> list[dict]:
    vocab = Vocabulary(TAXONOMY_JSON)
    keys = [s["key"] for s in SERVICES]
    if len(set(keys)) != len(keys):
        raise RuntimeError("duplicate service key")
    unused = set(vocab.codes("service-type")) - {c for s in SERVICES for c in s["types"]}
    if unused:
        raise RuntimeError(f"service types without a service: {sorted(unused)}")
    locations = {
        key: build_location(key, spec, zips, geo["boundary"]) for key, spec in LOCATIONS.items()
    }
    used = {loc for s in SERVICES for loc in s.get("locs", [])}
    if used != set(LOCATIONS):
        raise RuntimeError(f"unused or unknown locations: {sorted(used ^ set(LOCATIONS))}")
    areas = service_area_geometries(geo)
    phones = PhoneBook()
    return [build_service(spec, vocab, phones, locations, areas) for spec in SERVICES]


# --------------------------------------------------------------------------------------------
# Demo encounter log and capacity feed (fictional; times relative to the day they are loaded)
# --------------------------------------------------------------------------------------------

ENCOUNTER_DAYS = 720  # two years: the dashboard's last 12 months and its 12-month baseline
ENCOUNTERS_PER_DAY = (0, 1, 1, 1, 2, 2, 3)  # drawn per day: about 1.4 a day, 1,000 in all
DEMO_PEOPLE = 420  # fictional people; some are seen again (repeat encounters, with a key)
# (disposition, weight) in the baseline year and in the most recent year: the collaboration
# improves, so the dashboard's comparison has something to show.
DISPOSITION_WEIGHTS = {
    "baseline": (
        ("connected-on-scene", 20),
        ("transported", 17),
        ("referred-only", 18),
        ("emergency-department", 17),
        ("facility-declined", 8),
        ("arrest", 11),
        ("no-action", 9),
    ),
    "period": (
        ("connected-on-scene", 30),
        ("transported", 22),
        ("referred-only", 17),
        ("emergency-department", 10),
        ("facility-declined", 5),
        ("arrest", 6),
        ("no-action", 10),
    ),
}
FACILITY_TYPES = ("crisis-receiving", "crisis-stabilization", "psychiatric-emergency")
SOBERING_TYPES = ("sobering-center", "withdrawal-management")
REFERRAL_TYPES = (
    "mobile-crisis",
    "outpatient-mental-health",
    "peer-support",
    "case-management",
    "crisis-respite",
    "outpatient-substance-use",
)
NEEDS = (
    ("crisis-now", 30),
    ("mental-health-care", 25),
    ("suicide-risk", 10),
    ("intoxicated", 12),
    ("substance-use-care", 8),
    ("someone-to-talk-to", 6),
    ("housing", 6),
    ("withdrawal", 3),
)
DECLINE_REASONS = (
    ("full", 5),
    ("medical-clearance", 3),
    ("intoxicated", 2),
    ("behavior", 1),
    ("other", 1),
)
ENCOUNTER_FIELDS = (
    "days_ago",
    "hour",
    "area_id",
    "needs",
    "referred_service_ids",
    "disposition",
    "facility_id",
    "decline_reason",
    "use_of_force",
    "injury",
    "person",
    "connected_7_days",
    "connected_30_days",
)


def _types_of(service: dict) -> set[str]:
    return {
        a["taxonomy_term"]["code"]
        for a in service["attributes"]
        if a["link_type"] == "service_type"
    }


def _ids_with(services: list[dict], types: tuple[str, ...]) -> list[str]:
    return sorted(s["id"] for s in services if _types_of(s) & set(types))


def _weighted(rng: random.Random, pairs) -> str:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def encounters_csv(geo: dict, services: list[dict]) -> str:
    """A fictional encounter log, one row per encounter, oldest first.

    ``days_ago`` and ``hour`` (local) place it relative to the day the demo is loaded, so the
    dashboard always has its last 12 months and baseline; everything else is what an officer
    logs. Busy downtown tracts get most encounters, so some areas pass small-cell suppression
    and many do not. ``person`` is a fictional identifier, turned into a token only when the
    agency key is set (then repeat encounters are counted); follow-ups are recorded for most
    encounters older than 30 days.
    """
    rng = rng_for("encounters")
    tracts = sorted(geo["tracts"], key=lambda t: t["tract"])
    area_ids = [f"{STATE_FIPS}{COUNTY_FIPS}{t['tract']:06d}" for t in tracts]
    busy = [area_ids[i] for i in sorted(rng.sample(range(CORE_TRACTS), 8))]
    populations = [t["population"] for t in tracts]
    facilities = _ids_with(services, FACILITY_TYPES)
    sobering = _ids_with(services, SOBERING_TYPES)
    referrals = _ids_with(services, REFERRAL_TYPES)
    hours = [1 if 2 <= h < 7 else 3 if 7 <= h < 12 else 4 for h in range(24)]
    rows = []
    for days_ago in range(ENCOUNTER_DAYS, 0, -1):
        year = "period" if days_ago <= 365 else "baseline"
        for _ in range(rng.choice(ENCOUNTERS_PER_DAY)):
            disposition = _weighted(rng, DISPOSITION_WEIGHTS[year])
            needs = sorted({_weighted(rng, NEEDS) for _ in range(rng.choice((1, 1, 2)))})
            intoxicated = "intoxicated" in needs or "withdrawal" in needs
            area = (
                rng.choice(busy)
                if rng.random() < 0.6
                else rng.choices(area_ids, weights=populations)[0]
            )
            facility = decline = ""
            referred: list[str] = []
            if disposition in ("transported", "facility-declined"):
                facility = rng.choice(sobering if intoxicated and sobering else facilities)
                if disposition == "facility-declined":
                    decline = _weighted(rng, DECLINE_REASONS)
            if disposition in ("connected-on-scene", "referred-only", "transported"):
                referred = sorted(set(rng.sample(referrals, rng.choice((1, 1, 2)))))
                if facility:
                    referred = sorted({facility, *referred})
            force = rng.random() < (0.09 if year == "baseline" else 0.05)
            injury = rng.random() < (0.05 if year == "baseline" else 0.03)
            person = f"demo-person-{min(int(rng.paretovariate(1.2)), DEMO_PEOPLE):03d}"
            if rng.random() < 0.7:
                person = f"demo-person-{rng.randint(1, DEMO_PEOPLE):03d}"
            follow_7 = follow_30 = ""
            if days_ago > 30 and rng.random() < 0.75:
                linked = disposition in ("connected-on-scene", "transported", "referred-only")
                follow_7 = "yes" if rng.random() < (0.55 if linked else 0.2) else "no"
                follow_30 = "yes" if follow_7 == "yes" or rng.random() < 0.25 else "no"
            rows.append(
                {
                    "days_ago": days_ago,
                    "hour": rng.choices(range(24), weights=hours)[0],
                    "area_id": area,
                    "needs": " ".join(needs),
                    "referred_service_ids": " ".join(referred),
                    "disposition": disposition,
                    "facility_id": facility,
                    "decline_reason": decline,
                    "use_of_force": int(force),
                    "injury": int(injury),
                    "person": person,
                    "connected_7_days": follow_7,
                    "connected_30_days": follow_30,
                }
            )
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=ENCOUNTER_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def capacity_csv(services: list[dict]) -> str:
    """The demo's fictional capacity feed: each capacity figure of the seed and how many
    minutes before "now" it was reported. ``pmhc demo`` (and only it) re-reports these as time
    passes, so about two in three stay fresh and the rest show as not reported recently."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("service_id", "unit", "available", "maximum", "minutes_ago"))
    for service in sorted(services, key=lambda s: s["id"]):
        for capacity in service.get("capacities") or []:
            rng = rng_for("demo-capacity", capacity["id"])
            fresh = rng.random() < 0.65
            minutes = rng.randint(5, 8 * 60) if fresh else rng.randint(14 * 60, 4 * 24 * 60)
            writer.writerow(
                (
                    service["id"],
                    capacity["unit"]["name"],
                    capacity["available"],
                    capacity["maximum"],
                    minutes,
                )
            )
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def feature_collection_text(collection: dict) -> str:
    """One feature per line: small, diffable, still valid JSON."""
    lines = [json.dumps(f, sort_keys=True, separators=(",", ":")) for f in collection["features"]]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def render() -> dict[str, str]:
    geo = build_geography()
    zips = load_zip_centroids()
    services = build_services(geo, zips)
    return {
        "services.json": json.dumps(services, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
        "areas.geojson": feature_collection_text(areas_collection(geo)),
        "boundary.geojson": feature_collection_text(boundary_collection(geo)),
        "places.csv": places_csv(geo, zips),
        "encounters.csv": encounters_csv(geo, services),
        "capacity.csv": capacity_csv(services),
    }


def write(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, text in render().items():
        (out / name).write_bytes(text.encode("utf-8"))


def check(committed: Path) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        write(Path(tmp))
        stale = [
            name
            for name in OUTPUT_FILES
            if not (committed / name).is_file()
            or (committed / name).read_bytes() != (Path(tmp) / name).read_bytes()
        ]
    if stale:
        print(f"out of date in {committed}: {', '.join(stale)}; run python seed/generate.py")
        return 1
    print(f"{committed} is up to date")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument(
        "--check",
        action="store_true",
        help="regenerate into a temp dir and exit 1 if the files in --out differ",
    )
    args = parser.parse_args(argv)
    if args.check:
        return check(args.out)
    write(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
