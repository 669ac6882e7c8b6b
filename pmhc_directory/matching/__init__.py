"""The officer's question: where can I take this person right now?

Pure matching core (standard library plus the project's taxonomy and hours modules)::

    from pmhc_directory.matching import Query, Candidate, match
    from pmhc_directory.taxonomy import vocabulary

    result = match(Query(at=now, needs=("crisis-now",), transport=True), candidates,
                   vocabulary=vocabulary())
    result.results        # best first, each with score and reasons
    result.excluded       # (candidate, [Exclusion(code, message), ...])
    result.contact_lines  # national lines (988...), always
    result.gaps           # Gap(need, message) for each need nothing meets

A closed, full or refusing service is never a result. The rules and weights in plain words are
in ``docs/matching.md``.
"""

from .matcher import gap_message, match
from .model import (
    Candidate,
    Capacity,
    Excluded,
    Exclusion,
    Fit,
    Gap,
    Match,
    MatchResult,
    Query,
)
from .rules import DEFAULT_MAX_MINUTES, RULES, exclusions, fit_of

__all__ = [
    "DEFAULT_MAX_MINUTES",
    "RULES",
    "Candidate",
    "Capacity",
    "Excluded",
    "Exclusion",
    "Fit",
    "Gap",
    "Match",
    "MatchResult",
    "Query",
    "exclusions",
    "fit_of",
    "gap_message",
    "match",
]
