"""Floating catchment area (FCA) accessibility scores: 2SFCA, E2SFCA and competition gravity.

Pure numpy/scipy. Every function takes

- ``demand``: population of each analysis area, shape ``(n_areas,)``, people (>= 0);
- ``supply``: capacity of each site, shape ``(n_sites,)``, in the planner's unit (beds, chairs,
  teams, FTE; >= 0);
- ``cost``: travel time from each area's demand point to each site, shape ``(n_areas, n_sites)``,
  **minutes** (>= 0); ``np.inf`` marks an unreachable pair. A ``scipy.sparse`` matrix is also
  accepted: stored entries are minutes (an explicitly stored 0 is 0 minutes) and entries that
  are not stored are unreachable, like the missing rows of PySAL ``access``'s long cost table.

and returns one score per area, shape ``(n_areas,)``, in **supply units per person** (multiply by
100,000 for "per 100k residents").

Definitions follow the published methods and agree with PySAL ``access`` 1.1.10 (the reference
implementation, used as the test oracle) to floating-point round-off:

- 2SFCA (Luo & Wang 2003): ``R_j = S_j / sum_{k: d_kj <= d0} P_k``;
  ``A_i = sum_{j: d_ij <= d0} R_j``.
- E2SFCA (Luo & Qi 2009): the same with a step weight ``W(d)`` applied in **both** steps:
  ``R_j = S_j / sum_k P_k W(d_kj)``; ``A_i = sum_j W(d_ij) R_j``.
- Gravity, competition form (Joseph & Bantock 1982; Luo & Wang 2003):
  ``V_j = sum_k P_k f(d_kj)``; ``A_i = sum_j S_j f(d_ij) / V_j`` with
  ``f(d) = max(d, min_cost) ** -beta``.

NaN versus 0 (the same rule for all three, matching ``access``): an area with **no reachable
site** (every cost infinite, or beyond ``max_cost`` when there is one) gets ``NaN`` — its score is
undefined, not zero. An area that reaches some site whose weight is 0 (E2SFCA: only sites beyond
the last band) gets ``0``. A site whose weighted catchment population is 0 contributes nothing
(``R_j = 0``); ``access`` would give such a site an infinite ratio, which only shows in
zero-population areas, so this is the one documented difference. Callers that want 0 for
"nothing reachable" use ``np.nan_to_num``.

Speed: fully vectorised (no Python loop over areas or sites); 5,000 x 5,000 dense costs take a
few hundred milliseconds (see ``docs/planning-methods.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, TypeAlias

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:  # imported where used: scipy costs a worker 0.4 s to start (docs/scale.md)
    import scipy.sparse as sp

__all__ = [
    "LUO_QI_WEIGHTS",
    "enhanced_two_step_fca",
    "gravity",
    "step_weights",
    "two_step_fca",
]

CostMatrix: TypeAlias = "np.ndarray | sp.sparray | sp.spmatrix"
FloatArray: TypeAlias = NDArray[np.float64]
BoolArray: TypeAlias = NDArray[np.bool_]
#: A validated cost matrix: dense float minutes, or CSR with stored entries in minutes.
_Costs: TypeAlias = "FloatArray | sp.csr_array[np.float64, tuple[int, int]]"
#: Vectorised weight function: minutes (finite or ``np.inf``) -> weights.
WeightFunction: TypeAlias = Callable[[FloatArray], FloatArray]

#: Luo & Qi (2009) travel-time bands (minutes, upper bound inclusive) and weights; the
#: ``access.weights.step_fn({10: 1, 20: 0.68, 30: 0.22})`` default. Beyond 30 minutes: 0.
LUO_QI_WEIGHTS: Mapping[float, float] = MappingProxyType({10: 1.0, 20: 0.68, 30: 0.22})


# --------------------------------------------------------------------------- validation


def _vector(values: np.ndarray, name: str, length: int | None = None) -> FloatArray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if length is not None and arr.shape[0] != length:
        raise ValueError(f"{name} has {arr.shape[0]} values, expected {length}")
    if arr.size and not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite")
    if arr.size and arr.min() < 0:
        raise ValueError(f"{name} must be >= 0")
    return arr


def _inputs(
    demand: np.ndarray, supply: np.ndarray, cost: CostMatrix
) -> tuple[FloatArray, FloatArray, _Costs]:
    import scipy.sparse as sp

    costs: _Costs
    if isinstance(cost, sp.sparray | sp.spmatrix):  # sp.issparse, in a form mypy can narrow
        # A copy: we never touch the caller's matrix. scipy-stubs declares sparray and
        # spmatrix as bare marker classes, so no csr_array overload takes them, although
        # csr_array takes every scipy sparse array or matrix at run time.
        sparse: sp.csr_array[np.float64, tuple[int, int]]
        sparse = sp.csr_array(cost, dtype=np.float64)  # type: ignore[call-overload]
        if sparse.ndim != 2:
            raise ValueError(f"cost must be a 2-D (n_areas, n_sites) matrix, got {sparse.shape}")
        data = sparse.data
        if data.size and (np.isnan(data).any() or data.min() < 0):
            raise ValueError("cost must be minutes >= 0 (np.inf for unreachable), not NaN")
        costs = sparse
    else:
        costs = np.asarray(cost, dtype=np.float64)
        if costs.ndim != 2:
            raise ValueError(f"cost must be a 2-D (n_areas, n_sites) array, got {costs.shape}")
    n_areas, n_sites = costs.shape
    return _vector(demand, "demand", n_areas), _vector(supply, "supply", n_sites), costs


def _check_dense_cost(cost: FloatArray) -> FloatArray:
    """Row minima of a dense cost matrix (one pass), rejecting NaN and negative minutes."""
    if cost.shape[1] == 0:
        return np.full(cost.shape[0], np.inf)
    row_min = cost.min(axis=1)
    if np.isnan(row_min).any():
        raise ValueError("cost must not contain NaN (use np.inf for an unreachable pair)")
    if row_min.size and row_min.min() < 0:
        raise ValueError("cost must be minutes >= 0")
    return row_min


# --------------------------------------------------------------------------- core


def _weights(
    cost: _Costs,
    weight: WeightFunction,
    max_cost: float | None,
) -> tuple[_Costs, BoolArray]:
    """Weight matrix ``W[i, j]`` (0 where unreachable) and which areas reach any site.

    ``weight`` maps an array of finite or infinite minutes to weights (vectorised) and must
    return 0 for ``np.inf``. ``max_cost`` (inclusive) additionally zeroes pairs beyond it.
    """
    import scipy.sparse as sp

    if isinstance(cost, sp.csr_array):
        data = cost.data
        keep = np.isfinite(data)
        if max_cost is not None:
            keep &= data <= max_cost
        w = np.where(keep, weight(np.where(keep, data, 0.0)), 0.0)
        sparse_w = sp.csr_array((w, cost.indices, cost.indptr), shape=cost.shape)
        rows = np.repeat(np.arange(cost.shape[0]), np.diff(cost.indptr))
        reachable = np.zeros(cost.shape[0], dtype=bool)
        reachable[rows[keep]] = True
        return sparse_w, reachable
    row_min = _check_dense_cost(cost)
    limit = np.inf if max_cost is None else max_cost
    reachable = np.isfinite(row_min) & (row_min <= limit)
    matrix = weight(cost)
    if max_cost is not None:
        matrix[cost > max_cost] = 0.0
    return matrix, reachable


def _fca(
    demand: FloatArray,
    supply: FloatArray,
    w: _Costs,
    reachable: BoolArray,
) -> FloatArray:
    """Both FCA steps for a weight matrix: ``R = S / (W.T P)``, ``A = W R``; NaN if unreachable."""
    # Weighted population around each site (people); a vector for dense and sparse ``w`` alike.
    catchment = np.asarray(w.T @ demand, dtype=np.float64)
    ratio = np.zeros_like(supply)
    np.divide(supply, catchment, out=ratio, where=catchment > 0)  # supply per person
    scores = np.asarray(w @ ratio, dtype=float)
    scores[~reachable] = np.nan
    return scores


def _check_threshold(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    if np.isnan(value) or value < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return value


def step_weights(weights: Mapping[float, float]) -> WeightFunction:
    """Vectorised ``access.weights.step_fn``: band upper bounds (minutes, inclusive) -> weight.

    ``{10: 1.0, 20: 0.68, 30: 0.22}`` gives 1.0 for 0-10 min, 0.68 for (10, 20], 0.22 for
    (20, 30] and 0 beyond 30 min (and for ``np.inf``). Weights must be finite and >= 0.
    """
    if not weights:
        raise ValueError("weights must name at least one travel-time band")
    bands = sorted((_check_threshold(k, "weights band"), float(v)) for k, v in weights.items())
    for _, value in bands:
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"weights must be finite and >= 0, got {value!r}")

    def weight(cost: FloatArray) -> FloatArray:
        # Widest band first, narrower bands overwrite: cut-offs inclusive, 0 past the last.
        # (A few whole-array passes, one per band; faster than np.searchsorted here.)
        out = np.zeros(np.shape(cost))
        for cutoff, value in reversed(bands):
            np.copyto(out, value, where=cost <= cutoff)
        return out

    return weight


def _unit_weight(cost: FloatArray) -> FloatArray:
    return np.isfinite(cost).astype(float)


# --------------------------------------------------------------------------- public API


def two_step_fca(
    demand: np.ndarray, supply: np.ndarray, cost: CostMatrix, max_cost: float
) -> np.ndarray:
    """Two-step floating catchment area (Luo & Wang 2003), supply per person for each area.

    ``R_j = S_j / sum_{k: d_kj <= max_cost} P_k`` (step 1, supply per person in the site's
    catchment) and ``A_i = sum_{j: d_ij <= max_cost} R_j`` (step 2). ``max_cost`` is the
    catchment in minutes, inclusive. Areas with no site within ``max_cost`` get ``NaN`` (as
    PySAL ``access``): no site is reachable, so the score is undefined rather than zero.
    """
    demand, supply, cost = _inputs(demand, supply, cost)
    max_cost = _check_threshold(max_cost, "max_cost")
    w, reachable = _weights(cost, _unit_weight, max_cost)
    return _fca(demand, supply, w, reachable)


def enhanced_two_step_fca(
    demand: np.ndarray,
    supply: np.ndarray,
    cost: CostMatrix,
    weights: Mapping[float, float] = LUO_QI_WEIGHTS,
) -> np.ndarray:
    """Enhanced 2SFCA (Luo & Qi 2009), supply per person for each area.

    ``weights`` maps band upper bounds in minutes (inclusive) to weights; default Luo & Qi
    1.00 / 0.68 / 0.22 for 0-10 / 10-20 / 20-30 minutes, 0 beyond the last band. The weight is
    applied in both steps (as ``access``): ``R_j = S_j / sum_k P_k W(d_kj)``,
    ``A_i = sum_j W(d_ij) R_j``. An area with only unreachable sites (``np.inf`` / not stored)
    gets ``NaN``; an area whose reachable sites are all beyond the last band gets ``0`` — exactly
    what ``access.Access.enhanced_two_stage_fca`` (no ``max_cost``) returns.
    """
    demand, supply, cost = _inputs(demand, supply, cost)
    w, reachable = _weights(cost, step_weights(weights), None)
    return _fca(demand, supply, w, reachable)


def gravity(
    demand: np.ndarray,
    supply: np.ndarray,
    cost: CostMatrix,
    beta: float = 1.0,
    max_cost: float | None = None,
    min_cost: float = 1.0,
) -> np.ndarray:
    """Gravity accessibility with competition (Luo & Wang 2003 form), supply per person.

    ``f(d) = max(d, min_cost) ** -beta`` (``min_cost`` in minutes > 0 keeps a site at the
    demand point from having infinite pull), ``V_j = sum_k P_k f(d_kj)``,
    ``A_i = sum_j S_j f(d_ij) / V_j``. Pairs beyond ``max_cost`` minutes (inclusive limit) or
    unreachable are left out. Equals ``access`` ``two_stage_fca`` with
    ``weight_fn=weights.gravity(scale=1, alpha=-beta, min_dist=min_cost)``. Areas with no
    reachable site get ``NaN``. ``beta`` >= 0 (0 = no distance decay).
    """
    demand, supply, cost = _inputs(demand, supply, cost)
    beta = _check_threshold(beta, "beta")
    if not np.isfinite(beta):
        raise ValueError("beta must be finite")
    min_cost = _check_threshold(min_cost, "min_cost")
    if min_cost <= 0 or not np.isfinite(min_cost):
        raise ValueError(f"min_cost must be a finite number of minutes > 0, got {min_cost!r}")
    if max_cost is not None:
        max_cost = _check_threshold(max_cost, "max_cost")

    def weight(minutes: FloatArray) -> FloatArray:
        out = np.maximum(minutes, min_cost)  # inf stays inf -> weight 0 below
        if beta == 1.0:
            np.reciprocal(out, out=out)
        elif beta == 2.0:
            np.square(out, out=out)
            np.reciprocal(out, out=out)
        else:
            np.power(out, -beta, out=out)
        if beta == 0.0:
            out[~np.isfinite(minutes)] = 0.0
        return out

    w, reachable = _weights(cost, weight, max_cost)
    return _fca(demand, supply, w, reachable)
