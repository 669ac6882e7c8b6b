"""How the matcher speaks of travel over a road network (docs/roads.md): 'by road', an estimate
said to be one, and no made-up number for a place no road reaches."""

from __future__ import annotations

import math

import pytest

from pmhc_directory.matching import exclusions, match
from pmhc_directory.matching.ranking import travel_text

from . import VOCAB, candidate, fit, query


@pytest.mark.parametrize(
    ("minutes", "source", "text"),
    [
        (12.4, "road", "12 min by road"),
        (0.4, "road", "Under 1 min by road"),
        (12.6, "estimate", "About 13 min away (estimated: off the mapped roads)"),
        (0.2, "estimate", "Under 1 min away (estimated: off the mapped roads)"),
        (7.0, None, "7 min away"),
        (0.4, None, "Under 1 min away"),
        (math.inf, "road", "No road route from here"),
    ],
)
def test_travel_text(minutes, source, text):
    assert travel_text(minutes, source) == text


@pytest.mark.parametrize(
    ("limit", "text"),
    [
        (45, "More than 45 min by road"),
        (62.5, "More than 62.5 min by road"),
        (None, "Farther by road than the lookup searched"),
        (math.inf, "Farther by road than the lookup searched"),
    ],
)
def test_a_place_beyond_the_road_search_is_more_than_its_limit_never_no_route(limit, text):
    """A place the bounded road search did not reach but a road does (``beyond``) gets no
    made-up number and is never called unreachable."""
    worded = travel_text(math.inf, "beyond", limit=limit)
    assert worded == text
    assert "No road route" not in worded and "inf" not in worded
    assert travel_text(math.inf, "road", limit=limit) == "No road route from here"


def test_a_place_no_road_reaches_is_too_far_and_says_why():
    q = query(needs=(), types=("crisis-receiving",))
    c = candidate(travel_minutes=math.inf, travel_source="road")
    found = [e for e in exclusions(q, c, fit(q, c)) if e.code == "too-far"]
    assert [e.message for e in found] == ["No road route from here (road network)"]


def test_the_reasons_and_the_gap_notice_use_road_minutes():
    q = query(needs=(), types=("crisis-receiving",))
    near = candidate(travel_minutes=8.2, travel_source="road")
    far = candidate(
        service_id="svc-2",
        service_at_location_id="sal-2",
        name="Far Center",
        travel_minutes=math.inf,
        travel_source="road",
    )
    result = match(q, [near, far], vocabulary=VOCAB)
    assert [m.candidate.name for m in result.results] == ["Receiving Center"]
    messages = [r if isinstance(r, str) else r.message for r in result.results[0].reasons]
    assert "8 min by road" in messages
    assert all("inf" not in str(g.message) for g in result.gaps)
