"""The road network: loading an OpenStreetMap extract and driving times over it.

Precedence for a travel time, everywhere (docs/planners.md): a supplied travel-time matrix
(``geography costs``) for the pairs it covers, else the road network (``geography roads``),
else the straight-line estimate (``TRAVEL_CIRCUITY`` x distance at ``TRAVEL_SPEED_KMH``). A point
off the network (farther than ``ROAD_SNAP_MAX_KM`` from any road) gets the estimate and the
answer says so; a pair the network cannot connect is unreachable (``inf``).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..geo.distance import TravelModel
from ..geo.osm import OsmReadError, read_road_network
from ..geo.roads import RoadNetwork
from ..models import RoadNetworkFile

#: Latitudes or longitudes (degrees): a sequence of floats or a numpy array of them.
Coordinates = Sequence[float] | npt.NDArray[np.floating[Any]]

__all__ = [
    "BEYOND",
    "ROAD",
    "ESTIMATE",
    "OsmReadError",
    "RoadTimes",
    "current_road_network",
    "import_road_network",
    "road_minutes",
    "road_network_summary",
    "store_road_network",
]

#: How a travel time was found (shown to officers and planners). ``BEYOND``: a road route
#: exists but is longer than the lookup's bounded search went (more than its limit; no minutes).
ROAD = "road"
ESTIMATE = "estimate"
BEYOND = "beyond"

_lock = threading.Lock()
_cached: tuple[str, RoadNetwork] | None = None


def import_road_network(
    session: Session, path: Path, *, progress: Callable[[int], None] | None = None
) -> RoadNetworkFile:
    """Read the extract at ``path`` and make its network the one in use (replacing any)."""
    network = read_road_network(path, progress=progress)
    return store_road_network(session, network, source=Path(path).name)


def store_road_network(
    session: Session, network: RoadNetwork, *, source: str | None = None
) -> RoadNetworkFile:
    """Make ``network`` the one in use (replacing any; flushed, not committed). ``source``
    names it where its metadata does not (a synthetic network in benchmarks and tests)."""
    session.execute(delete(RoadNetworkFile))
    row = RoadNetworkFile(
        source=network.metadata.get("source") or source or "unnamed network",
        osm_timestamp=network.metadata.get("osm_timestamp"),
        loaded_at=datetime.now(UTC),
        node_count=network.node_count,
        edge_count=network.edge_count,
        data=network.to_bytes(),
    )
    session.add(row)
    session.flush()
    return row


def road_network_summary(session: Session) -> dict[str, Any] | None:
    """Source, date and size of the network in use, or None (for pages and reports)."""
    row = session.execute(
        select(
            RoadNetworkFile.source,
            RoadNetworkFile.osm_timestamp,
            RoadNetworkFile.loaded_at,
            RoadNetworkFile.node_count,
            RoadNetworkFile.edge_count,
        )
    ).first()
    if row is None:
        return None
    return {
        "source": row.source,
        "osm_timestamp": row.osm_timestamp,
        "loaded_at": row.loaded_at.isoformat(),
        "nodes": row.node_count,
        "edges": row.edge_count,
    }


def current_road_network(session: Session) -> RoadNetwork | None:
    """The network in use, read once per process and again only when a new one is loaded."""
    global _cached
    network_id = session.scalar(select(RoadNetworkFile.id))
    if network_id is None:
        return None
    cached = _cached
    if cached is not None and cached[0] == network_id:
        return cached[1]
    with _lock:
        if _cached is not None and _cached[0] == network_id:
            return _cached[1]
        data = session.scalar(select(RoadNetworkFile.data).where(RoadNetworkFile.id == network_id))
        if data is None:
            return None
        network = RoadNetwork.from_bytes(data)
        _cached = (network_id, network)
        return network


@dataclass(frozen=True)
class RoadTimes:
    """Minutes from each origin to each destination and how each was found."""

    minutes: np.ndarray  # (origins, destinations); inf = unreachable by road
    by_road: np.ndarray  # bool, same shape: False where the estimate was used


def road_minutes(
    network: RoadNetwork | None,
    config: Mapping[str, Any],
    origins: tuple[Coordinates, Coordinates],
    destinations: tuple[Coordinates, Coordinates],
) -> RoadTimes:
    """Driving minutes over ``network`` where both ends are on it, else the estimate."""
    o_lat = np.asarray(origins[0], dtype=np.float64)
    o_lon = np.asarray(origins[1], dtype=np.float64)
    d_lat = np.asarray(destinations[0], dtype=np.float64)
    d_lon = np.asarray(destinations[1], dtype=np.float64)
    if network is None:
        table = np.full((len(o_lat), len(d_lat)), np.nan)
    else:
        table = network.minutes(
            (o_lat, o_lon),
            (d_lat, d_lon),
            max_snap_km=float(config["ROAD_SNAP_MAX_KM"]),
            snap_speed_kmh=float(config["ROAD_SNAP_SPEED_KMH"]),
        )
    by_road = ~np.isnan(table)
    if not by_road.all():
        model = TravelModel(
            circuity=float(config["TRAVEL_CIRCUITY"]), speed_kmh=float(config["TRAVEL_SPEED_KMH"])
        )
        estimate = _estimate_minutes(model, o_lat, o_lon, d_lat, d_lon)
        table = np.where(by_road, table, estimate)
    return RoadTimes(minutes=table, by_road=by_road)


def _estimate_minutes(model: TravelModel, o_lat, o_lon, d_lat, d_lon) -> np.ndarray:
    from pyproj import Geod

    lat1, lat2 = np.meshgrid(o_lat, d_lat, indexing="ij")
    lon1, lon2 = np.meshgrid(o_lon, d_lon, indexing="ij")
    _, _, metres = Geod(ellps="WGS84").inv(lon1, lat1, lon2, lat2)
    return np.asarray(metres) / 1000.0 * model.circuity / model.speed_kmh * 60.0


#: Origin-destination cells computed at once for many pairs (bounds temporary memory).
_PAIR_BLOCK_CELLS = 4_000_000


def road_pairs(
    network: RoadNetwork,
    config: Mapping[str, Any],
    origins: tuple[np.ndarray, np.ndarray],
    destinations: tuple[np.ndarray, np.ndarray],
    threshold_minutes: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(origin rows, destination columns, minutes) over the road network for every pair that
    could be within ``threshold_minutes`` by road; pairs with an end off the network are left
    out (the estimate applies to them). Unreachable pairs come with ``inf``.

    Candidate pairs are those within the distance the network's top speed covers in the
    threshold (a KD-tree radius query): no road time can beat that, so no pair within the
    threshold is missed. Searches are bounded by the threshold.
    """
    from ..gaps.coverage import candidate_pairs

    o_lat, o_lon = (np.asarray(a, dtype=np.float64) for a in origins)
    d_lat, d_lon = (np.asarray(a, dtype=np.float64) for a in destinations)
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    if not math.isfinite(threshold_minutes) or not len(o_lat) or not len(d_lat):
        return empty
    snap_kmh = float(config["ROAD_SNAP_SPEED_KMH"])
    top_kmh = max(network.max_speed_kmh, snap_kmh)
    rows, cols = candidate_pairs(o_lat, o_lon, d_lat, d_lon, threshold_minutes / 60.0 * top_kmh)
    if not rows.size:
        return empty
    minutes = np.full(rows.size, np.nan)
    origin_rows = np.unique(rows)
    dest_cols = np.unique(cols)
    col_of = np.searchsorted(dest_cols, cols)
    step = max(1, _PAIR_BLOCK_CELLS // max(1, dest_cols.size))
    for begin in range(0, origin_rows.size, step):
        block = origin_rows[begin : begin + step]
        table = network.minutes(
            (o_lat[block], o_lon[block]),
            (d_lat[dest_cols], d_lon[dest_cols]),
            max_snap_km=float(config["ROAD_SNAP_MAX_KM"]),
            snap_speed_kmh=snap_kmh,
            limit_minutes=threshold_minutes,
        )
        mine = np.flatnonzero(np.isin(rows, block))
        minutes[mine] = table[np.searchsorted(block, rows[mine]), col_of[mine]]
    on = ~np.isnan(minutes)
    return rows[on], cols[on], minutes[on]


def travel_times_used(session: Session, config: Mapping[str, Any]) -> str:
    """One sentence for planners on which travel times the figures use, in precedence order."""
    from sqlalchemy import func

    from ..models import TravelCost

    parts = []
    pairs = session.scalar(select(func.count()).select_from(TravelCost)) or 0
    if pairs:
        parts.append(f"supplied travel times for {pairs:,} area-site pairs")
    network = road_network_summary(session)
    if network is not None:
        dated = f", extract dated {network['osm_timestamp']}" if network["osm_timestamp"] else ""
        parts.append(
            f"the road network from {network['source']}{dated} (loaded "
            f"{network['loaded_at'][:10]}) where both ends are within "
            f"{float(config['ROAD_SNAP_MAX_KM']):g} km of a road"
        )
    estimate = (
        f"straight-line distance x {float(config['TRAVEL_CIRCUITY']):g} at "
        f"{float(config['TRAVEL_SPEED_KMH']):g} km/h"
    )
    if not parts:
        return f"Travel times: {estimate} (no road network or travel-time matrix loaded)."
    return f"Travel times: {'; then '.join(parts)}; elsewhere {estimate}."
