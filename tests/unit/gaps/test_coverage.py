"""Reach, coverage by group and hour, population shares and the all-three headline."""

from __future__ import annotations

import numpy as np
import pytest

from pmhc_directory.gaps.coverage import (
    CRISIS_ELEMENTS,
    all_elements_covered,
    all_elements_share,
    covered,
    group_index,
    population_share,
    reach_matrix,
)

# A 3x3 grid of areas (row-major, area = 3 * row + col), 10 minutes between neighbours
# (Manhattan), populations 100..900.
GRID = [(r, c) for r in range(3) for c in range(3)]
POP = np.arange(1, 10, dtype=float) * 100
TOTAL = POP.sum()  # 4500


def minutes_from(cell: tuple[int, int]) -> np.ndarray:
    return np.array([10.0 * (abs(r - cell[0]) + abs(c - cell[1])) for r, c in GRID])


# Services: 0 crisis line (contact, everywhere, 24/7); 1 overnight mobile team (respond) whose
# service area is the top row; 2 receiving center (place) in the centre, 15-minute threshold,
# open 08-20; 3 a second receiving center far away (unreachable, np.inf minutes).
ELEMENTS = ["contact", "respond", "place", "place"]
GROUPS = group_index(ELEMENTS, CRISIS_ELEMENTS)
MINUTES = np.column_stack(
    [np.full(9, np.nan), minutes_from((0, 1)), minutes_from((1, 1)), np.full(9, np.inf)]
)
THRESHOLDS = np.array([np.inf, 30.0, 15.0, 15.0])
TOP_ROW = np.array([r == 0 for r, _ in GRID])
IN_AREA = np.column_stack([np.zeros(9, bool), TOP_ROW, np.zeros(9, bool), np.zeros(9, bool)])
HAS_AREA = np.array([False, True, False, False])
HOURS = np.arange(24)
OPEN = np.vstack(
    [
        np.ones(24, bool),  # crisis line 24/7
        (HOURS >= 20) | (HOURS < 8),  # overnight team
        (HOURS >= 8) & (HOURS < 20),  # daytime center
        np.ones(24, bool),
    ]
)


def reach() -> np.ndarray:
    return reach_matrix(9, MINUTES, THRESHOLDS, IN_AREA, HAS_AREA)


def test_reach_matrix() -> None:
    r = reach()
    assert r[:, 0].all()  # unlimited threshold: reaches everyone, whatever the minutes
    np.testing.assert_array_equal(r[:, 1], TOP_ROW)  # service area rules, not the 30 minutes
    # centre within 15 minutes: itself and its 4 neighbours (10 min); corners are 20 min away
    np.testing.assert_array_equal(
        r[:, 2], [False, True, False, True, True, True, False, True, False]
    )
    assert not r[:, 3].any()


def test_reach_threshold_is_inclusive() -> None:
    r = reach_matrix(
        1, np.array([[20.0]]), np.array([20.0]), np.zeros((1, 1), bool), np.array([False])
    )
    assert r[0, 0]
    r = reach_matrix(
        1, np.array([[20.01]]), np.array([20.0]), np.zeros((1, 1), bool), np.array([False])
    )
    assert not r[0, 0]


def test_overnight_team_covers_only_its_area_when_open() -> None:
    by_hour = covered(reach(), OPEN, GROUPS, 3)
    assert by_hour.shape == (9, 3, 24)
    respond = by_hour[:, 1, :]
    np.testing.assert_array_equal(respond[:, 2], TOP_ROW)  # 2 a.m.
    assert not respond[:, 14].any()  # 2 p.m.: closed, covers nothing
    # one moment (1-D open mask) gives (n_areas, n_groups)
    at_2am = covered(reach(), OPEN[:, 2], GROUPS, 3)
    np.testing.assert_array_equal(at_2am, by_hour[:, :, 2])


def test_center_covers_within_threshold_only_when_open() -> None:
    by_hour = covered(reach(), OPEN, GROUPS, 3)
    place = by_hour[:, 2, :]
    np.testing.assert_array_equal(
        place[:, 14], [False, True, False, True, True, True, False, True, False]
    )
    assert not place[:, 2].any()  # closed at night; the far center reaches nobody


def test_population_shares_are_exact() -> None:
    by_hour = covered(reach(), OPEN, GROUPS, 3)
    shares = population_share(by_hour, POP)
    assert shares.shape == (3, 24)
    assert shares[0, 2] == 1.0
    assert shares[1, 2] == pytest.approx(600 / 4500)  # top row: 100 + 200 + 300
    assert shares[1, 14] == 0.0
    assert shares[2, 14] == pytest.approx((200 + 400 + 500 + 600 + 800) / 4500)
    assert population_share(by_hour[:, 1, 2], POP) == pytest.approx(600 / 4500)
    assert isinstance(population_share(by_hour[:, 1, 2], POP), float)


def test_all_three_headline() -> None:
    by_hour = covered(reach(), OPEN, GROUPS, 3)
    per_element = {e: by_hour[:, g, :] for g, e in enumerate(CRISIS_ELEMENTS)}
    headline = all_elements_share(per_element, POP)
    # never all three: the team is out only at night, the center open only by day
    assert (headline == 0).all()
    # with a 24/7 center, all three at night exactly where the team and center overlap
    open_all = OPEN.copy()
    open_all[2] = True
    by_hour = covered(reach(), open_all, GROUPS, 3)
    per_element = {e: by_hour[:, g, :] for g, e in enumerate(CRISIS_ELEMENTS)}
    headline = all_elements_share(per_element, POP)
    assert headline[2] == pytest.approx(200 / 4500)  # only the top-middle area (200 people)
    assert headline[14] == 0.0
    mask = all_elements_covered(per_element)
    np.testing.assert_array_equal(np.flatnonzero(mask[:, 2]), [1])


def test_headline_names_a_missing_element() -> None:
    with pytest.raises(KeyError, match="place"):
        all_elements_share({"contact": np.ones(9, bool), "respond": np.ones(9, bool)}, POP)


def test_zero_population_share_is_nan() -> None:
    assert np.isnan(population_share(np.ones(2, bool), np.zeros(2)))


def test_group_index_leaves_other_groups_out() -> None:
    groups = group_index(["contact", "treatment", "place"], CRISIS_ELEMENTS)
    np.testing.assert_array_equal(groups, [0, -1, 2])
    result = covered(np.ones((1, 3), bool), np.ones(3, bool), groups, 3)
    np.testing.assert_array_equal(result, [[True, False, True]])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"groups": np.array([0, 1, 2, 3])}, "groups must be in"),
        ({"open_mask": np.ones(3, bool)}, "open_mask"),
        ({"open_mask": np.ones(4)}, "open_mask"),
        ({"n_groups": -1}, "n_groups"),
    ],
)
def test_covered_validation(kwargs, message) -> None:
    args = {"reach": reach(), "open_mask": OPEN, "groups": GROUPS, "n_groups": 3} | kwargs
    with pytest.raises(ValueError, match=message):
        covered(**args)


def test_reach_matrix_validation() -> None:
    with pytest.raises(ValueError, match="minutes has shape"):
        reach_matrix(8, MINUTES, THRESHOLDS, IN_AREA, HAS_AREA)
    with pytest.raises(TypeError, match="in_area"):
        reach_matrix(9, MINUTES, THRESHOLDS, IN_AREA.astype(int), HAS_AREA)
    with pytest.raises(ValueError, match="thresholds"):
        reach_matrix(9, MINUTES, -THRESHOLDS, IN_AREA, HAS_AREA)
