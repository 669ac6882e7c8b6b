"""The lookup's answer as typed values (:class:`LookupAnswer`), made from the matcher's result.

The JSON API serialises it (:meth:`LookupAnswer.to_json`: the ``GET /api/v1/match`` shape of
spec/api.md section 3, a fixed interface) and the officer page renders it, so the two read one
answer. Times are aware datetimes in the jurisdiction's zone; the JSON writes them in ISO 8601.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from ...hours import format_open_state
from ...matching import Candidate, Capacity
from ...matching.model import Excluded, Gap, Match, MatchResult, Query
from ...matching.policy import Policy
from ...matching.ranking import format_age
from ...matching.tags import eligibility_tags
from ...taxonomy import Vocabulary
from ..provider_alerts import current_alert
from .parameters import LookupRequest


@dataclass(frozen=True)
class AnsweredQuery:
    """The question as answered: the point it was asked for and the facts in force."""

    lat: float  # rounded to 5 decimals (about a metre)
    lon: float
    at: datetime  # the moment asked about, in the jurisdiction's zone
    location_source: str | None = None  # zip, address, place, coordinates, geolocation, map
    location_label: str | None = None  # what a typed place was found as
    needs: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    age: int | None = None
    language: str | None = None
    payment: str | None = None
    population: tuple[str, ...] = ()  # sorted
    gender: str | None = None
    transport: bool = False
    intoxicated: bool | None = None  # the situation in force (the "intoxicated" need sets it)
    involuntary: bool = False
    max_minutes: float | None = None
    limit: int = 10
    open_now: bool | None = None


@dataclass(frozen=True)
class CapacityAnswer:
    """A result's latest capacity report (a stale one is shown but never trusted)."""

    available: int | None
    maximum: int | None = None
    unit: str | None = None
    updated: datetime | None = None
    stale: bool = True


@dataclass(frozen=True)
class ResultAnswer:
    """One place or team the person can be taken to or called, ranked."""

    service_id: str
    name: str
    service_at_location_id: str | None = None
    organization: str | None = None
    service_types: tuple[str, ...] = ()
    matched_type: str | None = None  # the wanted type it was ranked as
    continuum: str | None = None  # of its first type: place, respond, contact, ...
    distance_km: float | None = None  # rounded to 2 decimals
    travel_minutes: int | None = None  # rounded; None without a point or a road route
    # "road", "estimate" (a network is loaded, a point is off it), "unreachable" (no road
    # route; travel_minutes is None) or None (no network loaded).
    travel_source: str | None = None
    open_now: bool | None = None
    closes_at: datetime | None = None
    opens_next: datetime | None = None
    always_open: bool = False
    open_status_text: str | None = None  # worded from the moment asked about
    capacity: CapacityAnswer | None = None
    capacity_text: str | None = None
    attributes: tuple[str, ...] = ()  # sorted
    phones: tuple[str, ...] = ()
    address: str | None = None
    lat: float | None = None
    lon: float | None = None
    directions_url: str | None = None
    geo_uri: str | None = None
    assured_date: date | None = None
    score: float = 0.0
    reasons: tuple[str, ...] = ()
    alert: str | None = None  # the provider's alert in force
    tier: int = 0
    eligibility: tuple[str, ...] = ()  # who the place is for (age, gender, populations...)


@dataclass(frozen=True)
class ContactLineAnswer:
    """A phone line shown beside the results (the national lines and any other line)."""

    service_id: str
    name: str
    phones: tuple[str, ...] = ()
    always_open: bool = False


@dataclass(frozen=True)
class ExclusionReason:
    """One rule a place breaks: its code (spec/api.md 3) and the words shown for it."""

    code: str
    message: str


@dataclass(frozen=True)
class ExclusionAnswer:
    """A relevant place left out, with every rule it breaks."""

    service_id: str
    name: str
    service_at_location_id: str | None = None
    reasons: tuple[ExclusionReason, ...] = ()


@dataclass(frozen=True)
class GapAnswer:
    """A need (or a type asked for) that no place answers (``matching.model.Gap``)."""

    need: str | None
    message: str
    service_type: str | None = None
    detail: str | None = None
    cause: str = "facts"  # "options": only an officer's option left the places out
    left_out: int = 0
    left_out_by_options: int = 0
    blocked: tuple[tuple[str, int], ...] = ()  # (exclusion code, places), most first


@dataclass(frozen=True)
class LookupAnswer:
    """The whole answer of one lookup (spec/api.md 3)."""

    query: AnsweredQuery
    contact_lines: tuple[ContactLineAnswer, ...] = ()
    results: tuple[ResultAnswer, ...] = ()
    more_results: int = 0  # eligible places beyond ``query.limit``
    excluded: tuple[ExclusionAnswer, ...] = ()
    excluded_more: int = 0  # places left out beyond those listed
    gaps: tuple[GapAnswer, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The ``GET /api/v1/match`` body (spec/api.md 3)."""
        return {
            "query": _query_json(self.query),
            "contact_lines": [
                {
                    "service_id": line.service_id,
                    "name": line.name,
                    "phones": list(line.phones),
                    "always_open": line.always_open,
                }
                for line in self.contact_lines
            ],
            "results": [_result_json(result) for result in self.results],
            "more_results": self.more_results,
            "excluded": [
                {
                    "service_id": e.service_id,
                    "service_at_location_id": e.service_at_location_id,
                    "name": e.name,
                    "reasons": [{"code": r.code, "message": r.message} for r in e.reasons],
                }
                for e in self.excluded
            ],
            "excluded_more": self.excluded_more,
            "gaps": [_gap_json(gap) for gap in self.gaps],
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> LookupAnswer:
        """The answer a ``to_json`` body holds (missing fields take their defaults): for API
        clients written in Python and for tests that state an answer as JSON."""
        return cls(
            query=_query_from(body["query"]),
            contact_lines=tuple(
                ContactLineAnswer(
                    service_id=line["service_id"],
                    name=line["name"],
                    phones=tuple(line.get("phones") or ()),
                    always_open=bool(line.get("always_open")),
                )
                for line in body.get("contact_lines") or ()
            ),
            results=tuple(_result_from(r) for r in body.get("results") or ()),
            more_results=int(body.get("more_results") or 0),
            excluded=tuple(
                ExclusionAnswer(
                    service_id=e["service_id"],
                    name=e["name"],
                    service_at_location_id=e.get("service_at_location_id"),
                    reasons=tuple(
                        ExclusionReason(r["code"], r["message"]) for r in e.get("reasons") or ()
                    ),
                )
                for e in body.get("excluded") or ()
            ),
            excluded_more=int(body.get("excluded_more") or 0),
            gaps=tuple(_gap_from(g) for g in body.get("gaps") or ()),
        )


# --------------------------------------------------------------------------- from the matcher


def answer_of(
    request: LookupRequest,
    query: Query,
    result: MatchResult,
    place: AnsweredPlace,
    *,
    more_results: int,
    excluded_more: int,
    vocab: Vocabulary,
    zone: ZoneInfo,
    now: datetime,
    policy: Policy,
) -> LookupAnswer:
    """The answer of a matched lookup. ``more_results`` and ``excluded_more`` are counted by
    screening over every site (the matcher saw the shortlist only)."""
    return LookupAnswer(
        query=_answered_query(request, query, place, zone),
        contact_lines=tuple(
            ContactLineAnswer(
                service_id=c.service_id,
                name=c.name,
                phones=tuple(dict.fromkeys(c.phones)),
                always_open=c.open_state.always_open,
            )
            for c in result.contact_lines
        ),
        results=tuple(_result_of(m, vocab, zone, now, request.at, policy) for m in result.results),
        more_results=more_results,
        excluded=tuple(_exclusion_of(e) for e in result.excluded),
        excluded_more=excluded_more,
        gaps=tuple(_gap_of(g) for g in result.gaps),
    )


@dataclass(frozen=True)
class AnsweredPlace:
    """Where the lookup was answered for: the point and how it was found."""

    lat: float
    lon: float
    source: str | None
    label: str | None


def _answered_query(
    request: LookupRequest, query: Query, place: AnsweredPlace, zone: ZoneInfo
) -> AnsweredQuery:
    return AnsweredQuery(
        lat=round(place.lat, 5),
        lon=round(place.lon, 5),
        location_source=place.source,
        location_label=place.label,
        at=request.at.astimezone(zone),
        needs=request.needs,
        types=request.types,
        age=request.age,
        language=request.language,
        payment=request.payment,
        population=tuple(sorted(request.populations)),
        gender=request.gender,
        transport=request.transport,
        intoxicated=query.intoxicated,
        involuntary=query.involuntary,
        max_minutes=request.max_minutes,
        limit=request.limit,
        open_now=request.require_open,
    )


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    return moment.astimezone(zone) if moment else None


def _capacity_text(capacity: Capacity | None, now: datetime) -> str | None:
    if capacity is None:
        return None
    if capacity.stale or capacity.updated is None or capacity.available is None:
        return "Capacity not reported recently"
    age = format_age(capacity.updated, now)
    unit = capacity.unit or "places"
    unit_plural = unit if unit.endswith("s") else f"{unit}s"
    of = f" of {capacity.maximum}" if capacity.maximum is not None else ""
    return f"{capacity.available}{of} {unit_plural} free, {age}"


def _directions(candidate: Candidate) -> str | None:
    """A directions link every phone can open (a link, not a request the page makes)."""
    if candidate.lat is None or candidate.lon is None:
        return None
    return f"https://www.openstreetmap.org/directions?to={candidate.lat:.6f}%2C{candidate.lon:.6f}"


def _geo_uri(candidate: Candidate) -> str | None:
    """An RFC 5870 ``geo:`` URI, which Android opens in the phone's map app."""
    if candidate.lat is None or candidate.lon is None:
        return None
    return f"geo:{candidate.lat:.6f},{candidate.lon:.6f}"


def _capacity_of(capacity: Capacity | None, zone: ZoneInfo) -> CapacityAnswer | None:
    if capacity is None:
        return None
    return CapacityAnswer(
        available=capacity.available,
        maximum=capacity.maximum,
        unit=capacity.unit,
        updated=_local(capacity.updated, zone),
        stale=capacity.stale,
    )


def _travel(candidate: Candidate) -> tuple[int | None, str | None]:
    """(rounded minutes or None, travel source): no road route is "unreachable"; a place past
    the road search's limit is "beyond" (a route exists, longer than every limit: no figure)."""
    minutes = candidate.travel_minutes
    if minutes is not None and math.isinf(minutes) and candidate.travel_source != "beyond":
        return None, "unreachable"
    if minutes is None or not math.isfinite(minutes):
        return None, candidate.travel_source
    return round(minutes), candidate.travel_source


def _result_of(
    m: Match, vocab: Vocabulary, zone: ZoneInfo, now: datetime, at: datetime, policy: Policy
) -> ResultAnswer:
    c: Candidate = m.candidate
    state = c.open_state
    primary = c.service_types[0] if c.service_types else None
    minutes, source = _travel(c)
    return ResultAnswer(
        service_id=c.service_id,
        service_at_location_id=c.service_at_location_id,
        name=c.name,
        organization=c.organization,
        service_types=tuple(c.service_types),
        matched_type=m.fit.service_type if m.fit else primary,
        continuum=vocab.continuum_of(primary) if primary else None,
        distance_km=round(c.distance_km, 2) if c.distance_km is not None else None,
        travel_minutes=minutes,
        travel_source=source,
        open_now=state.open_now,
        closes_at=_local(state.closes_at, zone),
        opens_next=_local(state.opens_next, zone),
        always_open=state.always_open,
        open_status_text=format_open_state(state, at.astimezone(zone)),
        capacity=_capacity_of(c.capacity, zone),
        capacity_text=_capacity_text(c.capacity, now),
        attributes=tuple(sorted(c.attributes)),
        phones=tuple(c.phones),
        address=c.address,
        lat=c.lat,
        lon=c.lon,
        directions_url=_directions(c),
        geo_uri=_geo_uri(c),
        assured_date=c.assured_date,
        score=m.score,
        reasons=tuple(m.reasons),
        alert=current_alert(c.alert, c.alert_expires_at, now),
        tier=m.fit.tier if m.fit else 0,
        eligibility=tuple(eligibility_tags(c, policy, vocab)),
    )


def _exclusion_of(excluded: Excluded) -> ExclusionAnswer:
    c = excluded.candidate
    return ExclusionAnswer(
        service_id=c.service_id,
        service_at_location_id=c.service_at_location_id,
        name=c.name,
        reasons=tuple(ExclusionReason(r.code, r.message) for r in excluded.reasons),
    )


def _gap_of(gap: Gap) -> GapAnswer:
    return GapAnswer(
        need=gap.need,
        service_type=gap.service_type,
        message=gap.message,
        detail=gap.detail,
        cause=gap.cause,
        left_out=gap.left_out,
        left_out_by_options=gap.by_options,
        blocked=tuple(gap.blocked),
    )


# --------------------------------------------------------------------------- JSON


def _iso(moment: datetime | date | None) -> str | None:
    return moment.isoformat() if moment else None


def _query_json(q: AnsweredQuery) -> dict[str, Any]:
    return {
        "lat": q.lat,
        "lon": q.lon,
        "location_source": q.location_source,
        "location_label": q.location_label,
        "at": q.at.isoformat(),
        "needs": list(q.needs),
        "types": list(q.types),
        "age": q.age,
        "language": q.language,
        "payment": q.payment,
        "population": list(q.population),
        "gender": q.gender,
        "transport": q.transport,
        "intoxicated": q.intoxicated,
        "involuntary": q.involuntary,
        "max_minutes": q.max_minutes,
        "limit": q.limit,
        "open_now": q.open_now,
    }


def _capacity_json(capacity: CapacityAnswer | None) -> dict[str, Any] | None:
    if capacity is None:
        return None
    return {
        "available": capacity.available,
        "maximum": capacity.maximum,
        "unit": capacity.unit,
        "updated": _iso(capacity.updated),
        "stale": capacity.stale,
    }


def _result_json(r: ResultAnswer) -> dict[str, Any]:
    return {
        "service_id": r.service_id,
        "service_at_location_id": r.service_at_location_id,
        "name": r.name,
        "organization": r.organization,
        "service_types": list(r.service_types),
        "matched_type": r.matched_type,
        "continuum": r.continuum,
        "distance_km": r.distance_km,
        "travel_minutes": r.travel_minutes,
        "travel_source": r.travel_source,
        "open_now": r.open_now,
        "closes_at": _iso(r.closes_at),
        "opens_next": _iso(r.opens_next),
        "always_open": r.always_open,
        "open_status_text": r.open_status_text,
        "capacity": _capacity_json(r.capacity),
        "capacity_text": r.capacity_text,
        "attributes": list(r.attributes),
        "phones": list(r.phones),
        "address": r.address,
        "lat": r.lat,
        "lon": r.lon,
        "directions_url": r.directions_url,
        "geo_uri": r.geo_uri,
        "assured_date": _iso(r.assured_date),
        "score": r.score,
        "reasons": list(r.reasons),
        # Additive (issue #14): the alert in force, the tier, who the place is for.
        "alert": r.alert,
        "tier": r.tier,
        "eligibility": list(r.eligibility),
    }


def _gap_json(g: GapAnswer) -> dict[str, Any]:
    return {
        "need": g.need,
        "service_type": g.service_type,
        "message": g.message,
        # Additive (issue #14): what blocked the places that exist, and whether only an
        # officer's option did (then it is not the person's unmet need).
        "detail": g.detail,
        "cause": g.cause,
        "left_out": g.left_out,
        "left_out_by_options": g.left_out_by_options,
        "blocked": [{"code": code, "count": count} for code, count in g.blocked],
    }


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _query_from(q: Mapping[str, Any]) -> AnsweredQuery:
    at = _moment(q.get("at"))
    if at is None:
        raise ValueError("an answer's query has no 'at'")
    return AnsweredQuery(
        lat=q["lat"],
        lon=q["lon"],
        at=at,
        location_source=q.get("location_source"),
        location_label=q.get("location_label"),
        needs=tuple(q.get("needs") or ()),
        types=tuple(q.get("types") or ()),
        age=q.get("age"),
        language=q.get("language"),
        payment=q.get("payment"),
        population=tuple(q.get("population") or ()),
        gender=q.get("gender"),
        transport=bool(q.get("transport")),
        intoxicated=q.get("intoxicated"),
        involuntary=bool(q.get("involuntary")),
        max_minutes=q.get("max_minutes"),
        limit=int(q.get("limit") or 10),
        open_now=q.get("open_now"),
    )


def _capacity_from(c: Mapping[str, Any] | None) -> CapacityAnswer | None:
    if c is None:
        return None
    return CapacityAnswer(
        available=c.get("available"),
        maximum=c.get("maximum"),
        unit=c.get("unit"),
        updated=_moment(c.get("updated")),
        stale=bool(c.get("stale", True)),
    )


def _tuple(value: Sequence[Any] | None) -> tuple[Any, ...]:
    return tuple(value or ())


_RESULT_PLAIN = (
    "service_at_location_id",
    "organization",
    "matched_type",
    "continuum",
    "distance_km",
    "travel_minutes",
    "travel_source",
    "open_now",
    "open_status_text",
    "capacity_text",
    "address",
    "lat",
    "lon",
    "directions_url",
    "geo_uri",
    "alert",
)
_RESULT_LISTS = ("service_types", "attributes", "phones", "reasons", "eligibility")


def _result_from(r: Mapping[str, Any]) -> ResultAnswer:
    assured = r.get("assured_date")
    fields: dict[str, Any] = {name: r.get(name) for name in _RESULT_PLAIN}
    fields.update({name: _tuple(r.get(name)) for name in _RESULT_LISTS})
    return ResultAnswer(
        service_id=r["service_id"],
        name=r["name"],
        closes_at=_moment(r.get("closes_at")),
        opens_next=_moment(r.get("opens_next")),
        always_open=bool(r.get("always_open")),
        capacity=_capacity_from(r.get("capacity")),
        assured_date=date.fromisoformat(assured) if assured else None,
        score=float(r.get("score") or 0.0),
        tier=int(r.get("tier") or 0),
        **fields,
    )


def _gap_from(g: Mapping[str, Any]) -> GapAnswer:
    return GapAnswer(
        need=g.get("need"),
        message=g["message"],
        service_type=g.get("service_type"),
        detail=g.get("detail"),
        cause=g.get("cause") or "facts",
        left_out=int(g.get("left_out") or 0),
        left_out_by_options=int(g.get("left_out_by_options") or 0),
        blocked=tuple((b["code"], int(b["count"])) for b in g.get("blocked") or ()),
    )
