"""Screening's premises: each rule and score part reads only the fields it declares.

``matching.screen`` evaluates a rule once per distinct combination of its declared fields
(``rules.STATIC_RULE_INPUTS``, ``rules.DYNAMIC_RULE_INPUTS``, ``screen.STATIC_SCORE_INPUTS``).
Here two random candidates that agree on those fields, and differ in everything else, must get
the same answer for every random query. The equality of screened and full answers on a
synthetic state is tests/integration/test_lookup_screening.py.
"""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmhc_directory.matching import Candidate, fit_of, ranking
from pmhc_directory.matching.rules import DYNAMIC_RULE_INPUTS, RULES, STATIC_RULE_INPUTS
from pmhc_directory.matching.screen import (
    STATIC_SCORE_INPUTS,
    Screening,
    best_positions,
)

from . import VOCAB
from .test_properties import candidates, queries

DECLARED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CANDIDATE_FIELDS = [f.name for f in fields(Candidate)]


def _same_declared(first: Candidate, second: Candidate, declared: tuple[str, ...]) -> Candidate:
    """``second`` with ``first``'s values for the declared fields."""
    return replace(second, **{name: getattr(first, name) for name in declared})


def test_every_rule_is_declared_once():
    assert set(STATIC_RULE_INPUTS) | set(DYNAMIC_RULE_INPUTS) == set(RULES)
    assert not set(STATIC_RULE_INPUTS) & set(DYNAMIC_RULE_INPUTS)
    for declared in [*STATIC_RULE_INPUTS.values(), *DYNAMIC_RULE_INPUTS.values()]:
        assert set(declared) <= set(CANDIDATE_FIELDS)


@DECLARED
@given(queries(), candidates(0), candidates(1))
def test_rules_read_only_their_declared_fields(query, first, other):
    for rule, declared in [*STATIC_RULE_INPUTS.items(), *DYNAMIC_RULE_INPUTS.items()]:
        second = _same_declared(first, other, declared)
        fit_first = fit_of(query, first, VOCAB)
        fit_second = fit_of(query, second, VOCAB)
        if fit_first is None:
            continue  # the matcher applies no rule to a candidate it finds irrelevant
        assert rule(query, first, fit_first) == rule(query, second, fit_second), rule.__name__


@DECLARED
@given(queries(), candidates(0), candidates(1))
def test_static_score_parts_read_only_their_declared_fields(query, first, other):
    parts = {
        "diversion": lambda c: ranking.diversion_part(c),
        "verified": lambda c: ranking.verified_part(c, query.at),
    }
    assert set(parts) == set(STATIC_SCORE_INPUTS)
    for name, declared in STATIC_SCORE_INPUTS.items():
        second = _same_declared(first, other, declared)
        assert parts[name](first) == parts[name](second)


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
