"""One lookup from start to answer: place -> shortlist (screening) -> matcher -> answer.

Reads only: recording unmet need is the caller's explicit call (``unmet.record_unmet_needs``),
and the caller commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ...geo.geocoding import Geocoder
from ...matching import match
from ...taxonomy import Vocabulary, vocabulary
from .answer import AnsweredPlace, LookupAnswer, answer_of
from .parameters import LookupInputError, LookupRequest
from .screening import load_candidates, query_of
from .settings import LookupSettings


def resolve_place(request: LookupRequest, geocoder: Geocoder) -> AnsweredPlace:
    """The request's coordinates, or its typed place geocoded; ``LookupInputError``
    ("not-found", with "did you mean" choices when the gazetteer has some) otherwise."""
    if request.lat is not None and request.lon is not None:
        return AnsweredPlace(request.lat, request.lon, request.location_source, None)
    found = geocoder.geocode(request.near or "")
    if found is not None:
        return AnsweredPlace(found.lat, found.lon, found.source, found.label)
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


def answer_lookup(
    session: Session,
    request: LookupRequest,
    *,
    geocoder: Geocoder,
    settings: LookupSettings,
    now: datetime,
    vocab: Vocabulary | None = None,
) -> LookupAnswer:
    """Answer one lookup (spec/api.md 3) as a typed :class:`LookupAnswer`."""
    vocab = vocab or vocabulary()
    place = resolve_place(request, geocoder)
    shortlist = load_candidates(session, request, place.lat, place.lon, settings, now, vocab)
    query = query_of(request, now, settings.policy)
    result = match(query, shortlist.candidates, vocabulary=vocab)
    return answer_of(
        request,
        query,
        result,
        place,
        # The matcher saw the shortlist only; screening counted every site.
        more_results=shortlist.eligible - len(result.results),
        excluded_more=shortlist.excluded - shortlist.listed,
        vocab=vocab,
        zone=settings.zone,
        now=now,
        policy=settings.policy,
    )


def run_lookup(
    session: Session,
    request: LookupRequest,
    *,
    geocoder: Geocoder,
    settings: LookupSettings,
    now: datetime,
    vocab: Vocabulary | None = None,
) -> dict[str, Any]:
    """:func:`answer_lookup` as the ``GET /api/v1/match`` JSON body (scripts, benchmarks)."""
    answer = answer_lookup(
        session, request, geocoder=geocoder, settings=settings, now=now, vocab=vocab
    )
    return answer.to_json()
