"""Array coverage: which areas a service reaches, which groups are available, and for whom.

Pure numpy. Shapes use ``n_areas`` analysis areas (census tracts or block groups, each with a
population-weighted demand point), ``n_services`` services, ``n_groups`` groups (service types
or continuum elements: contact, respond, place, ...) and optionally ``n_hours`` time slots
(e.g. the 168 hours of a week). The caller computes open/closed masks from opening hours
(``pmhc_directory.hours.open_intervals``); nothing here does hours arithmetic.

1. :func:`reach_matrix` — does service ``s`` reach area ``i`` at all (geography only)?
2. :func:`covered` — is group ``g`` available to area ``i`` (at hour ``h``): some service of the
   group reaches the area **and** is open?
3. :func:`population_share` / :func:`all_elements_share` — population-weighted shares (0-1),
   the headline being the share of people with all three crisis elements (someone to contact,
   someone to respond, a place to go) available at a given hour.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = [
    "CRISIS_ELEMENTS",
    "all_elements_covered",
    "all_elements_share",
    "covered",
    "group_index",
    "population_share",
    "reach_matrix",
]

#: The three core crisis elements of SAMHSA's continuum (taxonomy continuum codes).
CRISIS_ELEMENTS: tuple[str, ...] = ("contact", "respond", "place")


def _bool(values: np.ndarray, name: str, shape: tuple[int, ...]) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype != bool:
        raise TypeError(f"{name} must be a boolean array, got dtype {arr.dtype}")
    if arr.shape != shape:
        raise ValueError(f"{name} has shape {arr.shape}, expected {shape}")
    return arr


def reach_matrix(
    n_areas: int,
    minutes: np.ndarray,
    thresholds: np.ndarray,
    in_area: np.ndarray,
    has_area: np.ndarray,
) -> np.ndarray:
    """Whether each service reaches each area, boolean ``(n_areas, n_services)``.

    - ``minutes``: travel time in minutes from each area's demand point to each service,
      ``(n_areas, n_services)``; ``np.inf`` or ``NaN`` = unknown/unreachable.
    - ``thresholds``: the travel-time limit of each service's type in minutes, ``(n_services,)``
      (inclusive); ``np.inf`` = unlimited (e.g. a phone line reaches every area, whatever
      ``minutes`` holds).
    - ``in_area``: whether the area's demand point lies inside the service's service area
      (polygon), ``(n_areas, n_services)``; only read where ``has_area`` is true.
    - ``has_area``: whether the service declares a service area, ``(n_services,)``.

    A service with a service area reaches exactly the areas inside it (a mobile team does not
    cross its contracted boundary, however close the next tract is). Otherwise it reaches an
    area when ``minutes <= threshold``.
    """
    if isinstance(n_areas, bool) or not isinstance(n_areas, int | np.integer) or n_areas < 0:
        raise ValueError(f"n_areas must be an integer >= 0, got {n_areas!r}")
    thresholds = np.asarray(thresholds, dtype=float)
    if thresholds.ndim != 1:
        raise ValueError(f"thresholds must be one-dimensional, got shape {thresholds.shape}")
    if np.isnan(thresholds).any() or (thresholds < 0).any():
        raise ValueError("thresholds must be minutes >= 0 (np.inf for unlimited)")
    n_services = thresholds.shape[0]
    minutes = np.asarray(minutes, dtype=float)
    if minutes.shape != (n_areas, n_services):
        raise ValueError(f"minutes has shape {minutes.shape}, expected {(n_areas, n_services)}")
    in_area = _bool(in_area, "in_area", (n_areas, n_services))
    has_area = _bool(has_area, "has_area", (n_services,))
    with np.errstate(invalid="ignore"):  # NaN minutes compare False: not reached
        by_time = (minutes <= thresholds) | np.isposinf(thresholds)
    return np.where(has_area, in_area, by_time)


def covered(
    reach: np.ndarray,
    open_mask: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
) -> np.ndarray:
    """Whether each group is available to each area, boolean ``(n_areas, n_groups[, n_hours])``.

    - ``reach``: from :func:`reach_matrix`, ``(n_areas, n_services)``.
    - ``open_mask``: whether each service is open, ``(n_services,)`` for one moment or
      ``(n_services, n_hours)`` for a series of hours.
    - ``groups``: group index of each service, ``(n_services,)`` integers in ``0..n_groups-1``;
      ``-1`` leaves a service out of every group.

    Area ``i`` is covered for group ``g`` at hour ``h`` when some service of group ``g`` reaches
    ``i`` and is open at ``h``. Computed as one matrix product (no loop over areas or services).
    """
    reach = np.asarray(reach)
    if reach.dtype != bool or reach.ndim != 2:
        raise ValueError("reach must be a 2-D boolean array (n_areas, n_services)")
    n_areas, n_services = reach.shape
    open_mask = np.asarray(open_mask)
    if open_mask.dtype != bool or open_mask.ndim not in (1, 2) or open_mask.shape[0] != n_services:
        raise ValueError(
            f"open_mask must be boolean (n_services,) or (n_services, n_hours) with "
            f"n_services={n_services}, got {open_mask.dtype} {open_mask.shape}"
        )
    if isinstance(n_groups, bool) or not isinstance(n_groups, int | np.integer) or n_groups < 0:
        raise ValueError(f"n_groups must be an integer >= 0, got {n_groups!r}")
    groups = np.asarray(groups)
    if groups.shape != (n_services,) or (groups.size and groups.dtype.kind not in "iu"):
        raise ValueError(f"groups must be integers of shape {(n_services,)}, got {groups.shape}")
    if groups.size and (groups.min() < -1 or groups.max() >= n_groups):
        raise ValueError(f"groups must be in -1..{n_groups - 1}")

    single = open_mask.ndim == 1
    hours = open_mask[:, None] if single else open_mask
    n_hours = hours.shape[1]
    # membership[s, g, h] = service s is in group g and open at hour h
    membership = np.zeros((n_services, n_groups, n_hours), dtype=np.float32)
    in_group = groups >= 0
    membership[np.flatnonzero(in_group), groups[in_group], :] = hours[in_group]
    # Counts of open reaching services per (area, group, hour); float32 is exact below 2**24.
    counts = reach.astype(np.float32) @ membership.reshape(n_services, n_groups * n_hours)
    result = (counts > 0).reshape(n_areas, n_groups, n_hours)
    return result[:, :, 0] if single else result


def _population(population: np.ndarray, n_areas: int) -> np.ndarray:
    pop = np.asarray(population, dtype=float)
    if pop.shape != (n_areas,):
        raise ValueError(f"population has shape {pop.shape}, expected {(n_areas,)}")
    if pop.size and (not np.isfinite(pop).all() or pop.min() < 0):
        raise ValueError("population must be finite and >= 0")
    return pop


def population_share(covered_bool: np.ndarray, population: np.ndarray) -> float | np.ndarray:
    """Population-weighted share (0-1) of areas that are covered.

    ``covered_bool`` is boolean ``(n_areas, ...)``; the result is a float for a 1-D input and an
    array of shape ``covered_bool.shape[1:]`` otherwise (e.g. per group and hour). When the total
    population is 0 the share is undefined and ``NaN`` is returned.
    """
    cov = np.asarray(covered_bool)
    if cov.dtype != bool or cov.ndim < 1:
        raise ValueError("covered_bool must be a boolean array of at least one dimension")
    pop = _population(population, cov.shape[0])
    total = pop.sum()
    if total <= 0:
        share = np.full(cov.shape[1:], np.nan)
    else:
        share = np.tensordot(pop, cov.astype(float), axes=(0, 0)) / total
    return float(share) if cov.ndim == 1 else share


def all_elements_covered(
    covered_by_element: Mapping[str, np.ndarray],
    elements: Sequence[str] = CRISIS_ELEMENTS,
) -> np.ndarray:
    """Boolean ``(n_areas[, n_hours])``: every one of ``elements`` is available to the area."""
    if not elements:
        raise ValueError("elements must name at least one continuum element")
    missing = [e for e in elements if e not in covered_by_element]
    if missing:
        raise KeyError(f"covered_by_element has no entry for {', '.join(missing)}")
    arrays = [np.asarray(covered_by_element[e]) for e in elements]
    shape = arrays[0].shape
    for element, arr in zip(elements, arrays, strict=True):
        if arr.dtype != bool or arr.shape != shape:
            raise ValueError(f"{element}: expected a boolean array of shape {shape}")
    return np.logical_and.reduce(arrays)


def all_elements_share(
    covered_by_element: Mapping[str, np.ndarray],
    population: np.ndarray,
    elements: Sequence[str] = CRISIS_ELEMENTS,
) -> float | np.ndarray:
    """The headline: share (0-1) of people with all ``elements`` available (per hour if given).

    ``covered_by_element`` maps a continuum element (``contact``, ``respond``, ``place``) to a
    boolean ``(n_areas,)`` or ``(n_areas, n_hours)`` array, e.g. columns of :func:`covered` with
    continuum elements as groups.
    """
    return population_share(all_elements_covered(covered_by_element, elements), population)


def group_index(labels: Sequence[str], groups: Sequence[str]) -> np.ndarray:
    """Integer group of each label for :func:`covered`: its position in ``groups``, else -1.

    E.g. ``group_index([vocabulary().continuum_of(t) for t in types], CRISIS_ELEMENTS)``.
    """
    position = {g: i for i, g in enumerate(groups)}
    return np.array([position.get(label, -1) for label in labels], dtype=np.int64)
