"""2SFCA, E2SFCA and gravity: hand-computed cases and PySAL ``access`` as the oracle."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from shapely.geometry import shape

from pmhc_directory.gaps.fca import (
    LUO_QI_WEIGHTS,
    enhanced_two_step_fca,
    gravity,
    step_weights,
    two_step_fca,
)
from pmhc_directory.geo.distance import TravelModel

INF = np.inf
# tests/unit/gaps/test_fca.py -> parents[3] is the repository, its sibling "shared" the data.
SHARED = Path(__file__).resolve().parents[4] / "shared"
TRACTS = SHARED / "data" / "bernalillo_nm_tracts" / "bernalillo_tracts_2020.geojson"
FACILITIES = SHARED / "data" / "samhsa_treatment_facilities" / "samhsa_mental_health_facilities.csv"

# 4 tracts + 1 isolated tract, 2 sites. Costs in minutes.
P = np.array([1000.0, 2000.0, 500.0, 800.0, 300.0])
S = np.array([10.0, 3.0])
COST = np.array(
    [
        [5.0, 25.0],
        [15.0, 30.0],  # exactly on the 30-minute limit: inside (inclusive)
        [35.0, 12.0],
        [45.0, 50.0],  # reachable, but beyond every band / the catchment
        [INF, INF],  # unreachable from everywhere
    ]
)


def test_two_step_fca_by_hand() -> None:
    # site 0 catchment (<= 30): tracts 0, 1 -> 3000 people; site 1: tracts 0, 1, 2 -> 3500
    r0, r1 = 10 / 3000, 3 / 3500
    expected = [r0 + r1, r0 + r1, r1, math.nan, math.nan]
    np.testing.assert_allclose(two_step_fca(P, S, COST, 30), expected, rtol=1e-15)


def test_two_step_fca_limit_is_inclusive() -> None:
    just_below = two_step_fca(P, S, COST, 29.999)
    assert just_below[1] == pytest.approx(10 / 3000)  # site 1 at 30 min no longer counts


def test_enhanced_two_step_fca_by_hand() -> None:
    # weights: tract0 (1, .22), tract1 (.68, .22), tract2 (0, .68), tract3 (0, 0)
    r0 = 10 / (1000 * 1 + 2000 * 0.68)
    r1 = 3 / (1000 * 0.22 + 2000 * 0.22 + 500 * 0.68)
    expected = [r0 + 0.22 * r1, 0.68 * r0 + 0.22 * r1, 0.68 * r1, 0.0, math.nan]
    np.testing.assert_allclose(enhanced_two_step_fca(P, S, COST), expected, rtol=1e-15)


def test_gravity_by_hand() -> None:
    pop = np.array([100.0, 300.0])
    supply = np.array([2.0, 1.0])
    cost = np.array([[0.5, 20.0], [10.0, 40.0]])  # 0.5 min -> min_cost 1
    v0 = 100 / 1 + 300 / 10
    v1 = 100 / 20 + 300 / 40
    expected = [2 / 1 / v0 + 1 / 20 / v1, 2 / 10 / v0 + 1 / 40 / v1]
    np.testing.assert_allclose(gravity(pop, supply, cost), expected, rtol=1e-15)
    # beta 2 and a 30-minute cut: site 1 only reaches tract 0
    v0 = 100 / 1 + 300 / 100
    v1 = 100 / 400
    expected = [2 / 1 / v0 + 1 / 400 / v1, 2 / 100 / v0]
    np.testing.assert_allclose(gravity(pop, supply, cost, beta=2, max_cost=30), expected)


def test_domain_offline_check_shape() -> None:
    """domain.md 7: the 4-tract 2SFCA check had two equal scores, one lower and one NaN."""
    scores = two_step_fca(P[:4], S, COST[:4], 30)
    assert scores[0] == scores[1] > scores[2] and math.isnan(scores[3])


def test_step_weights_match_access_step_fn() -> None:
    from access import weights

    reference = weights.step_fn(dict(LUO_QI_WEIGHTS))
    ours = step_weights(LUO_QI_WEIGHTS)
    minutes = np.array([0, 5, 10, 10.0001, 20, 25, 30, 30.5, 100, INF])
    np.testing.assert_array_equal(ours(minutes), [reference(m) for m in minutes])


def test_sparse_input_equals_dense() -> None:
    dense = COST.copy()
    stored = sp.csr_array(np.where(np.isfinite(dense), dense, 0.0))
    # A stored 0 would be 0 minutes; here no pair is 0, so non-stored == unreachable.
    for fn, kwargs in [
        (two_step_fca, {"max_cost": 30}),
        (enhanced_two_step_fca, {}),
        (gravity, {"beta": 1.5}),
    ]:
        np.testing.assert_allclose(fn(P, S, stored, **kwargs), fn(P, S, dense, **kwargs))


def test_sparse_explicit_zero_is_zero_minutes() -> None:
    cost = sp.csr_array((np.array([0.0]), np.array([0]), np.array([0, 1])), shape=(1, 1))
    assert two_step_fca(np.array([10.0]), np.array([1.0]), cost, 5)[0] == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("demand", "supply", "cost", "message"),
    [
        (P[:2], S, COST, "demand has 2 values"),
        (P, S[:1], COST, "supply has 1 values"),
        (-P, S, COST, "demand must be >= 0"),
        (P, S, np.where(COST == 5.0, np.nan, COST), "NaN"),
        (P, S, np.where(COST == 5.0, -1.0, COST), ">= 0"),
        (P, S, COST[0], "2-D"),
    ],
)
def test_invalid_inputs(demand, supply, cost, message) -> None:
    with pytest.raises(ValueError, match=message):
        two_step_fca(demand, supply, cost, 30)


def test_invalid_parameters() -> None:
    with pytest.raises(ValueError, match="max_cost"):
        two_step_fca(P, S, COST, -1)
    with pytest.raises(ValueError, match="min_cost"):
        gravity(P, S, COST, min_cost=0)
    with pytest.raises(ValueError, match="weights"):
        enhanced_two_step_fca(P, S, COST, {10: -1.0})
    with pytest.raises(ValueError, match="band"):
        enhanced_two_step_fca(P, S, COST, {})


def test_no_sites() -> None:
    empty = np.zeros((3, 0))
    assert np.isnan(two_step_fca(np.ones(3), np.zeros(0), empty, 30)).all()
    assert np.isnan(enhanced_two_step_fca(np.ones(3), np.zeros(0), empty)).all()


# --------------------------------------------------------------------------- access oracle


def _access_scores(demand, supply, cost, method: str, **kwargs) -> np.ndarray:
    """Run PySAL ``access`` on the same inputs; missing (inf) pairs are left out of the table."""
    pd = pytest.importorskip("pandas")
    access = pytest.importorskip("access")
    n_areas, n_sites = cost.shape
    areas = [f"a{i}" for i in range(n_areas)]
    sites = [f"s{j}" for j in range(n_sites)]
    # Indexes are set here and demand_index/supply_index=True are passed, because access's own
    # set_index(inplace=True) call emits pandas' Pandas4Warning (inplace deprecation).
    demand_df = pd.DataFrame({"pop": demand}, index=pd.Index(areas, name="geoid"))
    supply_df = pd.DataFrame({"supply": supply}, index=pd.Index(sites, name="geoid"))
    i, j = np.nonzero(np.isfinite(cost))
    cost_df = pd.DataFrame(
        {"origin": np.array(areas)[i], "dest": np.array(sites)[j], "cost": cost[i, j]}
    )
    model = access.Access(
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
    if method == "gravity":
        beta, min_cost = kwargs.pop("beta"), kwargs.pop("min_cost")
        kwargs["weight_fn"] = access.weights.gravity(scale=1, alpha=-beta, min_dist=min_cost)
        method = "two_stage_fca"
    frame = getattr(model, method)(name="x", **kwargs)
    return frame["x_supply"].reindex(areas).to_numpy(dtype=float)


def _assert_same(ours: np.ndarray, theirs: np.ndarray) -> None:
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    finite = ~np.isnan(ours)
    np.testing.assert_allclose(ours[finite], theirs[finite], rtol=1e-9, atol=0)


def _random_case(seed: int, n_areas: int = 60, n_sites: int = 12):
    rng = np.random.default_rng(seed)
    demand = rng.integers(1, 8000, n_areas).astype(float)
    supply = rng.integers(0, 6, n_sites).astype(float)
    cost = rng.uniform(0, 70, (n_areas, n_sites)).round(1)
    cost[rng.random(cost.shape) < 0.2] = INF  # unreachable pairs
    cost[0] = INF  # one area reaches nothing
    cost[1, :3] = [10.0, 20.0, 30.0]  # exact band edges
    return demand, supply, cost


@pytest.mark.parametrize("seed", range(5))
def test_two_step_fca_matches_access_random(seed: int) -> None:
    demand, supply, cost = _random_case(seed)
    for max_cost in (15.0, 30.0, 45.0):
        _assert_same(
            two_step_fca(demand, supply, cost, max_cost),
            _access_scores(demand, supply, cost, "two_stage_fca", max_cost=max_cost),
        )


@pytest.mark.parametrize("seed", range(5))
def test_enhanced_two_step_fca_matches_access_random(seed: int) -> None:
    demand, supply, cost = _random_case(seed)
    _assert_same(
        enhanced_two_step_fca(demand, supply, cost),
        _access_scores(demand, supply, cost, "enhanced_two_stage_fca"),
    )


@pytest.mark.parametrize("seed", range(3))
def test_gravity_matches_access_random(seed: int) -> None:
    demand, supply, cost = _random_case(seed)
    for beta, max_cost in ((1.0, None), (1.7, 40.0)):
        _assert_same(
            gravity(demand, supply, cost, beta=beta, max_cost=max_cost, min_cost=1.0),
            _access_scores(
                demand, supply, cost, "gravity", beta=beta, min_cost=1.0, max_cost=max_cost
            ),
        )


def _bernalillo() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not (TRACTS.exists() and FACILITIES.exists()):
        pytest.skip(f"shared reference data not found under {SHARED} (Bernalillo tracts/SAMHSA)")
    tracts = json.loads(TRACTS.read_text("utf-8"))["features"]
    shapes = [shape(f["geometry"]) for f in tracts]
    population = np.array([f["properties"]["pop_2020"] for f in tracts], dtype=float)
    points = [s.representative_point() for s in shapes]
    min_lon = min(s.bounds[0] for s in shapes)
    min_lat = min(s.bounds[1] for s in shapes)
    max_lon = max(s.bounds[2] for s in shapes)
    max_lat = max(s.bounds[3] for s in shapes)
    with FACILITIES.open(newline="", encoding="utf-8") as handle:
        sites = [
            (float(row["latitude"]), float(row["longitude"]))
            for row in csv.DictReader(handle)
            if min_lat <= float(row["latitude"]) <= max_lat
            and min_lon <= float(row["longitude"]) <= max_lon
        ]
    model = TravelModel(circuity=1.3, speed_kmh=50.0)  # geodesic km x 1.3 / 50 km/h x 60
    cost = np.array(
        [[model.minutes_between(p.y, p.x, lat, lon) for lat, lon in sites] for p in points]
    )
    return population, np.ones(len(sites)), cost


def test_bernalillo_county_matches_access() -> None:
    population, supply, cost = _bernalillo()
    assert population.sum() == 676_444 and cost.shape[0] == 176 and cost.shape[1] >= 10
    for max_cost in (10.0, 20.0, 30.0):
        ours = two_step_fca(population, supply, cost, max_cost)
        _assert_same(
            ours, _access_scores(population, supply, cost, "two_stage_fca", max_cost=max_cost)
        )
    assert np.isnan(two_step_fca(population, supply, cost, 10.0)).any()  # rural tracts: no site
    _assert_same(
        enhanced_two_step_fca(population, supply, cost),
        _access_scores(population, supply, cost, "enhanced_two_stage_fca"),
    )
    _assert_same(
        gravity(population, supply, cost),
        _access_scores(population, supply, cost, "gravity", beta=1.0, min_cost=1.0),
    )


# --------------------------------------------------------------------------- properties

sizes = st.tuples(st.integers(1, 12), st.integers(1, 6))


@st.composite
def cases(draw, all_reachable: bool = False):
    n_areas, n_sites = draw(sizes)
    demand = draw(hnp.arrays(float, n_areas, elements=st.floats(1, 1e5)))
    supply = draw(hnp.arrays(float, n_sites, elements=st.floats(0, 100)))
    minutes = st.floats(0, 30) if all_reachable else st.one_of(st.floats(0, 90), st.just(INF))
    cost = draw(hnp.arrays(float, (n_areas, n_sites), elements=minutes))
    return demand, supply, cost


@settings(max_examples=150, deadline=None)
@given(cases(all_reachable=True))
def test_supply_is_conserved_when_everything_is_reachable(case) -> None:
    demand, supply, cost = case
    scores = two_step_fca(demand, supply, cost, 30.0)
    assert float(demand @ scores) == pytest.approx(supply.sum(), rel=1e-9, abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(cases(), st.data())
def test_adding_supply_never_lowers_a_score(case, data) -> None:
    demand, supply, cost = case
    extra = data.draw(hnp.arrays(float, supply.shape, elements=st.floats(0, 50)))
    for fn, kwargs in [
        (two_step_fca, {"max_cost": 30.0}),
        (enhanced_two_step_fca, {}),
        (gravity, {"beta": 1.0}),
    ]:
        before = fn(demand, supply, cost, **kwargs)
        after = fn(demand, supply + extra, cost, **kwargs)
        np.testing.assert_array_equal(np.isnan(before), np.isnan(after))
        ok = ~np.isnan(before)
        assert (after[ok] >= before[ok] * (1 - 1e-12)).all()
