"""Score parts, weights, ordering cases and the reasons an officer reads."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from pmhc_directory.hours import OpenState
from pmhc_directory.matching import Capacity, match, ranking
from pmhc_directory.matching.policy import default_policy, make_policy

from . import (
    ALWAYS,
    AT,
    HOURS_UNKNOWN,
    OLD,
    OPEN_TILL_5,
    RECENT,
    VOCAB,
    candidate,
    fit,
    fresh,
    query,
    stale,
)


def score_of(q=None, **overrides: object) -> float:
    q = q or query()
    c = candidate(**overrides)
    return ranking.score(q, c, fit(q, c))


def reasons_of(q=None, **overrides: object) -> list[str]:
    q = q or query()
    c = candidate(**overrides)
    return ranking.reasons(q, c, fit(q, c), VOCAB)


def order(q, *cands) -> list[str]:
    return [m.candidate.service_id for m in match(q, cands, vocabulary=VOCAB).results]


WEIGHTS = dict(default_policy().weights)


def test_weights_add_up_to_one() -> None:
    assert set(WEIGHTS) == {"open", "travel", "capacity", "diversion", "verified"}
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)
    # The shipped proportions (data/lookup_policy.json): open = travel > capacity > diversion.
    assert WEIGHTS["open"] == pytest.approx(0.2 / 0.7)
    assert WEIGHTS["verified"] == pytest.approx(0.05 / 0.7)
    assert sum(ranking.DIVERSION_PARTS.values()) == pytest.approx(1.0)


def test_perfect_candidate_scores_one() -> None:
    s = score_of(
        travel_minutes=0.0,
        capacity=fresh(3),
        attributes=frozenset({"law-enforcement-no-refusal", "no-medical-clearance"}),
        assured_date=RECENT,
    )
    assert s == 1.0


def test_baseline_score_is_the_documented_sum() -> None:
    # 24/7, 10 of 60 minutes, nothing else (the preference is the tier, not a part)
    expected = (0.20 + 0.20 * (1 - 10 / 60)) / 0.70
    assert score_of() == pytest.approx(expected, abs=1e-4)


def test_an_eligible_first_choice_ranks_above_every_later_choice() -> None:
    # Issue #14 item 10: a 24/7 crisis receiving center with free beds next door does not
    # outrank an open sobering center 40 minutes away for an intoxicated adult.
    q = query(needs=("intoxicated",))
    sobering = candidate(
        service_id="sob",
        name="Sobering",
        service_types=("sobering-center",),
        open_state=OPEN_TILL_5,
        travel_minutes=40.0,
    )
    receiving = candidate(
        service_id="rec",
        name="Receiving",
        attributes=frozenset({"accepts-intoxicated", "law-enforcement-no-refusal"}),
        capacity=fresh(5),
        travel_minutes=1.0,
    )
    result = match(q, [receiving, sobering], vocabulary=VOCAB)
    assert [m.candidate.service_id for m in result.results] == ["sob", "rec"]
    assert result.results[0].score < result.results[1].score  # the tier decides, not the score
    assert result.results[1].reasons[:2] == [
        "Crisis receiving center: 3rd choice for Intoxicated",
        "Listed after every earlier choice that fits",
    ]


def test_tiers_are_a_setting_and_group_choices() -> None:
    # A jurisdiction that treats crisis receiving and mobile crisis as one first tier.
    policy = make_policy(need_tiers={"crisis-now": [["crisis-receiving", "mobile-crisis"]]})
    q = query(policy=policy)
    receiving = candidate(service_id="rec", name="R", travel_minutes=40.0)
    team = candidate(
        service_id="team",
        name="T",
        service_types=("mobile-crisis",),
        goes_to_person=True,
        in_service_area=True,
        travel_minutes=None,
    )
    # Same tier: the team's neutral travel beats a 40-minute drive.
    assert order(q, receiving, team) == ["team", "rec"]
    assert order(query(), receiving, team) == ["rec", "team"]
    # Types the setting leaves out come after its tiers, in the need's order.
    assert (
        policy.tier(
            "crisis-now", "crisis-stabilization", VOCAB.service_types_for_need("crisis-now")
        )
        == 3
    )


def test_need_preference_order() -> None:
    q = query()
    first = candidate(service_id="a", name="A", service_types=("crisis-receiving",))
    second = candidate(service_id="b", name="B", service_types=("mobile-crisis",))
    fourth = candidate(service_id="c", name="C", service_types=("psychiatric-emergency",))
    assert order(q, fourth, second, first) == ["a", "b", "c"]


def test_open_certainty_order() -> None:
    q = query(require_open=False)
    always = candidate(service_id="a", name="Z", open_state=ALWAYS)
    till_5 = candidate(service_id="b", name="Y", open_state=OPEN_TILL_5)
    soon = OpenState(True, False, AT + timedelta(minutes=20), None)
    closing = candidate(service_id="c", name="X", open_state=soon)
    unknown = candidate(service_id="d", name="W", open_state=HOURS_UNKNOWN)
    assert order(q, unknown, closing, till_5, always) == ["a", "b", "c", "d"]


def test_open_part_values() -> None:
    assert ranking.open_part(candidate(open_state=ALWAYS), AT) == ranking.OPEN_ALWAYS
    assert ranking.open_part(candidate(open_state=OPEN_TILL_5), AT) == ranking.OPEN_KNOWN_CLOSE
    no_close = OpenState(True, False, None, None)
    assert ranking.open_part(candidate(open_state=no_close), AT) == ranking.OPEN_NO_CLOSE
    assert ranking.open_part(candidate(open_state=HOURS_UNKNOWN), AT) == ranking.OPEN_UNKNOWN


def test_fresh_capacity_boosts_stale_does_not() -> None:
    base = score_of()
    assert score_of(capacity=fresh(2)) == pytest.approx(base + WEIGHTS["capacity"], abs=1e-4)
    assert score_of(capacity=stale(9)) == base
    assert score_of(capacity=Capacity(available=None)) == base


def test_shorter_travel_ranks_first() -> None:
    q = query()
    near = candidate(service_id="a", name="Far name", travel_minutes=5.0)
    far = candidate(service_id="b", name="Near name", travel_minutes=30.0)
    assert order(q, far, near) == ["a", "b"]


def test_travel_part_caps_at_zero() -> None:
    q = query(max_minutes=500)
    c = candidate(travel_minutes=200.0)
    assert ranking.travel_part(c, fit(q, c)) == 0.0


def test_team_that_comes_gets_neutral_travel() -> None:
    q = query()
    c = candidate(service_types=("mobile-crisis",), goes_to_person=True, travel_minutes=None)
    assert ranking.travel_part(c, fit(q, c)) == ranking.TRAVEL_NEUTRAL


def test_destination_with_unknown_travel_gets_nothing() -> None:
    q = query()
    c = candidate(travel_minutes=None)
    assert ranking.travel_part(c, fit(q, c)) == 0.0


def test_diversion_attributes_boost() -> None:
    base = score_of()
    no_refusal = score_of(attributes=frozenset({"law-enforcement-no-refusal"}))
    both = score_of(attributes=frozenset({"law-enforcement-no-refusal", "no-medical-clearance"}))
    assert base < no_refusal < both
    assert both == pytest.approx(base + WEIGHTS["diversion"], abs=1e-4)


def test_recent_verification_boosts_old_does_not() -> None:
    base = score_of()
    assert score_of(assured_date=RECENT) == pytest.approx(base + WEIGHTS["verified"], abs=1e-4)
    assert score_of(assured_date=OLD) == base


def test_tie_break_travel_then_name_then_id() -> None:
    q = query()
    attrs = frozenset({"no-medical-clearance"})
    # a, b, c share score and travel time; d scores lower (unknown travel time).
    a = candidate(service_id="a", name="Beta", travel_minutes=10.0)
    b = candidate(service_id="b", name="alpha", travel_minutes=10.0)
    c = candidate(service_id="c", name="alpha", travel_minutes=10.0)
    d = candidate(service_id="d", name="Zed", travel_minutes=None, attributes=attrs)
    result = match(q, [a, c, b, d], vocabulary=VOCAB).results
    assert [m.candidate.service_id for m in result][:3] == ["b", "c", "a"]


def test_equal_scores_sort_by_travel() -> None:
    q = query(types=("crisis-receiving",), needs=())
    x = candidate(service_id="x", name="A", travel_minutes=None, capacity=fresh(1))
    # y: 0.15 capacity gone, travel 0.20 * (1 - 15/60) = 0.15 gained: same score.
    y = candidate(service_id="y", name="B", travel_minutes=15.0)
    scores = {m.candidate.service_id: m.score for m in match(q, [x, y], vocabulary=VOCAB).results}
    assert scores["x"] == scores["y"]
    assert order(q, x, y) == ["y", "x"]


# --- reasons ----------------------------------------------------------------------------------


def test_reasons_for_a_great_place() -> None:
    found = reasons_of(
        travel_minutes=12.2,
        capacity=fresh(3, minutes_ago=130),
        attributes=frozenset({"accepts-law-enforcement-dropoff", "no-medical-clearance"}),
        assured_date=RECENT,
    )
    assert found == [
        "Crisis receiving center: first choice for In crisis now",
        "Open 24/7",
        "3 beds free, reported 2 h ago",
        "12 min away",
        "Takes police drop-off",
        "No medical clearance needed",
        "Verified 2026-10-01",
    ]


def test_reasons_closing_times_and_unknown_hours() -> None:
    assert "Closes 5:00 PM" in reasons_of(open_state=OPEN_TILL_5)
    soon = OpenState(True, False, AT + timedelta(minutes=15), None)
    assert "Closes soon: 2:15 AM" in reasons_of(open_state=soon)
    assert "Open now" in reasons_of(open_state=OpenState(True, False, None, None))
    q = query(require_open=False)
    assert "Hours unknown: call before going" in reasons_of(q, open_state=HOURS_UNKNOWN)


def test_reasons_preference_position_and_explicit_type() -> None:
    found = reasons_of(service_types=("psychiatric-emergency",))
    assert found[:2] == [
        "Psychiatric emergency service: 4th choice for In crisis now",
        "Listed after every earlier choice that fits",
    ]
    q = query(needs=(), types=("crisis-receiving",))
    assert reasons_of(q)[0] == "Crisis receiving center (type asked for)"


@pytest.mark.parametrize(
    ("capacity", "text"),
    [
        (fresh(1, minutes_ago=5, unit="chair"), "1 chair free, reported 5 min ago"),
        (fresh(2, minutes_ago=60 * 50, unit="slot"), "2 slots free, reported 2 days ago"),
        (Capacity(available=4, unit=None), "4 places free"),
        (stale(3), "Capacity report is out of date"),
    ],
)
def test_reasons_capacity(capacity: Capacity, text: str) -> None:
    assert text in reasons_of(capacity=capacity)


def test_reasons_travel_words() -> None:
    assert "Under 1 min away" in reasons_of(travel_minutes=0.2)
    team = reasons_of(service_types=("mobile-crisis",), goes_to_person=True, in_service_area=True)
    assert "Comes to you; serves this location" in team
    assert "Comes to you" in reasons_of(service_types=("mobile-crisis",), goes_to_person=True)


def test_reasons_situation_and_person() -> None:
    q = query(
        intoxicated=True,
        involuntary=True,
        language="es",
        payment="medicaid",
        populations=frozenset({"veterans"}),
    )
    found = reasons_of(
        q,
        attributes=frozenset({"accepts-intoxicated", "accepts-involuntary", "walk-in"}),
        languages=frozenset({"en", "es"}),
        audience_populations=frozenset({"veterans"}),
        assured_date=OLD,
    )
    assert "Accepts people who are intoxicated" in found
    assert "Takes people on an emergency hold" in found
    assert "Walk-ins welcome" in found
    assert "Serves people in Spanish" in found
    assert "Payment rules unknown: ask" in found
    assert "Specialises in veterans" in found
    assert "Last verified 2025-01-10 (over 6 months)" in found


def test_reasons_interpretation_and_no_refusal() -> None:
    q = query(language="so")
    found = reasons_of(q, interpretation=True, attributes=frozenset({"law-enforcement-no-refusal"}))
    assert "Interpretation available" in found
    assert "Never turns police away" in found
    assert "Takes police drop-off" not in found


def test_free_units_are_zero_without_a_fresh_figure() -> None:
    """``fresh_free_units`` promises 0, never less, when there is no report, no figure or a
    stale one (the card's "N free" and the capacity part read it)."""
    assert ranking.fresh_free_units(candidate(capacity=None)) == 0
    assert ranking.fresh_free_units(candidate(capacity=stale(4))) == 0
    assert ranking.fresh_free_units(candidate(capacity=replace(fresh(3), available=None))) == 0
    assert ranking.fresh_free_units(candidate(capacity=fresh(-2))) == 0
    assert ranking.fresh_free_units(candidate(capacity=fresh(3))) == 3


def test_a_report_dated_after_now_reads_just_now() -> None:
    """A provider's clock a few minutes ahead must not give "-5 min ago"."""
    assert ranking.format_age(AT + timedelta(minutes=5), AT) == "just now"
    assert ranking.format_age(AT + timedelta(hours=3), AT) == "just now"
