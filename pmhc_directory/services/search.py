"""Search use cases: answer a search, rebuild an index, bring an index up to date.

The database is the source of truth; a :class:`SearchIndex` is this process's cache of it
(spec/architecture.md). Every search first catches the index up with the change sequence
(``search.sync``), and hits are checked against the database before they are shown, so a
document of a service that is gone (deleted by another process a moment ago, or written by a
rolled-back transaction) never reaches an answer or a total. That check reads every service id
once per version of the index and newest change row, not per search: which services exist only
changes through writes, and every write that adds or removes one appends a change row (raw SQL
writers must call ``sync.record_changes``). Index trouble is logged, never fatal: a missing,
empty or damaged index is rebuilt from the database, and a busy one answers as it is.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, String, and_, cast, exists, func, or_, select
from sqlalchemy.orm import Session

from ..collector import collector_paused
from ..errors import InputError, SearchUnavailableError
from ..models import (
    Address,
    Attribute,
    Location,
    Organization,
    SearchChange,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
)
from ..search import sync
from ..search.index import (
    MATCH_EVERY,
    IndexBusyError,
    IndexUnavailableError,
    IndexUpdate,
    SearchIndex,
)
from ..search.schema import ServiceText, service_document
from ..taxonomy import SERVICE_TYPE, vocabulary

LOG = logging.getLogger(__name__)

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_QUERY_CHARS = 200
SNIPPET_CHARS = 200
# A full rebuild (the reindex command) may wait this long for app processes' writers.
REINDEX_LOCK_TIMEOUT_SECONDS = 60.0
_CHUNK = 500
# Services whose searchable facts are read together, and ids per IN list of those queries.
_TEXT_BATCH = 2000
# Checking more ids than this against the database reads every service id instead (one query).
_SCAN_ABOVE = 5000

Advance = Callable[[int], None]
Progress = Callable[[str, int | None], AbstractContextManager[Advance]]


class SearchInputError(InputError):
    """A search parameter out of range; ``field`` names it."""


@dataclass(frozen=True)
class SearchItem:
    id: str
    name: str
    alternate_name: str | None
    organization: str
    organization_id: str
    service_types: list[str]
    status: str
    # The start of the description, cut at a word, for a result list.
    description: str
    # 1.0 for the best hit of the whole search, lower for weaker ones (1.0 for all when no q).
    score: float


@dataclass(frozen=True)
class SearchResults:
    """One page of a search, with what the HSDS ``Page`` envelope needs."""

    items: list[SearchItem]
    total_items: int
    page_number: int
    per_page: int
    q: str
    types: list[str] = field(default_factory=list)
    # "all" (every word matched), "any" (no service had every word), "every" (no q), "none"
    match: str = MATCH_EVERY

    @property
    def total_pages(self) -> int:
        return -(-self.total_items // self.per_page)

    @property
    def first_page(self) -> bool:
        return self.page_number == 1

    @property
    def last_page(self) -> bool:
        return self.page_number >= self.total_pages

    @property
    def empty(self) -> bool:
        return not self.items


@dataclass(frozen=True)
class CatchUpReport:
    applied: int = 0  # services updated or removed in the index
    rebuilt: bool = False
    skipped: bool = False  # the index was busy or unavailable: left as it was


# ---------------------------------------------------------------------------------------------
# Searching


def search_services(
    session: Session,
    index: SearchIndex,
    q: str | None,
    types: Sequence[str] = (),
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    *,
    only: Collection[str] | None = None,
) -> SearchResults:
    """Services matching ``q`` best first, or all services by name when ``q`` is blank.

    :param types: PMHC service-type codes; a service needs at least one of them.
    :param only: with ``q``, ids of the services a hit may be (read from the database in this
        transaction, e.g. those passing the directory's filters); totals count only those.
    :raises SearchInputError: an unknown type, a page below 1, ``per_page`` outside 1-100 or
        ``q`` longer than 200 characters.
    :raises SearchUnavailableError: the index could not be read even after a rebuild.
    """
    q = (q or "").strip()
    codes = _check(q, types, page, per_page)
    if not q:
        return _all_by_name(session, codes, page, per_page)
    _report, seen_rows = _catch_up(session, index, None, None)
    seen: tuple[int | None, ...] | None = seen_rows
    if seen is None:  # the index was empty or unreadable: no change rows read yet
        newest: int | None = session.scalar(select(func.max(SearchChange.seq)))
        seen = () if newest is None else (newest,)

    def keep(ids: Sequence[str]) -> Collection[str]:
        if only is not None:  # read from the database in this transaction: they exist
            return [i for i in ids if i in only]
        return existing_service_ids(session, ids)

    # Which services exist changes only through writes, each of which appends a change row
    # (including rows committed late, below the newest: the catch-up reads those too). So the
    # index asks keep once per index version and set of rows seen, not for every search
    # (with ``only``, which differs between searches, keep is asked about each search's hits).
    key = ("changes", seen) if only is None else None
    try:
        found = index.search(q, codes, page, per_page, keep=keep, keep_key=key)
    except IndexUnavailableError:
        try:
            reindex(session, index, lock_timeout=index.lock_timeout)
        except (IndexBusyError, IndexUnavailableError) as exc:
            LOG.warning("search index rebuild failed: %s", exc)
        try:
            found = index.search(q, codes, page, per_page, keep=keep, keep_key=key)
        except IndexUnavailableError as exc:
            raise SearchUnavailableError(str(exc)) from exc
    items = _items(session, [(hit.id, hit.score) for hit in found.hits])
    return SearchResults(items, found.total, page, per_page, q, codes, found.match)


def _check(q: str, types: Sequence[str], page: int, per_page: int) -> list[str]:
    if len(q) > MAX_QUERY_CHARS:
        raise SearchInputError("q", f"q is limited to {MAX_QUERY_CHARS} characters.")
    if page < 1:
        raise SearchInputError("page", "page numbers start at 1.")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise SearchInputError("per_page", f"per_page must be between 1 and {MAX_PER_PAGE}.")
    vocab = vocabulary()
    codes: list[str] = []
    for code in types:
        code = code.strip().lower()
        if not code:
            continue
        if vocab.find(SERVICE_TYPE, code) is None:
            raise SearchInputError("types", f"{code!r} is not a PMHC service type.")
        if code not in codes:
            codes.append(code)
    return codes


def _all_by_name(session: Session, codes: list[str], page: int, per_page: int) -> SearchResults:
    conditions = []
    if codes:
        vocab = vocabulary()
        term_ids = [vocab.id_for_code(SERVICE_TYPE, code) for code in codes]
        conditions.append(
            exists().where(
                Attribute.link_entity == "service",
                Attribute.link_id == Service.id,
                Attribute.link_type == "service_type",
                Attribute.taxonomy_term_id.in_(term_ids),
            )
        )
    total = session.scalar(select(func.count(Service.id)).where(*conditions)) or 0
    ids = session.scalars(
        select(Service.id)
        .where(*conditions)
        .order_by(func.lower(Service.name), Service.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    items = _items(session, [(service_id, 1.0) for service_id in ids])
    return SearchResults(items, total, page, per_page, "", codes, MATCH_EVERY)


def existing_service_ids(session: Session, ids: Sequence[str]) -> set[str]:
    """Those of ``ids`` that are services in the database now."""
    wanted = set(ids)
    if len(wanted) > _SCAN_ABOVE:
        # As text: converting 50,000 ids through the UUID type takes longer than reading them.
        every = session.scalars(select(cast(Service.id, String)))
        return wanted.intersection(_canonical_uuid(text) for text in every)
    found: set[str] = set()
    for chunk in _chunks(sorted(wanted)):
        found.update(session.scalars(select(Service.id).where(Service.id.in_(chunk))))
    return found


def _canonical_uuid(text: str) -> str:
    """A UUID column read as text (32 hex digits on SQLite) as the models spell ids."""
    text = text.lower()
    if len(text) == 32:
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    return text


def _items(session: Session, ranked: list[tuple[str, float]]) -> list[SearchItem]:
    """The result rows of a page of ranked ids, in one query of the columns shown."""
    if not ranked:
        return []
    vocab = vocabulary()
    rows: dict[str, Any] = {}
    types: dict[str, list[str]] = {}
    for row in session.execute(
        select(
            Service.id,
            Service.name,
            Service.alternate_name,
            Service.organization_id,
            Service.status,
            Service.description,
            Organization.name.label("organization"),
            TaxonomyTerm.code,
        )
        .join(Organization, Organization.id == Service.organization_id)
        .outerjoin(
            Attribute,
            and_(
                Attribute.link_id == Service.id,
                Attribute.link_entity == "service",
                Attribute.link_type == "service_type",
            ),
        )
        .outerjoin(TaxonomyTerm, TaxonomyTerm.id == Attribute.taxonomy_term_id)
        .where(Service.id.in_([service_id for service_id, _score in ranked]))
        .order_by(Service.id, Attribute.position, Attribute.id)
    ):
        rows.setdefault(row.id, row)
        codes = types.setdefault(row.id, [])  # as _type_codes: in attribute order, once each
        code = row.code
        if code and code not in codes and vocab.find(SERVICE_TYPE, code) is not None:
            codes.append(code)
    items = []
    for service_id, score in ranked:
        found = rows.get(service_id)
        if found is None:  # deleted between the index check and now
            continue
        items.append(
            SearchItem(
                id=found.id,
                name=found.name,
                alternate_name=found.alternate_name,
                organization=found.organization,
                organization_id=found.organization_id,
                service_types=types[service_id],
                status=found.status,
                description=snippet(found.description or ""),
                score=score,
            )
        )
    return items


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters plus "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut.rstrip(" ,.;:") + "…"


# ---------------------------------------------------------------------------------------------
# From the database to documents


def _type_codes(service: Service) -> tuple[str, ...]:
    vocab = vocabulary()
    codes = []
    for attribute in service.attributes:
        term = attribute.taxonomy_term
        if (
            attribute.link_type == "service_type"
            and term.code
            and term.code not in codes
            and vocab.find(SERVICE_TYPE, term.code) is not None
        ):
            codes.append(term.code)
    return tuple(codes)


def service_text(service: Service) -> ServiceText:
    """The searchable facts of a loaded service (organization, attributes, locations)."""
    organization = service.organization
    type_names = []
    terms = []
    for attribute in service.attributes:
        name = attribute.taxonomy_term.name
        if attribute.link_type == "service_type":
            type_names.append(name)
        else:
            terms.append(name)
    places: list[str] = []
    for link in service.service_at_locations:
        location = link.location
        places += [location.name or "", location.alternate_name or ""]
        for address in location.addresses:
            places += [address.city, address.postal_code]
    return ServiceText(
        id=service.id,
        name=service.name,
        alternate_name=service.alternate_name or "",
        description="\n".join(
            t for t in (service.description, service.eligibility_description) if t
        ),
        organization="\n".join(t for t in (organization.name, organization.alternate_name) if t),
        status=service.status,
        type_codes=_type_codes(service),
        type_names=tuple(dict.fromkeys(type_names)),
        terms=tuple(dict.fromkeys(terms)),
        places=tuple(dict.fromkeys(p for p in places if p)),
    )


def service_texts(
    session: Session, ids: Sequence[str], *, all_between: bool = False
) -> list[ServiceText]:
    """Searchable facts of those of ``ids`` that exist, in the order of ``ids``.

    Read as plain rows (no ORM objects, so nothing a session loaded earlier stands in for rows
    committed since by another process): three queries per 2,000 services. Gives what
    :func:`service_text` gives for the same service loaded through the ORM.

    ``all_between``: ``ids`` are every service id from the first to the last in the
    database's order (a rebuild's chunk), so each batch is read by an id range, not a list of
    ids (a PostgreSQL server plans 2,000 parameters per query otherwise).
    """
    texts: list[ServiceText] = []
    wanted = list(dict.fromkeys(ids))
    for start in range(0, len(wanted), _TEXT_BATCH):
        batch = wanted[start : start + _TEXT_BATCH]
        texts += _load_texts(session, batch, (batch[0], batch[-1]) if all_between else None)
    return texts


def _load_texts(
    session: Session, ids: Sequence[str], between: tuple[str, str] | None
) -> list[ServiceText]:
    def chosen(column: Any) -> Any:
        return column.in_(ids) if between is None else column.between(*between)

    services = {
        row.id: row
        for row in session.execute(
            select(
                Service.id,
                Service.name,
                Service.alternate_name,
                Service.description,
                Service.eligibility_description,
                Service.status,
                Organization.name.label("organization_name"),
                Organization.alternate_name.label("organization_alternate_name"),
            )
            .outerjoin(Organization, Organization.id == Service.organization_id)
            .where(chosen(Service.id))
        ).all()  # fetched at once: row by row costs a third more
    }
    found = [service_id for service_id in ids if service_id in services]
    # The query above went through the session (which flushed); the rest read plain rows.
    connection = session.connection()
    attributes = _grouped(
        connection.execute(
            select(Attribute.link_id, Attribute.link_type, TaxonomyTerm.name, TaxonomyTerm.code)
            .join(TaxonomyTerm, TaxonomyTerm.id == Attribute.taxonomy_term_id)
            .where(Attribute.link_entity == "service", chosen(Attribute.link_id))
            .order_by(Attribute.position, Attribute.id)
        ).all()
    )
    places = _places(connection, chosen)
    return [
        _text_of(
            services[sid],
            _lines(services[sid].organization_name, services[sid].organization_alternate_name),
            attributes.get(sid, []),
            places.get(sid, []),
        )
        for sid in found
    ]


def _places(connection: Connection, chosen: Callable[[Any], Any]) -> dict[str, list[str]]:
    """Per service: each location's name and other name, then its addresses' cities and ZIP
    codes, locations in link order (as :func:`service_text` lists them)."""
    rows = connection.execute(
        select(
            ServiceAtLocation.service_id,
            ServiceAtLocation.id,
            Location.name,
            Location.alternate_name,
            Address.city,
            Address.postal_code,
        )
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .outerjoin(Address, Address.location_id == Location.id)
        .where(chosen(ServiceAtLocation.service_id))
        .order_by(ServiceAtLocation.id, Address.id)
    ).all()
    places: dict[str, list[str]] = {}
    link = None
    for service_id, link_id, name, alternate_name, city, postal_code in rows:
        found = places.setdefault(service_id, [])
        if link_id != link:  # the first row of a link: its location's names
            link = link_id
            found += [name or "", alternate_name or ""]
        if city is not None or postal_code is not None:
            found += [city, postal_code]
    return places


def _text_of(
    service: Any, organization: str, attributes: Sequence[Any], places: list[str]
) -> ServiceText:
    vocab = vocabulary()
    type_names: list[str] = []
    terms: list[str] = []
    codes: list[str] = []
    for _link_id, link_type, name, code in attributes:
        if link_type != "service_type":
            terms.append(name)
            continue
        type_names.append(name)
        if code and code not in codes and vocab.find(SERVICE_TYPE, code) is not None:
            codes.append(code)
    return ServiceText(
        id=service.id,
        name=service.name,
        alternate_name=service.alternate_name or "",
        description=_lines(service.description, service.eligibility_description),
        organization=organization,
        status=service.status,
        type_codes=tuple(codes),
        type_names=tuple(dict.fromkeys(type_names)),
        terms=tuple(dict.fromkeys(terms)),
        places=tuple(dict.fromkeys(p for p in places if p)),
    )


def _lines(*parts: str | None) -> str:
    return "\n".join(p for p in parts if p)


def _grouped(rows: Iterable[Any]) -> dict[str, list[Any]]:
    """Rows grouped by their first column, in order."""
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(row)
    return grouped


def _chunks(items: Sequence[str], size: int = _CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ---------------------------------------------------------------------------------------------
# Keeping the index current


@contextmanager
def _no_progress(_label: str, _total: int | None = None) -> Iterator[Advance]:
    yield lambda _n: None


def reindex(
    session: Session,
    index: SearchIndex,
    progress: Progress | None = None,
    *,
    lock_timeout: float = REINDEX_LOCK_TIMEOUT_SECONDS,
) -> int:
    """Rebuild ``index`` from the database; returns the number of services indexed.

    :param progress: a context manager factory such as ``cli.progress_bar``.
    :raises IndexBusyError: another writer kept the index locked for ``lock_timeout`` seconds.
    :raises IndexUnavailableError: the index folder cannot be written.
    """
    for attempt in (1, 2):
        try:
            with index.writing(lock_timeout) as update:
                return _rebuild(session, update, progress or _no_progress)
        except IndexUnavailableError:
            if attempt == 2:
                raise
            # _fail() forgot the broken index: the next writing() replaces it with a new one.
    raise AssertionError("unreachable")  # pragma: no cover


def state_for_rebuild(session: Session) -> sync.SyncState:
    """The state of a cache rebuilt from this session's snapshot (the search index, the lookup
    cache): read before loading, so anything committed meanwhile is applied afterwards."""
    newest = newest_change(session)
    recent: list[int] = []
    if newest is not None:
        recent = list(
            session.scalars(
                select(SearchChange.seq).where(SearchChange.seq > newest.seq - sync.MAX_GAPS)
            )
        )
    return sync.state_after_rebuild(newest, recent, time.time())


def _rebuild(session: Session, update: IndexUpdate, progress: Progress) -> int:
    state = state_for_rebuild(session)
    ids = list(session.scalars(select(Service.id).order_by(Service.id)))
    update.clear()
    with progress("Indexing services", len(ids)) as advance, collector_paused():
        for chunk in _chunks(ids, _TEXT_BATCH):
            texts = service_texts(session, chunk, all_between=True)
            update.update(service_document(text) for text in texts)
            advance(len(chunk))
    update.set_state(state.to_json())
    return len(ids)


def newest_change(session: Session) -> sync.Change | None:
    """The newest row of the change sequence (None when it is empty)."""
    row = session.execute(
        select(SearchChange.seq, SearchChange.service_id, SearchChange.changed_at)
        .order_by(SearchChange.seq.desc())
        .limit(1)
    ).first()
    return sync.Change(*row) if row is not None else None


def pending_changes(session: Session, state: sync.SyncState) -> list[sync.Change]:
    """Rows at or after the last applied seq, and rows filling gaps (one indexed query)."""
    condition = SearchChange.seq >= state.last_seq
    if state.gaps:
        condition = or_(condition, SearchChange.seq.in_(sorted(state.gaps)))
    rows = session.execute(
        select(SearchChange.seq, SearchChange.service_id, SearchChange.changed_at)
        .where(condition)
        .order_by(SearchChange.seq)
        .limit(sync.REBUILD_AFTER_CHANGES + 2)
    )
    return [sync.Change(seq, str(service_id), changed_at) for seq, service_id, changed_at in rows]


def catch_up(
    session: Session,
    index: SearchIndex,
    *,
    lock_timeout: float | None = None,
    now: float | None = None,
) -> CatchUpReport:
    """Apply the changes recorded since the index last caught up; never raises for the index.

    Cheap when nothing changed: reading the index's state and one indexed query. Otherwise the
    changed services are reloaded (or removed when gone) and written in one commit, under the
    write lock; an empty, damaged or out-of-step index is rebuilt instead (a logged warning).
    A busy index is left as it is (logged), and the search answers from it.
    """
    return _catch_up(session, index, lock_timeout, now)[0]


def _catch_up(
    session: Session, index: SearchIndex, lock_timeout: float | None, now: float | None
) -> tuple[CatchUpReport, tuple[int, ...] | None]:
    """``catch_up``, and the seqs of the change rows it read first (None when it read none).

    Those rows (the last applied one, any newer, and late ones filling gaps) change whenever a
    service is added or removed, so they also tell when an answer about which services exist
    may be reused (see ``search_services``).
    """
    now = time.time() if now is None else now
    try:
        raw = index.read_state()
    except IndexUnavailableError:
        raw = None
    seen = None
    if raw is not None:
        state = sync.SyncState.from_json(raw)
        changes = pending_changes(session, state)
        seen = tuple(change.seq for change in changes)
        plan = sync.plan_catch_up(state, changes, now)
        if not plan.changed and not plan.rebuild:
            return CatchUpReport(), seen
    for attempt in (1, 2):
        try:
            with index.writing(lock_timeout) as update:
                return _catch_up_locked(session, index, update, now), seen
        except IndexBusyError as exc:
            LOG.warning("search index not caught up, answering from it as it is: %s", exc)
            return CatchUpReport(skipped=True), seen
        except IndexUnavailableError as exc:
            if attempt == 2:
                LOG.warning("search index not caught up: %s", exc)
                return CatchUpReport(skipped=True), seen
    raise AssertionError("unreachable")  # pragma: no cover


def _catch_up_locked(
    session: Session, index: SearchIndex, update: IndexUpdate, now: float
) -> CatchUpReport:
    # Read again under the lock: another thread or process may have caught up meanwhile, and
    # the database must be read after any writer before us committed (or we could write back
    # an older copy of a service than theirs).
    raw = update.state
    if raw is None:
        LOG.warning(
            "search index at %s is empty or unreadable; rebuilding it from the database",
            index.location,
        )
        return CatchUpReport(applied=_rebuild(session, update, _no_progress), rebuilt=True)
    state = sync.SyncState.from_json(raw)
    plan = sync.plan_catch_up(state, pending_changes(session, state), now)
    if plan.rebuild:
        LOG.warning("search index at %s is rebuilt: %s", index.location, plan.rebuild_reason)
        return CatchUpReport(applied=_rebuild(session, update, _no_progress), rebuilt=True)
    if not plan.changed:
        return CatchUpReport()
    texts = {text.id: text for text in service_texts(session, plan.service_ids)}
    update.update(service_document(texts[sid]) for sid in plan.service_ids if sid in texts)
    update.delete(sid for sid in plan.service_ids if sid not in texts)
    update.set_state(plan.state.to_json())
    return CatchUpReport(applied=len(plan.service_ids))
