"""Screening's premises: the registries it runs hold every rule, each reads only the fields it
declares, and every vector form equals its scalar form.

``matching.screen`` runs the registries (``rules.STATIC_RULE_INPUTS``, ``rules.DYNAMIC_RULES``,
``ranking.SCORE_PARTS``): a rule or score part without a vector form is called once per distinct
combination of its declared fields, so two random candidates that agree on those fields, and
differ in everything else, must get the same answer for every random query; one with a vector
form is run as that, which must give the scalar form's answer on random candidates. The
equality of screened and full answers on a synthetic state is
tests/integration/test_lookup_screening.py.
"""

from __future__ import annotations

import math
from dataclasses import FrozenInstanceError, fields, replace
from typing import cast

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmhc_directory.matching import Candidate, Capacity, Fit, fit_of
from pmhc_directory.matching.ranking import SCORE_PARTS, score
from pmhc_directory.matching.rules import (
    BLOCKED_WORDS,
    DYNAMIC_RULES,
    RULES,
    STATIC_RULE_INPUTS,
    full,
    is_destination,
)
from pmhc_directory.matching.screen import Screening, best_positions
from pmhc_directory.matching.sites import DynamicRule, ScorePart, sites_of

from . import VOCAB
from .test_properties import candidates, queries

DECLARED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CANDIDATE_FIELDS = [f.name for f in fields(Candidate)]
DYNAMIC_INPUTS = {entry.rule: entry.reads for entry in DYNAMIC_RULES}
VECTOR_RULES = [entry for entry in DYNAMIC_RULES if entry.sites is not None]
VECTOR_PARTS = [part for part in SCORE_PARTS if part.sites is not None]


def _same_declared(first: Candidate, second: Candidate, declared: tuple[str, ...]) -> Candidate:
    """``second`` with ``first``'s values for the declared fields."""
    return replace(second, **{name: getattr(first, name) for name in declared})


def test_every_rule_is_declared_once():
    assert set(STATIC_RULE_INPUTS) | set(DYNAMIC_INPUTS) == set(RULES)
    assert not set(STATIC_RULE_INPUTS) & set(DYNAMIC_INPUTS)
    assert len(DYNAMIC_INPUTS) == len(DYNAMIC_RULES)
    # Every rule's code (its name) is worded for the gap notices, beside the rule.
    assert {rule.__name__.replace("_", "-") for rule in RULES} == set(BLOCKED_WORDS)
    for declared in [*STATIC_RULE_INPUTS.values(), *DYNAMIC_INPUTS.values()]:
        assert set(declared) <= set(CANDIDATE_FIELDS)
    # The rules that read no per-lookup fact are screened as static: none may read one.
    for rule, declared in STATIC_RULE_INPUTS.items():
        assert not {"open_state", "in_service_area", "travel_minutes", "capacity"} & set(
            declared
        ), rule.__name__


def test_a_rule_on_a_per_site_number_needs_its_vector_form():
    with pytest.raises(ValueError, match="vector form"):
        DynamicRule(full, ("capacity",))
    with pytest.raises(ValueError, match="vector form"):
        ScorePart("capacity", lambda q, c, f: 0.0, ("travel_minutes",))
    with pytest.raises(ValueError, match="does not have"):
        DynamicRule(full, ("capacity", "beds"), lambda q, s: s.capacity_fresh)
    # Few-valued facts are spread: no vector form needed.
    assert DynamicRule(full, ("open_state", "in_service_area")).static_reads == ()


@DECLARED
@given(queries(), candidates(0), candidates(1))
def test_rules_read_only_their_declared_fields(query, first, other):
    for rule, declared in [*STATIC_RULE_INPUTS.items(), *DYNAMIC_INPUTS.items()]:
        second = _same_declared(first, other, declared)
        fit_first = fit_of(query, first, VOCAB)
        fit_second = fit_of(query, second, VOCAB)
        if fit_first is None:
            continue  # the matcher applies no rule to a candidate it finds irrelevant
        found = rule(query, first, fit_first)
        # A rule that does not declare service_types does not read the fit: None is fine.
        assert found == rule(query, second, cast(Fit, fit_second)), rule.__name__
        # The code is the rule's name (the integration test finds each rule by it).
        assert found is None or found.code == rule.__name__.replace("_", "-")


@DECLARED
@given(queries(), candidates(0), candidates(1))
def test_score_parts_read_only_their_declared_fields(query, first, other):
    for part in SCORE_PARTS:
        second = _same_declared(first, other, part.reads)
        fit_first = fit_of(query, first, VOCAB)
        fit_second = fit_of(query, second, VOCAB)
        if fit_first is None:
            continue
        value = part.value(query, first, fit_first)
        # As for the rules: a part that does not declare service_types does not read the fit.
        assert value == part.value(query, second, cast(Fit, fit_second)), part.name
        assert 0.0 <= value <= 1.0, part.name


# Per-site numbers at and around every edge a rule may compare against: every whole minute
# to 200 (a cap of 0, 30, 45 or 60 minutes is met exactly), a thousandth either side of every
# fifth minute, no route (inf), no travel time (None); a capacity report with nothing, a few or
# a negative count free, stale or fresh, or with no figure.
GRID_MINUTES = [
    None,
    math.inf,
    *(float(m) for m in range(201)),
    *(m + d for m in range(5, 201, 5) for d in (-0.001, 0.001)),
]
GRID_CAPACITY = [
    None,
    Capacity(available=None),
    *(Capacity(available=a, stale=s) for a in range(-1, 4) for s in (False, True)),
]
GRID = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _spread_over_grid(bases: list[Candidate]) -> list[Candidate]:
    """Each candidate once per per-site number of the grid (done in the test, not drawn, so a
    failing example stays short to print)."""
    spread: list[Candidate] = []
    for base in bases:
        base = replace(base, is_national=False)
        spread += [replace(base, travel_minutes=m) for m in GRID_MINUTES]
        spread += [replace(base, capacity=c) for c in GRID_CAPACITY]
    return spread


bases = st.lists(candidates(0), min_size=1, max_size=3)


def _first_difference(cands, vector, scalar) -> str:
    for c, v, s in zip(cands, vector, scalar, strict=True):
        if v != s:
            return f"vector {v} != scalar {s} at {c.travel_minutes=} {c.capacity=}"
    return ""


def _fitted(query, cands):
    cands = _spread_over_grid(cands)
    pairs = [(c, fit_of(query, c, VOCAB)) for c in cands]
    return [c for c, f in pairs if f is not None], [f for c, f in pairs if f is not None]


@GRID
@given(queries(), bases)
def test_every_vector_rule_equals_its_rule(query, cands):
    cands, fits = _fitted(query, cands)
    arrays = sites_of(cands, fits, is_destination)
    assert VECTOR_RULES
    for entry in VECTOR_RULES:
        assert entry.sites is not None
        vector = entry.sites(query, arrays)
        scalar = [entry.rule(query, c, f) is not None for c, f in zip(cands, fits, strict=True)]
        assert vector.dtype == bool, entry.rule.__name__
        result = vector.tolist()
        assert result == scalar, (entry.rule.__name__, _first_difference(cands, result, scalar))


@GRID
@given(queries(), bases)
def test_every_vector_score_part_equals_its_part(query, cands):
    cands, fits = _fitted(query, cands)
    arrays = sites_of(cands, fits, is_destination)
    assert VECTOR_PARTS
    for part in VECTOR_PARTS:
        assert part.sites is not None
        vector = part.sites(query, arrays)
        scalar = [part.value(query, c, f) for c, f in zip(cands, fits, strict=True)]
        result = vector.tolist()
        assert result == scalar, (part.name, _first_difference(cands, result, scalar))
    weight = query.policy.weight
    for c, f in zip(cands, fits, strict=True):
        total = sum(weight(part.name) * part.value(query, c, f) for part in SCORE_PARTS)
        assert score(query, c, f) == round(min(max(total, 0.0), 1.0), 4)


def test_sites_of_reads_the_candidates_fields():
    cands = [
        Candidate("a", "A", travel_minutes=None, capacity=None, in_service_area=None),
        Candidate(
            "b",
            "B",
            travel_minutes=12.5,
            capacity=Capacity(available=2),
            in_service_area=True,
            goes_to_person=True,
        ),
        Candidate("c", "C", capacity=Capacity(available=0, stale=True), in_service_area=False),
    ]
    place = Fit("crisis-receiving", "crisis-now", 0, 3, "place", True, 45.0)
    arrays = sites_of(cands, [place] * 3, is_destination)
    assert arrays.goes_to_person.tolist() == [False, True, False]
    assert arrays.in_service_area.tolist() == [-1, 1, 0]
    assert np.isnan(arrays.travel_minutes[0]) and arrays.travel_minutes[1] == 12.5
    assert arrays.capacity_fresh.tolist() == [False, True, False]
    assert np.isnan(arrays.capacity_available[0])
    assert arrays.capacity_available[1:].tolist() == [2.0, 0.0]
    assert arrays.max_minutes.tolist() == [45.0] * 3
    assert arrays.destination.tolist() == [True, False, True]
    taken = arrays.take(np.array([2, 0]))
    assert taken.in_service_area.tolist() == [0, -1]
    assert taken.destination.tolist() == [True, True]


@given(
    st.lists(st.floats(0.0, 1.0), min_size=0, max_size=60),
    st.integers(1, 50),
)
def test_best_positions_hold_every_site_that_can_rank_in_the_first_k(scores, limit):
    values = np.array(scores, dtype=float)
    screening = Screening(
        eligible=np.arange(len(values)), excluded=np.zeros(0, dtype=np.int64), scores=values
    )
    kept = set(best_positions(screening, limit).tolist())
    rounded = [round(v, 4) for v in scores]
    if len(scores) <= limit:
        assert kept == set(range(len(scores)))
        return
    kth = sorted(rounded, reverse=True)[limit - 1]
    # Every site whose rounded score reaches the k-th best could be shown (ties break on
    # travel and name, which screening does not rank by).
    assert {k for k, r in enumerate(rounded) if r >= kth} <= kept
    assert len(kept) >= limit


def test_the_arrays_and_the_registries_cannot_be_reassigned():
    """Screening hands one ``Sites`` to every vector form in turn (a form that replaced an
    array would change the next one's input), and the registries are shared by every request."""
    arrays = sites_of(
        [Candidate("a", "A")], [Fit("t", None, 0, 1, None, False, None)], is_destination
    )
    with pytest.raises(FrozenInstanceError):
        arrays.travel_minutes = np.zeros(1)  # type: ignore[misc]  # the assignment is the test
    with pytest.raises(FrozenInstanceError):
        DYNAMIC_RULES[0].sites = None  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        SCORE_PARTS[0].reads = ()  # type: ignore[misc]
