"""``SearchIndex``: one process's whoosh index of services, in a folder or in memory.

The index is a cache of the database (spec/architecture.md). It opens lazily, and an index that
is missing, unreadable or written with another schema is replaced by an empty one (logged as a
warning) which the caller then rebuilds from the database: a broken index is never fatal.

Queries are built word by word rather than parsed as whoosh syntax, so ``:``, ``(`` or ``*`` in
what an officer types are just separators:

* each word is analysed like the indexed text (lower case, stop words dropped, stemmed) and
  matched in every text field, with the weights of ``schema.FIELD_BOOSTS``;
* typo tolerance: a word of 4 or more letters also matches indexed words within one edit of its
  stem (two edits from 8 letters on), scoring half as much as an exact match, so "sobring" finds
  "sobering" while exact spellings still rank first;
* every word must match (AND); when that finds nothing, any word may match (OR), and the page
  says so (``match="any"``);
* ``types`` keeps services with at least one of the given service-type codes.

whoosh stores the index, but answers are not computed by its matchers, which score one posting
at a time in Python (seconds for a common word in 50,000 services). Each term's postings are
read as arrays instead, once per segment (whoosh never changes a segment's postings; deletions
are kept apart), and scored with numpy using whoosh's BM25F formula and statistics. The scores
are those whoosh gives these queries in a segment of more than 5,000 documents, in every
segment: whoosh itself expanded typos per segment and scored a typo matching several words as a
flat 1 in small segments, so a service's score changed when an edit moved it to a new segment.
Only the hits that can be on the requested page, and those tied with them, are then ordered by
name.

Writes go through :meth:`SearchIndex.writing`: one writer at a time, per process (a thread
lock) and per folder (whoosh's file lock, valid across processes). A writer that cannot get the
lock within its timeout raises :class:`IndexBusyError`; callers answer from the index as it is.
"""

from __future__ import annotations

import gc
import heapq
import json
import logging
import os
import re
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import writing
from whoosh.automata.fsa import DFA
from whoosh.automata.lev import levenshtein_automaton
from whoosh.codec.base import Automata
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, W3PerDocReader, _lenfield
from whoosh.columns import NumericColumn
from whoosh.fields import Schema
from whoosh.filedb.filestore import FileStorage, RamStorage, Storage
from whoosh.index import Index, LockError
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query import FuzzyTerm, Or, Query, Term
from whoosh.reading import IndexReader
from whoosh.scoring import BM25F
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from .schema import (
    FIELD_BOOSTS,
    SCHEMA,
    SCHEMA_VERSION,
    SERVICE_KIND,
    STATE_ID,
    make_analyzer,
    state_document,
)
from .writer import add_document, speed_up

LOG = logging.getLogger(__name__)

DEFAULT_LOCK_TIMEOUT_SECONDS = 1.0
# Open searchers kept for reuse (about one per thread searching at once).
_IDLE_SEARCHERS = 4
# Words beyond this many are ignored: a pasted paragraph should not cost a second of CPU.
MAX_QUERY_WORDS = 12
FUZZY_MIN_LETTERS = 4
FUZZY_TWO_EDITS_LETTERS = 8
FUZZY_WEIGHT = 0.5
# The first letter of a typo is assumed right; this keeps fuzzy expansion fast and precise.
FUZZY_PREFIX = 1

_WORD_RE = re.compile(r"\w+", re.UNICODE)
_ANALYZER = make_analyzer()

MATCH_ALL = "all"  # every word matched
MATCH_ANY = "any"  # nothing matched every word; hits match at least one
MATCH_EVERY = "every"  # no query: every service, by name
MATCH_NONE = "none"  # the query had no searchable word (only stop words or punctuation)

# Given the ids of candidate hits, returns those that may be shown (those still in the database).
KeepFilter = Callable[[Sequence[str]], Collection[str]]


class IndexUnavailableError(RuntimeError):
    """The index could not be read or written (missing, corrupt, unwritable folder)."""


class IndexBusyError(RuntimeError):
    """Another writer held the index longer than the timeout."""


@dataclass(frozen=True)
class SearchHit:
    id: str
    name: str
    # Relevance relative to the best hit of the whole result (1.0), rounded to 4 places.
    score: float


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    total: int
    page: int
    per_page: int
    match: str

    @property
    def total_pages(self) -> int:
        return -(-self.total // self.per_page)


@dataclass(frozen=True)
class QueryWord:
    word: str
    stem: str

    @property
    def max_edits(self) -> int:
        if len(self.word) >= FUZZY_TWO_EDITS_LETTERS:
            return 2
        return 1 if len(self.word) >= FUZZY_MIN_LETTERS else 0


def query_words(q: str) -> list[QueryWord]:
    """The searchable words of ``q`` with their stems, in order, without repeats."""
    words: list[QueryWord] = []
    seen: set[str] = set()
    for match in _WORD_RE.finditer(q.lower()):
        tokens = [t.text for t in _ANALYZER(match.group(), mode="query")]
        if not tokens or tokens[0] in seen:
            continue  # a stop word, a single letter, or a repeat
        seen.add(tokens[0])
        words.append(QueryWord(match.group(), tokens[0]))
        if len(words) == MAX_QUERY_WORDS:
            break
    return words


def word_query(word: QueryWord) -> Query:
    """One word matched in any text field: exactly, and within ``max_edits`` typos.

    The whoosh query a search answers for each word (``_View.word`` scores it with arrays).
    """
    parts: list[Query] = [Term(f, word.stem, boost=b) for f, b in FIELD_BOOSTS.items()]
    if word.max_edits:
        parts += [
            FuzzyTerm(
                f,
                word.stem,
                boost=b * FUZZY_WEIGHT,
                maxdist=word.max_edits,
                prefixlength=FUZZY_PREFIX,
            )
            for f, b in FIELD_BOOSTS.items()
        ]
    return Or(parts)


class IndexUpdate:
    """What a caller may do while holding the write lock (see :meth:`SearchIndex.writing`)."""

    def __init__(self, writer: writing.IndexWriter) -> None:
        self._writer = writer
        self.cleared = False

    @property
    def state(self) -> dict[str, Any] | None:
        """The sync state as last committed (``None`` for an empty or outdated index)."""
        with self._writer.searcher() as searcher:
            return _state_of(searcher)

    def clear(self) -> None:
        """Drop every existing document when this update commits (a full rebuild)."""
        self.cleared = True

    def update(self, documents: Iterable[dict[str, str]]) -> None:
        for document in documents:
            if self.cleared:
                add_document(self._writer, document)
            else:
                self._writer.update_document(**document)

    def delete(self, ids: Iterable[str]) -> None:
        for service_id in ids:
            self._writer.delete_by_term("id", service_id)

    def set_state(self, state: dict[str, Any]) -> None:
        state = {**state, "schema": SCHEMA_VERSION}
        document = state_document(json.dumps(state, sort_keys=True))
        if self.cleared:
            self._writer.add_document(**document)
        else:
            self._writer.update_document(**document)


def _state_of(searcher: Searcher) -> dict[str, Any] | None:
    fields = searcher.document(id=STATE_ID)
    if not fields:
        return None
    state = json.loads(fields["state"])
    if state.get("schema") != SCHEMA_VERSION:
        return None
    return state


class SearchIndex:
    """A whoosh index of services under ``folder``, or in memory when ``folder`` is None."""

    def __init__(
        self,
        folder: str | Path | None = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT_SECONDS,
    ) -> None:
        self.folder = Path(folder) if folder is not None else None
        # Seconds a writer waits for the lock before giving up (IndexBusyError).
        self.lock_timeout = lock_timeout
        self._index: Index | None = None
        self._open_lock = threading.Lock()
        self._write_lock = threading.Lock()
        # What searches read from the index's segments, and keep's last answer (see search()).
        self._cache_lock = threading.Lock()
        self._segments: dict[tuple[str, int], _Segment] = {}
        self._kept: tuple[Hashable, np.ndarray] | None = None
        # Open searchers not in use, with the version of the files they read (see _searcher).
        self._idle: list[tuple[Hashable, Index, Searcher]] = []
        weakref.finalize(self, _close_searchers, self._idle)

    @classmethod
    def in_memory(cls, lock_timeout: float = DEFAULT_LOCK_TIMEOUT_SECONDS) -> SearchIndex:
        return cls(None, lock_timeout)

    @classmethod
    def in_folder(
        cls, folder: str | Path, lock_timeout: float = DEFAULT_LOCK_TIMEOUT_SECONDS
    ) -> SearchIndex:
        return cls(folder, lock_timeout)

    @property
    def location(self) -> str:
        return str(self.folder) if self.folder is not None else "memory"

    def __repr__(self) -> str:
        return f"<SearchIndex {self.location}>"

    # -- opening -------------------------------------------------------------------------------

    def _ix(self) -> Index:
        with self._open_lock:
            if self._index is None:
                self._index = self._open_or_create()
            return self._index

    def _storage(self) -> Storage:
        if self.folder is None:
            return RamStorage()
        return FileStorage(str(self.folder)).create()

    def _open_or_create(self) -> Index:
        try:
            storage = self._storage()
        except OSError as exc:
            raise IndexUnavailableError(f"cannot create {self.location}: {exc}") from exc
        try:
            if storage.index_exists():
                index = storage.open_index()
                if _same_layout(index.schema):
                    with index.searcher() as searcher:  # reads every segment's files
                        _state_of(searcher)
                    return index
                LOG.warning("search index at %s has an older layout; replacing it", self.location)
        except Exception as exc:  # whoosh raises many kinds of error on damaged files
            _release(exc)
            LOG.warning(
                "search index at %s could not be opened (%s: %s); replacing it with an empty "
                "one to be rebuilt from the database",
                self.location,
                type(exc).__name__,
                exc,
            )
        try:
            return storage.create_index(SCHEMA)
        except Exception as exc:
            raise IndexUnavailableError(
                f"cannot create an index in {self.location}: {exc}"
            ) from exc

    def reset(self) -> None:
        """Forget the open index; the next use reopens it (or replaces it when it is broken)."""
        with self._open_lock:
            self._index = None
        with self._cache_lock:
            self._segments.clear()
            self._kept = None
            idle, self._idle[:] = list(self._idle), []
        _close_searchers(idle)

    def _fail(self, exc: Exception) -> IndexUnavailableError:
        _release(exc)
        LOG.warning("search index at %s failed: %s: %s", self.location, type(exc).__name__, exc)
        self.reset()
        return IndexUnavailableError(f"{type(exc).__name__}: {exc}")

    # -- reading -------------------------------------------------------------------------------

    @contextmanager
    def _searcher(self) -> Iterator[Searcher]:
        """A searcher of the index as committed now, reused while the index's files are unchanged.

        Opening one reads the table of contents and every segment's directory (milliseconds);
        a searcher is reused only while no file of the folder was added, removed or rewritten
        (a reused searcher over a file truncated since would read past its end).
        """
        version = self._files_version()
        index = self._ix()
        with self._cache_lock:
            entry = self._idle.pop() if self._idle else None
        if entry is not None and (version is None or entry[0] != version or entry[1] is not index):
            _close_searchers([entry])
            entry = None
        searcher = entry[2] if entry is not None else index.searcher()
        try:
            yield searcher
        except BaseException:
            _close_searchers([(version, index, searcher)])
            raise
        with self._cache_lock:
            if version is not None and self._index is index and len(self._idle) < _IDLE_SEARCHERS:
                self._idle.append((version, index, searcher))
                return
        _close_searchers([(version, index, searcher)])

    def _files_version(self) -> Hashable:
        """What the index's files are now (None when that cannot be told)."""
        if self.folder is None:
            index = self._index
            return None if index is None else ("memory", id(index), index.latest_generation())
        try:
            with os.scandir(self.folder) as entries:
                return tuple(
                    sorted(
                        (entry.name, stat.st_ino, stat.st_size, stat.st_mtime_ns)
                        for entry in entries
                        if not entry.name.endswith("WRITELOCK")
                        for stat in (entry.stat(),)
                    )
                )
        except OSError:
            return None

    def read_state(self) -> dict[str, Any] | None:
        """The sync state last committed, or None when the index is empty or outdated."""
        try:
            with self._searcher() as searcher:
                return _state_of(searcher)
        except IndexUnavailableError:
            raise
        except Exception as exc:
            raise self._fail(exc) from exc

    def doc_count(self) -> int:
        """Number of service documents."""
        try:
            with self._searcher() as searcher:
                return len(searcher.search(Term("kind", SERVICE_KIND), limit=None))
        except IndexUnavailableError:
            raise
        except Exception as exc:
            raise self._fail(exc) from exc

    def search(
        self,
        q: str,
        types: Sequence[str] = (),
        page: int = 1,
        per_page: int = 20,
        keep: KeepFilter | None = None,
        keep_key: Hashable | None = None,
    ) -> SearchPage:
        """One page of services matching ``q`` (all services by name when ``q`` is blank).

        :param types: service-type codes; a hit must have at least one of them.
        :param keep: drops hits whose ids it does not return (documents of services no longer
            in the database); applied before paging, so totals count only kept hits.
        :param keep_key: with ``keep``, says that keep's answers stay the same as long as this
            value (and the index) does not change: ``keep`` is then asked once about every
            service in the index, and its answer reused, instead of once per search.
        :raises IndexUnavailableError: the index could not be read (call :meth:`reset` and rebuild).
        """
        if page < 1 or per_page < 1:
            raise ValueError("page and per_page start at 1")
        start = (page - 1) * per_page
        try:
            with self._searcher() as searcher:
                view = _View(self, searcher)
                if keep is not None and keep_key is not None:
                    view.live &= ~self._dropped(view, keep, keep_key)
                    keep = None
                if types:
                    view.live &= view.docs_with_any("type_codes", [t.lower() for t in types])
                match, docs, scores = _answer(view, q, keep)
                total = len(docs)
                ranked = view.ranked(docs, scores, start, start + per_page)
                top = float(scores.max()) if total and scores is not None else 1.0
        except IndexUnavailableError:
            raise
        except Exception as exc:
            raise self._fail(exc) from exc
        top = top if top > 0 else 1.0
        hits = [
            SearchHit(id=doc_id, name=name, score=round(score / top, 4))
            for score, name, doc_id in ranked
        ]
        return SearchPage(hits=hits, total=total, page=page, per_page=per_page, match=match)

    # -- caches of what searches read (see _Segment) ----------------------------------------------

    def _segment(self, reader: IndexReader) -> _Segment:
        segment = reader.segment()
        if segment is None:
            return _Segment(reader)  # not a stored segment (an empty index): nothing to keep
        key = (segment.segment_id(), reader.doc_count_all())
        with self._cache_lock:
            found = self._segments.get(key)
        if found is None:
            found = _Segment(reader)
            with self._cache_lock:
                found = self._segments.setdefault(key, found)
        return found

    def _forget_segments_but(self, keys: Collection[tuple[str, int]]) -> None:
        """Drop cached segments the index no longer has (merged away or cleared)."""
        with self._cache_lock:
            if len(self._segments) > len(keys) + _SPARE_SEGMENTS:
                for key in [k for k in self._segments if k not in keys]:
                    del self._segments[key]

    def _dropped(self, view: _View, keep: KeepFilter, keep_key: Hashable) -> np.ndarray:
        """Documents ``keep`` drops, asked once per (index version, ``keep_key``)."""
        key = (view.key, keep_key)
        with self._cache_lock:
            cached = self._kept
        if cached is not None and view.key is not None and cached[0] == key:
            return cached[1]
        docs = np.flatnonzero(view.live)
        ids = view.ids_of(docs)
        kept = set(keep(ids))
        dropped = np.zeros(view.size, dtype=bool)
        dropped[docs[np.fromiter((i not in kept for i in ids), dtype=bool, count=len(ids))]] = True
        if view.key is not None:
            with self._cache_lock:
                self._kept = (key, dropped)
        return dropped

    # -- writing -------------------------------------------------------------------------------

    @contextmanager
    def writing(self, timeout: float | None = None) -> Iterator[IndexUpdate]:
        """Hold the write lock; the update commits when the block ends without an exception.

        :raises IndexBusyError: the lock was not free within ``timeout`` seconds (default
            ``lock_timeout``).
        :raises IndexUnavailableError: the index could not be opened, written or committed.
        """
        timeout = self.lock_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        if not self._write_lock.acquire(timeout=timeout):
            raise IndexBusyError(
                f"search index at {self.location} is being written by another thread"
            )
        try:
            index = self._ix()
            try:
                writer = index.writer(timeout=max(0.0, deadline - time.monotonic()))
            except LockError as exc:
                raise IndexBusyError(
                    f"search index at {self.location} is being written by another process"
                ) from exc
            except Exception as exc:
                raise self._fail(exc) from exc
            speed_up(writer)
            update = IndexUpdate(writer)
            try:
                yield update
            except BaseException:
                writer.cancel()
                raise
            try:
                writer.commit(mergetype=writing.CLEAR if update.cleared else None)
            except Exception as exc:
                raise self._fail(exc) from exc
        finally:
            self._write_lock.release()

    def add_or_update(
        self, documents: Iterable[dict[str, str]], timeout: float | None = None
    ) -> None:
        """Add documents, replacing those with the same id, in one commit."""
        with self.writing(timeout) as update:
            update.update(documents)

    def delete(self, ids: Iterable[str], timeout: float | None = None) -> None:
        """Remove the documents of these service ids, in one commit."""
        with self.writing(timeout) as update:
            update.delete(ids)


def _same_layout(schema: Schema) -> bool:
    """Whether an index's schema has our fields, each of the same kind and postings format.

    An index whose text fields are whoosh's ``TEXT`` (layout 2) holds the same postings but
    would be written through whoosh's slower analysis for good: it is replaced and rebuilt once.
    """
    return set(schema.names()) == set(SCHEMA.names()) and all(
        type(schema[name]) is type(SCHEMA[name])
        and type(schema[name].format) is type(SCHEMA[name].format)
        for name in SCHEMA.names()
    )


def _close_searchers(entries: Iterable[tuple[Hashable, Index, Searcher]]) -> None:
    for _version, _index, searcher in entries:
        try:
            searcher.close()
        except Exception as exc:  # already closed, or its files are gone: nothing to keep
            LOG.debug("closing a search index searcher failed: %s", exc)


def _release(exc: BaseException) -> None:
    """Close the files a failed whoosh read left open, without ResourceWarnings.

    whoosh does not close a file it failed to parse (``TOC.read``); the file is only reachable
    from the traceback's frames, so dropping the traceback closes it.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        exc.__traceback__ = None
        gc.collect()


# ---------------------------------------------------------------------------------------------
# Answering a query with arrays (see the module docstring)

# whoosh stores a field's length in one byte per document; this decodes it as whoosh does.
_LENGTH_OF_BYTE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
# A segment's cached postings are dropped (and read again on demand) beyond this many postings
# (about 12 bytes each), and its typo expansions beyond this many words.
MAX_CACHED_POSTINGS = 4_000_000
MAX_CACHED_EXPANSIONS = 20_000
# Up to this many tied hits of a segment are sorted by name directly; more use the segment's
# name order (computed once per segment: a tenth of a second for 50,000 documents).
_SORT_TIES_BELOW = 5000
# Cached segments the index no longer lists are kept until there are this many of them.
_SPARE_SEGMENTS = 8
_NO_POSTINGS = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))


class _Segment:
    """What searches read from one whoosh segment, read once and kept.

    A segment's documents, postings and field lengths never change once written (a deletion is
    recorded beside it), so this stays valid for as long as the index lists the segment. The
    stored ids and names are read when the segment is first searched; postings, field lengths
    and typo expansions as queries need them. The reader passed to each method must be one of
    this segment.
    """

    def __init__(self, reader: IndexReader) -> None:
        self.size = reader.doc_count_all()
        self.ids: list[str] = []
        self.names: list[str] = []
        for docnum in range(self.size):
            fields = reader.stored_fields(docnum)
            self.ids.append(fields.get("id") or "")
            self.names.append(fields.get("name") or "")
        self._postings: dict[tuple[str, bytes], tuple[np.ndarray, np.ndarray]] = {}
        self._postings_count = 0
        self._lengths: dict[str, np.ndarray] = {}
        self._expansions: dict[tuple[str, str, int], tuple[bytes, ...]] = {}
        self._name_rank: np.ndarray | None = None
        self.services = np.zeros(self.size, dtype=bool)
        self.services[self.postings(reader, "kind", SERVICE_KIND.encode())[0]] = True

    def postings(
        self, reader: IndexReader, field: str, term: bytes
    ) -> tuple[np.ndarray, np.ndarray]:
        """(document numbers, weights) of ``term`` in ``field``, deleted documents included."""
        key = (field, term)
        found = self._postings.get(key)
        if found is None:
            found = _read_postings(reader, field, term) if (field, term) in reader else _NO_POSTINGS
            if self._postings_count + len(found[0]) > MAX_CACHED_POSTINGS:
                self._postings = {}
                self._postings_count = 0
            self._postings[key] = found
            self._postings_count += len(found[0])
        return found

    def lengths(self, reader: IndexReader, field: str) -> np.ndarray:
        """Every document's length of ``field``, as whoosh's scorer sees it."""
        found = self._lengths.get(field)
        if found is None:
            found = self._lengths[field] = _read_lengths(reader, field, self.size)
        return found

    def expansions(
        self, reader: IndexReader, field: str, stem: str, edits: int
    ) -> tuple[bytes, ...]:
        """Words of ``field`` within ``edits`` edits of ``stem`` sharing its first letter (as
        whoosh's ``FuzzyTerm`` finds them in a segment: Levenshtein distance)."""
        key = (field, stem, edits)
        found = self._expansions.get(key)
        if found is None:
            # What SegmentReader.terms_within does, with the automaton built once per word.
            cursor = reader.cursor(reader.schema[field].spelling_fieldname(field))
            words = Automata.find_matches(_typo_automaton(stem, edits), cursor)
            found = tuple(sorted(w.encode("utf-8") if isinstance(w, str) else w for w in words))
            if len(self._expansions) >= MAX_CACHED_EXPANSIONS:
                self._expansions = {}
            self._expansions[key] = found
        return found

    def name_rank(self) -> np.ndarray:
        """Each document's place in the order of (case-folded name, id)."""
        if self._name_rank is None:
            # numpy compares strings by code point, as Python does.
            folded = np.array([name.casefold() for name in self.names], dtype=str)
            order = np.lexsort((np.array(self.ids, dtype=str), folded))
            rank = np.empty(self.size, dtype=np.int64)
            rank[order] = np.arange(self.size)
            self._name_rank = rank
        return self._name_rank


_AUTOMATA: dict[tuple[str, int], DFA] = {}


def _typo_automaton(stem: str, edits: int) -> DFA:
    """The Levenshtein automaton of ``stem`` (building one takes up to milliseconds)."""
    key = (stem, edits)
    found = _AUTOMATA.get(key)
    if found is None:
        if len(_AUTOMATA) >= MAX_CACHED_EXPANSIONS:
            _AUTOMATA.clear()
        found = _AUTOMATA[key] = levenshtein_automaton(stem, edits, FUZZY_PREFIX).to_dfa()
    return found


def _read_postings(reader: IndexReader, field: str, term: bytes) -> tuple[np.ndarray, np.ndarray]:
    matcher = reader.postings(field, term)
    if isinstance(matcher, FilterMatcher):  # deletions: applied by the caller instead
        matcher = matcher.child
    docs: list[Any] = []
    weights: list[Any] = []
    if type(matcher) is W3LeafMatcher:
        # A block at a time (up to 128 postings) instead of one posting at a time, decoded as
        # W3LeafMatcher._read_ids and _read_weights do: ids as deltas, weights omitted when
        # all are 1 and given once when all are equal.
        while matcher.is_active():
            matcher._read_data()
            ids, values = matcher._data[0], matcher._data[1]
            block = np.asarray(ids, dtype=np.int64)
            docs.append(block if matcher._byteids else np.cumsum(block))
            if values is None or isinstance(values, float):
                weights.append(np.full(len(block), 1.0 if values is None else values))
            else:
                weights.append(np.asarray(values, dtype=np.float64))
            matcher._next_block()
        if docs:
            return np.concatenate(docs), np.concatenate(weights)
        return _NO_POSTINGS
    while matcher.is_active():
        docs.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.array(docs, dtype=np.int64), np.array(weights, dtype=np.float64)


def _read_lengths(reader: IndexReader, field: str, size: int) -> np.ndarray:
    column = None
    perdoc = getattr(reader, "_perdoc", None)
    if isinstance(perdoc, W3PerDocReader):
        column = perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
    if isinstance(column, NumericColumn.Reader) and column._typecode == "B":
        # One byte per document, read in one go (documents past the end have no length).
        raw = column._dbfile.get(column._basepos, min(column._count, size))
        codes = np.zeros(size, dtype=np.uint8)
        codes[: len(raw)] = np.frombuffer(raw, dtype=np.uint8)
        return _LENGTH_OF_BYTE[codes]
    lengths = [reader.doc_field_length(docnum, field, 0) or 0 for docnum in range(size)]
    return np.array(lengths, dtype=np.float64)


class _View:
    """The documents of one open searcher: its segments, which documents are live services
    (``live``, narrowed by the caller with filters) and whoosh's collection statistics."""

    def __init__(self, index: SearchIndex, searcher: Searcher) -> None:
        self.searcher = searcher
        reader = searcher.reader()
        self.size = reader.doc_count_all()
        weighting = searcher.weighting
        if not isinstance(weighting, BM25F):  # pragma: no cover - the index never sets another
            raise TypeError(f"search expects BM25F scoring, not {weighting!r}")
        self.b = float(weighting.B)
        self.k1 = float(weighting.K1)
        self.parts: list[tuple[IndexReader, int, _Segment]] = []
        self.live = np.zeros(self.size, dtype=bool)
        keys = []
        for leaf, offset in reader.leaf_readers() if self.size else ():
            segment = index._segment(leaf)
            self.parts.append((leaf, offset, segment))
            self.live[offset : offset + segment.size] = segment.services
            stored = leaf.segment()
            deleted = np.fromiter(stored.deleted_docs() if stored else (), dtype=np.int64)
            self.live[offset + deleted] = False
            keys.append(
                None if stored is None else (stored.segment_id(), segment.size, len(deleted))
            )
        self.offsets = np.array([offset for _leaf, offset, _segment in self.parts], dtype=np.int64)
        # Identifies exactly these documents (None: not cacheable).
        self.key = None if None in keys else (reader.generation(), tuple(keys))
        if self.key is not None:
            index._forget_segments_but({(k[0], k[1]) for k in keys if k is not None})

    # -- matching ------------------------------------------------------------------------------

    def docs_with_any(self, field: str, texts: Iterable[str]) -> np.ndarray:
        """Documents with at least one of these terms in ``field`` (deleted ones included)."""
        found = np.zeros(self.size, dtype=bool)
        for text in texts:
            term = text.encode("utf-8")
            for leaf, offset, segment in self.parts:
                found[segment.postings(leaf, field, term)[0] + offset] = True
        return found

    def word(self, word: QueryWord) -> tuple[np.ndarray, np.ndarray]:
        """(matched, score) of every document for one query word, as ``word_query`` scores it."""
        matched = np.zeros(self.size, dtype=bool)
        score = np.zeros(self.size, dtype=np.float64)
        stem = word.stem.encode("utf-8")
        for field, boost in FIELD_BOOSTS.items():
            self._add(matched, score, field, [stem], boost)
            if word.max_edits:
                terms: set[bytes] = set()
                for leaf, _offset, segment in self.parts:
                    terms.update(segment.expansions(leaf, field, word.stem, word.max_edits))
                # whoosh's FuzzyTerm: one matching word scores unweighted, several score at the
                # FuzzyTerm's weight.
                weight = 1.0 if len(terms) == 1 else boost * FUZZY_WEIGHT
                self._add(matched, score, field, sorted(terms), weight)
        return matched, score

    def _add(
        self,
        matched: np.ndarray,
        score: np.ndarray,
        field: str,
        terms: Sequence[bytes],
        boost: float,
    ) -> None:
        """Add ``boost`` times the summed BM25F scores of ``terms`` in ``field``."""
        if not terms:
            return
        part = np.zeros(self.size, dtype=np.float64)
        hit = False
        for term in terms:
            for docs, scores in self._term_scores(field, term):
                part[docs] += scores
                matched[docs] = True
                hit = True
        if hit:
            score += part * boost

    def _term_scores(self, field: str, term: bytes) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(documents, BM25F scores) of a term, segment by segment, as whoosh's scorer has it."""
        idf = avgfl = 0.0
        b, k1 = self.b, self.k1
        for leaf, offset, segment in self.parts:
            docs, tf = segment.postings(leaf, field, term)
            if not len(docs):
                continue
            if not idf:
                idf = self.searcher.idf(field, term)
                avgfl = self.searcher.avg_field_length(field) or 1
            fl = segment.lengths(leaf, field)[docs]
            yield docs + offset, idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl)))

    # -- reading documents ---------------------------------------------------------------------

    def _locate(self, docs: np.ndarray) -> np.ndarray:
        """Index into ``parts`` of each document."""
        return np.searchsorted(self.offsets, docs, side="right") - 1

    def ids_of(self, docs: np.ndarray) -> list[str]:
        parts = self._locate(docs)
        return [
            self.parts[p][2].ids[d - self.parts[p][1]]
            for p, d in zip(parts.tolist(), docs.tolist(), strict=True)
        ]

    def ranked(
        self, docs: np.ndarray, scores: np.ndarray | None, start: int, stop: int
    ) -> list[tuple[float, str, str]]:
        """(score, name, id) of the hits ranked ``start`` to ``stop``: best first, equal scores
        by case-folded name, then id; without ``scores``, all by name.

        Only hits that can reach the slice are ordered one by one: those scoring above the
        ``stop``-th best score and, of those tied with it, the first by name in each segment.
        """
        total = len(docs)
        stop = min(stop, total)
        if start >= stop:
            return []
        values = np.ones(total) if scores is None else scores
        chosen = np.arange(total)
        if stop < total:
            threshold = np.partition(values, total - stop)[total - stop]
            above = np.flatnonzero(values > threshold)
            tied = np.flatnonzero(values == threshold)
            chosen = np.concatenate([above, self._first_by_name(docs, tied, stop - len(above))])
        rows = []
        parts = self._locate(docs[chosen])
        for position, part in zip(chosen.tolist(), parts.tolist(), strict=True):
            _leaf, offset, segment = self.parts[part]
            local = int(docs[position]) - offset
            name = segment.names[local]
            rows.append((-float(values[position]), name.casefold(), segment.ids[local], name))
        rows.sort()
        return [(-negative, name, doc_id) for negative, _key, doc_id, name in rows[start:stop]]

    def _first_by_name(self, docs: np.ndarray, positions: np.ndarray, count: int) -> np.ndarray:
        """Up to ``count`` of ``positions`` (into ``docs``) per segment, first by name."""
        if len(positions) <= count:
            return positions
        parts = self._locate(docs[positions])
        chosen = []
        for part, (_leaf, offset, segment) in enumerate(self.parts):
            mine = positions[parts == part]
            if len(mine) > count and len(mine) <= _SORT_TIES_BELOW:
                names, ids = segment.names, segment.ids
                local = (docs[mine] - offset).tolist()
                first = heapq.nsmallest(
                    count,
                    range(len(mine)),
                    key=lambda i: (names[local[i]].casefold(), ids[local[i]]),
                )
                mine = mine[first]
            elif len(mine) > count:  # many ties: rank the whole segment by name once
                rank = segment.name_rank()[docs[mine] - offset]
                mine = mine[np.argpartition(rank, count - 1)[:count]]
            chosen.append(mine)
        return np.concatenate(chosen)


def _answer(
    view: _View, q: str, keep: KeepFilter | None
) -> tuple[str, np.ndarray, np.ndarray | None]:
    """(match, hit documents, their scores) for ``q``; ``view.live`` already has the filters."""
    if not q.strip():
        return MATCH_EVERY, _kept(view, np.flatnonzero(view.live), keep), None
    words = [view.word(w) for w in query_words(q)]
    if not words:
        return MATCH_NONE, np.zeros(0, dtype=np.int64), np.zeros(0)
    score = np.sum([s for _m, s in words], axis=0)
    every = np.logical_and.reduce([m for m, _s in words]) & view.live
    docs = _kept(view, np.flatnonzero(every), keep)
    if len(docs) or len(words) == 1:
        return MATCH_ALL, docs, score[docs]
    some = np.logical_or.reduce([m for m, _s in words]) & view.live
    docs = _kept(view, np.flatnonzero(some), keep)
    return MATCH_ANY, docs, score[docs]


def _kept(view: _View, docs: np.ndarray, keep: KeepFilter | None) -> np.ndarray:
    if keep is None or not len(docs):
        return docs
    ids = view.ids_of(docs)
    kept = set(keep(ids))
    return docs[np.fromiter((i in kept for i in ids), dtype=bool, count=len(ids))]
