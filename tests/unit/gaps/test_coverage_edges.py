"""Coverage inputs at their edges (issue #24: mutation survivors of ``gaps/coverage.py``): a
matrix of the wrong shape and a group number out of range are refused, not misread."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from pmhc_directory.gaps import coverage


@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (4, 4), (3, 5), (4, 3)])
def test_a_minutes_matrix_of_another_shape_is_refused(shape):
    # 3 areas, 4 services: minutes must be (3, 4).
    with pytest.raises(ValueError, match="minutes has shape"):
        coverage.reach_matrix(
            3,
            np.zeros(shape),
            np.full(4, 30.0),
            np.zeros((3, 4), dtype=bool),
            np.zeros(4, dtype=bool),
        )


def sparse_of(reach: np.ndarray) -> coverage.SparseReach:
    return coverage.SparseReach(
        matrix=sp.csc_matrix(reach.astype(float)),
        everywhere=np.zeros(reach.shape[1], dtype=bool),
    )


@pytest.mark.parametrize("bad", [2, 3, 7, -2])
def test_a_group_out_of_range_is_refused(bad):
    reach = np.array([[True, False], [False, True]])
    groups = np.array([0, bad])
    open_mask = np.ones(2, dtype=bool)
    with pytest.raises(ValueError, match="groups must be in"):
        coverage.sparse_covered(sparse_of(reach), open_mask, groups, 2)
    with pytest.raises(ValueError, match="groups must be in"):
        coverage.covered(reach, open_mask, groups, 2)


def test_groups_in_range_are_read():
    reach = np.array([[True, False], [False, True]])
    groups = np.array([1, -1])  # -1: counted in no group
    found = coverage.sparse_covered(sparse_of(reach), np.ones(2, dtype=bool), groups, 2)
    assert found.tolist() == [[False, True], [False, False]]
    assert coverage.covered(reach, np.ones(2, dtype=bool), groups, 2).tolist() == found.tolist()
