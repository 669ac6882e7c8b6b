"""Smaller edges of matching (issue #24 item 9): the default travel cap of each continuum
element, justice services' 60 minutes included, and the "N h ago" / "N days ago" switch at 48
hours on capacity reports."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pmhc_directory.matching import exclusions
from pmhc_directory.matching.ranking import format_age

from . import AT, VOCAB, candidate, fit, query

# One type of each continuum element, and the cap (minutes) it gets when the query sets none.
DEFAULT_CAPS = [
    pytest.param("pre-arrest-diversion", 60, id="justice"),
    pytest.param("reentry-services", 60, id="justice-reentry"),
    pytest.param("crisis-receiving", 45, id="place"),
    pytest.param("outpatient-mental-health", 60, id="treatment"),
    pytest.param("supportive-housing", 60, id="housing"),
    pytest.param("mobile-crisis", 60, id="respond-driven-to"),
]


def too_far(service_type: str, minutes: float) -> bool:
    q = query(needs=(), types=(service_type,))
    c = candidate(service_types=(service_type,), travel_minutes=minutes)
    return any(e.code == "too-far" for e in exclusions(q, c, fit(q, c)))


@pytest.mark.parametrize(("service_type", "cap"), DEFAULT_CAPS)
def test_default_travel_cap_of_each_continuum_element(service_type: str, cap: int) -> None:
    q = query(needs=(), types=(service_type,))
    assert fit(q, candidate(service_types=(service_type,))).max_minutes == cap
    assert not too_far(service_type, cap)
    assert too_far(service_type, cap + 0.5)


def test_justice_services_wait_an_hour_not_the_crisis_45_minutes() -> None:
    assert not too_far("pretrial-diversion", 50)
    assert too_far("pretrial-diversion", 61)


def test_the_cap_message_names_the_limit() -> None:
    q = query(needs=(), types=("treatment-court",))
    c = candidate(service_types=("treatment-court",), travel_minutes=75.0)
    (reason,) = [e for e in exclusions(q, c, fit(q, c)) if e.code == "too-far"]
    assert "75 min" in reason.message and "60-minute" in reason.message


def test_phone_lines_have_no_travel_cap() -> None:
    q = query(needs=(), types=("crisis-line",))
    assert fit(q, candidate(service_types=("crisis-line",))).max_minutes is None
    assert not too_far("crisis-line", 10_000)


@pytest.mark.parametrize(
    ("ago", "words"),
    [
        (timedelta(minutes=59, seconds=59), "59 min ago"),
        (timedelta(minutes=60), "1 h ago"),
        (timedelta(hours=47, minutes=59), "47 h ago"),
        (timedelta(hours=48), "2 days ago"),
        (timedelta(hours=71, minutes=59), "2 days ago"),
        (timedelta(hours=72), "3 days ago"),
    ],
)
def test_capacity_report_age_in_words(ago: timedelta, words: str) -> None:
    assert format_age(AT - ago, AT) == words


def test_vocabulary_gives_justice_types_the_justice_element() -> None:
    # The caps above are per continuum element: pin the element the types belong to.
    for service_type in ("pre-arrest-diversion", "reentry-services", "treatment-court"):
        assert VOCAB.continuum_of(service_type) == "justice"


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (10, "10th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (20, "20th"),
        (21, "21st"),
        (22, "22nd"),
        (101, "101st"),
        (111, "111th"),
        (112, "112th"),
        (703, "703rd"),
    ],
)
def test_ordinals_in_the_reasons(n: int, words: str) -> None:
    from pmhc_directory.matching.ranking import _ordinal

    assert _ordinal(n) == words


def test_a_specialism_is_named_only_when_the_person_belongs_to_it() -> None:
    from pmhc_directory.matching.ranking import reasons

    q = query(populations=frozenset({"veterans"}))
    both = candidate(audience_populations=frozenset({"veterans", "youth"}))
    other = candidate(audience_populations=frozenset({"youth"}))

    said = [r for r in reasons(q, both, fit(q, both), VOCAB) if r.startswith("Specialises")]
    assert len(said) == 1 and "veteran" in said[0].lower()
    assert not [r for r in reasons(q, other, fit(q, other), VOCAB) if "Specialises" in r]


@pytest.mark.parametrize(
    ("name", "in_a_sentence"),
    [("Sobering center", "sobering center"), ("ASL line", "ASL line"), ("X", "x"), ("", "")],
)
def test_type_names_inside_a_gap_notice(name: str, in_a_sentence: str) -> None:
    from pmhc_directory.matching.matcher import _lower_first

    assert _lower_first(name) == in_a_sentence


def test_the_options_an_officer_chose_are_named_as_such() -> None:
    from pmhc_directory.matching.matcher import option_codes

    assert option_codes(query()) == frozenset()
    assert option_codes(query(transport=True)) == {"no-law-enforcement-dropoff"}
    assert option_codes(query(max_minutes=20)) == {"too-far"}
    both = option_codes(query(transport=True, max_minutes=20))
    assert both == {"no-law-enforcement-dropoff", "too-far"}


def test_a_gap_counts_its_own_places_past_places_of_other_types() -> None:
    from pmhc_directory.matching import match

    from . import CLOSED_TILL_8

    q = query(needs=(), types=("crisis-receiving", "sobering-center"))
    places = [
        candidate(
            service_id=f"r{n}",
            name=f"Receiving {n}",
            open_state=CLOSED_TILL_8,
            travel_minutes=2.0 + n,
        )
        for n in range(3)
    ] + [
        candidate(
            service_id="s1",
            name="Sobering",
            service_types=("sobering-center",),
            open_state=CLOSED_TILL_8,
            travel_minutes=20.0,
        )
    ]

    gaps = {g.service_type: g for g in match(q, places, vocabulary=VOCAB).gaps}

    assert gaps["sobering-center"].left_out == 1
    assert gaps["crisis-receiving"].left_out == 3
    assert dict(gaps["sobering-center"].blocked) == {"closed": 1}


def test_a_gap_left_by_the_officers_option_alone_says_so() -> None:
    from pmhc_directory.matching import match

    from . import CLOSED_TILL_8

    q = query(needs=(), types=("crisis-receiving",), transport=True)
    no_dropoff = candidate(service_id="a", name="Alpha No Drop-off", travel_minutes=5.0)
    closed = candidate(
        service_id="b",
        name="Zulu Closed",
        open_state=CLOSED_TILL_8,
        travel_minutes=12.0,
        attributes=frozenset({"accepts-law-enforcement-dropoff"}),
    )

    (only_option,) = match(q, [no_dropoff], vocabulary=VOCAB).gaps
    (both,) = match(q, [no_dropoff, closed], vocabulary=VOCAB).gaps

    assert dict(only_option.blocked) == {"no-law-enforcement-dropoff": 1}
    assert (only_option.by_options, only_option.cause) == (1, "options")
    assert (both.by_options, both.left_out) == (1, 2)
    # Equal counts: the codes in alphabetical order, whatever order the places came in.
    assert [code for code, _ in both.blocked] == ["closed", "no-law-enforcement-dropoff"]


def test_a_place_at_the_door_is_within_1_minute() -> None:
    from pmhc_directory.matching import match

    from . import CLOSED_TILL_8

    q = query(needs=(), types=("crisis-receiving",))
    here = candidate(open_state=CLOSED_TILL_8, travel_minutes=0.0, distance_km=0.0)

    (gap,) = match(q, [here], vocabulary=VOCAB).gaps

    assert "within 1 minute" in gap.detail and "within 0" not in gap.detail


def test_a_named_type_after_one_that_is_met_still_gets_its_gap() -> None:
    from pmhc_directory.matching import match

    q = query(needs=(), types=("crisis-receiving", "sobering-center", "crisis-stabilization"))

    gaps = match(q, [candidate()], vocabulary=VOCAB).gaps

    assert [g.service_type for g in gaps] == ["sobering-center", "crisis-stabilization"]


def test_two_sites_of_one_service_are_two_candidates_and_a_line_has_one_key() -> None:
    one, other = (
        candidate(service_at_location_id="sal-1"),
        candidate(service_at_location_id="sal-2"),
    )
    assert one.key != other.key
    assert candidate(service_at_location_id=None).key == ("svc-1", "")


def test_language_codes_keep_only_their_language_part() -> None:
    from pmhc_directory.matching.model import normalise_language

    assert [normalise_language(c) for c in (" es-MX ", "ES", "es_mx", "zh-Hant-TW")] == [
        "es",
        "es",
        "es",
        "zh",
    ]
