"""The benchmark's synthetic state is deterministic, and ``benchmarks/run.py`` works end to end."""

from __future__ import annotations

import gc
import json
import math
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks import run, synthetic

REQUIRED = (
    "match_p50_ms",
    "match_p95_ms",
    "http_match_p95_ms",
    "search_p95_ms",
    "import_services_per_s",
    "export_services_per_s",
    "e2sfca_seconds",
    "access_seconds",
    "e2sfca_speedup_vs_access",
    "e2sfca_max_rel_diff",
    "coverage_seconds",
    "rss_mb",
    "cold_start_seconds",
)


def test_services_are_the_same_from_run_to_run() -> None:
    first = json.dumps(list(synthetic.services(120, 30)), sort_keys=True)
    second = json.dumps(list(synthetic.services(120, 30)), sort_keys=True)
    assert first == second
    other_seed = json.dumps(list(synthetic.services(120, 30, seed="another")), sort_keys=True)
    assert other_seed != first


def test_areas_and_queries_are_the_same_from_run_to_run() -> None:
    assert synthetic.areas_collection(40) == synthetic.areas_collection(40)
    base = synthetic.REFERENCE
    assert synthetic.match_queries(30, 40, base) == synthetic.match_queries(30, 40, base)
    assert synthetic.search_queries(30, 40) == synthetic.search_queries(30, 40)


def test_areas_tile_the_state_with_people_in_each() -> None:
    features = synthetic.areas_collection(37)["features"]
    assert len(features) == 37
    ids = [f["properties"]["area_id"] for f in features]
    assert len(set(ids)) == 37
    for feature in features:
        ring = feature["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1]
        lons = [p[0] for p in ring]
        lats = [p[1] for p in ring]
        props = feature["properties"]
        assert min(lons) <= props["centre_lon"] <= max(lons)
        assert min(lats) <= props["centre_lat"] <= max(lats)
        assert props["population"] > 0


def test_services_have_unique_ids_and_a_realistic_mix() -> None:
    services = list(synthetic.services(400, 50))
    assert len({s["id"] for s in services}) == 400
    ids = [a["id"] for s in services for a in s["attributes"]]
    assert len(ids) == len(set(ids))
    types = Counter(
        a["taxonomy_term"]["code"]
        for s in services
        for a in s["attributes"]
        if a["link_type"] == "service_type"
    )
    assert len(types) >= 15  # many kinds of service, not one
    assert types["outpatient-mental-health"] > types["sobering-center"]
    statuses = Counter(s["status"] for s in services)
    assert statuses["active"] > 0.9 * len(services)
    assert any(not s["schedules"] for s in services)  # some hours unknown
    assert any(s.get("service_areas") for s in services)  # teams and lines with areas
    assert any(s.get("capacities") for s in services)


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """The benchmark's app runs with a server's settings, so its lookup cache freezes this
    process's objects (``FREEZE_FILLED_CACHES``); they go back to the collector afterwards."""
    yield
    gc.unfreeze()


@pytest.mark.slow
def test_run_measures_every_figure_at_tiny_scale(tmp_path: Path, unfrozen: None) -> None:
    out = tmp_path / "figures.json"
    code = run.main(
        [
            "--services",
            "200",
            "--areas",
            "20",
            "--queries",
            "20",
            "--search-queries",
            "5",
            "--sites",
            "100",
            "--json",
            str(out),
        ]
    )
    assert code == 0
    figures = json.loads(out.read_text())
    missing = [key for key in REQUIRED if key not in figures]
    assert missing == []
    for key in REQUIRED:
        assert math.isfinite(figures[key]) and figures[key] >= 0, key
    assert figures["services"] == 200 and figures["areas"] == 20
    # Our E2SFCA agrees with PySAL access on the same inputs.
    assert figures["e2sfca_max_rel_diff"] <= 1e-9
    assert figures["match_mean_results"] > 0  # the queries find services
