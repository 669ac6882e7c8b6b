"""The planning pages (/planning, /planning/report, downloads, vendored Leaflet) and svg_map.

Most tests replace the planning use cases with fixed answers in the endpoints' JSON shapes, so
they test the pages, not the maths; ``test_pages_on_the_demo_county`` runs the real ones.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from html import unescape as html_unescape
from zoneinfo import ZoneInfo

import pytest

from pmhc_directory.rendering.svg_map import (
    Projection,
    class_index,
    quantile_breaks,
    render_svg_map,
)
from pmhc_directory.services import planning as planning_service
from pmhc_directory.views import planning as planning_view

ZONE = ZoneInfo("America/Denver")


def square(lon: float, lat: float, size: float = 0.01) -> dict:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def area(area_id: str, name: str, lon: float, lat: float, **props) -> dict:
    return {
        "type": "Feature",
        "geometry": square(lon, lat),
        "properties": {"area_id": area_id, "name": name, "population": 1000, **props},
    }


class FakePlanning:
    """Fixed answers in the shapes of /api/v1/gaps/*; records what the views asked for."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def coverage_at(self, session, config, types, at, max_minutes):
        self.calls.append(("coverage_at", list(types), at, max_minutes))
        continuum = {"contact": True, "respond": True, "place": True}
        return {
            "type": "FeatureCollection",
            "features": [
                area(
                    "A1",
                    "=Tract 1",
                    -106.60,
                    35.10,
                    covered=dict.fromkeys(types, True),
                    continuum=continuum,
                    all_three=True,
                ),
                area(
                    "A2",
                    "Tract <2>",
                    -106.59,
                    35.10,
                    covered=dict.fromkeys(types, False),
                    continuum={**continuum, "place": False},
                    all_three=False,
                ),
            ],
            "summary": {
                "at": at.isoformat(),
                "population": 2000,
                "by_type": {t: {"covered_population": 1000, "share": 0.5} for t in types},
                "by_continuum": {
                    "contact": {"covered_population": 2000, "share": 1.0},
                    "respond": {"covered_population": 2000, "share": 1.0},
                    "place": {"covered_population": 1000, "share": 0.5},
                },
                "all_three_share": 0.72,
            },
        }

    def coverage_week(self, session, config, types, *, max_minutes=None, now=None):
        self.calls.append(("coverage_week", list(types)))
        return {
            "start": "Monday 00:00",
            "week_of": "2026-11-23",
            "hours": 168,
            "worst": {
                "all_three": {"hour": 3, "share": 0.5, "people_without": 1000},
                "contact": {"hour": 0, "share": 1.0, "people_without": 0},
                "respond": {"hour": 0, "share": 0.9, "people_without": 200},
                "place": {"hour": 3, "share": 0.5, "people_without": 1000},
            },
            "by_continuum": {
                "contact": [1.0] * 168,
                "respond": [0.9] * 168,
                "place": [0.5 if h == 3 else 0.8 for h in range(168)],
            },
            "all_three": [0.5 if h == 3 else 0.8 for h in range(168)],
        }

    def accessibility(self, session, config, service_type, method, max_minutes):
        self.calls.append(("accessibility", service_type, method, max_minutes))
        return {
            "type": "FeatureCollection",
            "features": [
                area("A1", "Tract 1", -106.60, 35.10, score=0.0004),
                area("A2", "Tract 2", -106.59, 35.10, score=None),
            ],
            "method": method,
            "service_type": service_type,
            "supply_note": "supply is capacity",
            "classes": [0.0001, 0.0002, 0.0003, 0.0004, 0.0005],
            "sites": 1,
            "catchment_minutes": 30.0,
        }

    def need_table(self, session, params):
        self.calls.append(("need_table", params))
        return {
            "population": 2000,
            "parameters": {"episodes_per_100k_month": params.episodes_per_100k_month},
            "rows": [
                {
                    "service_type": "crisis-receiving",
                    "label": "Crisis receiving chairs",
                    "unit": "chairs",
                    "needed": 12.5,
                    "in_inventory": 4.0,
                    "shortfall": 8.5,
                }
            ],
            "ratios": {},
        }

    def unmet_layer(self, session, since):
        self.calls.append(("unmet_layer", since))
        return {
            "type": "FeatureCollection",
            "features": [
                area("A1", "Tract 1", -106.60, 35.10, unmet=3, by_need={"intoxicated": 3}),
                area("A2", "Tract 2", -106.59, 35.10, unmet=0, by_need={}),
            ],
            "total": 3,
        }

    def suggest_sites(self, session, config, service_type, p=3, max_minutes=None):
        self.calls.append(("suggest_sites", service_type, p))
        return {
            "type": service_type,
            "threshold_minutes": 30.0,
            "existing_sites": 1,
            "sites": [
                {
                    "area_id": "A2",
                    "id": "A2",
                    "lat": 35.105,
                    "lon": -106.585,
                    "newly_covered_population": 1000,
                    "newly_covered_areas": ["A2"],
                }
            ],
            "population": 2000,
            "covered_before": 1000,
            "covered_after": 2000,
            "optimal": True,
        }

    def town_labels(self, session):
        return [["Cedar <Bluff>", 35.104, -106.595]]

    def services_layer(self, session, types=None):
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [-106.6, 35.1]},
                    "properties": {
                        "service_id": "s1",
                        "name": "@Receiving Center",
                        "service_types": ["crisis-receiving", "crisis-stabilization"],
                        "continuum": "place",
                        "status": "active",
                    },
                }
            ],
        }


@pytest.fixture
def fake(monkeypatch):
    fake = FakePlanning()
    for name in (
        "coverage_at",
        "coverage_week",
        "accessibility",
        "need_table",
        "unmet_layer",
        "services_layer",
        "suggest_sites",
        "town_labels",
    ):
        monkeypatch.setattr(planning_service, name, getattr(fake, name))
    return fake


def no_inline_code(html: str) -> None:
    """The CSP allows no inline script or style: nothing of the kind may be in the page."""
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html), "inline script"
    assert " style=" not in html and "<style" not in html, "inline style"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"


# -- /planning --------------------------------------------------------------------------------


def test_page_states_worst_hour_suggested_sites_and_areas_by_gap(client, fake):
    html = client.get("/planning").get_data(as_text=True)
    no_inline_code(html)
    # The worst hour of the week (week of 2026-11-23, hour 3 = Monday 3 a.m.), with the people.
    worst = re.search(r'<tr data-worst-row="all_three">(.*?)</tr>', html, re.S).group(1)
    assert "Monday 3 a.m. (Nov 23, 2026)" in worst and "50%" in worst and "1,000" in worst
    assert '<tr data-worst-row="respond">' in html
    # The week table: 168 hours, percent with one decimal.
    table = re.search(r"<table[^>]*data-week-table>(.*?)</table>", html, re.S).group(1)
    assert table.count("<tr>") == 169  # header + 168 hours
    assert "80.0%" in table and "50.0%" in table
    # Suggested sites: for crisis receiving when no type is chosen, with people newly covered.
    assert ("suggest_sites", "crisis-receiving", 3) in fake.calls
    site = re.search(r"<tr data-suggested-site(.*?)</tr>", html, re.S).group(1)
    assert 'data-lat="35.105"' in site and "Tract &lt;2&gt;" in site and "1,000" in site
    # Areas by gap: only the area missing an element, with a link into the map.
    gaps = re.search(r"<table[^>]*data-gap-table>(.*?)</table>", html, re.S).group(1)
    assert 'data-area-link="A2"' in gaps and "A safe place for help" in gaps
    assert 'data-area-link="A1"' not in gaps
    # Town labels for the map, escaped in the attribute; a legend entry for every symbol.
    assert 'data-places="[[&#34;Cedar &lt;Bluff&gt;&#34;' in html
    assert "Suggested new site (ringed dot)" in html and "Service: a safe place" in html


def test_a_chosen_type_gets_its_own_suggested_sites(client, fake):
    client.get("/planning?type=mobile-crisis")
    assert ("suggest_sites", "mobile-crisis", 3) in fake.calls


def test_page_renders_headline_need_table_and_map_data(client, fake):
    response = client.get("/planning")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    no_inline_code(html)
    assert "People with all three crisis elements at this hour:" in html
    assert "<strong data-headline-value>72%</strong>" in html
    assert 'data-timezone="America/Denver"' in html
    assert 'data-tile-url=""' in html
    layers = json.loads(html_unescape(re.search(r'data-layers="([^"]*)"', html)[1]))
    assert layers["coverage"]["url"] == "/api/v1/gaps/coverage"
    assert layers["access"]["url"] == "/api/v1/gaps/access"
    assert layers["week"]["url"] == "/api/v1/gaps/coverage/week"
    assert layers["unmet"]["legend"] == planning_view.LAYERS["unmet"].legend
    assert '<option value="access">Accessibility</option>' in html
    assert re.search(r'data-bounds="35\.10000,-106\.60000,35\.11000,-106\.58000"', html)
    assert '<script src="/planning/vendor/leaflet/leaflet.js?v=' in html
    assert '<script src="/static/js/planning.js"' in html
    assert 'href="/planning/vendor/leaflet/leaflet.css?v=' in html
    # The need table, server-rendered (works without JavaScript), with editable settings.
    assert "Crisis receiving chairs" in html
    assert 'name="episodes_per_100k_month"' in html
    # Downloads and the report are linked; the nav marks the page.
    assert 'href="/planning/download/coverage.geojson?at=' in html
    assert 'href="/planning/download/week.csv?at=' in html
    assert 'href="/planning/report"' in html
    assert re.search(r'<a href="/planning"\s+aria-current="page">Planning</a>', html)
    # By default every crisis type is analysed, now (to the hour).
    _, types, at, _ = fake.calls[0]
    assert "crisis-line" in types and "mobile-crisis" in types and "crisis-receiving" in types
    assert at.minute == 0 and at.tzinfo is not None


def test_day_hour_and_type_rerender_on_the_server(client, fake):
    html = client.get("/planning?day=5&hour=2&type=mobile-crisis").get_data(as_text=True)
    _, types, at, _ = fake.calls[0]
    # The headline stays about all three elements: every crisis type is analysed with it.
    assert types == planning_view.crisis_types() and "mobile-crisis" in types
    local = at.astimezone(ZONE)
    assert (local.weekday(), local.hour, local.minute) == (5, 2, 0)
    assert at >= datetime.now(ZONE).replace(minute=0, second=0, microsecond=0)
    assert "Saturday 2 a.m." in html
    assert "Mobile crisis team within reach and open: <strong>50%</strong>" in html
    assert '<option value="mobile-crisis" selected>' in html
    assert 'value="2" data-hour' in html


def test_a_type_outside_the_crisis_elements_is_added_to_them(client, fake):
    client.get("/planning?type=peer-support")
    assert fake.calls[0][1] == [*planning_view.crisis_types(), "peer-support"]
    client.get("/planning/download/coverage.csv?types=peer-support")
    assert fake.calls[-1][1] == ["peer-support"]  # the API's own types= is taken as given


def test_bad_choices_are_reported_and_replaced(client, fake):
    response = client.get("/planning?day=9&type=nonsense&method=magic&episodes_per_100k_month=x")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('class="notice notice-warning" role="alert"') == 4
    assert "Unknown service type" in html


def test_need_settings_reach_the_calculator(client, fake):
    html = client.get("/planning?episodes_per_100k_month=300").get_data(as_text=True)
    params = next(c[1] for c in fake.calls if c[0] == "need_table")
    assert params.episodes_per_100k_month == 300
    assert 'value="300.0"' in html
    assert 'href="/planning/download/need.csv?episodes_per_100k_month=300"' in html


def test_tile_url_setting_reaches_the_page(app, client, fake, monkeypatch):
    monkeypatch.setitem(app.config, "MAP_TILE_URL", "/tiles/{z}/{x}/{y}.png")
    html = client.get("/planning").get_data(as_text=True)
    assert 'data-tile-url="/tiles/{z}/{x}/{y}.png"' in html


def test_no_geography_says_what_to_do(client, monkeypatch):
    def no_areas(*args, **kwargs):
        raise planning_service.NoGeographyError()

    for name in ("coverage_at", "need_table", "accessibility", "unmet_layer", "coverage_week"):
        monkeypatch.setattr(planning_service, name, no_areas)
    for url in ("/planning", "/planning/report"):
        response = client.get(url)
        assert response.status_code == 200
        assert "No analysis areas yet" in response.get_data(as_text=True)
    assert client.get("/planning/download/coverage.csv").status_code == 409


def test_planning_needs_a_login_when_the_directory_is_private(app, client, fake, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_DIRECTORY", False)
    for url in ("/planning", "/planning/report", "/planning/download/coverage.csv"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    html = client.get("/login").get_data(as_text=True)
    assert ">Planning</a>" not in html


# -- Leaflet from the app -----------------------------------------------------------------------


def test_leaflet_is_served_by_the_app(client):
    with client.get("/planning/vendor/leaflet/leaflet.js") as response:
        assert response.status_code == 200
        assert response.mimetype in ("text/javascript", "application/javascript")
        assert b"Leaflet" in response.get_data()[:500]
        assert "max-age=31536000" in response.headers["Cache-Control"]
        assert "immutable" in response.headers["Cache-Control"]
    with client.get("/planning/vendor/leaflet/leaflet.css") as css:
        assert css.status_code == 200 and css.mimetype == "text/css"
    # The images Leaflet's CSS points at (layer control icon), relative to the CSS.
    with client.get("/planning/vendor/leaflet/images/layers.png") as image:
        assert image.mimetype == "image/png"
    assert client.get("/planning/vendor/leaflet/../__init__.py").status_code == 404
    assert client.get("/planning/vendor/leaflet/nothing.js").status_code == 404


# -- downloads --------------------------------------------------------------------------------


def read_csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@pytest.mark.parametrize("layer", ["coverage", "access", "unmet", "services"])
def test_geojson_downloads(client, fake, layer):
    response = client.get(f"/planning/download/{layer}.geojson")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    assert re.fullmatch(
        rf'attachment; filename="{layer}[^"]*\.geojson"', response.headers["Content-Disposition"]
    )
    data = json.loads(response.data)
    assert data["type"] == "FeatureCollection"
    assert data["features"]


def test_coverage_csv_follows_the_query_and_defuses_formulas(client, fake):
    rows = read_csv(client.get("/planning/download/coverage.csv?at=2026-11-28T02:00&type=warmline"))
    _, types, at, _ = fake.calls[0]
    assert types == planning_view.crisis_types()
    assert at.astimezone(ZONE).isoformat() == "2026-11-28T02:00:00-07:00"
    assert rows[0]["area_id"] == "A1"
    assert rows[0]["name"] == "'=Tract 1"  # a spreadsheet shows it as text, never runs it
    assert rows[0]["covered_warmline"] == "true"
    assert rows[1]["continuum_place"] == "false"
    assert rows[1]["all_three"] == "false"


def test_access_unmet_services_need_and_week_csv(client, fake):
    access = read_csv(client.get("/planning/download/access.csv?method=gravity"))
    assert access[0]["score"] == "0.0004" and access[1]["score"] == ""
    assert access[0]["service_type"] == "crisis-receiving" and access[0]["method"] == "gravity"
    assert float(access[0]["score_per_100k"]) == pytest.approx(40.0)
    unmet = read_csv(client.get("/planning/download/unmet.csv?since=2026-01-01"))
    assert unmet[0]["unmet"] == "3" and unmet[0]["need_intoxicated"] == "3"
    assert unmet[1]["need_intoxicated"] == "0"
    assert ("unmet_layer", datetime(2026, 1, 1).date()) in fake.calls
    services = read_csv(client.get("/planning/download/services.csv"))
    assert services[0]["name"] == "'@Receiving Center"
    assert services[0]["service_types"] == "crisis-receiving;crisis-stabilization"
    assert (services[0]["latitude"], services[0]["longitude"]) == ("35.1", "-106.6")
    need = read_csv(client.get("/planning/download/need.csv"))
    assert need == [
        {
            "service_type": "crisis-receiving",
            "label": "Crisis receiving chairs",
            "unit": "chairs",
            "monthly_flow": "",
            "needed": "12.5",
            "in_inventory": "4.0",
            "shortfall": "8.5",
        }
    ]
    week = read_csv(client.get("/planning/download/week.csv"))
    assert len(week) == 168
    assert week[3] == {
        "hour_of_week": "3",
        "local_time": "2026-11-23T03:00",
        "weekday": "Monday",
        "hour": "3",
        "contact": "1.0",
        "respond": "0.9",
        "place": "0.5",
        "all_three": "0.5",
    }
    assert week[167]["weekday"] == "Sunday" and week[167]["hour"] == "23"


def test_download_errors(client, fake):
    assert client.get("/planning/download/need.geojson").status_code == 404
    assert client.get("/planning/download/week.geojson").status_code == 404
    assert client.get("/planning/download/secrets.csv").status_code == 404
    assert client.get("/planning/download/coverage.xlsx").status_code == 404
    assert client.get("/planning/download/coverage.csv?type=nonsense").status_code == 400
    assert client.get("/planning/download/access.csv?method=magic").status_code == 400
    assert client.get("/planning/download/coverage.csv?at=yesterday").status_code == 400
    assert client.get("/planning/download/unmet.csv?since=soon").status_code == 400


# -- the printable report ------------------------------------------------------------------------


def test_report_has_static_svg_maps_need_table_and_headline(client, fake):
    response = client.get("/planning/report")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    no_inline_code(html)
    assert "<script" not in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="svgmap" role="img"') == 4
    assert html.count('class="svgmap-area svgmap-c3"') >= 2  # A1: all three, at both moments
    assert 'class="svgmap-area svgmap-none"' in html  # no receiving center within reach
    assert "<title>Tract &lt;2&gt;: 2</title>" in html  # escaped, two of the three elements
    assert "Saturday 2 a.m." in html and "Tuesday 2 p.m." in html
    assert "<strong>72%</strong>" in html
    assert "Crisis receiving chairs" in html
    assert "Lowest hour this week" in html and "50% at Monday 3 a.m." in html
    # The report's two moments are the next Saturday 2 a.m. and Tuesday 2 p.m., local time.
    moments = [c[2].astimezone(ZONE) for c in fake.calls if c[0] == "coverage_at"]
    assert [(m.weekday(), m.hour) for m in moments] == [(5, 2), (1, 14)]
    assert ("accessibility", "crisis-receiving", "e2sfca", None) in fake.calls


@pytest.mark.slow
def test_pages_on_the_demo_county(app, client, session):
    """The real planning use cases behind the pages, on the demo county (150 areas)."""
    from pmhc_directory.cli import SEED_DIR
    from pmhc_directory.services.seed import load_demo

    load_demo(session, SEED_DIR)
    session.commit()
    page = client.get("/planning?day=5&hour=2")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.search(r"<strong data-headline-value>\d{1,3}%</strong>", html)
    report = client.get("/planning/report").get_data(as_text=True)
    assert report.count('class="svgmap"') == 4
    assert report.count("<path ") >= 4 * 150
    coverage = read_csv(client.get("/planning/download/coverage.csv"))
    assert len(coverage) == 150
    week = read_csv(client.get("/planning/download/week.csv"))
    assert len(week) == 168
    data = json.loads(client.get("/planning/download/services.geojson").data)
    assert data["features"]


# -- svg_map and helpers --------------------------------------------------------------------------


def test_projection_is_equirectangular_with_cosine_scaling():
    # A 1 x 1 degree box at 60 degrees north: a degree of longitude is half a degree of latitude.
    project = Projection((10.0, 59.5, 11.0, 60.5), width=108)
    assert project(10.0, 60.5) == pytest.approx((4, 4))  # north-west corner top left (padding 4)
    assert project(11.0, 60.5)[0] == pytest.approx(4 + 100)  # the width is filled
    assert project(10.0, 59.5)[1] == pytest.approx(4 + 200)  # twice as tall; north up
    assert project.height == pytest.approx(208)


def test_class_rule_and_quantile_breaks():
    classes = [1.0, 2.0, 5.0]
    assert [class_index(v, classes) for v in (0, 1, 1.5, 2, 4, 5, 99)] == [0, 0, 1, 1, 2, 2, 2]
    assert quantile_breaks([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5) == [2, 4, 6, 8, 10]
    assert quantile_breaks([3, 3, 3], 5) == [3]
    assert quantile_breaks([], 5) == []


def test_svg_map_paths_classes_titles_and_legend():
    features = [
        area("A1", "North & South", -106.60, 35.10, value=1.0),
        area("A2", "Tract 2", -106.59, 35.10, value=7.0),
        area("A3", "Tract 3", -106.58, 35.10, value=None),
        {"type": "Feature", "geometry": None, "properties": {"area_id": "A4"}},
    ]
    svg = str(
        render_svg_map(
            features,
            lambda f: f["properties"].get("value"),
            [2.0, 5.0, 10.0],
            legend_title="Score",
            label="Map of scores",
        )
    )
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" class="svgmap" role="img"')
    assert 'aria-label="Map of scores"' in svg
    assert svg.count("<path ") == 3  # the feature without geometry draws nothing
    assert '<path class="svgmap-area svgmap-c0" d="M4.0 ' in svg
    assert 'class="svgmap-area svgmap-c2"' in svg
    assert 'class="svgmap-area svgmap-none"' in svg
    assert "<title>North &amp; South: 1</title>" in svg
    assert "<title>Tract 3: no data</title>" in svg
    for text in ("Score", "up to 2", "2 to 5", "5 to 10", "No data"):
        assert f">{text}</text>" in svg
    assert " style=" not in svg and " fill=" not in svg


def test_svg_map_booleans_standalone_and_limits():
    features = [
        area("A1", "Tract 1", -106.60, 35.10, ok=True),
        area("A2", "Tract 2", -106.59, 35.10, ok=False),
    ]
    svg = str(render_svg_map(features, lambda f: f["properties"]["ok"], None, standalone=True))
    assert 'fill="#2b83ba"' in svg and 'fill="#f4a582"' in svg  # presentation attributes
    assert 'class="svgmap-area ' not in svg
    assert ">Yes</text>" in svg and ">No</text>" in svg
    assert 'aria-label="Map"' in svg
    with pytest.raises(ValueError):
        render_svg_map(features, lambda f: 1.0, [float(i) for i in range(8)])
    empty = str(render_svg_map([], lambda f: None, [1.0]))
    assert "No areas to draw." in empty


def test_next_weekday_hour():
    thursday = datetime(2026, 11, 26, 7, 47, tzinfo=ZONE)
    assert planning_view.next_weekday_hour(thursday, 5, 2) == datetime(2026, 11, 28, 2, tzinfo=ZONE)
    assert planning_view.next_weekday_hour(thursday, 3, 7) == datetime(2026, 11, 26, 7, tzinfo=ZONE)
    assert planning_view.next_weekday_hour(thursday, 3, 6) == datetime(2026, 12, 3, 6, tzinfo=ZONE)
    assert planning_view.describe_moment(datetime(2026, 11, 28, 14, tzinfo=ZONE)) == (
        "Saturday 2 p.m. (Nov 28, 2026)"
    )


# -- the layer registry ------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"^(?P<prefix>[a-z_]*)<(?P<kind>type|element|need)>$")


def header_follows(declared: tuple[str, ...], header: list[str]) -> bool:
    """Does ``header`` read as ``declared``, each ``<placeholder>`` standing for zero or more
    columns with its prefix?"""
    pattern = "".join(
        rf"(?:{re.escape(m['prefix'])}[^,]+,)*"
        if (m := PLACEHOLDER.match(c))
        else f"{re.escape(c)},"
        for c in declared
    )
    return re.fullmatch(pattern, ",".join(header) + ",") is not None


@pytest.mark.parametrize("name", list(planning_view.LAYERS))
def test_every_layer_downloads_as_declared(client, fake, name):
    """Each registry layer is offered on the page and its CSV header is its declared columns."""
    layer = planning_view.LAYERS[name]
    html = client.get("/planning").get_data(as_text=True)
    for fmt in layer.formats:
        assert f'data-download="{name}" data-format="{fmt}"' in html
    response = client.get(f"/planning/download/{name}.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert header_follows(layer.columns, rows[0]), (layer.columns, rows[0])
    assert len(rows) > 1 and all(len(row) == len(rows[0]) for row in rows)
    if "geojson" not in layer.formats:
        assert client.get(f"/planning/download/{name}.geojson").status_code == 404


def test_planners_doc_lists_every_layers_columns():
    """docs/planners.md says which columns each CSV has, as the registry declares them."""
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "planners.md").read_text("utf-8")
    for layer in planning_view.LAYERS.values():
        columns = ", ".join(f"`{c}`" for c in layer.columns)
        assert f"| `{layer.name}` | {layer.holds} | {columns} |" in doc, layer.name


def test_areas_by_gap_csv_is_the_page_table(client, fake):
    """The "areas by gap" download lists every area missing an element, named as on the page."""
    rows = read_csv(client.get("/planning/download/gaps.csv?at=2026-11-28T02:00"))
    assert rows == [
        {
            "area_id": "A2",
            "name": "Tract <2>",
            "population": "1000",
            "elements_missing": "1",
            "missing": "A safe place for help",
        }
    ]
    html = client.get("/planning").get_data(as_text=True)
    assert 'data-area-link="A2"' in html and 'data-area-link="A1"' not in html
