"""Hard rules: a candidate that breaks any one of them is excluded, with every reason reported.

Each rule is a small function ``rule(query, candidate, fit) -> Exclusion | None``. ``fit`` (see
:func:`fit_of`) carries the defaults that depend on the matched service type (open-now
requirement, travel cap). The plain-language version of every rule is in ``docs/matching.md``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np

from pmhc_directory.hours import format_time
from pmhc_directory.taxonomy import Vocabulary

from .model import Candidate, Exclusion, Fit, Query, normalise_language
from .sites import IN_AREA_UNKNOWN, DynamicRule, Sites

# Travel-time cap (minutes) when the query gives none, per continuum element. None = no cap.
DEFAULT_MAX_MINUTES: dict[str, float | None] = {
    "contact": None,  # a phone line: distance does not matter
    "respond": 60,  # only used for a responder we would drive to (goes_to_person False)
    "place": 45,  # a person in crisis in the back of a patrol car: keep it short
    "treatment": 60,
    "housing": 60,
    "justice": 60,
}
# Continuum elements for which "open now" is required by default (unknown hours excluded).
CRISIS_CONTINUUM = frozenset({"contact", "respond", "place"})
# Continuum elements nobody is brought to: the drop-off and intoxication rules do not apply.
NOT_A_DESTINATION = frozenset({"contact", "respond"})
# Continuum elements that are phone lines: ranked after every place when the officer drives.
LINE_CONTINUUM = frozenset({"contact"})
# Service types that accept intoxicated people by definition.
ACCEPTS_INTOXICATED_TYPES = frozenset({"sobering-center"})
# Payments that settle every payment question: the service takes everyone.
ACCEPTS_EVERYONE = "free"
# What a listed payment also covers: a sliding fee scale is how uninsured people pay.
PAYMENT_ALSO_COVERS: dict[str, frozenset[str]] = {"sliding-fee": frozenset({"uninsured"})}
# A service that lists no languages is assumed to serve English (and only English).
DEFAULT_LANGUAGES = frozenset({"en"})
GENDER_POPULATION = {"woman": "women", "man": "men"}
GENDER_POPULATIONS = frozenset(GENDER_POPULATION.values())

LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "vi": "Vietnamese",
    "zh": "Chinese",
    "ar": "Arabic",
    "ko": "Korean",
    "tl": "Tagalog",
    "ru": "Russian",
    "fr": "French",
    "de": "German",
    "nv": "Navajo",
    "so": "Somali",
    "ht": "Haitian Creole",
    "pt": "Portuguese",
    "fa": "Persian",
    "hmn": "Hmong",
    "ase": "ASL",
}
PAYMENT_WORDS = {
    "medicaid": "Medicaid",
    "medicare": "Medicare",
    "private-insurance": "private insurance",
    "va-tricare": "VA or TRICARE",
    "uninsured": "uninsured people",
    "sliding-fee": "sliding-fee payment",
}
DAY_ABBREVIATIONS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

Rule = Callable[[Query, Candidate, Fit], Exclusion | None]


def continuum_or_none(vocabulary: Vocabulary, service_type: str) -> str | None:
    try:
        return vocabulary.continuum_of(service_type)
    except KeyError:
        return None


def type_defaults(query: Query, continuum: str | None) -> tuple[bool, float | None]:
    """``(require_open, max_minutes)`` for a type of this continuum element: the query's values,
    else the element's defaults (:data:`CRISIS_CONTINUUM`, :data:`DEFAULT_MAX_MINUTES`; 60 for
    an unknown element). ``max_minutes`` None: no travel cap."""
    require_open = query.require_open
    if require_open is None:
        require_open = continuum in CRISIS_CONTINUUM
    if query.max_minutes is not None:
        max_minutes = None if math.isinf(query.max_minutes) else query.max_minutes
    else:
        max_minutes = DEFAULT_MAX_MINUTES.get(continuum or "", 60)
    return require_open, max_minutes


def fit_of(query: Query, candidate: Candidate, vocabulary: Vocabulary) -> Fit | None:
    """The candidate's best relevant service type, or None when it is not relevant at all.

    A type is relevant when the query names it or one of the query's needs lists it. The best is
    the one in the earliest tier (``Policy.tier``; a named type counts as tier 0), then with the
    lowest preference position; ties go to the candidate's own order (primary type first).
    """
    policy = query.policy
    best: tuple[int, int, int, str, str | None, int] | None = None
    for index, service_type in enumerate(candidate.service_types):
        options: list[tuple[int, int, str | None, int]] = []
        if service_type in query.types:
            options.append((0, 0, None, 1))
        for need in query.needs:
            preferred = vocabulary.service_types_for_need(need)
            if service_type in preferred:
                tier = policy.tier(need, service_type, preferred)
                options.append((tier, preferred.index(service_type), need, len(preferred)))
        for tier, position, chosen_need, choices in options:
            ranked = (tier, position, index, service_type, chosen_need, choices)
            if best is None or ranked[:3] < best[:3]:
                best = ranked
    if best is None:
        return None
    tier, position, _, best_type, best_need, choices = best
    continuum = continuum_or_none(vocabulary, best_type)
    if query.transport and continuum in LINE_CONTINUUM:
        # "I will drive them there": a phone line is not where to drive; it comes after every
        # place of the need (the lines stay one tap away in the 911/988 bar).
        tier += choices
    require_open, max_minutes = type_defaults(query, continuum)
    return Fit(
        service_type=best_type,
        need=best_need,
        position=position,
        choices=choices,
        continuum=continuum,
        require_open=require_open,
        max_minutes=max_minutes,
        tier=tier,
        handover=best_type in policy.handover_types,
    )


def is_destination(candidate: Candidate, fit: Fit) -> bool:
    """Whether the person is brought to the service (not a phone line, not a team that comes)."""
    return not candidate.goes_to_person and fit.continuum not in NOT_A_DESTINATION


def is_handover(candidate: Candidate, fit: Fit) -> bool:
    """Whether an officer hands the person over here (``Policy.handover_types``), so the
    police drop-off rule means something: not a clinic, housing intake, line or team."""
    return fit.handover and not candidate.goes_to_person


def when(moment: datetime, now: datetime) -> str:
    """``8:00 AM`` today, ``Mon 8:00 AM`` another day, ``Dec 24 8:00 AM`` beyond a week."""
    days = (moment.date() - now.astimezone(moment.tzinfo).date()).days
    if days == 0:
        return format_time(moment)
    if 0 < days < 7:
        return f"{DAY_ABBREVIATIONS[moment.weekday()]} {format_time(moment)}"
    return f"{moment:%b} {moment.day} {format_time(moment)}"


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def population_words(code: str) -> str:
    return code.replace("-", " ")


# --- the rules ------------------------------------------------------------------------------


def inactive(query: Query, candidate: Candidate, fit: Fit) -> Exclusion | None:
    return status_exclusion(candidate)


def status_exclusion(candidate: Candidate) -> Exclusion | None:
    """``inactive`` unless the status is ``active`` (also used for national lines)."""
    status = candidate.status.strip().casefold()
    if status == "active":
        return None
    if status == "temporarily closed":
        return Exclusion("inactive", "Temporarily closed")
    if status == "defunct":
        return Exclusion("inactive", "No longer operating")
    return Exclusion("inactive", f"Not active (status: {candidate.status or 'unknown'})")


def closed(query: Query, candidate: Candidate, fit: Fit) -> Exclusion | None:
    state = candidate.open_state
    if state.open_now is not False:
        return None
    if state.opens_next is None:
        return Exclusion("closed", "Closed until unknown")
    return Exclusion("closed", f"Closed until {when(state.opens_next, query.at)}")


def hours_unknown(query: Query, candidate: Candidate, fit: Fit) -> Exclusion | None:
    if candidate.open_state.open_now is None and fit.require_open:
        return Exclusion("hours-unknown", "Hours unknown, so it cannot be shown as open")
    return None


def outside_service_area(query: Query, candidate: Candidate, fit: Fit) -> Exclusion | None:
    restricted = candidate.goes_to_person or candidate.residency_restricted
    if restricted and candidate.in_service_area is False:
        if candidate.goes_to_person:
            return Exclusion("outside-service-area", "Does not come to this location")
        return Exclusion("outside-service-area", "Only for people who live in its service area")
    return None


def too_far(query: Query, candidate: Candidate, fit: Fit) -> Exclusion | None:
    """Over the travel cap. A team that comes to the person is judged by its service area; only
    when it publishes none does the drive from its base count (a team 300 km away with no
    area must not look like help on the way)."""
    judged_by_area = candidate.goes_to_person and candidate.in_service_area is not None
    if judged_by_area or fit.max_minutes is None or candidate.travel_minutes is None:
        return None
    if candidate.travel_minutes > fit.max_minutes:
        if candidate.travel_source == "beyond":  # the road search's limit is >= every cap
            return Exclusion(
                "too-far", f"More than {fit.max_minutes:g} min by road, over the limit"
            )
        if math.isinf(candidate.travel_minutes):
            return Exclusion("too-far", "No road route from here (road network)")
        if candidate.goes_to_person:
            message = (
                f"Based {candidate.travel_minutes:.0f} min away with no published service "
                f"area, over the {fit.max_minutes:g}-minute limit"
            )
        else:
            message = (
                f"{candidate.travel_minutes:.0f} min away, over the "
                f"{fit.max_minutes:g}-minute limit"
            )
        return Exclusion("too-far", message)
    return None


def too_far_sites(query: Query, sites: Sites) -> np.ndarray:
    """:func:`too_far` for many sites at once (NaN minutes or cap never compare greater)."""
    judged_by_area = sites.goes_to_person & (sites.in_service_area != IN_AREA_UNKNOWN)
    with np.errstate(invalid="ignore"):
        return ~judged_by_area & (sites.travel_minutes > sites.max_minutes)


def age(query: Query, candidate: Candidate, fit: Fit) -> Exclusion | None:
    if query.age is None:
        return None
    low, high = candidate.minimum_age, candidate.maximum_age
    if (low is None or query.age >= low) and (high is None or query.age <= high):
        return None
    if low is not None and high is not None:
        return Exclusion("age", f"Ages {low}-{high} only")
    if low is not None:
        return Exclusion("age", f"Ages {low} and over only")
    return Exclusion("age", f"Ages {high} and under only")


def population(query: Query, candidate: Candidate, fit: Fit) -> Exclusion | None:
    """Only for a group the person is not known to belong to. An age-defined group is judged
    by the age alone (``Query`` puts the groups of a known age in ``populations``): with no
    age given it excludes nobody, and the card shows the limit instead."""
    required = candidate.eligibility_populations - GENDER_POPULATIONS
    if not required or required & query.populations:
        return None
    policy = query.policy
    if query.age is None and required & policy.age_defined:
        return None
    words = " or ".join(population_label(code, policy) for code in sorted(required))
    return Exclusion("population", f"Only for {words}")


def population_label(code: str, policy: Any) -> str:
    """``youth (under 18)`` for an age-defined population, else the code in words."""
    found = policy.age_range(code)
    words = population_words(code)
    return f"{words} ({found.words})" if found is not None else words


def gender(query: Query, candidate: Candidate, fit: Fit) -> Exclusion | None:
    allowed = candidate.eligibility_populations & GENDER_POPULATIONS
    if not allowed or allowed == GENDER_POPULATIONS:
        return None
    if query.gender is not None and GENDER_POPULATION[query.gender] in allowed:
        return None
    only = "Women only" if "women" in allowed else "Men only"
    if query.gender is None:
        return Exclusion("gender", f"{only} (gender not given)")
    return Exclusion("gender", only)


def payment(query: Query, candidate: Candidate, fit: Fit) -> Exclusion | None:
    if query.payment is None or not candidate.payments:
        return None
    if ACCEPTS_EVERYONE in candidate.payments or query.payment in candidate.payments:
        return None
    if any(query.payment in PAYMENT_ALSO_COVERS.get(p, ()) for p in candidate.payments):
        return None
    words = PAYMENT_WORDS.get(query.payment, query.payment.replace("-", " "))
    return Exclusion("payment", f"Does not take {words}")


def language(query: Query, candidate: Candidate, fit: Fit) -> Exclusion | None:
    if query.language is None or candidate.interpretation:
        return None
    served = {normalise_language(code) for code in candidate.languages} or DEFAULT_LANGUAGES
    if query.language in served:
        return None
    return Exclusion("language", f"No {language_name(query.language)} and no interpretation")


def no_law_enforcement_dropoff(query: Query, candidate: Candidate, fit: Fit) -> Exclusion | None:
    """Only where an officer hands the person over (``is_handover``)."""
    if not query.transport or not is_handover(candidate, fit):
        return None
    takes = {"accepts-law-enforcement-dropoff", "law-enforcement-no-refusal"}
    if takes & candidate.attributes:
        return None
    return Exclusion("no-law-enforcement-dropoff", "Does not take police drop-offs")


def no_intoxicated(query: Query, candidate: Candidate, fit: Fit) -> Exclusion | None:
    if query.intoxicated is not True or not is_destination(candidate, fit):
        return None
    if "accepts-intoxicated" in candidate.attributes:
        return None
    if ACCEPTS_INTOXICATED_TYPES & set(candidate.service_types):
        return None
    return Exclusion("no-intoxicated", "Does not say it accepts intoxicated people")


def no_involuntary(query: Query, candidate: Candidate, fit: Fit) -> Exclusion | None:
    if query.involuntary and "accepts-involuntary" not in candidate.attributes:
        return Exclusion("no-involuntary", "Does not take people on an emergency hold")
    return None


def voluntary_only(query: Query, candidate: Candidate, fit: Fit) -> Exclusion | None:
    if query.involuntary and "voluntary-only" in candidate.attributes:
        return Exclusion("voluntary-only", "Voluntary admissions only")
    return None


def full(query: Query, candidate: Candidate, fit: Fit) -> Exclusion | None:
    capacity = candidate.capacity
    if capacity is None or not capacity.fresh or capacity.available is None:
        return None
    if capacity.available <= 0:
        return Exclusion("full", "Full (no free places reported)")
    return None


def full_sites(query: Query, sites: Sites) -> np.ndarray:
    """:func:`full` for many sites at once."""
    with np.errstate(invalid="ignore"):
        return sites.capacity_fresh & (sites.capacity_available <= 0)


#: Each rule's exclusion code (its name with dashes) in words, as the gap notices say it:
#: "N places ... : <words>" (plural subject). A new rule adds its code here.
BLOCKED_WORDS = {
    "inactive": "not operating",
    "closed": "closed now",
    "hours-unknown": "hours not known",
    "outside-service-area": "do not serve this location",
    "too-far": "over the travel limit",
    "age": "not for this age",
    "population": "only for another group",
    "gender": "only for another gender (or gender not given)",
    "payment": "do not take this payment",
    "language": "no interpreter for this language",
    "no-law-enforcement-dropoff": "do not take police drop-off",
    "no-intoxicated": "do not say they accept intoxicated people",
    "no-involuntary": "do not take emergency holds",
    "voluntary-only": "voluntary admissions only",
    "full": "full",
}


RULES: tuple[Rule, ...] = (
    inactive,
    closed,
    hours_unknown,
    outside_service_area,
    too_far,
    age,
    population,
    gender,
    payment,
    language,
    no_law_enforcement_dropoff,
    no_intoxicated,
    no_involuntary,
    voluntary_only,
    full,
)


def exclusions(query: Query, candidate: Candidate, fit: Fit) -> list[Exclusion]:
    """Every rule the candidate breaks (empty when it may be offered)."""
    return [found for rule in RULES if (found := rule(query, candidate, fit)) is not None]


# The candidate fields each rule reads, for rules that read no per-lookup fact (distance, open
# state, service-area membership, capacity). Besides these fields a rule reads only the query
# and the fit, and the fit follows from ``service_types`` (listed wherever a rule reads it).
# Screening (``matching.screen``) evaluates such a rule once per distinct combination of its
# fields instead of once per candidate; tests/unit/matching/test_screen.py checks that changing
# any other field never changes a rule's answer.
STATIC_RULE_INPUTS: dict[Rule, tuple[str, ...]] = {
    inactive: ("status",),
    age: ("minimum_age", "maximum_age"),
    population: ("eligibility_populations",),
    gender: ("eligibility_populations",),
    payment: ("payments",),
    language: ("languages", "interpretation"),
    no_law_enforcement_dropoff: ("attributes", "goes_to_person", "service_types"),
    no_intoxicated: ("attributes", "goes_to_person", "service_types"),
    no_involuntary: ("attributes",),
    voluntary_only: ("attributes",),
}
# The rules that read per-lookup facts (``sites.DynamicRule``): the fields each reads and, for
# a rule on a per-site number, its vector form (written beside the rule above). Screening runs
# the vector forms first, then the others in this order (cheapest first: an open state is
# worked out only for the sites no earlier rule has excluded).
DYNAMIC_RULES: tuple[DynamicRule, ...] = (
    DynamicRule(
        too_far,
        ("goes_to_person", "in_service_area", "travel_minutes", "travel_source", "service_types"),
        too_far_sites,
    ),
    DynamicRule(full, ("capacity",), full_sites),
    DynamicRule(
        outside_service_area, ("goes_to_person", "residency_restricted", "in_service_area")
    ),
    DynamicRule(closed, ("open_state",)),
    DynamicRule(hours_unknown, ("open_state", "service_types")),
)
