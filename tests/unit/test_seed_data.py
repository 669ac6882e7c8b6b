"""The committed demo data (seed/demo, written by seed/generate.py) is valid HSDS 3.1, is
reproducible byte for byte, and keeps the invariants the app and its demos rely on."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
import shapely
from shapely.geometry import Point, shape

from tests.support.hsds_schema import SHARED, service_validator

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "seed" / "demo"
GENERATOR = REPO / "seed" / "generate.py"
TAXONOMY = REPO / "pmhc_directory" / "data" / "taxonomy.json"
OUTPUT_FILES = (
    "services.json",
    "areas.geojson",
    "boundary.geojson",
    "places.csv",
    "encounters.csv",
    "capacity.csv",
)

RESPONDER_TYPES = {"mobile-crisis", "co-responder", "community-responder"}
FICTION_PHONE = re.compile(r"^\d{3}-555-01\d\d$")
# docs/hsds-conventions.md: which link_type each PMHC taxonomy is attached with.
LINK_TYPES = {
    "service-type": {"service_type"},
    "attribute": {"diversion"},
    "payment": {"payment"},
    "population": {"eligibility", "audience"},
}


def load_json(name: str):
    return json.loads((DEMO / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services() -> list[dict]:
    return load_json("services.json")


@pytest.fixture(scope="module")
def areas() -> list[dict]:
    return load_json("areas.geojson")["features"]


@pytest.fixture(scope="module")
def boundary():
    features = load_json("boundary.geojson")["features"]
    assert len(features) == 1
    return shape(features[0]["geometry"])


@pytest.fixture(scope="module")
def taxonomy() -> dict:
    return json.loads(TAXONOMY.read_text(encoding="utf-8"))


def walk(node):
    """Every dict in a JSON tree, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def service_types(service: dict) -> list[str]:
    attributes = service["attributes"]
    return [a["taxonomy_term"]["code"] for a in attributes if a["link_type"] == "service_type"]


# ---- (a) HSDS 3.1 schema ---------------------------------------------------------------------


def test_format_checker_rejects_bad_uuid_and_date_time(services):
    validator = service_validator()
    good = services[0]
    assert not list(validator.iter_errors(good))
    assert not validator.is_valid({**good, "id": "not-a-uuid"})
    assert not validator.is_valid({**good, "last_modified": "2026-11-01 25:61"})


def test_every_service_validates_against_compiled_hsds_schema(services):
    validator = service_validator()
    problems = [
        f"{service['name']}: /{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for service in services
        for error in validator.iter_errors(service)
    ]
    assert not problems, "\n".join(problems[:20])


# ---- (b) deterministic generator -------------------------------------------------------------


def run_generator(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(GENERATOR), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def needs_shared():
    if not (SHARED / "data" / "us_zip_gazetteer").is_dir():
        pytest.skip("../shared is absent: the generator reads ZIP centroids from there")


def test_generator_reproduces_committed_files(tmp_path, needs_shared):
    for run in ("first", "second"):
        result = run_generator("--out", str(tmp_path / run))
        assert result.returncode == 0, result.stderr
    for name in OUTPUT_FILES:
        committed = (DEMO / name).read_bytes()
        assert (tmp_path / "first" / name).read_bytes() == committed, f"{name} is stale"
        assert (tmp_path / "second" / name).read_bytes() == committed, f"{name} changed"


def test_generator_check_flag(tmp_path, needs_shared):
    assert run_generator("--check").returncode == 0
    stale = tmp_path / "demo"
    shutil.copytree(DEMO, stale)
    with (stale / "places.csv").open("a", encoding="utf-8") as fh:
        fh.write("Nowhere,place,35.1,-106.6,87102\n")
    result = run_generator("--check", "--out", str(stale))
    assert result.returncode == 1
    assert "places.csv" in result.stdout


# ---- (c) invariants --------------------------------------------------------------------------


def test_generated_files_stay_small():
    for name in OUTPUT_FILES:
        assert (DEMO / name).stat().st_size < 1_000_000, name


def test_every_service_type_is_used(services, taxonomy):
    codes = {t["code"] for t in taxonomy["terms"] if t["taxonomy"] == "service-type"}
    used = {code for service in services for code in service_types(service)}
    assert codes - used == set()


def test_phone_numbers_are_in_the_fiction_range(services):
    numbers = [node["number"] for node in walk(services) if "number" in node]
    assert numbers
    bad = [n for n in numbers if not FICTION_PHONE.match(n)]
    assert not bad


def test_no_national_lines(services):
    names = {s["organization"]["name"] for s in services}
    assert "National crisis lines" not in names
    assert not [s["name"] for s in services if "988" in s["name"]]


def test_populations_total_about_half_a_million(areas):
    total = sum(f["properties"]["population"] for f in areas)
    assert 450_000 <= total <= 550_000
    assert 140 <= len(areas) <= 160
    for feature in areas:
        props = feature["properties"]
        assert re.fullmatch(r"99\d{9}", props["area_id"])
        assert re.fullmatch(r"Tract \d+(\.\d\d)?", props["name"])
        assert isinstance(props["population"], int) and props["population"] > 0
    assert len({f["properties"]["area_id"] for f in areas}) == len(areas)


def test_areas_are_valid_and_inside_the_boundary(areas, boundary):
    assert boundary.geom_type == "Polygon" and boundary.is_valid
    polygons = []
    for feature in areas:
        polygon = shape(feature["geometry"])
        props = feature["properties"]
        assert polygon.geom_type == "Polygon" and polygon.is_valid, props["name"]
        assert boundary.covers(polygon), props["name"]
        centre = Point(props["centre_lon"], props["centre_lat"])
        assert polygon.contains(centre), props["name"]
        polygons.append(polygon)
    # The areas tile the county: no overlaps, no gaps.
    assert sum(p.area for p in polygons) == pytest.approx(boundary.area, rel=1e-9)
    assert shapely.union_all(polygons).equals(boundary)


def test_places_are_inside_the_county(boundary):
    with (DEMO / "places.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert 30 <= len(rows) <= 50
    assert {r["kind"] for r in rows} == {"place", "landmark"}
    for row in rows:
        assert boundary.contains(Point(float(row["lon"]), float(row["lat"]))), row["name"]
        assert re.fullmatch(r"\d{5}", row["postal_code"]), row["name"]


def test_responders_have_service_areas(services, boundary):
    for service in services:
        if not RESPONDER_TYPES & set(service_types(service)):
            continue
        assert service.get("service_areas"), service["name"]
    for service in services:
        for area in service.get("service_areas", []):
            assert area["extent_type"] == "geojson"
            geometry = shape(json.loads(area["extent"]))
            assert geometry.geom_type in ("Polygon", "MultiPolygon"), service["name"]
            assert geometry.is_valid and boundary.covers(geometry), service["name"]


def test_pmhc_attributes_reference_known_terms(services, taxonomy):
    taxonomy_ids = {t["key"]: t["id"] for t in taxonomy["taxonomies"]}
    terms = {(t["taxonomy"], t["code"]): t for t in taxonomy["terms"]}
    for service in services:
        for attribute in service["attributes"]:
            term = attribute["taxonomy_term"]
            pmhc = term.get("taxonomy") in taxonomy_ids or term.get("taxonomy_id") in set(
                taxonomy_ids.values()
            )
            if not pmhc:
                continue
            where = f"{service['name']}: {term.get('taxonomy')}/{term.get('code')}"
            known = terms.get((term["taxonomy"], term.get("code")))
            assert known is not None and term["taxonomy"] != "need", where
            assert term["id"] == known["id"] == attribute["taxonomy_term_id"], where
            assert term["taxonomy_id"] == taxonomy_ids[term["taxonomy"]], where
            assert (term["name"], term["description"]) == (known["name"], known["description"])
            assert attribute["link_type"] in LINK_TYPES[term["taxonomy"]], where
            assert attribute["link_entity"] == "service", where
            assert attribute["link_id"] == service["id"], where


def test_ids_are_unique_across_the_file(services):
    """An id names one thing: an object nested in several services (its organization, a shared
    location, a unit, a taxonomy term) repeats with identical content; everything else once."""
    seen: dict[str, set[str]] = defaultdict(set)
    for node in walk(services):
        if "id" in node:
            seen[node["id"]].add(json.dumps(node, sort_keys=True))
    clashes = [i for i, variants in seen.items() if len(variants) > 1]
    assert not clashes
    service_ids = [s["id"] for s in services]
    assert len(set(service_ids)) == len(service_ids)


def test_open_24_7_services_are_open_all_day_every_day(services):
    for service in services:
        codes = {a["taxonomy_term"]["code"] for a in service["attributes"]}
        if "open-24-7" not in codes:
            continue
        rows = service.get("schedules", [])
        days = {
            day
            for row in rows
            if row.get("freq") == "WEEKLY"
            and (row.get("opens_at"), row.get("closes_at")) == ("00:00", "23:59")
            for day in row["byday"].split(",")
        }
        assert days == {"MO", "TU", "WE", "TH", "FR", "SA", "SU"}, service["name"]
