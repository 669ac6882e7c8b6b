"""``geography import`` (GeoJSON, shapefiles, population CSVs), ``geography costs`` and
``gaps report`` through the CLI runner (spec/api.md 1).

The runner's commands open their session with ``get_session()``; requesting ``session`` makes
the ``connection`` fixture route it into the test's rolled-back transaction.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import shapefile
from pyproj import CRS, Transformer
from sqlalchemy import select

from pmhc_directory.models import AnalysisArea, TravelCost
from pmhc_directory.services.planning_report import REPORT_FILES
from tests.conftest import require_shared
from tests.scenario_builders import ROUND_THE_CLOCK, build_service, offset, square

UTM_13N = CRS.from_epsg(32613)
# Downtown Albuquerque, NM.
PLACE_LAT, PLACE_LON = 35.0844, -106.6504


def invoke(runner, *args: str):
    return runner.invoke(args=[str(a) for a in args])


def areas(session) -> dict[str, AnalysisArea]:
    session.expire_all()
    return {a.id: a for a in session.scalars(select(AnalysisArea))}


def write_utm_shapefile(folder: Path, *, with_prj: bool = True) -> Path:
    """Two 1 km squares side by side in UTM zone 13N around downtown Albuquerque."""
    to_utm = Transformer.from_crs("EPSG:4326", UTM_13N, always_xy=True)
    x0, y0 = to_utm.transform(PLACE_LON, PLACE_LAT)
    base = folder / "tracts"
    # The files are opened and closed here, not by the Writer: pyshp 3.x's Writer leaves the
    # .dbf it opens itself unclosed (a ResourceWarning, an error in these tests).
    with (
        base.with_suffix(".shp").open("w+b") as shp,
        base.with_suffix(".shx").open("w+b") as shx,
        base.with_suffix(".dbf").open("w+b") as dbf,
        shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON) as writer,
    ):
        writer.field("GEOID", "C", size=11)
        writer.field("NAME", "C", size=40)
        writer.field("POP", "N", decimal=0)
        for index, dx in enumerate((-1000.0, 0.0)):
            left, bottom = x0 + dx, y0 - 500.0
            ring = [
                (left, bottom),
                (left, bottom + 1000.0),
                (left + 1000.0, bottom + 1000.0),
                (left + 1000.0, bottom),
                (left, bottom),
            ]  # clockwise: an outer ring in shapefile order
            writer.poly([ring])
            writer.record(f"3500100000{index}", f"Square {index}", 1200 + index)
    if with_prj:
        (folder / "tracts.prj").write_text(UTM_13N.to_wkt("WKT1_ESRI"), "utf-8")
    return base.with_suffix(".shp")


def test_shapefile_in_a_projected_crs_is_stored_in_degrees(runner, session, tmp_path):
    path = write_utm_shapefile(tmp_path)
    result = invoke(
        runner,
        "geography",
        "import",
        path,
        "--id-field",
        "GEOID",
        "--name-field",
        "NAME",
        "--population-field",
        "POP",
    )
    assert result.exit_code == 0, result.output + result.stderr
    assert "Imported 2 analysis areas" in result.stdout
    stored = areas(session)
    assert set(stored) == {"35001000000", "35001000001"}
    east = stored["35001000001"]
    assert east.population == 1201
    assert east.name == "Square 1"
    # The square's west edge runs through the place; it is about 1 km across.
    assert east.min_lon == pytest.approx(PLACE_LON, abs=0.001)
    assert east.centre_lat == pytest.approx(PLACE_LAT, abs=0.002)
    assert east.centre_lon == pytest.approx(PLACE_LON + 0.0055, abs=0.002)
    assert east.max_lat - east.min_lat == pytest.approx(1.0 / 110.95, rel=0.02)
    geometry = json.loads(east.geometry)
    assert geometry["type"] == "Polygon"
    assert all(-107 < x < -106 and 35 < y < 35.2 for x, y in geometry["coordinates"][0])


def test_shapefile_without_a_prj_in_metres_is_refused(runner, session, tmp_path):
    path = write_utm_shapefile(tmp_path, with_prj=False)
    result = invoke(
        runner, "geography", "import", path, "--id-field", "GEOID", "--population-field", "POP"
    )
    assert result.exit_code != 0
    assert "WGS84" in result.stderr
    assert "Traceback" not in result.output
    assert areas(session) == {}


def test_geojson_with_a_projected_crs_member_is_reprojected(runner, session, tmp_path):
    to_utm = Transformer.from_crs("EPSG:4326", UTM_13N, always_xy=True)
    x0, y0 = to_utm.transform(PLACE_LON, PLACE_LAT)
    ring = [[x0, y0], [x0 + 500, y0], [x0 + 500, y0 + 500], [x0, y0 + 500], [x0, y0]]
    path = tmp_path / "utm.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32613"}},
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"area_id": "a", "population": 5},
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                    }
                ],
            }
        )
    )
    result = invoke(runner, "geography", "import", path)
    assert result.exit_code == 0, result.output + result.stderr
    area = areas(session)["a"]
    corner = json.loads(area.geometry)["coordinates"][0][0]
    assert corner == [pytest.approx(PLACE_LON, abs=1e-6), pytest.approx(PLACE_LAT, abs=1e-6)]
    assert area.min_lat == pytest.approx(PLACE_LAT, abs=1e-4)


def test_cenpop_csv_gives_populations_and_centres(runner, session):
    tracts = require_shared("data", "bernalillo_nm_tracts", "bernalillo_tracts_2020.geojson")
    cenpop = require_shared("data", "census_cenpop2020_tracts", "CenPop2020_Mean_TR.txt")
    result = invoke(
        runner,
        "geography",
        "import",
        tracts,
        "--id-field",
        "GEOID",
        "--name-field",
        "NAME",
        "--population-csv",
        cenpop,
    )
    assert result.exit_code == 0, result.output + result.stderr
    stored = areas(session)
    with open(cenpop, newline="", encoding="utf-8-sig") as fh:
        rows = {
            r["STATEFP"] + r["COUNTYFP"] + r["TRACTCE"]: r
            for r in csv.DictReader(fh)
            if r["STATEFP"] == "35" and r["COUNTYFP"] == "001"
        }
    features = json.loads(tracts.read_text())["features"]
    assert len(stored) == len(features) == 176
    for area_id, area in stored.items():
        row = rows[area_id]
        assert area.population == int(row["POPULATION"])
        assert area.centre_lat == pytest.approx(float(row["LATITUDE"]))
        assert area.centre_lon == pytest.approx(float(row["LONGITUDE"]))
    # Bernalillo County had 676,444 people in the 2020 census.
    assert sum(a.population for a in stored.values()) == 676_444


def test_population_csv_by_id_and_missing_rows(runner, session, tmp_path):
    features = []
    for area_id, east_km in (("a", 0.0), ("b", 5.0)):
        lat, lon = offset(0.0, east_km)
        features.append(
            {
                "type": "Feature",
                "properties": {"area_id": area_id},
                "geometry": square(lat, lon, 0.02),
            }
        )
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    partial = tmp_path / "partial.csv"
    partial.write_text("area_id,population\na,100\n")
    result = invoke(runner, "geography", "import", path, "--population-csv", partial)
    assert result.exit_code != 0
    assert "no row for 'b'" in result.stderr
    assert areas(session) == {}

    full = tmp_path / "full.csv"
    full.write_text("area_id,population,other\na,100,x\nb,250,y\nz,7,elsewhere\n")
    result = invoke(runner, "geography", "import", path, "--population-csv", full)
    assert result.exit_code == 0, result.output + result.stderr
    assert {k: a.population for k, a in areas(session).items()} == {"a": 100, "b": 250}


def test_population_csv_with_bad_values_is_refused(runner, session, tmp_path):
    lat, lon = offset()
    path = tmp_path / "areas.geojson"
    feature = {
        "type": "Feature",
        "properties": {"area_id": "a"},
        "geometry": square(lat, lon, 0.02),
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    bad = tmp_path / "bad.csv"
    bad.write_text("area_id,population\na,many\n")
    result = invoke(runner, "geography", "import", path, "--population-csv", bad)
    assert result.exit_code != 0
    assert "line 2" in result.stderr
    assert areas(session) == {}


# --------------------------------------------------------------------------- costs


@pytest.fixture
def small_geography(session):
    for area_id, east_km in (("west", -3.0), ("east", 3.0)):
        lat, lon = offset(0.0, east_km)
        session.add(
            AnalysisArea(
                id=area_id,
                name=area_id,
                population=1000,
                geometry=json.dumps(square(lat, lon, 0.02)),
                centre_lat=lat,
                centre_lon=lon,
                min_lon=lon - 0.02,
                min_lat=lat - 0.02,
                max_lon=lon + 0.02,
                max_lat=lat + 0.02,
            )
        )
    lat, lon = offset(0.0, -3.0)
    service = build_service(
        session,
        "Centre",
        types=("crisis-receiving",),
        attributes=("open-24-7",),
        schedules=ROUND_THE_CLOCK,
        lat=lat,
        lon=lon,
    )
    build_service(
        session,
        "Team",
        types=("mobile-crisis",),
        attributes=("open-24-7",),
        schedules=ROUND_THE_CLOCK,
        service_area=square(lat, lon, 0.02),
    )
    session.commit()
    return service.service_at_locations[0].location_id


def costs(session) -> dict[tuple[str, str], float]:
    session.expire_all()
    return {(c.area_id, c.location_id): c.minutes for c in session.scalars(select(TravelCost))}


def test_costs_load_and_update(runner, session, tmp_path, small_geography):
    location = small_geography
    path = tmp_path / "costs.csv"
    path.write_text(f"area_id,location_id,minutes\nwest,{location},4.5\neast,{location},31\n")
    result = invoke(runner, "geography", "costs", path)
    assert result.exit_code == 0, result.output + result.stderr
    assert "Loaded 2 travel times" in result.stdout
    assert costs(session) == {("west", location): 4.5, ("east", location): 31.0}

    path.write_text(f"area_id,location_id,minutes\neast,{location},12\n")
    assert invoke(runner, "geography", "costs", path).exit_code == 0
    assert costs(session) == {("west", location): 4.5, ("east", location): 12.0}
    assert invoke(runner, "geography", "costs", path, "--replace").exit_code == 0
    assert costs(session) == {("east", location): 12.0}


def test_costs_are_all_or_nothing(runner, session, tmp_path, small_geography):
    location = small_geography
    path = tmp_path / "costs.csv"
    path.write_text(
        "area_id,location_id,minutes\n"
        f"west,{location},4\n"
        f"north,{location},5\n"
        "east,00000000-0000-0000-0000-000000000000,6\n"
        f"east,{location},-1\n"
        f"west,{location},4\n"
    )
    result = invoke(runner, "geography", "costs", path)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    message = result.stderr
    assert "line 3: area_id 'north'" in message
    assert "line 4: location_id '00000000-0000-0000-0000-000000000000'" in message
    assert "line 5: minutes" in message
    assert "line 6" in message and "twice" in message
    assert "nothing was changed" in message
    assert costs(session) == {}


def test_costs_need_the_columns(runner, session, tmp_path, small_geography):
    path = tmp_path / "costs.csv"
    path.write_text("area,location,time\n")
    result = invoke(runner, "geography", "costs", path)
    assert result.exit_code != 0
    assert "area_id" in result.stderr


# --------------------------------------------------------------------------- gaps report


def test_gaps_report_writes_every_file(runner, session, tmp_path, small_geography):
    out = tmp_path / "report"
    result = invoke(runner, "gaps", "report", "--out", out, "--at", "2026-01-13T02:00:00-07:00")
    assert result.exit_code == 0, result.output + result.stderr
    assert f"Wrote {len(REPORT_FILES)} files" in result.stdout
    for name in REPORT_FILES:
        assert (out / name).is_file(), name
    html = (out / "report.html").read_text("utf-8")
    assert "<svg" in html
    assert "Travel times: straight-line distance x 1.3 at 50 km/h" in html
    assert "<script" not in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    coverage = json.loads((out / "coverage.geojson").read_text())
    assert coverage["summary"]["at"] == "2026-01-13T02:00:00-07:00"
    with open(out / "coverage.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["area_id"] for r in rows} == {"west", "east"}
    west = next(r for r in rows if r["area_id"] == "west")
    assert west["all_three"] == "true" and west["covered_crisis-receiving"] in ("true", "false")
    with open(out / "week.csv", newline="") as fh:
        week = list(csv.DictReader(fh))
    assert len(week) == 168
    assert week[0]["weekday"] == "Monday" and week[0]["all_three"] == "0.5"
    with open(out / "access-2sfca.csv", newline="") as fh:
        access = list(csv.DictReader(fh))
    receiving = [r for r in access if r["service_type"] == "crisis-receiving"]
    assert float(receiving[0]["score"]) == pytest.approx(1 / 2000)
    assert {r["method"] for r in access} == {"2sfca"}
    with open(out / "need.csv", newline="") as fh:
        assert {r["service_type"] for r in csv.DictReader(fh)} >= {"mobile-crisis"}
    sites = json.loads((out / "sites.json").read_text())
    assert "crisis-receiving" in sites["by_type"]
    unmet = json.loads((out / "unmet.geojson").read_text())
    assert unmet["type"] == "FeatureCollection"


def test_gaps_report_csvs_are_the_page_downloads(
    runner, client, session, tmp_path, small_geography
):
    """One writer, one column list per layer: the command's CSV files and the planning page's
    downloads of the same layer and moment are the same bytes."""
    at = "2026-01-13T02:00:00-07:00"
    out = tmp_path / "report"
    assert invoke(runner, "gaps", "report", "--out", out, "--at", at).exit_code == 0
    for layer, query in (
        ("coverage", {"at": at}),
        ("gaps", {"at": at}),
        ("week", {"at": at}),
        ("worst", {"at": at}),
        ("need", {}),
        ("sites", {"type": "crisis-receiving"}),
    ):
        page = client.get(f"/planning/download/{layer}.csv", query_string=query)
        assert page.status_code == 200, layer
        written = (out / f"{layer}.csv").read_bytes()
        if layer == "sites":  # the command writes every crisis type's sites in one file
            lines = written.decode().splitlines(keepends=True)
            receiving = [line for line in lines[1:] if line.startswith("crisis-receiving,")]
            written = "".join([lines[0], *receiving]).encode()
        assert page.data == written, layer
    page = client.get("/planning/download/access.csv?type=mobile-crisis&method=gravity")
    lines = (out / "access-gravity.csv").read_bytes().decode().splitlines(keepends=True)
    mobile = [line for line in lines[1:] if ",mobile-crisis,gravity," in line]
    assert page.get_data(as_text=True) == "".join([lines[0], *mobile])


def test_gaps_report_without_geography_fails_cleanly(runner, session, tmp_path):
    result = invoke(runner, "gaps", "report", "--out", tmp_path / "out")
    assert result.exit_code != 0
    assert "geography import" in result.stderr
    assert not (tmp_path / "out").exists()


def test_gaps_report_refuses_bad_options(runner, session, tmp_path, small_geography):
    result = invoke(runner, "gaps", "report", "--out", tmp_path / "o", "--types", "nope")
    assert result.exit_code != 0
    assert "--types" in result.stderr
    result = invoke(runner, "gaps", "report", "--out", tmp_path / "o", "--at", "later")
    assert result.exit_code != 0
    assert "--at" in result.stderr


def test_boundary_command_replaces_the_boundary(runner, session, tmp_path):
    import json

    from sqlalchemy import select

    from pmhc_directory.models import Boundary

    ring = [[-106.7, 35.0], [-106.6, 35.0], [-106.6, 35.1], [-106.7, 35.1], [-106.7, 35.0]]
    path = tmp_path / "boundary.geojson"
    feature = {
        "type": "Feature",
        "properties": {"name": "Test County"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    result = runner.invoke(args=["geography", "boundary", str(path)])
    assert result.exit_code == 0, result.output
    assert session.scalars(select(Boundary.name)).all() == ["Test County"]
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    result = runner.invoke(args=["geography", "boundary", str(bad)])
    assert result.exit_code != 0 and "nothing was changed" in result.output
    assert session.scalars(select(Boundary.name)).all() == ["Test County"]
