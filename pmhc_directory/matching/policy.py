"""The jurisdiction's lookup policy: what the matcher needs beyond the taxonomy's codes.

Defaults are in ``data/lookup_policy.json`` (read once); a jurisdiction overrides each part with
a setting (``services.lookup.settings_from_config``). Every part is plain data, so a
:class:`Policy` is hashable and can key caches. Officer-facing words: ``docs/matching.md``.

* ``age_populations``: the populations an age decides (youth and children under 18,
  transition-age youth 16-25, older adults 60 and over, after the Older Americans Act's "60
  years of age or older"). A known age satisfies the groups whose range holds it and rules out
  the others; an unknown age rules out none (the card shows the limit instead).
* ``handover_types``: the service types where an officer hands a person over. Only these take
  the police drop-off rule; by default every type of the taxonomy's "place" element (crisis
  receiving, stabilization, peer respite, sobering, withdrawal management, psychiatric emergency
  and inpatient care), never clinics, housing, justice programmes, lines or teams.
* ``need_situations``: needs that describe the person's state and so apply a situation's hard
  rule (``intoxicated`` -> only places that accept intoxicated people).
* ``tiers``: per need, groups of its service types in the community's order; an eligible place
  of an earlier tier ranks above every place of a later one. Without a setting each type of the
  need's preference list is its own tier.
* ``weights``: the parts that order places within a tier (they are normalised to add up to 1).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from pmhc_directory.taxonomy import NEED, POPULATION, SERVICE_TYPE, Vocabulary, vocabulary

#: The situation facts a need can imply (``Query`` fields).
SITUATIONS = ("intoxicated", "involuntary")
#: The parts that order places within a tier (``ranking``).
WEIGHT_PARTS = ("open", "travel", "capacity", "diversion", "verified")


class PolicyError(ValueError):
    """A policy setting that cannot be used; the message names the setting and the value."""


@dataclass(frozen=True)
class AgeRange:
    """An age-defined population: ages ``low`` to ``high`` inclusive (``high`` None: no top)."""

    population: str
    low: int
    high: int | None
    words: str

    def holds(self, age: int) -> bool:
        return age >= self.low and (self.high is None or age <= self.high)


@dataclass(frozen=True)
class Policy:
    age_ranges: tuple[AgeRange, ...] = ()
    handover_types: frozenset[str] = frozenset()
    need_situations: tuple[tuple[str, tuple[str, ...]], ...] = ()
    tiers: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = ()
    weights: tuple[tuple[str, float], ...] = ()

    @property
    def age_defined(self) -> frozenset[str]:
        return frozenset(r.population for r in self.age_ranges)

    def age_range(self, population: str) -> AgeRange | None:
        return next((r for r in self.age_ranges if r.population == population), None)

    def populations_of_age(self, age: int) -> frozenset[str]:
        """The age-defined populations an age belongs to."""
        return frozenset(r.population for r in self.age_ranges if r.holds(age))

    def situations_of(self, needs: Iterable[str]) -> frozenset[str]:
        """The situation facts (``SITUATIONS``) the needs imply."""
        implied = dict(self.need_situations)
        return frozenset(s for need in needs for s in implied.get(need, ()))

    def tier(self, need: str, service_type: str, preferred: tuple[str, ...]) -> int:
        """The tier of ``service_type`` for ``need`` (0 = first); types the setting leaves out
        come after its tiers, in the need's own order."""
        groups = dict(self.tiers).get(need)
        if groups is None:
            return preferred.index(service_type)
        for index, group in enumerate(groups):
            if service_type in group:
                return index
        return len(groups) + preferred.index(service_type)

    def weight(self, part: str) -> float:
        return dict(self.weights).get(part, 0.0)


def _default_data() -> dict[str, Any]:
    text = resources.files("pmhc_directory").joinpath("data/lookup_policy.json").read_text("utf-8")
    return json.loads(text)


def _age_ranges(value: Any, vocab: Vocabulary) -> tuple[AgeRange, ...]:
    if not isinstance(value, Mapping):
        raise PolicyError("AGE_POPULATIONS must be an object: population code -> {min, max}.")
    ranges = []
    for code, spec in value.items():
        if vocab.find(POPULATION, code) is None:
            raise PolicyError(f"AGE_POPULATIONS: {code!r} is not a population code.")
        if not isinstance(spec, Mapping):
            raise PolicyError(f"AGE_POPULATIONS[{code!r}] must be an object with min and max.")
        low, high = spec.get("min", 0), spec.get("max")
        if not isinstance(low, int) or (high is not None and not isinstance(high, int)):
            raise PolicyError(f"AGE_POPULATIONS[{code!r}]: min and max must be whole numbers.")
        if low < 0 or (high is not None and high < low):
            raise PolicyError(f"AGE_POPULATIONS[{code!r}]: need 0 <= min <= max.")
        words = spec.get("words") or (f"{low} and over" if high is None else f"ages {low}-{high}")
        ranges.append(AgeRange(code, low, high, str(words)))
    return tuple(ranges)


def _codes(value: Any, taxonomy: str, setting: str, vocab: Vocabulary) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"{setting} must be a list of {taxonomy} codes.")
    for code in value:
        if vocab.find(taxonomy, code) is None:
            raise PolicyError(f"{setting}: {code!r} is not a {taxonomy} code.")
    return tuple(value)


def _handover_types(value: Any, data: Mapping[str, Any], vocab: Vocabulary) -> frozenset[str]:
    if value is None:
        return frozenset(
            code
            for element in data["handover_continuum"]
            for code in vocab.service_types_in(element)
        )
    return frozenset(_codes(value, SERVICE_TYPE, "HANDOVER_SERVICE_TYPES", vocab))


def _need_situations(data: Mapping[str, Any], vocab: Vocabulary) -> tuple[Any, ...]:
    situations = []
    for need, facts in data["need_situations"].items():
        unknown = [f for f in facts if f not in SITUATIONS]
        if vocab.find(NEED, need) is None or unknown:
            raise PolicyError(f"need_situations: {need!r} -> {facts!r} is not usable.")
        situations.append((need, tuple(facts)))
    return tuple(situations)


def _need_tiers(value: Any, vocab: Vocabulary) -> tuple[Any, ...]:
    if not isinstance(value, Mapping):
        raise PolicyError("NEED_TIERS must be an object: need code -> list of lists of types.")
    tiers = []
    for need, groups in value.items():
        if vocab.find(NEED, need) is None:
            raise PolicyError(f"NEED_TIERS: {need!r} is not a need code.")
        if not isinstance(groups, list | tuple):
            raise PolicyError(f"NEED_TIERS[{need!r}] must be a list of lists of service types.")
        preferred = vocab.service_types_for_need(need)
        checked = []
        for group in groups:
            codes = _codes(group, SERVICE_TYPE, f"NEED_TIERS[{need!r}]", vocab)
            stray = [c for c in codes if c not in preferred]
            if stray:
                raise PolicyError(f"NEED_TIERS[{need!r}]: {stray[0]!r} does not meet this need.")
            checked.append(codes)
        tiers.append((need, tuple(checked)))
    return tuple(tiers)


def _weights(value: Any) -> tuple[tuple[str, float], ...]:
    """The ranking weights, each a finite number >= 0, scaled to sum to 1."""
    if not isinstance(value, Mapping) or set(value) - set(WEIGHT_PARTS):
        raise PolicyError(f"RANKING_WEIGHTS must be an object with keys among {WEIGHT_PARTS}.")
    raw = {}
    for part in WEIGHT_PARTS:
        number = value.get(part, 0.0)
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise PolicyError(f"RANKING_WEIGHTS[{part!r}] must be a number.")
        if not math.isfinite(number) or number < 0:
            raise PolicyError(f"RANKING_WEIGHTS[{part!r}] must be 0 or more.")
        raw[part] = float(number)
    total = sum(raw.values())
    if total <= 0:
        raise PolicyError("RANKING_WEIGHTS: at least one weight must be more than 0.")
    return tuple((part, raw[part] / total) for part in WEIGHT_PARTS)


def make_policy(
    *,
    age_populations: Any = None,
    handover_types: Any = None,
    need_tiers: Any = None,
    ranking_weights: Any = None,
    vocab: Vocabulary | None = None,
) -> Policy:
    """The defaults of ``data/lookup_policy.json`` with each given setting in their place;
    :class:`PolicyError` names a setting that cannot be used (checked in this order: ages,
    hand-over types, need situations, need tiers, weights)."""
    vocab = vocab or vocabulary()
    data = _default_data()
    ages = _age_ranges(
        data["age_populations"] if age_populations is None else age_populations, vocab
    )
    handover = _handover_types(handover_types, data, vocab)
    situations = _need_situations(data, vocab)
    tiers = _need_tiers(data["need_tiers"] if need_tiers is None else need_tiers, vocab)
    weights = _weights(data["ranking_weights"] if ranking_weights is None else ranking_weights)
    return Policy(
        age_ranges=ages,
        handover_types=handover,
        need_situations=situations,
        tiers=tiers,
        weights=weights,
    )


@cache
def default_policy() -> Policy:
    """The shipped defaults (read once per process)."""
    return make_policy()
