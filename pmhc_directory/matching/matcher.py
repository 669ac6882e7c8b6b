"""``match(query, candidates, vocabulary=...)``: rules, ranking, contact lines and gap notices."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace

from pmhc_directory.taxonomy import NEED, SERVICE_TYPE, Vocabulary

from .model import Candidate, Excluded, Fit, Gap, Match, MatchResult, Query
from .ranking import reasons, score
from .rules import (
    BLOCKED_WORDS,
    continuum_or_none,
    exclusions,
    fit_of,
    status_exclusion,
    type_defaults,
)


def _check_codes(query: Query, vocabulary: Vocabulary) -> None:
    for need in query.needs:
        if vocabulary.find(NEED, need) is None:
            raise ValueError(f"unknown need code {need!r}")
    for service_type in query.types:
        if vocabulary.find(SERVICE_TYPE, service_type) is None:
            raise ValueError(f"unknown service-type code {service_type!r}")


def _sort_key(match: Match) -> tuple[int, float, float, str, str, str, str]:
    """Tier first (an eligible earlier choice ranks above every later one), then score."""
    candidate = match.candidate
    travel = candidate.travel_minutes
    return (
        match.fit.tier if match.fit is not None else 0,
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
    """``No open sobering center within 45 minutes`` for the most-preferred type and its cap
    (the open-now requirement and the cap a fit of that type has: ``rules.type_defaults``)."""
    term = vocabulary.find(SERVICE_TYPE, service_type)
    name = _lower_first(term.name if term else service_type)
    continuum = continuum_or_none(vocabulary, service_type)
    require_open, cap = type_defaults(query, continuum)
    opened = "open " if require_open else ""
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
        gaps=_gaps(query, eligible, contact_lines, excluded, vocabulary),
        more=max(len(eligible) - query.limit, 0),
    )


#: Exclusion codes an officer's option causes (not the person's facts nor the place's state).
TRANSPORT_CODES = frozenset({"no-law-enforcement-dropoff"})
MAX_TRAVEL_CODES = frozenset({"too-far"})
__all__ = ["BLOCKED_WORDS", "gap_detail", "gap_message", "match", "option_codes"]


def option_codes(query: Query) -> frozenset[str]:
    """The exclusion codes this query's officer options cause: police drop-off when the officer
    drives, too far when the officer set a maximum travel time (the default limits are the
    jurisdiction's, not an option)."""
    codes = set(TRANSPORT_CODES if query.transport else ())
    if query.max_minutes is not None:
        codes |= MAX_TRAVEL_CODES
    return frozenset(codes)


def _blocked(
    query: Query, kinds: set[str], excluded: list[Excluded]
) -> tuple[tuple[tuple[str, int], ...], int, int, float | None, dict[str, str]]:
    """Why the places of ``kinds`` were left out: (code, count) most first, how many places,
    how many only by an officer's option, the most travel minutes among them, and the first
    message of each code."""
    counts: dict[str, int] = {}
    messages: dict[str, str] = {}
    places = by_options = 0
    farthest: float | None = None
    options = option_codes(query)
    for item in excluded:
        candidate = item.candidate
        if candidate.is_national or not kinds & set(candidate.service_types):
            continue
        places += 1
        codes = list(dict.fromkeys(r.code for r in item.reasons))
        for reason in item.reasons:
            messages.setdefault(reason.code, reason.message)
        for code in codes:
            counts[code] = counts.get(code, 0) + 1
        if codes and set(codes) <= options:
            by_options += 1
        minutes = candidate.travel_minutes
        if minutes is not None and minutes != float("inf") and not candidate.goes_to_person:
            farthest = max(farthest or 0.0, minutes)
    order = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    return tuple(order), places, by_options, farthest, messages


def gap_detail(
    blocked: tuple[tuple[str, int], ...],
    left_out: int,
    farthest: float | None,
    messages: dict[str, str] | None = None,
) -> str | None:
    """``3 places within 39 minutes were left out: all do not take police drop-off``. A reason
    only one place has is worded as that place's own (``only for youth (under 18)``)."""
    messages = messages or {}

    def words(code: str, count: int) -> str:
        if count == 1 and code in messages:
            return _lower_first(messages[code])
        return BLOCKED_WORDS.get(code, code)

    if not left_out:
        return None
    subject = "1 place" if left_out == 1 else f"{left_out} places"
    within = ""
    if farthest is not None:
        minutes = max(math.ceil(farthest), 1)
        within = f" within {minutes} minute{'' if minutes == 1 else 's'}"
    verb = "was" if left_out == 1 else "were"
    if left_out == 1:
        why = "; ".join(words(code, count) for code, count in blocked)
    else:
        why = "; ".join(
            f"{'all' if count == left_out else count} {words(code, count)}"
            for code, count in blocked
        )
    return f"{subject}{within} {verb} left out: {why}"


def _gap(
    query: Query,
    need: str | None,
    service_type: str,
    kinds: set[str],
    excluded: list[Excluded],
    vocabulary: Vocabulary,
) -> Gap:
    blocked, left_out, by_options, farthest, messages = _blocked(query, kinds, excluded)
    return Gap(
        need=need,
        message=gap_message(query, service_type, vocabulary),
        service_type=service_type,
        blocked=blocked,
        left_out=left_out,
        by_options=by_options,
        cause="options" if by_options else "facts",
        detail=gap_detail(blocked, left_out, farthest, messages),
    )


def _gaps(
    query: Query,
    eligible: list[Match],
    contact_lines: list[Candidate],
    excluded: list[Excluded],
    vocabulary: Vocabulary,
) -> list[Gap]:
    """One gap per need (then per named type) that nothing eligible meets, naming what blocked
    the places of its types that exist (among the ``excluded`` given).

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
        gaps.append(_gap(query, need, first, set(preferred), excluded, vocabulary))
    for service_type in query.types:
        if service_type in offered:
            continue
        if continuum_or_none(vocabulary, service_type) == "contact" and service_type in lines:
            continue
        gaps.append(_gap(query, None, service_type, {service_type}, excluded, vocabulary))
    return gaps
