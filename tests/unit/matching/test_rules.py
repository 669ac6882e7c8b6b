"""Every hard rule, one at a time: when it excludes, with which code and words, and when not."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from pmhc_directory.hours import OpenState
from pmhc_directory.matching import Capacity, Query, exclusions, fit_of, rules

from . import (
    AT,
    CLOSED_TILL_8,
    HOURS_UNKNOWN,
    OPEN_TILL_5,
    VOCAB,
    candidate,
    fit,
    fresh,
    query,
    stale,
)


def codes(q: Query, **overrides: object) -> list[str]:
    c = candidate(**overrides)
    return [e.code for e in exclusions(q, c, fit(q, c))]


def test_baseline_candidate_breaks_no_rule() -> None:
    assert codes(query()) == []


def test_rule_codes_are_exactly_the_api_codes() -> None:
    q = query(
        age=30,
        language="vi",
        payment="medicaid",
        gender="man",
        transport=True,
        intoxicated=True,
        involuntary=True,
        max_minutes=5,
    )
    c = candidate(
        status="temporarily closed",
        open_state=CLOSED_TILL_8,
        residency_restricted=True,
        in_service_area=False,
        minimum_age=60,
        eligibility_populations=frozenset({"veterans", "women"}),
        payments=frozenset({"private-insurance"}),
        languages=frozenset({"en"}),
        attributes=frozenset({"voluntary-only"}),
        capacity=fresh(0),
    )
    found = [e.code for e in exclusions(q, c, fit(q, c))]
    assert found == [
        "inactive",
        "closed",
        "outside-service-area",
        "too-far",
        "age",
        "population",
        "gender",
        "payment",
        "language",
        "no-law-enforcement-dropoff",
        "no-intoxicated",
        "no-involuntary",
        "voluntary-only",
        "full",
    ]


# --- inactive ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("inactive", "Not active (status: inactive)"),
        ("temporarily closed", "Temporarily closed"),
        ("Temporarily Closed", "Temporarily closed"),
        ("defunct", "No longer operating"),
        ("", "Not active (status: unknown)"),
    ],
)
def test_inactive(status: str, message: str) -> None:
    q = query()
    c = candidate(status=status)
    assert rules.inactive(q, c, fit(q, c)) == rules.Exclusion("inactive", message)


def test_active_with_spaces_and_case_is_active() -> None:
    assert codes(query(), status=" Active ") == []


# --- closed / hours-unknown -------------------------------------------------------------------


def test_closed_names_the_opening_time() -> None:
    q = query()
    c = candidate(open_state=CLOSED_TILL_8)
    assert rules.closed(q, c, fit(q, c)) == rules.Exclusion("closed", "Closed until 8:00 AM")


def test_closed_on_another_day_names_the_day() -> None:
    q = query()
    monday = OpenState(False, False, None, AT.replace(day=30, hour=9))
    c = candidate(open_state=monday)
    assert rules.closed(q, c, fit(q, c)).message == "Closed until Mon 9:00 AM"


def test_closed_far_ahead_names_the_date() -> None:
    q = query()
    later = OpenState(False, False, None, AT + timedelta(days=20))
    c = candidate(open_state=later)
    assert rules.closed(q, c, fit(q, c)).message == "Closed until Dec 18 2:00 AM"


def test_closed_with_no_next_opening() -> None:
    q = query()
    c = candidate(open_state=OpenState(False, False, None, None))
    assert rules.closed(q, c, fit(q, c)).message == "Closed until unknown"


def test_closed_excludes_even_when_open_is_not_required() -> None:
    assert codes(query(require_open=False), open_state=CLOSED_TILL_8) == ["closed"]


def test_closed_applies_to_teams_that_come_to_the_person() -> None:
    q = query()
    c = candidate(service_types=("mobile-crisis",), goes_to_person=True, open_state=CLOSED_TILL_8)
    assert [e.code for e in exclusions(q, c, fit(q, c))] == ["closed"]


def test_open_with_known_close_is_not_closed() -> None:
    assert codes(query(), open_state=OPEN_TILL_5) == []


def test_hours_unknown_excluded_for_crisis_services_by_default() -> None:
    assert codes(query(), open_state=HOURS_UNKNOWN) == ["hours-unknown"]


def test_hours_unknown_allowed_for_treatment_by_default() -> None:
    q = query(needs=("mental-health-care",))
    assert codes(q, service_types=("outpatient-mental-health",), open_state=HOURS_UNKNOWN) == []


def test_hours_unknown_when_query_requires_open_for_treatment() -> None:
    q = query(needs=("mental-health-care",), require_open=True)
    c = {"service_types": ("outpatient-mental-health",), "open_state": HOURS_UNKNOWN}
    assert codes(q, **c) == ["hours-unknown"]


def test_hours_unknown_allowed_when_query_waives_open() -> None:
    assert codes(query(require_open=False), open_state=HOURS_UNKNOWN) == []


# --- outside-service-area / too-far -----------------------------------------------------------


def test_team_outside_its_area_is_excluded() -> None:
    q = query()
    c = candidate(service_types=("mobile-crisis",), goes_to_person=True, in_service_area=False)
    assert rules.outside_service_area(q, c, fit(q, c)) == rules.Exclusion(
        "outside-service-area", "Does not come to this location"
    )


def test_residency_restricted_outside_area_is_excluded() -> None:
    q = query()
    c = candidate(residency_restricted=True, in_service_area=False)
    assert rules.outside_service_area(q, c, fit(q, c)).code == "outside-service-area"


@pytest.mark.parametrize("inside", [True, None])
def test_area_inside_or_undefined_is_fine(inside: bool | None) -> None:
    assert codes(query(), goes_to_person=True, in_service_area=inside) == []


def test_ordinary_place_ignores_service_area() -> None:
    assert codes(query(), in_service_area=False) == []


def test_too_far_uses_the_place_default_of_45_minutes() -> None:
    assert codes(query(), travel_minutes=45.0) == []
    q = query()
    c = candidate(travel_minutes=50.4)
    assert rules.too_far(q, c, fit(q, c)) == rules.Exclusion(
        "too-far", "50 min away, over the 45-minute limit"
    )


def test_too_far_uses_the_query_cap() -> None:
    assert codes(query(max_minutes=8), travel_minutes=10.0) == ["too-far"]
    assert codes(query(max_minutes=math.inf), travel_minutes=500.0) == []


def test_too_far_defaults_for_treatment_are_60() -> None:
    q = query(needs=("mental-health-care",))
    assert codes(q, service_types=("outpatient-mental-health",), travel_minutes=55.0) == []
    assert codes(q, service_types=("outpatient-mental-health",), travel_minutes=61.0) == ["too-far"]


def test_phone_lines_have_no_travel_cap_by_default() -> None:
    q = query(needs=("someone-to-talk-to",))
    assert codes(q, service_types=("warmline",), travel_minutes=900.0) == []


def test_team_that_comes_is_judged_by_area_not_distance() -> None:
    q = query(max_minutes=5)
    assert (
        codes(
            q,
            service_types=("mobile-crisis",),
            goes_to_person=True,
            in_service_area=True,
            travel_minutes=90.0,
        )
        == []
    )


def test_unknown_travel_time_is_not_too_far() -> None:
    assert codes(query(max_minutes=1), travel_minutes=None) == []


# --- age / population / gender ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "person", "message"),
    [
        (18, None, 17, "Ages 18 and over only"),
        (None, 17, 18, "Ages 17 and under only"),
        (12, 17, 11, "Ages 12-17 only"),
        (12, 17, 18, "Ages 12-17 only"),
    ],
)
def test_age_outside(low: int | None, high: int | None, person: int, message: str) -> None:
    q = query(age=person)
    c = candidate(minimum_age=low, maximum_age=high)
    assert rules.age(q, c, fit(q, c)) == rules.Exclusion("age", message)


@pytest.mark.parametrize("person", [12, 15, 17])
def test_age_bounds_are_inclusive(person: int) -> None:
    assert codes(query(age=person), minimum_age=12, maximum_age=17) == []


def test_age_not_given_is_not_checked() -> None:
    assert codes(query(), minimum_age=12, maximum_age=17) == []


def test_population_restriction_not_met() -> None:
    q = query(populations=frozenset({"youth"}))
    c = candidate(eligibility_populations=frozenset({"veterans"}))
    assert rules.population(q, c, fit(q, c)) == rules.Exclusion("population", "Only for veterans")


def test_population_restriction_unknown_person_is_excluded() -> None:
    c = {"eligibility_populations": frozenset({"people-experiencing-homelessness", "veterans"})}
    q = query()
    e = rules.population(q, candidate(**c), fit(q, candidate(**c)))
    assert e.message == "Only for people experiencing homelessness or veterans"


def test_population_restriction_met_by_any_of_them() -> None:
    q = query(populations=frozenset({"veterans"}))
    both = frozenset({"veterans", "tribal-members"})
    assert codes(q, eligibility_populations=both) == []


def test_audience_populations_never_exclude() -> None:
    assert codes(query(), audience_populations=frozenset({"veterans"})) == []


def test_gender_populations_are_not_population_restrictions() -> None:
    q = query(gender="woman")
    assert codes(q, eligibility_populations=frozenset({"women"})) == []


@pytest.mark.parametrize(
    ("person", "allowed", "message"),
    [
        ("man", "women", "Women only"),
        ("woman", "men", "Men only"),
        (None, "women", "Women only (gender not given)"),
    ],
)
def test_gender(person: str | None, allowed: str, message: str) -> None:
    q = query(gender=person)
    c = candidate(eligibility_populations=frozenset({allowed}))
    assert rules.gender(q, c, fit(q, c)) == rules.Exclusion("gender", message)


def test_gender_both_listed_means_no_restriction() -> None:
    assert codes(query(), eligibility_populations=frozenset({"women", "men"})) == []


# --- payment / language -----------------------------------------------------------------------


def test_payment_not_accepted() -> None:
    q = query(payment="medicaid")
    c = candidate(payments=frozenset({"private-insurance"}))
    assert rules.payment(q, c, fit(q, c)) == rules.Exclusion("payment", "Does not take Medicaid")


def test_payment_accepted() -> None:
    assert codes(query(payment="medicaid"), payments=frozenset({"medicaid", "medicare"})) == []


def test_payment_unknown_at_service_is_not_excluded() -> None:
    assert codes(query(payment="medicaid"), payments=frozenset()) == []


def test_free_service_takes_everyone() -> None:
    assert codes(query(payment="private-insurance"), payments=frozenset({"free"})) == []


def test_sliding_fee_covers_uninsured_only() -> None:
    assert codes(query(payment="uninsured"), payments=frozenset({"sliding-fee"})) == []
    assert codes(query(payment="medicaid"), payments=frozenset({"sliding-fee"})) == ["payment"]


def test_language_not_served() -> None:
    q = query(language="es")
    c = candidate(languages=frozenset({"en"}))
    assert rules.language(q, c, fit(q, c)) == rules.Exclusion(
        "language", "No Spanish and no interpretation"
    )


def test_language_served_with_region_and_case() -> None:
    assert codes(query(language="ES-mx"), languages=frozenset({"es"})) == []
    assert codes(query(language="es"), languages=frozenset({"es-MX"})) == []


def test_language_interpretation_serves_any_language() -> None:
    assert codes(query(language="so"), languages=frozenset({"en"}), interpretation=True) == []


def test_no_languages_listed_means_english_only() -> None:
    assert codes(query(language="en"), languages=frozenset()) == []
    assert codes(query(language="es"), languages=frozenset()) == ["language"]


# --- drop-off / intoxicated / involuntary -----------------------------------------------------


def test_transport_needs_dropoff_at_a_place() -> None:
    q = query(transport=True)
    c = candidate()
    assert rules.no_law_enforcement_dropoff(q, c, fit(q, c)) == rules.Exclusion(
        "no-law-enforcement-dropoff", "Does not take police drop-offs"
    )


@pytest.mark.parametrize(
    "attribute", ["accepts-law-enforcement-dropoff", "law-enforcement-no-refusal"]
)
def test_transport_with_dropoff_or_no_refusal(attribute: str) -> None:
    assert codes(query(transport=True), attributes=frozenset({attribute})) == []


def test_transport_rule_skips_lines_and_teams() -> None:
    q = query(transport=True, needs=("someone-to-talk-to",))
    assert codes(q, service_types=("warmline",)) == []
    q = query(transport=True)
    team = {"service_types": ("mobile-crisis",), "goes_to_person": True}
    assert codes(q, **team) == []


def test_transport_applies_only_where_an_officer_hands_over() -> None:
    # Issue #14 item 2: a clinic, a shelter or a justice programme is not a hand-over.
    q = query(transport=True, needs=("mental-health-care", "housing", "diversion"))
    for kind in ("outpatient-mental-health", "emergency-shelter", "pre-arrest-diversion"):
        assert codes(q, service_types=(kind,)) == [], kind
    for kind in ("crisis-receiving", "sobering-center", "psychiatric-emergency"):
        crisis = query(transport=True, needs=("crisis-now", "intoxicated"))
        found = codes(crisis, service_types=(kind,), attributes=frozenset({"accepts-intoxicated"}))
        assert found == ["no-law-enforcement-dropoff"], kind


def test_intoxicated_needs_acceptance() -> None:
    q = query(intoxicated=True)
    c = candidate()
    assert rules.no_intoxicated(q, c, fit(q, c)).code == "no-intoxicated"
    assert codes(q, attributes=frozenset({"accepts-intoxicated"})) == []


def test_sobering_center_accepts_intoxicated_by_definition() -> None:
    q = query(needs=("intoxicated",), intoxicated=True)
    assert codes(q, service_types=("sobering-center",)) == []


@pytest.mark.parametrize("flag", [False, None])
def test_intoxicated_false_or_unknown_is_not_checked(flag: bool | None) -> None:
    assert codes(query(intoxicated=flag)) == []


def test_intoxicated_rule_skips_teams() -> None:
    q = query(intoxicated=True)
    assert codes(q, service_types=("mobile-crisis",), goes_to_person=True) == []


def test_involuntary_needs_acceptance() -> None:
    q = query(involuntary=True)
    c = candidate()
    assert rules.no_involuntary(q, c, fit(q, c)) == rules.Exclusion(
        "no-involuntary", "Does not take people on an emergency hold"
    )
    assert codes(q, attributes=frozenset({"accepts-involuntary"})) == []


def test_voluntary_only_reported_with_no_involuntary() -> None:
    q = query(involuntary=True)
    assert codes(q, attributes=frozenset({"voluntary-only"})) == [
        "no-involuntary",
        "voluntary-only",
    ]
    assert codes(query(), attributes=frozenset({"voluntary-only"})) == []


# --- full -------------------------------------------------------------------------------------


def test_full_when_fresh_zero() -> None:
    q = query()
    c = candidate(capacity=fresh(0))
    assert rules.full(q, c, fit(q, c)) == rules.Exclusion("full", "Full (no free places reported)")


def test_stale_zero_is_not_trusted() -> None:
    assert codes(query(), capacity=stale(0)) == []


def test_free_units_or_unknown_is_not_full() -> None:
    assert codes(query(), capacity=fresh(2)) == []
    assert codes(query(), capacity=Capacity(available=None)) == []
    assert codes(query(), capacity=None) == []


# --- fit --------------------------------------------------------------------------------------


def test_fit_picks_best_preference_and_defaults() -> None:
    q = query(needs=("crisis-now",))
    c = candidate(service_types=("psychiatric-emergency", "crisis-receiving"))
    f = fit(q, c)
    assert (f.service_type, f.need, f.position, f.choices) == (
        "crisis-receiving",
        "crisis-now",
        0,
        5,
    )
    assert (f.continuum, f.require_open, f.max_minutes) == ("place", True, 45)


def test_fit_explicit_type_counts_as_first_choice() -> None:
    q = query(needs=(), types=("psychiatric-emergency",))
    f = fit(q, candidate(service_types=("psychiatric-emergency",)))
    assert (f.need, f.position) == (None, 0)


def test_fit_none_when_irrelevant() -> None:
    q = query()
    assert fit_of(q, candidate(service_types=("emergency-shelter",)), VOCAB) is None
    assert fit_of(q, candidate(service_types=("made-up",)), VOCAB) is None
