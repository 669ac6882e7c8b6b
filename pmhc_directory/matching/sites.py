"""The registry that lets screening run every rule and score part the matcher runs.

A hard rule or a score part that reads a **per-lookup fact** (open state, service-area
membership, travel minutes, capacity) is registered once, beside its scalar form, with what it
reads (:class:`DynamicRule` in ``rules.DYNAMIC_RULES``, :class:`ScorePart` in
``ranking.SCORE_PARTS``). Screening (``matching.screen``) takes the registry as it is:

* a rule or part that reads only *few-valued* facts (:data:`SPREADABLE`: the open state, one per
  opening-hours code; the in-area answer, yes / no / no area) and static fields is called, in
  its scalar form, once per distinct combination of what it reads, and the answer is spread to
  every site with that combination: nothing is written twice;
* one that reads a per-site number (travel minutes, a capacity figure) also has a **vector form**
  ``sites(query, Sites) -> array`` written beside the scalar one, over the arrays of
  :class:`Sites`. ``tests/unit/matching/test_screen.py`` checks, for every registered vector form,
  that it equals the scalar form on random candidates.

A rule that reads a per-site number and has no vector form cannot be registered
(:class:`DynamicRule` refuses it), so a new rule cannot be skipped by screening unnoticed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .model import Candidate, Exclusion, Fit, Query

#: Candidate fields that depend on the lookup (where the person is, when, the latest reports).
PER_LOOKUP_FIELDS = frozenset(
    {"open_state", "in_service_area", "travel_minutes", "travel_source", "distance_km", "capacity"}
)
#: Per-lookup fields with few values, which screening spreads like static fields.
SPREADABLE = frozenset({"open_state", "in_service_area"})

# Sites.in_service_area values (Candidate.in_service_area None, False, True).
IN_AREA_UNKNOWN, IN_AREA_NO, IN_AREA_YES = -1, 0, 1
AREA_VALUES: dict[int, bool | None] = {IN_AREA_UNKNOWN: None, IN_AREA_NO: False, IN_AREA_YES: True}


@dataclass(frozen=True)
class Sites:
    """Many sites' per-lookup numbers as arrays (one element per site, aligned), each meaning
    what the :class:`Candidate` field of the same name means.

    ``in_service_area``: :data:`IN_AREA_YES`, :data:`IN_AREA_NO` or :data:`IN_AREA_UNKNOWN`;
    ``travel_minutes``: NaN where the candidate's is None (``inf``: no road route);
    ``capacity_fresh``: ``Capacity.fresh`` (a report that is not stale, with a figure);
    ``capacity_available``: that figure (NaN without one). From the site's :class:`Fit`:
    ``max_minutes`` (NaN: no cap) and ``destination`` (``rules.is_destination``).
    """

    goes_to_person: np.ndarray  # bool
    in_service_area: np.ndarray  # int8
    travel_minutes: np.ndarray  # float
    capacity_fresh: np.ndarray  # bool
    capacity_available: np.ndarray  # float
    max_minutes: np.ndarray  # float
    destination: np.ndarray  # bool

    def take(self, positions: np.ndarray) -> Sites:
        """The sites at ``positions``."""
        return Sites(
            goes_to_person=self.goes_to_person[positions],
            in_service_area=self.in_service_area[positions],
            travel_minutes=self.travel_minutes[positions],
            capacity_fresh=self.capacity_fresh[positions],
            capacity_available=self.capacity_available[positions],
            max_minutes=self.max_minutes[positions],
            destination=self.destination[positions],
        )


def area_value(in_service_area: bool | None) -> int:
    """:data:`IN_AREA_YES`, :data:`IN_AREA_NO` or :data:`IN_AREA_UNKNOWN` for a candidate's."""
    if in_service_area is None:
        return IN_AREA_UNKNOWN
    return IN_AREA_YES if in_service_area else IN_AREA_NO


def sites_of(
    candidates: Sequence[Candidate], fits: Sequence[Fit], destination: Callable[..., bool]
) -> Sites:
    """:class:`Sites` of ``candidates`` (``fits[k]`` is the fit of ``candidates[k]``);
    ``destination`` is ``rules.is_destination``. For tests and small callers: the lookup builds
    its arrays from its columns without making candidates."""
    capacities = [c.capacity for c in candidates]
    return Sites(
        goes_to_person=np.array([c.goes_to_person for c in candidates], dtype=bool),
        in_service_area=np.array(
            [area_value(c.in_service_area) for c in candidates], dtype=np.int8
        ),
        travel_minutes=np.array(
            [np.nan if c.travel_minutes is None else c.travel_minutes for c in candidates],
            dtype=float,
        ),
        capacity_fresh=np.array([c is not None and c.fresh for c in capacities], dtype=bool),
        capacity_available=np.array(
            [np.nan if c is None or c.available is None else c.available for c in capacities],
            dtype=float,
        ),
        max_minutes=np.array(
            [np.nan if f.max_minutes is None else f.max_minutes for f in fits], dtype=float
        ),
        destination=np.array(
            [destination(c, f) for c, f in zip(candidates, fits, strict=True)], dtype=bool
        ),
    )


ScalarRule = Callable[[Query, Candidate, Fit], Exclusion | None]
VectorRule = Callable[[Query, Sites], np.ndarray]


def _check_reads(name: str, reads: tuple[str, ...], vector: object) -> None:
    unknown = set(reads) - set(Candidate.__dataclass_fields__)
    if unknown:
        raise ValueError(f"{name} reads fields a Candidate does not have: {sorted(unknown)}")
    numbers = set(reads) & (PER_LOOKUP_FIELDS - SPREADABLE)
    if numbers and vector is None:
        raise ValueError(
            f"{name} reads per-site numbers {sorted(numbers)}: register its vector form too"
        )


@dataclass(frozen=True)
class DynamicRule:
    """A hard rule that reads a per-lookup fact: its scalar form (``rule``, in ``RULES``), the
    candidate fields it reads (``service_types`` wherever it reads the fit), and, when it reads
    a per-site number, its vector form ``sites(query, Sites) -> bool array`` (True: excluded).
    """

    rule: ScalarRule
    reads: tuple[str, ...]
    sites: VectorRule | None = None

    def __post_init__(self) -> None:
        _check_reads(self.rule.__name__, self.reads, self.sites)

    @property
    def static_reads(self) -> tuple[str, ...]:
        """The fields it reads that do not depend on the lookup."""
        return tuple(name for name in self.reads if name not in PER_LOOKUP_FIELDS)


@dataclass(frozen=True)
class ScorePart:
    """One part of the score, in [0, 1], with its weight's name (``Policy.weight``): the scalar
    form ``value(query, candidate, fit)``, the fields it reads, and the vector form
    ``sites(query, Sites) -> float array`` when it reads a per-site number."""

    name: str
    value: Callable[[Query, Candidate, Fit], float]
    reads: tuple[str, ...]
    sites: VectorRule | None = None

    def __post_init__(self) -> None:
        _check_reads(f"score part {self.name!r}", self.reads, self.sites)

    @property
    def static_reads(self) -> tuple[str, ...]:
        """The fields it reads that do not depend on the lookup."""
        return tuple(name for name in self.reads if name not in PER_LOOKUP_FIELDS)
