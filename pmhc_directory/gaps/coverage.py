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

At state-wide scale the dense ``(n_areas, n_services)`` matrices do not fit (5,000 areas x
60,000 services is 2.4 GB of minutes), so the same answers are also computed sparsely:

4. :func:`candidate_pairs` — area-site pairs whose straight-line distance may be within a
   radius (a ``scipy.spatial.cKDTree`` on points of the unit sphere, chord distances, with a
   margin that makes it a superset of the WGS84 geodesic pairs);
5. :func:`reach_pairs` — the pairs that :func:`reach_matrix` would mark, plus a flag per
   service that reaches every area (an unlimited threshold, no service area);
   :func:`sparse_reach` — the same as a sparse matrix;
6. :func:`sparse_covered` — :func:`covered` over a :class:`SparseReach`, one sparse-dense
   product per group;
7. :func:`group_reach` / :func:`group_covered` — the same answer with the services merged by
   opening hours: services open at the same hours cover, at every hour, the union of the areas
   they reach, so a type's reach is kept as ``(n_areas, n_hours_sets)`` (a directory has few
   distinct sets of hours) and an hour or a week is a lookup in it.

``tests/unit/gaps/test_sparse_coverage.py`` checks the sparse and grouped forms give the dense
answer on random inventories for every hour and group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # imported where used: scipy costs a worker 0.4 s to start (docs/scale.md)
    import scipy.sparse as sp
    from scipy.spatial import cKDTree

__all__ = [
    "CRISIS_ELEMENTS",
    "GroupReach",
    "ReachPairs",
    "SparseReach",
    "all_elements_covered",
    "candidate_pairs",
    "all_elements_share",
    "area_tree",
    "covered",
    "group_covered",
    "group_index",
    "group_reach",
    "estimated_minutes",
    "geodesic_km",
    "population_share",
    "reach_matrix",
    "reach_pairs",
    "sparse_covered",
    "sparse_reach",
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


# --------------------------------------------------------------------------- sparse coverage

#: Mean Earth radius in km (IUGG), for the chord distances of the KD-tree.
EARTH_RADIUS_KM = 6371.0088
#: The great-circle distance on that sphere differs from the WGS84 geodesic by under 0.6 %, and
#: a chord is never longer than its arc, so a chord radius of ``r * RADIUS_SLACK`` (plus 1 m)
#: finds every pair whose geodesic distance is at most ``r``.
RADIUS_SLACK = 1.01


def geodesic_km(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Exact WGS84 geodesic distances in km between arrays of points (broadcast together);
    pyproj's ``Geod.inv`` (Karney's algorithm), element by element."""
    from pyproj import Geod

    lat1, lon1, lat2, lon2 = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (lat1, lon1, lat2, lon2))
    )
    if lat1.size == 0:
        return np.zeros(lat1.shape)
    _, _, metres = Geod(ellps="WGS84").inv(lon1.ravel(), lat1.ravel(), lon2.ravel(), lat2.ravel())
    return np.asarray(metres, dtype=float).reshape(lat1.shape) / 1000.0


def estimated_minutes(
    circuity: float,
    speed_kmh: float,
    lat1: np.ndarray,
    lon1: np.ndarray,
    lat2: np.ndarray,
    lon2: np.ndarray,
) -> np.ndarray:
    """Travel minutes estimated from the geodesic: ``km * circuity / speed_kmh * 60`` (the
    formula of ``geo.distance.TravelModel``), for whole arrays."""
    km = geodesic_km(lat1, lon1, lat2, lon2)
    return km * circuity / speed_kmh * 60.0


def _unit_sphere(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)))


def candidate_pairs(
    area_lat: np.ndarray,
    area_lon: np.ndarray,
    site_lat: np.ndarray,
    site_lon: np.ndarray,
    radius_km: float,
    *,
    area_tree: cKDTree | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(area rows, site columns) of every pair whose WGS84 geodesic distance may be within
    ``radius_km`` (a superset: a few pairs just beyond it come too; filter them exactly).

    Sites with NaN coordinates take part in no pair. ``area_tree`` may pass a tree already
    built on the areas' :func:`_unit_sphere` points (reused across radii).
    """
    rows, cols, _ = _pairs_with_arc(area_lat, area_lon, site_lat, site_lon, radius_km, area_tree)
    return rows, cols


def _kdtree(points: np.ndarray) -> cKDTree:
    """A ``scipy.spatial.cKDTree`` of ``points`` (scipy is imported at first use)."""
    from scipy.spatial import cKDTree

    return cKDTree(points)


def area_tree(area_lat: np.ndarray, area_lon: np.ndarray) -> cKDTree:
    """The KD-tree that :func:`candidate_pairs` and :func:`reach_pairs` query (points of the
    unit sphere), to build once for many queries over the same areas."""
    return _kdtree(_unit_sphere(np.asarray(area_lat, float), np.asarray(area_lon, float)))


def _pairs_with_arc(
    area_lat: np.ndarray,
    area_lon: np.ndarray,
    site_lat: np.ndarray,
    site_lon: np.ndarray,
    radius_km: float,
    area_tree: cKDTree | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`candidate_pairs` plus each pair's great-circle distance on the mean sphere, km."""
    area_lat, area_lon = np.asarray(area_lat, float), np.asarray(area_lon, float)
    site_lat, site_lon = np.asarray(site_lat, float), np.asarray(site_lon, float)
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))
    placed = np.flatnonzero(np.isfinite(site_lat) & np.isfinite(site_lon))
    if not area_lat.size or not placed.size or not radius_km >= 0:
        return empty
    arc = radius_km * RADIUS_SLACK + 0.001
    if arc >= np.pi * EARTH_RADIUS_KM:  # the whole globe
        rows = np.repeat(np.arange(area_lat.size), placed.size)
        return rows, np.tile(placed, area_lat.size), np.full(rows.size, np.nan)
    chord = 2.0 * np.sin(arc / (2.0 * EARTH_RADIUS_KM))
    tree = area_tree if area_tree is not None else _kdtree(_unit_sphere(area_lat, area_lon))
    sites = _kdtree(_unit_sphere(site_lat[placed], site_lon[placed]))
    found = tree.sparse_distance_matrix(sites, chord, output_type="ndarray")
    arcs = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(found["v"] / 2.0, 1.0))
    return found["i"].astype(np.int64), placed[found["j"].astype(np.int64)], arcs


@dataclass(frozen=True)
class SparseReach:
    """What :func:`reach_matrix` says, stored sparsely.

    ``matrix``: ``(n_areas, n_columns)`` CSC, 1.0 where the column (a service, or a service
    counted under one type) reaches the area; ``everywhere``: ``(n_columns,)`` columns that
    reach every area (unlimited threshold and no service area), left out of ``matrix``.
    """

    matrix: sp.csc_matrix
    everywhere: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape

    def dense(self) -> np.ndarray:
        """The boolean ``(n_areas, n_columns)`` matrix (for tests and small inputs)."""
        out = self.matrix.toarray() > 0
        out[:, self.everywhere] = True
        return out


def _pair_keys(rows: np.ndarray, cols: np.ndarray, n_columns: int) -> np.ndarray:
    return rows.astype(np.int64) * max(n_columns, 1) + cols.astype(np.int64)


def _supplied_pairs(
    supplied: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
    thresholds: np.ndarray,
    has_area: np.ndarray,
    n_columns: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, columns) of the supplied pairs within their column's threshold, and the sorted
    keys (:func:`_pair_keys`) of every supplied pair that counts (no service area, finite
    threshold): the estimate is not used for those."""
    empty = np.zeros(0, dtype=np.int64)
    if supplied is None or not len(supplied[0]):
        return empty, empty, empty
    rows = np.asarray(supplied[0], dtype=np.int64)
    cols = np.asarray(supplied[1], dtype=np.int64)
    minutes = np.asarray(supplied[2], dtype=float)
    keep = ~has_area[cols] & np.isfinite(thresholds[cols])
    rows, cols, minutes = rows[keep], cols[keep], minutes[keep]
    keys = _pair_keys(rows, cols, n_columns)
    order = np.argsort(keys, kind="stable")
    keys, rows, cols, minutes = keys[order], rows[order], cols[order], minutes[order]
    # The last supplied value of a pair wins (as the dense matrix's assignment order).
    last = np.r_[keys[1:] != keys[:-1], True] if keys.size else np.zeros(0, dtype=bool)
    keys, rows, cols, minutes = keys[last], rows[last], cols[last], minutes[last]
    within = minutes <= thresholds[cols]
    return rows[within], cols[within], keys


def _estimated_pairs(
    areas: tuple[np.ndarray, np.ndarray],
    sites: tuple[np.ndarray, np.ndarray],
    limit: float,
    cols: np.ndarray,
    supplied_keys: np.ndarray,
    model: tuple[float, float],
    tree: cKDTree,
) -> tuple[np.ndarray, np.ndarray]:
    """(rows, columns) of the pairs of ``cols`` (all of threshold ``limit``) whose estimated
    minutes are within it, leaving out the pairs whose minutes were supplied."""
    (area_lat, area_lon), (site_lat, site_lon) = areas, sites
    circuity, speed_kmh = model
    radius = limit / 60.0 * speed_kmh / circuity
    r, c, arc = _pairs_with_arc(area_lat, area_lon, site_lat[cols], site_lon[cols], radius, tree)
    c = cols[c]
    if supplied_keys.size:  # supplied minutes replace the estimate
        keys = _pair_keys(r, c, site_lat.size)
        pos = np.searchsorted(supplied_keys, keys)
        pos[pos == supplied_keys.size] = 0
        fresh = supplied_keys[pos] != keys
        r, c, arc = r[fresh], c[fresh], arc[fresh]
    # The geodesic is within 1 % of the sphere's great circle (RADIUS_SLACK), so only the pairs
    # in that band around the radius need the exact (slower) geodesic.
    within = arc * RADIUS_SLACK < radius * (1.0 - 1e-9)
    band = np.flatnonzero(~within)
    minutes = estimated_minutes(
        circuity,
        speed_kmh,
        area_lat[r[band]],
        area_lon[r[band]],
        site_lat[c[band]],
        site_lon[c[band]],
    )
    within[band] = minutes <= limit
    return r[within], c[within]


@dataclass(frozen=True)
class ReachPairs:
    """What :func:`reach_matrix` says, as a list of pairs.

    ``rows``, ``cols``: the (area, column) pairs where the column reaches the area (a pair may
    appear twice); ``everywhere``: ``(n_columns,)`` columns that reach every area (unlimited
    threshold and no service area), left out of the pairs.
    """

    rows: np.ndarray
    cols: np.ndarray
    everywhere: np.ndarray


def reach_pairs(
    area_lat: np.ndarray,
    area_lon: np.ndarray,
    site_lat: np.ndarray,
    site_lon: np.ndarray,
    thresholds: np.ndarray,
    has_area: np.ndarray,
    in_area: tuple[np.ndarray, np.ndarray],
    *,
    circuity: float,
    speed_kmh: float,
    supplied: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    area_tree: cKDTree | None = None,
) -> ReachPairs:
    """The reach of :func:`reach_matrix` as pairs, without building any dense matrix.

    - ``site_lat/lon``: each column's site, NaN when it has none (it is then reached only
      through ``supplied`` minutes, as an infinitely far site is in the dense form).
    - ``thresholds``, ``has_area``: as in :func:`reach_matrix`.
    - ``in_area``: (area rows, columns) of the demand points inside each column's service area.
    - ``supplied``: (area rows, columns, minutes) of supplied travel times; they replace the
      estimate for their pairs, whatever the distance.
    - ``area_tree``: :func:`area_tree` of the areas, when the caller keeps one.

    Minutes are estimated by :func:`estimated_minutes` for the :func:`candidate_pairs` within
    the largest finite threshold's distance of its type, so a pair gets the very same number
    as in the dense matrix and is compared with ``<=`` just as there.
    """
    area_lat, area_lon = np.asarray(area_lat, float), np.asarray(area_lon, float)
    site_lat, site_lon = np.asarray(site_lat, float), np.asarray(site_lon, float)
    thresholds = np.asarray(thresholds, dtype=float)
    n_areas, n_columns = area_lat.size, thresholds.size
    has_area = _bool(has_area, "has_area", (n_columns,))
    if site_lat.shape != (n_columns,) or site_lon.shape != (n_columns,):
        raise ValueError("site_lat and site_lon must have one value per column")
    if np.isnan(thresholds).any() or (thresholds < 0).any():
        raise ValueError("thresholds must be minutes >= 0 (np.inf for unlimited)")
    everywhere = np.isposinf(thresholds) & ~has_area
    by_time = np.flatnonzero(~has_area & np.isfinite(thresholds))
    sup_rows, sup_cols, sup_keys = _supplied_pairs(supplied, thresholds, has_area, n_columns)
    rows_out, cols_out = [sup_rows], [sup_cols]
    if by_time.size and n_areas:
        tree = area_tree if area_tree is not None else _kdtree(_unit_sphere(area_lat, area_lon))
        for limit in np.unique(thresholds[by_time]):
            cols = by_time[thresholds[by_time] == limit]
            r, c = _estimated_pairs(
                (area_lat, area_lon),
                (site_lat, site_lon),
                float(limit),
                cols,
                sup_keys,
                (circuity, speed_kmh),
                tree,
            )
            rows_out.append(r)
            cols_out.append(c)
    area_rows = np.asarray(in_area[0], dtype=np.int64)
    area_cols = np.asarray(in_area[1], dtype=np.int64)
    if area_rows.size:
        keep = has_area[area_cols]
        rows_out.append(area_rows[keep])
        cols_out.append(area_cols[keep])
    return ReachPairs(np.concatenate(rows_out), np.concatenate(cols_out), everywhere)


def sparse_reach(
    area_lat: np.ndarray,
    area_lon: np.ndarray,
    site_lat: np.ndarray,
    site_lon: np.ndarray,
    thresholds: np.ndarray,
    has_area: np.ndarray,
    in_area: tuple[np.ndarray, np.ndarray],
    *,
    circuity: float,
    speed_kmh: float,
    supplied: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> SparseReach:
    """:func:`reach_pairs` as a :class:`SparseReach` (one column per site)."""
    import scipy.sparse as sp

    pairs = reach_pairs(
        area_lat,
        area_lon,
        site_lat,
        site_lon,
        thresholds,
        has_area,
        in_area,
        circuity=circuity,
        speed_kmh=speed_kmh,
        supplied=supplied,
    )
    shape = (np.asarray(area_lat).size, np.asarray(thresholds).size)
    matrix = sp.csc_matrix(
        (np.ones(pairs.rows.size, dtype=np.float32), (pairs.rows, pairs.cols)), shape=shape
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return SparseReach(matrix, pairs.everywhere)


def sparse_covered(
    reach: SparseReach,
    open_mask: np.ndarray,
    groups: np.ndarray,
    n_groups: int,
) -> np.ndarray:
    """:func:`covered` over a :class:`SparseReach`: boolean ``(n_areas, n_groups[, n_hours])``.

    For each group, one sparse-dense product counts the open reaching columns per area and
    hour; a column that reaches everywhere covers every area in the hours it is open.
    """
    n_areas, n_columns = reach.shape
    open_mask = np.asarray(open_mask)
    if open_mask.dtype != bool or open_mask.ndim not in (1, 2) or open_mask.shape[0] != n_columns:
        raise ValueError(
            f"open_mask must be boolean (n_columns,) or (n_columns, n_hours) with "
            f"n_columns={n_columns}, got {open_mask.dtype} {open_mask.shape}"
        )
    groups = np.asarray(groups)
    if groups.shape != (n_columns,) or (groups.size and groups.dtype.kind not in "iu"):
        raise ValueError(f"groups must be integers of shape {(n_columns,)}, got {groups.shape}")
    if groups.size and (groups.min() < -1 or groups.max() >= n_groups):
        raise ValueError(f"groups must be in -1..{n_groups - 1}")
    single = open_mask.ndim == 1
    hours = open_mask[:, None] if single else open_mask
    n_hours = hours.shape[1]
    result = np.zeros((n_areas, n_groups, n_hours), dtype=bool)
    order = np.argsort(groups, kind="stable")
    bounds = np.searchsorted(groups[order], np.arange(n_groups + 1))
    if n_groups == 1 and (not groups.size or groups.min() == 0):
        # One group holding every column: no column slicing, one product.
        mask = hours
        ev = reach.everywhere
        if ev.any():
            result[:, 0, :] |= mask[ev].any(axis=0)[None, :]
            mask = mask & ~ev[:, None]
        if n_columns:
            counts = reach.matrix @ mask.astype(np.float32)
            result[:, 0, :] |= np.asarray(counts) > 0
        return result[:, :, 0] if single else result
    for g in range(n_groups):
        cols = order[bounds[g] : bounds[g + 1]]
        if not cols.size:
            continue
        mask = hours[cols]
        live = mask.any(axis=1)  # columns never open add nothing
        cols, mask = cols[live], mask[live]
        if not cols.size:
            continue
        ev = reach.everywhere[cols]
        if ev.any():
            result[:, g, :] |= mask[ev].any(axis=0)[None, :]
            cols, mask = cols[~ev], mask[~ev]
        if cols.size:
            counts = reach.matrix[:, cols] @ mask.astype(np.float32)
            result[:, g, :] |= np.asarray(counts) > 0
    return result[:, :, 0] if single else result


# ------------------------------------------------------------- columns merged by opening hours

#: A :class:`GroupReach` is a dense boolean array while it has at most this many cells (1 MB),
#: a sparse matrix beyond (many distinct sets of opening hours).
DENSE_GROUP_CELLS = 1_000_000


@dataclass(frozen=True)
class GroupReach:
    """Reach with the columns merged by group: columns that are open at the same hours (one
    set of opening hours) cover the same areas at every hour as one column reaching the union
    of their areas.

    ``matrix``: ``(n_areas, n_groups)``, true (non-zero) where some column of the group reaches
    the area: a boolean array, or a CSC matrix of ones when dense would exceed
    :data:`DENSE_GROUP_CELLS`; ``everywhere``: ``(n_groups,)`` groups holding a column that
    reaches every area (left out of ``matrix``).
    """

    matrix: np.ndarray | sp.csc_matrix
    everywhere: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape

    def dense(self) -> np.ndarray:
        """The boolean ``(n_areas, n_groups)`` matrix, ``everywhere`` included."""
        import scipy.sparse as sp

        out = self.matrix.toarray() > 0 if sp.issparse(self.matrix) else self.matrix.copy()
        out[:, self.everywhere] = True
        return out

    def widened(self, n_groups: int) -> GroupReach:
        """The same reach with groups added at the end (reaching nothing) up to ``n_groups``."""
        import scipy.sparse as sp

        n_areas, before = self.shape
        if n_groups < before:
            raise ValueError(f"cannot narrow {before} groups to {n_groups}")
        if n_groups == before:
            return self
        everywhere = np.concatenate([self.everywhere, np.zeros(n_groups - before, dtype=bool)])
        if not sp.issparse(self.matrix):
            matrix = np.zeros((n_areas, n_groups), dtype=bool)
            matrix[:, :before] = self.matrix
            return GroupReach(matrix, everywhere)
        m = sp.csc_matrix(self.matrix)
        indptr = np.concatenate([m.indptr, np.full(n_groups - before, m.indptr[-1])])
        return GroupReach(
            sp.csc_matrix((m.data, m.indices, indptr), (n_areas, n_groups)), everywhere
        )


def group_reach(
    n_areas: int, pairs: ReachPairs, column_group: np.ndarray, n_groups: int
) -> GroupReach:
    """:class:`GroupReach` of ``pairs`` (from :func:`reach_pairs`), each column counted in its
    ``column_group`` (``(n_columns,)`` integers in ``0..n_groups-1``)."""
    import scipy.sparse as sp

    column_group = np.asarray(column_group)
    n_columns = pairs.everywhere.size
    if column_group.shape != (n_columns,) or (
        n_columns and (column_group.dtype.kind not in "iu" or column_group.min() < 0)
    ):
        raise ValueError(f"column_group must be integers >= 0 of shape {(n_columns,)}")
    if n_columns and column_group.max() >= n_groups:
        raise ValueError(f"column_group must be in 0..{n_groups - 1}")
    everywhere = np.zeros(n_groups, dtype=bool)
    everywhere[column_group[pairs.everywhere]] = True
    rows = np.asarray(pairs.rows, dtype=np.int64)
    groups = column_group[np.asarray(pairs.cols, dtype=np.int64)]
    if n_areas * n_groups <= DENSE_GROUP_CELLS:
        matrix = np.zeros((n_areas, n_groups), dtype=bool)
        matrix[rows, groups] = True
        return GroupReach(matrix, everywhere)
    # Column-major keys, sorted and distinct: the CSC structure directly (no duplicates).
    keys = np.unique(groups * n_areas + rows)
    indptr = np.searchsorted(keys, np.arange(n_groups + 1, dtype=np.int64) * n_areas)
    sparse = sp.csc_matrix(
        (np.ones(keys.size, dtype=np.float32), keys % max(n_areas, 1), indptr),
        shape=(n_areas, n_groups),
    )
    return GroupReach(sparse, everywhere)


def group_covered(reach: GroupReach, open_groups: np.ndarray) -> np.ndarray:
    """Whether some open group reaches each area: boolean ``(n_areas,)`` for ``open_groups``
    of shape ``(n_groups,)`` (one instant), ``(n_areas, n_hours)`` for ``(n_groups, n_hours)``.

    Equal to :func:`covered` (one group) over the columns, each column open when its group is.
    """
    import scipy.sparse as sp

    n_areas, n_groups = reach.shape
    open_groups = np.asarray(open_groups)
    if open_groups.dtype != bool or open_groups.ndim not in (1, 2):
        raise ValueError("open_groups must be a boolean (n_groups,) or (n_groups, n_hours) array")
    if open_groups.shape[0] != n_groups:
        raise ValueError(f"open_groups has {open_groups.shape[0]} groups, expected {n_groups}")
    single = open_groups.ndim == 1
    mask = open_groups[:, None] if single else open_groups
    live = np.flatnonzero(mask.any(axis=1))  # groups never open add nothing
    result = np.zeros((n_areas, mask.shape[1]), dtype=bool)
    result |= mask[live[reach.everywhere[live]]].any(axis=0)[None, :]
    if live.size and sp.issparse(reach.matrix):
        counts = reach.matrix[:, live] @ mask[live].astype(np.float32)
        result |= np.asarray(counts) > 0
    elif live.size:
        sub = np.asarray(reach.matrix)[:, live]
        result |= np.asarray(sub.any(axis=1))[:, None] if single else _or_of_ands(sub, mask[live])
    return result[:, 0] if single else result


def _or_of_ands(reach: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Boolean ``(n_areas, n_hours)``: some group reaches the area and is open at the hour,
    for a boolean ``reach`` ``(n_areas, n_groups)`` and ``mask`` ``(n_groups, n_hours)``.

    Areas fall into few patterns of groups (which sets of hours reach them): with up to 62
    groups each area's pattern is a bit field, the hours are found once per pattern and then
    copied to its areas. No floating-point product (BLAS threads cost more than they give on
    arrays this small).
    """
    n_groups = reach.shape[1]
    if n_groups > 62:
        return np.einsum("ig,gh->ih", reach, mask)  # bool sums of products: OR of ANDs
    bits = np.left_shift(np.int64(1), np.arange(n_groups, dtype=np.int64))
    codes, inverse = np.unique(reach.astype(np.int64) @ bits, return_inverse=True)
    patterns = (codes[:, None] & bits[None, :]) != 0
    return np.einsum("pg,gh->ph", patterns, mask)[inverse.reshape(-1)]
