"""``hsds-csv``: the HSDS 3.1 tabular data package (Frictionless), written and read.

A package is a folder, or a ``.zip`` of one, holding ``datapackage.json`` plus one CSV per
table. Tables, file names, columns, column order, types, constraints and keys are those of the
official HSDS 3.1 ``datapackage.json``, read from the one list in :mod:`.fields` (with the
official file's two defects repaired: ``service_capacity`` and ``unit`` declare their fields).
Every official table and column is written, empty where the directory has no value.

Writing (:func:`write_package`) takes compiled service dicts (``service_to_hsds``) and walks
each object and its nested members (:func:`.fields.link_column` says which column ties a child
to its parent), writing each object once however many services share it. Cells are written
as Table Schema reads them: times ``HH:MM:SS``, date-times in UTC ``YYYY-MM-DDThh:mm:ssZ``.
A package that would break an official constraint (a required cell empty, a unique value
repeated) is refused with :class:`PackageRefused`, naming table, id and field.

Reading (:func:`read_package`) checks the whole package before handing anything on: every
CSV header against its declaration, every cell against its field type (empty cell = null),
every id and every foreign key (an orphan row names its file, row, id and field). It then
rebuilds one compiled service per row of ``services.csv``, in file order, nesting every row
that belongs to it (attributes and metadata of any object by ``link_entity`` /
``resource_type``), for the normal import pipeline, which checks the rest. Row numbers count
the header as row 1, as a spreadsheet shows them. Rows of ``meta_table_descriptions.csv`` and
columns that are not HSDS 3.1 belong to no service: they are reported as warnings.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from .. import csv_safe
from ..taxonomy import vocabulary
from . import fields as hsds_fields
from .bounded import check_zip_size
from .deserialize import aware_datetime, iso_date, time_of_day, uuid_text
from .errors import ImportIssue, ProblemLog, ReadFailed
from .fields import HsdsField as Field
from .fields import HsdsTable as Resource
from .fields import link_column
from .sample import FileSample

__all__ = [
    "DESCRIPTOR_NAME",
    "RESOURCES",
    "Field",
    "PackageRecords",
    "PackageRefused",
    "Resource",
    "descriptor",
    "looks_like_package",
    "read_package",
    "write_package",
]

DESCRIPTOR_NAME = "datapackage.json"
# Frictionless CSV dialect defaults: comma, double quote, CRLF rows.
csv.field_size_limit(sys.maxsize if sys.maxsize < 2**63 else 2**31 - 1)

_NUMBER, _DATE, _DATETIME, _TIME = "number", "date", "datetime", "time"

#: The tables of a package, in the order of the official descriptor.
RESOURCES: tuple[Resource, ...] = hsds_fields.TABLES
BY_NAME: dict[str, Resource] = hsds_fields.BY_NAME
_NAMES: dict[str, tuple[str, ...]] = {r.name: r.names for r in RESOURCES}
_POSITION: dict[str, dict[str, int]] = {
    r.name: {n: i for i, n in enumerate(r.names)} for r in RESOURCES
}

# Parents of each table's rows, most specific first: (parent table, column naming it). A row
# is nested under the first of these columns that is filled. Attributes and metadata name
# their parent's table in ``link_entity`` / ``resource_type``.
_SPECIFIC = (
    "contact",
    "phone",
    "service_at_location",
    "service",
    "location",
    "organization",
)


def _owners() -> dict[str, tuple[tuple[str, str], ...]]:
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for parent in RESOURCES:
        for key, kind, child in parent.members:
            column = link_column(parent.name, key)
            if kind == "array" and column and child not in ("attribute", "metadata"):
                found[child].append((parent.name, column))

    def rank(item: tuple[str, str]) -> int:
        return _SPECIFIC.index(item[0]) if item[0] in _SPECIFIC else len(_SPECIFIC)

    return {child: tuple(sorted(pairs, key=rank)) for child, pairs in found.items()}


OWNERS: dict[str, tuple[tuple[str, str], ...]] = _owners()
# Polymorphic links: table -> (id column, entity column).
_POLY = {"attribute": ("link_id", "link_entity"), "metadata": ("resource_id", "resource_type")}


def descriptor() -> dict[str, Any]:
    """The ``datapackage.json`` of the packages the directory writes: the official HSDS 3.1
    descriptor, repaired (:func:`.fields.descriptor`)."""
    return hsds_fields.descriptor()


class PackageRefused(ValueError):  # noqa: N818 (pairs with ImportFailed)
    """The package would break an official constraint; ``problems`` names each one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "; ".join(problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"the package would break HSDS constraints: {shown}{more}")


# ---------------------------------------------------------------------------------------------
# Writing


def _time_cell(value: str) -> str:
    """``HH:MM`` -> ``HH:MM:SS`` (an offset suffix kept), the Table Schema time form."""
    if len(value) >= 5 and value[2:3] == ":" and (len(value) == 5 or value[5] != ":"):
        return value[:5] + ":00" + value[5:]
    return value


def _datetime_cell(value: str) -> str:
    """An ISO date-time in UTC as ``YYYY-MM-DDThh:mm:ssZ`` (fractions of a second dropped:
    the Table Schema default form has none)."""
    try:
        parsed = aware_datetime(value)
    except ValueError:
        return value
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")


def _cell(spec: Field, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str):
        if spec.type == _TIME:
            return _time_cell(value)
        if spec.type == _DATETIME:
            return _datetime_cell(value)
        return value
    return str(value)  # int, float (shortest round-trip form)


class _PackageWriter:
    """One open CSV writer per table; every object written once (by table and id)."""

    def __init__(self, folder: Path, stack: ExitStack) -> None:
        self.writers: dict[str, Any] = {}
        self.handles: list[IO[str]] = []
        for resource in RESOURCES:
            handle = stack.enter_context(
                (folder / resource.path).open("w", encoding="utf-8", newline="")
            )
            self.handles.append(handle)
            writer = csv_safe.writer(handle)  # formulas made inert; uncell() on reading
            writer.writerow(resource.names)
            self.writers[resource.name] = writer
        self.seen: dict[str, set[str]] = defaultdict(set)
        self.wanted_organizations: set[str] = set()
        self.vocab = vocabulary()
        self.problems: list[str] = []
        # (table, field) -> value -> id, for the official ``unique`` constraints
        self.unique: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)

    def detail(self, term: dict[str, Any]) -> dict[str, Any]:
        """A term with its taxonomy as ``taxonomy_detail`` (the PMHC taxonomies' details come
        from the vocabulary when a compiled term names one by id only)."""
        if isinstance(term.get("taxonomy_detail"), dict) or not term.get("taxonomy_id"):
            return term
        info = self.vocab.taxonomy_by_id(term["taxonomy_id"])
        if info is None:
            return term
        detail = {"id": info.id, "name": info.name, "description": info.description}
        detail.update({k: v for k, v in (("uri", info.uri), ("version", info.version)) if v})
        return {**term, "taxonomy_detail": detail}

    def write(self, table: str, obj: dict[str, Any], link: dict[str, Any]) -> None:
        """Write ``obj`` (an HSDS ``table`` object) and everything nested in it."""
        row_id = obj.get("id")
        if not isinstance(row_id, str) or row_id in self.seen[table]:
            return
        self.seen[table].add(row_id)
        if table == "taxonomy_term":
            obj = self.detail(obj)
        values = {**obj, **link}
        for key, kind, child in BY_NAME[table].members:
            column = link_column(table, key)
            nested = obj.get(key)
            if kind == "object":
                if isinstance(nested, dict):
                    if column and nested.get("id") is not None:
                        values[column] = nested["id"]
                    self.write(child, nested, {})
                continue
            for item in nested if isinstance(nested, list) else ():
                if not isinstance(item, dict):
                    continue
                child_link: dict[str, Any] = {}
                if child in _POLY:
                    id_column, entity_column = _POLY[child]
                    child_link = {id_column: row_id, entity_column: table}
                elif column:
                    child_link = {column: row_id}
                self.write(child, item, child_link)
        if table == "location" and values.get("organization_id"):
            self.wanted_organizations.add(values["organization_id"])
        self.row(table, values)

    def row(self, table: str, values: dict[str, Any]) -> None:
        resource = BY_NAME[table]
        cells = []
        for spec in resource.fields:
            cell = _cell(spec, values.get(spec.name))
            if spec.required and cell == "":
                self.problems.append(f"{table} {values.get('id')}: {spec.name} is required")
            elif spec.unique and cell != "":
                first = self.unique[(table, spec.name)].setdefault(cell, str(values.get("id")))
                if first != values.get("id"):
                    self.problems.append(
                        f"{table} {values.get('id')}: {spec.name} {cell!r} is also the "
                        f"{spec.name} of {table} {first} (it must be unique)"
                    )
            cells.append(cell)
        self.writers[table].writerow(cells)


def write_package(
    services: Iterable[dict[str, Any]],
    folder: Path,
    *,
    advance: Callable[[int], None] | None = None,
    organizations: Callable[[set[str]], Iterable[dict[str, Any]]] | None = None,
) -> int:
    """Write compiled services as a tabular package into the existing empty ``folder``.

    ``organizations(ids)`` returns compiled organizations a location names but no service
    does (so every ``locations.csv`` ``organization_id`` resolves). Files are flushed and
    synced; returns the number of services written. Raises :class:`PackageRefused` (after
    writing) when the package would break an official constraint; the caller discards it.
    """
    folder = Path(folder)
    count = 0
    with ExitStack() as stack:
        writer = _PackageWriter(folder, stack)
        for service in services:
            writer.write("service", service, {})
            count += 1
            if advance is not None:
                advance(1)
        missing = writer.wanted_organizations - writer.seen["organization"]
        if missing and organizations is not None:
            for org in organizations(missing):
                writer.write("organization", org, {})
        for handle in writer.handles:
            handle.flush()
            os.fsync(handle.fileno())
    if writer.problems:
        raise PackageRefused(writer.problems)
    with (folder / DESCRIPTOR_NAME).open("w", encoding="utf-8") as handle:
        json.dump(descriptor(), handle, indent=2)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    return count


# ---------------------------------------------------------------------------------------------
# Reading


class _Source:
    """The files of a package: a folder, or a zip (with the package at its root or in one
    folder inside it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        self.prefix = ""
        if path.is_dir():
            return
        try:
            self.zip = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            raise _problem(
                "file", f"{path.name} is neither a folder nor a zip of an HSDS package"
            ) from None
        except OSError as exc:
            raise _problem("file", f"cannot be read: {exc.strerror or exc}") from None
        check_zip_size(self.zip, path.name)  # refused before any member is read (bounded.py)
        names = [n for n in self.zip.namelist() if PurePosixPath(n).name == DESCRIPTOR_NAME]
        if DESCRIPTOR_NAME not in names and len(names) == 1:
            self.prefix = names[0][: -len(DESCRIPTOR_NAME)]

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()

    def exists(self, name: str) -> bool:
        if self.zip is None:
            return (self.path / name).is_file()
        try:
            self.zip.getinfo(self.prefix + name)
        except KeyError:
            return False
        return True

    def open_text(self, name: str) -> IO[str]:
        """The file as text; ``utf-8-sig`` drops a byte-order mark a spreadsheet may add."""
        if self.zip is None:
            return (self.path / name).open("r", encoding="utf-8-sig", newline="")
        raw = self.zip.open(self.prefix + name)
        return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def _problem(where: str, message: str) -> ReadFailed:
    return ReadFailed([ImportIssue(None, -1, where, message)])


def _safe_member(path: Any) -> str | None:
    """A resource path usable inside the package: relative, forward slashes, no ``..``."""
    if not isinstance(path, str) or not path or "\\" in path:
        return None
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or ":" in pure.parts[0]:
        return None
    return str(pure)


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        pass
    number = float(text)  # ValueError for anything else
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(text)
    return number


_NUMBER_TEXT = frozenset("0123456789+-.eE")


def _convert(spec: Field, text: str) -> Any:
    """A cell's value per its field type; ValueError with a message when it does not fit."""
    if spec.type == _NUMBER:
        if not set(text) <= _NUMBER_TEXT:
            raise ValueError(f"{text!r} is not a number")
        try:
            return _number(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
    if spec.format == "uuid":
        return sys.intern(uuid_text(text))
    if spec.type == _DATE:
        iso_date(text)
    elif spec.type == _DATETIME:
        aware_datetime(text)
    elif spec.type == _TIME:
        return time_of_day(text)  # one form for one time: "08:00:00" is read as "08:00"
    return text


# A row kept for assembling: its values in the resource's field order, then its row number.
Row = tuple[Any, ...]


@dataclass
class _Table:
    resource: Resource
    file: str
    rows: list[Row] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)  # id -> row number
    # owner column -> owner id -> rows
    by_owner: dict[str, dict[str, list[Row]]] = field(default_factory=dict)
    by_id: dict[str, Row] = field(default_factory=dict)

    def value(self, row: Row, name: str) -> Any:
        return row[_POSITION[self.resource.name][name]]

    def as_dict(self, row: Row) -> dict[str, Any]:
        return {
            name: value
            for name, value in zip(_NAMES[self.resource.name], row, strict=False)
            if value is not None
        }


class PackageRecords:
    """A checked package; iterating yields one compiled service per ``services.csv`` row.

    ``len()`` is the number of services. Rows of the tables other than ``services.csv`` are
    kept (as tuples) until the services that own them have been handed on.
    """

    def __init__(self, path: Path, *, log: ProblemLog | None = None) -> None:
        self.path = Path(path)
        # --on-error skip: row problems are handled at the smallest scope (a cell that does not
        # fit its type is dropped, a row that cannot be used is dropped, a service row that
        # cannot be used is skipped) and logged with their action; file problems still refuse.
        self.log = log
        self._checking = True
        self.dropped_services: set[int] = set()
        self.service_file = ""
        self.issues: list[ImportIssue] = []
        # Columns and tables that are not HSDS 3.1 (nothing to keep them in), and rows that
        # belong to no service: reported, not refused.
        self.warnings: list[ImportIssue] = []
        self.tables: dict[str, _Table] = {}
        self.columns: dict[str, list[str]] = {}
        self.service_ids: dict[str, int] = {}
        self.complete = False
        source = _Source(self.path)
        try:
            self._check(source)
        finally:
            source.close()
        self._checking = False
        if self.issues:
            raise ReadFailed(self.issues)

    def __len__(self) -> int:
        return len(self.service_ids)

    # -- checking

    def error(self, file: str, row: int | None, row_id: str | None, column: str, text: str) -> None:
        where = file
        if row is not None:
            where += f" row {row}"
            if row_id:
                where += f" (id {row_id})"
        if column:
            where += f", {column}"
        # file, row and column also apart, for the problem report (services.imports)
        self.issues.append(ImportIssue(row_id, -1, where, text, file=file, row=row, column=column))

    def row_problem(
        self, file: str, row: int, row_id: str | None, column: str, text: str, action: str
    ) -> None:
        """A problem of one row or cell: refused (all or nothing), or with ``--on-error skip``
        handled as ``action`` ("field-dropped", "row-dropped"; a services.csv row that cannot
        be used is "skipped") and logged once."""
        if self.log is None:
            self.error(file, row, row_id, column, text)
            return
        if not self._checking:
            return  # met again while the services are read: logged when checked
        if action == "row-dropped" and file == self.service_file:
            action = "skipped"
            self.dropped_services.add(row)
            self.log.skipped += 1
        where = f"{file} row {row}" + (f" (id {row_id})" if row_id else "")
        where += f", {column}" if column else ""
        self.log.add(
            ImportIssue(
                row_id,
                -1,
                where,
                text,
                severity="warning" if action == "field-dropped" else "error",
                action=action,
                file=file,
                row=row,
                column=column,
            )
        )

    def _descriptor(self, source: _Source) -> dict[str, str]:
        """Resource name -> file, from ``datapackage.json``; also the declared columns."""
        resources = self._declared_resources(source)
        files: dict[str, str] = {}
        by_path = {r.path: r.name for r in RESOURCES}
        for i, item in enumerate(resources):
            if not isinstance(item, dict):
                continue
            kept = self._resource(i, item, by_path)
            if kept is not None:
                name, path = kept
                files[name] = path
        for required in ("service", "organization"):
            if required not in files:
                message = f"declares no {required} resource ({BY_NAME[required].path})"
                self.issues.append(ImportIssue(None, -1, DESCRIPTOR_NAME, message))
        return files

    @staticmethod
    def _declared_resources(source: _Source) -> list[Any]:
        """The ``resources`` list of the package's descriptor (a problem if it has none)."""
        if not source.exists(DESCRIPTOR_NAME):
            raise _problem(
                "file", f"{DESCRIPTOR_NAME} is missing: an hsds-csv package needs its descriptor"
            )
        try:
            with source.open_text(DESCRIPTOR_NAME) as handle:
                data = json.load(handle)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _problem(DESCRIPTOR_NAME, f"is not valid JSON ({exc})") from None
        resources = data.get("resources") if isinstance(data, dict) else None
        if not isinstance(resources, list):
            raise _problem(DESCRIPTOR_NAME, "has no list of resources")
        return resources

    def _resource(
        self, i: int, item: dict[str, Any], by_path: dict[str, str]
    ) -> tuple[str, str] | None:
        """(HSDS table, file) of the descriptor's ``resources[i]``, its declared columns kept in
        ``self.columns``; None (with a warning or an issue) when it is not one to read."""
        path = _safe_member(item.get("path"))
        name = item.get("name")
        if name not in BY_NAME:
            name = by_path.get(path or "")
        if name is None:
            message = "is not an HSDS 3.1 table; not kept"
            where = f"{DESCRIPTOR_NAME} resources[{i}] ({item.get('name') or path})"
            self.warnings.append(ImportIssue(None, -1, where, message, severity="warning"))
            return None
        where = f"{DESCRIPTOR_NAME} resources[{i}] ({name})"
        if path is None:
            self.issues.append(
                ImportIssue(None, -1, where, "needs a relative path inside the package")
            )
            return None
        schema = item.get("schema")
        fields = schema.get("fields") if isinstance(schema, dict) else None
        if not isinstance(fields, list) or not all(
            isinstance(f, dict) and isinstance(f.get("name"), str) for f in fields
        ):
            self.issues.append(ImportIssue(None, -1, where, "needs schema.fields with names"))
            return None
        self.columns[name] = [f["name"] for f in fields]
        official = set(BY_NAME[name].names)
        for column in self.columns[name]:
            if column not in official:
                message = f"{column} is not an HSDS 3.1 field of {name}; not kept"
                self.warnings.append(ImportIssue(None, -1, path, message, severity="warning"))
        return name, path

    def _check(self, source: _Source) -> None:
        files = self._descriptor(source)
        if self.issues:
            return
        self.complete = True  # every declared table was read (keys can be checked)
        for resource in RESOURCES:
            file = files.get(resource.name)
            if file is None:
                continue
            if not source.exists(file):
                message = f"is declared in {DESCRIPTOR_NAME} but missing from the package"
                self.error(file, None, None, "", message)
                self.complete = False
                continue
            table = _Table(resource, file)
            if resource.name == "service":
                self.service_file = file
            else:
                self.tables[resource.name] = table
            self._read(source, resource, file, table)
        if self.complete:
            self._check_keys()

    def _header(self, resource: Resource, file: str, header: list[str]) -> list[int | None]:
        """Position of each of our fields in the header (None when absent); checks it."""
        declared = self.columns[resource.name]
        if header != declared:
            missing = [c for c in declared if c not in header]
            extra = [c for c in header if c not in declared]
            if missing:
                self.error(file, 1, None, "", f"lacks declared column(s) {', '.join(missing)}")
            if extra:
                message = f"has column(s) {', '.join(extra)} not declared in {DESCRIPTOR_NAME}"
                self.error(file, 1, None, "", message)
            if not missing and not extra:
                self.error(file, 1, None, "", f"columns are not in the declared order {declared}")
        seen: set[str] = set()
        for name in header:
            if name in seen:
                self.error(file, 1, None, "", f"has the column {name} twice")
            seen.add(name)
        positions: list[int | None] = []
        for spec in resource.fields:
            if spec.name in header:
                positions.append(header.index(spec.name))
            else:
                positions.append(None)
                if spec.required:
                    self.error(file, 1, None, "", f"the required column {spec.name} is missing")
        return positions

    def _rows(
        self, source: _Source, resource: Resource, file: str
    ) -> Iterator[tuple[int, Row | None]]:
        """(row number, values in our field order) per data row; None for a row with errors."""
        try:
            handle = source.open_text(file)
        except OSError as exc:
            self.error(file, None, None, "", f"cannot be read: {exc.strerror or exc}")
            self.complete = False
            return
        with handle:
            reader = csv.reader(handle)
            try:
                header = next(reader, None)
                if header is None:
                    self.error(file, None, None, "", "is empty (it needs at least a header row)")
                    self.complete = False
                    return
                known = len(self.issues)
                positions = self._header(resource, file, header)
                if len(self.issues) > known:
                    self.complete = False
                    return
                width = len(header)
                for number, raw_cells in enumerate(reader, start=2):
                    if not any(raw_cells):
                        continue
                    cells = [csv_safe.uncell(cell) for cell in raw_cells]
                    yield number, self._values(resource, file, number, cells, positions, width)
            except UnicodeDecodeError:
                self.error(file, None, None, "", "is not UTF-8 text")
                self.complete = False
            except csv.Error as exc:
                self.error(file, reader.line_num, None, "", f"is not valid CSV: {exc}")
                self.complete = False

    def _values(
        self,
        resource: Resource,
        file: str,
        number: int,
        cells: list[str],
        positions: list[int | None],
        width: int,
    ) -> Row | None:
        """The row's values in our field order plus its row number; a cell that does not fit
        its type is reported and read as null. None when the row cannot be used at all."""
        first = positions[0]
        raw_id = cells[first] if first is not None and first < len(cells) else ""
        if len(cells) != width:
            message = f"has {len(cells)} cells, the header has {width}"
            self.row_problem(file, number, raw_id or None, "", message, "row-dropped")
            return None
        values: list[Any] = []
        for spec, position in zip(resource.fields, positions, strict=True):
            text = cells[position] if position is not None else ""
            if text == "":
                values.append(None)
                if spec.required and spec.format == "uuid":
                    self.row_problem(
                        file, number, raw_id or None, spec.name, "is required", "row-dropped"
                    )
                    if self.log is not None:
                        return None
                continue
            try:
                values.append(_convert(spec, text))
            except ValueError as exc:
                required = spec.required or spec is resource.fields[0]
                action = "row-dropped" if required else "field-dropped"
                self.row_problem(file, number, raw_id or None, spec.name, str(exc), action)
                if required and self.log is not None:
                    return None
                values.append(None)
        if values[0] is None:
            return None  # no usable id: reported above
        return (*values, number)

    def _read(self, source: _Source, resource: Resource, file: str, table: _Table) -> None:
        ids = self.service_ids if resource.name == "service" else table.ids
        for number, row in self._rows(source, resource, file):
            if row is None:
                continue
            row_id = row[0]
            first = ids.setdefault(row_id, number)
            if first != number:
                message = f"repeats the id of row {first}"
                self.row_problem(file, number, row_id, "id", message, "row-dropped")
                continue
            if resource.name == "service":
                org_id = row[_POSITION["service"]["organization_id"]]
                # With --on-error skip the importer decides (as for every format: a reference
                # to nothing skips the service, reported once there).
                dangling = org_id is not None and org_id not in self._ids("organization")
                if dangling and self.log is None:
                    message = f"no row with id {org_id} in {BY_NAME['organization'].path}"
                    self.error(file, number, row_id, "organization_id", message)
            else:
                table.by_id[row_id] = row

    def _ids(self, resource: str) -> dict[str, int]:
        if resource == "service":
            return self.service_ids
        table = self.tables.get(resource)
        return table.ids if table is not None else {}

    def _owner_ids(self) -> dict[str, str]:
        """Every id of the package -> its table (for attributes and metadata)."""
        out = dict.fromkeys(self.service_ids, "service")
        for name, table in self.tables.items():
            for row_id in table.ids:
                out.setdefault(row_id, name)
        return out

    def _check_keys(self) -> None:
        """Every foreign key resolves; rows are filed under their owner."""
        every_id = self._owner_ids()
        for table in self.tables.values():
            for row in list(table.by_id.values()):
                if not self._row_keys(table, row, every_id) and self.log is not None:
                    table.by_id.pop(row[0], None)
        sal = self.tables.get("service_at_location")
        # Locations no service_at_location uses are nested in their organization's
        # ``locations``; the others are the services' own (see docs/hsds-conventions.md).
        self.used_locations = (
            {sal.value(row, "location_id") for row in sal.by_id.values()} if sal else set()
        )
        tables = self.tables.get("meta_table_description")
        if tables is not None and tables.by_id:
            message = f"{len(tables.by_id)} row(s) describe no service; not kept"
            self.warnings.append(ImportIssue(None, -1, tables.file, message, severity="warning"))

    def _row_keys(self, table: _Table, row: Row, every_id: dict[str, str]) -> bool:
        """File the row under its owner; False when a key names nothing (the row is then
        refused, or with ``--on-error skip`` dropped)."""
        resource = table.resource
        number = row[-1]
        row_id = row[0]
        for column, target in resource.foreign_keys.items():
            value = table.value(row, column)
            if value is not None and value not in self._ids(target):
                message = f"no row with id {value} in {BY_NAME[target].path}"
                self.row_problem(table.file, number, row_id, column, message, "row-dropped")
                if self.log is not None:
                    return False
        if resource.name in _POLY:
            column = _POLY[resource.name][0]
            owner_id = table.value(row, column)
            if owner_id is None:
                return True  # reported as required
            if owner_id not in every_id:
                message = f"no row with id {owner_id} in any table of the package"
                self.row_problem(table.file, number, row_id, column, message, "row-dropped")
                return False
            table.by_owner.setdefault(column, {}).setdefault(owner_id, []).append(row)
            return True
        owners = OWNERS.get(resource.name, ())
        for _parent, column in owners:
            owner_id = table.value(row, column)
            if owner_id is not None:
                table.by_owner.setdefault(column, {}).setdefault(owner_id, []).append(row)
                return True
        if owners and resource.name not in ("location", "program"):
            columns = ", ".join(column for _parent, column in owners)
            message = f"is linked to nothing (fill one of {columns})"
            self.row_problem(table.file, number, row_id, "", message, "row-dropped")
            return False
        return True

    # -- assembling

    def _children(self, name: str, column: str, owner_id: str, once: bool) -> list[Row]:
        """The rows of table ``name`` whose ``column`` names ``owner_id``. With ``once`` (the
        owner is met once: a service or one of its service_at_locations) they are let go, so
        memory falls as services are handed on; rows objects point at by id stay."""
        table = self.tables.get(name)
        if table is None:
            return []
        index = table.by_owner.get(column)
        if not index:
            return []
        if not once:
            return index.get(owner_id) or []
        rows = index.pop(owner_id, None) or []
        if name not in _POINTED_AT:
            for row in rows:
                table.by_id.pop(row[0], None)
        return rows

    def _object(self, name: str, row: Row) -> dict[str, Any]:
        """The compiled HSDS object of a row, with every member the package holds for it."""
        table_name = name
        values = (
            {n: v for n, v in zip(_NAMES["service"], row, strict=False) if v is not None}
            if name == "service"
            else self.tables[name].as_dict(row)
        )
        row_id = values["id"]
        for key, kind, child in BY_NAME[table_name].members:
            column = link_column(table_name, key)
            if kind == "object":
                target_id = values.get(column) if column else None
                target = self.tables.get(child)
                if target_id is not None and target is not None and target_id in target.by_id:
                    values[key] = self._object(child, target.by_id[target_id])
                continue
            if column is None:
                continue
            rows = self._children(child, column, row_id, table_name in _MET_ONCE)
            if table_name == "organization" and key == "locations":
                rows = [r for r in rows if r[0] not in self.used_locations]
            if rows or key in _ALWAYS_LISTED.get(table_name, ()):
                values[key] = [self._object(child, r) for r in rows]
        return values

    def _service(self, row: Row) -> dict[str, Any]:
        return self._object("service", row)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        source = _Source(self.path)
        try:
            for number, row in self._rows(source, BY_NAME["service"], self.service_file):
                if number in self.dropped_services:
                    continue  # skipped when checked (--on-error skip), logged then
                if row is None:  # checked before; the file changed meanwhile
                    break
                yield self._service(row)
        finally:
            source.close()
        if self.issues:
            raise ReadFailed(self.issues)


# Objects nested in one service only (their child rows can be let go once read), and tables
# whose rows objects point at by id (``service.organization_id``...: kept to the end).
_MET_ONCE = frozenset({"service", "service_at_location"})
_POINTED_AT = frozenset(
    child for table in RESOURCES for _key, kind, child in table.members if kind == "object"
)

# Lists the directory's own export always carries, even empty (what ``service_to_hsds`` does).
_ALWAYS_LISTED: dict[str, tuple[str, ...]] = {
    "service": (
        "service_at_locations",
        "phones",
        "schedules",
        "service_areas",
        "languages",
        "cost_options",
        "capacities",
        "contacts",
        "additional_urls",
        "attributes",
    ),
    "organization": ("phones",),
    "location": ("languages", "addresses", "phones", "schedules"),
    "service_at_location": ("service_areas", "phones", "schedules"),
    "contact": ("phones",),
}


def read_package(path: Path, *, log: ProblemLog | None = None) -> PackageRecords:
    """The services of an ``hsds-csv`` package (folder or zip) as compiled HSDS 3.1 dicts.

    The whole package is checked first; ``ReadFailed`` lists every problem found (header,
    cell type, duplicate id, orphan foreign key), each naming its file, row, id and field.
    With ``log`` (``--on-error skip``) only problems of the package as a whole refuse it; a
    row's problems are handled at the smallest scope and logged (:meth:`row_problem`).
    """
    path = Path(path)
    if not path.exists():
        raise _problem("file", f"{path} does not exist")
    return PackageRecords(path, log=log)


def looks_like_package(sample: FileSample) -> bool:
    """A zip holding ``datapackage.json``."""
    return sample.members is not None and "datapackage.json" in sample.members
