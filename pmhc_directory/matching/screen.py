"""Screening: the hard rules and the score over thousands of candidates at once, with numpy.

A state-wide directory offers one lookup thousands of relevant sites; building a
:class:`Candidate` for each and running :func:`match` on all of them costs about 50-100 us per
site. Screening decides, for every site, whether it is eligible (breaks no rule) and what its
score would be, without building candidates, so that the lookup can hand :func:`match` only
the few sites the answer shows (the best eligible ones, one eligible site per wanted service
type for the gap notices, the excluded ones listed, the national lines). The answer
is then the one :func:`match` gives on all sites (tests/integration/test_lookup_screening.py
compares the two on a synthetic state).

How it stays the same as the rules: it runs the registries, never a rule of its own.

* A rule that reads no per-lookup fact (``rules.STATIC_RULE_INPUTS``) is called once per
  distinct combination of the fields it reads, on a representative candidate that has them
  (the first site with those values), and the answer is spread to every site with the same
  combination.
* A rule that reads a per-lookup fact is registered in ``rules.DYNAMIC_RULES``
  (``sites.DynamicRule``). One with a vector form (it reads a per-site number: travel minutes,
  a capacity figure) is run as that, on every site's :class:`~.sites.Sites` arrays; the others
  read only few-valued facts (the open state of an hours code, the in-area answer) and are
  spread like the static rules, over the combinations of their static fields and those facts.
* The score parts likewise (``ranking.SCORE_PARTS``): a vector form where registered, else
  the scalar part spread over the combinations of what it reads.
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

from .model import Candidate, Fit, Query
from .ranking import SCORE_PARTS
from .rules import DYNAMIC_RULES, STATIC_RULE_INPUTS, is_destination
from .sites import (
    AREA_VALUES,
    IN_AREA_NO,
    IN_AREA_UNKNOWN,
    IN_AREA_YES,
    PER_LOOKUP_FIELDS,
    Sites,
)

__all__ = [
    "IN_AREA_NO",
    "IN_AREA_UNKNOWN",
    "IN_AREA_YES",
    "SCORE_MARGIN",
    "TIER_STEP",
    "LookupFacts",
    "ScreenTable",
    "Screening",
    "best_positions",
    "screen",
]

# Two scores this close may swap places once rounded to 4 places (see the module docstring).
SCORE_MARGIN = 2e-4
# Order value per tier: more than a score's range (1) plus the margin, so tiers never mix.
TIER_STEP = 2.0
# Combination keys below this (plus 4 per site) are spread by counting (np.bincount), larger
# ones by sorting (np.unique): the counting table would be mostly empty.
SPREAD_BY_COUNTING = 65_536

#: The rules screening spreads over combinations (static ones and dynamic ones with no vector
#: form), each with the fields it reads.
SPREAD_RULES: dict[Callable[..., Any], tuple[str, ...]] = {
    **{entry.rule: entry.reads for entry in DYNAMIC_RULES if entry.sites is None},
    **STATIC_RULE_INPUTS,
}
#: The score parts screening spreads, by name, with the fields each reads.
SPREAD_PARTS: dict[str, tuple[str, ...]] = {
    part.name: part.reads for part in SCORE_PARTS if part.sites is None
}


def _static(reads: tuple[str, ...]) -> tuple[str, ...]:
    """The fields of ``reads`` the table codes (those that do not depend on the lookup)."""
    return tuple(name for name in reads if name not in PER_LOOKUP_FIELDS)


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
    ``rules`` and ``scores`` code the static fields each spread rule (:data:`SPREAD_RULES`)
    and score part (:data:`SPREAD_PARTS`) reads.
    """

    size: int
    goes_to_person: np.ndarray  # bool
    types_codes: np.ndarray  # int32: position in ``types``
    types: list[tuple[str, ...]]  # only grows (shared with extended tables)
    with_type: dict[str, np.ndarray]  # service type -> codes of the ``types`` holding it
    hours_codes: np.ndarray  # int32
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
            rules={rule: _Coded.of((), _static(reads)) for rule, reads in SPREAD_RULES.items()},
            scores={name: _Coded.of((), _static(reads)) for name, reads in SPREAD_PARTS.items()},
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


@dataclass(frozen=True)
class _Pool:
    """What every spread evaluation of one screening shares."""

    query: Query
    table: ScreenTable
    positions: np.ndarray  # in the table, one per site screened
    facts: LookupFacts
    fit_by_types: dict[tuple[str, ...], Fit | None]

    def spread(
        self,
        coded: _Coded,
        reads: tuple[str, ...],
        local: np.ndarray,
        answer: Callable[[Candidate, Any], Any],
        dtype: Any = bool,
    ) -> np.ndarray:
        """``answer(candidate, fit)`` for the sites at ``local`` (pool indices), called once
        per distinct combination of the fields in ``reads`` (static ones coded in ``coded``;
        the open state by hours code; the in-area answer) on a candidate that has them."""
        positions = self.positions[local]
        representatives, fit_by_types = coded.representatives, self.fit_by_types
        hours = "open_state" in reads
        area = "in_service_area" in reads
        keys = coded.codes[positions].astype(np.int64)
        hours_codes = self.table.hours_codes[positions]
        width = int(hours_codes.max()) + 1 if hours and len(hours_codes) else 1
        if hours:
            keys = keys * width + hours_codes
        if area:
            keys = keys * 3 + (self.facts.in_area[local] + 1)

        def one(key: int) -> Any:
            fields: dict[str, Any] = {}
            if area:
                key, inside = divmod(key, 3)
                fields["in_service_area"] = AREA_VALUES[inside - 1]
            if hours:
                key, hours_code = divmod(key, width)
                fields["open_state"] = self.facts.open_state(hours_code)
            base = representatives[key]
            candidate = Candidate.from_fields({**base.__dict__, **fields}) if fields else base
            return answer(candidate, fit_by_types.get(tuple(base.service_types or ())))

        if not len(keys) or int(keys.max()) < SPREAD_BY_COUNTING + 4 * len(keys):
            return _spread(keys, one, dtype)  # few key values: counting beats sorting
        unique, inverse = np.unique(keys, return_inverse=True)
        values = np.zeros(len(unique), dtype=dtype)
        for k, key in enumerate(unique.tolist()):
            values[k] = one(key)
        return values[inverse]


def _sites(pool: _Pool, fits: Sequence[Fit | None]) -> Sites:
    """The :class:`Sites` arrays of every site screened."""
    table, facts, positions = pool.table, pool.facts, pool.positions
    types_codes = table.types_codes[positions]
    goes = table.goes_to_person[positions]
    cap_of_type = np.array(
        [np.nan if f is None or f.max_minutes is None else f.max_minutes for f in fits], dtype=float
    )
    width = len(table.types)  # read once: an extended table may be growing the shared list

    def destination(code: int) -> bool:
        goes_code, types_code = divmod(code, width)
        fit = fits[types_code]
        return fit is not None and is_destination(
            _representative({"goes_to_person": bool(goes_code)}), fit
        )

    return Sites(
        goes_to_person=goes,
        in_service_area=facts.in_area,
        travel_minutes=facts.minutes,
        capacity_fresh=facts.capacity_fresh,
        capacity_available=facts.capacity_available,
        max_minutes=cap_of_type[types_codes] if len(fits) else np.zeros(len(positions)),
        destination=_spread(goes.astype(np.int64) * width + types_codes, destination),
    )


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
    fit_by_types = {table.types[k]: fits[k] for k in _present(table.types_codes[pool])}
    shared = _Pool(query, table, pool, facts, fit_by_types)
    sites = _sites(shared, fits)

    # The vector forms first, on every site (a few array operations each).
    broken = np.zeros(len(pool), dtype=bool)
    for entry in DYNAMIC_RULES:
        if entry.sites is not None:
            broken |= entry.sites(query, sites)

    # The others only for sites no rule has excluded yet: whether a site is eligible is all
    # screening decides (the matcher words every reason of the excluded sites it lists).
    for rule, reads in SPREAD_RULES.items():
        left = np.flatnonzero(~broken)
        if not len(left):
            break

        def breaks(candidate: Candidate, fit: Any, rule: Any = rule) -> bool:
            return rule(query, candidate, fit) is not None

        broken[left] = shared.spread(table.rules[rule], reads, left, breaks)

    eligible = np.flatnonzero(~broken)
    excluded = np.flatnonzero(broken)
    scores = _scores(shared, sites.take(eligible), eligible, fits)
    return Screening(eligible=eligible, excluded=excluded, scores=scores)


def _scores(pool: _Pool, sites: Sites, local: np.ndarray, fits: Sequence[Fit | None]) -> np.ndarray:
    """``ranking.score`` before rounding, less :data:`TIER_STEP` per tier, for the eligible
    sites (``local`` in the pool, ``sites`` theirs), adding the parts in ``SCORE_PARTS``
    order as ``ranking.score`` does."""
    query = pool.query
    tiers = np.array([0.0 if f is None else float(f.tier) for f in fits], dtype=float)
    weight = query.policy.weight
    total = np.zeros(len(local), dtype=float)
    for part in SCORE_PARTS:
        if part.sites is not None:
            values = part.sites(query, sites)
        else:

            def value(candidate: Candidate, fit: Any, part: Any = part) -> float:
                return float(part.value(query, candidate, fit))

            values = pool.spread(pool.table.scores[part.name], part.reads, local, value, float)
        total += weight(part.name) * values
    types_codes = pool.table.types_codes[pool.positions[local]]
    return np.clip(total, 0.0, 1.0) - TIER_STEP * tiers[types_codes]


def best_positions(screening: Screening, limit: int) -> np.ndarray:
    """Pool positions of the eligible sites that may rank among the first ``limit``."""
    scores = screening.scores
    if len(scores) <= limit:
        return screening.eligible
    kth = np.partition(scores, len(scores) - limit)[len(scores) - limit]
    return screening.eligible[scores >= kth - SCORE_MARGIN]
