"""Tier, score (0..1) and plain-language reasons for a candidate that passed every hard rule.

Results are ordered by tier (the need's preference order), then by score: a weighted sum of
five parts, each between 0 and 1; the weights add up to 1. The officer-facing explanation of
every part and weight is in ``docs/matching.md``.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np

from pmhc_directory.taxonomy import Vocabulary

from .model import Candidate, Fit, Query, normalise_language
from .rules import (
    DEFAULT_LANGUAGES,
    LINE_CONTINUUM,
    is_destination,
    language_name,
    population_words,
    when,
)
from .sites import ScorePart, Sites

# Results are ordered by tier first (``Fit.tier``: the community's preference order for the
# need, ``matching.policy``), then by this score. The score is a weighted sum of five parts,
# each between 0 and 1, with the jurisdiction's weights (``Policy.weights``, normalised to add
# up to 1). The shipped weights, before normalising (data/lookup_policy.json):
#   open 0.20: certainty that the door is open (24/7 beats "closes at 5 PM" beats unknown);
#   travel 0.20: every minute in a patrol car with a person in crisis counts;
#   capacity 0.15: a fresh report of free beds/chairs/slots (not turned away at the door);
#   diversion 0.10: no refusal of police, no medical clearance (a quick hand-off);
#   verified 0.05: a person checked the listing recently (assured_date within VERIFIED_WITHIN).

# Open-now certainty parts.
OPEN_ALWAYS = 1.0  # 24/7
OPEN_KNOWN_CLOSE = 0.7  # open now, closing time known and not imminent
OPEN_NO_CLOSE = 0.6  # open now, closing time not within the evaluation horizon
OPEN_CLOSING_SOON = 0.3  # open now but closes within CLOSING_SOON: may be shut on arrival
OPEN_UNKNOWN = 0.0  # hours unknown (only reaches ranking when open now is not required)
CLOSING_SOON = timedelta(minutes=30)

# Travel: full marks at 0 minutes, nothing at TRAVEL_ZERO_AT minutes or more.
TRAVEL_ZERO_AT = 60.0
# A team that comes to the person, or a phone line, with no travel time given: half marks.
TRAVEL_NEUTRAL = 0.5

# Diversion parts (they add up to 1).
DIVERSION_PARTS = {"law-enforcement-no-refusal": 0.5, "no-medical-clearance": 0.5}

VERIFIED_WITHIN = timedelta(days=180)

UNIT_PLURALS = {"bed": "beds", "chair": "chairs", "slot": "slots", "team": "teams"}


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _type_name(vocabulary: Vocabulary, code: str) -> str:
    term = vocabulary.find("service-type", code)
    return term.name if term else code


def _need_name(vocabulary: Vocabulary, code: str) -> str:
    term = vocabulary.find("need", code)
    return term.name if term else code


def open_part(candidate: Candidate, at: datetime) -> float:
    state = candidate.open_state
    if state.open_now is not True:
        return OPEN_UNKNOWN
    if state.always_open:
        return OPEN_ALWAYS
    if state.closes_at is None:
        return OPEN_NO_CLOSE
    if state.closes_at - at <= CLOSING_SOON:
        return OPEN_CLOSING_SOON
    return OPEN_KNOWN_CLOSE


def fresh_free_units(candidate: Candidate) -> int:
    """Free units from a fresh report; 0 when none, unknown or stale (stale is never trusted)."""
    capacity = candidate.capacity
    if capacity is None or not capacity.fresh or capacity.available is None:
        return 0
    return max(capacity.available, 0)


def capacity_part(candidate: Candidate) -> float:
    return 1.0 if fresh_free_units(candidate) > 0 else 0.0


def travel_text(minutes: float, source: str | None, *, limit: float | None = None) -> str:
    """How far a place is, as the reasons say it: ``12 min by road`` over the road network,
    ``About 12 min away (estimated: off the mapped roads)`` where a network is loaded but a point
    is too far from it, ``12 min away`` with no network (docs/roads.md).

    ``source="beyond"``: a road route exists but is longer than the lookup's road search went
    (``limit`` minutes, which is at least every travel cap in play): ``More than 45 min by
    road``, never an exact figure nor "no route". ``inf`` otherwise means no road route."""
    if source == "beyond":
        if limit is None or not math.isfinite(limit):
            return "Farther by road than the lookup searched"
        return f"More than {limit:g} min by road"
    if math.isinf(minutes):
        return "No road route from here"
    whole = round(minutes)
    if source == "road":
        return "Under 1 min by road" if whole < 1 else f"{whole} min by road"
    if source == "estimate":
        about = "Under 1 min away" if whole < 1 else f"About {whole} min away"
        return f"{about} (estimated: off the mapped roads)"
    return "Under 1 min away" if whole < 1 else f"{whole} min away"


def travel_part(candidate: Candidate, fit: Fit) -> float:
    minutes = candidate.travel_minutes
    if minutes is None or candidate.goes_to_person:
        return 0.0 if is_destination(candidate, fit) else TRAVEL_NEUTRAL
    return max(0.0, 1.0 - max(minutes, 0.0) / TRAVEL_ZERO_AT)


def travel_sites(query: Query, sites: Sites) -> np.ndarray:
    """:func:`travel_part` for many sites at once (NaN minutes: None)."""
    minutes = sites.travel_minutes
    neutral = np.where(sites.destination, 0.0, TRAVEL_NEUTRAL)
    with np.errstate(invalid="ignore"):
        by_minutes = np.maximum(0.0, 1.0 - np.maximum(minutes, 0.0) / TRAVEL_ZERO_AT)
    return np.where(np.isnan(minutes) | sites.goes_to_person, neutral, by_minutes)


def capacity_sites(query: Query, sites: Sites) -> np.ndarray:
    """:func:`capacity_part` for many sites at once."""
    with np.errstate(invalid="ignore"):
        return np.where(sites.capacity_fresh & (sites.capacity_available > 0), 1.0, 0.0)


def diversion_part(candidate: Candidate) -> float:
    return sum(part for code, part in DIVERSION_PARTS.items() if code in candidate.attributes)


def verified_part(candidate: Candidate, at: datetime) -> float:
    if candidate.assured_date is None:
        return 0.0
    age = at.date() - candidate.assured_date
    return 1.0 if age <= VERIFIED_WITHIN else 0.0


# The parts of the score, in the order they are added up (screening adds them in the same
# order, so the sums agree to the last bit). Each with the fields it reads; a part that reads a
# per-site number has its vector form beside it (``sites.ScorePart``).
SCORE_PARTS: tuple[ScorePart, ...] = (
    ScorePart("open", lambda query, c, _fit: open_part(c, query.at), ("open_state",)),
    ScorePart(
        "travel",
        lambda _query, c, fit: travel_part(c, fit),
        ("travel_minutes", "goes_to_person", "service_types"),
        travel_sites,
    ),
    ScorePart("capacity", lambda _query, c, _fit: capacity_part(c), ("capacity",), capacity_sites),
    ScorePart("diversion", lambda _query, c, _fit: diversion_part(c), ("attributes",)),
    ScorePart("verified", lambda query, c, _fit: verified_part(c, query.at), ("assured_date",)),
)


def score(query: Query, candidate: Candidate, fit: Fit) -> float:
    """Weighted sum in [0, 1] of the parts that order places within a tier
    (:data:`SCORE_PARTS`), rounded to 4 places so ties are stable."""
    weight = query.policy.weight
    total = 0.0
    for part in SCORE_PARTS:
        total += weight(part.name) * part.value(query, candidate, fit)
    return round(min(max(total, 0.0), 1.0), 4)


def format_age(updated: datetime, now: datetime) -> str:
    """How long ago a report was made, in words: \"just now\" (under a minute), \"5 min ago\",
    \"3 h ago\", \"2 days ago\"."""
    minutes = max(int((now - updated).total_seconds() // 60), 0)
    if minutes == 0:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h ago"
    return f"{hours // 24} days ago"


def _fit_reasons(query: Query, fit: Fit, vocabulary: Vocabulary) -> list[str]:
    """Why this type: asked for, or which choice it is for the need."""
    type_name = _type_name(vocabulary, fit.service_type)
    if fit.need is None:
        return [f"{type_name} (type asked for)"]
    if query.transport and fit.continuum in LINE_CONTINUUM:
        return [f"{type_name}: a phone line, listed after the places you can drive to"]
    if fit.tier > 0:
        choice = _ordinal(fit.tier + 1)
        return [
            f"{type_name}: {choice} choice for {_need_name(vocabulary, fit.need)}",
            "Listed after every earlier choice that fits",
        ]
    return [f"{type_name}: first choice for {_need_name(vocabulary, fit.need)}"]


def _hours_reason(query: Query, candidate: Candidate) -> str:
    state = candidate.open_state
    if state.open_now is not True:
        return "Hours unknown: call before going"
    if state.always_open:
        return "Open 24/7"
    if state.closes_at is None:
        return "Open now"
    if state.closes_at - query.at <= CLOSING_SOON:
        return f"Closes soon: {when(state.closes_at, query.at)}"
    return f"Closes {when(state.closes_at, query.at)}"


def _capacity_reasons(query: Query, candidate: Candidate) -> list[str]:
    capacity = candidate.capacity
    if capacity is None or capacity.available is None:
        return []
    if capacity.stale:
        return ["Capacity report is out of date"]
    free = fresh_free_units(candidate)
    unit = capacity.unit or "place"
    unit = unit if free == 1 else UNIT_PLURALS.get(unit, f"{unit}s")
    text = f"{free} {unit} free"
    if capacity.updated is not None:
        text += f", reported {format_age(capacity.updated, query.now or query.at)}"
    return [text]


def _travel_reasons(candidate: Candidate, fit: Fit) -> list[str]:
    if candidate.goes_to_person:
        if candidate.in_service_area:
            return ["Comes to you; serves this location"]
        return ["Comes to you"]
    if candidate.travel_minutes is not None and is_destination(candidate, fit):
        return [travel_text(candidate.travel_minutes, candidate.travel_source)]
    return []


def _welcome_reasons(query: Query, candidate: Candidate, fit: Fit) -> list[str]:
    """Whom the place takes: police, medical clearance, intoxication, holds, walk-ins."""
    attributes = candidate.attributes
    found: list[str] = []
    if "law-enforcement-no-refusal" in attributes:
        found.append("Never turns police away")
    elif "accepts-law-enforcement-dropoff" in attributes:
        found.append("Takes police drop-off")
    if "no-medical-clearance" in attributes:
        found.append("No medical clearance needed")
    if query.intoxicated and is_destination(candidate, fit):
        found.append("Accepts people who are intoxicated")
    if query.involuntary:
        found.append("Takes people on an emergency hold")
    if "walk-in" in attributes:
        found.append("Walk-ins welcome")
    return found


def _person_reasons(query: Query, candidate: Candidate) -> list[str]:
    """What fits the person: language, payment, specialised populations."""
    found: list[str] = []
    if query.language is not None:
        served = {normalise_language(c) for c in candidate.languages} or DEFAULT_LANGUAGES
        if query.language in served:
            found.append(f"Serves people in {language_name(query.language)}")
        elif candidate.interpretation:
            found.append("Interpretation available")
    if query.payment is not None and not candidate.payments:
        found.append("Payment rules unknown: ask")
    for code in sorted(candidate.audience_populations & query.populations):
        found.append(f"Specialises in {population_words(code)}")
    return found


def _verified_reasons(query: Query, candidate: Candidate) -> list[str]:
    if candidate.assured_date is None:
        return []
    if query.at.date() - candidate.assured_date <= VERIFIED_WITHIN:
        return [f"Verified {candidate.assured_date.isoformat()}"]
    return [f"Last verified {candidate.assured_date.isoformat()} (over 6 months)"]


def reasons(query: Query, candidate: Candidate, fit: Fit, vocabulary: Vocabulary) -> list[str]:
    """Plain-language reasons, in the order an officer needs them: why this type, hours,
    capacity, travel, whom the place takes, what fits the person, when it was verified."""
    return [
        *_fit_reasons(query, fit, vocabulary),
        _hours_reason(query, candidate),
        *_capacity_reasons(query, candidate),
        *_travel_reasons(candidate, fit),
        *_welcome_reasons(query, candidate, fit),
        *_person_reasons(query, candidate),
        *_verified_reasons(query, candidate),
    ]
