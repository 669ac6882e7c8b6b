"""HSDS 3.1 compiled service dicts -> checked plain column values (no database needed).

:func:`parse_services` reads every record in full and collects every problem it finds, each
named by record and field path (``service.service_at_locations[0].location.addresses[0].city``),
so a publisher can fix a file in one go. What comes out is plain data ready to write:

* per record, the ``services`` row and the rows the service owns (its service_at_locations,
  phones, schedules, service_areas, languages, cost_options, capacities, contacts, urls and
  attributes), each a dict holding every writable column of its table;
* the entities records share, once each: organizations (with their phones), locations (with
  addresses, phones, schedules, languages), capacity units, and the terms and taxonomies of
  external taxonomies. A shared entity must be described the same way wherever it appears;
* references to rows the file does not contain (``location.organization_id``, an external
  ``taxonomy_term_id`` with no nested term, ...), which the importer checks in the database.

PMHC taxonomy terms are recognised here, against :func:`pmhc_directory.taxonomy.vocabulary`:
by term id, or by taxonomy (key ``taxonomy`` or PMHC ``taxonomy_id``) plus ``code``; their rows
are never written by an import. See docs/hsds-conventions.md and docs/import-export.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import shapely.geometry
from shapely.errors import GEOSException

from ..db import normalize_uuid
from ..hours import ScheduleError, ScheduleRule
from ..models import Base
from ..models.directory import LOCATION_TYPES, SERVICE_STATUSES
from ..taxonomy import NEED, POPULATION, Term, Vocabulary, vocabulary
from ..validators import TEXT_LIMITS, email_address, web_url
from .errors import ImportIssue
from .extra import split_extra

# Columns an import never writes: kept by the database (timestamps), not part of HSDS
# (is_national), or PMHC-only (taxonomies.key). Tables with an optimistic-lock ``version``
# counter get it bumped on every update instead (taxonomies.version is HSDS text, imported).
NOT_IMPORTED = frozenset({"created_at", "updated_at", "is_national", "key"})
VERSIONED = frozenset({"services", "organizations", "locations"})

# Every column that names the owner of a row: a row has one owner, the others are NULL.
OWNER_COLUMNS: dict[str, tuple[str, ...]] = {
    "services_at_location": ("service_id",),
    "phones": (
        "organization_id",
        "service_id",
        "location_id",
        "service_at_location_id",
        "contact_id",
    ),
    "schedules": ("service_id", "location_id", "service_at_location_id"),
    "service_areas": ("service_id", "service_at_location_id"),
    "languages": ("service_id", "location_id", "phone_id"),
    "contacts": ("organization_id", "service_id", "service_at_location_id", "location_id"),
    "urls": ("organization_id", "service_id"),
    "addresses": ("location_id",),
    "cost_options": ("service_id",),
    "service_capacities": ("service_id",),
    "attributes": ("link_id",),
}

# Tables of the rows a service owns, parents before children (the order inserts need).
OWNED_TABLES = (
    "services_at_location",
    "contacts",
    "phones",
    "schedules",
    "service_areas",
    "languages",
    "cost_options",
    "service_capacities",
    "urls",
    "attributes",
)
# Entities shared by records, parents before children.
SHARED_TABLES = ("taxonomies", "taxonomy_terms", "organizations", "units", "locations")
# What shared organizations and locations own, by child table.
SHARED_CHILDREN: dict[str, tuple[str, ...]] = {
    "organizations": ("phones",),
    "locations": ("addresses", "phones", "schedules", "languages"),
}

LINK_TYPES: dict[str, tuple[str, ...]] = {
    "service-type": ("service_type",),
    "attribute": ("diversion",),
    "payment": ("payment",),
    POPULATION: ("eligibility", "audience"),
}


def _columns(table: str) -> tuple[str, ...]:
    skip = NOT_IMPORTED | {"version"} if table in VERSIONED else NOT_IMPORTED
    return tuple(c.name for c in Base.metadata.tables[table].columns if c.name not in skip)


COLUMNS: dict[str, tuple[str, ...]] = {
    name: _columns(name) for name in (*SHARED_TABLES, "services", *OWNED_TABLES, "addresses")
}


def _max_lengths() -> dict[tuple[str, str], int]:
    lengths = {}
    for table in Base.metadata.tables.values():
        for column in table.columns:
            length = getattr(column.type, "length", None)
            if isinstance(length, int):
                lengths[(table.name, column.name)] = length
    for table_name, limits in TEXT_LIMITS.items():  # the editor's limits (validators)
        for column_name, limit in limits.items():
            key = (table_name, column_name)
            lengths[key] = min(limit, lengths.get(key, limit))
    return lengths


MAX_LENGTH = _max_lengths()


def empty_row(table: str) -> dict[str, Any]:
    """A row of ``table`` with every writable column set to None."""
    return dict.fromkeys(COLUMNS[table])


def row_sort_key(row: dict[str, Any]) -> tuple[int, str]:
    """Order of rows in a list: the publisher's position where kept, else by id."""
    return (row.get("position") or 0, row["id"])


# ---------------------------------------------------------------------------------------------
# Parsed data


@dataclass
class Shared:
    """An entity several records may share, as first seen in the file."""

    table: str
    id: str
    row: dict[str, Any]
    children: dict[str, list[dict[str, Any]]]
    record_index: int
    path: str
    # (table, id, path) of the rows in ``children``, for the file-wide duplicate-id check
    claims: list[tuple[str, str, str]] = field(default_factory=list)

    def canon(self) -> dict[str, Any]:
        """Everything the entity states, for comparing copies (and change records)."""
        return {**self.row, **self.children}


@dataclass(frozen=True)
class Reference:
    """A row a record points at without containing it; must exist in the file or database."""

    table: str
    id: str
    record_index: int
    record_id: str | None
    path: str


@dataclass
class ParsedRecord:
    index: int
    id: str
    service: dict[str, Any]
    rows: dict[str, list[dict[str, Any]]]


@dataclass
class ParsedFile:
    records: list[ParsedRecord] = field(default_factory=list)
    shared: dict[str, dict[str, Shared]] = field(
        default_factory=lambda: {table: {} for table in SHARED_TABLES}
    )
    references: list[Reference] = field(default_factory=list)
    issues: list[ImportIssue] = field(default_factory=list)
    # Problems that change nothing stored (a key that is not HSDS 3.1, hours the engine
    # cannot evaluate): reported, never refused.
    warnings: list[ImportIssue] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Value parsers: each returns the value to store or raises _InvalidError with a short message.


class _InvalidError(ValueError):
    pass


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise _InvalidError(f"must be a string, not {_json_type(value)}")
    return value


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def uuid_text(value: Any) -> str:
    if value.__class__ is str and _CANONICAL_UUID.fullmatch(value):
        return value  # already canonical: the common case, without building a UUID
    if not isinstance(value, str):
        raise _InvalidError(f"must be a UUID string, not {_json_type(value)}")
    try:
        return normalize_uuid(value)
    except ValueError:
        raise _InvalidError(f"{value!r} is not a UUID") from None


_URI_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def uri(value: Any) -> str:
    value = text(value)
    if not _URI_SCHEME.match(value) or any(c.isspace() for c in value):
        raise _InvalidError(f"{value!r} is not an absolute URI (such as https://example.org/)")
    try:
        urlsplit(value)
    except ValueError:
        raise _InvalidError(f"{value!r} is not an absolute URI") from None
    return value


def email(value: Any) -> str:
    """One e-mail address, checked as the editor checks it (``validators.email_address``)."""
    value = text(value)
    try:
        email_address(value)
    except ValueError as exc:
        raise _InvalidError(str(exc)) from None
    return value


def web(value: Any) -> str:
    """An http(s) web address with a host, as the editor wants (``validators.web_url``)."""
    value = text(value)
    try:
        web_url(value)
    except ValueError as exc:
        raise _InvalidError(str(exc)) from None
    return value


def one_of(*choices: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        value = text(value)
        if value not in choices:
            allowed = ", ".join(repr(c) for c in choices)
            raise _InvalidError(f"{value!r} is not one of {allowed}")
        return value

    return parse


def _whole_number(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _InvalidError(f"must be a whole number, not {_json_type(value)}")
    if isinstance(value, float) and not value.is_integer():
        raise _InvalidError(f"{value!r} is not a whole number")
    return int(value)


def non_negative_int(value: Any) -> int:
    number = _whole_number(value)
    if number < 0:
        raise _InvalidError(f"{number} is negative")
    return number


def positive_int(value: Any) -> int:
    number = _whole_number(value)
    if number < 1:
        raise _InvalidError(f"{number} is not a positive whole number")
    return number


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _InvalidError(f"must be a number, not {_json_type(value)}")
    return float(value)


def number_between(low: float, high: float) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        number = _number(value)
        if not low <= number <= high:
            raise _InvalidError(f"{value!r} is not between {low:g} and {high:g}")
        return number

    return parse


def amount(value: Any) -> Decimal:
    _number(value)
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise _InvalidError(f"{value!r} is not an amount") from None
    if abs(result) >= Decimal("1e10"):
        raise _InvalidError(f"{value!r} is too large")
    exponent = result.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise _InvalidError(f"{value!r} has more than 2 decimal places")
    return result


def extension(value: Any) -> str:
    """HSDS phone extensions are numbers; digit strings are accepted and kept as text."""
    if isinstance(value, str):
        if not value.isdigit():
            raise _InvalidError(f"{value!r} is not a number")
        return value
    return str(non_negative_int(value))


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def iso_date(value: Any) -> date:
    value = text(value)
    try:
        if not _DATE.match(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise _InvalidError(f"{value!r} is not a date YYYY-MM-DD") from None


_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def aware_datetime(value: Any) -> datetime:
    value = text(value)
    try:
        if not _DATE_TIME.match(value):
            raise ValueError
        parsed = datetime.fromisoformat(value)
    except ValueError:
        example = "2024-05-01T08:30:00-06:00"
        raise _InvalidError(f"{value!r} is not a date-time such as {example}") from None
    if parsed.tzinfo is None:
        raise _InvalidError(f"{value!r} has no UTC offset (add Z or an offset such as -06:00)")
    return parsed.astimezone(UTC)


_TIME = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?:Z|[+-](?:0\d|1[0-4]):[0-5]\d)?$")


def time_of_day(value: Any) -> str:
    """A wall-clock time ``HH:MM`` or ``HH:MM:SS`` (optionally with an offset), stored in one
    form: ``HH:MM`` when the seconds are ``00``, so ``08:00:00`` and ``08:00`` are the same
    value and re-importing either is no change."""
    value = text(value)
    if not _TIME.match(value):
        raise _InvalidError(f"{value!r} is not a time HH:MM")
    if value[5:8] == ":00":
        return value[:5] + value[8:]
    return value


_BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")


def byday(value: Any, freq: str | None) -> str:
    value = text(value)
    for part in value.split(","):
        match = _BYDAY.match(part)
        if not match:
            raise _InvalidError(f"{part!r} is not a day code (MO, TU, WE, TH, FR, SA, SU)")
        prefix = match.group(1)
        if prefix is None:
            continue
        if freq != "MONTHLY":
            raise _InvalidError(f"{part!r}: a numbered day needs freq MONTHLY")
        if not 1 <= abs(int(prefix)) <= 5:
            raise _InvalidError(f"{part!r}: the week number must be 1 to 5 or -1 to -5")
    return value


def bymonthday(value: Any) -> str:
    value = text(value)
    for part in value.split(","):
        try:
            day = int(part)
        except ValueError:
            day = 0
        if not part.strip() or part.strip() != part or day == 0 or not -31 <= day <= 31:
            raise _InvalidError(f"{part!r} is not a day of the month (1 to 31 or -1 to -31)")
    return value


Parser = Callable[[Any], Any]

# HSDS fields per table: column -> (parser, required). Field names equal column names.
TEXT: tuple[Parser, bool] = (text, False)
FIELDS: dict[str, dict[str, tuple[Parser, bool]]] = {
    "organizations": {
        "name": (text, True),
        "alternate_name": TEXT,
        "description": TEXT,
        "email": (email, False),
        "website": (web, False),
        "tax_status": TEXT,
        "tax_id": TEXT,
        "year_incorporated": (_whole_number, False),
        "legal_status": TEXT,
        "logo": TEXT,
        "uri": (uri, False),
        "parent_organization_id": (uuid_text, False),
    },
    "services": {
        "name": (text, True),
        "alternate_name": TEXT,
        "description": TEXT,
        "url": (web, False),
        "email": (email, False),
        "status": (one_of(*SERVICE_STATUSES), True),
        "interpretation_services": TEXT,
        "application_process": TEXT,
        "fees_description": TEXT,
        "eligibility_description": TEXT,
        "minimum_age": (non_negative_int, False),
        "maximum_age": (non_negative_int, False),
        "alert": TEXT,
        "assured_date": (iso_date, False),
        "assurer_email": (email, False),
        "program_id": (uuid_text, False),
        "wait_time": TEXT,
        "fees": TEXT,
        "accreditations": TEXT,
        "licenses": TEXT,
    },
    "locations": {
        "location_type": (one_of(*LOCATION_TYPES), True),
        "name": TEXT,
        "alternate_name": TEXT,
        "description": TEXT,
        "transportation": TEXT,
        "latitude": (number_between(-90, 90), False),
        "longitude": (number_between(-180, 180), False),
        "url": (web, False),
        "external_identifier": TEXT,
        "external_identifier_type": TEXT,
    },
    "addresses": {
        "attention": TEXT,
        "address_1": (text, True),
        "address_2": TEXT,
        "city": (text, True),
        "region": TEXT,
        "state_province": (text, True),
        "postal_code": (text, True),
        "country": (text, True),
        "address_type": (one_of(*LOCATION_TYPES), True),
    },
    "services_at_location": {"description": TEXT},
    "phones": {
        "number": (text, True),
        "extension": (extension, False),
        "type": TEXT,
        "description": TEXT,
    },
    "schedules": {
        "valid_from": (iso_date, False),
        "valid_to": (iso_date, False),
        "dtstart": (iso_date, False),
        "until": (iso_date, False),
        "count": (non_negative_int, False),
        "wkst": (one_of("MO", "TU", "WE", "TH", "FR", "SA", "SU"), False),
        "freq": (one_of("WEEKLY", "MONTHLY"), False),
        "interval": (positive_int, False),
        # byday is checked with freq, below
        "byweekno": TEXT,
        "bymonthday": (bymonthday, False),
        "byyearday": TEXT,
        "opens_at": (time_of_day, False),
        "closes_at": (time_of_day, False),
        "timezone": (number_between(-14, 14), False),
        "description": TEXT,
        "schedule_link": (uri, False),
        "attending_type": TEXT,
        "notes": TEXT,
    },
    "service_areas": {
        "name": TEXT,
        "description": TEXT,
        "extent": TEXT,
        "extent_type": TEXT,
        "uri": TEXT,
    },
    "languages": {"name": TEXT, "code": TEXT, "note": TEXT},
    "cost_options": {
        "valid_from": (iso_date, False),
        "valid_to": (iso_date, False),
        "option": TEXT,
        "currency": TEXT,
        "amount": (amount, False),
        "amount_description": TEXT,
    },
    "units": {
        "name": (text, True),
        "scheme": TEXT,
        "identifier": TEXT,
        "uri": (uri, False),
    },
    "service_capacities": {
        "available": (non_negative_int, True),
        "maximum": (non_negative_int, False),
        "description": TEXT,
        "updated": (aware_datetime, True),
    },
    "contacts": {"name": TEXT, "title": TEXT, "department": TEXT, "email": (email, False)},
    "urls": {"url": (web, True), "label": TEXT},
    "attributes": {"link_type": TEXT, "value": TEXT, "label": TEXT},
    "taxonomies": {
        "name": (text, True),
        "description": TEXT,
        "uri": (uri, False),
        "version": TEXT,
    },
    "taxonomy_terms": {
        "code": TEXT,
        "name": (text, True),
        "description": TEXT,
        "taxonomy": TEXT,
        "language": TEXT,
        "term_uri": (uri, False),
    },
}
# NOT NULL text columns HSDS lets a publisher leave out.
DEFAULTS: dict[str, dict[str, Any]] = {
    "organizations": {"description": ""},
    "taxonomies": {"description": ""},
    "taxonomy_terms": {"description": ""},
}

# (column, parser, required, maximum length) per table, for the hot loop.
_FIELD_SPECS: dict[str, list[tuple[str, Parser, bool, int | None]]] = {
    table: [(name, parse, req, MAX_LENGTH.get((table, name))) for name, (parse, req) in f.items()]
    for table, f in FIELDS.items()
}


# Schedule fields ``ScheduleRule.from_mapping`` reads, and its verdicts ((field, message) or
# None) on recent schedules, keyed by those values as parsed (text, dates, ints, floats).
_RULE_FIELDS = (
    "freq",
    "byday",
    "bymonthday",
    "opens_at",
    "closes_at",
    "valid_from",
    "valid_to",
    "dtstart",
    "until",
    "interval",
    "description",
    "count",
    "wkst",
    "timezone",
    "byweekno",
    "byyearday",
)
_HOURS_VERDICTS: dict[tuple[Any, ...], tuple[str, str] | None] = {}
_HOURS_VERDICTS_MAX = 4096


# The same per table by field name, and the required fields.
_FIELDS_BY_NAME: dict[str, dict[str, tuple[Parser, bool, int | None]]] = {
    table: {name: (parse, req, limit) for name, parse, req, limit in specs}
    for table, specs in _FIELD_SPECS.items()
}
_REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    table: tuple(name for name, (_parse, req) in f.items() if req) for table, f in FIELDS.items()
}

# ---------------------------------------------------------------------------------------------
# One record


class _RecordParser:
    """Parses one compiled service; problems go to ``issues``, shared entities to ``shared``."""

    def __init__(self, index: int, vocab: Vocabulary) -> None:
        self.index = index
        self.vocab = vocab
        self.record_id: str | None = None
        self.service_id: str | None = None
        self.issues: list[ImportIssue] = []
        self.warnings: list[ImportIssue] = []
        self.rows: dict[str, list[dict[str, Any]]] = {table: [] for table in OWNED_TABLES}
        # (table, id, path) of every row the service owns, for the file-wide duplicate check;
        # a shared entity keeps its own (see ``Shared.claims``), counted once per file.
        self.claims: list[tuple[str, str, str]] = []
        self.shared: list[Shared] = []
        self.references: list[Reference] = []

    # -- plumbing

    def error(self, path: str, message: str) -> None:
        self.issues.append(ImportIssue(self.record_id, self.index, path, message))

    def warning(self, path: str, message: str) -> None:
        self.warnings.append(
            ImportIssue(self.record_id, self.index, path, message, severity="warning")
        )

    def keep_extra(self, table: str, obj: dict[str, Any], path: str, row: dict[str, Any]) -> None:
        """The object's other HSDS 3.1 fields into ``hsds_extra`` (module ``hsds.extra``);
        a key that is not an HSDS field is reported as a warning naming it."""
        row["hsds_extra"], unknown = split_extra(table, obj, _FIELDS_BY_NAME[table].keys())
        for key in unknown:
            self.warning(f"{path}.{key}", "is not an HSDS 3.1 field; not kept")

    def value(
        self, obj: dict[str, Any], key: str, path: str, parse: Parser, required: bool = False
    ) -> Any:
        raw = obj.get(key)
        if raw is None:
            if required:
                self.error(f"{path}.{key}", "is required")
            return None
        try:
            result = parse(raw)
        except _InvalidError as exc:
            self.error(f"{path}.{key}", str(exc))
            return None
        if required and result.__class__ is str and not result.strip():
            self.error(f"{path}.{key}", "must not be empty")
        return result

    def identifier(self, obj: dict[str, Any], path: str) -> str | None:
        raw = obj.get("id")
        if raw.__class__ is str and _CANONICAL_UUID.fullmatch(raw):
            return raw  # the common case, without the general checks
        return self.value(obj, "id", path, uuid_text, required=True)

    def columns(self, table: str, obj: dict[str, Any], path: str) -> dict[str, Any]:
        """The HSDS fields of ``table`` in ``obj``, parsed (this is the hot loop of a big file).

        Looks only at the keys ``obj`` has; at the first problem it starts over in
        :meth:`checked_columns`, which names every problem in field order."""
        specs = _FIELDS_BY_NAME[table]
        row = dict.fromkeys(COLUMNS[table])
        for name, raw in obj.items():
            spec = specs.get(name)
            if spec is None or raw is None:
                continue
            parse, required, limit = spec
            if parse is text:
                if raw.__class__ is not str:
                    return self.checked_columns(table, obj, path)
                result = raw
            else:
                try:
                    result = parse(raw)
                except _InvalidError:
                    return self.checked_columns(table, obj, path)
            if result.__class__ is str and (
                (limit is not None and len(result) > limit) or (required and not result.strip())
            ):
                return self.checked_columns(table, obj, path)
            row[name] = result
        for name in _REQUIRED_FIELDS[table]:
            if row[name] is None:
                return self.checked_columns(table, obj, path)
        for name, default in DEFAULTS.get(table, {}).items():
            if row[name] is None:
                row[name] = default
        self.keep_extra(table, obj, path, row)
        return row

    def checked_columns(self, table: str, obj: dict[str, Any], path: str) -> dict[str, Any]:
        """:meth:`columns`, reporting every problem of ``obj`` in the order of ``FIELDS``."""
        row = empty_row(table)
        for name, parse, required, limit in _FIELD_SPECS[table]:
            raw = obj.get(name)
            if raw is None:
                if required:
                    self.error(f"{path}.{name}", "is required")
                continue
            try:
                result = parse(raw)
            except _InvalidError as exc:
                self.error(f"{path}.{name}", str(exc))
                continue
            if result.__class__ is str:
                if limit is not None and len(result) > limit:
                    self.error(f"{path}.{name}", f"is longer than {limit} characters")
                elif required and not result.strip():
                    self.error(f"{path}.{name}", "must not be empty")
            row[name] = result
        for name, default in DEFAULTS.get(table, {}).items():
            if row[name] is None:
                row[name] = default
        self.keep_extra(table, obj, path, row)
        return row

    def items(self, obj: dict[str, Any], key: str, path: str) -> Iterator[tuple[int, dict, str]]:
        raw = obj.get(key)
        if raw is None:
            return
        if not isinstance(raw, list):
            self.error(f"{path}.{key}", f"must be an array, not {_json_type(raw)}")
            return
        for i, item in enumerate(raw):
            item_path = f"{path}.{key}[{i}]"
            if isinstance(item, dict):
                yield i, item, item_path
            else:
                self.error(item_path, f"must be an object, not {_json_type(item)}")

    def nested(self, obj: dict[str, Any], key: str, path: str, required: bool) -> dict | None:
        raw = obj.get(key)
        if raw is None:
            if required:
                self.error(f"{path}.{key}", "is required")
            return None
        if not isinstance(raw, dict):
            self.error(f"{path}.{key}", f"must be an object, not {_json_type(raw)}")
            return None
        return raw

    def same_id(self, obj: dict[str, Any], key: str, path: str, expected: str | None) -> None:
        """A redundant id field (``service_id`` inside a nested phone) must agree."""
        raw = obj.get(key)
        if expected is None or raw is None or raw == expected:
            return
        given = self.value(obj, key, path, uuid_text)
        if given is not None and given != expected:
            self.error(f"{path}.{key}", f"{given} does not match the enclosing id {expected}")

    def owned(
        self, table: str, obj: dict[str, Any], path: str, owner: dict[str, str | None], into: list
    ) -> dict[str, Any] | None:
        """A row owned by ``owner`` ({column: id}); checks redundant owner ids."""
        row_id = self.identifier(obj, path)
        row = self.columns(table, obj, path)
        for column, owner_id in owner.items():
            self.same_id(obj, column, path, owner_id)
            row[column] = owner_id
        if row_id is None:
            return None
        row["id"] = row_id
        into.append(row)
        self.claims.append((table, row_id, path))
        return row

    # -- the objects

    def service(self, data: dict[str, Any]) -> ParsedRecord | None:
        path = "service"
        raw_id = data.get("id")
        self.record_id = str(raw_id) if raw_id is not None else None
        service_id = self.identifier(data, path)
        if service_id is not None:
            self.record_id = self.service_id = service_id
        row = self.columns("services", data, path)
        row["id"] = service_id
        low, high = row["minimum_age"], row["maximum_age"]
        if low is not None and high is not None and low > high:
            self.error(f"{path}.maximum_age", f"{high} is below minimum_age {low}")

        org = self.nested(data, "organization", path, required=True)
        org_id = self.organization(org, f"{path}.organization") if org is not None else None
        self.same_id(data, "organization_id", path, org_id)
        row["organization_id"] = org_id

        owner = {"service_id": service_id}
        for _i, item, item_path in self.items(data, "service_at_locations", path):
            self.service_at_location(item, item_path, service_id)
        self.phones(data, path, owner)
        self.schedules(data, path, owner)
        self.service_areas(data, path, owner)
        self.languages(data, path, owner, self.rows["languages"])
        for _i, item, item_path in self.items(data, "cost_options", path):
            cost = self.owned("cost_options", item, item_path, owner, self.rows["cost_options"])
            if cost is not None:
                self.check_period(cost, item_path)
        for _i, item, item_path in self.items(data, "capacities", path):
            self.capacity(item, item_path, service_id)
        for _i, item, item_path in self.items(data, "contacts", path):
            contact = self.owned("contacts", item, item_path, owner, self.rows["contacts"])
            contact_id = contact["id"] if contact else None
            self.phones(item, item_path, {"contact_id": contact_id})
        for _i, item, item_path in self.items(data, "additional_urls", path):
            self.owned("urls", item, item_path, owner, self.rows["urls"])
        for i, item, item_path in self.items(data, "attributes", path):
            self.attribute(item, item_path, service_id, i)

        if service_id is None or self.issues:
            return None
        return ParsedRecord(self.index, service_id, row, self.rows)

    def organization(self, obj: dict[str, Any], path: str) -> str | None:
        org_id = self.identifier(obj, path)
        row = self.columns("organizations", obj, path)
        service_claims, self.claims = self.claims, []
        phones: list[dict[str, Any]] = []
        self.phones(obj, path, {"organization_id": org_id}, phones)
        claims, self.claims = self.claims, service_claims
        return self.share("organizations", org_id, row, {"phones": phones}, path, claims)

    def location(self, obj: dict[str, Any], path: str) -> str | None:
        location_id = self.identifier(obj, path)
        row = self.columns("locations", obj, path)
        org_id = self.value(obj, "organization_id", path, uuid_text)
        row["organization_id"] = org_id
        if org_id is not None:
            self.refer("organizations", org_id, f"{path}.organization_id")
        owner = {"location_id": location_id}
        service_claims, self.claims = self.claims, []
        addresses: list[dict[str, Any]] = []
        for _i, item, item_path in self.items(obj, "addresses", path):
            self.owned("addresses", item, item_path, owner, addresses)
        phones: list[dict[str, Any]] = []
        self.phones(obj, path, owner, phones)
        schedules: list[dict[str, Any]] = []
        self.schedules(obj, path, owner, schedules)
        languages: list[dict[str, Any]] = []
        self.languages(obj, path, owner, languages)
        children = {
            "addresses": addresses,
            "phones": phones,
            "schedules": schedules,
            "languages": languages,
        }
        claims, self.claims = self.claims, service_claims
        return self.share("locations", location_id, row, children, path, claims)

    def service_at_location(self, obj: dict[str, Any], path: str, service_id: str | None) -> None:
        sal = self.owned(
            "services_at_location",
            obj,
            path,
            {"service_id": service_id},
            self.rows["services_at_location"],
        )
        location_id = None
        nested = self.nested(obj, "location", path, required=False)
        if nested is not None:
            location_id = self.location(nested, f"{path}.location")
            self.same_id(obj, "location_id", path, location_id)
        elif obj.get("location_id") is not None:
            location_id = self.value(obj, "location_id", path, uuid_text)
            if location_id is not None:
                self.refer("locations", location_id, f"{path}.location_id")
        else:
            self.error(f"{path}.location", "is required (or location_id)")
        sal_id = None
        if sal is not None:
            sal["location_id"] = location_id
            sal_id = sal["id"]
        owner = {"service_at_location_id": sal_id}
        self.phones(obj, path, owner)
        self.schedules(obj, path, owner)
        self.service_areas(obj, path, owner)

    def phones(
        self,
        obj: dict[str, Any],
        path: str,
        owner: dict[str, str | None],
        into: list[dict[str, Any]] | None = None,
    ) -> None:
        into = self.rows["phones"] if into is None else into
        for i, item, item_path in self.items(obj, "phones", path):
            phone = self.owned("phones", item, item_path, owner, into)
            if phone is not None:
                phone["position"] = i

    def schedules(
        self,
        obj: dict[str, Any],
        path: str,
        owner: dict[str, str | None],
        into: list[dict[str, Any]] | None = None,
    ) -> None:
        into = self.rows["schedules"] if into is None else into
        for i, item, item_path in self.items(obj, "schedules", path):
            schedule = self.owned("schedules", item, item_path, owner, into)
            freq = item.get("freq") if isinstance(item.get("freq"), str) else None
            days = self.value(item, "byday", item_path, partial(byday, freq=freq))
            if schedule is None:
                continue
            schedule["byday"] = days
            schedule["position"] = i
            self.check_period(schedule, item_path)
            if not self.issues_for(item_path):
                self.check_hours(schedule, item_path)

    def check_hours(self, schedule: dict[str, Any], path: str) -> None:
        """Refuse a schedule the hours engine cannot read: it would show as "hours unknown"
        forever, and a service shown as open must be open. The verdict depends only on the
        values the rule reads, so it is remembered for repeated schedules (most of a file)."""
        key = tuple([schedule.get(name) for name in _RULE_FIELDS])
        try:
            verdict = _HOURS_VERDICTS[key]
        except KeyError:
            verdict = None
            try:
                ScheduleRule.from_mapping(schedule)
            except ScheduleError as exc:
                verdict = (exc.field, exc.message)
            if len(_HOURS_VERDICTS) >= _HOURS_VERDICTS_MAX:
                _HOURS_VERDICTS.clear()
            _HOURS_VERDICTS[key] = verdict
        except TypeError:  # an unhashable value: check it afresh
            try:
                ScheduleRule.from_mapping(schedule)
            except ScheduleError as exc:
                verdict = (exc.field, exc.message)
            else:
                verdict = None
        if verdict is not None and verdict[0] in ("byweekno", "byyearday"):
            # Valid HSDS the hours engine cannot evaluate: kept, shown as hours unknown.
            self.warning(
                f"{path}.{verdict[0]}",
                "the hours engine cannot evaluate it; kept, and the service shows hours unknown",
            )
        elif verdict is not None:
            self.error(f"{path}.{verdict[0]}", verdict[1])

    def service_areas(self, obj: dict[str, Any], path: str, owner: dict[str, str | None]) -> None:
        for _i, item, item_path in self.items(obj, "service_areas", path):
            area = self.owned("service_areas", item, item_path, owner, self.rows["service_areas"])
            if area is None:
                continue
            extent_type = area["extent_type"]
            if area["extent"] is not None and extent_type and extent_type.lower() == "geojson":
                try:
                    bounds = geojson_bounds(area["extent"])
                except _InvalidError as exc:
                    self.error(f"{item_path}.extent", str(exc))
                else:
                    area["min_lon"], area["min_lat"], area["max_lon"], area["max_lat"] = bounds

    def languages(
        self, obj: dict[str, Any], path: str, owner: dict[str, str | None], into: list
    ) -> None:
        for i, item, item_path in self.items(obj, "languages", path):
            language = self.owned("languages", item, item_path, owner, into)
            if language is not None:
                language["position"] = i

    def capacity(self, obj: dict[str, Any], path: str, service_id: str | None) -> None:
        capacity = self.owned(
            "service_capacities",
            obj,
            path,
            {"service_id": service_id},
            self.rows["service_capacities"],
        )
        unit = self.nested(obj, "unit", path, required=True)
        unit_id = None
        if unit is not None:
            unit_path = f"{path}.unit"
            unit_id = self.identifier(unit, unit_path)
            self.share("units", unit_id, self.columns("units", unit, unit_path), {}, unit_path)
            self.same_id(obj, "unit_id", path, unit_id)
        if capacity is None:
            return
        capacity["unit_id"] = unit_id
        available, maximum = capacity["available"], capacity["maximum"]
        if available is not None and maximum is not None and available > maximum:
            self.error(f"{path}.available", f"{available} is above maximum {maximum}")

    def attribute(self, obj: dict[str, Any], path: str, service_id: str | None, i: int) -> None:
        attribute = self.owned("attributes", obj, path, {}, self.rows["attributes"])
        link_entity = self.value(obj, "link_entity", path, text)
        if link_entity is not None and link_entity != "service":
            self.error(f"{path}.link_entity", f"{link_entity!r} must be 'service' here")
        self.same_id(obj, "link_id", path, service_id)
        term_id = self.term_of(obj, path, attribute)
        if attribute is None:
            return
        attribute.update(
            link_id=service_id, link_entity="service", taxonomy_term_id=term_id, position=i
        )

    def term_of(
        self, obj: dict[str, Any], path: str, attribute: dict[str, Any] | None
    ) -> str | None:
        """The id of the term an attribute links to; PMHC terms by id or taxonomy + code."""
        given_id = self.value(obj, "taxonomy_term_id", path, uuid_text)
        term = self.nested(obj, "taxonomy_term", path, required=False)
        term_path = f"{path}.taxonomy_term"
        if term is None:
            if given_id is None:
                if obj.get("taxonomy_term_id") is None:
                    self.error(term_path, "is required (or taxonomy_term_id)")
                return None
            known = self.vocab.term_by_id(given_id)
            if known is not None:
                self.check_link_type(known, obj, path, attribute)
                return known.id
            self.refer("taxonomy_terms", given_id, f"{path}.taxonomy_term_id")
            return given_id
        nested_id = self.identifier(term, term_path)
        if given_id is not None and nested_id is not None and given_id != nested_id:
            self.error(f"{path}.taxonomy_term_id", f"{given_id} does not match taxonomy_term.id")
        term_id = nested_id or given_id
        pmhc = self.pmhc_term(term, term_path, term_id)
        if pmhc is not None:
            self.check_link_type(pmhc, obj, path, attribute)
            return pmhc.id
        if self.issues_for(term_path):
            return None
        self.external_term(term, term_path, term_id)
        return term_id

    def issues_for(self, path: str) -> bool:
        return any(issue.field.startswith(path) for issue in self.issues)

    def pmhc_term(self, term: dict[str, Any], path: str, term_id: str | None) -> Term | None:
        """The PMHC term a nested taxonomy_term names, None when it is external or wrong."""
        vocab = self.vocab
        code = term.get("code")
        known = vocab.term_by_id(term_id) if term_id else None
        if known is not None:
            if code is not None and code != known.code:
                self.error(f"{path}.code", f"{code!r} is not the code of PMHC term {term_id}")
            return known
        key = self.pmhc_taxonomy_key(term)
        if key is None:
            return None
        if code is None:
            self.error(f"{path}.code", f"is required for a term of the PMHC {key} taxonomy")
            return None
        found = vocab.find(key, code) if isinstance(code, str) else None
        if found is None:
            self.error(f"{path}.code", f"unknown {key} code {code!r}")
        return found

    def pmhc_taxonomy_key(self, term: dict[str, Any]) -> str | None:
        """The PMHC taxonomy a term belongs to, from taxonomy_id / taxonomy_detail / taxonomy."""
        ids = [term.get("taxonomy_id")]
        detail = term.get("taxonomy_detail")
        if isinstance(detail, dict):
            ids.append(detail.get("id"))
        named_ids = False
        for raw in ids:
            if not isinstance(raw, str):
                continue
            named_ids = True
            try:
                info = self.vocab.taxonomy_by_id(normalize_uuid(raw))
            except ValueError:
                continue
            if info is not None:
                return info.key
        # A free-text taxonomy name counts only when no other taxonomy is named by id.
        name = term.get("taxonomy")
        if not named_ids and isinstance(name, str) and name in self.vocab.taxonomies:
            return name
        return None

    def check_link_type(
        self, term: Term, obj: dict[str, Any], path: str, attribute: dict[str, Any] | None
    ) -> None:
        if term.taxonomy == NEED:
            self.error(f"{path}.taxonomy_term", "need terms are never attached to services")
            return
        allowed = LINK_TYPES.get(term.taxonomy, ())
        link_type = obj.get("link_type")
        if link_type is None:
            if len(allowed) != 1:
                choices = " or ".join(repr(a) for a in allowed)
                self.error(f"{path}.link_type", f"is required for {term.taxonomy}: {choices}")
            elif attribute is not None:
                attribute["link_type"] = allowed[0]
        elif isinstance(link_type, str) and link_type not in allowed:
            choices = " or ".join(repr(a) for a in allowed)
            self.error(f"{path}.link_type", f"{link_type!r} must be {choices} for {term.taxonomy}")

    def external_term(self, term: dict[str, Any], path: str, term_id: str | None) -> None:
        row = self.columns("taxonomy_terms", term, path)
        parent_id = self.value(term, "parent_id", path, uuid_text)
        if parent_id is not None:
            row["parent_id"] = parent_id
            if self.vocab.term_by_id(parent_id) is None:
                self.refer("taxonomy_terms", parent_id, f"{path}.parent_id")
        taxonomy_id = self.value(term, "taxonomy_id", path, uuid_text)
        detail = self.nested(term, "taxonomy_detail", path, required=False)
        if detail is not None:
            detail_path = f"{path}.taxonomy_detail"
            detail_id = self.identifier(detail, detail_path)
            taxonomy_row = self.columns("taxonomies", detail, detail_path)
            self.share("taxonomies", detail_id, taxonomy_row, {}, detail_path)
            if taxonomy_id is not None and detail_id is not None and taxonomy_id != detail_id:
                message = f"{taxonomy_id} does not match taxonomy_detail.id"
                self.error(f"{path}.taxonomy_id", message)
            taxonomy_id = detail_id or taxonomy_id
        elif taxonomy_id is not None:
            self.refer("taxonomies", taxonomy_id, f"{path}.taxonomy_id")
        row["taxonomy_id"] = taxonomy_id
        self.share("taxonomy_terms", term_id, row, {}, path)

    def check_period(self, row: dict[str, Any], path: str) -> None:
        start, end = row.get("valid_from"), row.get("valid_to")
        if start is not None and end is not None and start > end:
            self.error(f"{path}.valid_to", f"{end.isoformat()} is before valid_from")

    # -- sharing and references

    def share(
        self,
        table: str,
        entity_id: str | None,
        row: dict[str, Any],
        children: dict[str, list[dict[str, Any]]],
        path: str,
        claims: list[tuple[str, str, str]] | None = None,
    ) -> str | None:
        if entity_id is None:
            return None
        row["id"] = entity_id
        for rows in children.values():
            rows.sort(key=row_sort_key)
        shared = Shared(table, entity_id, row, children, self.index, path, claims or [])
        self.shared.append(shared)
        return entity_id

    def refer(self, table: str, entity_id: str, path: str) -> None:
        self.references.append(Reference(table, entity_id, self.index, self.record_id, path))


def geojson_bounds(extent: str) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) of a GeoJSON Polygon or MultiPolygon string."""
    try:
        geometry = json.loads(extent)
    except ValueError as exc:
        raise _InvalidError(f"is not GeoJSON: {exc}") from None
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in ("Polygon", "MultiPolygon"):
        raise _InvalidError(f"must be a GeoJSON Polygon or MultiPolygon, not {kind or 'that'}")
    try:
        shape = shapely.geometry.shape(geometry)
        empty = shape.is_empty
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, GEOSException) as exc:
        raise _InvalidError(f"has unreadable {kind} coordinates ({exc})") from None
    if empty:
        raise _InvalidError(f"is an empty {kind}")
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in shape.bounds)
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise _InvalidError("has coordinates outside longitude -180..180 / latitude -90..90")
    return min_lon, min_lat, max_lon, max_lat


# ---------------------------------------------------------------------------------------------
# The whole file


def parse_services(
    records: Iterable[Any],
    vocab: Vocabulary | None = None,
    advance: Callable[[int], None] | None = None,
    *,
    keep_sound: bool = False,
) -> ParsedFile:
    """Check every record; the parsed data plus every issue found (no records when any, or
    with ``keep_sound`` (``--on-error skip``) the records that have no issue of their own).

    Checks here need no database; the importer then looks ``references`` up there.
    """
    vocab = vocab or vocabulary()
    result = ParsedFile()
    service_ids: dict[str, int] = {}
    claimed: dict[tuple[str, str], tuple[int, str]] = {}
    for index, data in enumerate(records):
        if advance is not None:
            advance(1)
        if not isinstance(data, dict):
            message = f"must be an HSDS service object, not {_json_type(data)}"
            result.issues.append(ImportIssue(None, index, "service", message))
            continue
        parser = _RecordParser(index, vocab)
        record = parser.service(data)
        issues = parser.issues
        record_id = parser.record_id
        if parser.service_id is not None:
            first = service_ids.setdefault(parser.service_id, index)
            if first != index:
                message = f"duplicate service id: also record {first + 1}"
                issues.append(ImportIssue(record_id, index, "service.id", message))
        claims = list(parser.claims)
        for shared in parser.shared:
            if _merge_shared(result, shared, record_id, issues):
                claims.extend(shared.claims)
        for table, row_id, path in claims:
            first_use = claimed.setdefault((table, row_id), (index, path))
            if first_use != (index, path):
                where = "" if first_use[0] == index else f"record {first_use[0] + 1}, "
                message = f"duplicate id {row_id}: also used at {where}{first_use[1]}"
                issues.append(ImportIssue(record_id, index, f"{path}.id", message))
        result.references.extend(parser.references)
        result.issues.extend(issues)
        result.warnings.extend(parser.warnings)
        if record is not None and not issues:
            result.records.append(record)
    if result.issues and not keep_sound:
        result.records.clear()
    return result


def _merge_shared(
    result: ParsedFile, shared: Shared, record_id: str | None, issues: list[ImportIssue]
) -> bool:
    """Keep the first copy of a shared entity; True when this is it. Copies must agree."""
    known = result.shared[shared.table]
    first = known.setdefault(shared.id, shared)
    if first is shared:
        return True
    difference = _first_difference(first.canon(), shared.canon())
    if difference is not None:
        where = (
            "the same record"
            if first.record_index == shared.record_index
            else f"record {first.record_index + 1}"
        )
        issues.append(
            ImportIssue(
                record_id,
                shared.record_index,
                f"{shared.path}.{difference}",
                f"differs from the copy of {_SINGULAR[shared.table]} {shared.id} in {where}"
                " (a shared object must be the same wherever it appears)",
            )
        )
    return False


_SINGULAR = {
    "organizations": "organization",
    "locations": "location",
    "units": "unit",
    "taxonomies": "taxonomy",
    "taxonomy_terms": "taxonomy term",
}


def _first_difference(first: dict[str, Any], other: dict[str, Any]) -> str | None:
    for key in first:
        if first[key] != other.get(key):
            return key
    return None
