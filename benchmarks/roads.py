"""Road-network figures: build, storage, and drive-time queries on synthetic grid networks.

    python benchmarks/roads.py [--sizes 300,1000] [--sites 2000] [--areas 200] [--limit 60]
    python benchmarks/roads.py --sizes 1000 --step-km 0.56   # the state grid of run.py

A grid of ``n x n`` nodes 100 m apart (``--step-km``; two-way streets, residential speed
25 km/h, a 65 km/h arterial every 10th row and column) stands in for a road network: ``300``
is county size (90,000 nodes, about 360,000 one-way edges), ``1000`` state size (1,000,000
nodes, about 4 million edges). Grids are a hard case for shortest paths (no hierarchy to
exploit), so these figures are upper bounds for real networks of the same node count. Prints
one figure a line.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pmhc_directory.geo.roads import RoadNetwork  # noqa: E402

LAT0, LON0 = 35.0, -106.7
STEP_KM = 0.1  # 100 m blocks
ARTERIAL_EVERY = 10  # every 10th street is an arterial
RESIDENTIAL_KMH, ARTERIAL_KMH = 25.0, 65.0


def grid(
    n: int, *, step_km: float = STEP_KM, lat0: float = LAT0, lon0: float = LON0
) -> RoadNetwork:
    """An ``n x n`` grid of two-way streets ``step_km`` apart with its south-west corner at
    (``lat0``, ``lon0``): residential 25 km/h, every 10th row and column an arterial at 65."""
    index = np.arange(n * n).reshape(n, n)
    rows = np.repeat(np.arange(n), n)
    cols = np.tile(np.arange(n), n)
    lat = lat0 + rows * step_km / 111.0
    lon = lon0 + cols * step_km / (111.0 * np.cos(np.radians(lat0)))
    tails, heads, speeds = [], [], []
    arterial = np.arange(n) % ARTERIAL_EVERY == 0
    for a, b, fast in (
        (index[:, :-1], index[:, 1:], arterial[:, None]),
        (index[:-1, :], index[1:, :], arterial[None, :]),
    ):
        kmh = np.where(np.broadcast_to(fast, a.shape), ARTERIAL_KMH, RESIDENTIAL_KMH).ravel()
        tails += [a.ravel(), b.ravel()]
        heads += [b.ravel(), a.ravel()]
        speeds += [kmh, kmh]
    tail, head, speed = np.concatenate(tails), np.concatenate(heads), np.concatenate(speeds)
    seconds = step_km * 1000.0 / (speed / 3.6)
    return RoadNetwork.from_edges(
        lat,
        lon,
        tail,
        head,
        seconds,
        metadata={"source": f"synthetic grid {n} x {n}", "max_speed_kmh": ARTERIAL_KMH},
    )


def random_points(network: RoadNetwork, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lat = rng.uniform(network.lat.min(), network.lat.max(), count)
    lon = rng.uniform(network.lon.min(), network.lon.max(), count)
    return lat, lon


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="300,1000", help="grid sides, comma-separated")
    parser.add_argument(
        "--step-km",
        type=float,
        default=STEP_KM,
        help="block length (0.56 with --sizes 1000: the synthetic state of benchmarks/run.py)",
    )
    parser.add_argument("--sites", type=int, default=2000, help="destinations per lookup")
    parser.add_argument("--areas", type=int, default=200, help="origins for many-to-many")
    parser.add_argument("--lookups", type=int, default=20)
    parser.add_argument(
        "--limit", type=float, default=60.0, help="the lookup's road search bound (minutes)"
    )
    args = parser.parse_args()
    for n in [int(s) for s in args.sizes.split(",")]:
        started = time.perf_counter()
        network = grid(n, step_km=args.step_km)
        print(f"grid_{n}_nodes {network.node_count}")
        print(f"grid_{n}_edges {network.edge_count}")
        print(f"grid_{n}_build_seconds {time.perf_counter() - started:.2f}")
        started = time.perf_counter()
        blob = network.to_bytes()
        print(f"grid_{n}_stored_mb {len(blob) / 1e6:.1f}")
        print(f"grid_{n}_store_seconds {time.perf_counter() - started:.2f}")
        started = time.perf_counter()
        network = RoadNetwork.from_bytes(blob)
        network.snap([LAT0], [LON0])  # builds the KD-tree
        network.node_seconds(np.array([0]), np.array([0]))  # builds the graph
        print(f"grid_{n}_load_seconds {time.perf_counter() - started:.2f}")
        sites = random_points(network, args.sites, seed=1)
        people = random_points(network, args.lookups, seed=2)
        # The officer lookup's path: one search from the person bounded by the lookup's limit
        # (60 minutes at the default caps), then every candidate site (snaps remembered).
        times = []
        for lat, lon in zip(*people, strict=True):
            started = time.perf_counter()
            origin = network.from_point(
                lat, lon, max_snap_km=1.0, snap_speed_kmh=15.0, limit_minutes=args.limit
            )
            if origin is not None:
                origin.times_to(*sites)
            times.append(time.perf_counter() - started)
        print(f"grid_{n}_lookup_road_part_p50_ms {statistics.median(times) * 1000:.1f}")
        print(f"grid_{n}_lookup_road_part_p95_ms {percentile(times, 95) * 1000:.1f}")
        for limit in (np.inf, 60.0, 30.0):
            times = []
            for lat, lon in zip(*people, strict=True):
                started = time.perf_counter()
                network.minutes(
                    ([lat], [lon]),
                    sites,
                    max_snap_km=1.0,
                    snap_speed_kmh=15.0,
                    limit_minutes=limit,
                )
                times.append(time.perf_counter() - started)
            label = "nolimit" if limit == np.inf else f"limit{limit:.0f}min"
            name = f"grid_{n}_one_to_{args.sites}_{label}"
            print(f"{name}_p50_ms {statistics.median(times) * 1000:.1f}")
            print(f"{name}_p95_ms {percentile(times, 95) * 1000:.1f}")
        areas = random_points(network, args.areas, seed=3)
        started = time.perf_counter()
        network.minutes(areas, sites, max_snap_km=1.0, snap_speed_kmh=15.0)
        elapsed = time.perf_counter() - started
        print(f"grid_{n}_{args.areas}x{args.sites}_seconds {elapsed:.2f}")
        print(f"grid_{n}_seconds_per_origin {elapsed / args.areas:.3f}")
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak_rss_mb_after_grid_{n} {peak_mb:.0f}")


if __name__ == "__main__":
    main()
