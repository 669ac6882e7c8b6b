"""The officer lookup: checked inputs -> geocoded point -> candidates -> matcher -> answer.

The typed location is used for this one query: it is never stored or logged; only the analysis
area it falls in is kept, and only when a need goes unmet (``UnmetNeed``). The answer is the
``GET /api/v1/match`` shape of spec/api.md section 3.

One module per part, in the order a lookup runs through them:

- :mod:`.parameters`: the one reader of a query string (``query_params``) and the one parser
  of the lookup's parameters (``parse_lookup_params``).
- :mod:`.settings`: the lookup's settings and policy from the app's configuration.
- :mod:`.places`: place resolution (the geocoder chain and the local gazetteer's cache).
- :mod:`.facts`: a service's facts (types and codes by kind, hours rules, area shapes).
- :mod:`.catalogue`: every service's static facts per site (``SiteEntry``), read in batches.
- :mod:`.columns`: the catalogue as numpy columns and screening codes.
- :mod:`.cache`: the per-process candidate cache, kept current from the change sequence.
- :mod:`.caches`: where the caches live (``app.extensions["pmhc_lookup"]``, else a fallback).
- :mod:`.snapshot`: warm starts (the cache's snapshot beside the search index).
- :mod:`.screening`: from the columns to the shortlist the matcher sees.
- :mod:`.run`: one lookup from start to answer (``answer_lookup``; ``run_lookup`` gives JSON).
- :mod:`.answer`: the typed answer (``LookupAnswer``) and its JSON shape (spec/api.md 3).
- :mod:`.unmet`: recording unmet need (an explicit call; the caller commits).

This package re-exports the names other modules use, so ``from ..services.lookup import X``
keeps working whichever module holds ``X``.
"""

from __future__ import annotations

from ...geo.distance import TravelModel
from .answer import (
    AnsweredQuery,
    CapacityAnswer,
    ContactLineAnswer,
    ExclusionAnswer,
    ExclusionReason,
    GapAnswer,
    LookupAnswer,
    ResultAnswer,
)
from .cache import CandidateCache, candidate_cache
from .cache import _caches as _caches  # the fallback caches (tests clear them)
from .catalogue import (
    CapacityFact,
    SiteEntry,
    load_capacities,
    load_closures,
    load_site_entries,
)
from .columns import CapacityColumns, Columns
from .facts import (
    ServiceFacts,
    area_shapes,
    facts_from_rows,
    schedule_rules,
    service_facts,
    site_rules,
)
from .parameters import (
    LIST_FIELDS,
    LookupInputError,
    LookupRequest,
    form_params,
    is_true,
    parse_lookup_params,
    query_params,
    split_codes,
)
from .places import (
    area_of_point,
    build_geocoder,
    facility_choices,
    load_gazetteer,
    online_answer_cache,
    place_names,
)
from .run import answer_lookup, resolve_place, run_lookup
from .screening import (
    EXCLUDED_LISTED,
    Shortlist,
    all_candidates,
    build_candidates,
    load_candidates,
    query_of,
)
from .settings import LookupSettings, policy_from_config, settings_from_config
from .unmet import hour_of_week, record_unmet_needs, unmet_gaps, unmet_intent_key, unmet_rows

__all__ = [
    "EXCLUDED_LISTED",
    "LIST_FIELDS",
    "AnsweredQuery",
    "CandidateCache",
    "CapacityAnswer",
    "CapacityColumns",
    "CapacityFact",
    "Columns",
    "ContactLineAnswer",
    "ExclusionAnswer",
    "ExclusionReason",
    "GapAnswer",
    "LookupAnswer",
    "LookupInputError",
    "LookupRequest",
    "LookupSettings",
    "ResultAnswer",
    "ServiceFacts",
    "Shortlist",
    "SiteEntry",
    "TravelModel",
    "all_candidates",
    "answer_lookup",
    "area_of_point",
    "area_shapes",
    "build_candidates",
    "build_geocoder",
    "candidate_cache",
    "facility_choices",
    "facts_from_rows",
    "form_params",
    "hour_of_week",
    "is_true",
    "load_candidates",
    "load_capacities",
    "load_closures",
    "load_gazetteer",
    "load_site_entries",
    "online_answer_cache",
    "parse_lookup_params",
    "place_names",
    "policy_from_config",
    "query_of",
    "query_params",
    "record_unmet_needs",
    "resolve_place",
    "run_lookup",
    "schedule_rules",
    "service_facts",
    "settings_from_config",
    "site_rules",
    "split_codes",
    "unmet_gaps",
    "unmet_intent_key",
    "unmet_rows",
]
