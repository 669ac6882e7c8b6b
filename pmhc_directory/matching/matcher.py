"""``match(query, candidates, vocabulary=...)``: rules, ranking, contact lines and gap notices."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace

from pmhc_directory.taxonomy import NEED, SERVICE_TYPE, Vocabulary

from .model import Candidate, Excluded, Fit, Gap, Match, MatchResult, Query
from .ranking import reasons, score
from .rules import (
    CRISIS_CONTINUUM,
    DEFAULT_MAX_MINUTES,
    continuum_or_none,
    exclusions,
    fit_of,
    status_exclusion,
)


def _check_codes(query: Query, vocabulary: Vocabulary) -> None:
    for need in query.needs:
        if vocabulary.find(NEED, need) is None:
            raise ValueError(f"unknown need code {need!r}")
    for service_type in query.types:
        if vocabulary.find(SERVICE_TYPE, service_type) is None:
            raise ValueError(f"unknown service-type code {service_type!r}")


def _sort_key(match: Match) -> tuple[float, float, str, str, str, str]:
    candidate = match.candidate
    travel = candidate.travel_minutes
    return (
        -match.score,
        math.inf if travel is None else travel,
        candidate.name.casefold(),
        candidate.name,
        candidate.service_id,
        candidate.service_at_location_id or "",
    )


def _name_key(candidate: Candidate) -> tuple[str, str, str]:
    return (candidate.name.casefold(), candidate.service_id, candidate.service_at_location_id or "")


def _lower_first(text: str) -> str:
    """``Sobering center`` -> ``sobering center``; leaves acronyms (``ASL line``) alone."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def gap_message(query: Query, service_type: str, vocabulary: Vocabulary) -> str:
    """``No open sobering center within 45 minutes`` for the most-preferred type and its cap."""
    term = vocabulary.find(SERVICE_TYPE, service_type)
    name = _lower_first(term.name if term else service_type)
    continuum = continuum_or_none(vocabulary, service_type)
    require_open = query.require_open
    if require_open is None:
        require_open = continuum in CRISIS_CONTINUUM
    opened = "open " if require_open else ""
    if query.max_minutes is not None:
        cap = None if math.isinf(query.max_minutes) else query.max_minutes
    else:
        cap = DEFAULT_MAX_MINUTES.get(continuum or "", 60)
    if continuum == "respond":
        return f"No {opened}{name} serving this location"
    if cap is None:
        return f"No {opened}{name} available"
    return f"No {opened}{name} within {cap:g} minutes"


def match(query: Query, candidates: Iterable[Candidate], *, vocabulary: Vocabulary) -> MatchResult:
    """Apply every hard rule, rank what is left, list contact lines and name the gaps.

    * National lines (``is_national``) are never results: active ones are always in
      ``contact_lines``; an inactive one is reported in ``excluded`` (never shown as available).
    * A non-national candidate none of whose types the query names or its needs list is
      ignored (neither result nor excluded).
    * Every other candidate is either a result (passes every rule) or excluded with every rule
      it breaks. Results are sorted best first and cut to ``query.limit``; ``more`` counts the
      eligible ones left off.
    """
    _check_codes(query, vocabulary)
    eligible: list[Match] = []
    excluded: list[Excluded] = []
    contact_lines: list[Candidate] = []
    # A fit depends only on the query and the candidate's service types: worked out once per
    # combination of types (a big directory has a few hundred combinations).
    fits: dict[tuple[str, ...], Fit | None] = {}
    for candidate in candidates:
        types = candidate.service_types
        if types in fits:
            fit = fits[types]
        else:
            fit = fits[types] = fit_of(query, candidate, vocabulary)
        if candidate.is_national:
            if (reason := status_exclusion(candidate)) is not None:
                excluded.append(Excluded(candidate, [reason]))
            else:
                contact_lines.append(candidate)
            continue
        if fit is None:
            continue
        broken = exclusions(query, candidate, fit)
        if broken:
            excluded.append(Excluded(candidate, broken))
            continue
        # Reasons are worded below, for the results shown only (the order needs the score).
        eligible.append(Match(candidate=candidate, score=score(query, candidate, fit), fit=fit))
    eligible.sort(key=_sort_key)
    shown = [
        replace(m, reasons=reasons(query, m.candidate, m.fit, vocabulary))
        for m in eligible[: query.limit]
        if m.fit is not None
    ]
    contact_lines.sort(key=lambda line: (fit_of(query, line, vocabulary) is None, *_name_key(line)))
    excluded.sort(key=lambda item: _name_key(item.candidate))
    return MatchResult(
        results=shown,
        excluded=excluded,
        contact_lines=contact_lines,
        gaps=_gaps(query, eligible, contact_lines, vocabulary),
        more=max(len(eligible) - query.limit, 0),
    )


def _gaps(
    query: Query,
    eligible: list[Match],
    contact_lines: list[Candidate],
    vocabulary: Vocabulary,
) -> list[Gap]:
    """One gap per need (then per named type) that nothing eligible meets.

    A need is met by any eligible result of one of its types. National lines meet a need only
    when the need's first choice is a phone line (``someone-to-talk-to``, ``suicide-risk``):
    988 does not fill the gap left by a missing crisis receiving center.
    """
    offered = {t for m in eligible for t in m.candidate.service_types}
    lines = {t for line in contact_lines for t in line.service_types}
    gaps: list[Gap] = []
    for need in query.needs:
        preferred = vocabulary.service_types_for_need(need)
        if not preferred or offered & set(preferred):
            continue
        first = preferred[0]
        if continuum_or_none(vocabulary, first) == "contact" and lines & set(preferred):
            continue
        gaps.append(
            Gap(need=need, message=gap_message(query, first, vocabulary), service_type=first)
        )
    for service_type in query.types:
        if service_type in offered:
            continue
        if continuum_or_none(vocabulary, service_type) == "contact" and service_type in lines:
            continue
        gaps.append(
            Gap(
                need=None,
                message=gap_message(query, service_type, vocabulary),
                service_type=service_type,
            )
        )
    return gaps
