"""Sparse coverage (KD-tree pairs, sparse algebra) equals the dense computation.

Random inventories and areas: sites scattered over a state-sized box (some without a site),
thresholds per type (some unlimited), service areas, supplied travel times and random weekly
open bitmaps. Dense: every area-site minute estimated, ``reach_matrix`` then ``covered``;
sparse: ``sparse_reach`` then ``sparse_covered``. Every hour of the week and every group must
agree exactly.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import shapely

from pmhc_directory.gaps import coverage

CIRCUITY, SPEED = 1.3, 50.0


def _inventory(seed: int):
    rng = np.random.default_rng(seed)
    n_areas = int(rng.integers(1, 120))
    n_sites = int(rng.integers(0, 160))
    n_types = int(rng.integers(1, 6))
    # A box of about 3 x 3 degrees around a mid-latitude point, with clusters (towns).
    area_lat = 34.5 + rng.uniform(-1.5, 1.5, n_areas)
    area_lon = -106.0 + rng.uniform(-1.8, 1.8, n_areas)
    site_lat = 34.5 + rng.uniform(-1.6, 1.6, n_sites)
    site_lon = -106.0 + rng.uniform(-1.9, 1.9, n_sites)
    if n_areas and n_sites:  # some sites sit exactly on a demand point (0 minutes)
        on = rng.random(n_sites) < 0.1
        pick = rng.integers(0, n_areas, on.sum())
        site_lat[on], site_lon[on] = area_lat[pick], area_lon[pick]
    no_site = rng.random(n_sites) < 0.1
    site_lat[no_site], site_lon[no_site] = np.nan, np.nan
    type_limits = rng.choice([10.0, 20.0, 30.0, 45.0, 60.0, 90.0, np.inf], n_types)
    types = rng.integers(0, n_types, n_sites)
    thresholds = type_limits[types]
    has_area = rng.random(n_sites) < 0.15
    in_area = np.zeros((n_areas, n_sites), dtype=bool)
    for j in np.flatnonzero(has_area):
        centre = shapely.Point(site_lon[j] if np.isfinite(site_lon[j]) else -106, 34.5)
        shape = centre.buffer(rng.uniform(0.2, 1.2))
        in_area[:, j] = shapely.intersects_xy(shape, area_lon, area_lat)
    # Supplied minutes for a few pairs (they replace the estimate, near or far).
    n_supplied = int(rng.integers(0, 3 * n_areas + 1)) if n_sites else 0
    sup_rows = rng.integers(0, n_areas, n_supplied)
    sup_cols = rng.integers(0, max(n_sites, 1), n_supplied)
    sup_minutes = rng.choice([0.0, 5.0, 29.0, 30.0, 61.0, 500.0], n_supplied)
    open_week = rng.random((n_sites, 168)) < rng.uniform(0.05, 0.9)
    open_week[rng.random(n_sites) < 0.2] = True  # 24/7
    open_week[rng.random(n_sites) < 0.1] = False  # never open (unreadable hours)
    return {
        "n_areas": n_areas,
        "n_types": n_types,
        "area_lat": area_lat,
        "area_lon": area_lon,
        "site_lat": site_lat,
        "site_lon": site_lon,
        "thresholds": thresholds,
        "types": types,
        "has_area": has_area,
        "in_area": in_area,
        "supplied": (sup_rows, sup_cols, sup_minutes),
        "open_week": open_week,
    }


def _dense_minutes(inv) -> np.ndarray:
    minutes = coverage.estimated_minutes(
        CIRCUITY,
        SPEED,
        inv["area_lat"][:, None],
        inv["area_lon"][:, None],
        inv["site_lat"][None, :],
        inv["site_lon"][None, :],
    )
    minutes = np.where(np.isnan(minutes), np.inf, minutes)
    for i, j, value in zip(*inv["supplied"], strict=True):
        minutes[i, j] = value
    return minutes


def _sparse(inv) -> coverage.SparseReach:
    rows, cols = np.nonzero(inv["in_area"])
    return coverage.sparse_reach(
        inv["area_lat"],
        inv["area_lon"],
        inv["site_lat"],
        inv["site_lon"],
        inv["thresholds"],
        inv["has_area"],
        (rows, cols),
        circuity=CIRCUITY,
        speed_kmh=SPEED,
        supplied=inv["supplied"],
    )


@pytest.mark.parametrize("seed", range(40))
def test_sparse_reach_and_coverage_equal_dense_every_hour_and_type(seed):
    inv = _inventory(seed)
    dense_reach = coverage.reach_matrix(
        inv["n_areas"], _dense_minutes(inv), inv["thresholds"], inv["in_area"], inv["has_area"]
    )
    sparse = _sparse(inv)
    np.testing.assert_array_equal(sparse.dense(), dense_reach)

    groups, n_groups = inv["types"], inv["n_types"]
    dense_week = coverage.covered(dense_reach, inv["open_week"], groups, n_groups)
    sparse_week = coverage.sparse_covered(sparse, inv["open_week"], groups, n_groups)
    assert sparse_week.shape == (inv["n_areas"], n_groups, 168)
    np.testing.assert_array_equal(sparse_week, dense_week)
    # One instant (1-D open mask) too, at a few hours.
    for hour in (0, 2, 14, 167):
        np.testing.assert_array_equal(
            coverage.sparse_covered(sparse, inv["open_week"][:, hour], groups, n_groups),
            dense_week[:, :, hour],
        )


def test_candidate_pairs_hold_every_pair_within_the_radius():
    rng = np.random.default_rng(7)
    area_lat, area_lon = rng.uniform(30, 40, 300), rng.uniform(-110, -100, 300)
    site_lat, site_lon = rng.uniform(30, 40, 400), rng.uniform(-110, -100, 400)
    km = coverage.geodesic_km(
        area_lat[:, None], area_lon[:, None], site_lat[None, :], site_lon[None, :]
    )
    for radius in (5.0, 40.0, 150.0):
        rows, cols = coverage.candidate_pairs(area_lat, area_lon, site_lat, site_lon, radius)
        found = set(zip(rows.tolist(), cols.tolist(), strict=True))
        wanted = set(zip(*(a.tolist() for a in np.nonzero(km <= radius)), strict=True))
        assert wanted <= found
        # and not many more: the margin is about 1 %
        assert len(found) <= int((km <= radius * 1.02).sum()) + 5


def test_an_unlimited_column_reaches_every_area_only_while_open():
    reach = coverage.sparse_reach(
        [34.0, 35.0],
        [-106.0, -106.0],
        [np.nan],
        [np.nan],
        [np.inf],
        [False],
        ([], []),
        circuity=CIRCUITY,
        speed_kmh=SPEED,
    )
    week = np.zeros((1, 168), dtype=bool)
    week[0, 5] = True
    got = coverage.sparse_covered(reach, week, np.array([0]), 1)
    assert got[:, 0, 5].all() and not got[:, 0, 4].any()


def test_sparse_covered_rejects_a_mask_of_the_wrong_shape():
    reach = coverage.sparse_reach(
        [34.0], [-106.0], [34.0], [-106.0], [30.0], [False], ([], []), circuity=1, speed_kmh=50
    )
    with pytest.raises(ValueError, match="open_mask"):
        coverage.sparse_covered(reach, np.ones((2, 168), dtype=bool), np.array([0]), 1)


def _hours_sets(open_week: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(column_group, open bitmap per group): the distinct weekly bitmaps of the columns."""
    if not open_week.shape[0]:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 168), dtype=bool)
    bitmaps, column_group = np.unique(open_week, axis=0, return_inverse=True)
    return column_group.reshape(-1).astype(np.int64), bitmaps


@pytest.mark.parametrize("dense_cells", [coverage.DENSE_GROUP_CELLS, 0])
@pytest.mark.parametrize("palette", [None, 3, 70])
@pytest.mark.parametrize("seed", range(15))
def test_reach_grouped_by_hours_equals_dense_every_hour_and_type(
    seed, palette, dense_cells, monkeypatch
):
    """Columns merged by their opening hours (``group_reach``) cover what the columns cover,
    at every hour and instant, for each type: few sets of hours, more than 62 (no bit
    patterns), and the sparse form (a dense limit of 0 cells)."""
    monkeypatch.setattr(coverage, "DENSE_GROUP_CELLS", dense_cells)
    inv = _inventory(seed)
    if palette is not None:  # the columns share `palette` weekly bitmaps
        rng = np.random.default_rng(seed + 1000)
        choices = rng.random((palette, 168)) < rng.uniform(0.05, 0.9, (palette, 1))
        inv["open_week"] = choices[rng.integers(0, palette, inv["open_week"].shape[0])]
    dense_reach = coverage.reach_matrix(
        inv["n_areas"], _dense_minutes(inv), inv["thresholds"], inv["in_area"], inv["has_area"]
    )
    expected = coverage.covered(dense_reach, inv["open_week"], inv["types"], inv["n_types"])
    rows, cols = np.nonzero(inv["in_area"])
    pairs = coverage.reach_pairs(
        inv["area_lat"],
        inv["area_lon"],
        inv["site_lat"],
        inv["site_lon"],
        inv["thresholds"],
        inv["has_area"],
        (rows, cols),
        circuity=CIRCUITY,
        speed_kmh=SPEED,
        supplied=inv["supplied"],
    )
    for t in range(inv["n_types"]):
        mine = np.flatnonzero(inv["types"] == t)
        column_group, bitmaps = _hours_sets(inv["open_week"][mine])
        position = np.full(inv["types"].size, -1)
        position[mine] = np.arange(mine.size)
        keep = position[pairs.cols] >= 0
        type_pairs = coverage.ReachPairs(
            pairs.rows[keep], position[pairs.cols[keep]], pairs.everywhere[mine]
        )
        reach = coverage.group_reach(inv["n_areas"], type_pairs, column_group, len(bitmaps))
        assert sp.issparse(reach.matrix) == (dense_cells == 0)
        np.testing.assert_array_equal(coverage.group_covered(reach, bitmaps), expected[:, t, :])
        for hour in (0, 3, 14, 101, 167):
            np.testing.assert_array_equal(
                coverage.group_covered(reach, bitmaps[:, hour]), expected[:, t, hour]
            )


def test_group_reach_refuses_groups_out_of_range():
    pairs = coverage.ReachPairs(np.array([0]), np.array([1]), np.zeros(2, dtype=bool))
    with pytest.raises(ValueError, match="column_group must be in 0..1"):
        coverage.group_reach(1, pairs, np.array([0, 2]), 2)
    with pytest.raises(ValueError, match="column_group must be integers"):
        coverage.group_reach(1, pairs, np.array([0, -1]), 2)
    with pytest.raises(ValueError, match="column_group must be integers"):
        coverage.group_reach(1, pairs, np.array([0]), 2)
    reach = coverage.group_reach(1, pairs, np.array([0, 1]), 2)
    with pytest.raises(ValueError, match="open_groups has 3 groups"):
        coverage.group_covered(reach, np.ones(3, dtype=bool))
    with pytest.raises(ValueError, match="open_groups must be a boolean"):
        coverage.group_covered(reach, np.ones(2))


def test_a_group_holding_an_unlimited_column_covers_every_area_while_open():
    pairs = coverage.ReachPairs(
        np.array([0]), np.array([1]), np.array([True, False, False])
    )  # column 0 everywhere (group 1), column 1 reaches area 0 (group 0), column 2 nothing
    reach = coverage.group_reach(3, pairs, np.array([1, 0, 0]), 2)
    assert reach.dense().tolist() == [[True, True], [False, True], [False, True]]
    assert coverage.group_covered(reach, np.array([False, True])).tolist() == [True] * 3
    assert coverage.group_covered(reach, np.array([True, False])).tolist() == [True, False, False]


@pytest.mark.parametrize("dense_cells", [coverage.DENSE_GROUP_CELLS, 0])
def test_a_widened_group_reach_adds_groups_that_reach_nothing(dense_cells, monkeypatch):
    monkeypatch.setattr(coverage, "DENSE_GROUP_CELLS", dense_cells)
    pairs = coverage.ReachPairs(np.array([0, 2]), np.array([1, 0]), np.array([False, False, True]))
    reach = coverage.group_reach(3, pairs, np.array([1, 0, 1]), 2)
    wide = reach.widened(4)
    assert wide.shape == (3, 4) and reach.widened(2) is reach
    # group 0: column 1 (area 0); group 1: column 0 (area 2) and column 2 (everywhere)
    assert wide.dense().tolist() == [[True, True, False, False]] + [[False, True, False, False]] * 2
    assert wide.dense()[:, :2].tolist() == reach.dense().tolist()
    open_now = np.array([True, False, True, True])
    assert coverage.group_covered(wide, open_now).tolist() == [True, False, False]
    assert coverage.group_covered(wide, ~open_now).tolist() == [True, True, True]
    with pytest.raises(ValueError, match="cannot narrow"):
        reach.widened(1)
