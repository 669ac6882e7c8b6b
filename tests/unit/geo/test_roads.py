"""The drive-time network (pure): tags, speeds, one-way streets, snapping, unreachable pairs."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmhc_directory.geo.distance import distance_km
from pmhc_directory.geo.roads import (
    HIGHWAY_SPEED_KMH,
    NetworkBuilder,
    RoadNetwork,
    drivable_directions,
    parse_maxspeed,
)

# A small grid of nodes 0.001 degrees apart (about 111 m north-south) near Albuquerque.
LAT0, LON0 = 35.08, -106.65


def node(i: int, j: int) -> tuple[int, float, float]:
    return (1000 * i + j, LAT0 + 0.001 * i, LON0 + 0.001 * j)


def build(*ways: tuple[list[tuple[int, float, float]], dict[str, str]]) -> RoadNetwork:
    builder = NetworkBuilder()
    for nodes, tags in ways:
        builder.add_way(nodes, tags)
    return builder.build(source="test", osm_timestamp=None, built_at="2026-12-07T00:00:00+00:00")


@pytest.mark.parametrize(
    ("tag", "kmh"),
    [
        ("50", 50.0),
        ("50 km/h", 50.0),
        ("30 mph", 30 * 1.609344),
        ("45mph", 45 * 1.609344),
        ("50;60", 50.0),
        ("none", None),
        ("walk", None),
        ("DE:urban", None),
        ("", None),
        (None, None),
        ("0", None),
        ("900", None),
    ],
)
def test_maxspeed_tags(tag, kmh):
    assert parse_maxspeed(tag) == (pytest.approx(kmh) if kmh else None)


@pytest.mark.parametrize(
    ("tags", "directions"),
    [
        ({"highway": "residential"}, (True, True)),
        ({"highway": "residential", "oneway": "yes"}, (True, False)),
        ({"highway": "residential", "oneway": "1"}, (True, False)),
        ({"highway": "residential", "oneway": "-1"}, (False, True)),
        ({"highway": "motorway"}, (True, False)),
        ({"highway": "motorway", "oneway": "no"}, (True, True)),
        ({"highway": "primary", "junction": "roundabout"}, (True, False)),
        ({"highway": "footway"}, None),
        ({"highway": "cycleway"}, None),
        ({"highway": "service", "access": "private"}, None),
        ({"highway": "primary", "motor_vehicle": "no"}, None),
        ({"highway": "pedestrian"}, None),
        ({"highway": "residential", "area": "yes"}, None),
        ({"building": "yes"}, None),
    ],
)
def test_which_ways_cars_drive_and_which_way(tags, directions):
    assert drivable_directions(tags) == directions


def test_an_edge_takes_its_length_over_its_speed():
    a, b = node(0, 0), node(1, 0)
    network = build(([a, b], {"highway": "residential", "maxspeed": "36"}))
    assert network.node_count == 2 and network.edge_count == 2
    metres = distance_km(a[1], a[2], b[1], b[2]) * 1000
    assert np.allclose(np.sort(network.seconds), [metres / 10.0] * 2, rtol=1e-9)  # 36 km/h


def test_untagged_ways_drive_at_their_class_default():
    a, b = node(0, 0), node(1, 0)
    network = build(([a, b], {"highway": "primary"}))
    metres = distance_km(a[1], a[2], b[1], b[2]) * 1000
    assert network.seconds[0] == pytest.approx(metres / (HIGHWAY_SPEED_KMH["primary"] / 3.6))


def test_a_one_way_street_is_driven_one_way_only():
    a, b, c = node(0, 0), node(0, 1), node(0, 2)
    network = build(([a, b, c], {"highway": "residential", "oneway": "yes"}))
    nodes, _ = network.snap([a[1], c[1]], [a[2], c[2]])
    forward = network.node_seconds(nodes[:1], nodes[1:])
    backward = network.node_seconds(nodes[1:], nodes[:1])
    assert math.isfinite(forward[0, 0])
    assert backward[0, 0] == math.inf


def test_parallel_ways_keep_the_fastest_edge():
    a, b = node(0, 0), node(1, 0)
    slow = build(([a, b], {"highway": "residential", "maxspeed": "10"}))
    both = build(
        ([a, b], {"highway": "residential", "maxspeed": "10"}),
        ([a, b], {"highway": "primary", "maxspeed": "80"}),
    )
    assert both.edge_count == 2
    assert both.seconds.max() == pytest.approx(slow.seconds.max() / 8)


def test_disconnected_parts_are_unreachable_not_estimated():
    west = [node(0, 0), node(0, 1)]
    east = [node(0, 5), node(0, 6)]
    network = build((west, {"highway": "residential"}), (east, {"highway": "residential"}))
    table = network.minutes(
        ([west[0][1]], [west[0][2]]),
        ([west[1][1], east[1][1]], [west[1][2], east[1][2]]),
        max_snap_km=1.0,
        snap_speed_kmh=15.0,
    )
    assert math.isfinite(table[0, 0])
    assert table[0, 1] == math.inf


def test_snap_legs_are_driven_at_the_snap_speed_and_far_points_are_off_the_network():
    a, b = node(0, 0), node(1, 0)
    network = build(([a, b], {"highway": "residential", "maxspeed": "36"}))
    # 0.002 degrees of longitude west of a (about 182 m) and a point 50 km away.
    near_lat, near_lon = a[1], a[2] - 0.002
    table = network.minutes(
        ([near_lat, a[1] + 0.5], [near_lon, a[2]]),
        ([b[1]], [b[2]]),
        max_snap_km=1.0,
        snap_speed_kmh=15.0,
    )
    snap_km = distance_km(near_lat, near_lon, a[1], a[2])
    edge_minutes = distance_km(a[1], a[2], b[1], b[2]) / 36 * 60
    assert table[0, 0] == pytest.approx(snap_km / 15 * 60 + edge_minutes, rel=1e-9)
    assert math.isnan(table[1, 0])


def test_minutes_from_many_origins_equal_those_from_the_reversed_side():
    """Dijkstra runs from the smaller side; both sides give the same table."""
    ways = []
    for i in range(4):
        row = [node(i, j) for j in range(4)]
        ways.append((row, {"highway": "residential", "oneway": "yes" if i % 2 else "no"}))
        col = [node(j, i) for j in range(4)]
        ways.append((col, {"highway": "tertiary", "oneway": "-1" if i == 2 else "no"}))
    network = build(*ways)
    all_nodes = np.arange(network.node_count)
    few = all_nodes[:3]
    assert np.allclose(
        network.node_seconds(all_nodes, few), network.node_seconds(all_nodes, all_nodes)[:, :3]
    )
    assert np.allclose(
        network.node_seconds(few, all_nodes), network.node_seconds(all_nodes, all_nodes)[:3, :]
    )


def test_storage_round_trip_keeps_every_array_and_the_metadata():
    network = build(([node(0, 0), node(0, 1), node(1, 1)], {"highway": "residential"}))
    again = RoadNetwork.from_bytes(network.to_bytes())
    for name in ("lat", "lon", "indptr", "tail", "head", "seconds"):
        assert np.array_equal(getattr(again, name), getattr(network, name))
    assert again.metadata == network.metadata


def test_edges_stored_in_another_order_are_read_as_the_same_network():
    ways = [([node(i, j) for j in range(4)], {"highway": "residential"}) for i in range(3)]
    ways.append(([node(0, 0), node(1, 0), node(2, 0)], {"highway": "primary", "oneway": "yes"}))
    network = build(*ways)
    order = np.random.default_rng(3).permutation(network.edge_count)
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        lat=network.lat,
        lon=network.lon,
        tail=network.tail[order],
        head=network.head[order],
        seconds=network.seconds[order],
        metadata=np.frombuffer(json.dumps(network.metadata).encode(), dtype=np.uint8),
    )
    again = RoadNetwork.from_bytes(buffer.getvalue())
    for name in ("indptr", "tail", "head", "seconds"):
        assert np.array_equal(getattr(again, name), getattr(network, name))
    nodes = np.arange(network.node_count)
    assert np.array_equal(again.node_seconds(nodes, nodes), network.node_seconds(nodes, nodes))


def test_the_search_graph_shares_the_networks_arrays():
    """A state network's edges are tens of megabytes: the graph the searches run on reads the
    network's own arrays rather than a copy of them."""
    network = build(([node(0, j) for j in range(5)], {"highway": "residential"}))
    graph = network._graph
    assert np.shares_memory(graph.data, network.seconds)
    assert np.shares_memory(graph.indices, network.head)
    assert np.shares_memory(graph.indptr, network.indptr)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 5), st.integers(0, 5)),
        min_size=1,
        max_size=25,
    )
)
def test_the_triangle_inequality_holds_over_any_network(segments):
    builder = NetworkBuilder()
    for i1, j1, i2, j2 in segments:
        builder.add_way([node(i1, j1), node(i2, j2)], {"highway": "residential"})
    if not builder.ways or not builder._tail:
        return
    network = builder.build(source="t", osm_timestamp=None, built_at="x")
    nodes = np.arange(network.node_count)
    table = network.node_seconds(nodes, nodes)
    assert np.allclose(np.diag(table), 0.0)
    via = np.min(table[:, :, None] + table[None, :, :], axis=1)
    assert np.all(table <= via + 1e-9)


def test_times_from_one_point_equal_the_many_to_many_table():
    ways = [([node(i, j) for j in range(5)], {"highway": "residential"}) for i in range(5)]
    ways += [
        ([node(i, j) for i in range(5)], {"highway": "tertiary", "oneway": "yes"}) for j in range(5)
    ]
    network = build(*ways)
    rng = np.random.default_rng(3)
    lat = LAT0 + rng.uniform(-0.001, 0.005, 12)
    lon = LON0 + rng.uniform(-0.001, 0.005, 12)
    lat[0] = np.nan
    lat[1] = LAT0 + 1.0  # far from every road
    origin = network.from_point(LAT0 + 0.002, LON0 + 0.001, max_snap_km=1.0, snap_speed_kmh=15.0)
    ours = origin.minutes_to(lat, lon)
    table = network.minutes(
        ([LAT0 + 0.002], [LON0 + 0.001]), (lat[1:], lon[1:]), max_snap_km=1.0, snap_speed_kmh=15.0
    )[0]
    assert math.isnan(ours[0]) and math.isnan(ours[1])
    assert np.allclose(ours[1:], table, equal_nan=True)
    assert network.from_point(LAT0 + 1.0, LON0, max_snap_km=1.0, snap_speed_kmh=15.0) is None


# -- the bounded search from one point (the officer lookup) --------------------------------


def line_network() -> tuple[RoadNetwork, list[tuple[int, float, float]]]:
    """Eleven nodes in a row, 36 km/h (one 111 m block in about 11 s), a one-way spur off
    the east end, and an island of two nodes no road reaches."""
    row = [node(0, j) for j in range(11)]
    spur = [row[-1], node(1, 10), node(2, 10)]
    island = [node(0, 20), node(0, 21)]
    network = build(
        (row, {"highway": "residential", "maxspeed": "36"}),
        (spur, {"highway": "residential", "maxspeed": "36", "oneway": "yes"}),
        (island, {"highway": "residential", "maxspeed": "36"}),
    )
    return network, row + spur[1:] + island


def test_within_the_bound_times_are_exact_and_beyond_it_more_than_the_bound_never_unreachable():
    network, points = line_network()
    lat = np.array([p[1] for p in points])
    lon = np.array([p[2] for p in points])
    start = points[0]
    free = network.from_point(start[1], start[2], max_snap_km=1.0, snap_speed_kmh=15.0)
    exact = free.minutes_to(lat, lon)
    assert np.all(np.isfinite(exact[:13])) and np.all(np.isinf(exact[13:]))
    # A bound between the 5th and 6th node along the row.
    bound = (exact[5] + exact[6]) / 2
    bounded = network.from_point(
        start[1], start[2], max_snap_km=1.0, snap_speed_kmh=15.0, limit_minutes=bound
    )
    minutes, beyond = bounded.times_to(lat, lon)
    within = exact <= bound
    assert within[:6].all() and not within[6:].any()
    assert np.array_equal(minutes[within], exact[within])  # the unbounded figures, to the bit
    assert np.all(np.isinf(minutes[~within]))
    assert beyond[6:13].all()  # the rest of the row and the one-way spur: more than the bound
    assert not beyond[:6].any()
    assert not beyond[13:].any()  # the island stays unreachable


def test_a_one_way_street_out_is_beyond_the_bound_and_the_way_back_unreachable():
    network, points = line_network()
    end = points[12]  # the spur's end: one-way streets lead there and none back
    lat = np.array([points[0][1], points[12][1]])
    lon = np.array([points[0][2], points[12][2]])
    from_start = network.from_point(
        points[0][1], points[0][2], max_snap_km=1.0, snap_speed_kmh=15.0, limit_minutes=0.5
    )
    assert from_start.times_to(lat, lon)[1].tolist() == [False, True]
    from_end = network.from_point(
        end[1], end[2], max_snap_km=1.0, snap_speed_kmh=15.0, limit_minutes=0.5
    )
    minutes, beyond = from_end.times_to(lat, lon)
    assert math.isinf(minutes[0]) and not beyond[0]  # no route back: unreachable, not "beyond"
    assert minutes[1] == 0.0


def test_a_bound_shorter_than_the_snap_leg_leaves_every_place_beyond_it():
    network, points = line_network()
    origin = network.from_point(
        points[0][1] + 0.003, points[0][2], max_snap_km=1.0, snap_speed_kmh=15.0, limit_minutes=1
    )
    # 333 m north of the row at 15 km/h: 1.3 minutes before the first road.
    island = points[13]
    minutes, beyond = origin.times_to([points[3][1], island[1]], [points[3][2], island[2]])
    assert np.all(np.isinf(minutes))
    assert beyond.tolist() == [True, False]
    with pytest.raises(ValueError):
        network.from_point(
            points[0][1], points[0][2], max_snap_km=1.0, snap_speed_kmh=15.0, limit_minutes=-1
        )


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 5),
            st.integers(0, 5),
            st.integers(0, 5),
            st.integers(0, 5),
            st.booleans(),
        ),
        min_size=1,
        max_size=25,
    ),
    st.floats(0.05, 3.0),
)
def test_a_bounded_search_agrees_with_the_unbounded_one(segments, bound):
    """Exact where the unbounded time is within the bound, ``beyond`` exactly where it is
    finite but over it, unreachable exactly where it is unreachable."""
    builder = NetworkBuilder()
    for i1, j1, i2, j2, oneway in segments:
        tags = {"highway": "residential", "oneway": "yes" if oneway else "no"}
        builder.add_way([node(i1, j1), node(i2, j2)], tags)
    if not builder._tail:
        return
    network = builder.build(source="t", osm_timestamp=None, built_at="x")
    lat, lon = network.lat, network.lon
    free = network.from_point(lat[0], lon[0], max_snap_km=1.0, snap_speed_kmh=15.0)
    exact = free.minutes_to(lat, lon)
    bounded = network.from_point(
        lat[0], lon[0], max_snap_km=1.0, snap_speed_kmh=15.0, limit_minutes=bound
    )
    minutes, beyond = bounded.times_to(lat, lon)
    within = exact <= bound
    assert np.array_equal(minutes[within], exact[within])
    assert np.array_equal(beyond, np.isfinite(exact) & ~within)
    assert np.all(np.isinf(minutes[~within]))


def test_remembered_snaps_equal_fresh_ones_and_a_moved_point_is_snapped_again():
    ways = [([node(i, j) for j in range(5)], {"highway": "residential"}) for i in range(5)]
    network = build(*ways)
    rng = np.random.default_rng(5)
    lat = LAT0 + rng.uniform(-0.001, 0.005, 30)
    lon = LON0 + rng.uniform(-0.001, 0.005, 30)
    for first, count in ((0, 10), (5, 20), (0, 30)):
        part = slice(first, first + count)
        remembered = network.snap_remembered(lat[part], lon[part])
        fresh = network.snap(lat[part], lon[part])
        assert np.array_equal(remembered[0], fresh[0])
        assert np.array_equal(remembered[1], fresh[1])
    moved = network.snap_remembered(lat[:1] + 0.004, lon[:1])
    assert np.array_equal(moved[0], network.snap(lat[:1] + 0.004, lon[:1])[0])


def test_snapped_columns_equal_fresh_snaps_and_follow_appended_and_changed_columns():
    ways = [([node(i, j) for j in range(5)], {"highway": "residential"}) for i in range(5)]
    network = build(*ways)
    rng = np.random.default_rng(6)
    lat = LAT0 + rng.uniform(-0.001, 0.005, 40)
    lon = LON0 + rng.uniform(-0.001, 0.005, 40)
    lat[[3, 17]] = np.nan  # sites without a point
    lon[[3, 30]] = np.nan

    def expected(la, lo):
        nodes, km = np.full(len(la), -1), np.full(len(la), np.inf)
        placed = ~np.isnan(la) & ~np.isnan(lo)
        nodes[placed], km[placed] = network.snap(la[placed], lo[placed])
        return nodes, km

    for la, lo in (
        (lat[:25], lon[:25]),
        (lat[:25], lon[:25]),  # the same columns again
        (lat.copy(), lon.copy()),  # new columns that start with the old ones: 15 appended
        (lat[5:], lon[5:]),  # other columns: every point snapped again
        (lat[5:] + 0.002, lon[5:]),  # every site moved
    ):
        nodes, km = network.snap_columns(la, lo)
        want_nodes, want_km = expected(la, lo)
        assert np.array_equal(nodes, want_nodes)
        assert np.array_equal(km, want_km)


def test_times_at_positions_of_site_columns_equal_times_to_those_sites():
    network, points = line_network()
    lat = np.array([p[1] for p in points] + [np.nan])
    lon = np.array([p[2] for p in points] + [np.nan])
    start = points[0]
    exact = network.from_point(start[1], start[2], max_snap_km=1.0, snap_speed_kmh=15.0)
    bound = sorted(exact.minutes_to(lat[:-1], lon[:-1]))[6]
    origin = network.from_point(
        start[1], start[2], max_snap_km=1.0, snap_speed_kmh=15.0, limit_minutes=bound
    )
    positions = np.array([len(lat) - 1, 12, 0, 5, 14, 13, 6, 6])
    minutes, beyond = origin.times_at(lat, lon, positions)
    want_minutes, want_beyond = origin.times_to(lat[positions], lon[positions])
    np.testing.assert_array_equal(minutes, want_minutes)
    np.testing.assert_array_equal(beyond, want_beyond)
    assert np.isnan(minutes[0]) and np.isfinite(minutes[2]) and beyond.any()
