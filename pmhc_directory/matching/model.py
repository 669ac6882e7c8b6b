"""The matcher's inputs and outputs: plain frozen dataclasses, no Flask, no SQLAlchemy.

The caller (the service layer) builds one :class:`Candidate` per service at a location (or per
service with no location) and works out distance, travel time, service-area membership and the
:class:`~pmhc_directory.hours.OpenState` for the query's instant. The matcher only applies the
rules and ranks; it never does geometry or hours arithmetic itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from pmhc_directory.hours import UNKNOWN, OpenState

from .policy import Policy, default_policy

GENDERS = ("woman", "man")
MAX_LIMIT = 50
DEFAULT_LIMIT = 10


def normalise_language(code: str) -> str:
    """``es-MX`` / ``ES`` / ``es_mx`` -> ``es`` (the ISO 639-1 part)."""
    return code.strip().replace("_", "-").split("-", 1)[0].casefold()


@dataclass(frozen=True)
class Query:
    """What the officer asked for and what they know about the person.

    ``max_minutes=None`` means "the default for the continuum element" (see
    ``matching.rules.DEFAULT_MAX_MINUTES``); ``math.inf`` means no travel cap at all.
    ``require_open=None`` means "the default": open now is required for crisis services
    (contact, respond, place) and not for treatment, housing or justice services.
    ``intoxicated=None`` means not known (no intoxication rule applies).

    One meaning per fact (``policy``, see ``matching.policy``): a need that describes the
    person's state sets that situation (``needs=("intoxicated",)`` is ``intoxicated=True``), and
    a known ``age`` decides the age-defined populations (``populations`` then holds exactly the
    ones whose range holds the age, whatever was given besides).
    """

    at: datetime
    needs: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    age: int | None = None
    language: str | None = None
    payment: str | None = None
    populations: frozenset[str] = frozenset()
    gender: str | None = None
    transport: bool = False
    intoxicated: bool | None = None
    involuntary: bool = False
    max_minutes: float | None = None
    limit: int = DEFAULT_LIMIT
    require_open: bool | None = None
    # When the question is asked (default: ``at``). Ages of capacity reports are measured
    # from here, since a report's age is a fact about now even when ``at`` is another time.
    now: datetime | None = None
    policy: Policy = field(default_factory=default_policy, repr=False)

    def __post_init__(self) -> None:
        # Accept lists and sets from callers; store the frozen shapes.
        object.__setattr__(self, "needs", tuple(dict.fromkeys(self.needs)))
        object.__setattr__(self, "types", tuple(dict.fromkeys(self.types)))
        populations = frozenset(self.populations)
        if self.age is not None and self.age >= 0:
            age_defined = self.policy.age_defined
            populations = (populations - age_defined) | self.policy.populations_of_age(self.age)
        object.__setattr__(self, "populations", populations)
        situations = self.policy.situations_of(self.needs)
        if "intoxicated" in situations:
            object.__setattr__(self, "intoxicated", True)
        if "involuntary" in situations:
            object.__setattr__(self, "involuntary", True)
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError("Query.at must be an aware datetime")
        if not self.needs and not self.types:
            raise ValueError("a query needs at least one need or service type")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
        if self.age is not None and self.age < 0:
            raise ValueError("age must not be negative")
        if self.gender not in (None, *GENDERS):
            raise ValueError(f"gender must be one of {GENDERS} or None")
        if self.max_minutes is not None and (math.isnan(self.max_minutes) or self.max_minutes < 0):
            raise ValueError("max_minutes must be a non-negative number")
        if self.language is not None:
            object.__setattr__(self, "language", normalise_language(self.language))


@dataclass(frozen=True)
class Capacity:
    """The latest capacity report. ``stale`` reports are never trusted by the matcher."""

    available: int | None
    maximum: int | None = None
    unit: str | None = None
    updated: datetime | None = None
    stale: bool = False

    @property
    def fresh(self) -> bool:
        return not self.stale and self.available is not None


@dataclass(frozen=True)
class Candidate:
    """One service at one location (``service_at_location_id`` is None for no location)."""

    service_id: str
    name: str
    service_at_location_id: str | None = None
    organization: str = ""
    service_types: tuple[str, ...] = ()
    attributes: frozenset[str] = frozenset()
    status: str = "active"
    minimum_age: int | None = None
    maximum_age: int | None = None
    eligibility_populations: frozenset[str] = frozenset()
    audience_populations: frozenset[str] = frozenset()
    payments: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    interpretation: bool = False
    open_state: OpenState = UNKNOWN
    capacity: Capacity | None = None
    distance_km: float | None = None
    travel_minutes: float | None = None  # math.inf: no road route reaches it
    # How travel_minutes was found: "road" (the road network), "estimate" (a network is loaded
    # but a point is off it) or None (no network: the straight-line estimate everywhere).
    travel_source: str | None = None
    in_service_area: bool | None = None
    goes_to_person: bool = False
    residency_restricted: bool = False
    assured_date: date | None = None
    is_national: bool = False
    phones: tuple[str, ...] = ()
    address: str | None = None
    lat: float | None = None
    lon: float | None = None
    # The service's alert (entrance moved, closed for a drill...) and when it stops being shown.
    alert: str | None = None
    alert_expires_at: datetime | None = None
    # HSDS ``application_process`` in words (an appointment needed, a referral...).
    application_process: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """Identity of the candidate within one match call: its service and its site."""
        return (self.service_id, self.service_at_location_id or "")

    @classmethod
    def from_fields(cls, fields: dict[str, object]) -> Candidate:
        """The candidate ``Candidate(**fields)`` makes, without the per-field ``__init__`` work.

        For callers that build thousands per lookup from checked data (``services.lookup``):
        fields left out keep their defaults (class attributes; every default is immutable).
        ``fields`` is copied, never shared.
        """
        candidate = object.__new__(cls)
        candidate.__dict__.update(fields)
        return candidate


@dataclass(frozen=True)
class Exclusion:
    """Why a candidate is not offered: an api.md section 3 ``code`` and words for the officer."""

    code: str
    message: str


@dataclass(frozen=True)
class Fit:
    """How a candidate meets the query: the service type that matched and what follows from it.

    ``position`` is the type's place in the need's preference list (0 = first choice; an
    explicitly requested type counts as 0); ``tier`` its tier (``Policy.tier``: by default the
    position); ``need`` is None for an explicitly requested type. ``handover``: an officer hands
    the person over at this type (``Policy.handover_types``).
    ``require_open`` and ``max_minutes`` are the query's values or the continuum defaults
    (``None`` = no travel cap).
    """

    service_type: str
    need: str | None
    position: int
    choices: int
    continuum: str | None
    require_open: bool
    max_minutes: float | None
    tier: int = 0
    handover: bool = False


@dataclass(frozen=True)
class Match:
    candidate: Candidate
    score: float
    reasons: list[str] = field(default_factory=list)
    fit: Fit | None = None


class Excluded(NamedTuple):
    candidate: Candidate
    reasons: list[Exclusion]


@dataclass(frozen=True)
class Gap:
    """No result for a need (or an explicitly requested type when ``need`` is None).

    ``blocked``: (exclusion code, how many places) for the places of the need's types that
    exist and were left out, most first; ``left_out`` counts those places; ``by_options`` counts
    the ones left out only by an officer's option (drive them there, a maximum travel time).
    ``cause`` is ``"options"`` when such places exist (the gap is the options', not the
    person's), else ``"facts"``. ``detail`` says all of that in a sentence (None: nothing of
    these kinds exists near enough to be listed).
    """

    need: str | None
    message: str
    service_type: str | None = None
    blocked: tuple[tuple[str, int], ...] = ()
    left_out: int = 0
    by_options: int = 0
    cause: str = "facts"
    detail: str | None = None


@dataclass
class MatchResult:
    results: list[Match] = field(default_factory=list)
    excluded: list[Excluded] = field(default_factory=list)
    contact_lines: list[Candidate] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    more: int = 0
    """Eligible results left off because of ``Query.limit``."""
