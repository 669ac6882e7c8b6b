"""What the search index holds: the whoosh schema and how a service becomes a document.

Pure: takes :class:`ServiceText` (plain strings gathered from the database by
``services.search``) and returns whoosh field dicts. Nothing here knows SQLAlchemy or Flask.

Every text field uses the same analyzer (words, lower case, accents folded, English stop words
dropped, Porter stems), so "sobering", "Sober" and "sobéring" all index as ``sober``. Field
weights are applied when querying (:data:`FIELD_BOOSTS`), not stored in the index, so tuning
them needs no reindex.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    CompositeAnalyzer,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StemmingAnalyzer,
    StopFilter,
)
from whoosh.analysis.tokenizers import default_pattern
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.formats import Frequency
from whoosh.support.charset import accent_map
from whoosh.system import pack_uint

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


# whoosh's default word pattern, and the same without its capturing group.
_DEFAULT_WORDS = default_pattern
_WORDS = re.compile(r"[\w\*]+(?:\.?[\w\*]+)*", default_pattern.flags)
# Distinct words whose terms ``_Terms`` remembers (about 100 bytes each) before starting over.
_TERMS_CACHED = 200_000


def _word_finder(expression: re.Pattern[str]) -> Callable[[str], list[str]]:
    """The words ``expression`` finds in a text, as the tokenizer finds them."""
    if expression.pattern == _DEFAULT_WORDS.pattern and expression.flags == _DEFAULT_WORDS.flags:
        return _WORDS.findall  # the same matches, without the group that findall would return
    return lambda value: [match.group(0) for match in expression.finditer(value)]


class _Terms:
    """The terms ``make_analyzer()`` makes of a text when indexing, a word at a time.

    The analyzer's filters look at one word each (lower case, stop word or too short, stem,
    accents), so a word's term depends on the word alone and is worked out once per distinct
    word, from the analyzer's own tokenizer, stop list, stemmer and character map. whoosh runs
    each word through a chain of Python generators instead; at 50,000 services that was most of
    a reindex.
    """

    def __init__(self, analyzer: Analyzer) -> None:
        if not isinstance(analyzer, CompositeAnalyzer):
            raise TypeError(f"expected a composite analyzer, not {analyzer!r}")
        kinds = [type(item) for item in analyzer.items]
        if kinds != [RegexTokenizer, LowercaseFilter, StopFilter, StemFilter, CharsetFilter]:
            raise TypeError(f"unexpected analyzer chain {kinds}")
        tokenizer, _lower, stop, stem, charset = analyzer.items
        if tokenizer.gaps:
            raise TypeError("expected a tokenizer that matches words, not gaps")
        self._words = _word_finder(tokenizer.expression)
        self._stops: frozenset[str] = stop.stops
        self._min: int = stop.min
        self._max: int | None = stop.max
        self._ignore: frozenset[str] = stem.ignore
        self._stem: Callable[[str], str] = stem._stem
        self._charmap: dict[int, Any] = charset.charmap
        self._known: dict[str, str | None] = {}

    def term(self, word: str) -> str | None:
        """The term of one word as the tokenizer found it (None: a stop word or too short)."""
        text = word.lower()
        if len(text) < self._min or (self._max is not None and len(text) > self._max):
            return None
        if text in self._stops:
            return None
        if text not in self._ignore:
            text = self._stem(text)
        return text.translate(self._charmap)

    def counts(self, value: str) -> Counter[str]:
        """How often each term occurs in ``value``."""
        known = self._known
        if len(known) > _TERMS_CACHED:
            known.clear()
        terms = [known[w] if w in known else self._learn(w) for w in self._words(value)]
        return Counter(term for term in terms if term is not None)

    def _learn(self, word: str) -> str | None:
        term = self._known[word] = self.term(word)
        return term


class IndexedText(TEXT):
    """A ``TEXT`` field without word positions, indexed faster than whoosh's analyzer chain.

    Gives the postings ``TEXT(analyzer=make_analyzer(), phrase=False)`` gives (a test compares
    them); queries still run through the analyzer itself.
    """

    def __init__(self, stored: bool = False) -> None:
        super().__init__(analyzer=make_analyzer(), phrase=False, stored=stored)

    def __getstate__(self) -> dict[str, Any]:
        # The index's table of contents pickles the schema: leave the word cache out.
        return {k: v for k, v in self.__dict__.items() if k != "_terms"}

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        if kwargs or not isinstance(value, str) or type(self.format) is not Frequency:
            yield from super().index(value, **kwargs)
            return
        yield from self.postings(value)

    def postings(self, value: str) -> list[tuple[bytes, int, float, bytes]]:
        """(term, frequency, weight, encoded frequency) of each term of ``value``, as
        ``TEXT.index`` gives them (in another order)."""
        terms = self.__dict__.get("_terms")
        if terms is None:
            terms = self.__dict__["_terms"] = _Terms(self.analyzer)
        boost = self.format.field_boost
        return [
            (term.encode("utf-8"), count, count * boost, pack_uint(count))
            for term, count in terms.counts(value).items()
        ]


def build_schema() -> Schema:
    # Without positions: postings keep each word's frequency but not its positions, which
    # nothing reads (queries are word by word) and which made every postings block slower to
    # load.
    fields = {name: IndexedText() for name in TEXT_FIELDS}
    # The name is stored so a page of hits can be ordered by name without a database trip.
    fields["name"] = IndexedText(stored=True)
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
