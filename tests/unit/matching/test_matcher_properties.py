"""More matcher invariants on random inventories and queries (hypothesis).

``test_properties.py`` checks results against ``exclusions()`` itself; here every hard rule is
restated from docs/matching.md as an independent oracle, so a rule that stops excluding what
it should is caught even when ``exclusions()`` agrees with it. Also: several constraints added
at once never add results, a service that gets worse never gains a place, and the limit only
cuts the ranked list.
"""

from __future__ import annotations

import math
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmhc_directory.hours import OpenState
from pmhc_directory.matching import Candidate, Capacity, Query, fit_of, match

from . import VOCAB
from .test_properties import (
    LANGUAGES,
    PAYMENTS,
    POPULATIONS,
    candidate_lists,
    ids,
    queries,
)

GENDER_POPULATIONS = {"woman": "women", "man": "men"}
DROP_OFF = {"accepts-law-enforcement-dropoff", "law-enforcement-no-refusal"}
GRANTING = DROP_OFF | {"accepts-intoxicated", "accepts-involuntary"}
NOT_A_DESTINATION = {"contact", "respond"}
CRISIS_CONTINUUM = {"contact", "respond", "place"}
DEFAULT_CAP = {"contact": None, "respond": 60, "place": 45}
# docs/matching.md: youth and children under 18, transition-age youth 16-25, older adults 60+.
AGE_RANGES = {"youth": (0, 17), "transition-age-youth": (16, 25), "older-adults": (60, None)}
# 50 random inventories of up to 12 services per property (5 properties: 250 matches).
PROPS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def broken_rules(q: Query, c: Candidate) -> list[str]:
    """Every hard rule of docs/matching.md that ``c`` breaks for ``q``, worked out afresh."""
    fit = fit_of(q, c, VOCAB)
    assert fit is not None
    broken = []
    if c.status.strip().casefold() != "active":
        broken.append("inactive")
    if c.open_state.open_now is False:
        broken.append("closed")
    require_open = q.require_open
    if require_open is None:
        require_open = fit.continuum in CRISIS_CONTINUUM
    if c.open_state.open_now is None and require_open:
        broken.append("hours-unknown")
    if (c.goes_to_person or c.residency_restricted) and c.in_service_area is False:
        broken.append("outside-service-area")
    if q.max_minutes is None:
        cap = DEFAULT_CAP.get(fit.continuum or "", 60)
    else:
        cap = None if math.isinf(q.max_minutes) else q.max_minutes
    judged_by_area = c.goes_to_person and c.in_service_area is not None
    far = cap is not None and c.travel_minutes is not None and c.travel_minutes > cap
    if far and not judged_by_area:
        broken.append("too-far")
    too_young = q.age is not None and c.minimum_age is not None and q.age < c.minimum_age
    too_old = q.age is not None and c.maximum_age is not None and q.age > c.maximum_age
    if too_young or too_old:
        broken.append("age")
    required = c.eligibility_populations - set(GENDER_POPULATIONS.values())
    # An age decides the age-defined groups; with no age they rule nobody out.
    groups = set(q.populations)
    if q.age is not None:
        groups = (groups - set(AGE_RANGES)) | {
            p
            for p, (low, high) in AGE_RANGES.items()
            if low <= q.age and (high is None or q.age <= high)
        }
    age_unknown_group = q.age is None and required & set(AGE_RANGES)
    if required and not required & groups and not age_unknown_group:
        broken.append("population")
    genders = c.eligibility_populations & set(GENDER_POPULATIONS.values())
    one_gender = bool(genders) and genders != set(GENDER_POPULATIONS.values())
    if one_gender and (q.gender is None or GENDER_POPULATIONS[q.gender] not in genders):
        broken.append("gender")
    if q.payment is not None and c.payments and "free" not in c.payments:
        covered = q.payment in c.payments or (
            q.payment == "uninsured" and "sliding-fee" in c.payments
        )
        if not covered:
            broken.append("payment")
    if q.language is not None and not c.interpretation:
        served = {code.split("-")[0].casefold() for code in c.languages} or {"en"}
        if q.language not in served:
            broken.append("language")
    destination = not c.goes_to_person and fit.continuum not in NOT_A_DESTINATION
    # Police drop-off only where an officer hands over: the "place" element's types.
    handover = not c.goes_to_person and fit.continuum == "place"
    if q.transport and handover and not DROP_OFF & c.attributes:
        broken.append("no-law-enforcement-dropoff")
    takes_intoxicated = "accepts-intoxicated" in c.attributes or (
        "sobering-center" in c.service_types
    )
    if q.intoxicated is True and destination and not takes_intoxicated:
        broken.append("no-intoxicated")
    if q.involuntary and "accepts-involuntary" not in c.attributes:
        broken.append("no-involuntary")
    if q.involuntary and "voluntary-only" in c.attributes:
        broken.append("voluntary-only")
    cap_report = c.capacity
    if cap_report is not None and cap_report.fresh and (cap_report.available or 0) <= 0:
        broken.append("full")
    return broken


@PROPS
@given(queries(), candidate_lists())
def test_results_break_no_rule_and_exclusions_give_the_rules_broken(q, cands):
    result = match(q, cands, vocabulary=VOCAB)
    for m in result.results:
        assert broken_rules(q, m.candidate) == [], m.candidate
    for item in result.excluded:
        if item.candidate.is_national:
            continue
        assert [r.code for r in item.reasons] == broken_rules(q, item.candidate)


@st.composite
def several_tightenings(draw: st.DrawFn, q: Query) -> Query:
    """``q`` with one to four constraints added (each can only shrink the eligible set)."""
    changes: dict[str, object] = {}
    for name in draw(
        st.lists(
            st.sampled_from(
                ["transport", "intoxicated", "involuntary", "require_open", "max_minutes"]
                + [n for n in ("age", "payment", "language") if getattr(q, n) is None]
            ),
            min_size=1,
            max_size=4,
            unique=True,
        )
    ):
        if name in ("transport", "involuntary", "require_open", "intoxicated"):
            changes[name] = True
        elif name == "max_minutes":
            current = 45.0 if q.max_minutes is None else min(q.max_minutes, 45.0)
            changes[name] = draw(st.floats(0, current))
        elif name == "age":
            changes[name] = draw(st.integers(0, 90))
        elif name == "payment":
            changes[name] = draw(st.sampled_from(PAYMENTS))
        else:
            changes[name] = draw(st.sampled_from(LANGUAGES))
    return replace(q, **changes)


@PROPS
@given(st.data(), queries(), candidate_lists())
def test_adding_several_constraints_never_adds_results(data, q, cands):
    tighter = data.draw(several_tightenings(q))
    before = match(q, cands, vocabulary=VOCAB)
    after = match(tighter, cands, vocabulary=VOCAB)
    assert ids(m.candidate for m in after.results) <= ids(m.candidate for m in before.results)
    assert len(after.results) + after.more <= len(before.results) + before.more


@st.composite
def worsenings(draw: st.DrawFn, c: Candidate) -> Candidate:
    """``c`` made worse in one way a coordinator could record."""
    how = draw(
        st.sampled_from(
            ["closed", "full", "inactive", "farther", "fewer-attributes", "fewer-payments", "older"]
        )
    )
    if how == "closed":
        return replace(c, open_state=OpenState(False, False, None, None))
    if how == "full":
        return replace(c, capacity=Capacity(available=0, maximum=10, stale=False))
    if how == "inactive":
        return replace(c, status="inactive")
    if how == "farther":
        return replace(c, travel_minutes=(c.travel_minutes or 0.0) + draw(st.floats(1, 120)))
    if how == "fewer-attributes":
        # Only attributes that let people in; dropping a restriction (voluntary-only) helps.
        dropped = draw(st.sets(st.sampled_from(sorted(GRANTING))))
        return replace(c, attributes=c.attributes - dropped)
    if how == "fewer-payments":
        keep = draw(st.sets(st.sampled_from(sorted(c.payments)))) if c.payments else set()
        # An empty list means "not stated" (never a refusal): keep at least one payment.
        return replace(c, payments=frozenset(keep or c.payments))
    return replace(c, minimum_age=(c.minimum_age or 0) + draw(st.integers(1, 40)))


@PROPS
@given(st.data(), queries(), candidate_lists())
def test_a_service_that_gets_worse_never_gains_a_place(data, q, cands):
    if not cands:
        return
    index = data.draw(st.integers(0, len(cands) - 1))
    worse = data.draw(worsenings(cands[index]))
    changed = [*cands[:index], worse, *cands[index + 1 :]]
    before = ids(m.candidate for m in match(q, cands, vocabulary=VOCAB).results)
    after = ids(m.candidate for m in match(q, changed, vocabulary=VOCAB).results)
    if worse.key in after:
        assert worse.key in before
    others_before = before - {worse.key}
    others_after = after - {worse.key}
    assert others_before == others_after


@PROPS
@given(queries(), candidate_lists(), st.integers(1, 12))
def test_the_limit_only_cuts_the_ranked_list(q, cands, limit):
    everything = match(q, cands, vocabulary=VOCAB)
    cut = match(replace(q, limit=limit), cands, vocabulary=VOCAB)
    keys = [m.candidate.key for m in everything.results]
    assert [m.candidate.key for m in cut.results] == keys[:limit]
    assert cut.more == max(len(keys) - limit, 0)


@PROPS
@given(queries(), candidate_lists(), st.sampled_from(POPULATIONS))
def test_eligibility_for_a_group_is_never_offered_to_others(q, cands, group):
    only = [
        replace(c, eligibility_populations=frozenset({group}))
        for c in cands
        if group not in ("women", "men")
    ]
    outsider = replace(q, populations=q.populations - {group})
    if group in AGE_RANGES:
        # An age group's outsiders are the ages outside its range.
        low, high = AGE_RANGES[group]
        outsider = replace(outsider, age=low - 1 if low > 0 else (high or 0) + 1)
    assert not match(outsider, only, vocabulary=VOCAB).results
