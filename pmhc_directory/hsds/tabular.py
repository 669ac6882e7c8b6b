"""``hsds-csv``: the HSDS 3.1 tabular data package (Frictionless), written and read.

A package is a folder, or a ``.zip`` of one, holding ``datapackage.json`` plus one CSV per
table. The tables, their file names, field names, field order and types follow the official
HSDS 3.1 ``datapackage.json`` (Open Referral specification); the package declares only the
fields the directory keeps. The descriptor is built here from :data:`RESOURCES`, never read
from elsewhere. Two resources are incomplete in the official descriptor (``service_capacity``
lists only ``service_id`` and ``unit_id``, ``unit`` no field at all); for those the fields of
the HSDS 3.1 JSON schemas ``service_capacity.json`` and ``unit.json`` are used, same names.

Writing (:func:`write_package`) takes compiled service dicts (``service_to_hsds``) and splits
them into rows; organizations, locations, units, taxonomy terms and taxonomies are written
once however many services share them.

Reading (:func:`read_package`) checks the whole package before handing anything on: every
CSV header against its declaration, every cell against its field type (empty cell = null),
every id and every foreign key (an orphan row names its file, row, id and field). It then
rebuilds one compiled service per row of ``services.csv``, in file order, for the normal import
pipeline, which checks the rest (required fields, codes, ranges). Row numbers count the header
as row 1, as a spreadsheet shows them. Rows linked to something the directory does not keep
(a contact of an organization, a language of a phone, an attribute of a location) are ignored,
like the same objects in ``hsds-json``.
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

from ..taxonomy import vocabulary
from .deserialize import aware_datetime, iso_date, time_of_day, uuid_text
from .errors import ImportIssue, ReadFailed

__all__ = [
    "DESCRIPTOR_NAME",
    "RESOURCES",
    "Field",
    "PackageRecords",
    "Resource",
    "descriptor",
    "read_package",
    "write_package",
]

DESCRIPTOR_NAME = "datapackage.json"
# Frictionless CSV dialect defaults: comma, double quote, CRLF rows.
csv.field_size_limit(sys.maxsize if sys.maxsize < 2**63 else 2**31 - 1)


@dataclass(frozen=True)
class Field:
    """One column: Table Schema ``type`` (string, number, date, datetime, time) and
    ``format`` (uuid, email, uri), as the official HSDS descriptor types it. ``required``
    marks columns an import cannot do without (the header must have them)."""

    name: str
    type: str = "string"
    format: str | None = None
    required: bool = False

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.format:
            out["format"] = self.format
        if self.required:
            out["constraints"] = {"required": True}
        return out


@dataclass(frozen=True)
class Resource:
    """One table. ``foreign_keys`` maps a field to the resource whose ``id`` it names;
    ``owners`` are the fields that attach a row to its parent, most specific first;
    ``ignored_owners`` attach it to objects the directory does not keep."""

    name: str
    path: str
    fields: tuple[Field, ...]
    foreign_keys: dict[str, str] = field(default_factory=dict)
    owners: tuple[str, ...] = ()
    ignored_owners: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def as_json(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "fields": [f.as_json() for f in self.fields],
            "primaryKey": "id",
        }
        if self.foreign_keys:
            schema["foreignKeys"] = [
                {"fields": name, "reference": {"resource": target, "fields": "id"}}
                for name, target in self.foreign_keys.items()
            ]
        return {
            "name": self.name,
            "path": self.path,
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": schema,
        }


def _id() -> Field:
    return Field("id", "string", "uuid", required=True)


def _ref(name: str, required: bool = False) -> Field:
    return Field(name, "string", "uuid", required=required)


def _s(name: str, fmt: str | None = None, required: bool = False) -> Field:
    return Field(name, "string", fmt, required)


_NUMBER, _DATE, _DATETIME, _TIME = "number", "date", "datetime", "time"

#: The tables of a package, in the order of the official descriptor.
RESOURCES: tuple[Resource, ...] = (
    Resource(
        "organization",
        "organizations.csv",
        (
            _id(),
            _s("name", required=True),
            _s("alternate_name"),
            _s("description"),
            _s("email", "email"),
            _s("website", "uri"),
        ),
    ),
    Resource(
        "service",
        "services.csv",
        (
            _id(),
            _ref("organization_id", required=True),
            _s("name", required=True),
            _s("alternate_name"),
            _s("description"),
            _s("url", "uri"),
            _s("email", "email"),
            _s("status", required=True),
            _s("interpretation_services"),
            _s("application_process"),
            _s("fees_description"),
            _s("eligibility_description"),
            Field("minimum_age", _NUMBER),
            Field("maximum_age", _NUMBER),
            Field("assured_date", _DATE),
            _s("assurer_email", "email"),
            _s("alert"),
            Field("last_modified", _DATETIME),
        ),
        {"organization_id": "organization"},
    ),
    Resource(
        "attribute",
        "attributes.csv",
        (
            _id(),
            _ref("link_id", required=True),
            _ref("taxonomy_term_id", required=True),
            _s("link_type"),
            _s("link_entity"),
            _s("value"),
            _s("label"),
        ),
        {"taxonomy_term_id": "taxonomy_term"},
        owners=("link_id",),
    ),
    Resource(
        "service_at_location",
        "service_at_location.csv",
        (
            _id(),
            _ref("service_id", required=True),
            _ref("location_id", required=True),
            _s("description"),
        ),
        {"service_id": "service", "location_id": "location"},
        owners=("service_id",),
    ),
    Resource(
        "location",
        "locations.csv",
        (
            _id(),
            _s("location_type", required=True),
            _s("url", "uri"),
            _ref("organization_id"),
            _s("name"),
            _s("alternate_name"),
            _s("description"),
            _s("transportation"),
            Field("latitude", _NUMBER),
            Field("longitude", _NUMBER),
            _s("external_identifier"),
            _s("external_identifier_type"),
        ),
        {"organization_id": "organization"},
    ),
    Resource(
        "phone",
        "phones.csv",
        (
            _id(),
            _ref("location_id"),
            _ref("service_id"),
            _ref("organization_id"),
            _ref("contact_id"),
            _ref("service_at_location_id"),
            _s("number", required=True),
            Field("extension", _NUMBER),
            _s("type"),
            _s("description"),
        ),
        {
            "contact_id": "contact",
            "location_id": "location",
            "organization_id": "organization",
            "service_id": "service",
            "service_at_location_id": "service_at_location",
        },
        owners=(
            "contact_id",
            "service_at_location_id",
            "service_id",
            "location_id",
            "organization_id",
        ),
    ),
    Resource(
        "contact",
        "contacts.csv",
        (
            _id(),
            _ref("organization_id"),
            _ref("service_id"),
            _ref("service_at_location_id"),
            _ref("location_id"),
            _s("name"),
            _s("title"),
            _s("department"),
            _s("email", "email"),
        ),
        {
            "location_id": "location",
            "organization_id": "organization",
            "service_id": "service",
            "service_at_location_id": "service_at_location",
        },
        owners=("service_id",),
        ignored_owners=("service_at_location_id", "location_id", "organization_id"),
    ),
    Resource(
        "address",
        "addresses.csv",
        (
            _id(),
            _ref("location_id", required=True),
            _s("attention"),
            _s("address_1", required=True),
            _s("address_2"),
            _s("city", required=True),
            _s("region"),
            _s("state_province", required=True),
            _s("postal_code", required=True),
            _s("country", required=True),
            _s("address_type", required=True),
        ),
        {"location_id": "location"},
        owners=("location_id",),
    ),
    Resource(
        "schedule",
        "schedules.csv",
        (
            _id(),
            _ref("service_id"),
            _ref("location_id"),
            _ref("service_at_location_id"),
            Field("valid_from", _DATE),
            Field("valid_to", _DATE),
            Field("dtstart", _DATE),
            Field("timezone", _NUMBER),
            Field("until", _DATE),
            Field("count", _NUMBER),
            _s("wkst"),
            _s("freq"),
            Field("interval", _NUMBER),
            _s("byday"),
            _s("byweekno"),
            _s("bymonthday"),
            _s("byyearday"),
            _s("description"),
            Field("opens_at", _TIME),
            Field("closes_at", _TIME),
            _s("schedule_link", "uri"),
            _s("attending_type"),
            _s("notes"),
        ),
        {
            "location_id": "location",
            "service_id": "service",
            "service_at_location_id": "service_at_location",
        },
        owners=("service_at_location_id", "service_id", "location_id"),
    ),
    Resource(
        "service_area",
        "service_areas.csv",
        (
            _id(),
            _ref("service_id"),
            _ref("service_at_location_id"),
            _s("name"),
            _s("description"),
            _s("extent"),
            _s("extent_type"),
            _s("uri"),
        ),
        {"service_id": "service", "service_at_location_id": "service_at_location"},
        owners=("service_at_location_id", "service_id"),
    ),
    Resource(
        "language",
        "languages.csv",
        (
            _id(),
            _ref("service_id"),
            _ref("location_id"),
            _ref("phone_id"),
            _s("name"),
            _s("code"),
            _s("note"),
        ),
        {"location_id": "location", "phone_id": "phone", "service_id": "service"},
        owners=("service_id", "location_id"),
        ignored_owners=("phone_id",),
    ),
    Resource(
        "taxonomy_term",
        "taxonomy_terms.csv",
        (
            _id(),
            _s("code"),
            _s("name", required=True),
            _s("description"),
            _ref("parent_id"),
            _s("taxonomy"),
            _s("language"),
            _ref("taxonomy_id"),
            _s("term_uri", "uri"),
        ),
        {"taxonomy_id": "taxonomy"},
    ),
    Resource(
        "cost_option",
        "cost_options.csv",
        (
            _id(),
            _ref("service_id", required=True),
            Field("valid_from", _DATE),
            Field("valid_to", _DATE),
            _s("option"),
            _s("currency"),
            Field("amount", _NUMBER),
            _s("amount_description"),
        ),
        {"service_id": "service"},
        owners=("service_id",),
    ),
    Resource(
        "taxonomy",
        "taxonomies.csv",
        (_id(), _s("name", required=True), _s("description"), _s("uri", "uri"), _s("version")),
    ),
    Resource(
        "service_capacity",
        "service_capacity.csv",
        (
            _id(),
            _ref("service_id", required=True),
            _ref("unit_id", required=True),
            Field("available", _NUMBER, required=True),
            Field("maximum", _NUMBER),
            _s("description"),
            Field("updated", _DATETIME, required=True),
        ),
        {"service_id": "service", "unit_id": "unit"},
        owners=("service_id",),
    ),
    Resource(
        "unit",
        "units.csv",
        (_id(), _s("name", required=True), _s("scheme"), _s("identifier"), _s("uri", "uri")),
    ),
    Resource(
        "url",
        "url.csv",
        (
            _id(),
            _s("label"),
            _s("url", "uri", required=True),
            _ref("organization_id"),
            _ref("service_id"),
        ),
        {"organization_id": "organization", "service_id": "service"},
        owners=("service_id",),
        ignored_owners=("organization_id",),
    ),
)
BY_NAME: dict[str, Resource] = {r.name: r for r in RESOURCES}
_NAMES: dict[str, tuple[str, ...]] = {r.name: r.names for r in RESOURCES}
_POSITION: dict[str, dict[str, int]] = {
    r.name: {n: i for i, n in enumerate(r.names)} for r in RESOURCES
}
_OWNER_COLUMNS: dict[str, tuple[str, ...]] = {
    r.name: (*r.owners, *r.ignored_owners) for r in RESOURCES
}


def descriptor() -> dict[str, Any]:
    """The ``datapackage.json`` of the packages the directory writes."""
    return {
        "profile": "tabular-data-package",
        "name": "pmhc-directory-hsds",
        "title": "PMHC Directory services (HSDS 3.1 tabular data package)",
        "version": "3.1",
        "resources": [r.as_json() for r in RESOURCES],
    }


# ---------------------------------------------------------------------------------------------
# Writing


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return str(value)  # int, float (shortest round-trip form)


class _PackageWriter:
    """One open CSV writer per table; shared objects written once."""

    def __init__(self, folder: Path, stack: ExitStack) -> None:
        self.writers: dict[str, Any] = {}
        self.handles: list[IO[str]] = []
        for resource in RESOURCES:
            handle = stack.enter_context(
                (folder / resource.path).open("w", encoding="utf-8", newline="")
            )
            self.handles.append(handle)
            writer = csv.writer(handle)
            writer.writerow(resource.names)
            self.writers[resource.name] = writer
        self.seen: dict[str, set[str]] = defaultdict(set)
        self.wanted_organizations: set[str] = set()
        self.vocab = vocabulary()

    def row(self, resource: str, obj: dict[str, Any], **owner: Any) -> None:
        """Write ``obj``'s fields; owner columns come from ``owner`` only (others empty)."""
        values = dict(obj)
        for column in _OWNER_COLUMNS[resource]:
            values[column] = None
        values.update(owner)
        self.writers[resource].writerow([_cell(values.get(name)) for name in _NAMES[resource]])

    def once(self, resource: str, obj: dict[str, Any]) -> bool:
        """Write a shared object the first time it is met; True when it was written now."""
        seen = self.seen[resource]
        if obj["id"] in seen:
            return False
        seen.add(obj["id"])
        self.row(resource, obj)
        return True

    def phones(self, obj: dict[str, Any], **owner: Any) -> None:
        for phone in obj.get("phones") or ():
            self.row("phone", phone, **owner)

    def schedules(self, obj: dict[str, Any], **owner: Any) -> None:
        for schedule in obj.get("schedules") or ():
            self.row("schedule", schedule, **owner)

    def organization(self, org: dict[str, Any]) -> None:
        if self.once("organization", org):
            self.phones(org, organization_id=org["id"])

    def location(self, location: dict[str, Any]) -> None:
        if not self.once("location", location):
            return
        lid = location["id"]
        if location.get("organization_id"):
            self.wanted_organizations.add(location["organization_id"])
        for address in location.get("addresses") or ():
            self.row("address", address, location_id=lid)
        self.phones(location, location_id=lid)
        self.schedules(location, location_id=lid)
        for language in location.get("languages") or ():
            self.row("language", language, location_id=lid)

    def term(self, term: dict[str, Any]) -> None:
        """A term and its taxonomy (the PMHC taxonomy details come from the vocabulary when
        a compiled term names one by id only)."""
        detail = term.get("taxonomy_detail")
        if not isinstance(detail, dict) and term.get("taxonomy_id"):
            info = self.vocab.taxonomy_by_id(term["taxonomy_id"])
            if info is not None:
                detail = {"id": info.id, "name": info.name, "description": info.description}
                detail.update(
                    {k: v for k, v in (("uri", info.uri), ("version", info.version)) if v}
                )
        if isinstance(detail, dict):
            self.once("taxonomy", detail)
            term = {**term, "taxonomy_id": detail["id"]}
        self.once("taxonomy_term", term)

    def service(self, service: dict[str, Any]) -> None:
        sid = service["id"]
        org = service["organization"]
        self.organization(org)
        self.row("service", {**service, "organization_id": org["id"]})
        for sal in service.get("service_at_locations") or ():
            location = sal["location"]
            self.location(location)
            self.row("service_at_location", {**sal, "location_id": location["id"]}, service_id=sid)
            self.phones(sal, service_at_location_id=sal["id"])
            self.schedules(sal, service_at_location_id=sal["id"])
            for area in sal.get("service_areas") or ():
                self.row("service_area", area, service_at_location_id=sal["id"])
        self.phones(service, service_id=sid)
        self.schedules(service, service_id=sid)
        for area in service.get("service_areas") or ():
            self.row("service_area", area, service_id=sid)
        for language in service.get("languages") or ():
            self.row("language", language, service_id=sid)
        for cost in service.get("cost_options") or ():
            self.row("cost_option", cost, service_id=sid)
        for capacity in service.get("capacities") or ():
            unit = capacity["unit"]
            self.once("unit", unit)
            self.row("service_capacity", {**capacity, "unit_id": unit["id"]}, service_id=sid)
        for contact in service.get("contacts") or ():
            self.row("contact", contact, service_id=sid)
            self.phones(contact, contact_id=contact["id"])
        for url in service.get("additional_urls") or ():
            self.row("url", url, service_id=sid)
        for attribute in service.get("attributes") or ():
            values = {**attribute, "link_entity": "service"}
            term = attribute.get("taxonomy_term")
            if isinstance(term, dict):
                self.term(term)
                values["taxonomy_term_id"] = term["id"]
            self.row("attribute", values, link_id=sid)


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
    synced; returns the number of services written.
    """
    folder = Path(folder)
    count = 0
    with ExitStack() as stack:
        writer = _PackageWriter(folder, stack)
        for service in services:
            writer.service(service)
            count += 1
            if advance is not None:
                advance(1)
        missing = writer.wanted_organizations - writer.seen["organization"]
        if missing and organizations is not None:
            for org in organizations(missing):
                writer.organization(org)
        for handle in writer.handles:
            handle.flush()
            os.fsync(handle.fileno())
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
        time_of_day(text)
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

    def as_dict(self, row: Row, **owner: Any) -> dict[str, Any]:
        out = {
            name: value
            for name, value in zip(_NAMES[self.resource.name], row, strict=False)
            if value is not None
        }
        for column in _OWNER_COLUMNS[self.resource.name]:
            out.pop(column, None)
        out.update({k: v for k, v in owner.items() if v is not None})
        return out


#: Tables whose rows are kept by id (shared objects) rather than by owner.
_KEYED = ("organization", "location", "taxonomy_term", "taxonomy", "unit")


class PackageRecords:
    """A checked package; iterating yields one compiled service per ``services.csv`` row.

    ``len()`` is the number of services. Rows of the tables other than ``services.csv`` are
    kept (as tuples) until the services that own them have been handed on.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.issues: list[ImportIssue] = []
        self.tables: dict[str, _Table] = {}
        self.columns: dict[str, list[str]] = {}
        self.service_ids: dict[str, int] = {}
        self.complete = False
        source = _Source(self.path)
        try:
            self._check(source)
        finally:
            source.close()
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
        self.issues.append(ImportIssue(row_id, -1, where, text))

    def _descriptor(self, source: _Source) -> dict[str, str]:
        """Resource name -> file, from ``datapackage.json``; also the declared columns."""
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
        files: dict[str, str] = {}
        by_path = {r.path: r.name for r in RESOURCES}
        for i, item in enumerate(resources):
            if not isinstance(item, dict):
                continue
            path = _safe_member(item.get("path"))
            name = item.get("name")
            if name not in BY_NAME:
                name = by_path.get(path or "")
            if name is None:
                continue  # a table the directory does not keep (programs.csv, funding.csv...)
            where = f"{DESCRIPTOR_NAME} resources[{i}] ({name})"
            if path is None:
                self.issues.append(
                    ImportIssue(None, -1, where, "needs a relative path inside the package")
                )
                continue
            schema = item.get("schema")
            fields = schema.get("fields") if isinstance(schema, dict) else None
            if not isinstance(fields, list) or not all(
                isinstance(f, dict) and isinstance(f.get("name"), str) for f in fields
            ):
                self.issues.append(ImportIssue(None, -1, where, "needs schema.fields with names"))
                continue
            files[name] = path
            self.columns[name] = [f["name"] for f in fields]
        for required in ("service", "organization"):
            if required not in files:
                message = f"declares no {required} resource ({BY_NAME[required].path})"
                self.issues.append(ImportIssue(None, -1, DESCRIPTOR_NAME, message))
        return files

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
            if resource.name in _KEYED:
                self.tables[resource.name] = table
            elif resource.name == "service":
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
                for number, cells in enumerate(reader, start=2):
                    if not any(cells):
                        continue
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
            self.error(file, number, raw_id or None, "", message)
            return None
        values: list[Any] = []
        for spec, position in zip(resource.fields, positions, strict=True):
            text = cells[position] if position is not None else ""
            if text == "":
                values.append(None)
                if spec.required and spec.format == "uuid":
                    self.error(file, number, raw_id or None, spec.name, "is required")
                continue
            try:
                values.append(_convert(spec, text))
            except ValueError as exc:
                self.error(file, number, raw_id or None, spec.name, str(exc))
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
                self.error(file, number, row_id, "id", f"repeats the id of row {first}")
                continue
            if resource.name == "service":
                org_id = row[_POSITION["service"]["organization_id"]]
                if org_id is not None and org_id not in self._ids("organization"):
                    message = f"no row with id {org_id} in {BY_NAME['organization'].path}"
                    self.error(file, number, row_id, "organization_id", message)
            elif resource.name in _KEYED:
                table.by_id[row_id] = row
            else:
                table.rows.append(row)

    def _ids(self, resource: str) -> dict[str, int]:
        if resource == "service":
            return self.service_ids
        table = self.tables.get(resource)
        return table.ids if table is not None else {}

    def _check_keys(self) -> None:
        """Every foreign key resolves; child rows are filed under their owner."""
        for table in self.tables.values():
            resource = table.resource
            rows = table.by_id.values() if resource.name in _KEYED else table.rows
            for row in rows:
                self._row_keys(table, row)
            table.rows = []  # filed under their owners now

    def _row_keys(self, table: _Table, row: Row) -> None:
        resource = table.resource
        number = row[-1]
        row_id = row[0]
        for column, target in resource.foreign_keys.items():
            value = table.value(row, column)
            if value is not None and value not in self._ids(target):
                message = f"no row with id {value} in {BY_NAME[target].path}"
                self.error(table.file, number, row_id, column, message)
        if not resource.owners:
            return
        if resource.name == "attribute":
            entity = table.value(row, "link_entity")
            if entity not in (None, "service"):
                return  # an attribute of something else: not kept
            link_id = table.value(row, "link_id")
            if link_id is not None and link_id not in self.service_ids:
                message = f"no service with id {link_id} in {BY_NAME['service'].path}"
                self.error(table.file, number, row_id, "link_id", message)
                return
        for column in resource.owners:
            owner_id = table.value(row, column)
            if owner_id is not None:
                table.by_owner.setdefault(column, {}).setdefault(owner_id, []).append(row)
                return
        if any(table.value(row, c) is not None for c in resource.ignored_owners):
            return
        columns = ", ".join((*resource.owners, *resource.ignored_owners))
        self.error(table.file, number, row_id, "", f"is linked to nothing (fill one of {columns})")

    # -- assembling

    def _children(self, name: str, column: str, owner_id: str, pop: bool) -> list[Row]:
        table = self.tables.get(name)
        if table is None:
            return []
        index = table.by_owner.get(column)
        if not index:
            return []
        return (index.pop(owner_id, None) if pop else index.get(owner_id)) or []

    def _dicts(self, name: str, column: str, owner_id: str, pop: bool = True) -> list[dict]:
        table = self.tables.get(name)
        if table is None:
            return []
        rows = self._children(name, column, owner_id, pop)
        return [table.as_dict(row, **{column: owner_id}) for row in rows]

    def _phones(self, column: str, owner_id: str, pop: bool = True) -> list[dict]:
        return self._dicts("phone", column, owner_id, pop)

    def _organization(self, org_id: str) -> dict[str, Any]:
        table = self.tables["organization"]
        org = table.as_dict(table.by_id[org_id])
        org["phones"] = self._phones("organization_id", org_id, pop=False)
        return org

    def _location(self, location_id: str) -> dict[str, Any]:
        table = self.tables["location"]
        location = table.as_dict(table.by_id[location_id])
        for key, name in (
            ("addresses", "address"),
            ("phones", "phone"),
            ("schedules", "schedule"),
            ("languages", "language"),
        ):
            location[key] = self._dicts(name, "location_id", location_id, pop=False)
        return location

    def _term(self, term_id: str) -> dict[str, Any]:
        terms = self.tables["taxonomy_term"]
        term = terms.as_dict(terms.by_id[term_id])
        taxonomy_id = term.get("taxonomy_id")
        taxonomies = self.tables.get("taxonomy")
        if taxonomy_id is not None and taxonomies is not None:
            term["taxonomy_detail"] = taxonomies.as_dict(taxonomies.by_id[taxonomy_id])
        return term

    def _service(self, row: Row) -> dict[str, Any]:
        names = BY_NAME["service"].names
        service = {n: v for n, v in zip(names, row, strict=False) if v is not None}
        sid = service["id"]
        service["organization"] = self._organization(service["organization_id"])
        sals = []
        for sal in self._dicts("service_at_location", "service_id", sid):
            sal["location"] = self._location(sal["location_id"])
            sal["phones"] = self._phones("service_at_location_id", sal["id"])
            sal["schedules"] = self._dicts("schedule", "service_at_location_id", sal["id"])
            sal["service_areas"] = self._dicts("service_area", "service_at_location_id", sal["id"])
            sals.append(sal)
        service["service_at_locations"] = sals
        service["phones"] = self._phones("service_id", sid)
        service["schedules"] = self._dicts("schedule", "service_id", sid)
        service["service_areas"] = self._dicts("service_area", "service_id", sid)
        service["languages"] = self._dicts("language", "service_id", sid)
        service["cost_options"] = self._dicts("cost_option", "service_id", sid)
        units = self.tables.get("unit")
        capacities = []
        for capacity in self._dicts("service_capacity", "service_id", sid):
            if units is not None:
                capacity["unit"] = units.as_dict(units.by_id[capacity["unit_id"]])
            capacities.append(capacity)
        service["capacities"] = capacities
        contacts = []
        for contact in self._dicts("contact", "service_id", sid):
            contact["phones"] = self._phones("contact_id", contact["id"])
            contacts.append(contact)
        service["contacts"] = contacts
        service["additional_urls"] = self._dicts("url", "service_id", sid)
        attributes = []
        for attribute in self._dicts("attribute", "link_id", sid):
            attribute["link_entity"] = "service"
            attribute["taxonomy_term"] = self._term(attribute["taxonomy_term_id"])
            attributes.append(attribute)
        service["attributes"] = attributes
        return service

    def __iter__(self) -> Iterator[dict[str, Any]]:
        source = _Source(self.path)
        try:
            for _number, row in self._rows(source, BY_NAME["service"], self.service_file):
                if row is None:  # checked before; the file changed meanwhile
                    break
                yield self._service(row)
        finally:
            source.close()
        if self.issues:
            raise ReadFailed(self.issues)


def read_package(path: Path) -> PackageRecords:
    """The services of an ``hsds-csv`` package (folder or zip) as compiled HSDS 3.1 dicts.

    The whole package is checked first; ``ReadFailed`` lists every problem found (header,
    cell type, duplicate id, orphan foreign key), each naming its file, row, id and field.
    """
    path = Path(path)
    if not path.exists():
        raise _problem("file", f"{path} does not exist")
    return PackageRecords(path)
