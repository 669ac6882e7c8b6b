#!/usr/bin/env python3
"""Scale benchmark: a synthetic state in a temporary instance, measured end to end.

    python benchmarks/run.py --services 50000 --areas 5000 --json /tmp/bench.json
    python benchmarks/run.py --services 5000 --areas 500 \\
        --database postgresql+psycopg://postgres@127.0.0.1:5432/bench

Builds the state of ``benchmarks/synthetic.py`` in a new temporary instance folder (SQLite file
there by default; with ``--database`` the given PostgreSQL database is EMPTIED first, so give
it a database of its own), then measures and prints a table. Figures (``--json``):

* ``match_p50_ms``, ``match_p95_ms``: ``run_lookup`` in process, varied queries, one session
  each (what a request does, minus HTTP); ``match_cpu_p50_ms``, ``match_cpu_p95_ms``: the
  process's CPU time per lookup (less inflated than wall time on a busy machine);
* ``http_match_p95_ms``: ``GET /api/v1/match`` against gunicorn (``--workers``, default 2) on
  127.0.0.1, from ``--clients`` concurrent client threads;
* ``search_p95_ms``: ``search_services`` with a text query;
* ``import_services_per_s``, ``export_services_per_s``: ``import_services`` (batches of 5,000,
  committed) and ``export_services``;
* ``e2sfca_seconds``, ``access_seconds``, ``e2sfca_speedup_vs_access``, ``e2sfca_max_rel_diff``:
  ``gaps.fca.enhanced_two_step_fca`` and PySAL ``access`` on the same long cost table (M areas
  x up to 5,000 sites, pairs within 60 minutes), and the dense M x 5,000 time;
* ``coverage_hour_seconds``, ``coverage_week_seconds``, ``coverage_seconds``,
  ``planning_page_seconds`` (and ``coverage_inventory_seconds``, ``coverage_hour_cached_seconds``,
  ``planning_page_first_seconds``): the sparse coverage and ``/planning``, see
  :func:`measure_coverage`; ``--only coverage`` measures these alone (after the import);
* ``rss_mb``: peak resident memory (VmHWM) of the largest warm gunicorn worker;
* ``cold_start_seconds``: from starting gunicorn to the first match answered, with the app's
  modules byte-compiled first as on a server (see :func:`measure_http`);
* with ``--road-grid N``: ``road_match_p50_ms``, ``road_match_p95_ms`` (and ``road_*``
  figures of the network), the same lookups with an ``N x N`` synthetic grid road network
  spanning the state loaded (``N=1000``: a million nodes, state size), see
  :func:`measure_roads`; measured last, after every other stage. Unless ``--skip-http``,
  gunicorn then serves the lookups with the network in use: ``road_http_match_p95_ms``,
  ``road_rss_mb`` (a warm worker holding the network) and ``road_cold_start_seconds`` (the
  first match reads the network from the database and builds its graph and KD-tree).
"""

from __future__ import annotations

import argparse
import compileall
import http.client
import json
import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import synthetic  # noqa: E402

TIMEZONE = "America/Denver"
# Lookups are asked as of this moment (capacity reports in the state are hours old then).
BENCH_NOW = synthetic.REFERENCE + timedelta(hours=6)
# Queries fall in the week starting this Monday (local time).
AT_BASE = datetime(2026, 11, 2, 0, 0, tzinfo=UTC) + timedelta(hours=7)


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear interpolation between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    position = (len(ordered) - 1) * q / 100.0
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# --------------------------------------------------------------------------- the instance


def prepare_database(url: str) -> None:
    """Empty the database (PostgreSQL: drop the public schema), migrate, load reference data."""
    from sqlalchemy.orm import Session

    from pmhc_directory.db import make_engine
    from pmhc_directory.schema import upgrade
    from pmhc_directory.services.reference_data import load_reference_data

    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    upgrade(engine)
    with Session(engine) as session:
        load_reference_data(session)
        session.commit()
    engine.dispose()


def make_app(url: str, instance: Path) -> Any:
    from pmhc_directory import create_app

    return create_app(
        {
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(instance),
            "SECRET_KEY": "benchmark-only-secret",
            "TIMEZONE": TIMEZONE,
            "LOG_LEVEL": "WARNING",
        }
    )


# --------------------------------------------------------------------------- measurements


def measure_export(app: Any) -> dict[str, float]:
    from pmhc_directory.db import get_database
    from pmhc_directory.services.exports import export_services

    with app.app_context():
        session = get_database(app).session()
        try:
            started = time.perf_counter()
            count = sum(1 for _ in export_services(session))
            seconds = time.perf_counter() - started
        finally:
            session.close()
    return {"export_seconds": seconds, "export_services_per_s": count / seconds}


def measure_search(app: Any, queries: Sequence[str]) -> dict[str, float]:
    from pmhc_directory.db import get_database
    from pmhc_directory.search import get_search_index
    from pmhc_directory.services.search import reindex, search_services

    database = get_database(app)
    with app.app_context():
        index = get_search_index(app)
        session = database.session()
        try:
            started = time.perf_counter()
            reindex(session, index)
            reindex_seconds = time.perf_counter() - started
        finally:
            session.close()
        timings = []
        for q in queries:
            session = database.session()
            try:
                started = time.perf_counter()
                search_services(session, index, q)
                timings.append((time.perf_counter() - started) * 1000)
            finally:
                session.close()
    return {
        "reindex_seconds": reindex_seconds,
        "search_p50_ms": percentile(timings, 50),
        "search_p95_ms": percentile(timings, 95),
    }


def measure_match(app: Any, queries: Sequence[synthetic.MatchQuery]) -> dict[str, float]:
    from zoneinfo import ZoneInfo

    from pmhc_directory.db import get_database
    from pmhc_directory.services.lookup import (
        build_geocoder,
        parse_lookup_params,
        run_lookup,
        settings_from_config,
    )

    database = get_database(app)
    zone = ZoneInfo(TIMEZONE)
    settings = settings_from_config(app.config)
    timings = []
    cpu_timings = []
    results = 0
    first_ms = math.nan
    with app.app_context():
        for number, query in enumerate(queries):
            session = database.session()
            try:
                started = time.perf_counter()
                cpu_started = time.process_time()
                request = parse_lookup_params(query.params, zone=zone, now=BENCH_NOW)
                geocoder = build_geocoder(session, app.config, BENCH_NOW.date())
                answer = run_lookup(
                    session, request, geocoder=geocoder, settings=settings, now=BENCH_NOW
                )
                elapsed = (time.perf_counter() - started) * 1000
                cpu_elapsed = (time.process_time() - cpu_started) * 1000
                results += len(answer["results"])
                if number == 0:
                    first_ms = elapsed
                else:
                    timings.append(elapsed)
                    cpu_timings.append(cpu_elapsed)
            finally:
                session.rollback()  # the unmet-need records: the state stays as generated
                session.close()
    return {
        "match_first_ms": first_ms,
        "match_p50_ms": percentile(timings, 50),
        "match_p95_ms": percentile(timings, 95),
        # CPU time of this process per lookup: what a busy machine inflates least.
        "match_cpu_p50_ms": percentile(cpu_timings, 50),
        "match_cpu_p95_ms": percentile(cpu_timings, 95),
        "match_mean_results": results / max(1, len(queries)),
    }


def measure_roads(app: Any, queries: Sequence[synthetic.MatchQuery], side: int) -> dict[str, float]:
    """The officer lookup with a road network loaded (docs/roads.md).

    An ``side x side`` grid of streets spanning the synthetic state (``benchmarks/roads.py``:
    two-way residential streets at 25 km/h, every 10th an arterial at 65; 1000 gives 1,000,000
    nodes about 560 m apart over 560 x 560 km) is stored as the network in use, then the same
    lookups as ``measure_match`` run again: ``road_match_first_ms`` includes reading the
    network from the database and building its graph and KD-tree; ``road_match_p50_ms`` and
    ``road_match_p95_ms`` are the rest. ``road_part_p50_ms``/``road_part_p95_ms``: the road
    search alone (``from_point`` bounded at 60 minutes, the default caps' limit, and the times to
    2,000 sites) from the same points.
    """
    import numpy as np

    from benchmarks.roads import grid
    from pmhc_directory.db import get_database
    from pmhc_directory.services.roads import current_road_network, store_road_network

    half_km = synthetic.STATE_KM / 2
    started = time.perf_counter()
    network = grid(
        side,
        step_km=synthetic.STATE_KM / max(1, side - 1),
        lat0=synthetic.CENTRE_LAT - half_km / synthetic.KM_PER_DEG_LAT,
        lon0=synthetic.CENTRE_LON - half_km / synthetic.KM_PER_DEG_LON,
    )
    figures: dict[str, float] = {
        "road_grid_side": side,
        "road_grid_nodes": network.node_count,
        "road_grid_edges": network.edge_count,
        "road_grid_build_seconds": time.perf_counter() - started,
    }
    with app.app_context():
        session = get_database(app).session()
        try:
            started = time.perf_counter()
            store_road_network(session, network)
            session.commit()
            figures["road_store_seconds"] = time.perf_counter() - started
            figures["road_stored_mb"] = len(network.to_bytes()) / 1e6
        finally:
            session.close()
    del network
    found = measure_match(app, queries)
    figures.update({f"road_{key}": value for key, value in found.items()})
    with app.app_context():
        session = get_database(app).session()
        try:
            loaded = current_road_network(session)
        finally:
            session.close()
    if loaded is None:
        raise RuntimeError("the road network was not stored")
    rng = np.random.default_rng(7)
    sites = (
        rng.uniform(loaded.lat.min(), loaded.lat.max(), 2000),
        rng.uniform(loaded.lon.min(), loaded.lon.max(), 2000),
    )
    timings, cpu_timings = [], []
    for query in queries[1:]:
        lat, lon = float(query.params["lat"]), float(query.params["lon"])
        started = time.perf_counter()
        cpu_started = time.process_time()
        origin = loaded.from_point(
            lat, lon, max_snap_km=1.0, snap_speed_kmh=15.0, limit_minutes=60.0
        )
        if origin is not None:
            origin.times_to(*sites)
        timings.append((time.perf_counter() - started) * 1000)
        cpu_timings.append((time.process_time() - cpu_started) * 1000)
    figures["road_part_p50_ms"] = percentile(timings, 50)
    figures["road_part_p95_ms"] = percentile(timings, 95)
    figures["road_part_cpu_p50_ms"] = percentile(cpu_timings, 50)
    figures["road_part_cpu_p95_ms"] = percentile(cpu_timings, 95)
    return figures


def measure_coverage(app: Any) -> dict[str, float]:
    """Coverage and the planning page (docs/scale.md, "Coverage").

    The lookup cache is filled first (every worker holds it; filling it from nothing is what
    ``cold_start_seconds`` measures) and timed as ``coverage_inventory_seconds``. Then, with the
    coverage cache emptied before each: ``coverage_hour_seconds`` (``coverage_summary``, every
    service type, one hour), ``coverage_week_seconds`` (``coverage_week``, every type, 168
    hours), ``coverage_seconds`` (``coverage_at``, every type, one hour, with every area's
    feature); then the same hour again from the cache (``coverage_hour_cached_seconds``).
    ``planning_page_first_seconds`` / ``planning_page_seconds``: ``GET /planning`` at the
    default settings through the test client, the first after the cache was emptied and the
    second (warm).
    """
    import scipy.sparse  # noqa: F401 (imported at first use by a worker, 0.3-0.4 s: not timed;
    import scipy.spatial  # noqa: F401  docs/scale.md, "Warm starts")

    import pmhc_directory.gaps  # noqa: F401 (a worker has its modules imported: not timed)
    from pmhc_directory.db import get_database
    from pmhc_directory.gaps.coverage import geodesic_km
    from pmhc_directory.services import lookup, planning
    from pmhc_directory.taxonomy import SERVICE_TYPE, vocabulary

    geodesic_km(0.0, 0.0, 1.0, 1.0)  # pyproj's first call loads its data files
    types = vocabulary().codes(SERVICE_TYPE)
    at = AT_BASE + timedelta(hours=14)
    figures: dict[str, float] = {}

    def timed(name: str, call: Callable[[], Any], *, cold: bool = True) -> None:
        if cold:
            planning._stores.clear()
        started, cpu = time.perf_counter(), time.process_time()
        call()
        figures[name] = time.perf_counter() - started
        # CPU seconds of this process too: on a busy machine the wall time also counts waiting.
        figures[name.replace("_seconds", "_cpu_seconds")] = time.process_time() - cpu

    with app.app_context():
        session = get_database(app).session()
        try:
            cache = lookup.candidate_cache(session)
            timed("coverage_inventory_seconds", lambda: cache.catch_up(session, vocabulary()))
            timed(
                "coverage_hour_seconds",
                lambda: planning.coverage_summary(session, app.config, types, at),
            )
            timed(
                "coverage_hour_cached_seconds",
                lambda: planning.coverage_summary(session, app.config, types, at),
                cold=False,
            )
            timed(
                "coverage_week_seconds",
                lambda: planning.coverage_week(session, app.config, types, now=at),
            )
            timed("coverage_seconds", lambda: planning.coverage_at(session, app.config, types, at))
        finally:
            session.close()
    client = app.test_client()
    planning._stores.clear()
    for name in ("planning_page_first_seconds", "planning_page_seconds"):
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get("/planning")
        figures[name] = time.perf_counter() - started
        figures[name.replace("_seconds", "_cpu_seconds")] = time.process_time() - cpu
        if response.status_code != 200:
            raise RuntimeError(f"/planning answered {response.status_code}")
    return figures


def measure_fca(app: Any, max_sites: int, skip_access: bool) -> dict[str, float]:
    """E2SFCA on M areas x up to ``max_sites`` located services, and PySAL access on the same."""
    import numpy as np
    import scipy.sparse as sp
    from sqlalchemy import select

    from pmhc_directory.db import get_database
    from pmhc_directory.gaps import fca
    from pmhc_directory.models import Location
    from pmhc_directory.services.planning import estimated_minutes, load_areas, travel_model

    with app.app_context():
        session = get_database(app).session()
        try:
            areas = load_areas(session)
            points = session.execute(
                select(Location.latitude, Location.longitude)
                .where(Location.latitude.is_not(None))
                .order_by(Location.id)
                .limit(max_sites)
            ).all()
        finally:
            session.close()
    lat = np.array([p[0] for p in points], dtype=float)
    lon = np.array([p[1] for p in points], dtype=float)
    rng = np.random.default_rng(20261101)
    supply = rng.integers(1, 21, len(points)).astype(float)
    demand = areas.population.astype(float)
    cost = estimated_minutes(
        travel_model(app.config), areas.lat[:, None], areas.lon[:, None], lat[None, :], lon[None, :]
    )
    started = time.perf_counter()
    dense_scores = fca.enhanced_two_step_fca(demand, supply, cost)
    dense_seconds = time.perf_counter() - started
    # The same inputs for both: the long table of pairs within 60 minutes (beyond 30 minutes
    # the Luo & Qi weight is 0, so pairs 30-60 minutes test "reachable but weight 0").
    i, j = np.nonzero(cost <= 60.0)
    minutes = cost[i, j]
    del cost
    started = time.perf_counter()
    matrix = sp.csr_array((minutes, (i, j)), shape=(len(demand), len(supply)))
    ours = fca.enhanced_two_step_fca(demand, supply, matrix)
    seconds = time.perf_counter() - started
    figures = {
        "e2sfca_sites": float(len(points)),
        "e2sfca_pairs": float(len(minutes)),
        "e2sfca_seconds": seconds,
        "e2sfca_dense_seconds": dense_seconds,
        "e2sfca_dense_finite_areas": float(np.isfinite(dense_scores).sum()),
    }
    if skip_access:
        return figures
    import pandas as pd
    from access import Access, weights

    area_ids = np.array([f"a{k}" for k in range(len(demand))])
    site_ids = np.array([f"s{k}" for k in range(len(supply))])
    demand_df = pd.DataFrame({"pop": demand}, index=pd.Index(area_ids, name="geoid"))
    supply_df = pd.DataFrame({"supply": supply}, index=pd.Index(site_ids, name="geoid"))
    cost_df = pd.DataFrame({"origin": area_ids[i], "dest": site_ids[j], "cost": minutes})
    started = time.perf_counter()
    model = Access(
        demand_df=demand_df,
        demand_index=True,
        demand_value="pop",
        supply_df=supply_df,
        supply_index=True,
        supply_value="supply",
        cost_df=cost_df,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    frame = model.enhanced_two_stage_fca(
        name="x", weight_fn=weights.step_fn(dict(fca.LUO_QI_WEIGHTS))
    )
    access_seconds = time.perf_counter() - started
    theirs = frame["x_supply"].reindex(area_ids).to_numpy(dtype=float)
    same_nan = bool((np.isnan(ours) == np.isnan(theirs)).all())
    finite = ~np.isnan(ours) & ~np.isnan(theirs)
    scale = np.maximum(np.abs(theirs[finite]), np.finfo(float).tiny)
    rel = float(np.max(np.abs(ours[finite] - theirs[finite]) / scale)) if finite.any() else 0.0
    figures.update(
        {
            "access_seconds": access_seconds,
            "e2sfca_speedup_vs_access": access_seconds / seconds,
            "e2sfca_max_rel_diff": rel if same_nan else math.inf,
        }
    )
    return figures


# --------------------------------------------------------------------------- over HTTP


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port: int, path: str, timeout: float = 30.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found += [int(p) for p in text.split()]
    return found


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return math.nan


def match_path(query: synthetic.MatchQuery) -> str:
    return "/api/v1/match?" + urlencode(query.params)


def run_clients(port: int, paths: Sequence[str], clients: int) -> tuple[list[float], list[int]]:
    """Send every path once from ``clients`` threads (keep-alive connections); latencies in ms."""
    timings: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    queue = list(enumerate(paths))

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if not queue:
                    break
                _n, path = queue.pop()
            started = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                status = 0
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                timings.append(elapsed)
                statuses.append(status)
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings, statuses


def measure_http(
    url: str,
    instance: Path,
    queries: Sequence[synthetic.MatchQuery],
    *,
    workers: int,
    clients: int,
) -> dict[str, float]:
    """gunicorn with ``workers`` processes on a free loopback port; stopped at the end.

    The app's modules are byte-compiled first, as they are on a server after its first start
    (or by ``pip install`` of a built package): where ``PYTHONDONTWRITEBYTECODE`` is set (as on
    the machine of docs/scale.md) every worker would otherwise compile about 150 modules from
    source, 0.4 s of its cold start that no deployment pays twice.
    """
    compileall.compile_dir(REPO / "pmhc_directory", quiet=1)
    port = free_port()
    env = {
        **os.environ,
        "PMHC_DATABASE_URL": url,
        "PMHC_INSTANCE_PATH": str(instance),
        "PMHC_SECRET_KEY": "benchmark-only-secret",
        "PMHC_TIMEZONE": TIMEZONE,
        "PMHC_LOG_LEVEL": "WARNING",
        # The clients are the load generator, not officers: the per-address lookup limit
        # (30 a minute anonymous, docs/security.md) would refuse most of the requests.
        "PMHC_LOOKUP_RATE_LIMIT_ANONYMOUS": "100000 per minute",
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(REPO),
        "--log-level",
        "warning",
        "--timeout",
        "120",
        "wsgi:app",
    ]
    log = open(instance / "gunicorn.log", "wb")  # noqa: SIM115 (closed below)
    started = time.perf_counter()
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        first = match_path(queries[0])
        cold = math.nan
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {instance / 'gunicorn.log'}")
            try:
                status, body = _get(port, first, timeout=120)
            except OSError:
                time.sleep(0.05)
                continue
            if status != 200:
                tail = (instance / "gunicorn.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"match answered {status}: {body[:300]!r}; log:\n{tail}")
            cold = time.perf_counter() - started
            break
        # Warm every worker (each builds its own caches), then measure.
        paths = [match_path(q) for q in queries]
        run_clients(port, paths[: 10 * workers], workers)
        timings, statuses = run_clients(port, paths, clients)
        # Failed requests are counted, not timed (SQLite: "database is locked" when two workers
        # record unmet needs at once; see docs/scale.md).
        ok = [t for t, status in zip(timings, statuses, strict=True) if status == 200]
        failed = len(statuses) - len(ok)
        if not ok:
            raise RuntimeError(f"every HTTP request failed (statuses {sorted(set(statuses))})")
        timings = ok
        rss = max((_peak_rss_mb(pid) for pid in _children(server.pid)), default=math.nan)
        return {
            "cold_start_seconds": cold,
            "http_match_p50_ms": percentile(timings, 50),
            "http_match_p95_ms": percentile(timings, 95),
            "http_failed": float(failed),
            "http_workers": float(workers),
            "http_clients": float(clients),
            "rss_mb": rss,
        }
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


# --------------------------------------------------------------------------- the run

ROWS = (
    ("import_services_per_s", "Import (services/s)", ">= 1000"),
    ("export_services_per_s", "Export (services/s)", ""),
    ("reindex_seconds", "Search reindex (s)", ""),
    ("match_p50_ms", "Match p50 in process (ms)", ""),
    ("match_p95_ms", "Match p95 in process (ms)", "<= 25"),
    ("match_cpu_p50_ms", "  the same, CPU time p50 (ms)", ""),
    ("match_cpu_p95_ms", "  the same, CPU time p95 (ms)", ""),
    ("http_match_p50_ms", "Match p50 over HTTP (ms)", ""),
    ("http_match_p95_ms", "Match p95 over HTTP (ms)", "<= 60"),
    ("search_p95_ms", "Search p95 (ms)", "<= 50"),
    ("e2sfca_seconds", "E2SFCA (s)", "<= 1"),
    ("e2sfca_dense_seconds", "E2SFCA dense M x sites (s)", ""),
    ("access_seconds", "PySAL access (s)", ""),
    ("e2sfca_speedup_vs_access", "E2SFCA speed-up vs access", ">= 10"),
    ("e2sfca_max_rel_diff", "E2SFCA max relative difference", "<= 1e-9"),
    ("coverage_inventory_seconds", "Lookup cache fill for coverage (s)", ""),
    ("coverage_hour_seconds", "Coverage, all types, one hour (s)", "<= 1"),
    ("coverage_hour_cpu_seconds", "  the same, CPU time (s)", ""),
    ("coverage_week_seconds", "Coverage, all types, 168 hours (s)", "<= 10"),
    ("coverage_week_cpu_seconds", "  the same, CPU time (s)", ""),
    ("coverage_seconds", "Coverage with area features (s)", ""),
    ("coverage_hour_cached_seconds", "Coverage, same hour again (s)", ""),
    ("planning_page_first_seconds", "/planning, first request (s)", ""),
    ("planning_page_seconds", "/planning, warm (s)", "<= 2"),
    ("planning_page_cpu_seconds", "  the same, CPU time (s)", ""),
    ("rss_mb", "Peak RSS of a warm worker (MB)", "<= 500"),
    ("road_grid_nodes", "Road network: grid nodes", ""),
    ("road_match_first_ms", "  match, first with the network (ms)", ""),
    ("road_match_p50_ms", "  match p50 in process (ms)", ""),
    ("road_match_p95_ms", "  match p95 in process (ms)", "<= 25"),
    ("road_match_cpu_p50_ms", "  match CPU time p50 (ms)", ""),
    ("road_match_cpu_p95_ms", "  match CPU time p95 (ms)", ""),
    ("road_part_p50_ms", "  road search alone p50 (ms)", ""),
    ("road_part_p95_ms", "  road search alone p95 (ms)", ""),
    ("road_part_cpu_p95_ms", "  road search alone CPU p95 (ms)", ""),
    ("road_http_match_p95_ms", "  match p95 over HTTP (ms)", "<= 60"),
    ("road_rss_mb", "  peak RSS of a warm worker (MB)", "<= 500"),
    ("road_cold_start_seconds", "  cold start to first match (s)", ""),
    ("cold_start_seconds", "Cold start to first match (s)", ""),
)


def table(figures: dict[str, Any]) -> str:
    lines = [f"{'figure':<38} {'value':>14}  bar", "-" * 62]
    for key, label, bar in ROWS:
        if key not in figures:
            continue
        value = figures[key]
        text = f"{value:.3g}" if isinstance(value, float) and abs(value) < 1e-3 else f"{value:,.2f}"
        lines.append(f"{label:<38} {text:>14}  {bar}")
    return "\n".join(lines)


def run(args: argparse.Namespace, progress: Callable[[str], None] = say) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="pmhc-bench-"))
    instance = folder / "instance"
    instance.mkdir()
    url = args.database or f"sqlite:///{folder / 'bench.sqlite3'}"
    figures: dict[str, Any] = {
        "services": args.services,
        "areas": args.areas,
        "backend": url.split(":", 1)[0].split("+", 1)[0],
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    try:
        progress(f"instance in {folder} ({figures['backend']})")
        prepare_database(url)
        app = make_app(url, instance)
        from pmhc_directory.db import get_database

        with app.app_context():
            session = get_database(app).session()
            try:
                timings = synthetic.load_state(
                    session,
                    folder,
                    services_count=args.services,
                    areas=args.areas,
                    say=progress,
                )
            finally:
                session.close()
        figures["import_seconds"] = timings["import_seconds"]
        figures["import_services_per_s"] = args.services / timings["import_seconds"]
        save(args, figures)
        queries = synthetic.match_queries(args.queries, args.areas, AT_BASE)
        all_stages: list[tuple[str, Callable[[], dict[str, Any]]]] = [
            ("export", lambda: measure_export(app)),
            (
                "search",
                lambda: measure_search(
                    app, synthetic.search_queries(args.search_queries, args.areas)
                ),
            ),
            ("match", lambda: measure_match(app, queries)),
            ("E2SFCA", lambda: measure_fca(app, args.sites, args.skip_access)),
        ]
        if not args.skip_http:
            all_stages.append(
                (
                    "HTTP",
                    lambda: measure_http(
                        url, instance, queries, workers=args.workers, clients=args.clients
                    ),
                )
            )
        if not args.skip_coverage:
            all_stages.append(("coverage", lambda: measure_coverage(app)))
        if args.road_grid:
            all_stages.append(("roads", lambda: measure_roads(app, queries, args.road_grid)))
            if not args.skip_http:  # the network stays in use after the roads stage
                all_stages.append(
                    (
                        "roads",
                        lambda: {
                            f"road_{key}": value
                            for key, value in measure_http(
                                url, instance, queries, workers=args.workers, clients=args.clients
                            ).items()
                        },
                    )
                )
        wanted = {w.strip().lower() for w in (args.only or "").split(",") if w.strip()}
        stages = [(n, f) for n, f in all_stages if not wanted or n.lower() in wanted]
        for name, stage in stages:
            figures.update(stage())
            save(args, figures)
            progress(f"{name} measured")
        get_database(app).dispose()
    finally:
        if args.keep:
            progress(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    figures["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    return figures


def save(args: argparse.Namespace, figures: dict[str, Any]) -> None:
    """Write the figures so far (a run that fails later still leaves what it measured)."""
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, sort_keys=True) + "\n")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--services", type=int, default=5000, help="services (N)")
    parser.add_argument("--areas", type=int, default=500, help="analysis areas (M)")
    parser.add_argument("--json", type=Path, help="write the figures to this JSON file")
    parser.add_argument(
        "--database",
        help="a PostgreSQL URL (the database is emptied first); default SQLite in the temp folder",
    )
    parser.add_argument("--queries", type=int, default=500, help="match queries")
    parser.add_argument("--search-queries", type=int, default=200, help="search queries")
    parser.add_argument("--sites", type=int, default=5000, help="sites for E2SFCA")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients")
    parser.add_argument("--skip-http", action="store_true", help="no gunicorn measurements")
    parser.add_argument("--skip-access", action="store_true", help="no PySAL access run")
    parser.add_argument("--skip-coverage", action="store_true", help="no coverage run")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--only",
        help="measure only these stages after the import, comma-separated "
        "(export, search, match, E2SFCA, HTTP, coverage, roads)",
    )
    parser.add_argument(
        "--road-grid",
        type=int,
        default=0,
        metavar="N",
        help="also measure the lookup with an N x N grid road network over the state "
        "(1000: state size, a million nodes)",
    )
    args = parser.parse_args(argv)
    if args.services < 1 or args.areas < 1 or args.queries < 2:
        parser.error("--services and --areas must be at least 1, --queries at least 2")
    if args.road_grid and args.road_grid < 2:
        parser.error("--road-grid must be at least 2")
    if args.database and not args.database.startswith("postgresql"):
        parser.error("--database takes a PostgreSQL URL (postgresql+psycopg://...)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    figures = run(args)
    print(table(figures))
    if args.json:
        save(args, figures)
        say(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
