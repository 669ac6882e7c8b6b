"""Maximal covering location (MCLP) suggestions, checked against brute force."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from pmhc_directory.gaps.siting import maximal_covering


def brute_force(weights, reach, p, already=None) -> float:
    already = np.zeros(len(weights), bool) if already is None else already
    best = 0.0
    for k in range(1, p + 1):
        for combo in combinations(range(reach.shape[1]), k):
            new = reach[:, list(combo)].any(axis=1) & ~already
            best = max(best, float(weights[new].sum()))
    return best


# 6 areas, 4 candidates.
WEIGHTS = np.array([500.0, 400.0, 300.0, 300.0, 200.0, 100.0])
REACH = np.array(
    [
        [1, 0, 0, 0],
        [1, 1, 0, 0],
        [0, 1, 1, 0],
        [0, 0, 1, 0],
        [0, 0, 1, 1],
        [0, 0, 0, 1],
    ],
    dtype=bool,
)


def test_known_optimum_p1_and_p2() -> None:
    one = maximal_covering(WEIGHTS, REACH, 1)
    assert one.chosen == (0,) and one.newly_covered_population == 900  # 500 + 400
    two = maximal_covering(WEIGHTS, REACH, 2)
    # {0, 2}: 500 + 400 + 300 + 300 + 200 = 1700 beats {0, 1} (1200) and {1, 2} (1200)
    assert two.chosen == (0, 2) and two.newly_covered_population == 1700
    assert two.newly_covered_population == brute_force(WEIGHTS, REACH, 2)
    assert two.covered_before == 0 and two.covered_after == 1700
    assert two.total_population == 1800 and two.optimal


def test_already_covered_areas_are_not_new() -> None:
    already = np.array([True, True, False, False, False, False])
    result = maximal_covering(WEIGHTS, REACH, 1, already_covered=already)
    # candidate 0 would add nothing new; candidate 2 adds 300 + 300 + 200
    assert result.chosen == (2,)
    assert result.newly_covered_population == 800
    assert result.covered_before == 900 and result.covered_after == 1700


def test_p_larger_than_useful_returns_fewer_sites() -> None:
    result = maximal_covering(WEIGHTS, REACH, 10)
    assert result.newly_covered_population == 1800
    assert len(result.chosen) <= 4
    # candidate 1 is redundant once 0 and 2 are chosen; a minimal set is returned
    assert result.chosen == (0, 2, 3)
    nothing = maximal_covering(WEIGHTS, REACH, 3, already_covered=np.ones(6, bool))
    assert nothing.chosen == () and nothing.newly_covered_population == 0


@pytest.mark.parametrize("seed", range(8))
def test_random_cases_match_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_areas, n_candidates = 25, 8
    weights = rng.integers(0, 1000, n_areas).astype(float)
    reach = rng.random((n_areas, n_candidates)) < 0.2
    already = rng.random(n_areas) < 0.2
    for p in (1, 2, 3):
        result = maximal_covering(weights, reach, p, already_covered=already)
        assert len(result.chosen) <= p
        assert result.newly_covered_population == pytest.approx(
            brute_force(weights, reach, p, already)
        )
        new = reach[:, list(result.chosen)].any(axis=1) & ~already
        assert result.newly_covered_population == pytest.approx(weights[new].sum())


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="p must be at least 1"):
        maximal_covering(WEIGHTS, REACH, 0)
    with pytest.raises(TypeError, match="p must be an integer"):
        maximal_covering(WEIGHTS, REACH, 1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="weights"):
        maximal_covering(WEIGHTS[:3], REACH, 1)
    with pytest.raises(ValueError, match="candidate_reach"):
        maximal_covering(WEIGHTS, REACH.astype(int), 1)
    with pytest.raises(ValueError, match="already_covered"):
        maximal_covering(WEIGHTS, REACH, 1, already_covered=np.ones(3, bool))


def test_a_single_useful_candidate_is_chosen_and_counted_exactly():
    # Regression: with one candidate left after pruning, the "covered only by this one" mask
    # must stay boolean (it once became an integer array and indexed the wrong weights).
    import numpy as np

    from pmhc_directory.gaps.siting import maximal_covering

    weights = np.array([10.0, 5.0, 7.0])
    reach = np.array([[True], [False], [True]])
    result = maximal_covering(weights, reach, p=2)
    assert list(result.chosen) == [0]
    assert result.newly_covered_population == 17.0
