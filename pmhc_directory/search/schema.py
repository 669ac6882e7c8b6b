"""What the search index holds: the whoosh schema and how a service becomes a document.

Pure: takes :class:`ServiceText` (plain strings gathered from the database by
``services.search``) and returns whoosh field dicts. Nothing here knows SQLAlchemy or Flask.

Every text field uses the same analyzer (words, lower case, accents folded, English stop words
dropped, Porter stems), so "sobering", "Sober" and "sobéring" all index as ``sober``. Field
weights are applied when querying (:data:`FIELD_BOOSTS`), not stored in the index, so tuning
them needs no reindex.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from whoosh.analysis import Analyzer, CharsetFilter, StemmingAnalyzer
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.support.charset import accent_map

# Bump when the fields or the analyzer change: indexes written with another version are rebuilt
# (and replaced by a new index when a field's postings format changed).
# 2: text fields without word positions (no phrase queries; searches read postings faster).
SCHEMA_VERSION = 2

# The one document that is not a service: the index's own sync state (see search.sync).
STATE_ID = "__state__"
SERVICE_KIND = "service"
STATE_KIND = "state"

# Query-time weights per searched field: a word in the name counts four times one in the
# description. Kept at query time because BM25F saturates term frequency, which would blunt
# index-time boosts.
FIELD_BOOSTS: dict[str, float] = {
    "name": 4.0,
    "alternate_name": 2.5,
    "types": 2.0,
    "organization": 1.5,
    "terms": 1.0,
    "places": 1.0,
    "description": 1.0,
}
TEXT_FIELDS = tuple(FIELD_BOOSTS)


def make_analyzer() -> Analyzer:
    """Words -> lower case -> stop words dropped -> Porter stems -> accents folded."""
    return StemmingAnalyzer() | CharsetFilter(accent_map)


def build_schema() -> Schema:
    # phrase=False: postings keep each word's frequency but not its positions, which nothing
    # reads (queries are word by word) and which made every postings block slower to load.
    fields = {name: TEXT(analyzer=make_analyzer(), phrase=False) for name in TEXT_FIELDS}
    # The name is stored so a page of hits can be ordered by name without a database trip.
    fields["name"] = TEXT(analyzer=make_analyzer(), phrase=False, stored=True)
    return Schema(
        id=ID(stored=True, unique=True),
        kind=ID(),
        # Exact service-type codes, for the ``types`` filter (not searched as text).
        type_codes=KEYWORD(commas=True, lowercase=True),
        status=ID(),
        state=STORED(),
        **fields,
    )


SCHEMA = build_schema()


@dataclass(frozen=True)
class ServiceText:
    """The searchable facts of one service, as plain text gathered from the database."""

    id: str
    name: str
    alternate_name: str = ""
    description: str = ""
    organization: str = ""
    status: str = "active"
    # PMHC service-type codes ("crisis-receiving") and their names ("Crisis receiving center").
    type_codes: tuple[str, ...] = ()
    type_names: tuple[str, ...] = ()
    # Names of the service's other taxonomy terms (diversion attributes, populations, payment).
    terms: tuple[str, ...] = ()
    # Location names, cities and postal codes where the service is offered.
    places: tuple[str, ...] = ()


def _join(parts: Iterable[str | None]) -> str:
    return "\n".join(p for p in parts if p)


def service_document(text: ServiceText) -> dict[str, str]:
    """The whoosh document of one service (field name -> text)."""
    return {
        "id": text.id,
        "kind": SERVICE_KIND,
        "name": text.name,
        "alternate_name": text.alternate_name,
        "description": text.description,
        "organization": text.organization,
        # Codes are searchable as words too: "crisis-receiving" matches "crisis receiving".
        "types": _join([*text.type_names, *text.type_codes]),
        "type_codes": ",".join(text.type_codes),
        "terms": _join(text.terms),
        "places": _join(text.places),
        "status": text.status,
    }


def state_document(state_json: str) -> dict[str, str]:
    """The sentinel document that carries the sync state; written in the same commit."""
    return {"id": STATE_ID, "kind": STATE_KIND, "state": state_json}
