"""Import services from HSDS 3.1 compiled JSON: check everything first, then upsert by id.

All or nothing (``on_error="fail"``, the default): every record is parsed and checked
(``hsds.deserialize``), then the rows it points at are looked up, and only when no problem was
found is anything written. With ``on_error="skip"`` each record is first repaired at the
smallest scope (``_Sanitizer``), records the file-wide checks refuse are left out, every
problem is kept with its action for the report (``write_report``) and the services kept with
problems get an ``ImportFlag`` for the verification queue. Writing goes
in batches with a few bulk statements per table; the caller commits or rolls back. New rows go
straight through the DB-API (``executemany`` on SQLite, ``COPY`` on PostgreSQL) in the session's
transaction, and the importer records their search changes itself (``search.sync``, one row
per service and batch); updates and deletes go through ``Session.execute``, whose events do.

Upsert semantics (docs/import-export.md):

* a record describes its service in full: lists it leaves out or sends empty are emptied;
* rows are matched by id; a row is written only when one of its values changed, and rows the
  service (or a shared organization / location) no longer lists are deleted;
* organizations, locations, capacity units and external taxonomy terms may be shared by many
  records; every copy in one file must be identical (otherwise the import fails);
* nothing that the file does not mention is deleted (services, organizations, locations).

A service counts as *updated* when anything in its compiled HSDS form changed, including its
organization or locations; each changed top-level field gets a ``ChangeRecord``.

Memory: records are parsed a chunk at a time (``CHECK_RECORDS``) as the reader yields them
(``hsds-ndjson`` and ``hsds-csv`` readers stream; an ``hsds-json`` array is released record
by record); once checked, a chunk's rows are kept packed as tuples until the write and its raw
dicts are dropped. Peak memory grows with the data written, not with the raw JSON.

Probable duplicates: after writing, services this import created or updated are compared with
every current service of the same normalised name (``geo.addresses.place_key``); a pair whose
locations are within 50 m (or which both have no location) is listed on the summary for the
coordinators' verification queue. Nothing is ever merged.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from operator import itemgetter
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

from ..collector import collector_paused
from ..db import new_id
from ..errors import InputError
from ..hsds.bounded import unzipped_limit
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
from ..hsds.errors import ImportIssue, ProblemLog, ReadFailed
from ..hsds.readers import READERS, UnknownFormatError, format_named, read_with
from ..models import Base, ImportFlag
from ..search.sync import Touched, write_changes
from ..taxonomy import vocabulary
from .inventory import DuplicatePair, probable_duplicates

__all__ = [
    "ON_ERROR",
    "REPORT_COLUMNS",
    "ImportFailed",
    "ImportIssue",
    "ImportSummary",
    "import_file",
    "import_services",
    "read_records",
    "report_rows",
    "write_report",
]

# Records per write batch, and a cap on the rows of one table in a batch (the unpacked rows
# of a batch are held at once; fewer, bigger batches spend less time per statement).
BATCH_RECORDS = 2000
BATCH_ROWS = 20000
# Ids per IN (...) list.
CHUNK = 500

Row = dict[str, Any]
Advance = Callable[[int], None]
Progress = Callable[[str, int | None], AbstractContextManager[Advance]]


#: ``--on-error``: ``fail`` refuses the whole file when anything is wrong (after listing every
#: problem); ``skip`` handles each problem at the smallest scope and imports the rest.
ON_ERROR = ("fail", "skip")
#: Columns of the problem report (``--report``, the import page's CSV download).
REPORT_COLUMNS = ("file", "row", "record_id", "field", "severity", "problem", "action")


class ImportFailed(InputError):  # noqa: N818 (the name the CLI and callers use)
    """The import found problems and wrote nothing; ``errors`` lists every one (``field``
    is the problem's field when there is only one)."""

    code = "import-refused"

    def __init__(self, errors: Sequence[ImportIssue]) -> None:
        # nothing was written: whatever a problem would have cost in skip mode, it refused
        self.errors = sorted(
            (replace(e, action="refused", severity="error") for e in errors),
            key=lambda issue: issue.record_index,
        )
        first = str(self.errors[0]) if self.errors else "no details"
        only = self.errors[0].field if len(self.errors) == 1 else None
        super().__init__(only, f"{len(self.errors)} error(s); first: {first}")

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
    """What an import did. ``duplicates`` are probable duplicates (same normalised name,
    locations within 50 m) involving a service this import created or updated; they show in
    the coordinators' verification queue and are never merged."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: list[DuplicatePair] = field(default_factory=list)
    # What was imported but is worth a look (a key that is not HSDS 3.1 and was not kept,
    # hours the engine cannot evaluate, a parent term that is not known).
    warnings: list[ImportIssue] = field(default_factory=list)
    # --on-error skip: records left out whole, every problem handled (with its action), and
    # how many services were kept with problems (flagged for the verification queue)
    skipped: int = 0
    problems: list[ImportIssue] = field(default_factory=list)
    flagged: int = 0
    on_error: str = "fail"

    def report_issues(self) -> list[ImportIssue]:
        """Every problem for the report: those handled (``problems``) and the warnings."""
        kept = [w if w.action else replace(w, action="field-dropped") for w in self.warnings]
        return [*self.problems, *kept]

    def counts(self) -> dict[str, int]:
        """created, updated, unchanged, skipped, warnings (problems handled without leaving
        out a record, plus the warnings), flagged, duplicates."""
        handled = sum(1 for issue in self.problems if issue.action not in ("skipped", "refused"))
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "warnings": handled + len(self.warnings),
            "flagged": self.flagged,
            "duplicates": len(self.duplicates),
        }

    def __str__(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        if self.problems or self.on_error == "skip":
            counts = self.counts()
            text += f", {counts['skipped']} skipped, {counts['warnings']} warning(s)"
        if self.flagged:
            text += f"; {self.flagged} service(s) flagged for review in the verification queue"
        if self.warnings:
            text += f"; {len(self.warnings)} warning(s): " + "; ".join(
                str(w) for w in self.warnings[:5]
            )
        if self.duplicates:
            count = len(self.duplicates)
            text += f"; {count} probable duplicate(s) flagged for review in the verification queue"
        return text


@contextmanager
def _no_progress(_label: str, _total: int | None = None) -> Iterator[Advance]:
    yield lambda _n: None


def read_records(
    path: Path, fmt: str, *, taxonomy_map: Path | None = None, log: ProblemLog | None = None
) -> Iterable[dict[str, Any]]:
    """The services in ``path`` as compiled HSDS 3.1 dicts, read with the reader of ``fmt``
    (``hsds.readers``).

    ``taxonomy_map`` (formats whose reader takes one) is a CSV mapping external codes to
    PMHC service types. Readers raise ``ReadFailed`` listing every problem they found; with
    ``log`` (``--on-error skip``) the readers that take it handle the problems of single rows
    themselves and list them there.
    """
    try:
        reader = format_named(fmt)
    except UnknownFormatError as exc:
        raise ImportFailed([ImportIssue(None, -1, "format", str(exc))]) from None
    if taxonomy_map is not None and not reader.takes_taxonomy_map:
        takers = " and ".join(r.name for r in READERS if r.takes_taxonomy_map)
        message = f"--taxonomy-map applies to {takers} imports only"
        raise ImportFailed([ImportIssue(None, -1, "taxonomy_map", message)])
    try:
        return read_with(reader, Path(path), taxonomy_map=taxonomy_map, log=log)
    except ReadFailed as exc:
        raise ImportFailed(exc.issues) from None


def import_file(
    session: Session,
    path: Path,
    *,
    fmt: str = "hsds-json",
    progress: Progress | None = None,
    taxonomy_map: Path | None = None,
    on_error: str = "fail",
    max_unzipped_bytes: int | None = None,
    source: str | None = None,
) -> ImportSummary:
    """Import a file of services.

    ``on_error="fail"``: ImportFailed (nothing written) when anything is wrong.
    ``on_error="skip"``: every problem is handled at the smallest scope (see
    :func:`import_services`) and listed in ``summary.problems``; ImportFailed only for a
    problem with the whole file. ``max_unzipped_bytes`` bounds what a zip may expand to
    (``hsds.bounded``); ``source`` names the file in change records (default: its name).
    """
    if on_error not in ON_ERROR:
        message = f"{on_error!r} is not one of {', '.join(ON_ERROR)}"
        raise ImportFailed([ImportIssue(None, -1, "on_error", message)])
    log = ProblemLog() if on_error == "skip" else None
    name = source or Path(path).name
    with unzipped_limit(max_unzipped_bytes):
        try:
            records = read_records(Path(path), fmt, taxonomy_map=taxonomy_map, log=log)
            summary = import_services(
                session, records, source=name, progress=progress, on_error=on_error, log=log
            )
            # A reader's own warnings (hsds-csv: columns and tables that are not HSDS 3.1).
            summary.warnings[:0] = getattr(records, "warnings", [])
            return summary
        except ReadFailed as exc:  # a streaming reader found a problem while being consumed
            raise ImportFailed(exc.issues) from None


def import_services(
    session: Session,
    records: Iterable[dict[str, Any]],
    *,
    source: str,
    progress: Progress | None = None,
    on_error: str = "fail",
    log: ProblemLog | None = None,
) -> ImportSummary:
    """Check every record, then create or update services by id (flushes, never commits).

    ``on_error="skip"`` handles each problem at the smallest scope instead of refusing the
    file: an invalid optional field is dropped, a broken list item (a phone, an address, a
    schedule...) is dropped, a record whose core is broken (id, name, status, a repeated id,
    a reference to nothing) is skipped whole. Services kept with problems get an open
    ``ImportFlag`` for the verification queue. ``log`` holds what a reader already handled.

    ``records`` may be any iterable, consumed once: a reader's stream is parsed record by
    record. A ``ReadFailed`` raised by the reader while it is consumed is reported together
    with the problems of the records themselves. ``source`` names the origin in change
    records (``import:<source>``). ``progress`` is a context manager factory such as
    ``cli.progress_bar``: ``with progress(label, total) as advance: advance(n)``; the total
    is known when ``records`` has a length.
    """
    log = (log if log is not None else ProblemLog()) if on_error == "skip" else None
    with collector_paused():
        return _import(session, records, source, progress or _no_progress, log)


def _import(
    session: Session,
    records: Iterable[dict[str, Any]],
    source: str,
    progress: Progress,
    log: ProblemLog | None = None,
) -> ImportSummary:
    session.flush()
    total = len(records) if isinstance(records, Sized) else None
    sanitizer = _Sanitizer(log) if log is not None else None
    stream = _Guarded(records)
    checking = progress("Checking", total) if total is not None else _no_progress("Checking")
    with checking as advance:
        source_records: Iterable[Any] = stream if sanitizer is None else sanitizer.run(stream)
        parsed, packed = _parse_stream(source_records, advance, skip=sanitizer is not None)
    if log is None or sanitizer is None:
        if stream.failure is not None:
            issues = stream.failure.issues + stream.renumber(parsed.issues)
            raise ImportFailed(issues)
        issues = parsed.issues + _check_references(session, parsed)
        if issues:
            raise ImportFailed(issues)
    else:
        packed = _skip_unsound(session, parsed, packed, stream, sanitizer, log)
    writer = _Writer(session, parsed, source)
    try:
        with index_lookups(session), _sqlite_page_cache(session):
            writer.write_shared()
            with progress("Importing", len(packed)) as advance:
                for batch in _batches(_unpacked(packed)):
                    writer.write_services(batch)
                    advance(len(batch))
    except (IntegrityError, DataError) as exc:
        message = f"the database refused the data: {str(exc.orig or exc).strip()}"
        raise ImportFailed([ImportIssue(None, -1, "database", message)]) from exc
    written = {record[1] for record in packed}
    packed.clear()
    summary = writer.summary
    summary.duplicates = probable_duplicates(session, writer.touched)
    summary.warnings = list(parsed.warnings)
    if log is not None:
        summary.on_error = "skip"
        summary.skipped = log.skipped
        summary.problems = sorted(log.issues, key=_report_order)
        summary.flagged = _flag_services(session, log, written, source)
    session.expire_all()
    return summary


# ---------------------------------------------------------------------------------------------
# --on-error skip


#: Nested objects of a compiled service, by key, and the table that holds them.
_OBJECT_TABLES = {
    "organization": "organizations",
    "location": "locations",
    "unit": "units",
    "taxonomy_term": "taxonomy_terms",
    "taxonomy_detail": "taxonomies",
}
#: Lists of a compiled service (or of its nested objects), by key, and their table.
_LIST_TABLES = {
    "service_at_locations": "services_at_location",
    "phones": "phones",
    "schedules": "schedules",
    "service_areas": "service_areas",
    "languages": "languages",
    "cost_options": "cost_options",
    "capacities": "service_capacities",
    "contacts": "contacts",
    "urls": "urls",
    "attributes": "attributes",
    "addresses": "addresses",
}
_PATH_PART = re.compile(r"^([A-Za-z_]+)(?:\[(\d+)\])?$")
# Problems no local repair fixes: the record is skipped.
_RECORD_LEVEL = ("duplicate service id", "differs from the copy")
# Rounds of repair per record before it is skipped.
_REPAIR_ROUNDS = 6


def _optional_fields(table: str) -> set[str]:
    from ..hsds.deserialize import FIELDS

    return {name for name, (_parse, required) in FIELDS.get(table, {}).items() if not required}


class _Sanitizer:
    """Repairs each record on its own before the file-wide parse (``--on-error skip``).

    A record is parsed alone; each problem is mapped, by its field path, to the smallest
    repair: an invalid optional field is removed, a broken list item (a phone, an address, a
    schedule, a service_at_location...) is removed, and anything else (the service's own id,
    name or status, its organization's name) skips the record. A schedule with any problem
    is removed whole (half a schedule could show a place open when it is not). The repaired
    record is parsed again until it is sound. ``kept`` maps positions in the repaired stream
    back to records of the file, for the later file-wide checks.
    """

    def __init__(self, log: ProblemLog) -> None:
        self.log = log
        self.vocab = vocabulary()
        self.kept: list[int] = []
        self.pending: dict[int, tuple[str | None, list[ImportIssue]]] = {}
        self.optional = {
            table: _optional_fields(table)
            for table in ("services", *_LIST_TABLES.values(), *_OBJECT_TABLES.values())
        }

    def run(self, records: Iterable[Any]) -> Iterator[Any]:
        for index, data in enumerate(records):
            repaired = self.repair(index, data)
            if repaired is not None:
                self.kept.append(index)
                yield repaired

    def repair(self, index: int, data: Any) -> Any:
        from ..hsds.deserialize import parse_services

        fixed: list[ImportIssue] = []
        issues: list[ImportIssue] = []
        for _round in range(_REPAIR_ROUNDS):
            issues = parse_services([data], self.vocab).issues
            if not issues:
                service_id = data.get("id") if isinstance(data, dict) else None
                self.pending[index] = (service_id if isinstance(service_id, str) else None, fixed)
                return data
            repairs = [self.plan(data, issue) for issue in issues]
            if any(r is None for r in repairs):
                break
            pops: list[tuple[dict, str]] = []
            removals: dict[int, tuple[list, set[int]]] = {}
            for issue, repair in zip(issues, repairs, strict=True):
                action, target = repair  # type: ignore[misc]
                fixed.append(_at(issue, index, action))
                if action == "field-dropped":
                    pops.append(target)
                else:
                    items, position = target
                    removals.setdefault(id(items), (items, set()))[1].add(position)
            for obj, key in pops:
                obj.pop(key, None)
            for items, positions in removals.values():
                for position in sorted(positions, reverse=True):
                    if position < len(items):
                        del items[position]
            issues = []
        # the record is skipped: every problem found in it says so
        for issue in [*fixed, *issues]:
            self.log.add(_at(issue, index, "skipped"))
        self.log.skipped += 1
        return None

    def plan(self, data: Any, issue: ImportIssue) -> tuple[str, Any] | None:
        """(action, target) repairing ``issue``: ("field-dropped", (dict, key)) or
        ("row-dropped", (list, position)); None when only skipping the record will do."""
        if not isinstance(data, dict) or issue.message.startswith(_RECORD_LEVEL):
            return None
        parts = issue.field.split(".")
        if parts[0] != "service" or len(parts) < 2:
            return None
        # (table, object, the list holding it, its position there)
        chain: list[tuple[str, Any, list | None, int | None]] = [("services", data, None, None)]
        obj: Any = data
        last = len(parts) - 1
        for number, part in enumerate(parts[1:], start=1):
            match = _PATH_PART.match(part)
            if match is None or not isinstance(obj, dict):
                return None
            key, position = match[1], match[2]
            child = obj.get(key)
            if position is not None and isinstance(child, list) and int(position) < len(child):
                obj = child[int(position)]
                chain.append((_LIST_TABLES.get(key, ""), obj, child, int(position)))
                continue
            if number < last and key in _OBJECT_TABLES and isinstance(child, dict):
                chain.append((_OBJECT_TABLES[key], child, None, None))
                obj = child
                continue
            if number == last and position is None:  # a field of ``obj``
                table = chain[-1][0]
                in_schedule = any(link[0] == "schedules" for link in chain)
                if not in_schedule and key in self.optional.get(table, ()):
                    return ("field-dropped", (obj, key))
                break
            return None
        # the nearest list item around the problem is dropped; never the service itself
        for _table, _obj, items, position in reversed(chain):
            if items is not None and position is not None:
                return ("row-dropped", (items, position))
        return None

    def finish(self, skipped: set[int]) -> None:
        """Log the repairs of the records that were kept, and flag their services."""
        for index, (service_id, fixed) in self.pending.items():
            if index in skipped:
                for issue in fixed:
                    self.log.add(replace(issue, action="skipped", severity="error"))
                continue
            for issue in fixed:
                self.log.add(issue, [service_id] if service_id else [])


def _at(issue: ImportIssue, index: int, action: str) -> ImportIssue:
    severity = "error" if action in ("skipped", "refused") else "warning"
    return replace(issue, record_index=index, action=action, severity=severity)


def _skip_unsound(
    session: Session,
    parsed: ParsedFile,
    packed: list[Packed],
    stream: _Guarded,
    sanitizer: _Sanitizer,
    log: ProblemLog,
) -> list[Packed]:
    """With ``--on-error skip``: leave out the records the file-wide checks refused (repeated
    ids, differing copies of a shared object, references to nothing) and log why. A problem
    with the whole file still fails the import."""
    kept = sanitizer.kept

    def original(position: int) -> int:
        return kept[position] if 0 <= position < len(kept) else position

    failure = stream.failure
    if failure is not None and any(i.record_index < 0 for i in failure.issues):
        raise ImportFailed(failure.issues)
    problems = [
        replace(i, record_index=original(i.record_index))
        for i in [*parsed.issues, *_check_references(session, parsed)]
    ]
    whole = [i for i in problems if i.record_index < 0]
    if whole:
        raise ImportFailed(whole)
    skipped = {i.record_index for i in problems}
    for issue in problems:
        log.add(_at(issue, issue.record_index, "skipped"))
    log.skipped += len(skipped)
    sanitizer.finish(skipped)
    if failure is not None:  # unreadable lines of a streamed file: skipped
        log.issues[:] = stream.renumber(log.issues)
        for issue in failure.issues:
            log.add(_at(issue, issue.record_index, "skipped"))
        log.skipped += len({i.record_index for i in failure.issues})
    return [record for record in packed if original(record[0]) not in skipped]


def _flag_services(session: Session, log: ProblemLog, written: set[str], source: str) -> int:
    """An open ``ImportFlag`` per written service with problems (an older open flag of the
    same service is replaced: the queue shows what the latest import found)."""
    flags = {sid: notes for sid, notes in log.flags.items() if sid in written}
    if not flags:
        return 0
    ids = sorted(flags)
    for chunk in _chunks(ids):
        session.execute(
            delete(ImportFlag).where(ImportFlag.service_id.in_(chunk), ImportFlag.status == "open")
        )
    session.execute(
        insert(ImportFlag),
        [
            {
                "id": new_id(),
                "service_id": sid,
                "source": f"import:{source}"[:320],
                "problems": "\n".join(flags[sid]),
                "status": "open",
            }
            for sid in ids
        ],
    )
    return len(ids)


def _report_order(issue: ImportIssue) -> tuple[str, int, int]:
    return (issue.file, issue.row or 0, issue.record_index)


def report_rows(issues: Iterable[ImportIssue]) -> Iterator[list[str]]:
    """Rows of the problem report, ``REPORT_COLUMNS`` first, then one per problem.

    ``row`` is the spreadsheet row for CSV files (the header is row 1) and the record's
    position (from 1) for JSON and NDJSON; ``field`` is the column, or the field path in the
    record; ``action`` is what the import did (``refused`` when it wrote nothing).
    """
    yield list(REPORT_COLUMNS)
    for issue in issues:
        if issue.row is not None:
            row = str(issue.row)
        elif issue.record_index >= 0:
            row = str(issue.record_index + 1)
        else:
            row = ""
        yield [
            issue.file,
            row,
            issue.record_id or "",
            issue.column or issue.field,
            issue.severity,
            issue.message,
            issue.action or "refused",
        ]


def write_report(handle: Any, issues: Iterable[ImportIssue]) -> int:
    """Write the problem report as CSV to a text ``handle``; returns the number of problems.
    Cells a spreadsheet would run as a formula are made inert (``csv_safe``): a value read
    from the imported file such as ``=HYPERLINK(...)`` is shown as text, never run."""
    from .. import csv_safe

    writer = csv_safe.writer(handle, lineterminator="\n")
    count = -1
    for row in report_rows(issues):
        writer.writerow(row)
        count += 1
    return count


class _Guarded:
    """Iterates the reader's records; a ``ReadFailed`` it raises at the end is kept in
    ``failure`` instead of ending the parse, so every problem is reported at once.

    A streaming reader leaves out the records it could not read (a line that is not JSON) and
    names them by their place in the file; ``renumber`` maps the positions the parser counted
    back to places in the file."""

    def __init__(self, records: Iterable[Any]) -> None:
        self.records = records
        self.failure: ReadFailed | None = None

    def __iter__(self) -> Iterator[Any]:
        try:
            yield from self.records
        except ReadFailed as exc:
            self.failure = exc

    def renumber(self, issues: list[ImportIssue]) -> list[ImportIssue]:
        skipped = sorted(
            {i.record_index for i in self.failure.issues if i.record_index >= 0}
            if self.failure
            else ()
        )
        if not skipped:
            return issues
        out = []
        for issue in issues:
            index = issue.record_index
            if index >= 0:
                for bad in skipped:
                    if bad <= index:
                        index += 1
            out.append(replace(issue, record_index=index))
        return out


# ---------------------------------------------------------------------------------------------
# Checking a stream of records in chunks, keeping compact rows

#: Records parsed at a time. Within a chunk ``parse_services`` checks everything; the checks
#: that span chunks (repeated service ids and row ids, differing copies of a shared object)
#: are done here, so the result is the same as parsing the whole file at once.
CHECK_RECORDS = 1000
# Messages of parse_services that name another record of the same chunk ("also record 3").
_RENUMBERED = ("duplicate service id", "duplicate id ", "differs from the copy")
_RECORD_NUMBER = re.compile(r"\brecord (\d+)")
_SINGULAR = {
    "organizations": "organization",
    "locations": "location",
    "units": "unit",
    "taxonomies": "taxonomy",
    "taxonomy_terms": "taxonomy term",
}

# A parsed record kept compact until the write: (index, id, service values, rows per table),
# values in the order of ``COLUMNS`` (a row with other keys is kept as its dict).
Packed = tuple[int, str, Any, tuple[tuple[Any, ...], ...]]


def _pack(table: str, row: Row) -> Any:
    columns = COLUMNS[table]
    if len(row) != len(columns):
        return row
    try:
        return tuple([row[c] for c in columns])
    except KeyError:
        return row


def _unpack(table: str, values: Any) -> Row:
    return values if isinstance(values, dict) else dict(zip(COLUMNS[table], values, strict=True))


def _unpacked(packed: list[Packed]) -> Iterator[ParsedRecord]:
    for index, record_id, service, rows in packed:
        yield ParsedRecord(
            index,
            record_id,
            _unpack("services", service),
            {
                table: [_unpack(table, row) for row in table_rows]
                for table, table_rows in zip(OWNED_TABLES, rows, strict=True)
            },
        )


class _PackedShared:
    """A ``Shared`` entity with its row and children packed; ``row``, ``children`` and
    ``canon()`` give fresh dicts, as the writer reads them."""

    __slots__ = ("table", "id", "record_index", "path", "claims", "_row", "_children")

    def __init__(self, shared: Shared) -> None:
        self.table = shared.table
        self.id = shared.id
        self.record_index = shared.record_index
        self.path = shared.path
        self.claims: list[tuple[str, str, str]] = []
        self._row = _pack(shared.table, shared.row)
        self._children = {
            name: tuple(_pack(name, row) for row in rows) for name, rows in shared.children.items()
        }

    @property
    def row(self) -> Row:
        return _unpack(self.table, self._row)

    @property
    def children(self) -> _PackedChildren:
        return _PackedChildren(self._children)

    def canon(self) -> dict[str, Any]:
        return {**self.row, **self.children}


class _PackedChildren(Mapping[str, list[Row]]):
    """The children of a packed shared entity by table; each list unpacked when asked for."""

    __slots__ = ("_packed",)

    def __init__(self, packed: dict[str, tuple[Any, ...]]) -> None:
        self._packed = packed

    def __getitem__(self, name: str) -> list[Row]:
        return [_unpack(name, row) for row in self._packed[name]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._packed)

    def __len__(self) -> int:
        return len(self._packed)


def _chunked(records: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _shifted(issue: ImportIssue, offset: int) -> ImportIssue:
    if issue.record_index < 0 or not offset:
        return issue
    message = issue.message
    if message.startswith(_RENUMBERED):
        message = _RECORD_NUMBER.sub(lambda m: f"record {int(m.group(1)) + offset}", message)
    return replace(issue, record_index=issue.record_index + offset, message=message)


def _parse_stream(
    records: Iterable[Any], advance: Advance | None = None, *, skip: bool = False
) -> tuple[ParsedFile, list[Packed]]:
    """``parse_services`` over the whole stream, a chunk at a time: the shared objects,
    references and issues of the file, and its records packed (empty when any issue).

    Only one chunk of raw records and the packed rows of the earlier ones are held, instead
    of every record as nested dicts.
    """
    vocab = vocabulary()
    stream = _StreamMerge(skip)
    for chunk in _chunked(records, CHECK_RECORDS):
        part = parse_services(chunk, vocab, advance, keep_sound=skip)
        size = len(chunk)
        chunk.clear()  # the raw records are no longer needed
        stream.add(part)
        stream.offset += size
    return stream.result()


class _StreamMerge:
    """What ``_parse_stream`` holds between chunks: the file's merged parse, its records
    packed so far, and the ids seen (for duplicates across chunks)."""

    def __init__(self, skip: bool) -> None:
        self.skip = skip
        self.merged = ParsedFile()
        self.packed: list[Packed] = []
        self.first_service: dict[str, int] = {}
        self.claimed: dict[str, dict[str, int]] = defaultdict(dict)
        self.offset = 0  # records before the current chunk
        self.bad: set[int] = set()  # with ``skip``: records with a problem, left out of packed
        self.seen = 0  # issues already counted into ``bad``

    def claim(self, table: str, row_id: str, index: int, record_id: str | None, path: str) -> None:
        """Records that record ``index`` holds row ``row_id`` of ``table``; an issue when an
        earlier record holds it."""
        first = self.claimed[table].setdefault(row_id, index)
        if first != index:
            message = f"duplicate id {row_id}: also used at record {first + 1}"
            self.merged.issues.append(ImportIssue(record_id, index, path, message))

    def add(self, part: ParsedFile) -> None:
        """Merges one chunk's parse (its record numbers counted from ``self.offset``)."""
        offset = self.offset
        merged = self.merged
        merged.issues.extend(_shifted(issue, offset) for issue in part.issues)
        merged.warnings.extend(_shifted(issue, offset) for issue in part.warnings)
        merged.references.extend(
            replace(ref, record_index=ref.record_index + offset) for ref in part.references
        )
        record_ids = {record.index + offset: record.id for record in part.records}
        for table, entities in part.shared.items():
            for entity_id, entity in entities.items():
                self.add_shared(table, entity_id, entity, record_ids)
        for record in part.records:
            self.add_record(record)

    def add_shared(
        self, table: str, entity_id: str, entity: Shared, record_ids: dict[int, str]
    ) -> None:
        """Keeps the first copy of a shared object (claiming its child rows); an issue when a
        later copy differs from it."""
        known = self.merged.shared[table]
        entity.record_index += self.offset
        first = known.get(entity_id)
        if first is None:
            known[entity_id] = _PackedShared(entity)  # type: ignore[assignment]
            for child_table, row_id, path in entity.claims:
                record_id = record_ids.get(entity.record_index)
                self.claim(child_table, row_id, entity.record_index, record_id, f"{path}.id")
            return
        difference = next((k for k, v in first.canon().items() if v != entity.canon().get(k)), None)
        if difference is not None:
            message = (
                f"differs from the copy of {_SINGULAR[table]} {entity_id} in record "
                f"{first.record_index + 1} (a shared object must be the same wherever "
                "it appears)"
            )
            self.merged.issues.append(
                ImportIssue(
                    record_ids.get(entity.record_index),
                    entity.record_index,
                    f"{entity.path}.{difference}",
                    message,
                )
            )

    def add_record(self, record: ParsedRecord) -> None:
        """Checks one record's ids against the earlier records' and packs it, unless the file
        (or, with ``skip``, this record) has a problem."""
        merged = self.merged
        record.index += self.offset
        first_index = self.first_service.setdefault(record.id, record.index)
        if first_index != record.index:
            message = f"duplicate service id: also record {first_index + 1}"
            merged.issues.append(ImportIssue(record.id, record.index, "service.id", message))
        for table in OWNED_TABLES:
            ids = self.claimed[table]
            for row in record.rows[table]:
                if ids.setdefault(row["id"], record.index) != record.index:
                    self.claim(table, row["id"], record.index, record.id, f"service.{table}")
        if self.skip:
            self.bad.update(issue.record_index for issue in merged.issues[self.seen :])
            self.seen = len(merged.issues)
        if not merged.issues or (self.skip and record.index not in self.bad):
            self.packed.append(
                (
                    record.index,
                    record.id,
                    _pack("services", record.service),
                    tuple(
                        tuple(_pack(table, row) for row in record.rows[table])
                        for table in OWNED_TABLES
                    ),
                )
            )

    def result(self) -> tuple[ParsedFile, list[Packed]]:
        """The merged parse and the packed records (none when any issue, unless ``skip``)."""
        if self.merged.issues and not self.skip:
            self.packed.clear()
        return self.merged, self.packed


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


#: SQLite page cache during an import, in KiB (the default is 2 MiB).
SQLITE_CACHE_KIB = 65536


@contextmanager
def _sqlite_page_cache(session: Session) -> Iterator[None]:
    """On SQLite, a bigger page cache for this connection while the import writes (restored
    afterwards). With the default 2 MiB, a big transaction spills pages of the tables'
    indexes and reads them back for every batch, which slows later batches down."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    conn = session.connection()
    previous = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(previous)}")


def _batches(records: Iterable[ParsedRecord]) -> Iterator[list[ParsedRecord]]:
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
        if ref.table == "taxonomy_terms" and ref.path.endswith(".parent_id"):
            continue  # kept with a warning (_unknown_parents)
        message = f"{names[ref.table]} {ref.id} is neither in this file nor in the database"
        issues.append(ImportIssue(ref.record_id, ref.record_index, ref.path, message))
    issues.extend(_term_cycles(parsed))
    _unknown_parents(parsed, found.get("taxonomy_terms", set()))
    return issues


def _unknown_parents(parsed: ParsedFile, stored: set[str]) -> None:
    """A term whose ``parent_id`` names a term neither in the file nor in the database keeps
    that id in ``hsds_extra`` (exported again as ``parent_id``), with a warning."""
    terms = parsed.shared["taxonomy_terms"]
    for term in terms.values():
        parent = term.row.get("parent_id")
        if parent is None or parent in terms or parent in stored:
            continue
        row = term.row  # a fresh dict for a packed entity: stored back below
        extra = json.loads(row.get("hsds_extra") or "{}")
        extra["parent_id"] = parent
        row["hsds_extra"] = json.dumps(extra, sort_keys=True, separators=(",", ":"))
        row["parent_id"] = None
        if isinstance(term, _PackedShared):
            term._row = _pack("taxonomy_terms", row)
        else:
            term.row = row
        message = f"names term {parent}, neither in this file nor in the database; kept"
        parsed.warnings.append(
            ImportIssue(None, term.record_index, f"{term.path}.parent_id", message, "warning")
        )


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


# Rows inserted through the DB-API: SQLAlchemy's executemany costs ~20 us a row in Python
# (parameter processing), three times the driver's own cost; PostgreSQL's COPY is faster again.
_InsertPlan = tuple[str, tuple[str, ...], list[tuple[int, Callable[[Any], Any]]], tuple[Any, ...]]
_INSERT_PLANS: dict[tuple[str, str, tuple[str, ...]], _InsertPlan | None] = {}


def _insert_plan(dialect: Any, table: Table, names: tuple[str, ...]) -> _InsertPlan | None:
    """(SQL, columns, bind processors by position, values of the scalar column defaults) for
    inserting ``names`` into ``table``; None when only SQLAlchemy can (another backend, or a
    column default that must be computed)."""
    key = (dialect.name, table.name, names)
    if key in _INSERT_PLANS:
        return _INSERT_PLANS[key]
    plan = None
    defaults: dict[str, Any] = {}
    computed = False
    for column in table.columns:
        if column.name in names or column.default is None:
            continue
        if column.default.is_scalar:
            defaults[column.name] = column.default.arg  # type: ignore[attr-defined]
        else:
            computed = True
    if dialect.name in ("sqlite", "postgresql") and not computed:
        columns = (*names, *defaults)
        preparer = dialect.identifier_preparer  # names from the metadata, quoted
        listed = ", ".join(map(preparer.quote, columns))
        target = f"{preparer.format_table(table)} ({listed})"
        if dialect.name == "sqlite":
            sql = f"INSERT INTO {target} VALUES ({', '.join('?' * len(columns))})"  # noqa: S608
        else:
            sql = f"COPY {target} FROM STDIN"
        processors: list[tuple[int, Callable[[Any], Any]]] = []
        for position, name in enumerate(columns):
            column_type = table.c[name].type
            processor = column_type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors.append((position, processor))
        plan = (sql, columns, processors, tuple(defaults.values()))
    _INSERT_PLANS[key] = plan
    return plan


def _bulk_insert(session: Session, table: Table, rows: list[Row]) -> bool:
    """Insert ``rows`` (dicts with the same keys) in the session's transaction, straight
    through the DB-API cursor: ``executemany`` on SQLite, ``COPY`` on PostgreSQL. Values go
    through the columns' bind processors as SQLAlchemy would pass them.

    Bypasses the session events: the caller records the search changes. Returns False when
    the rows were inserted through ``Session.execute`` instead (the events saw them).
    """
    conn = session.connection()
    names = tuple(rows[0])
    plan = _insert_plan(conn.dialect, table, names)
    if plan is None or any(len(row) != len(names) for row in rows):
        session.execute(insert(table), rows)
        return False
    sql, columns, processors, defaults = plan
    get = itemgetter(*names)
    single = len(names) == 1
    values: list[Any] = []
    for row in rows:
        try:
            value = get(row)
        except KeyError:  # the same number of keys, other names
            session.execute(insert(table), rows)
            return False
        value = [value, *defaults] if single else [*value, *defaults]
        for position, processor in processors:
            item = value[position]
            if item is not None:
                value[position] = processor(item)
        values.append(value)
    dbapi = conn.dialect.loaded_dbapi
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if conn.dialect.name == "sqlite":
            cursor.executemany(sql, values)
        else:
            with cursor.copy(sql) as copy:
                for value in values:
                    copy.write_row(value)
    except dbapi.IntegrityError as exc:
        raise IntegrityError(sql, None, exc) from exc
    except dbapi.DataError as exc:
        raise DataError(sql, None, exc) from exc
    finally:
        cursor.close()
    return True


# Ids per statement of ``_stored_ids`` (SQLite allows 32766 bound values since 3.32).
_STORED_IDS_CHUNK = 5000


def _stored_ids(session: Session, table: Table, ids: Iterable[str]) -> set[str]:
    """Which of ``ids`` (canonical UUID text) are in ``table`` (SQLite, through the DB-API)."""
    conn = session.connection()
    dialect = conn.dialect
    column = table.c.id
    to_db = column.type.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)
    preparer = dialect.identifier_preparer
    found: set[str] = set()
    pending = list(dict.fromkeys(ids))
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, len(pending), _STORED_IDS_CHUNK):
            chunk = pending[start : start + _STORED_IDS_CHUNK]
            stored = {to_db(value): value for value in chunk}
            sql = (
                f"SELECT {preparer.quote(column.name)} FROM {preparer.format_table(table)} "  # noqa: S608
                f"WHERE {preparer.quote(column.name)} IN ({', '.join('?' * len(stored))})"
            )
            cursor.execute(sql, list(stored))
            found.update(stored[value] for (value,) in cursor.fetchall())
    finally:
        cursor.close()
    return found


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
        # (id, name) of the services this import created or updated
        self.touched: list[tuple[str, str]] = []
        # (table, id) of shared entities this import created (None) or changed (before value)
        self.changed_shared: dict[tuple[str, str], Row | None] = {}
        # what rows inserted through the DB-API touched, for the search change sequence
        self.search_touched = Touched()

    # -- statements

    def load(self, table_name: str, conditions: list[ColumnElement[bool]]) -> list[Row]:
        if not conditions:
            return []
        table = _table(table_name)
        names = COLUMNS[table_name]
        result = self.session.execute(select(*(table.c[n] for n in names)).where(or_(*conditions)))
        return [dict(zip(names, row, strict=True)) for row in result]

    def among_stored(self, table: Table, ids: list[str]) -> list[ColumnElement[bool]]:
        """Conditions "id is one of ``ids``" for loading rows by id.

        On SQLite, where a statement with thousands of bound ids costs SQLAlchemy several
        microseconds per id, the ids are first checked through the DB-API (a new import's
        rows are mostly not there) and only those found are loaded."""
        if ids and self.session.get_bind().dialect.name == "sqlite":
            ids = sorted(_stored_ids(self.session, table, ids))
        return _among(self.session, table.c.id, ids)

    def insert(self, table_name: str, rows: list[Row]) -> None:
        """Insert rows (every row with the same keys); the search change sequence learns of
        the services they concern at the next :meth:`record_search_changes`."""
        if not rows:
            return
        if not _bulk_insert(self.session, _table(table_name), rows):
            return  # written through Session.execute: the session events recorded it
        touched = self.search_touched
        if table_name == "services":
            touched.services.update(row["id"] for row in rows)
        elif table_name == "services_at_location":
            touched.services.update(row["service_id"] for row in rows)
        elif table_name == "attributes":
            for row in rows:
                if row["link_id"] is None:
                    touched.everything = True
                else:
                    touched.add_link(row["link_entity"] or "service", row["link_id"])
        elif table_name == "addresses":  # the services offered at the location
            touched.locations.update(row["location_id"] for row in rows)

    def record_search_changes(self) -> None:
        """One change-sequence row per service the inserts since the last call concern (what
        the session events record for statements run through ``Session.execute``)."""
        touched, self.search_touched = self.search_touched, Touched()
        if not touched:
            return
        service_ids = touched.resolve(self.session.connection()) - {None}
        # As ``search.sync.write_changes`` writes them: one row per service, sorted.
        rows = [{"service_id": service_id} for service_id in sorted(service_ids)]
        if rows and not _bulk_insert(self.session, _table("search_changes"), rows):
            write_changes(self.session.connection(), service_ids)

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
        self.record_search_changes()

    def write_shared_chunk(self, table_name: str, chunk: list[Shared]) -> None:
        ids = [e.id for e in chunk]
        conditions = self.among_stored(_table(table_name), ids)
        existing = {r["id"]: r for r in self.load(table_name, conditions)}
        owner_column = _SHARED_OWNER_COLUMN.get(table_name)
        loaded: dict[str, dict[str, Row]] = {}
        current: dict[str, dict[str, list[Row]]] = {}
        for child in SHARED_CHILDREN.get(table_name, ()):
            if owner_column is None:  # every shared table with children names its owner column
                raise LookupError(f"no owner column for the children of {table_name}")
            table = _table(child)
            wanted = [r["id"] for e in chunk for r in e.children[child]]
            # Only entities already stored can own rows (the owner column is a foreign key).
            owners = [entity_id for entity_id in ids if entity_id in existing]
            conditions = _among(self.session, table.c[owner_column], owners)
            conditions += self.among_stored(table, wanted)
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
        conditions = self.among_stored(services, service_ids)
        existing = {r["id"]: r for r in self.load("services", conditions)}
        incoming = {t: [row for r in batch for row in r.rows[t]] for t in OWNED_TABLES}
        loaded, owned = self.load_owned(service_ids, set(existing), incoming)

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
                self.touched.append((record.id, record.service["name"]))
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
            self.touched.append((record.id, record.service["name"]))
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
        self.record_search_changes()

    def load_owned(
        self, service_ids: list[str], existing: set[str], incoming: dict[str, list[Row]]
    ) -> tuple[dict[str, dict[str, Row]], dict[str, list[Row]]]:
        """Rows of these services (by owner) and rows with incoming ids (wherever they are).

        ``existing`` are the services already in the database: only they can own rows through
        a ``service_id`` (a foreign key); attributes (``link_id``, no foreign key) are looked
        up for every service. Returns (rows by id, per table) and (rows the batch's services
        own, per table).
        """
        owners: dict[str, set[str]] = {"service_id": set(service_ids)}
        in_database = {"service_id": existing}
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
                    ids = sorted(in_database.get(column, owners.get(column, ())))
                    conditions += _among(self.session, table.c[column], ids)
            wanted = [r["id"] for r in incoming[table_name]]
            conditions += self.among_stored(table, wanted)
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
