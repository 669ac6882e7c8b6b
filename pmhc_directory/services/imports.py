"""Import services from HSDS 3.1 compiled JSON: check everything first, then upsert by id.

All or nothing: every record is parsed and checked (``hsds.deserialize``), then the rows it
points at are looked up, and only when no problem was found is anything written. Writing goes
in batches with a few bulk statements per table; the caller commits or rolls back.

Upsert semantics (docs/import-export.md):

* a record describes its service in full: lists it leaves out or sends empty are emptied;
* rows are matched by id; a row is written only when one of its values changed, and rows the
  service (or a shared organization / location) no longer lists are deleted;
* organizations, locations, capacity units and external taxonomy terms may be shared by many
  records; every copy in one file must be identical (otherwise the import fails);
* nothing that the file does not mention is deleted (services, organizations, locations).

A service counts as *updated* when anything in its compiled HSDS form changed, including its
organization or locations; each changed top-level field gets a ``ChangeRecord``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ARRAY,
    Column,
    ColumnElement,
    String,
    Table,
    and_,
    any_,
    bindparam,
    cast,
    delete,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from ..db import new_id
from ..hsds.deserialize import (
    COLUMNS,
    OWNED_TABLES,
    SHARED_CHILDREN,
    SHARED_TABLES,
    VERSIONED,
    ParsedFile,
    ParsedRecord,
    Shared,
    parse_services,
    row_sort_key,
)
from ..hsds.errors import ImportIssue, ReadFailed
from ..models import Base
from ..taxonomy import vocabulary

__all__ = [
    "ImportFailed",
    "ImportIssue",
    "ImportSummary",
    "import_file",
    "import_services",
    "read_hsds_json",
]

#: Import formats (spec/api.md 1); each reader turns a file into compiled HSDS 3.1 services.
FORMATS = ("hsds-json", "hsds-ndjson", "hsds-csv", "hsds1-csv", "samhsa-csv")
# Records per write batch, and a cap on the rows of one table in a batch (bound parameters).
BATCH_RECORDS = 500
BATCH_ROWS = 5000
# Ids per IN (...) list.
CHUNK = 500

Row = dict[str, Any]
Advance = Callable[[int], None]
Progress = Callable[[str, int | None], AbstractContextManager[Advance]]


class ImportFailed(Exception):  # noqa: N818 (the name the CLI and callers use)
    """The import found problems and wrote nothing; ``errors`` lists every one."""

    def __init__(self, errors: Sequence[ImportIssue]) -> None:
        self.errors = sorted(errors, key=lambda issue: issue.record_index)
        first = str(self.errors[0]) if self.errors else "no details"
        super().__init__(f"{len(self.errors)} error(s); first: {first}")

    def report(self, limit: int = 50) -> str:
        """One line per issue (at most ``limit``), e.g.
        ``record 3 (id 1f...): service.schedules[0].opens_at: '25:00' is not a time HH:MM``."""
        lines = [str(issue) for issue in self.errors[:limit]]
        hidden = len(self.errors) - limit
        if hidden > 0:
            lines.append(f"... and {hidden} more error(s)")
        return "\n".join(lines)


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


def _file_issue(message: str) -> ImportFailed:
    return ImportFailed([ImportIssue(None, -1, "file", message)])


@contextmanager
def _no_progress(_label: str, _total: int | None = None) -> Iterator[Advance]:
    yield lambda _n: None


def read_hsds_json(path: Path) -> list[Any]:
    """The records of an ``hsds-json`` file: a JSON array of services, or one service."""
    try:
        with path.open("rb") as handle:
            data = json.load(handle)
    except json.JSONDecodeError as exc:
        raise _file_issue(
            f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except UnicodeDecodeError:
        raise _file_issue("is not UTF-8 text") from None
    except IsADirectoryError:
        raise _file_issue(f"{path} is a folder; hsds-json needs a .json file") from None
    except OSError as exc:
        raise _file_issue(f"cannot be read: {exc.strerror or exc}") from None
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and ("id" in data or "name" in data):
        return [data]
    raise _file_issue("expected a JSON array of HSDS services (or a single service object)")


def read_records(
    path: Path, fmt: str, *, taxonomy_map: Path | None = None
) -> Iterable[dict[str, Any]]:
    """The services in ``path`` as compiled HSDS 3.1 dicts, read with the reader of ``fmt``.

    ``taxonomy_map`` (``hsds1-csv`` and ``samhsa-csv`` only) is a CSV mapping external codes to
    PMHC service types. Readers raise ``ReadFailed`` listing every problem they found.
    """
    if fmt not in FORMATS:
        supported = ", ".join(FORMATS)
        raise ImportFailed(
            [ImportIssue(None, -1, "format", f"{fmt!r} is not supported (use {supported})")]
        )
    if taxonomy_map is not None and fmt not in ("hsds1-csv", "samhsa-csv"):
        message = "--taxonomy-map applies to hsds1-csv and samhsa-csv imports only"
        raise ImportFailed([ImportIssue(None, -1, "taxonomy_map", message)])
    path = Path(path)
    try:
        if fmt == "hsds-json":
            return read_hsds_json(path)
        if fmt == "hsds-ndjson":
            from ..hsds.ndjson import read_ndjson

            return read_ndjson(path)
        if fmt == "hsds-csv":
            from ..hsds.tabular import read_package

            return read_package(path)
        if fmt == "hsds1-csv":
            from ..hsds.legacy211 import read_hsds1_package

            return read_hsds1_package(path, taxonomy_map=taxonomy_map)
        from ..hsds.samhsa import read_samhsa_csv

        return read_samhsa_csv(path, taxonomy_map=taxonomy_map)
    except ReadFailed as exc:
        raise ImportFailed(exc.issues) from None


def import_file(
    session: Session,
    path: Path,
    *,
    fmt: str = "hsds-json",
    progress: Progress | None = None,
    taxonomy_map: Path | None = None,
) -> ImportSummary:
    """Import a file of services; ImportFailed (nothing written) when anything is wrong."""
    records = read_records(Path(path), fmt, taxonomy_map=taxonomy_map)
    try:
        return import_services(session, records, source=Path(path).name, progress=progress)
    except ReadFailed as exc:  # a streaming reader found a problem while being consumed
        raise ImportFailed(exc.issues) from None


def import_services(
    session: Session,
    records: Iterable[dict[str, Any]],
    *,
    source: str,
    progress: Progress | None = None,
) -> ImportSummary:
    """Check every record, then create or update services by id (flushes, never commits).

    ``source`` names the origin in change records (``import:<source>``). ``progress`` is a
    context manager factory such as ``cli.progress_bar``: ``with progress(label, total) as
    advance: advance(n)``.
    """
    progress = progress or _no_progress
    records = list(records)
    session.flush()
    with progress("Checking", len(records)) as advance:
        parsed = parse_services(records, advance=advance)
    issues = parsed.issues + _check_references(session, parsed)
    if issues:
        raise ImportFailed(issues)
    writer = _Writer(session, parsed, source)
    try:
        with index_lookups(session):
            writer.write_shared()
            with progress("Importing", len(parsed.records)) as advance:
                for batch in _batches(parsed.records):
                    writer.write_services(batch)
                    advance(len(batch))
    except (IntegrityError, DataError) as exc:
        message = f"the database refused the data: {str(exc.orig or exc).strip()}"
        raise ImportFailed([ImportIssue(None, -1, "database", message)]) from exc
    session.expire_all()
    return writer.summary


@contextmanager
def index_lookups(session: Session) -> Iterator[None]:
    """On PostgreSQL, plan this import's look-ups as index scans.

    Every look-up is by an indexed id, but while a big import fills the tables inside one
    transaction their statistics still describe the tables as they were (often empty), and the
    planner then picks sequential scans: each batch rereads whole tables and a 50,000-service
    import slows down quadratically. Turning sequential scans off for the import (restored
    afterwards, transaction-local either way) keeps every batch proportional to its size.
    The export's batched loads use it too.
    """
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    previous = session.scalar(text("SELECT current_setting('enable_seqscan')"))
    session.execute(text("SELECT set_config('enable_seqscan', 'off', true)"))
    yield
    # Not reached on an error: the caller's rollback then undoes the setting.
    session.execute(text("SELECT set_config('enable_seqscan', :value, true)"), {"value": previous})


def _batches(records: list[ParsedRecord]) -> Iterator[list[ParsedRecord]]:
    batch: list[ParsedRecord] = []
    rows = 0
    for record in records:
        size = max(len(r) for r in record.rows.values())
        if batch and (len(batch) >= BATCH_RECORDS or rows + size > BATCH_ROWS):
            yield batch
            batch, rows = [], 0
        batch.append(record)
        rows += size
    if batch:
        yield batch


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _among(session: Session, column: Column[Any], ids: Iterable[str]) -> list[ColumnElement[bool]]:
    """Conditions "column is one of ids": one array parameter on PostgreSQL (planned once,
    however many ids), else IN lists of at most CHUNK ids. Empty when there are no ids."""
    ids = list(ids)
    if not ids:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return [column == any_(cast(literal(ids, ARRAY(String())), ARRAY(column.type)))]
    return [column.in_(chunk) for chunk in _chunks(ids)]


# ---------------------------------------------------------------------------------------------
# Checks that need the database (still before anything is written)


def _check_references(session: Session, parsed: ParsedFile) -> list[ImportIssue]:
    issues: list[ImportIssue] = []
    wanted: dict[str, set[str]] = defaultdict(set)
    for ref in parsed.references:
        if ref.id not in parsed.shared[ref.table]:
            wanted[ref.table].add(ref.id)
    found: dict[str, set[str]] = {}
    for table_name, ids in wanted.items():
        table = _table(table_name)
        found[table_name] = set()
        for condition in _among(session, table.c.id, sorted(ids)):
            found[table_name].update(session.scalars(select(table.c.id).where(condition)))
    names = {
        "organizations": "organization",
        "locations": "location",
        "taxonomy_terms": "taxonomy term",
        "taxonomies": "taxonomy",
    }
    for ref in parsed.references:
        if ref.id in parsed.shared[ref.table] or ref.id in found.get(ref.table, ()):
            continue
        message = f"{names[ref.table]} {ref.id} is neither in this file nor in the database"
        issues.append(ImportIssue(ref.record_id, ref.record_index, ref.path, message))
    issues.extend(_term_cycles(parsed))
    return issues


def _term_cycles(parsed: ParsedFile) -> list[ImportIssue]:
    terms = parsed.shared["taxonomy_terms"]
    issues = []
    for term in terms.values():
        seen = {term.id}
        parent = term.row["parent_id"]
        while parent in terms:
            if parent in seen:
                message = "the parent_id chain of this term loops back on itself"
                issues.append(
                    ImportIssue(None, term.record_index, f"{term.path}.parent_id", message)
                )
                break
            seen.add(parent)
            parent = terms[parent].row["parent_id"]
    return issues


def _parents_first(terms: list[Shared]) -> list[Shared]:
    by_id = {t.id: t for t in terms}

    def depth(term: Shared) -> int:
        count, parent = 0, term.row["parent_id"]
        while parent in by_id and count <= len(by_id):
            count, parent = count + 1, by_id[parent].row["parent_id"]
        return count

    return sorted(terms, key=depth)


# ---------------------------------------------------------------------------------------------
# Writing


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, default=_json_default, sort_keys=True, separators=(",", ":"))
    return str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


class _RowIndex:
    """Rows by (table, owner column, owner id), in their list order."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str, str], list[Row]] = defaultdict(list)

    def add(self, table: str, rows: Iterable[Row]) -> None:
        owners = _OWNER_KEYS[table]
        for row in rows:
            for column in owners:
                owner_id = row[column]
                if owner_id is not None:
                    self._rows[(table, column, owner_id)].append(row)

    def get(self, table: str, column: str, owner_id: str) -> list[Row]:
        return sorted(self._rows.get((table, column, owner_id), ()), key=row_sort_key)


_OWNER_KEYS: dict[str, tuple[str, ...]] = {
    "services_at_location": ("service_id",),
    "contacts": ("service_id",),
    "phones": ("service_id", "service_at_location_id", "contact_id"),
    "schedules": ("service_id", "service_at_location_id"),
    "service_areas": ("service_id", "service_at_location_id"),
    "languages": ("service_id",),
    "cost_options": ("service_id",),
    "service_capacities": ("service_id",),
    "urls": ("service_id",),
    "attributes": ("link_id",),
}
_SERVICE_SCALARS = tuple(c for c in COLUMNS["services"] if c != "id")
_SHARED_OWNER_COLUMN = {"organizations": "organization_id", "locations": "location_id"}


class _Writer:
    def __init__(self, session: Session, parsed: ParsedFile, source: str) -> None:
        self.session = session
        self.parsed = parsed
        self.vocab = vocabulary()
        self.now = datetime.now(UTC)
        self.updated_by = f"import:{source}"[:320]
        self.summary = ImportSummary()
        # (table, id) of shared entities this import created (None) or changed (before value)
        self.changed_shared: dict[tuple[str, str], Row | None] = {}

    # -- statements

    def load(self, table_name: str, conditions: list[ColumnElement[bool]]) -> list[Row]:
        if not conditions:
            return []
        table = _table(table_name)
        names = COLUMNS[table_name]
        result = self.session.execute(select(*(table.c[n] for n in names)).where(or_(*conditions)))
        return [dict(zip(names, row, strict=True)) for row in result]

    def insert(self, table_name: str, rows: list[Row]) -> None:
        if rows:
            self.session.execute(insert(_table(table_name)), rows)

    def update(self, table_name: str, rows: list[Row]) -> None:
        if not rows:
            return
        table = _table(table_name)
        statement = update(table).where(table.c.id == bindparam("_id"))
        if table_name in VERSIONED:
            statement = statement.values(version=table.c.version + 1)
        params = [{("_id" if k == "id" else k): v for k, v in row.items()} for row in rows]
        self.session.execute(statement, params)

    def delete(self, table_name: str, ids: list[str]) -> None:
        table = _table(table_name)
        for condition in _among(self.session, table.c.id, ids):
            self.session.execute(delete(table).where(condition))

    # -- shared entities: organizations, locations, units, external taxonomies and terms

    def write_shared(self) -> None:
        for table_name in SHARED_TABLES:
            entities = list(self.parsed.shared[table_name].values())
            if table_name == "taxonomy_terms":
                entities = _parents_first(entities)
            for chunk in _chunks(entities):
                self.write_shared_chunk(table_name, list(chunk))

    def write_shared_chunk(self, table_name: str, chunk: list[Shared]) -> None:
        ids = [e.id for e in chunk]
        conditions = _among(self.session, _table(table_name).c.id, ids)
        existing = {r["id"]: r for r in self.load(table_name, conditions)}
        owner_column = _SHARED_OWNER_COLUMN.get(table_name)
        loaded: dict[str, dict[str, Row]] = {}
        current: dict[str, dict[str, list[Row]]] = {}
        for child in SHARED_CHILDREN.get(table_name, ()):
            if owner_column is None:  # every shared table with children names its owner column
                raise LookupError(f"no owner column for the children of {table_name}")
            table = _table(child)
            wanted = [r["id"] for e in chunk for r in e.children[child]]
            conditions = _among(self.session, table.c[owner_column], ids)
            conditions += _among(self.session, table.c.id, wanted)
            rows = self.load(child, conditions)
            loaded[child] = {r["id"]: r for r in rows}
            current[child] = defaultdict(list)
            for row in rows:
                if row[owner_column] is not None:
                    current[child][row[owner_column]].append(row)
        for entity in chunk:
            before = existing.get(entity.id)
            if before is None:
                self.changed_shared[(table_name, entity.id)] = None
                continue
            before_canon = dict(before)
            for child, by_owner in current.items():
                before_canon[child] = sorted(by_owner.get(entity.id, ()), key=row_sort_key)
            if before_canon != entity.canon():
                self.changed_shared[(table_name, entity.id)] = before_canon
        self.insert(table_name, [e.row for e in chunk if e.id not in existing])
        # Changed children count as a change of their organization or location (version bump).
        self.update(
            table_name,
            [e.row for e in chunk if self.changed_shared.get((table_name, e.id)) is not None],
        )
        for child, by_owner in current.items():
            desired = [r for e in chunk for r in e.children[child]]
            owned = [r for e in chunk for r in by_owner.get(e.id, ())]
            inserts, updates, deletes = _plan(desired, loaded[child], owned)
            self.insert(child, inserts)
            self.update(child, updates)
            self.delete(child, deletes)

    def shared_view(self, table_name: str, entity_id: str | None, before: bool) -> Any:
        """A shared entity as this import leaves it, or (``before``) as it found it."""
        if entity_id is None:
            return None
        key = (table_name, entity_id)
        if before and key in self.changed_shared:
            return self.changed_shared[key]
        entity = self.parsed.shared[table_name].get(entity_id)
        if entity is None:  # referenced by id only: this import does not change it
            return {"id": entity_id}
        view = entity.canon()
        if table_name == "taxonomy_terms" and view.get("taxonomy_id"):
            view["taxonomy_detail"] = self.shared_view("taxonomies", view["taxonomy_id"], before)
        return view

    def term_view(self, term_id: str | None, before: bool) -> Any:
        if term_id is None or self.vocab.term_by_id(term_id) is not None:
            return {"id": term_id}  # PMHC terms are reference data: imports never change them
        return self.shared_view("taxonomy_terms", term_id, before)

    # -- services

    def write_services(self, batch: list[ParsedRecord]) -> None:
        service_ids = [r.id for r in batch]
        services = _table("services")
        conditions = _among(self.session, services.c.id, service_ids)
        existing = {r["id"]: r for r in self.load("services", conditions)}
        incoming = {t: [row for r in batch for row in r.rows[t]] for t in OWNED_TABLES}
        loaded, owned = self.load_owned(service_ids, incoming)

        before_index, after_index = _RowIndex(), _RowIndex()
        for table_name in OWNED_TABLES:
            before_index.add(table_name, owned[table_name])
            after_index.add(table_name, incoming[table_name])

        inserts: list[Row] = []
        updates: list[Row] = []
        changes: list[Row] = []
        for record in batch:
            old = existing.get(record.id)
            if old is None:
                self.summary.created += 1
                inserts.append(record.service)
                changes.append(self.change(record.id, "create"))
                continue
            before = self.fields(old, before_index, before=True)
            after = self.fields(record.service, after_index, before=False)
            changed = [name for name in after if after[name] != before[name]]
            if not changed:
                self.summary.unchanged += 1
                continue
            self.summary.updated += 1
            updates.append(record.service)
            changes.extend(
                self.change(record.id, "update", name, before[name], after[name])
                for name in changed
            )
        self.insert("services", inserts)
        self.update("services", updates)
        plans = {
            t: _plan(incoming[t], loaded[t], owned[t])
            for t in OWNED_TABLES  # parents before children
        }
        for table_name, (to_insert, to_update, _deletes) in plans.items():
            self.insert(table_name, to_insert)
            self.update(table_name, to_update)
        for table_name in reversed(OWNED_TABLES):
            self.delete(table_name, plans[table_name][2])
        self.insert("change_records", changes)

    def load_owned(
        self, service_ids: list[str], incoming: dict[str, list[Row]]
    ) -> tuple[dict[str, dict[str, Row]], dict[str, list[Row]]]:
        """Rows of these services (by owner) and rows with incoming ids (wherever they are).

        Returns (rows by id, per table) and (rows the batch's services own, per table).
        """
        owners: dict[str, set[str]] = {"service_id": set(service_ids)}
        loaded: dict[str, dict[str, Row]] = {}
        owned: dict[str, list[Row]] = {}
        for table_name in OWNED_TABLES:
            table = _table(table_name)
            conditions: list[ColumnElement[bool]] = []
            owner_columns = _OWNER_KEYS[table_name]
            for column in owner_columns:
                if column == "link_id":
                    ids = sorted(owners["service_id"])
                    conditions += [
                        and_(table.c.link_entity == "service", condition)
                        for condition in _among(self.session, table.c.link_id, ids)
                    ]
                else:
                    ids = sorted(owners.get(column, ()))
                    conditions += _among(self.session, table.c[column], ids)
            wanted = [r["id"] for r in incoming[table_name]]
            conditions += _among(self.session, table.c.id, wanted)
            rows = self.load(table_name, conditions)
            loaded[table_name] = {r["id"]: r for r in rows}
            owned[table_name] = [r for r in rows if _owned_by(table_name, r, owners)]
            if table_name == "services_at_location":
                owners["service_at_location_id"] = {r["id"] for r in owned[table_name]} | set(
                    wanted
                )
            elif table_name == "contacts":
                owners["contact_id"] = {r["id"] for r in owned[table_name]} | set(wanted)
        return loaded, owned

    def fields(self, service: Row, index: _RowIndex, *, before: bool) -> dict[str, Any]:
        """A service's top-level HSDS fields, built from rows, for comparison."""
        sid = service["id"]
        out: dict[str, Any] = {name: service[name] for name in _SERVICE_SCALARS}
        out["organization"] = self.shared_view("organizations", service["organization_id"], before)
        out["service_at_locations"] = [
            {
                **sal,
                "phones": index.get("phones", "service_at_location_id", sal["id"]),
                "schedules": index.get("schedules", "service_at_location_id", sal["id"]),
                "service_areas": index.get("service_areas", "service_at_location_id", sal["id"]),
                "location": self.shared_view("locations", sal["location_id"], before),
            }
            for sal in index.get("services_at_location", "service_id", sid)
        ]
        for name, table_name in (
            ("phones", "phones"),
            ("schedules", "schedules"),
            ("service_areas", "service_areas"),
            ("languages", "languages"),
            ("cost_options", "cost_options"),
            ("additional_urls", "urls"),
        ):
            out[name] = index.get(table_name, "service_id", sid)
        out["capacities"] = [
            {**c, "unit": self.shared_view("units", c["unit_id"], before)}
            for c in index.get("service_capacities", "service_id", sid)
        ]
        out["contacts"] = [
            {**c, "phones": index.get("phones", "contact_id", c["id"])}
            for c in index.get("contacts", "service_id", sid)
        ]
        out["attributes"] = [
            {**a, "taxonomy_term": self.term_view(a["taxonomy_term_id"], before)}
            for a in index.get("attributes", "link_id", sid)
            if a["link_entity"] == "service"
        ]
        return out

    def change(
        self,
        service_id: str,
        action: str,
        field_name: str = "",
        previous: Any = None,
        replacement: Any = None,
    ) -> Row:
        return {
            "id": new_id(),
            "resource_id": service_id,
            "resource_type": "service",
            "last_action_date": self.now,
            "last_action_type": action,
            "field_name": field_name,
            "previous_value": _as_text(previous),
            "replacement_value": _as_text(replacement),
            "updated_by": self.updated_by,
        }


def _owned_by(table_name: str, row: Row, owners: dict[str, set[str]]) -> bool:
    if table_name == "attributes":
        return row["link_entity"] == "service" and row["link_id"] in owners["service_id"]
    return any(row[c] in owners.get(c, ()) for c in _OWNER_KEYS[table_name])


def _plan(
    desired: list[Row], loaded: dict[str, Row], owned: list[Row]
) -> tuple[list[Row], list[Row], list[str]]:
    """Rows to insert, rows to update (changed values) and ids to delete (no longer listed)."""
    inserts, updates = [], []
    desired_ids = set()
    for row in desired:
        desired_ids.add(row["id"])
        old = loaded.get(row["id"])
        if old is None:
            inserts.append(row)
        elif old != row:
            updates.append(row)
    deletes = [r["id"] for r in owned if r["id"] not in desired_ids]
    return inserts, updates, deletes
