"""Keeping every process's index in step with the database through the change sequence.

**Recording.** Session events, registered once on the ``Session`` class (so they also cover the
per-test session factories), append one ``SearchChange(service_id)`` row per affected service
to the same transaction as the change itself:

* ORM flushes (``before_flush`` / ``after_flush``): new, changed or deleted services, and rows
  whose change alters what search shows about services: organizations (their services),
  locations and addresses (the services offered there), service-at-location links, attributes
  (by ``link_entity``) and taxonomy terms (the services carrying them). Rows of deleted
  locations are mapped before the flush, since the database drops their links with them.
* Bulk statements run through ``Session.execute`` (``insert(table)``, ``update``, ``delete``,
  as the importer uses): affected ids come from the parameters, or from a ``SELECT`` with the
  statement's own ``WHERE`` run just before it. A statement whose rows cannot be told records
  :data:`ALL_SERVICES`, which makes every index rebuild itself.

Statements written as raw SQL text are not seen; code that writes services that way calls
:func:`record_changes`.

**Catching up** (:func:`plan_catch_up`, pure). An index remembers the last ``seq`` it applied,
a fingerprint of that row, and the *gaps* below it. The fingerprint (service id and time of the
row at ``last_seq``) tells when the change sequence is not the one the index was built from (the
database was restored from a backup, replaced, or, in tests, rolled back): then the index is
rebuilt. Gaps handle PostgreSQL, where sequence numbers are taken at insert but become visible
at commit, so a long transaction can commit seq 12 after seq 13 was applied. Every seq missing
below the newest applied one is re-checked on each catch-up until it appears or has been
missing for :data:`GAP_TTL_SECONDS` (then it was rolled back, or its transaction ran longer
than that; such a change shows up at the service's next change or the next ``reindex``). On
SQLite, writers commit one at a time in seq order, so gaps are only ever rolled-back numbers.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    event,
    insert,
    select,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import (
    BinaryExpression,
    BindParameter,
    ClauseElement,
    ColumnElement,
)

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

# service_id of a change row meaning "anything may have changed": every index rebuilds.
ALL_SERVICES = "00000000-0000-0000-0000-000000000000"

# A seq missing for longer than this is given up (rolled back, or from a very long transaction).
GAP_TTL_SECONDS = 3600.0
# At most this many gaps are remembered (the newest); also how far below the newest row a
# rebuild looks for numbers not yet committed.
MAX_GAPS = 1000
# More pending changes than this and a full rebuild is cheaper than applying them one by one.
REBUILD_AFTER_CHANGES = 5000

_PENDING_KEY = "pmhc_search_pending"
_CHUNK = 500

_SERVICES: Table = Service.__table__  # type: ignore[assignment]
_LINKS: Table = ServiceAtLocation.__table__  # type: ignore[assignment]
_ATTRIBUTES: Table = Attribute.__table__  # type: ignore[assignment]
_CHANGES: Table = SearchChange.__table__  # type: ignore[assignment]


# ---------------------------------------------------------------------------------------------
# What a write touched, and which services that means


@dataclass
class Touched:
    """Rows a write touched, by kind; :meth:`resolve` turns them into service ids."""

    services: set[str] = field(default_factory=set)
    organizations: set[str] = field(default_factory=set)
    locations: set[str] = field(default_factory=set)
    links: set[str] = field(default_factory=set)  # services_at_location ids
    terms: set[str] = field(default_factory=set)
    everything: bool = False

    def __bool__(self) -> bool:
        return self.everything or any(
            (self.services, self.organizations, self.locations, self.links, self.terms)
        )

    def add_link(self, entity: str | None, link_id: str | None) -> None:
        """An attribute of ``entity`` (HSDS ``link_entity``) ``link_id`` changed."""
        if link_id is None:
            return
        target = {
            "service": self.services,
            "organization": self.organizations,
            "location": self.locations,
            "service_at_location": self.links,
        }.get(entity or "service")
        if target is not None:
            target.add(str(link_id))

    def resolve(self, conn: Connection) -> set[str]:
        """Service ids affected, with a few indexed queries (none for plain service changes)."""
        if self.terms:
            column = _ATTRIBUTES.c.taxonomy_term_id
            for chunk in _chunks(sorted(self.terms)):
                query = select(_ATTRIBUTES.c.link_entity, _ATTRIBUTES.c.link_id)
                for entity, link_id in conn.execute(query.where(column.in_(chunk))):
                    self.add_link(entity, link_id)
            self.terms.clear()
        ids = set(self.services)
        lookups = (
            (_SERVICES.c.id, _SERVICES.c.organization_id, self.organizations),
            (_LINKS.c.service_id, _LINKS.c.location_id, self.locations),
            (_LINKS.c.service_id, _LINKS.c.id, self.links),
        )
        for wanted, key, keys in lookups:
            for chunk in _chunks(sorted(keys)):
                ids.update(str(v) for v in conn.scalars(select(wanted).where(key.in_(chunk))))
        if self.everything:
            ids.add(ALL_SERVICES)
        return ids


def _chunks(items: Sequence[str], size: int = _CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def write_changes(conn: Connection, service_ids: Collection[str]) -> None:
    """Append one change row per service id (sorted, so seq order is repeatable)."""
    if service_ids:
        conn.execute(insert(_CHANGES), [{"service_id": sid} for sid in sorted(service_ids)])


def record_changes(session: Session, service_ids: Iterable[str]) -> None:
    """Record that these services changed, for writes the session events cannot see."""
    write_changes(session.connection(), {str(s) for s in service_ids})


def request_full_reindex(session: Session) -> None:
    """Make every process rebuild its index at its next catch-up (after this commits)."""
    write_changes(session.connection(), {ALL_SERVICES})


# ---------------------------------------------------------------------------------------------
# ORM flushes

_WATCHED = (
    Service,
    Organization,
    Location,
    ServiceAtLocation,
    Attribute,
    Address,
    TaxonomyTerm,
)
# New rows of these types point at services (or locations) only after the flush gives them ids.
_WATCHED_NEW = (Service, ServiceAtLocation, Attribute, Address)


def _values(obj: Any, key: str) -> set[Any]:
    """Current and previous values of an attribute (loading it if it was not loaded)."""
    history = sa_inspect(obj).attrs[key].load_history()
    return {v for v in (*history.added, *history.unchanged, *history.deleted) if v is not None}


def _touch_persistent(touched: Touched, obj: Any) -> None:
    if isinstance(obj, Service):
        touched.services.add(obj.id)
    elif isinstance(obj, Organization):
        touched.organizations.add(obj.id)
    elif isinstance(obj, Location):
        touched.locations.add(obj.id)
    elif isinstance(obj, ServiceAtLocation):
        touched.services.update(_values(obj, "service_id"))
    elif isinstance(obj, Attribute):
        for entity in _values(obj, "link_entity") or {None}:
            for link_id in _values(obj, "link_id"):
                touched.add_link(entity, link_id)
    elif isinstance(obj, Address):
        touched.locations.update(_values(obj, "location_id"))
    elif isinstance(obj, TaxonomyTerm):
        touched.terms.add(obj.id)


def _touch_new(touched: Touched, obj: Any) -> None:
    if isinstance(obj, Service):
        touched.services.add(obj.id)
    elif isinstance(obj, ServiceAtLocation):
        touched.services.add(obj.service_id)
    elif isinstance(obj, Attribute):
        touched.add_link(obj.link_entity, obj.link_id)
    elif isinstance(obj, Address):
        touched.locations.add(obj.location_id)


# Collections whose change alters a row's search text although no column of the row changes
# (a removed attribute or address is deleted as an orphan during the flush, after before_flush).
_TEXT_COLLECTIONS: dict[type, tuple[str, ...]] = {
    Service: ("attributes", "service_at_locations"),
    Location: ("addresses",),
}


def _modified(session: Session, obj: Any) -> bool:
    if session.is_modified(obj, include_collections=False):
        return True
    attrs = sa_inspect(obj).attrs
    return any(attrs[key].history.has_changes() for key in _TEXT_COLLECTIONS.get(type(obj), ()))


def _before_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    touched = Touched()
    new = [obj for obj in session.new if isinstance(obj, _WATCHED_NEW)]
    for obj in session.dirty:
        if isinstance(obj, _WATCHED) and _modified(session, obj):
            _touch_persistent(touched, obj)
    deleted_locations: set[str] = set()
    for obj in session.deleted:
        if isinstance(obj, _WATCHED):
            _touch_persistent(touched, obj)
            if isinstance(obj, Location):
                deleted_locations.add(obj.id)
    if deleted_locations:
        # Their service links go with them (ON DELETE CASCADE): find the services now.
        gone = Touched(locations=deleted_locations)
        touched.services |= gone.resolve(session.connection())
        touched.locations -= deleted_locations
    if touched or new:
        session.info[_PENDING_KEY] = (touched, new)
    else:
        session.info.pop(_PENDING_KEY, None)


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    pending = session.info.pop(_PENDING_KEY, None)
    if pending is None:
        return
    touched, new = pending
    for obj in new:
        _touch_new(touched, obj)
    touched.services.discard(None)
    conn = session.connection()
    write_changes(conn, touched.resolve(conn))


# ---------------------------------------------------------------------------------------------
# Bulk statements through Session.execute

# table -> (kind of row, the columns that say which services it concerns)
_TABLE_RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "services": ("service", ("id",)),
    "organizations": ("organization", ("id",)),
    "locations": ("location", ("id",)),
    "taxonomy_terms": ("term", ("id",)),
    "services_at_location": ("service", ("service_id",)),
    "addresses": ("location", ("location_id",)),
    "attributes": ("attribute", ("link_entity", "link_id")),
}
# New rows of these kinds cannot be referred to yet, so inserting them changes no service.
_INSERT_NEEDS_NOTHING = {"organization", "location", "term"}


def _touch_row(
    touched: Touched, kind: str, values: Mapping[Any, Any], columns: Sequence[str]
) -> None:
    if kind == "attribute":
        if values.get("link_id") is None:
            touched.everything = True
        else:
            touched.add_link(values.get("link_entity") or "service", values["link_id"])
        return
    value = values.get(columns[0])
    if value is None:
        touched.everything = True
        return
    target = {
        "service": touched.services,
        "organization": touched.organizations,
        "location": touched.locations,
        "term": touched.terms,
    }[kind]
    target.add(str(value))


def _pk_parameter(where: ColumnElement[bool] | None, table: Table) -> str | None:
    """The parameter name in ``WHERE table.id = :name`` (an executemany by primary key)."""
    if isinstance(where, BinaryExpression) and where.operator is operators.eq:
        left, right = where.left, where.right
        column_table = getattr(left, "table", None)
        if (
            isinstance(right, BindParameter)
            and getattr(left, "name", None) == "id"
            and getattr(column_table, "name", None) == table.name
        ):
            return str(right.key)
    return None


def _statement_rows(state: ORMExecuteState) -> list[Mapping[str, Any]]:
    """The parameter sets of an ORM-enabled statement (one per row of an executemany)."""
    params = state.parameters
    if params is None:
        return []
    if isinstance(params, Mapping):
        return [params]
    return list(params)


def _touched_by_insert(
    state: ORMExecuteState, kind: str, columns: Sequence[str], rows: list[Mapping[str, Any]]
) -> Touched:
    touched = Touched()
    if kind in _INSERT_NEEDS_NOTHING:
        return touched
    statement = state.statement
    if not rows and isinstance(statement, ClauseElement):
        # values given inline: ``.values(id=...)`` compiles to these parameters
        rows = [statement.compile().params]
    for row in rows:
        _touch_row(touched, kind, row, columns)
    return touched


def _touch_selected(
    touched: Touched,
    conn: Connection,
    state: ORMExecuteState,
    table: Table,
    rows: list[Mapping[str, Any]],
) -> None:
    """Touch the rows an UPDATE or DELETE will change, read before it runs; ``everything``
    when an executemany is not keyed by primary key."""
    kind, columns = _TABLE_RULES[table.name]
    selected = [table.c[name] for name in columns]
    where = state.statement.whereclause  # type: ignore[attr-defined]
    if len(rows) <= 1:
        query = select(*selected)
        if where is not None:
            query = query.where(where)
        for found in conn.execute(query, rows[0] if rows else {}):
            _touch_row(touched, kind, found._mapping, columns)
        return
    key = _pk_parameter(where, table)
    if key is None and where is None and all("id" in row for row in rows):
        key = "id"  # ORM bulk UPDATE by primary key
    if key is None or not all(key in row for row in rows):
        touched.everything = True
        return
    ids = sorted({str(row[key]) for row in rows})
    for chunk in _chunks(ids):
        for found in conn.execute(select(*selected).where(table.c.id.in_(chunk))):
            _touch_row(touched, kind, found._mapping, columns)


def _touched_by_statement(conn: Connection, state: ORMExecuteState, table: Table) -> Touched:
    kind, columns = _TABLE_RULES[table.name]
    rows = _statement_rows(state)
    if state.is_insert:
        return _touched_by_insert(state, kind, columns, rows)
    touched = Touched()
    _touch_selected(touched, conn, state, table, rows)
    if touched.everything:
        return touched
    if state.is_update:  # rows may move to another owner: count the new one too
        for row in rows:
            if columns[-1] in row:
                _touch_row(touched, kind, row, columns)
    return touched


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    name = getattr(getattr(state.statement, "table", None), "name", None)
    if name not in _TABLE_RULES:
        return
    table = SearchChange.metadata.tables[name]
    conn = state.session.connection()
    write_changes(conn, _touched_by_statement(conn, state, table).resolve(conn))


def install() -> None:
    """Register the recording events on every ORM session (once per process)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _on_execute)


# ---------------------------------------------------------------------------------------------
# Catching up (pure planning; services.search does the reading and writing)


@dataclass(frozen=True)
class Change:
    """One row of the change sequence."""

    seq: int
    service_id: str
    changed_at: datetime | None = None

    @property
    def fingerprint(self) -> str:
        stamp = self.changed_at.isoformat() if self.changed_at is not None else ""
        return f"{self.service_id}@{stamp}"


@dataclass(frozen=True)
class SyncState:
    """How far an index has followed the change sequence (stored in the index itself)."""

    last_seq: int = 0
    last_fingerprint: str = ""
    # seq -> when it was first seen missing (seconds since the epoch, this process's clock)
    gaps: Mapping[int, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "last_seq": self.last_seq,
            "last_fingerprint": self.last_fingerprint,
            "gaps": {str(seq): seen for seq, seen in sorted(self.gaps.items())},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SyncState:
        return cls(
            last_seq=int(data.get("last_seq", 0)),
            last_fingerprint=str(data.get("last_fingerprint", "")),
            gaps={int(seq): float(seen) for seq, seen in dict(data.get("gaps", {})).items()},
        )


@dataclass(frozen=True)
class CatchUpPlan:
    state: SyncState
    service_ids: tuple[str, ...] = ()
    rebuild_reason: str | None = None
    changed: bool = False  # the state (or the index) must be written

    @property
    def rebuild(self) -> bool:
        return self.rebuild_reason is not None


def _gaps_after(
    old: Mapping[int, float], seen: set[int], low: int, high: int, now: float
) -> dict[int, float]:
    """Gaps still worth waiting for once the seqs in ``seen`` were applied up to ``high``."""
    gaps = {s: t for s, t in old.items() if s not in seen and now - t < GAP_TTL_SECONDS}
    for seq in range(max(low + 1, high - MAX_GAPS), high):
        if seq not in seen and seq not in gaps:
            gaps[seq] = now
    if len(gaps) > MAX_GAPS:
        gaps = dict(sorted(gaps.items())[-MAX_GAPS:])
    return gaps


def plan_catch_up(state: SyncState, changes: Sequence[Change], now: float) -> CatchUpPlan:
    """What to do given the rows with ``seq >= state.last_seq`` or in ``state.gaps``.

    ``changes`` must be ordered by seq; more than :data:`REBUILD_AFTER_CHANGES` new ones (the
    caller may stop reading there) means rebuild.
    """
    if state.last_seq > 0:
        anchor = next((c for c in changes if c.seq == state.last_seq), None)
        if anchor is None or anchor.fingerprint != state.last_fingerprint:
            return CatchUpPlan(
                state,
                rebuild_reason="the change sequence no longer contains the last change this "
                "index applied (database restored, replaced or rolled back)",
            )
    new = [c for c in changes if c.seq > state.last_seq or c.seq in state.gaps]
    if len(new) > REBUILD_AFTER_CHANGES:
        return CatchUpPlan(state, rebuild_reason=f"more than {REBUILD_AFTER_CHANGES} changes")
    if any(c.service_id == ALL_SERVICES for c in new):
        return CatchUpPlan(state, rebuild_reason="a bulk change asked for a full reindex")
    expired = any(now - t >= GAP_TTL_SECONDS for t in state.gaps.values())
    if not new and not expired:
        return CatchUpPlan(state)
    last = max([state.last_seq, *(c.seq for c in new)])
    fingerprint = state.last_fingerprint
    for change in new:
        if change.seq == last:
            fingerprint = change.fingerprint
    seen = {c.seq for c in new}
    gaps = _gaps_after(state.gaps, seen, state.last_seq, last, now)
    ids = tuple(dict.fromkeys(c.service_id for c in new))
    return CatchUpPlan(SyncState(last, fingerprint, gaps), service_ids=ids, changed=True)


def state_after_rebuild(
    newest: Change | None, recent_seqs: Collection[int], now: float
) -> SyncState:
    """State of an index rebuilt from the database as it was when ``newest`` was read.

    ``recent_seqs`` are the seqs present among the :data:`MAX_GAPS` below ``newest``; the
    missing ones may belong to transactions still open, so they start as gaps.
    """
    if newest is None:
        return SyncState()
    seen = set(recent_seqs) | {newest.seq}
    gaps = _gaps_after({}, seen, 0, newest.seq, now)
    return SyncState(newest.seq, newest.fingerprint, gaps)
