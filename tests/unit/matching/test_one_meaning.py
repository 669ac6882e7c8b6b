"""Issue #14: one meaning per fact, honest gaps and tiers (unit tests and hypothesis).

* A need that describes the person's state is the same question as that need plus the
  explicit situation (``intoxicated``).
* A known age decides the age-defined populations (ranges in data/lookup_policy.json).
* Adding a fact about the person (age, language, payment, a situation, an emergency hold)
  never adds a result.
* Police drop-off only where an officer hands the person over.
* A gap notice names what blocked the places that exist, and says when only an officer's
  option did.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pmhc_directory.matching import match
from pmhc_directory.matching.policy import PolicyError, default_policy, make_policy

from . import ALWAYS, CLOSED_TILL_8, VOCAB, candidate, query
from .test_properties import (
    LANGUAGES,
    NEEDS,
    PAYMENTS,
    PROPS,
    candidate_lists,
    ids,
    queries,
)


def keys(result) -> list[tuple[str, str]]:
    return [m.candidate.key for m in result.results]


def answer(result) -> tuple:
    """Everything an officer sees of a match, comparable."""
    return (
        [(m.candidate.key, m.score, tuple(m.reasons)) for m in result.results],
        [(e.candidate.key, tuple(r.code for r in e.reasons)) for e in result.excluded],
        [(g.need, g.message, g.detail, g.cause) for g in result.gaps],
        result.more,
    )


# --- item 1: a need that implies a situation ------------------------------------------------


def test_the_intoxicated_need_applies_the_intoxication_rule() -> None:
    # Issue #14 item 1: a crisis receiving center that does not say it accepts intoxicated
    # people is not offered for the "Intoxicated" need.
    q = query(needs=("intoxicated",), transport=True)
    assert q.intoxicated is True
    westside = candidate(attributes=frozenset({"accepts-law-enforcement-dropoff"}))
    result = match(q, [westside], vocabulary=VOCAB)
    assert result.results == []
    assert [r.code for r in result.excluded[0].reasons] == ["no-intoxicated"]


@PROPS
@given(queries(), candidate_lists())
def test_a_need_implying_a_situation_is_the_need_plus_the_situation(q, cands) -> None:
    needs = (*q.needs, "intoxicated") if "intoxicated" not in q.needs else q.needs
    implied = replace(q, needs=needs, intoxicated=None)
    explicit = replace(q, needs=needs, intoxicated=True)
    assert implied.intoxicated is True
    assert answer(match(implied, cands, vocabulary=VOCAB)) == answer(
        match(explicit, cands, vocabulary=VOCAB)
    )


# --- item 1: an age decides the age-defined populations -------------------------------------


def test_an_age_satisfies_and_excludes_age_defined_populations() -> None:
    youth_only = candidate(
        service_id="larkspur", name="Larkspur", eligibility_populations=frozenset({"youth"})
    )
    older = candidate(
        service_id="sixty", name="Sixty", eligibility_populations=frozenset({"older-adults"})
    )
    fifteen = match(query(age=15), [youth_only, older], vocabulary=VOCAB)
    assert keys(fifteen) == [youth_only.key]
    assert fifteen.excluded[0].reasons[0].message == "Only for older adults (60 and over)"
    # An age outside the range wins over a population ticked besides.
    adult = match(query(age=30, populations={"youth"}), [youth_only], vocabulary=VOCAB)
    assert adult.results == []
    assert adult.excluded[0].reasons[0].message == "Only for youth (under 18)"
    # No age given: the age rules nobody out (the card shows the limit).
    assert len(match(query(), [youth_only, older], vocabulary=VOCAB).results) == 2


def test_age_ranges_are_defined_once_and_documented() -> None:
    policy = default_policy()
    ranges = {r.population: (r.low, r.high) for r in policy.age_ranges}
    assert ranges == {
        "youth": (0, 17),
        "transition-age-youth": (16, 25),
        "older-adults": (60, None),
    }
    assert policy.populations_of_age(17) == {"youth", "transition-age-youth"}
    assert policy.populations_of_age(18) == {"transition-age-youth"}
    assert policy.populations_of_age(26) == frozenset()
    assert policy.populations_of_age(60) == {"older-adults"}


@PROPS
@given(st.data(), queries(), candidate_lists())
def test_adding_a_fact_about_the_person_never_adds_results(data, q, cands) -> None:
    unknown = replace(q, age=None, language=None, payment=None, intoxicated=None)
    unknown = replace(unknown, involuntary=False)
    fact = data.draw(st.sampled_from(["age", "language", "payment", "intoxicated", "involuntary"]))
    if fact == "age":
        known = replace(unknown, age=data.draw(st.integers(0, 90)))
    elif fact == "language":
        known = replace(unknown, language=data.draw(st.sampled_from(LANGUAGES)))
    elif fact == "payment":
        known = replace(unknown, payment=data.draw(st.sampled_from(PAYMENTS)))
    elif fact == "intoxicated":
        known = replace(unknown, intoxicated=True)
    else:
        known = replace(unknown, involuntary=True)
    before = match(unknown, cands, vocabulary=VOCAB)
    after = match(known, cands, vocabulary=VOCAB)
    assert ids(m.candidate for m in after.results) <= ids(m.candidate for m in before.results)


# --- item 2: police drop-off only at a hand-over --------------------------------------------


def test_handover_types_come_from_the_taxonomy() -> None:
    assert default_policy().handover_types == set(VOCAB.service_types_in("place"))
    custom = make_policy(handover_types=["crisis-receiving"])
    assert custom.handover_types == {"crisis-receiving"}
    with pytest.raises(PolicyError, match="not a service-type code"):
        make_policy(handover_types=["clinic"])


def test_drop_off_default_leaves_clinics_and_shelters_listed() -> None:
    q = query(needs=("mental-health-care", "housing"), transport=True)
    clinic = candidate(service_id="c", name="Clinic", service_types=("outpatient-mental-health",))
    shelter = candidate(service_id="h", name="Shelter", service_types=("emergency-shelter",))
    assert len(match(q, [clinic, shelter], vocabulary=VOCAB).results) == 2


# --- item 3: honest gaps --------------------------------------------------------------------


def test_a_gap_names_what_blocked_the_places_that_exist() -> None:
    q = query(transport=True)
    no_dropoff = [
        candidate(service_id=f"r{n}", name=f"R{n}", travel_minutes=10.0 + n) for n in range(3)
    ]
    shut = candidate(service_id="shut", name="Shut", open_state=CLOSED_TILL_8)
    result = match(q, [*no_dropoff, shut], vocabulary=VOCAB)
    (gap,) = [g for g in result.gaps if g.need == "crisis-now"]
    assert gap.blocked == (("no-law-enforcement-dropoff", 4), ("closed", 1))
    assert gap.left_out == 4 and gap.by_options == 3 and gap.cause == "options"
    assert gap.detail == (
        "4 places within 12 minutes were left out: "
        "all do not take police drop-off; 1 closed until 8:00 AM"
    )


def test_a_gap_on_the_persons_facts_is_a_facts_gap() -> None:
    q = query(age=30)
    youth = candidate(eligibility_populations=frozenset({"youth"}))
    (gap, *_) = match(q, [youth], vocabulary=VOCAB).gaps
    assert gap.cause == "facts" and gap.by_options == 0
    assert gap.detail == "1 place within 10 minutes was left out: only for youth (under 18)"
    # Nothing of the kind at all: no detail, still a facts gap.
    (empty, *_) = match(q, [], vocabulary=VOCAB).gaps
    assert (empty.left_out, empty.detail, empty.cause) == (0, None, "facts")


def test_a_maximum_travel_time_is_an_option_the_default_limit_is_not() -> None:
    far = candidate(travel_minutes=50.0, open_state=ALWAYS)
    (default_gap, *_) = match(query(), [far], vocabulary=VOCAB).gaps
    assert default_gap.cause == "facts"
    (chosen_gap, *_) = match(query(max_minutes=30), [far], vocabulary=VOCAB).gaps
    assert chosen_gap.cause == "options"


@PROPS
@given(queries(), candidate_lists())
def test_an_options_gap_has_places_that_the_options_alone_left_out(q, cands) -> None:
    q = replace(q, max_minutes=None)
    result = match(q, cands, vocabulary=VOCAB)
    relaxed = match(replace(q, transport=False), cands, vocabulary=VOCAB)
    relaxed_needs = {g.need for g in relaxed.gaps}
    for gap in result.gaps:
        assert gap.left_out >= gap.by_options
        assert (gap.cause == "options") == (gap.by_options > 0)
        if gap.cause == "options" and gap.need is not None:
            # Without the officer's option something of this need is offered.
            assert gap.need not in relaxed_needs


@pytest.mark.parametrize("need", NEEDS)
def test_every_need_has_a_policy_answer(need: str) -> None:
    policy = default_policy()
    preferred = VOCAB.service_types_for_need(need)
    assert [policy.tier(need, t, preferred) for t in preferred] == list(range(len(preferred)))


# --- scenario 2: a phone line is not where an officer drives ---------------------------------


def test_with_drive_them_there_a_phone_line_comes_after_every_place() -> None:
    line = candidate(
        service_id="line",
        name="Line",
        service_types=("crisis-line",),
        travel_minutes=None,
        distance_km=None,
    )
    place = candidate(
        service_id="er",
        name="ER",
        service_types=("psychiatric-emergency",),
        attributes=frozenset({"accepts-law-enforcement-dropoff"}),
    )
    driving = match(query(needs=("suicide-risk",), transport=True), [line, place], vocabulary=VOCAB)
    assert keys(driving) == [place.key, line.key]
    assert driving.results[1].reasons[0] == (
        "Crisis line: a phone line, listed after the places you can drive to"
    )
    talking = match(query(needs=("suicide-risk",)), [line, place], vocabulary=VOCAB)
    assert keys(talking) == [line.key, place.key]  # the need's first choice


# --- item 6: eligibility in plain words ------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "tags"),
    [
        ({"minimum_age": 18}, ["18+"]),
        ({"maximum_age": 17}, ["Under 18"]),
        ({"minimum_age": 16, "maximum_age": 25}, ["Ages 16-25"]),
        ({"minimum_age": 0, "maximum_age": None}, []),
        ({"eligibility_populations": frozenset({"women"})}, ["Women only"]),
        ({"eligibility_populations": frozenset({"women", "men"})}, []),
        (
            {"eligibility_populations": frozenset({"older-adults"})},
            ["Older adults, 60 and over only"],
        ),
        ({"eligibility_populations": frozenset({"veterans"})}, ["Veterans only"]),
        (
            {"minimum_age": 12, "maximum_age": 17, "eligibility_populations": frozenset({"youth"})},
            ["Ages 12-17"],
        ),
        ({"attributes": frozenset({"voluntary-only"})}, ["Voluntary only"]),
        ({"application_process": "Call for an appointment."}, ["Appointment needed"]),
        ({"application_process": "Walk in, no appointment needed."}, []),
        (
            {"application_process": "By appointment", "attributes": frozenset({"walk-in"})},
            [],
        ),
    ],
)
def test_eligibility_tags(fields, tags) -> None:
    from pmhc_directory.matching.tags import eligibility_tags

    assert eligibility_tags(candidate(**fields), default_policy(), VOCAB) == tags
