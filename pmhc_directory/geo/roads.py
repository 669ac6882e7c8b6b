"""Drive times on a road network built from OpenStreetMap ways (pure: numpy and scipy only).

A :class:`RoadNetwork` is a directed graph: nodes are OSM nodes that drivable ways use (WGS84
latitude/longitude in degrees), edges are the segments between consecutive nodes of a way, each
with its driving time in seconds (geodesic length on the WGS84 ellipsoid / speed). One-way
streets have one edge, other streets one each way; parallel edges keep the fastest.

Speeds (km/h): a way's ``maxspeed`` tag where it is a number (``50``, ``50 km/h``, ``30 mph``;
the first of ``50;60``), otherwise :data:`HIGHWAY_SPEED_KMH` for its ``highway`` class. Those
defaults are OSRM's car profile (``profiles/car.lua``, ``speeds.highway``), the routing engine
behind openstreetmap.org's car directions, so an untagged street drives as it does there.

Shortest paths are ``scipy.sparse.csgraph.dijkstra`` from each distinct snapped origin (or, when
there are fewer distinct destinations, from each destination over the reversed graph). A point
reaches the network at its nearest node (a KD-tree on earth-centred coordinates on a sphere
picks it), and the geodesic distance to that node is driven at a stated speed. A point farther
than ``max_snap_km`` from every node is *off the network*: its times are ``nan`` and the caller
falls back to the straight-line estimate and says so. A destination the network cannot reach
is ``inf``, never a made-up number.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # imported where used: a worker without a network never needs scipy
    from scipy.sparse import csr_matrix
    from scipy.spatial import cKDTree

__all__ = [
    "HIGHWAY_SPEED_KMH",
    "NetworkBuilder",
    "RoadNetwork",
    "drivable_directions",
    "parse_maxspeed",
]

#: Default speed in km/h per OSM ``highway`` class for an untagged way: OSRM's car profile
#: (``profiles/car.lua``, ``speeds.highway``). Classes not listed here are not drivable.
HIGHWAY_SPEED_KMH: dict[str, float] = {
    "motorway": 90.0,
    "motorway_link": 45.0,
    "trunk": 85.0,
    "trunk_link": 40.0,
    "primary": 65.0,
    "primary_link": 30.0,
    "secondary": 55.0,
    "secondary_link": 25.0,
    "tertiary": 40.0,
    "tertiary_link": 20.0,
    "unclassified": 25.0,
    "residential": 25.0,
    "living_street": 10.0,
    "service": 15.0,
    "road": 25.0,
}

#: Classes that are one-way unless tagged ``oneway=no`` (as OSRM and OSM's wiki have it).
_IMPLIED_ONEWAY = {"motorway"}
_NO_ACCESS = {"no", "private", "agricultural", "forestry", "delivery", "emergency"}
_MPH_KMH = 1.609344
_EARTH_RADIUS_KM = 6371.0088
#: Edges shorter than this many seconds are stored as this (csgraph would read 0 as no edge).
_MIN_EDGE_SECONDS = 1e-3
#: Rows of a Dijkstra run kept in memory at once are bounded by this many float64 cells.
_CELLS_PER_CHUNK = 32_000_000
#: Snapped points remembered per network (a directory's sites recur in every lookup); past
#: this many the memory starts again.
_SNAP_CACHE_POINTS = 500_000


def parse_maxspeed(value: str | None) -> float | None:
    """A ``maxspeed`` tag in km/h, or None when it is not a plain number (``none``, ``walk``,
    ``DE:urban``, ``signals``...: the class default applies then).

    >>> parse_maxspeed("50"), parse_maxspeed("30 mph"), parse_maxspeed("50;60")
    (50.0, 48.28032, 50.0)
    """
    if not value:
        return None
    first = value.split(";", 1)[0].strip().lower()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph)?", first)
    if match is None:
        return None
    speed = float(match.group(1))
    if match.group(2) == "mph":
        speed *= _MPH_KMH
    return speed if 0 < speed <= 200 else None


def drivable_directions(tags: Mapping[str, str]) -> tuple[bool, bool] | None:
    """Whether a car may drive a way forward (in node order) and backward, or None when the way
    is not for cars at all (not a drivable ``highway`` class, an area, or access forbidden)."""
    highway = tags.get("highway")
    if highway not in HIGHWAY_SPEED_KMH or tags.get("area") == "yes":
        return None
    for key in ("access", "motor_vehicle", "motorcar", "vehicle"):
        if tags.get(key) in _NO_ACCESS:
            return None
    oneway = tags.get("oneway", "")
    if oneway in ("-1", "reverse"):
        return (False, True)
    if oneway in ("yes", "true", "1"):
        return (True, False)
    if oneway == "no":
        return (True, True)
    if highway in _IMPLIED_ONEWAY or tags.get("junction") in ("roundabout", "circular"):
        return (True, False)
    return (True, True)


def way_speed_kmh(tags: Mapping[str, str]) -> float:
    """The speed a way is driven at: its numeric ``maxspeed``, else its class default."""
    return parse_maxspeed(tags.get("maxspeed")) or HIGHWAY_SPEED_KMH[tags["highway"]]


def _geodesic_m(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray):
    """Geodesic lengths in metres on WGS84 (pyproj's Geod, Karney's algorithm), vectorised."""
    from pyproj import Geod

    _, _, metres = Geod(ellps="WGS84").inv(lon1, lat1, lon2, lat2)
    return np.asarray(metres, dtype=np.float64)


def _unit_xyz(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Earth-centred coordinates in km on a sphere (for nearest-node queries)."""
    phi, lam = np.radians(lat), np.radians(lon)
    cos_phi = np.cos(phi)
    return _EARTH_RADIUS_KM * np.column_stack(
        (cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi))
    )


@dataclass
class NetworkBuilder:
    """Collects drivable ways (as a reader meets them) and builds a :class:`RoadNetwork`."""

    _ids: dict[int, int] = field(default_factory=dict)
    _lat: list[float] = field(default_factory=list)
    _lon: list[float] = field(default_factory=list)
    _tail: list[int] = field(default_factory=list)
    _head: list[int] = field(default_factory=list)
    _speed: list[float] = field(default_factory=list)
    ways: int = 0

    def _node(self, osm_id: int, lat: float, lon: float) -> int:
        index = self._ids.get(osm_id)
        if index is None:
            index = self._ids[osm_id] = len(self._lat)
            self._lat.append(lat)
            self._lon.append(lon)
        return index

    def add_way(
        self, nodes: Iterable[tuple[int, float, float] | None], tags: Mapping[str, str]
    ) -> bool:
        """Add a way given its nodes as ``(osm_id, lat, lon)``; False when it is not drivable
        or has fewer than two nodes. A node given as None (its location is not in the file, as
        at the edge of a clipped extract) breaks the way there: no edge is made across it."""
        directions = drivable_directions(tags)
        if directions is None:
            return False
        indices = [None if n is None else self._node(*n) for n in nodes]
        if sum(index is not None for index in indices) < 2:
            return False
        forward, backward = directions
        speed = way_speed_kmh(tags)
        for a, b in zip(indices, indices[1:], strict=False):
            if a is None or b is None or a == b:
                continue
            if forward:
                self._tail.append(a)
                self._head.append(b)
                self._speed.append(speed)
            if backward:
                self._tail.append(b)
                self._head.append(a)
                self._speed.append(speed)
        self.ways += 1
        return True

    def build(self, *, source: str, osm_timestamp: str | None, built_at: str) -> RoadNetwork:
        lat = np.asarray(self._lat, dtype=np.float64)
        lon = np.asarray(self._lon, dtype=np.float64)
        tail = np.asarray(self._tail, dtype=np.int64)
        head = np.asarray(self._head, dtype=np.int64)
        speed = np.asarray(self._speed, dtype=np.float64)
        metres = _geodesic_m(lat[tail], lon[tail], lat[head], lon[head]) if len(tail) else tail
        seconds = np.maximum(metres / (speed / 3.6), _MIN_EDGE_SECONDS)
        return RoadNetwork.from_edges(
            lat,
            lon,
            tail,
            head,
            seconds,
            metadata={
                "source": source,
                "osm_timestamp": osm_timestamp,
                "built_at": built_at,
                "ways": self.ways,
                "max_speed_kmh": float(speed.max()) if len(speed) else None,
            },
        )


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A directed drive-time graph (see the module docstring). Arrays are read-only.

    Edges are held as compressed sparse rows, the form the shortest-path search reads, so the
    search's graph shares these arrays instead of copying them (a state network's edges are
    tens of megabytes): the edges leaving node ``i`` are ``indptr[i]:indptr[i + 1]``, ordered
    by ``head``."""

    lat: np.ndarray
    lon: np.ndarray
    indptr: np.ndarray
    head: np.ndarray
    seconds: np.ndarray
    metadata: dict = field(default_factory=dict)

    @classmethod
    def from_edges(cls, lat, lon, tail, head, seconds, *, metadata: dict) -> RoadNetwork:
        """A network from edge arrays; parallel edges are reduced to the fastest one and nodes
        no edge uses are dropped."""
        lat, lon = np.asarray(lat, np.float64), np.asarray(lon, np.float64)
        tail, head = np.asarray(tail, np.int64), np.asarray(head, np.int64)
        seconds = np.maximum(np.asarray(seconds, np.float64), _MIN_EDGE_SECONDS)
        if len(tail):
            order = np.lexsort((seconds, head, tail))
            tail, head, seconds = tail[order], head[order], seconds[order]
            first = np.ones(len(tail), dtype=bool)
            first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
            tail, head, seconds = tail[first], head[first], seconds[first]
        used = np.zeros(len(lat), dtype=bool)
        used[tail] = True
        used[head] = True
        renumber = np.cumsum(used) - 1
        return cls._of_sorted(
            lat[used], lon[used], renumber[tail], renumber[head], seconds, dict(metadata)
        )

    @classmethod
    def _of_sorted(cls, lat, lon, tail, head, seconds, metadata: dict) -> RoadNetwork:
        """A network of edges sorted by (tail, head) without parallel edges, as
        :meth:`from_edges` leaves them (renumbering keeps the order)."""
        n = len(lat)
        index = np.int32 if len(head) < 2**31 and n < 2**31 else np.int64
        indptr = np.zeros(n + 1, dtype=index)
        np.cumsum(np.bincount(np.asarray(tail, np.int64), minlength=n), out=indptr[1:])
        network = cls(
            lat=np.asarray(lat, np.float64),
            lon=np.asarray(lon, np.float64),
            indptr=indptr,
            head=np.asarray(head, dtype=index),
            seconds=np.asarray(seconds, np.float64),
            metadata=metadata,
        )
        for array in (network.lat, network.lon, network.indptr, network.head, network.seconds):
            array.setflags(write=False)
        return network

    @property
    def tail(self) -> np.ndarray:
        """The node each edge leaves (made from ``indptr`` when asked: not kept)."""
        return np.repeat(np.arange(self.node_count, dtype=self.head.dtype), np.diff(self.indptr))

    @property
    def max_speed_kmh(self) -> float:
        """The fastest speed of any edge (from the build's metadata; 130 km/h when unknown)."""
        return float(self.metadata.get("max_speed_kmh") or 130.0)

    @property
    def node_count(self) -> int:
        return len(self.lat)

    @property
    def edge_count(self) -> int:
        return len(self.head)

    # -- storage ---------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """A compressed ``.npz`` of the arrays with the metadata as JSON."""
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            lat=self.lat,
            lon=self.lon,
            tail=self.tail,
            head=self.head,
            seconds=self.seconds,
            metadata=np.frombuffer(json.dumps(self.metadata).encode("utf-8"), dtype=np.uint8),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> RoadNetwork:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            metadata = json.loads(arrays["metadata"].tobytes().decode("utf-8"))
            lat, lon = arrays["lat"], arrays["lon"]
            tail, head, seconds = arrays["tail"], arrays["head"], arrays["seconds"]
        key = tail.astype(np.int64) * max(1, len(lat)) + head
        if len(key) and not np.all(key[1:] > key[:-1]):  # not as to_bytes writes: sort again
            return cls.from_edges(lat, lon, tail, head, seconds, metadata=metadata)
        return cls._of_sorted(lat, lon, tail, head, seconds, metadata)

    # -- queries ---------------------------------------------------------------------------
    @property
    def _graph(self) -> csr_matrix:
        cached = self.__dict__.get("_graph_cache")
        if cached is None:
            from scipy.sparse import csr_matrix

            n = self.node_count  # shares the arrays: no copy of the edges
            cached = csr_matrix((self.seconds, self.head, self.indptr), shape=(n, n))
            object.__setattr__(self, "_graph_cache", cached)
        return cached

    @property
    def _reversed(self) -> csr_matrix:
        cached = self.__dict__.get("_reversed_cache")
        if cached is None:
            cached = self._graph.transpose().tocsr()
            object.__setattr__(self, "_reversed_cache", cached)
        return cached

    @property
    def _tree(self) -> cKDTree:
        cached = self.__dict__.get("_tree_cache")
        if cached is None:
            from scipy.spatial import cKDTree

            cached = cKDTree(_unit_xyz(self.lat, self.lon))
            object.__setattr__(self, "_tree_cache", cached)
        return cached

    def snap(self, lat, lon) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node of each point and the distance to it in km."""
        lat = np.atleast_1d(np.asarray(lat, np.float64))
        lon = np.atleast_1d(np.asarray(lon, np.float64))
        if self.node_count == 0:
            return np.full(len(lat), -1), np.full(len(lat), np.inf)
        _, nodes = self._tree.query(_unit_xyz(lat, lon))
        nodes = np.asarray(nodes, dtype=np.int64)
        metres = _geodesic_m(lat, lon, self.lat[nodes], self.lon[nodes])
        return nodes, metres / 1000.0

    def snap_remembered(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`snap` for points with coordinates (no NaN), remembering each point's answer:
        the sites of a directory are snapped once, not in every lookup. The memory is keyed by
        the exact coordinates (a site that moves is a new point) and swapped whole, so
        concurrent readers always see a consistent one."""
        keys = np.asarray(lat, np.float64) + 1j * np.asarray(lon, np.float64)
        memory: tuple[np.ndarray, np.ndarray, np.ndarray] | None = self.__dict__.get("_snap_memory")
        known, known_nodes, known_km = memory or (np.zeros(0, complex), _NO_NODES, _NO_KM)
        nodes, km = _remembered(known, known_nodes, known_km, keys)
        missing = nodes < 0
        if missing.any():
            new = np.unique(keys[missing])
            new_nodes, new_km = self.snap(new.real, new.imag)
            at = np.searchsorted(new, keys[missing])
            nodes[missing], km[missing] = new_nodes[at], new_km[at]
            if len(known) + len(new) > _SNAP_CACHE_POINTS:
                known, known_nodes, known_km = new[:0], _NO_NODES, _NO_KM
            merged = np.concatenate([known, new])
            order = np.argsort(merged, kind="stable")
            memory = (
                merged[order],
                np.concatenate([known_nodes, new_nodes])[order],
                np.concatenate([known_km, new_km])[order],
            )
            object.__setattr__(self, "_snap_memory", memory)
        return nodes, km

    def snap_columns(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`snap` of every point of two coordinate columns (node -1 and ``inf`` km where a
        point is NaN), remembered for those columns: a directory's sites, kept as columns that
        edits never change in place (they make new columns, appending the changed entries), are
        snapped once. New columns that start with the remembered ones snap only the points
        added at the end; any other columns are snapped whole. A site that moves is a new
        entry, so it is snapped at its next use."""
        memory = self.__dict__.get("_columns_memory")
        if memory is not None and memory[0] is lat and memory[1] is lon:
            return memory[2], memory[3]
        lat, lon = np.asarray(lat, np.float64), np.asarray(lon, np.float64)
        known = 0
        if memory is not None:
            known_lat, known_lon, known_nodes, known_km = memory
            known = len(known_lat)
            if not (
                len(lat) >= known
                and np.array_equal(lat[:known], known_lat, equal_nan=True)
                and np.array_equal(lon[:known], known_lon, equal_nan=True)
            ):
                known = 0
        nodes = np.full(len(lat), -1, np.int64)
        km = np.full(len(lat), np.inf)
        if known:
            nodes[:known], km[:known] = known_nodes, known_km
        placed = known + np.flatnonzero(~np.isnan(lat[known:]) & ~np.isnan(lon[known:]))
        if len(placed):
            nodes[placed], km[placed] = self.snap(lat[placed], lon[placed])
        object.__setattr__(self, "_columns_memory", (lat, lon, nodes, km))
        return nodes, km

    @property
    def _components(self) -> tuple[np.ndarray, csr_matrix]:
        """Strongly connected component of each node, and the graph between components
        (an edge where some road leads from one to the other)."""
        cached = self.__dict__.get("_components_cache")
        if cached is None:
            from scipy.sparse import csr_matrix
            from scipy.sparse.csgraph import connected_components

            count, labels = connected_components(self._graph, directed=True, connection="strong")
            tails, heads = labels[self.tail], labels[self.head]
            cross = tails != heads
            between = csr_matrix(
                (np.ones(int(cross.sum())), (tails[cross], heads[cross])), shape=(count, count)
            )
            cached = (labels, between)
            object.__setattr__(self, "_components_cache", cached)
        return cached

    def reaches(self, source: int, targets: np.ndarray) -> np.ndarray:
        """Whether any route at all leads from node ``source`` to each of ``targets`` (however
        long): a node of the source's own strongly connected component always, another one when
        the graph between components leads there. Tells a place beyond a bounded search from
        one no road reaches."""
        labels, between = self._components
        own = labels[source]
        wanted = labels[np.asarray(targets, np.int64)]
        result = wanted == own
        if not result.all():
            from scipy.sparse.csgraph import breadth_first_order

            reachable = breadth_first_order(
                between, int(own), directed=True, return_predecessors=False
            )
            result |= np.isin(wanted, reachable)
        return result

    def node_seconds(
        self, sources: np.ndarray, targets: np.ndarray, *, limit_seconds: float = np.inf
    ) -> np.ndarray:
        """Shortest driving seconds from each source node to each target node (``inf`` where
        no route exists, or none within ``limit_seconds``), by Dijkstra from the smaller side.
        A limit bounds each search to the nodes within it, which is what keeps a one-origin
        query on a state-size network fast."""
        from scipy.sparse.csgraph import dijkstra

        sources = np.asarray(sources, np.int64)
        targets = np.asarray(targets, np.int64)
        result = np.full((len(sources), len(targets)), np.inf)
        if len(sources) == 0 or len(targets) == 0:
            return result
        forward = len(np.unique(sources)) <= len(np.unique(targets))
        starts, ends = (sources, targets) if forward else (targets, sources)
        graph = self._graph if forward else self._reversed
        unique, position = np.unique(starts, return_inverse=True)
        chunk = max(1, _CELLS_PER_CHUNK // max(1, self.node_count))
        rows = np.empty((len(unique), len(ends)))
        for begin in range(0, len(unique), chunk):
            block = dijkstra(
                graph, directed=True, indices=unique[begin : begin + chunk], limit=limit_seconds
            )
            rows[begin : begin + chunk] = np.atleast_2d(block)[:, ends]
        table = rows[position]
        return table if forward else table.T

    def from_point(
        self,
        lat: float,
        lon: float,
        *,
        max_snap_km: float,
        snap_speed_kmh: float,
        limit_minutes: float = math.inf,
    ) -> OriginTimes | None:
        """Driving times from one point, or None when the point is off the network (farther
        than ``max_snap_km`` from any node).

        One Dijkstra from the point's node, bounded by ``limit_minutes`` (the point's own snap
        leg counts against it): a place whose network part would take longer is left without
        minutes and marked as beyond the limit (:meth:`OriginTimes.times_to`), never given a
        made-up number. On a state-size network a one-hour bound settles a few per cent of the
        nodes (docs/roads.md). The default, no limit, times every reachable node."""
        if snap_speed_kmh <= 0 or not math.isfinite(snap_speed_kmh):
            raise ValueError(f"snap speed must be a positive number, got {snap_speed_kmh!r}")
        if not limit_minutes >= 0:
            raise ValueError(f"limit must be a number of minutes >= 0, got {limit_minutes!r}")
        nodes, km = self.snap([lat], [lon])
        if not km[0] <= max_snap_km:
            return None
        start_minutes = float(km[0]) / snap_speed_kmh * 60.0
        budget = (limit_minutes - start_minutes) * 60.0
        if budget < 0:
            seconds = np.full(self.node_count, np.inf)  # the snap leg alone is over the limit
        else:
            from scipy.sparse.csgraph import dijkstra

            seconds = np.atleast_2d(
                dijkstra(self._graph, directed=True, indices=nodes[:1], limit=budget)
            )[0]
        return OriginTimes(
            network=self,
            seconds=seconds,
            start_minutes=start_minutes,
            max_snap_km=max_snap_km,
            snap_speed_kmh=snap_speed_kmh,
            node=int(nodes[0]),
            limit_minutes=limit_minutes,
        )

    def minutes(
        self,
        origins: tuple[Iterable[float], Iterable[float]],
        destinations: tuple[Iterable[float], Iterable[float]],
        *,
        max_snap_km: float,
        snap_speed_kmh: float,
        limit_minutes: float = np.inf,
    ) -> np.ndarray:
        """Driving minutes from each origin (lats, lons) to each destination: the snap leg at
        each end at ``snap_speed_kmh`` plus the network route. ``nan`` where either point is
        more than ``max_snap_km`` from the network; ``inf`` where no route exists (or, with
        ``limit_minutes``, none whose network part is within it)."""
        if snap_speed_kmh <= 0 or not math.isfinite(snap_speed_kmh):
            raise ValueError(f"snap speed must be a positive number, got {snap_speed_kmh!r}")
        o_nodes, o_km = self.snap(*origins)
        d_nodes, d_km = self.snap(*destinations)
        o_on = o_km <= max_snap_km
        d_on = d_km <= max_snap_km
        table = np.full((len(o_nodes), len(d_nodes)), np.nan)
        if o_on.any() and d_on.any():
            seconds = self.node_seconds(
                o_nodes[o_on], d_nodes[d_on], limit_seconds=limit_minutes * 60.0
            )
            snap_minutes = 60.0 / snap_speed_kmh
            inner = (
                seconds / 60.0
                + (o_km[o_on] * snap_minutes)[:, None]
                + (d_km[d_on] * snap_minutes)[None, :]
            )
            table[np.ix_(o_on, d_on)] = inner
        return table


_NO_NODES = np.zeros(0, np.int64)
_NO_KM = np.zeros(0)


def _remembered(
    known: np.ndarray, nodes: np.ndarray, km: np.ndarray, keys: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The remembered snap of each key (node -1 where none is remembered)."""
    found_nodes = np.full(len(keys), -1, np.int64)
    found_km = np.full(len(keys), np.nan)
    if len(known):
        at = np.minimum(np.searchsorted(known, keys), len(known) - 1)
        hit = known[at] == keys
        found_nodes[hit], found_km[hit] = nodes[at[hit]], km[at[hit]]
    return found_nodes, found_km


@dataclass(frozen=True, eq=False)
class OriginTimes:
    """Driving times from one point (see :meth:`RoadNetwork.from_point`)."""

    network: RoadNetwork
    seconds: np.ndarray  # network seconds from the origin's node to every node (inf: none)
    start_minutes: float  # the origin's snap leg
    max_snap_km: float
    snap_speed_kmh: float
    node: int = -1  # the origin's node
    limit_minutes: float = math.inf  # the search's bound (see from_point)

    def times_to(self, lat, lon) -> tuple[np.ndarray, np.ndarray]:
        """``(minutes, beyond)`` to each destination. ``minutes``: ``nan`` for one off the
        network (or without a point), ``inf`` for one no route reaches within the limit, else
        the exact drive (which may pass the limit by the destination's own snap leg).
        ``beyond``: True where a route exists but its network part is over the limit, so the
        drive is *more than* ``limit_minutes`` (its ``inf`` does not mean unreachable)."""
        lat = np.atleast_1d(np.asarray(lat, np.float64))
        lon = np.atleast_1d(np.asarray(lon, np.float64))
        placed = np.flatnonzero(~np.isnan(lat) & ~np.isnan(lon))
        nodes, km = self.network.snap_remembered(lat[placed], lon[placed])
        return self._times(len(lat), placed, nodes, km)

    def times_at(
        self, lat: np.ndarray, lon: np.ndarray, positions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`times_to` the points at ``positions`` of the coordinate columns ``lat`` and
        ``lon`` (a directory's sites), snapped once per columns
        (:meth:`RoadNetwork.snap_columns`): the lookup's way, as it times a few thousand of
        tens of thousands of sites in each lookup."""
        nodes, km = self.network.snap_columns(lat, lon)
        positions = np.asarray(positions, np.int64)
        placed = np.flatnonzero(nodes[positions] >= 0)
        return self._times(len(positions), placed, nodes[positions[placed]], km[positions[placed]])

    def _times(
        self, count: int, placed: np.ndarray, nodes: np.ndarray, km: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(minutes, beyond)`` of ``count`` destinations, those at ``placed`` snapped to
        ``nodes`` at ``km`` (see :meth:`times_to`)."""
        minutes = np.full(count, np.nan)
        beyond = np.zeros(count, dtype=bool)
        if not len(placed):
            return minutes, beyond
        on = km <= self.max_snap_km
        network_seconds = self.seconds[nodes[on]]
        minutes[placed[on]] = (
            network_seconds / 60.0 + self.start_minutes + km[on] / self.snap_speed_kmh * 60.0
        )
        unreached = np.isinf(network_seconds)
        if math.isfinite(self.limit_minutes) and unreached.any():
            found = self.network.reaches(self.node, nodes[on][unreached])
            beyond[placed[on][unreached]] = found
        return minutes, beyond

    def minutes_to(self, lat, lon) -> np.ndarray:
        """The minutes of :meth:`times_to` (``inf`` also where beyond a limit)."""
        return self.times_to(lat, lon)[0]
