"""``SearchIndex``: one process's whoosh index of services, in a folder or in memory.

The index is a cache of the database (spec/architecture.md). It opens lazily, and an index that
is missing, unreadable or written with another schema is replaced by an empty one (logged as a
warning) which the caller then rebuilds from the database: a broken index is never fatal.

Queries are built word by word rather than parsed as whoosh syntax, so ``:``, ``(`` or ``*`` in
what an officer types are just separators:

* each word is analysed like the indexed text (lower case, stop words dropped, stemmed) and
  matched in every text field, with the weights of ``schema.FIELD_BOOSTS``;
* typo tolerance: a word of 4 or more letters also matches indexed words within one edit of its
  stem (two edits from 8 letters on), scoring half as much as an exact match, so "sobring"
  finds "sobering" while exact spellings still rank first;
* every word must match (AND); when that finds nothing, any word may match (OR), and the page
  says so (``match="any"``);
* ``types`` keeps services with at least one of the given service-type codes.

Writes go through :meth:`SearchIndex.writing`: one writer at a time, per process (a thread
lock) and per folder (whoosh's file lock, valid across processes). A writer that cannot get the
lock within its timeout raises :class:`IndexBusyError`; callers answer from the index as it is.
"""

from __future__ import annotations

import gc
import json
import logging
import re
import threading
import time
import warnings
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import writing
from whoosh.filedb.filestore import FileStorage, RamStorage, Storage
from whoosh.index import Index, LockError
from whoosh.query import And, FuzzyTerm, Or, Query, Term
from whoosh.searching import Searcher

from .schema import (
    FIELD_BOOSTS,
    SCHEMA,
    SCHEMA_VERSION,
    SERVICE_KIND,
    STATE_ID,
    make_analyzer,
    state_document,
)

LOG = logging.getLogger(__name__)

DEFAULT_LOCK_TIMEOUT_SECONDS = 1.0
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
    """One word matched in any text field: exactly, and within ``max_edits`` typos."""
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
                self._writer.add_document(**document)
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
                if set(index.schema.names()) == set(SCHEMA.names()):
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

    def _fail(self, exc: Exception) -> IndexUnavailableError:
        _release(exc)
        LOG.warning("search index at %s failed: %s: %s", self.location, type(exc).__name__, exc)
        self.reset()
        return IndexUnavailableError(f"{type(exc).__name__}: {exc}")

    # -- reading -------------------------------------------------------------------------------

    def read_state(self) -> dict[str, Any] | None:
        """The sync state last committed, or None when the index is empty or outdated."""
        try:
            with self._ix().searcher() as searcher:
                return _state_of(searcher)
        except IndexUnavailableError:
            raise
        except Exception as exc:
            raise self._fail(exc) from exc

    def doc_count(self) -> int:
        """Number of service documents."""
        try:
            with self._ix().searcher() as searcher:
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
    ) -> SearchPage:
        """One page of services matching ``q`` (all services by name when ``q`` is blank).

        :param types: service-type codes; a hit must have at least one of them.
        :param keep: drops hits whose ids it does not return (documents of services no longer
            in the database); applied before paging, so totals count only kept hits.
        :raises IndexUnavailableError: the index could not be read (call :meth:`reset` and rebuild).
        """
        if page < 1 or per_page < 1:
            raise ValueError("page and per_page start at 1")
        type_filter = Or([Term("type_codes", code.lower()) for code in types]) if types else None
        try:
            with self._ix().searcher() as searcher:
                match, ranked = self._ranked(searcher, q, type_filter, keep)
        except IndexUnavailableError:
            raise
        except Exception as exc:
            raise self._fail(exc) from exc
        start = (page - 1) * per_page
        top = ranked[0][0] if ranked and ranked[0][0] > 0 else 1.0
        hits = [
            SearchHit(id=doc_id, name=name, score=round(score / top, 4))
            for score, name, doc_id in ranked[start : start + per_page]
        ]
        return SearchPage(hits=hits, total=len(ranked), page=page, per_page=per_page, match=match)

    def _ranked(
        self, searcher: Searcher, q: str, type_filter: Query | None, keep: KeepFilter | None
    ) -> tuple[str, list[tuple[float, str, str]]]:
        if not q.strip():
            every = _hits(searcher, Term("kind", SERVICE_KIND), type_filter, keep)
            return MATCH_EVERY, sorted(((1.0, n, i) for _s, n, i in every), key=_by_name)
        words = [word_query(w) for w in query_words(q)]
        if not words:
            return MATCH_NONE, []
        ranked = _hits(searcher, And(words), type_filter, keep)
        if ranked or len(words) == 1:
            return MATCH_ALL, ranked
        return MATCH_ANY, _hits(searcher, Or(words), type_filter, keep)

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


def _release(exc: BaseException) -> None:
    """Close the files a failed whoosh read left open, without ResourceWarnings.

    whoosh does not close a file it failed to parse (``TOC.read``); the file is only reachable
    from the traceback's frames, so dropping the traceback closes it.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        exc.__traceback__ = None
        gc.collect()


def _by_name(hit: tuple[float, str, str]) -> tuple[str, str]:
    return hit[1].casefold(), hit[2]


def _hits(
    searcher: Searcher, query: Query, type_filter: Query | None, keep: KeepFilter | None
) -> list[tuple[float, str, str]]:
    """(score, name, id) of every hit, best first; ties by name so pages are stable."""
    results = searcher.search(query, limit=None, filter=type_filter)
    found = [(hit.score or 0.0, hit.get("name", ""), hit["id"]) for hit in results]
    if keep is not None and found:
        kept = set(keep([doc_id for _s, _n, doc_id in found]))
        found = [hit for hit in found if hit[2] in kept]
    found.sort(key=lambda hit: (-hit[0], *_by_name(hit)))
    return found
