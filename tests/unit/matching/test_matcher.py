"""match(): results vs excluded, contact lines, limit, gap notices, query validation."""

from __future__ import annotations

import math
from datetime import datetime

import pytest

from pmhc_directory.matching import Exclusion, Gap, Query, gap_message, match

from . import AT, CLOSED_TILL_8, HOURS_UNKNOWN, VOCAB, candidate, fresh, query

LINE_988 = candidate(
    service_id="988",
    service_at_location_id=None,
    name="988 Suicide & Crisis Lifeline",
    service_types=("crisis-line",),
    is_national=True,
    phones=("988",),
    travel_minutes=None,
)


def run(q: Query, *cands):
    return match(q, cands, vocabulary=VOCAB)


def test_results_excluded_and_reasons() -> None:
    good = candidate(service_id="good", name="Good")
    shut = candidate(service_id="shut", name="Shut", open_state=CLOSED_TILL_8)
    full = candidate(service_id="full", name="Full", capacity=fresh(0), open_state=HOURS_UNKNOWN)
    result = run(query(), good, shut, full)
    assert [m.candidate.service_id for m in result.results] == ["good"]
    assert result.results[0].reasons[:2] == [
        "Crisis receiving center: first choice for In crisis now",
        "Open 24/7",
    ]
    assert result.results[0].fit is not None and result.results[0].fit.continuum == "place"
    excluded = {item.candidate.service_id: item.reasons for item in result.excluded}
    assert excluded == {
        "shut": [Exclusion("closed", "Closed until 8:00 AM")],
        "full": [
            Exclusion("hours-unknown", "Hours unknown, so it cannot be shown as open"),
            Exclusion("full", "Full (no free places reported)"),
        ],
    }
    assert result.gaps == []


def test_excluded_item_unpacks_as_pair() -> None:
    result = run(query(), candidate(open_state=CLOSED_TILL_8))
    (item,) = result.excluded
    cand, reasons = item
    assert cand.service_id == "svc-1" and reasons[0].code == "closed"


def test_irrelevant_candidates_are_ignored() -> None:
    shelter = candidate(service_types=("emergency-shelter",), open_state=CLOSED_TILL_8)
    result = run(query(), shelter)
    assert result.results == [] and result.excluded == []


def test_any_type_of_a_candidate_makes_it_relevant() -> None:
    both = candidate(service_types=("emergency-shelter", "crisis-stabilization"))
    assert len(run(query(), both).results) == 1


def test_national_lines_always_contact_lines_never_results() -> None:
    q = query(needs=("someone-to-talk-to",), types=("crisis-line",))
    closed_line = candidate(
        service_id="line2", name="Other line", is_national=True, open_state=CLOSED_TILL_8
    )
    result = run(q, LINE_988, closed_line)
    assert result.results == []
    assert [c.service_id for c in result.contact_lines] == ["988", "line2"]
    assert result.gaps == []


def test_national_lines_listed_even_for_other_needs() -> None:
    result = run(query(needs=("housing",)), LINE_988)
    assert result.contact_lines == [LINE_988]


def test_inactive_national_line_is_not_offered() -> None:
    dead = candidate(service_id="dead", name="Old line", is_national=True, status="defunct")
    result = run(query(), dead, LINE_988)
    assert result.contact_lines == [LINE_988]
    assert [(i.candidate.service_id, i.reasons[0].code) for i in result.excluded] == [
        ("dead", "inactive")
    ]


def test_limit_and_more() -> None:
    cands = [
        candidate(service_id=f"s{n:02d}", name=f"S{n:02d}", travel_minutes=float(n))
        for n in range(12)
    ]
    result = run(query(limit=5), *cands)
    assert [m.candidate.service_id for m in result.results] == ["s00", "s01", "s02", "s03", "s04"]
    assert result.more == 7


def test_gap_for_a_need_nothing_meets() -> None:
    shut = candidate(service_types=("sobering-center",), open_state=CLOSED_TILL_8)
    result = run(query(needs=("intoxicated",)), shut)
    assert result.gaps == [
        Gap(
            need="intoxicated",
            message="No open sobering center within 45 minutes",
            service_type="sobering-center",
            blocked=(("closed", 1),),
            left_out=1,
            cause="facts",
            detail="1 place within 10 minutes was left out: closed until 8:00 AM",
        )
    ]


def test_need_met_by_a_lower_choice_has_no_gap() -> None:
    takes_them = candidate(attributes=frozenset({"accepts-intoxicated"}))
    result = run(query(needs=("intoxicated",)), takes_them)
    assert result.gaps == []


def test_988_does_not_fill_a_crisis_receiving_gap() -> None:
    result = run(query(), LINE_988)
    assert [g.message for g in result.gaps] == ["No open crisis receiving center within 45 minutes"]


def test_gaps_for_several_needs_and_types() -> None:
    q = query(needs=("crisis-now", "housing"), types=("mobile-crisis",), max_minutes=30)
    result = run(q)
    assert [(g.need, g.service_type, g.message) for g in result.gaps] == [
        ("crisis-now", "crisis-receiving", "No open crisis receiving center within 30 minutes"),
        ("housing", "emergency-shelter", "No emergency shelter within 30 minutes"),
        (None, "mobile-crisis", "No open mobile crisis team serving this location"),
    ]


@pytest.mark.parametrize(
    ("overrides", "service_type", "message"),
    [
        ({}, "crisis-receiving", "No open crisis receiving center within 45 minutes"),
        ({}, "crisis-line", "No open crisis line available"),
        ({}, "case-management", "No case management within 60 minutes"),
        ({"max_minutes": math.inf}, "sobering-center", "No open sobering center available"),
        ({"require_open": True}, "case-management", "No open case management within 60 minutes"),
        ({"require_open": False}, "sobering-center", "No sobering center within 45 minutes"),
        ({"max_minutes": 40}, "sobering-center", "No open sobering center within 40 minutes"),
    ],
)
def test_gap_messages(overrides: dict, service_type: str, message: str) -> None:
    assert gap_message(query(**overrides), service_type, VOCAB) == message


def test_unknown_codes_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown need"):
        run(query(needs=("nope",)))
    with pytest.raises(ValueError, match="unknown service-type"):
        run(query(needs=(), types=("nope",)))


@pytest.mark.parametrize(
    ("overrides", "text"),
    [
        ({"at": datetime(2026, 11, 28, 2)}, "aware"),
        ({"needs": ()}, "at least one"),
        ({"limit": 0}, "limit"),
        ({"limit": 51}, "limit"),
        ({"age": -1}, "age"),
        ({"gender": "other"}, "gender"),
        ({"max_minutes": -5}, "max_minutes"),
        ({"max_minutes": math.nan}, "max_minutes"),
    ],
)
def test_query_validation(overrides: dict, text: str) -> None:
    with pytest.raises(ValueError, match=text):
        query(**overrides)


def test_query_normalises_inputs() -> None:
    q = Query(
        at=AT,
        needs=["crisis-now", "crisis-now"],  # type: ignore[arg-type]
        types=["mobile-crisis"],  # type: ignore[arg-type]
        populations={"veterans"},  # type: ignore[arg-type]
        language="ES-MX",
    )
    assert q.needs == ("crisis-now",)
    assert q.types == ("mobile-crisis",)
    assert q.populations == frozenset({"veterans"})
    assert q.language == "es"
    hash(q)


def test_excluded_sorted_by_name() -> None:
    b = candidate(service_id="b", name="beta", open_state=CLOSED_TILL_8)
    a = candidate(service_id="a", name="Alpha", open_state=CLOSED_TILL_8)
    assert [i.candidate.service_id for i in run(query(), b, a).excluded] == ["a", "b"]


def test_results_are_lists_in_match_result_at_2am() -> None:
    """The 2 a.m. story: police transport, intoxicated, Medicaid, Spanish."""
    q = query(
        needs=("intoxicated", "crisis-now"),
        transport=True,
        intoxicated=True,
        payment="medicaid",
        language="es",
    )
    sobering = candidate(
        service_id="sob",
        name="Sobering Center",
        service_types=("sobering-center",),
        attributes=frozenset({"accepts-law-enforcement-dropoff", "law-enforcement-no-refusal"}),
        payments=frozenset({"free"}),
        languages=frozenset({"en", "es"}),
        capacity=fresh(4, unit="chair"),
        travel_minutes=14.0,
    )
    er_like = candidate(
        service_id="pes",
        name="Psych Emergency",
        service_types=("psychiatric-emergency",),
        attributes=frozenset({"accepts-law-enforcement-dropoff", "accepts-intoxicated"}),
        payments=frozenset({"medicaid"}),
        interpretation=True,
    )
    refuses = candidate(
        service_id="crc",
        name="Receiving",
        attributes=frozenset({"accepts-intoxicated"}),
        payments=frozenset({"medicaid"}),
        languages=frozenset({"es"}),
    )
    result = run(q, refuses, er_like, sobering, LINE_988)
    assert [m.candidate.service_id for m in result.results] == ["sob", "pes"]
    assert [(i.candidate.service_id, [e.code for e in i.reasons]) for i in result.excluded] == [
        ("crc", ["no-law-enforcement-dropoff"])
    ]
    assert result.contact_lines == [LINE_988]
    assert result.gaps == []
    assert "4 chairs free, reported 30 min ago" in result.results[0].reasons
