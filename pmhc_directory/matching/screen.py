"""Screening: the hard rules and the score over thousands of candidates at once, with numpy.

A state-wide directory offers one lookup thousands of relevant sites; building a
:class:`Candidate` for each and running :func:`match` on all of them costs about 50-100 us per
site. Screening decides, for every site, whether it is eligible (breaks no rule) and what its
score would be, without building candidates, so that the lookup can hand :func:`match` only
the few sites the answer shows (the best eligible ones, one eligible site per wanted service
type for the gap notices, the excluded ones listed, the national lines). The answer
is then the one :func:`match` gives on all sites (tests/integration/test_lookup_screening.py
compares the two on a synthetic state).

How it stays the same as the rules:

* A rule that reads no per-lookup fact (``rules.STATIC_RULE_INPUTS``) is called once per
  distinct combination of the fields it reads, on a representative candidate that has them
  (the first site with those values), and the answer is spread to every site with the same
  combination.
* ``closed`` and ``hours_unknown`` are called once per distinct (opening hours, service types)
  pair with that hours' open state; ``outside_service_area`` once per distinct (comes to the
  person, residency restricted, inside the area) triple.
* ``too_far`` and ``full``, and the travel and capacity parts of the score, read numbers that
  differ per site (minutes, capacity figures): they are written again here with numpy, line by
  line after ``rules.too_far``, ``rules.full``, ``ranking.travel_part`` and
  ``ranking.capacity_part``.
* The order value is the unrounded weighted sum of ``ranking.score`` less
  :data:`TIER_STEP` per tier (``Fit.tier``): the score lies in [0, 1], so the value orders
  sites by tier first and score second, as :func:`match` does. Callers keep every eligible
  site whose value is within :data:`SCORE_MARGIN` of the k-th best, which holds every site
  :func:`match` can rank among the first k (rounding to 4 places moves a score by at most
  5e-5).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pmhc_directory.hours import OpenState

from . import ranking
from .model import Candidate, Fit, Query
from .rules import (
    STATIC_RULE_INPUTS,
    closed,
    hours_unknown,
    is_destination,
    outside_service_area,
)

# Fields of the score parts that read no per-lookup fact (the same kind of declaration as the
# rules'; checked by the same test).
STATIC_SCORE_INPUTS: dict[str, tuple[str, ...]] = {
    "diversion": ("attributes",),
    "verified": ("assured_date",),
}
# Two scores this close may swap places once rounded to 4 places (see the module docstring).
SCORE_MARGIN = 2e-4
# Order value per tier: more than a score's range (1) plus the margin, so tiers never mix.
TIER_STEP = 2.0

IN_AREA_UNKNOWN, IN_AREA_NO, IN_AREA_YES = -1, 0, 1
_AREA_VALUES = {IN_AREA_UNKNOWN: None, IN_AREA_NO: False, IN_AREA_YES: True}


def _representative(fields: Mapping[str, Any]) -> Candidate:
    return Candidate.from_fields({"service_id": "", "name": "", **fields})


@dataclass(frozen=True)
class _Coded:
    """One code per site for the combination of ``fields``, and one candidate per code.

    ``index`` and ``representatives`` only grow, and are shared by the tables :meth:`extended`
    makes, so an older table stays valid while a newer one is in use.
    """

    fields: tuple[str, ...]
    codes: np.ndarray  # int32, one per site
    representatives: list[Candidate]
    index: dict[tuple[Any, ...], int]

    @classmethod
    def of(cls, statics: Sequence[Mapping[str, Any]], fields: tuple[str, ...]) -> _Coded:
        return cls(fields, np.zeros(0, dtype=np.int32), [], {}).extended(statics)

    def extended(self, statics: Sequence[Mapping[str, Any]]) -> _Coded:
        index, representatives, fields = self.index, self.representatives, self.fields
        codes = np.empty(len(statics), dtype=np.int32)
        for position, facts in enumerate(statics):
            key = tuple(facts.get(name) for name in fields)
            code = index.get(key)
            if code is None:
                representatives.append(_representative({n: facts.get(n) for n in fields}))
                code = index[key] = len(representatives) - 1
            codes[position] = code
        return _Coded(fields, np.concatenate([self.codes, codes]), representatives, index)


@dataclass(frozen=True)
class ScreenTable:
    """The static facts of every site, coded for screening. Built with the candidate cache and
    extended when sites are added (removed sites are the caller's to mask).

    ``statics`` are the candidate fields that do not depend on the lookup (what
    ``Candidate.from_fields`` takes, without distance, open state, area membership or
    capacity); ``hours_codes`` number the distinct opening hours (equal codes, equal hours).
    """

    size: int
    goes_to_person: np.ndarray  # bool
    types_codes: np.ndarray  # int32: position in ``types``
    types: list[tuple[str, ...]]  # only grows (shared with extended tables)
    with_type: dict[str, np.ndarray]  # service type -> codes of the ``types`` holding it
    hours_codes: np.ndarray  # int32
    area_codes: _Coded  # (goes_to_person, residency_restricted)
    rules: dict[Callable[..., Any], _Coded]
    scores: dict[str, _Coded]
    types_index: dict[tuple[str, ...], int]

    @classmethod
    def of(cls, statics: Sequence[Mapping[str, Any]], hours_codes: Sequence[int]) -> ScreenTable:
        empty_codes = np.zeros(0, dtype=np.int32)
        empty = cls(
            size=0,
            goes_to_person=np.zeros(0, dtype=bool),
            types_codes=empty_codes,
            types=[],
            with_type={},
            hours_codes=empty_codes,
            area_codes=_Coded.of((), ("goes_to_person", "residency_restricted")),
            rules={rule: _Coded.of((), fields) for rule, fields in STATIC_RULE_INPUTS.items()},
            scores={name: _Coded.of((), f) for name, f in STATIC_SCORE_INPUTS.items()},
            types_index={},
        )
        return empty.extended(statics, hours_codes)

    def extended(
        self, statics: Sequence[Mapping[str, Any]], hours_codes: Sequence[int]
    ) -> ScreenTable:
        """This table with ``statics`` appended (positions ``size`` onwards)."""
        types_index, types = self.types_index, self.types
        known = len(types)
        codes = []
        for facts in statics:
            key = tuple(facts.get("service_types", ()))
            code = types_index.get(key)
            if code is None:
                types.append(key)
                code = types_index[key] = len(types) - 1
            codes.append(code)
        with_type = dict(self.with_type)
        for code in range(known, len(types)):
            for service_type in types[code]:
                found = with_type.get(service_type, np.zeros(0, dtype=np.int32))
                with_type[service_type] = np.append(found, np.int32(code))
        goes = np.array([bool(f.get("goes_to_person")) for f in statics], dtype=bool)
        return ScreenTable(
            size=self.size + len(statics),
            goes_to_person=np.concatenate([self.goes_to_person, goes]),
            types_codes=np.concatenate([self.types_codes, np.array(codes, dtype=np.int32)]),
            types=types,
            with_type=with_type,
            hours_codes=np.concatenate([self.hours_codes, np.asarray(hours_codes, dtype=np.int32)]),
            area_codes=self.area_codes.extended(statics),
            rules={rule: coded.extended(statics) for rule, coded in self.rules.items()},
            scores={name: coded.extended(statics) for name, coded in self.scores.items()},
            types_index=types_index,
        )


@dataclass(frozen=True)
class LookupFacts:
    """The per-lookup facts of the sites screened (arrays aligned with the ``pool`` screened).

    ``in_area``: :data:`IN_AREA_YES`, :data:`IN_AREA_NO` or :data:`IN_AREA_UNKNOWN` (the site
    has no service area); ``minutes``: estimated travel minutes, NaN without a point;
    ``open_state``: the open state of an hours code at the query's instant;
    ``capacity_fresh``: a fresh report with a known figure (``Capacity.fresh``);
    ``capacity_available``: its figure.
    """

    in_area: np.ndarray
    minutes: np.ndarray
    open_state: Callable[[int], OpenState]
    capacity_fresh: np.ndarray
    capacity_available: np.ndarray


@dataclass(frozen=True)
class Screening:
    """Positions (into the pool) of the eligible and the excluded sites, and eligible scores."""

    eligible: np.ndarray
    excluded: np.ndarray
    scores: np.ndarray  # order value (score less TIER_STEP per tier) of each eligible site


def _present(codes: np.ndarray) -> list[int]:
    """The distinct values of a non-negative int array (counting, not sorting)."""
    if len(codes) == 0:
        return []
    return np.flatnonzero(np.bincount(codes)).tolist()


def _spread(codes: np.ndarray, answer: Callable[[int], Any], dtype: Any = bool) -> np.ndarray:
    """``answer(code)`` for every distinct code, spread to every element of ``codes``."""
    present = _present(codes)
    table = np.zeros(max(present, default=0) + 1, dtype=dtype)
    for code in present:
        table[code] = answer(code)
    return table[codes]


def screen(
    query: Query,
    table: ScreenTable,
    pool: np.ndarray,
    facts: LookupFacts,
    fits: Sequence[Fit | None],
) -> Screening:
    """Screen the sites at positions ``pool`` (none national, each with a fit).

    ``fits[k]`` is ``fit_of`` for ``table.types[k]`` and the query.
    """
    types_codes = table.types_codes[pool]
    fit_by_types = {table.types[k]: fits[k] for k in _present(types_codes)}

    # too_far and full first: per-site numbers, with numpy (rules.too_far, rules.full).
    goes = table.goes_to_person[pool]
    cap_of_type = np.array(
        [np.nan if f is None or f.max_minutes is None else f.max_minutes for f in fits], dtype=float
    )
    cap = cap_of_type[types_codes] if len(fits) else np.zeros(0)
    judged_by_area = goes & (facts.in_area != IN_AREA_UNKNOWN)
    minutes = facts.minutes
    with np.errstate(invalid="ignore"):
        broken = ~judged_by_area & ~np.isnan(cap) & ~np.isnan(minutes) & (minutes > cap)
        broken |= facts.capacity_fresh & (facts.capacity_available <= 0)

    # outside_service_area: per (comes to the person, residency restricted, inside) triple.
    area_representatives = table.area_codes.representatives
    triples = table.area_codes.codes[pool].astype(np.int64) * 3 + (facts.in_area + 1)

    def outside(code: int) -> bool:
        base, inside = divmod(code, 3)
        fields = {
            "goes_to_person": area_representatives[base].goes_to_person,
            "residency_restricted": area_representatives[base].residency_restricted,
            "in_service_area": _AREA_VALUES[inside - 1],
        }
        return outside_service_area(query, _representative(fields), None) is not None  # type: ignore[arg-type]

    broken |= _spread(triples, outside)

    # The other rules only for sites no rule has excluded yet: whether a site is eligible is
    # all screening decides (the matcher words every reason of the excluded sites it lists).
    # closed, hours_unknown: per (hours, service types) pair.
    open_parts = np.zeros(len(pool), dtype=float)
    left = np.flatnonzero(~broken)
    width = len(table.types)
    pairs = table.hours_codes[pool[left]].astype(np.int64) * width + types_codes[left]
    unique_pairs, inverse = np.unique(pairs, return_inverse=True)
    pair_broken = np.zeros(len(unique_pairs), dtype=bool)
    pair_open = np.zeros(len(unique_pairs), dtype=float)
    for k, pair in enumerate(unique_pairs.tolist()):
        hours, types_code = divmod(pair, width)
        candidate = _representative(
            {"service_types": table.types[types_code], "open_state": facts.open_state(hours)}
        )
        fit = fits[types_code]
        pair_broken[k] = (
            closed(query, candidate, fit) is not None
            or hours_unknown(query, candidate, fit) is not None
        )
        pair_open[k] = ranking.open_part(candidate, query.at)
    broken[left] = pair_broken[inverse]
    open_parts[left] = pair_open[inverse]

    for rule, coded in table.rules.items():
        left = np.flatnonzero(~broken)
        if not len(left):
            break
        representatives = coded.representatives

        def breaks(code: int, rule: Any = rule, representatives: Any = representatives) -> bool:
            candidate = representatives[code]
            fit = fit_by_types.get(tuple(candidate.service_types or ()))
            return rule(query, candidate, fit) is not None

        broken[left] = _spread(coded.codes[pool[left]], breaks)

    eligible = np.flatnonzero(~broken)
    excluded = np.flatnonzero(broken)
    scores = _scores(query, table, pool[eligible], facts, eligible, fits, open_parts[eligible])
    return Screening(eligible=eligible, excluded=excluded, scores=scores)


def _scores(
    query: Query,
    table: ScreenTable,
    positions: np.ndarray,
    facts: LookupFacts,
    local: np.ndarray,
    fits: Sequence[Fit | None],
    open_parts: np.ndarray,
) -> np.ndarray:
    """``ranking.score`` before rounding, less :data:`TIER_STEP` per tier, for the eligible
    sites (``positions`` in the table, ``local`` in the pool)."""
    types_codes = table.types_codes[positions]
    tiers = np.array([0.0 if f is None else float(f.tier) for f in fits], dtype=float)
    goes = table.goes_to_person[positions]

    # ranking.travel_part, with numpy: is_destination per (comes to the person, types).
    width = len(table.types)  # read once: an extended table may be growing the shared list

    def destination(code: int) -> bool:
        goes_code, types_code = divmod(code, width)
        fit = fits[types_code]
        candidate = _representative({"goes_to_person": bool(goes_code)})
        return fit is not None and is_destination(candidate, fit)

    destinations = _spread(goes.astype(np.int64) * width + types_codes, destination)
    minutes = facts.minutes[local]
    neutral = np.where(destinations, 0.0, ranking.TRAVEL_NEUTRAL)
    with np.errstate(invalid="ignore"):
        travel = np.where(
            np.isnan(minutes) | goes,
            neutral,
            np.maximum(0.0, 1.0 - np.maximum(minutes, 0.0) / ranking.TRAVEL_ZERO_AT),
        )
        # ranking.capacity_part, with numpy.
        capacity = np.where(
            facts.capacity_fresh[local] & (facts.capacity_available[local] > 0), 1.0, 0.0
        )
    diversion_coded = table.scores["diversion"]
    diversion = _spread(
        diversion_coded.codes[positions],
        lambda code: ranking.diversion_part(diversion_coded.representatives[code]),
        float,
    )
    verified_coded = table.scores["verified"]
    verified = _spread(
        verified_coded.codes[positions],
        lambda code: ranking.verified_part(verified_coded.representatives[code], query.at),
        float,
    )
    weight = query.policy.weight
    total = (
        weight("open") * open_parts
        + weight("travel") * travel
        + weight("capacity") * capacity
        + weight("diversion") * diversion
        + weight("verified") * verified
    )
    return np.clip(total, 0.0, 1.0) - TIER_STEP * tiers[types_codes]


def best_positions(screening: Screening, limit: int) -> np.ndarray:
    """Pool positions of the eligible sites that may rank among the first ``limit``."""
    scores = screening.scores
    if len(scores) <= limit:
        return screening.eligible
    kth = np.partition(scores, len(scores) - limit)[len(scores) - limit]
    return screening.eligible[scores >= kth - SCORE_MARGIN]
