"""Siting suggestions: the maximal covering location problem (Church & ReVelle 1974).

Choose at most ``p`` new sites among candidate points so that the population newly covered
(reached by a new site and not already covered by the existing array) is as large as possible:

    maximise   sum_i a_i y_i
    subject to sum_{j in N_i} x_j >= y_i   for every area i
               sum_j x_j <= p
               x_j, y_i binary

``a_i`` is the population of area ``i``, ``N_i`` the candidates that reach it (the caller's
``candidate_reach`` matrix, e.g. from :func:`pmhc_directory.gaps.coverage.reach_matrix`).
``<= p`` instead of the textbook ``= p`` has the same optimum and lets the answer hold fewer
sites when more would add nobody. Solved with PuLP and CBC (``COIN_CMD``; CBC comes from the
``cbcbox`` wheel that ``pulp[cbc]`` installs).

Before solving, the model is reduced (this is what makes 5,000 areas x a few hundred
candidates quick): areas already covered, with no population, or reached by no candidate are
dropped; areas reached by exactly the same candidates are merged (their populations summed);
candidates reaching none of the remaining areas are dropped. ``y_i`` is relaxed to
``0 <= y_i <= 1``: with binary ``x`` an optimal solution always has integral ``y``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pulp

__all__ = ["GAP_REL", "SitingResult", "maximal_covering"]

#: Relative optimality gap at which CBC stops: a proven solution within 0.01 % of the best
#: possible newly covered population (well below any population estimate's precision).
GAP_REL = 1e-4


@dataclass(frozen=True)
class SitingResult:
    """Outcome of :func:`maximal_covering`.

    ``chosen``: candidate indices (columns of ``candidate_reach``), ascending. Populations are in
    the units of ``weights`` (people). ``optimal`` is False when CBC stopped at the time limit
    with a feasible but unproven solution.
    """

    chosen: tuple[int, ...]
    newly_covered_population: float
    covered_before: float
    covered_after: float
    total_population: float
    optimal: bool
    status: str


def _cbcbox_path() -> str | None:
    """The CBC binary behind ``pulp[cbc]`` (the ``cbcbox`` package), None when absent."""
    try:
        import cbcbox
    except ImportError:  # pragma: no cover - depends on the installation
        return None
    path = cbcbox.cbc_bin_path()
    return path if os.access(path, os.X_OK) else None


def _solver(time_limit_seconds: float) -> pulp.LpSolver:
    """CBC through ``COIN_CMD`` (not the deprecated ``PULP_CBC_CMD``).

    Uses the ``cbcbox`` binary when that package is installed (it comes with ``pulp[cbc]``),
    so it works without the virtual environment's ``bin`` on ``PATH``; else ``cbc`` on PATH.
    """
    path = _cbcbox_path()
    solver = pulp.COIN_CMD(
        msg=False, timeLimit=time_limit_seconds, path=path, warmStart=True, gapRel=GAP_REL
    )
    if not solver.available():  # pragma: no cover - depends on the installation
        raise RuntimeError("CBC solver not found: install it with pip install 'pulp[cbc]'")
    return solver


def maximal_covering(
    weights: np.ndarray,
    candidate_reach: np.ndarray,
    p: int,
    already_covered: np.ndarray | None = None,
    time_limit_seconds: float = 30,
) -> SitingResult:
    """Pick up to ``p`` candidate sites maximising newly covered population (MCLP).

    - ``weights``: population of each area, ``(n_areas,)``, >= 0.
    - ``candidate_reach``: boolean ``(n_areas, n_candidates)``, whether a site at candidate
      ``j`` would reach area ``i``.
    - ``p``: number of new sites, >= 1. When fewer sites already cover everything coverable,
      fewer are returned (no site that adds nobody is suggested).
    - ``already_covered``: boolean ``(n_areas,)``, areas the existing array covers; they count
      in ``covered_before``/``covered_after`` but never as newly covered.
    - ``time_limit_seconds``: CBC wall-clock limit; on timeout the best solution found is
      returned with ``optimal=False``.
    """
    if isinstance(p, bool) or not isinstance(p, int | np.integer):
        raise TypeError(f"p must be an integer, got {type(p).__name__}")
    if p < 1:
        raise ValueError(f"p must be at least 1, got {p}")
    if not time_limit_seconds > 0:
        raise ValueError(f"time_limit_seconds must be > 0, got {time_limit_seconds!r}")
    reach = np.asarray(candidate_reach)
    if reach.dtype != bool or reach.ndim != 2:
        raise ValueError("candidate_reach must be a 2-D boolean array (n_areas, n_candidates)")
    n_areas, n_candidates = reach.shape
    w = np.asarray(weights, dtype=float)
    if w.shape != (n_areas,):
        raise ValueError(f"weights has shape {w.shape}, expected {(n_areas,)}")
    if w.size and (not np.isfinite(w).all() or w.min() < 0):
        raise ValueError("weights must be finite and >= 0")
    if already_covered is None:
        before = np.zeros(n_areas, dtype=bool)
    else:
        before = np.asarray(already_covered)
        if before.dtype != bool or before.shape != (n_areas,):
            raise ValueError(f"already_covered must be boolean of shape {(n_areas,)}")

    total = float(w.sum())
    covered_before = float(w[before].sum())

    def result(chosen: list[int], optimal: bool, status: str) -> SitingResult:
        chosen = sorted(chosen)
        now = before | (reach[:, chosen].any(axis=1) if chosen else False)
        after = float(w[now].sum())
        return SitingResult(
            tuple(int(j) for j in chosen),
            after - covered_before,
            covered_before,
            after,
            total,
            optimal,
            status,
        )

    # --- reduce: only uncovered, populated areas some candidate reaches count
    open_areas = ~before & (w > 0) & reach.any(axis=1)
    sub = reach[open_areas]
    sub_w = w[open_areas]
    useful = np.flatnonzero(sub.any(axis=0))
    if useful.size == 0:
        return result([], True, "Nothing to cover")
    sub = sub[:, useful]
    # merge areas reached by exactly the same candidates
    patterns, inverse = np.unique(np.packbits(sub, axis=1), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    merged_w = np.bincount(inverse, weights=sub_w, minlength=patterns.shape[0])
    merged_reach = np.unpackbits(patterns, axis=1, count=useful.size).astype(bool)

    # drop dominated candidates: j is never needed when another candidate reaches a superset
    keep = _undominated(merged_reach, merged_w)
    useful, merged_reach = useful[keep], merged_reach[:, keep]

    if p >= useful.size:
        chosen = list(range(useful.size))
        optimal, status = True, "Optimal"
    else:
        chosen, optimal, status = _solve(merged_w, merged_reach, p, time_limit_seconds)
    chosen = _prune(chosen, merged_w, merged_reach)
    return result([int(useful[j]) for j in chosen], optimal, status)


def _undominated(reach: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Indices of candidates whose populated reach is not inside another's (ties: first kept)."""
    r = reach & (w > 0)[:, None]
    m = r.astype(np.float32)
    overlap = m.T @ m  # overlap[j, k] = areas reached by both j and k (exact below 2**24)
    size = np.diag(overlap).copy()
    subset = overlap == size[:, None]  # subset[j, k]: reach(j) is inside reach(k)
    np.fill_diagonal(subset, False)
    equal = subset & subset.T
    idx = np.arange(size.size)
    # j is dominated by a strict superset, or by an identical candidate with a lower index
    strict = subset & ~equal
    dominated = strict.any(axis=1) | (equal & (idx[None, :] < idx[:, None])).any(axis=1)
    return np.flatnonzero(~dominated & (size > 0))


def _greedy(w: np.ndarray, reach: np.ndarray, p: int) -> list[int]:
    """Greedy start: repeatedly add the candidate covering the most uncovered population."""
    uncovered = np.ones(reach.shape[0], dtype=bool)
    chosen: list[int] = []
    for _ in range(p):
        gain = (w * uncovered) @ reach
        j = int(np.argmax(gain))
        if gain[j] <= 0:
            break
        chosen.append(j)
        uncovered &= ~reach[:, j]
    return chosen


def _solve(
    w: np.ndarray, reach: np.ndarray, p: int, time_limit_seconds: float
) -> tuple[list[int], bool, str]:
    n_areas, n_candidates = reach.shape
    # Scale so the objective is O(1): keeps CBC's absolute tolerances meaningful.
    scale = float(w.max())
    prob = pulp.LpProblem("mclp", pulp.LpMaximize)
    # prob.add_variable is the PuLP 3.3 / 4.0 API (LpVariable(...) directly is deprecated).
    x = [prob.add_variable(f"x{j}", 0, 1, cat=pulp.LpBinary) for j in range(n_candidates)]
    y = [prob.add_variable(f"y{i}", 0, 1) for i in range(n_areas)]
    prob += pulp.lpSum((w[i] / scale) * y[i] for i in range(n_areas))
    rows, cols = np.nonzero(reach)
    starts = np.searchsorted(rows, np.arange(n_areas + 1))
    for i in range(n_areas):
        prob += pulp.lpSum(x[j] for j in cols[starts[i] : starts[i + 1]]) >= y[i], f"cover{i}"
    prob += pulp.lpSum(x) <= p, "p"
    # A greedy warm start gives CBC a good incumbent to prune against.
    start = set(_greedy(w, reach, p))
    for j, var in enumerate(x):
        var.setInitialValue(1 if j in start else 0)
    # np.asarray: numpy's stubs type .any(axis=1) as "a scalar or an array".
    covered = np.zeros(n_areas, dtype=bool)
    if start:
        covered = np.asarray(reach[:, sorted(start)].any(axis=1))
    for i, var in enumerate(y):
        var.setInitialValue(1 if covered[i] else 0)
    prob.solve(_solver(time_limit_seconds))
    status = pulp.LpSolution[prob.sol_status]
    chosen = [j for j in range(n_candidates) if (x[j].varValue or 0) > 0.5]
    optimal = prob.sol_status == pulp.LpSolutionOptimal
    if not chosen and prob.sol_status not in (
        pulp.LpSolutionOptimal,
        pulp.LpSolutionIntegerFeasible,
    ):
        raise RuntimeError(f"CBC found no solution for the covering model (status {status})")
    return chosen, optimal, status


def _prune(chosen: list[int], w: np.ndarray, reach: np.ndarray) -> list[int]:
    """Drop chosen sites whose removal loses no population (least useful first)."""
    kept = list(chosen)
    for j in sorted(chosen, key=lambda j: float(w[reach[:, j]].sum())):
        others = [k for k in kept if k != j]
        lost = reach[:, j] & ~(
            reach[:, others].any(axis=1) if others else np.zeros(reach.shape[0], dtype=bool)
        )
        if not w[lost].sum() > 0:
            kept = others
    return kept
