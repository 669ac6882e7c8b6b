"""The lookup's answer: geocode, shortlist, match, and the ``GET /api/v1/match`` shape of
spec/api.md section 3."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ...geo.geocoding import (
    Geocoder,
)
from ...hours import format_open_state
from ...matching import Candidate, Capacity, match
from ...matching.policy import Policy
from ...matching.ranking import format_age
from ...matching.tags import eligibility_tags
from ...taxonomy import Vocabulary, vocabulary
from .parameters import LookupInputError, LookupRequest
from .screening import load_candidates, query_of
from .settings import LookupSettings

# --------------------------------------------------------------------------- the answer


def _iso(moment: datetime | None, zone: ZoneInfo) -> str | None:
    return moment.astimezone(zone).isoformat() if moment else None


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


def _result_json(
    m: Any, vocab: Vocabulary, zone: ZoneInfo, now: datetime, at: datetime, policy: Policy
) -> dict[str, Any]:
    from ..provider_alerts import current_alert

    c: Candidate = m.candidate
    state = c.open_state
    capacity = None
    if c.capacity is not None:
        capacity = {
            "available": c.capacity.available,
            "maximum": c.capacity.maximum,
            "unit": c.capacity.unit,
            "updated": _iso(c.capacity.updated, zone),
            "stale": c.capacity.stale,
        }
    primary = c.service_types[0] if c.service_types else None
    return {
        "service_id": c.service_id,
        "service_at_location_id": c.service_at_location_id,
        "name": c.name,
        "organization": c.organization,
        "service_types": list(c.service_types),
        "matched_type": m.fit.service_type if m.fit else primary,
        "continuum": vocab.continuum_of(primary) if primary else None,
        "distance_km": round(c.distance_km, 2) if c.distance_km is not None else None,
        "travel_minutes": round(c.travel_minutes)
        if c.travel_minutes is not None and math.isfinite(c.travel_minutes)
        else None,
        # "road", "estimate" (a network is loaded, a point is off it), "unreachable" (no road
        # route; travel_minutes is null) or null (no network loaded).
        "travel_source": "unreachable"
        if c.travel_minutes is not None and math.isinf(c.travel_minutes)
        else c.travel_source,
        "open_now": state.open_now,
        "closes_at": _iso(state.closes_at, zone),
        "opens_next": _iso(state.opens_next, zone),
        "always_open": state.always_open,
        # Worded from the moment asked about ("closes 6:00 AM" for a 2 a.m. question).
        "open_status_text": format_open_state(state, at.astimezone(zone)),
        "capacity": capacity,
        "capacity_text": _capacity_text(c.capacity, now),
        "attributes": sorted(c.attributes),
        "phones": list(c.phones),
        "address": c.address,
        "lat": c.lat,
        "lon": c.lon,
        "directions_url": _directions(c),
        "geo_uri": _geo_uri(c),
        "assured_date": c.assured_date.isoformat() if c.assured_date else None,
        "score": m.score,
        "reasons": list(m.reasons),
        # Additive (issue #14): the alert in force, the tier, who the place is for.
        "alert": current_alert(c.alert, c.alert_expires_at, now),
        "tier": m.fit.tier if m.fit else 0,
        "eligibility": eligibility_tags(c, policy, vocab),
    }


def run_lookup(
    session: Session,
    request: LookupRequest,
    *,
    geocoder: Geocoder,
    settings: LookupSettings,
    now: datetime,
    vocab: Vocabulary | None = None,
) -> dict[str, Any]:
    """Answer one lookup (spec/api.md 3). Reads only: recording unmet need is the caller's
    explicit call (:func:`record_unmet_needs`)."""
    vocab = vocab or vocabulary()
    if request.lat is not None and request.lon is not None:
        lat, lon, source, label = request.lat, request.lon, request.location_source, None
    else:
        found = geocoder.geocode(request.near or "")
        if found is None:
            suggest = getattr(geocoder, "suggest", None)
            choices = suggest(request.near or "") if suggest is not None else []
            if choices:
                message = "That place was not found, or several places match. Did you mean: "
                message += "; ".join(choices) + "?"
            else:
                message = (
                    "That place was not found. Try a ZIP code, a street address with the town, "
                    "or a landmark name."
                )
            raise LookupInputError("near", message, "not-found", choices)
        lat, lon, source, label = found.lat, found.lon, found.source, found.label
    shortlist = load_candidates(session, request, lat, lon, settings, now, vocab)
    query = query_of(request, now, settings.policy)
    result = match(query, shortlist.candidates, vocabulary=vocab)
    # The matcher saw the shortlist only; screening counted every site.
    more = shortlist.eligible - len(result.results)
    excluded_more = shortlist.excluded - shortlist.listed
    zone = settings.zone
    return {
        "query": {
            "lat": round(lat, 5),
            "lon": round(lon, 5),
            "location_source": source,
            "location_label": label,
            "at": request.at.astimezone(zone).isoformat(),
            "needs": list(request.needs),
            "types": list(request.types),
            "age": request.age,
            "language": request.language,
            "payment": request.payment,
            "population": sorted(request.populations),
            "gender": request.gender,
            "transport": request.transport,
            # The situation in force: the "intoxicated" need sets it (issue #14 item 1).
            "intoxicated": query.intoxicated,
            "involuntary": query.involuntary,
            "max_minutes": request.max_minutes,
            "limit": request.limit,
            "open_now": request.require_open,
        },
        "contact_lines": [
            {
                "service_id": c.service_id,
                "name": c.name,
                "phones": list(dict.fromkeys(c.phones)),
                "always_open": c.open_state.always_open,
            }
            for c in result.contact_lines
        ],
        "results": [
            _result_json(m, vocab, zone, now, request.at, settings.policy) for m in result.results
        ],
        "more_results": more,
        "excluded": [
            {
                "service_id": e.candidate.service_id,
                "service_at_location_id": e.candidate.service_at_location_id,
                "name": e.candidate.name,
                "reasons": [{"code": r.code, "message": r.message} for r in e.reasons],
            }
            for e in result.excluded
        ],
        "excluded_more": excluded_more,
        "gaps": [
            {
                "need": g.need,
                "service_type": g.service_type,
                "message": g.message,
                # Additive (issue #14): what blocked the places that exist, and whether only
                # an officer's option did (then it is not the person's unmet need).
                "detail": g.detail,
                "cause": g.cause,
                "left_out": g.left_out,
                "left_out_by_options": g.by_options,
                "blocked": [{"code": code, "count": count} for code, count in g.blocked],
            }
            for g in result.gaps
        ],
    }
