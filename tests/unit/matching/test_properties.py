"""Invariants for random candidates and queries (hypothesis)."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmhc_directory.hours import OpenState
from pmhc_directory.matching import Candidate, Capacity, Query, exclusions, fit_of, match

from . import AT, VOCAB

TYPES = VOCAB.codes("service-type")
NEEDS = VOCAB.codes("need")
ATTRIBUTES = VOCAB.codes("attribute")
PAYMENTS = VOCAB.codes("payment")
POPULATIONS = VOCAB.codes("population")
LANGUAGES = ["en", "es", "vi", "so"]

open_states = st.sampled_from(
    [
        OpenState(True, True, None, None),
        OpenState(True, False, AT + timedelta(hours=3), None),
        OpenState(True, False, AT + timedelta(minutes=10), None),
        OpenState(True, False, None, None),
        OpenState(False, False, None, AT + timedelta(hours=6)),
        OpenState(False, False, None, None),
        OpenState(None, False, None, None),
    ]
)
capacities = st.one_of(
    st.none(),
    st.builds(
        Capacity,
        available=st.one_of(st.none(), st.integers(0, 5)),
        maximum=st.just(10),
        unit=st.sampled_from(["bed", "chair", None]),
        updated=st.just(AT - timedelta(minutes=45)),
        stale=st.booleans(),
    ),
)
small_sets = st.frozensets


@st.composite
def candidates(draw: st.DrawFn, index: int) -> Candidate:
    low = draw(st.one_of(st.none(), st.integers(0, 30)))
    return Candidate(
        service_id=f"s{index}",
        service_at_location_id=draw(st.sampled_from([None, f"l{index}"])),
        name=draw(st.sampled_from(["Alpha", "beta", "Gamma", "Delta"])),
        service_types=tuple(draw(st.lists(st.sampled_from(TYPES), min_size=1, max_size=3))),
        attributes=draw(small_sets(st.sampled_from(ATTRIBUTES), max_size=5)),
        status=draw(st.sampled_from(["active"] * 6 + ["inactive", "temporarily closed"])),
        minimum_age=low,
        maximum_age=draw(st.one_of(st.none(), st.integers(low or 0, 90))),
        eligibility_populations=draw(small_sets(st.sampled_from(POPULATIONS), max_size=2)),
        audience_populations=draw(small_sets(st.sampled_from(POPULATIONS), max_size=2)),
        payments=draw(small_sets(st.sampled_from(PAYMENTS), max_size=3)),
        languages=draw(small_sets(st.sampled_from(LANGUAGES), max_size=2)),
        interpretation=draw(st.booleans()),
        open_state=draw(open_states),
        capacity=draw(capacities),
        travel_minutes=draw(st.one_of(st.none(), st.floats(0, 120))),
        in_service_area=draw(st.sampled_from([True, False, None])),
        goes_to_person=draw(st.booleans()),
        residency_restricted=draw(st.booleans()),
        assured_date=draw(st.one_of(st.none(), st.dates(date(2024, 1, 1), date(2026, 11, 28)))),
        is_national=draw(st.integers(0, 9)) == 0,
    )


@st.composite
def candidate_lists(draw: st.DrawFn) -> list[Candidate]:
    size = draw(st.integers(0, 12))
    return [draw(candidates(n)) for n in range(size)]


@st.composite
def queries(draw: st.DrawFn) -> Query:
    needs = draw(st.lists(st.sampled_from(NEEDS), max_size=3))
    types = draw(st.lists(st.sampled_from(TYPES), min_size=0 if needs else 1, max_size=3))
    return Query(
        at=AT,
        needs=tuple(needs),
        types=tuple(types),
        age=draw(st.one_of(st.none(), st.integers(0, 90))),
        language=draw(st.one_of(st.none(), st.sampled_from(LANGUAGES))),
        payment=draw(st.one_of(st.none(), st.sampled_from(PAYMENTS))),
        populations=draw(small_sets(st.sampled_from(POPULATIONS), max_size=2)),
        gender=draw(st.sampled_from([None, "woman", "man"])),
        transport=draw(st.booleans()),
        intoxicated=draw(st.sampled_from([None, True, False])),
        involuntary=draw(st.booleans()),
        max_minutes=draw(st.one_of(st.none(), st.floats(0, 90), st.just(math.inf))),
        limit=50,
        require_open=draw(st.sampled_from([None, True, False])),
    )


PROPS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def ids(items) -> set[tuple[str, str]]:
    return {c.key for c in items}


@PROPS
@given(queries(), candidate_lists())
def test_no_result_breaks_a_hard_rule(q: Query, cands: list[Candidate]) -> None:
    for m in match(q, cands, vocabulary=VOCAB).results:
        fit = fit_of(q, m.candidate, VOCAB)
        assert fit is not None
        assert exclusions(q, m.candidate, fit) == []
        state = m.candidate.open_state
        assert state.open_now is not False
        assert m.candidate.status.strip().casefold() == "active"
        cap = m.candidate.capacity
        assert not (cap and not cap.stale and cap.available == 0)


@PROPS
@given(queries(), candidate_lists())
def test_results_sorted_scored_and_explained(q: Query, cands: list[Candidate]) -> None:
    results = match(q, cands, vocabulary=VOCAB).results
    # Tier first (the need's preference order), then score.
    order = [(m.fit.tier, -m.score) for m in results]
    assert order == sorted(order)
    scores = [m.score for m in results]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert all(m.reasons for m in results)


@PROPS
@given(queries(), candidate_lists())
def test_partition_and_national_lines(q: Query, cands: list[Candidate]) -> None:
    result = match(q, cands, vocabulary=VOCAB)
    res, exc = ids(m.candidate for m in result.results), ids(i.candidate for i in result.excluded)
    lines = ids(result.contact_lines)
    assert not res & exc
    assert all(not m.candidate.is_national for m in result.results)
    for c in cands:
        if c.is_national:
            assert c.key in (lines if c.status == "active" else exc)
    relevant = ids(c for c in cands if not c.is_national and fit_of(q, c, VOCAB) is not None)
    assert res | (exc - ids(c for c in cands if c.is_national)) == relevant
    assert all(i.reasons for i in result.excluded)


@PROPS
@given(queries(), candidate_lists())
def test_deterministic_regardless_of_input_order(q: Query, cands: list[Candidate]) -> None:
    forward = match(q, cands, vocabulary=VOCAB)
    backward = match(q, list(reversed(cands)), vocabulary=VOCAB)
    assert [m.candidate.key for m in forward.results] == [m.candidate.key for m in backward.results]


@st.composite
def tightenings(draw: st.DrawFn, q: Query) -> Query:
    options = ["transport", "intoxicated", "involuntary", "require_open", "max_minutes"]
    options += [name for name in ("age", "payment", "language") if getattr(q, name) is None]
    name = draw(st.sampled_from(options))
    if name == "transport":
        return replace(q, transport=True)
    if name == "intoxicated":
        return replace(q, intoxicated=True)
    if name == "involuntary":
        return replace(q, involuntary=True)
    if name == "require_open":
        return replace(q, require_open=True)
    if name == "max_minutes":
        current = 45.0 if q.max_minutes is None else min(q.max_minutes, 45.0)
        return replace(q, max_minutes=draw(st.floats(0, current)))
    if name == "age":
        return replace(q, age=draw(st.integers(0, 90)))
    if name == "payment":
        return replace(q, payment=draw(st.sampled_from(PAYMENTS)))
    return replace(q, language=draw(st.sampled_from(LANGUAGES)))


@PROPS
@given(st.data(), queries(), candidate_lists())
def test_adding_a_constraint_never_adds_results(
    data: st.DataObject, q: Query, cands: list[Candidate]
) -> None:
    tighter = data.draw(tightenings(q))
    before = ids(m.candidate for m in match(q, cands, vocabulary=VOCAB).results)
    after = ids(m.candidate for m in match(tighter, cands, vocabulary=VOCAB).results)
    assert after <= before


@PROPS
@given(queries(), candidate_lists())
def test_gap_only_when_no_result_of_the_needs_types(q: Query, cands: list[Candidate]) -> None:
    result = match(q, cands, vocabulary=VOCAB)
    offered = {t for m in result.results for t in m.candidate.service_types}
    for gap in result.gaps:
        if gap.need is not None:
            assert not offered & set(VOCAB.service_types_for_need(gap.need))
        else:
            assert gap.service_type not in offered
        assert gap.message.startswith("No ")
