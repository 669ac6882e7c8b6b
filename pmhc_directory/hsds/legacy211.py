"""``hsds1-csv``: an HSDS 1.0 / 1.1 tabular export (as 211 systems write them) -> HSDS 3.1.

The package is a folder or a ``.zip`` of CSV files (file names are matched without regard to
case, in any sub-folder; HSDS 1.0 singular names such as ``organization.csv`` work too). Only
``organizations.csv`` and ``services.csv`` are required. What is read
(docs/import-211-and-samhsa.md):

* organizations, services, locations, services_at_location, physical_addresses,
  postal_addresses, phones, regular_schedules, holiday_schedules, eligibility, languages,
  accessibility_for_disabilities, service_area(s), payment_accepted, services_taxonomy and
  taxonomy;
* the HSDS 1.1 columns HSDS 3.1 keeps as they are: organizations' tax_status, tax_id,
  year_incorporated (its year) and legal_status; services' wait_time, accreditations and
  licenses;
* ignored: programs (and services' program_id), contacts (names of staff), funding,
  required_documents, metadata, meta_table_description.

Ids: every id is mapped to ``uuid5(NAMESPACE, "<table>:<original id>")`` (table as in the
HSDS 1.1 file name without ``.csv``: ``services:233``), so importing the same export again
updates the same services. Rows without an id get one from their owner and content.

The result is a list of compiled HSDS 3.1 services exactly as ``hsds-json`` holds them, for
``services.imports``. Every problem is collected and raised at the end as one ``ReadFailed``;
each issue names the file, the spreadsheet row (the header is row 1), the original id, the
column and the text. Nothing unreadable is dropped silently.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .. import validators
from ..hours.freeform import (
    FreeformError,
    Window,
    covers_whole_week,
    parse_bool,
    parse_date,
    parse_days,
    parse_hours,
)
from ..taxonomy import ATTRIBUTE, PAYMENT, POPULATION, SERVICE_TYPE, Term, Vocabulary, vocabulary
from .bounded import check_zip_size
from .errors import ImportIssue, ProblemLog, ReadFailed
from .sample import FileSample
from .taxonomy_map import TaxonomyMap, read_taxonomy_map

__all__ = ["NAMESPACE", "looks_like_hsds1", "read_hsds1_package", "stable_id", "uuid5"]

#: Namespace of the uuid5 ids given to HSDS 1.x rows (documented; never change it).
NAMESPACE = uuid.UUID("98b06d75-e996-45a7-9c5a-6a40ce894cf9")

Row = dict[str, str]
Obj = dict[str, Any]


def _uuid5(prefix: bytes, name: str) -> str:
    digest = bytearray(hashlib.sha1(prefix + name.encode(), usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def uuid5(namespace: uuid.UUID, name: str) -> str:
    """``str(uuid.uuid5(namespace, name))``, about three times faster (imports make many)."""
    return _uuid5(namespace.bytes, name)


_PREFIX = NAMESPACE.bytes


def stable_id(table: str, original: str) -> str:
    """The uuid5 id of row ``original`` of ``table`` (``stable_id("services", "233")``)."""
    return _uuid5(_PREFIX, f"{table}:{original}")


# ---------------------------------------------------------------------------------------------
# Problems


class Issues:
    """Problems found while reading, each named by file, row, original id and column."""

    def __init__(self) -> None:
        self.items: list[ImportIssue] = []

    def add(
        self,
        file: str,
        row: int | None,
        column: str,
        message: str,
        original_id: str = "",
        *,
        action: str = "refused",
    ) -> ImportIssue:
        """Record a problem; ``action`` is what ``--on-error skip`` does about it."""
        where = file if row is None else f"{file} row {row}"
        if original_id:
            where += f", id {original_id}"
        path = f"{where}, {column}" if column else where
        severity = "error" if action in ("skipped", "refused") else "warning"
        issue = ImportIssue(
            original_id or None, -1, path, message, severity, action, file, row, column
        )
        self.items.append(issue)
        return issue

    def extend(self, issues: Iterable[ImportIssue]) -> None:
        self.items.extend(issues)

    def __bool__(self) -> bool:
        return bool(self.items)


# ---------------------------------------------------------------------------------------------
# CSV files


@dataclass
class Table:
    """One CSV file: lower-case headers, stripped cells, spreadsheet row numbers."""

    name: str  # file name as found, for messages
    header: list[str]
    rows: list[tuple[int, Row]]

    def has(self, column: str) -> bool:
        return column in self.header


def decode(data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark); otherwise Windows-1252, which is what
    spreadsheet programs on Windows write. Raises UnicodeDecodeError when neither fits."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def read_table(name: str, data: bytes) -> Table:
    """Parse a CSV file; raises ValueError with a readable reason."""
    try:
        text = decode(data)
    except UnicodeDecodeError:
        raise ValueError("is neither UTF-8 nor Windows-1252 text") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        raw_header = next(reader, [])
        header = [re.sub(r"\s+", "_", h.strip().lower()) for h in raw_header]
        rows = []
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            row = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}
            rows.append((number, row))
    except csv.Error as exc:
        raise ValueError(f"is not a readable CSV file ({exc})") from None
    if not any(header):
        raise ValueError("is empty (no header row)")
    return Table(name, header, rows)


# HSDS 1.x tables: accepted file names (first is the HSDS 1.1 name) and required columns.
@dataclass(frozen=True)
class Spec:
    names: tuple[str, ...]
    required: tuple[str, ...]
    owners: tuple[str, ...] = ()  # at least one of these columns must exist


SPECS: dict[str, Spec] = {
    "organizations": Spec(("organizations", "organization"), ("id", "name")),
    "services": Spec(("services", "service"), ("id", "organization_id", "name")),
    "locations": Spec(("locations", "location"), ("id",)),
    "services_at_location": Spec(
        ("services_at_location", "service_at_location", "services_at_locations"),
        ("service_id", "location_id"),
    ),
    "physical_addresses": Spec(
        ("physical_addresses", "physical_address"),
        ("location_id", "address_1", "city", "state_province", "postal_code"),
    ),
    "postal_addresses": Spec(
        ("postal_addresses", "postal_address"),
        ("location_id", "address_1", "city", "state_province", "postal_code"),
    ),
    "phones": Spec(
        ("phones", "phone"),
        ("number",),
        ("service_id", "location_id", "organization_id", "service_at_location_id"),
    ),
    "regular_schedules": Spec(
        ("regular_schedules", "regular_schedule"),
        ("weekday", "opens_at"),
        ("service_id", "location_id", "service_at_location_id"),
    ),
    "holiday_schedules": Spec(
        ("holiday_schedules", "holiday_schedule"),
        ("start_date", "closed"),
        ("service_id", "location_id", "service_at_location_id"),
    ),
    "eligibility": Spec(("eligibility", "eligibilities"), ("service_id", "eligibility")),
    "languages": Spec(("languages", "language"), ("language",), ("service_id", "location_id")),
    "accessibility_for_disabilities": Spec(
        ("accessibility_for_disabilities", "accessibility"), ("location_id", "accessibility")
    ),
    "service_area": Spec(("service_area", "service_areas"), ("service_id", "service_area")),
    "payment_accepted": Spec(("payment_accepted", "payments_accepted"), ("service_id", "payment")),
    "services_taxonomy": Spec(
        ("services_taxonomy", "service_taxonomy", "services_taxonomies"),
        ("service_id", "taxonomy_id"),
    ),
    "taxonomy": Spec(("taxonomy", "taxonomies", "taxonomy_terms"), ("id", "name")),
}
REQUIRED_FILES = ("organizations", "services")
# HSDS 1.0 named the schedule's location column "location".
COLUMN_ALIASES = {"location": "location_id", "number_type": "type"}


def _rename_aliases(table: Table) -> None:
    for alias, column in COLUMN_ALIASES.items():
        if alias in table.header and column not in table.header:
            table.header[table.header.index(alias)] = column
            for _, row in table.rows:
                row[column] = row.pop(alias)


def read_package(path: Path, issues: Issues) -> dict[str, Table]:
    """The HSDS 1.x tables of a folder or zip, by table name (absent optional files left out)."""
    files = _package_files(path, issues)
    if files is None:
        return {}
    tables: dict[str, Table] = {}
    for table, spec in SPECS.items():
        parsed = _package_table(table, spec, files, issues)
        if parsed is not None:
            tables[table] = parsed
    return tables


_PackageFiles = dict[str, list[tuple[str, bytes]]]


def _package_files(path: Path, issues: Issues) -> _PackageFiles | None:
    """The package's CSV files as (name in the package, bytes), by lower-cased file stem.

    None (with the reason in ``issues``) when ``path`` is neither a folder nor a readable zip,
    or the zip is too large.
    """
    files: _PackageFiles = defaultdict(list)
    try:
        if path.is_dir():
            _folder_files(path, files)
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                try:
                    check_zip_size(archive, path.name)
                except ReadFailed as exc:
                    issues.extend(exc.issues)
                    return None
                _zip_files(archive, files)
        else:
            issues.add(path.name, None, "", "is neither a folder nor a .zip of HSDS 1.x CSV files")
            return None
    except (OSError, zipfile.BadZipFile) as exc:
        issues.add(path.name, None, "", f"cannot be read: {exc}")
        return None
    return files


def _folder_files(path: Path, files: _PackageFiles) -> None:
    """Adds every ``.csv`` file under the folder ``path``, in sorted path order."""
    for file in sorted(path.rglob("*")):
        if file.is_file() and file.suffix.lower() == ".csv":
            files[file.stem.lower()].append((str(file.relative_to(path)), file.read_bytes()))


def _zip_files(archive: zipfile.ZipFile, files: _PackageFiles) -> None:
    """Adds every ``.csv`` member of the zip, skipping hidden files and macOS ``__MACOSX``."""
    for info in archive.infolist():
        member = PurePosixPath(info.filename)
        if info.is_dir() or member.suffix.lower() != ".csv":
            continue
        if member.name.startswith(".") or "__MACOSX" in member.parts:
            continue
        files[member.stem.lower()].append((info.filename, archive.read(info)))


def _package_table(table: str, spec: Spec, files: _PackageFiles, issues: Issues) -> Table | None:
    """The one file of the package that holds ``table``, parsed and checked for its required
    columns; None (with the reason in ``issues`` unless an optional file is just absent)."""
    found = [f for name in spec.names for f in files.get(name, [])]
    if not found:
        if table in REQUIRED_FILES:
            issues.add(f"{spec.names[0]}.csv", None, "", "is missing from the package")
        return None
    if len(found) > 1:
        names = ", ".join(n for n, _ in found)
        issues.add(f"{spec.names[0]}.csv", None, "", f"is in the package more than once ({names})")
        return None
    name, data = found[0]
    try:
        parsed = read_table(name, data)
    except ValueError as exc:
        issues.add(name, None, "", str(exc))
        return None
    _rename_aliases(parsed)
    missing = [c for c in spec.required if c not in parsed.header]
    if missing:
        issues.add(name, 1, "", f"lacks the required column(s) {', '.join(missing)}")
        return None
    if spec.owners and not any(c in parsed.header for c in spec.owners):
        wanted = " or ".join(spec.owners)
        issues.add(name, 1, "", f"needs a column naming what each row belongs to ({wanted})")
        return None
    return parsed


# ---------------------------------------------------------------------------------------------
# Values shared with the SAMHSA reader

_DOMAIN_RE = re.compile(r"^[\w-]+(\.[\w-]+)*\.[a-z]{2,}(:\d+)?([/?#]\S*)?$", re.IGNORECASE)
_SCHEME_RE = re.compile(r"^https?://\S+$", re.IGNORECASE)


_NO_ADDRESS = frozenset({"http://", "https://", "http://www", "http://www.", "www", "n/a", "none"})


def web_address(text: str) -> str | None:
    """An absolute http(s) URL; ``www.example.org`` gains ``http://``; placeholders that mean
    "no website" (a bare ``http://``, ``n/a``, ``none``) are None. ValueError otherwise."""
    value = text.strip()
    if value.lower() in _NO_ADDRESS:
        return None
    if _SCHEME_RE.match(value):
        return validators.web_url(value)
    if _DOMAIN_RE.match(value):
        return validators.web_url(f"http://{value}")
    raise ValueError(f"{text!r} is not a web address")


def email_address(text: str) -> str:
    """One e-mail address (``validators.email_address``: the editor's rule)."""
    return validators.email_address(text)


_COUNTRIES = {
    "": "US", "us": "US", "usa": "US", "u.s.": "US", "u.s.a.": "US", "united states": "US",
    "united states of america": "US", "canada": "CA", "can": "CA",
}  # fmt: skip


def country_code(text: str) -> str:
    """ISO 3166-1 alpha-2; blank means US (211 exports leave it out)."""
    value = text.strip()
    if value.lower() in _COUNTRIES:
        return _COUNTRIES[value.lower()]
    if re.fullmatch(r"[A-Za-z]{2}", value):
        return value.upper()
    raise ValueError(f"{text!r} is not a two-letter country code such as US")


def us_zip(text: str, plus4: str = "") -> str:
    """A US ZIP code as ``12345`` or ``12345-6789``.

    3 or 4 digits are left-padded with zeros (spreadsheets drop the leading zeros of New
    England ZIPs: ``6708`` is ``06708``); ``123456789`` becomes ``12345-6789``.
    """
    value = text.strip()
    digits = value.replace("-", "").replace(" ", "")
    if not (digits.isascii() and digits.isdigit()) or len(digits) not in (3, 4, 5, 9):
        raise ValueError(f"{text!r} is not a US ZIP code (5 digits or ZIP+4)")
    if len(digits) == 9:
        return f"{digits[:5]}-{digits[5:]}"
    zip5 = digits.zfill(5)
    extra = plus4.strip()
    if extra:
        if not (extra.isascii() and extra.isdigit()) or len(extra) > 4:
            raise ValueError(f"ZIP+4 suffix {plus4!r} is not 4 digits")
        return f"{zip5}-{extra.zfill(4)}"
    return zip5


def coordinates(lat_text: str, lon_text: str) -> tuple[float, float] | None:
    """(latitude, longitude) in WGS84 degrees; None when both are blank. ValueError names the
    problem (not a number, out of range, 0,0, only one of the two)."""
    lat_text, lon_text = lat_text.strip(), lon_text.strip()
    if not lat_text and not lon_text:
        return None
    if not lat_text or not lon_text:
        raise ValueError("latitude and longitude must be given together")
    try:
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        raise ValueError(f"{lat_text!r}, {lon_text!r} are not numbers") from None
    if lat != lat or lon != lon or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(
            f"{lat_text}, {lon_text} is outside latitude -90..90 / longitude -180..180"
        )
    if lat == 0 and lon == 0:
        raise ValueError("0, 0 is not a real place (leave both blank when unknown)")
    return lat, lon


_EXTENSION_RE = re.compile(
    r"^(?P<number>.*?\d.*?)\s*(?:x|ext\.?|extension|#)\s*(?P<ext>\d{1,10})$", re.I
)


def split_phone(text: str) -> tuple[str, str | None]:
    """(number, extension) from ``505-555-0100 x12`` / ``ext. 12``; ValueError without digits."""
    value = text.strip()
    if not any(c.isdigit() for c in value):
        raise ValueError(f"{text!r} is not a phone number")
    match = _EXTENSION_RE.match(value)
    if match:
        return validators.phone_number(match["number"]), match["ext"]
    return validators.phone_number(value), None


class Ids:
    """Stable ids without repeats: a second use of the same name gets ``#2`` appended."""

    def __init__(self, namespace: uuid.UUID) -> None:
        self.prefix = namespace.bytes
        self.seen: dict[str, int] = {}

    def make(self, name: str) -> str:
        count = self.seen.get(name, 0) + 1
        self.seen[name] = count
        return _uuid5(self.prefix, name if count == 1 else f"{name}#{count}")


def pmhc_attribute(attribute_id: str, service_id: str, term: Term, link_type: str) -> Obj:
    """An attribute linking a service to a PMHC term (docs/hsds-conventions.md)."""
    info = vocabulary().taxonomies[term.taxonomy]
    return {
        "id": attribute_id,
        "link_id": service_id,
        "link_entity": "service",
        "link_type": link_type,
        "taxonomy_term_id": term.id,
        "taxonomy_term": {
            "id": term.id,
            "code": term.code,
            "name": term.name,
            "description": term.description,
            "taxonomy": term.taxonomy,
            "taxonomy_id": info.id,
        },
    }


# ---------------------------------------------------------------------------------------------
# Free text -> PMHC terms (exact phrases only; anything else stays text)

_POPULATIONS = {
    "veterans": "veterans", "veteran": "veterans", "military veterans": "veterans",
    "youth": "youth", "children": "youth", "children and youth": "youth", "minors": "youth",
    "children and adolescents": "youth", "adolescents": "youth",
    "transition age youth": "transition-age-youth", "transition-age youth": "transition-age-youth",
    "seniors": "older-adults", "older adults": "older-adults", "elderly": "older-adults",
    "women": "women", "females": "women", "female": "women", "women only": "women",
    "men": "men", "males": "men", "male": "men", "men only": "men",
    "families": "families", "families with children": "families",
    "homeless": "people-experiencing-homelessness",
    "people experiencing homelessness": "people-experiencing-homelessness",
    "lgbtq": "lgbtq", "lgbtq+": "lgbtq", "lgbt": "lgbtq",
    "tribal members": "tribal-members", "native americans": "tribal-members",
}  # fmt: skip
_PAYMENTS = {
    "medicaid": "medicaid", "medicare": "medicare", "private insurance": "private-insurance",
    "insurance": "private-insurance", "va": "va-tricare", "tricare": "va-tricare",
    "sliding scale": "sliding-fee", "sliding fee": "sliding-fee",
    "sliding fee scale": "sliding-fee",
    "free": "free", "no fee": "free", "no cost": "free", "uninsured": "uninsured",
}  # fmt: skip
_AGE_RANGE_RE = re.compile(r"\bages?\s*(\d{1,2})\s*(?:-|–|to|through)\s*(\d{1,3})\b", re.I)
_AGE_MIN_RE = re.compile(
    r"\b(\d{1,2})\s*(?:\+|years?\s+(?:and|or)\s+(?:over|older|up)|and\s+(?:over|older|up))", re.I
)


def _phrase(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower()).strip(" .")


def ages(text: str) -> tuple[int | None, int | None]:
    """(minimum, maximum) age from ``ages 12-17``, ``18+``, ``18 and over``; (None, None)."""
    if match := _AGE_RANGE_RE.search(text):
        low, high = int(match[1]), int(match[2])
        if low <= high:
            return low, high
    if match := _AGE_MIN_RE.search(text):
        return int(match[1]), None
    return None, None


# ---------------------------------------------------------------------------------------------
# The package -> services


@dataclass
class _Schedules:
    """Schedules of one owner plus the (days, window) pairs they open, for the 24/7 check."""

    rows: list[Obj] = field(default_factory=list)
    windows: list[tuple[tuple[str, ...], Window]] = field(default_factory=list)


Owner = tuple[str, str]  # ("service" | "location" | "sal" | "organization", original id)


class _Builder:
    """Builds the services; with ``skip`` a problem drops only what it spoils (the action of
    each issue) and ``notes`` keeps the problems by the owner they touch, for the flags."""

    def __init__(
        self,
        tables: dict[str, Table],
        mapping: TaxonomyMap | None,
        issues: Issues,
        *,
        skip: bool = False,
    ) -> None:
        self.tables = tables
        self.mapping = mapping
        self.issues = issues
        self.skip = skip
        self.notes: dict[Owner, list[ImportIssue]] = defaultdict(list)
        self.hours_dropped: set[Owner] = set()
        self.flags: dict[str, list[ImportIssue]] = {}
        self.vocab: Vocabulary = vocabulary()
        self.ids = Ids(NAMESPACE)
        self.organizations: dict[str, Obj] = {}
        self.locations: dict[str, Obj] = {}
        self.location_org: dict[str, str] = {}
        self.services: dict[str, tuple[int, Row]] = {}
        self.sals: dict[str, Obj] = {}  # original sal id -> sal dict
        self.sal_by_pair: dict[tuple[str, str], str] = {}
        self.sals_of: dict[str, list[str]] = defaultdict(list)
        self.phones: dict[tuple[str, str], list[Obj]] = defaultdict(list)
        self.schedules: dict[tuple[str, str], _Schedules] = defaultdict(_Schedules)
        self.languages: dict[tuple[str, str], list[Obj]] = defaultdict(list)
        self.eligibility: dict[str, list[str]] = defaultdict(list)
        self.areas: dict[str, list[Obj]] = defaultdict(list)
        self.payments: dict[str, list[str]] = defaultdict(list)
        self.terms: dict[str, Obj] = {}
        self.term_codes: dict[str, tuple[str, str]] = {}  # term id -> (code, name)
        self.service_terms: dict[str, list[tuple[str, str, str | None]]] = defaultdict(list)
        self.accessibility: dict[str, list[str]] = defaultdict(list)
        self.addresses: dict[str, list[Obj]] = defaultdict(list)

    # -- helpers

    def rows(self, table: str) -> list[tuple[int, Row]]:
        found = self.tables.get(table)
        return found.rows if found is not None else []

    def file(self, table: str) -> str:
        found = self.tables.get(table)
        return found.name if found is not None else f"{SPECS[table].names[0]}.csv"

    def error(
        self,
        table: str,
        number: int,
        column: str,
        message: str,
        original: str = "",
        *,
        action: str = "row-dropped",
        owner: Owner | None = None,
    ) -> None:
        issue = self.issues.add(self.file(table), number, column, message, original, action=action)
        if owner is not None:
            self.notes[owner].append(issue)

    def unique_rows(self, table: str) -> dict[str, tuple[int, Row]]:
        """Rows by their id; empty and repeated ids are errors."""
        out: dict[str, tuple[int, Row]] = {}
        whole = "skipped" if table == "services" else "row-dropped"
        for number, row in self.rows(table):
            original = row.get("id", "")
            if not original:
                self.error(table, number, "id", "is empty", action=whole)
                continue
            if original in out:
                self.error(
                    table,
                    number,
                    "id",
                    f"repeats the id of row {out[original][0]}",
                    original,
                    action=whole,
                )
                continue
            out[original] = (number, row)
        return out

    # -- reading, table by table

    def build(self) -> list[Obj]:
        self.read_organizations()
        self.read_locations()
        self.services = self.unique_rows("services")
        self.read_services_at_location()
        self.read_phones()
        self.read_regular_schedules()
        self.read_holiday_schedules()
        self.read_languages()
        self.read_simple_lists()
        self.read_taxonomy()
        self.finish_locations()
        built = (
            self.service(original, number, row) for original, (number, row) in self.services.items()
        )
        return [service for service in built if service is not None]

    def read_organizations(self) -> None:
        for original, (number, row) in self.unique_rows("organizations").items():
            org: Obj = {
                "id": stable_id("organizations", original),
                "name": row.get("name", ""),
                "description": row.get("description", ""),
                "phones": [],
            }
            if not org["name"]:
                self.error("organizations", number, "name", "is empty", original)
                if self.skip:  # its services go under a placeholder organization
                    continue
            self.optional(org, "alternate_name", row.get("alternate_name"))
            for column in ("tax_status", "tax_id", "legal_status"):  # kept as HSDS 3.1 has them
                self.optional(org, column, row.get(column))
            year = (row.get("year_incorporated") or "").strip()[:4]
            if year.isdigit() and len(year) == 4:  # "1990" or a date "1990-05-01"
                org["year_incorporated"] = int(year)
            owner = ("organization", original)
            self.checked(
                org, "email", row.get("email"), email_address, "organizations", number, original,
                owner,
            )  # fmt: skip
            website = row.get("url") or row.get("website")
            self.checked(
                org, "website", website, web_address, "organizations", number, original, owner
            )
            self.organizations[original] = org

    def read_locations(self) -> None:
        for original, (number, row) in self.unique_rows("locations").items():
            location: Obj = {"id": stable_id("locations", original)}
            for column in ("name", "alternate_name", "description", "transportation"):
                self.optional(location, column, row.get(column))
            try:
                point = coordinates(row.get("latitude", ""), row.get("longitude", ""))
            except ValueError as exc:
                self.error(
                    "locations",
                    number,
                    "latitude/longitude",
                    str(exc),
                    original,
                    action="field-dropped",
                    owner=("location", original),
                )
                point = None
            if point is not None:
                location["latitude"], location["longitude"] = point
            if row.get("organization_id"):
                self.location_org[original] = row["organization_id"]
            self.locations[original] = location
        for table, kind in (("physical_addresses", "physical"), ("postal_addresses", "postal")):
            for number, row in self.rows(table):
                self.read_address(table, kind, number, row)

    def read_address(self, table: str, kind: str, number: int, row: Row) -> None:
        original = row.get("id", "")
        owner = row.get("location_id", "")
        if owner not in self.locations:
            message = (
                "is empty" if not owner else f"names location {owner!r}, which locations.csv lacks"
            )
            self.error(table, number, "location_id", message, original)
            return
        if self.skip and not any(
            row.get(c) for c in ("address_1", "address_2", "city", "state_province", "postal_code")
        ):
            message = "is empty (no street, city, state or postal code)"
            self.error(table, number, "", message, original, owner=("location", owner))
            return
        problems = len(self.issues.items)
        address: Obj = {"id": self.ids.make(f"{table}:{original or owner + ':' + str(number)}")}
        lines = [row.get(f"address_{i}", "") for i in (1, 2, 3, 4)]
        address["address_1"] = lines[0]
        extra = ", ".join(line for line in lines[1:] if line)
        if extra:
            address["address_2"] = extra
        for column in ("address_1", "city", "state_province"):
            value = row.get(column, "")
            if not value:
                self.error(table, number, column, "is empty", original)
            address[column] = value
        self.optional(address, "attention", row.get("attention"))
        self.optional(address, "region", row.get("region"))
        try:
            address["country"] = country_code(row.get("country", ""))
        except ValueError as exc:
            self.error(table, number, "country", str(exc), original)
            address["country"] = "US"
        postal = row.get("postal_code", "")
        if address["country"] == "US":
            try:
                postal = us_zip(postal)
            except ValueError as exc:
                self.error(table, number, "postal_code", str(exc), original)
        elif not postal:
            self.error(table, number, "postal_code", "is empty", original)
        address["postal_code"] = postal
        address["address_type"] = kind
        found = self.issues.items[problems:]
        if found:  # the address is dropped whole: half an address misleads
            self.notes[("location", owner)].extend(found)
            return
        self.addresses[owner].append(address)

    def read_services_at_location(self) -> None:
        table = "services_at_location"
        for number, row in self.rows(table):
            original = row.get("id", "")
            service, location = row.get("service_id", ""), row.get("location_id", "")
            ok = self.known(
                table, number, "service_id", service, self.services, "services.csv", original
            )
            ok = (
                self.known(
                    table,
                    number,
                    "location_id",
                    location,
                    self.locations,
                    "locations.csv",
                    original,
                )
                and ok
            )
            if not ok:
                continue
            if (service, location) in self.sal_by_pair:
                self.error(
                    table,
                    number,
                    "location_id",
                    f"repeats service {service} at location {location}",
                    original,
                )
                continue
            self.add_sal(
                original or f"{service}@{location}", service, location, row.get("description", "")
            )
        # HSDS 1.0 services.location_id: the service at that location
        for service, (number, row) in self.services.items():
            location = row.get("location_id", "")
            if location and (service, location) not in self.sal_by_pair:  # noqa: SIM102
                if self.known(
                    "services",
                    number,
                    "location_id",
                    location,
                    self.locations,
                    "locations.csv",
                    service,
                ):
                    self.add_sal(f"{service}@{location}", service, location, "")

    def add_sal(self, key: str, service: str, location: str, description: str) -> None:
        if key in self.sals:
            key = f"{key}#{len(self.sals)}"
        sal: Obj = {"id": self.ids.make(f"services_at_location:{key}"), "location_key": location}
        if description:
            sal["description"] = description
        self.sals[key] = sal
        self.sal_by_pair[(service, location)] = key
        self.sals_of[service].append(key)

    def known(
        self,
        table: str,
        number: int,
        column: str,
        value: str,
        among: dict,
        where: str,
        original: str,
    ) -> bool:
        if value in among:
            return True
        message = "is empty" if not value else f"names {value!r}, which {where} lacks"
        self.error(table, number, column, message, original)
        return False

    def owner(
        self, table: str, number: int, row: Row, allowed: tuple[str, ...]
    ) -> tuple[str, str] | None:
        """(kind, original id) of the row's owner: sal, service, location or organization."""
        original = row.get("id", "")
        sal = row.get("service_at_location_id", "")
        service, location = row.get("service_id", ""), row.get("location_id", "")
        if sal and "sal" in allowed:
            if sal in self.sals:
                return ("sal", sal)
            self.error(
                table,
                number,
                "service_at_location_id",
                f"names {sal!r}, which services_at_location.csv lacks",
                original,
            )
            return None
        if service and location and (service, location) in self.sal_by_pair and "sal" in allowed:
            return ("sal", self.sal_by_pair[(service, location)])
        if service:
            ok = self.known(
                table, number, "service_id", service, self.services, "services.csv", original
            )
            return ("service", service) if ok else None
        if location and "location" in allowed:
            ok = self.known(
                table, number, "location_id", location, self.locations, "locations.csv", original
            )
            return ("location", location) if ok else None
        organization = row.get("organization_id", "")
        if organization and "organization" in allowed:
            ok = self.known(
                table,
                number,
                "organization_id",
                organization,
                self.organizations,
                "organizations.csv",
                original,
            )
            return ("organization", organization) if ok else None
        self.error(
            table, number, "", "names no service, location or organization it belongs to", original
        )
        return None

    def read_phones(self) -> None:
        table = "phones"
        owners = ("service_id", "location_id", "organization_id", "service_at_location_id")
        for number, row in self.rows(table):
            if row.get("contact_id") and not any(row.get(c) for c in owners):
                continue  # a phone of a contact: contacts are not imported
            owner = self.owner(table, number, row, ("sal", "location", "organization"))
            original = row.get("id", "")
            if owner is None:
                continue
            try:
                phone_number, extension = split_phone(row.get("number", ""))
            except ValueError as exc:
                self.error(table, number, "number", str(exc), original, owner=owner)
                continue
            phone: Obj = {
                "id": self.ids.make(f"phones:{original or ':'.join(owner) + ':' + phone_number}"),
                "number": phone_number,
            }
            given = row.get("extension", "")
            if given:
                digits = re.sub(r"^(?:x|ext\.?)\s*", "", given, flags=re.I)
                if digits.isdigit():
                    extension = digits
                else:
                    self.error(
                        table,
                        number,
                        "extension",
                        f"{given!r} is not a number",
                        original,
                        action="field-dropped",
                        owner=owner,
                    )
            if extension:
                phone["extension"] = extension
            kind = row.get("type", "").lower()
            if kind:
                phone["type"] = {"tty": "textphone", "sms": "text", "mobile": "cell"}.get(
                    kind, kind
                )[:20]
            notes = [row.get(c, "") for c in ("description", "department") if row.get(c)]
            if notes:
                phone["description"] = "; ".join(notes)
            self.phones[owner].append(phone)

    def read_regular_schedules(self) -> None:
        table = "regular_schedules"
        for number, row in self.rows(table):
            owner = self.owner(table, number, row, ("sal", "location"))
            original = row.get("id", "")
            if owner is None:
                continue
            weekday = row.get("weekday", "")
            try:
                if not weekday:
                    raise FreeformError("is empty: give the day (1-7 or a name such as Monday)")
                days = parse_days(weekday)
            except FreeformError as exc:
                self.error(table, number, "weekday", str(exc), original, owner=owner)
                self.hours_dropped.add(owner)
                continue
            opens, closes = row.get("opens_at", ""), row.get("closes_at", "")
            try:
                windows = parse_hours(opens, closes)
            except FreeformError as exc:
                self.error(table, number, "opens_at/closes_at", str(exc), original, owner=owner)
                self.hours_dropped.add(owner)
                continue
            content = ":".join((*owner, weekday, opens, closes))
            base = f"{table}:{original or content}"
            target = self.schedules[owner]
            for window in windows:
                target.rows.append(
                    {
                        "id": self.ids.make(base),
                        "freq": "WEEKLY",
                        "byday": ",".join(days),
                        "opens_at": window.opens,
                        "closes_at": window.closes,
                    }
                )
                target.windows.append((days, window))

    def read_holiday_schedules(self) -> None:
        table = "holiday_schedules"
        for number, row in self.rows(table):
            owner = self.owner(table, number, row, ("sal", "location"))
            original = row.get("id", "")
            if owner is None:
                continue
            try:
                closed = parse_bool(row.get("closed", ""))
            except FreeformError as exc:
                self.error(table, number, "closed", str(exc), original, owner=owner)
                continue
            try:
                start = parse_date(row.get("start_date", ""))
                end = parse_date(row["end_date"]) if row.get("end_date") else start
            except FreeformError as exc:
                self.error(table, number, "start_date/end_date", str(exc), original, owner=owner)
                continue
            if end < start:
                self.error(
                    table,
                    number,
                    "end_date",
                    f"{end.isoformat()} is before start_date {start.isoformat()}",
                    original,
                    owner=owner,
                )
                continue
            opens, closes = row.get("opens_at", ""), row.get("closes_at", "")
            base = f"{table}:{original or ':'.join(owner) + ':' + start.isoformat()}"
            dates = {"valid_from": start.isoformat(), "valid_to": end.isoformat()}
            if closed:
                if opens or closes:
                    self.error(
                        table,
                        number,
                        "opens_at/closes_at",
                        "a closed day has no opening times",
                        original,
                        owner=owner,
                    )
                    continue
                self.schedules[owner].rows.append(
                    {"id": self.ids.make(base), **dates, "description": "Closed (holiday)"}
                )
                continue
            try:
                windows = parse_hours(opens, closes)
            except FreeformError as exc:
                self.error(table, number, "opens_at/closes_at", str(exc), original, owner=owner)
                continue
            if not windows:  # "closed" written in the times
                self.schedules[owner].rows.append(
                    {"id": self.ids.make(base), **dates, "description": "Closed (holiday)"}
                )
            for window in windows:
                self.schedules[owner].rows.append(
                    {
                        "id": self.ids.make(base),
                        "freq": "WEEKLY",
                        **dates,
                        "opens_at": window.opens,
                        "closes_at": window.closes,
                        "description": "Holiday hours",
                    }
                )

    def read_languages(self) -> None:
        table = "languages"
        for number, row in self.rows(table):
            owner = self.owner(table, number, row, ("location",))
            original = row.get("id", "")
            if owner is None:
                continue
            for part in re.split(r"\s*[,;/]\s*", row.get("language", "")):
                if not part:
                    continue
                name, code = language(part)
                entry: Obj = {
                    "id": self.ids.make(f"{table}:{original or ':'.join(owner)}:{part.lower()}")
                }
                if name:
                    entry["name"] = name
                if code:
                    entry["code"] = code
                self.languages[owner].append(entry)

    def read_simple_lists(self) -> None:
        for number, row in self.rows("eligibility"):
            if self.known(
                "eligibility",
                number,
                "service_id",
                row.get("service_id", ""),
                self.services,
                "services.csv",
                row.get("id", ""),
            ) and row.get("eligibility"):
                self.eligibility[row["service_id"]].append(row["eligibility"])
        for number, row in self.rows("service_area"):
            original = row.get("id", "")
            service = row.get("service_id", "")
            if self.known(
                "service_area",
                number,
                "service_id",
                service,
                self.services,
                "services.csv",
                original,
            ) and row.get("service_area"):
                area: Obj = {
                    "id": self.ids.make(
                        f"service_area:{original or service + ':' + row['service_area']}"
                    ),
                    "name": row["service_area"],
                }
                self.optional(area, "description", row.get("description"))
                self.areas[service].append(area)
        for number, row in self.rows("payment_accepted"):
            service = row.get("service_id", "")
            if self.known(
                "payment_accepted",
                number,
                "service_id",
                service,
                self.services,
                "services.csv",
                row.get("id", ""),
            ) and row.get("payment"):
                self.payments[service].append(row["payment"])
        for number, row in self.rows("accessibility_for_disabilities"):
            location = row.get("location_id", "")
            if self.known(
                "accessibility_for_disabilities",
                number,
                "location_id",
                location,
                self.locations,
                "locations.csv",
                row.get("id", ""),
            ):
                text = row.get("accessibility", "")
                if row.get("details"):
                    text = f"{text} ({row['details']})" if text else row["details"]
                if text:
                    self.accessibility[location].append(text)

    def read_taxonomy(self) -> None:
        rows = self.unique_rows("taxonomy") if "taxonomy" in self.tables else {}
        used: dict[str, None] = {}
        links: list[tuple[int, Row, str]] = []
        for number, row in self.rows("services_taxonomy"):
            term = row.get("taxonomy_id", "")
            service = row.get("service_id", "")
            original = row.get("id", "")
            ok = self.known(
                "services_taxonomy",
                number,
                "service_id",
                service,
                self.services,
                "services.csv",
                original,
            )
            if rows and not self.known(
                "services_taxonomy", number, "taxonomy_id", term, rows, "taxonomy.csv", original
            ):
                ok = False
            if not term:
                self.error("services_taxonomy", number, "taxonomy_id", "is empty", original)
                ok = False
            if ok:
                links.append((number, row, term))
                used[term] = None
        for service, (number, row) in self.services.items():
            for term in filter(None, re.split(r"\s*,\s*", row.get("taxonomy_ids", ""))):
                if rows and term not in rows:
                    self.error(
                        "services",
                        number,
                        "taxonomy_ids",
                        f"names {term!r}, which taxonomy.csv lacks",
                        service,
                    )
                    continue
                links.append((number, {"service_id": service, "id": ""}, term))
                used[term] = None
        for original in used:
            row = rows[original][1] if original in rows else {"name": original}
            vocabulary_name = row.get("vocabulary") or row.get("taxonomy") or "HSDS 1.x taxonomy"
            code = row.get("code") or original
            entry: Obj = {
                "id": stable_id("taxonomy", original),
                "code": code,
                "name": row.get("name") or code,
                "description": row.get("description", ""),
                "taxonomy": vocabulary_name,
                "taxonomy_id": stable_id("taxonomies", vocabulary_name),
                "taxonomy_detail": {
                    "id": stable_id("taxonomies", vocabulary_name),
                    "name": vocabulary_name,
                    "description": "",
                },
            }
            parent = row.get("parent_id", "")
            if parent and parent in used:  # a parent is kept when the file also uses it
                entry["parent_id"] = stable_id("taxonomy", parent)
            self.terms[original] = entry
            self.term_codes[original] = (code, entry["name"])
        for _number, row, term in links:
            key = row.get("id") or f"{row['service_id']}:{term}"
            self.service_terms[row["service_id"]].append(
                (term, key, row.get("taxonomy_detail") or None)
            )

    def finish_locations(self) -> None:
        # A location keeps its organization only when a service of the file has it too: the
        # import refuses an organization that is neither in the file nor in the database.
        used = {row.get("organization_id") for _n, row in self.services.values()}
        for original, location in self.locations.items():
            org_key = self.location_org.get(original)
            if org_key in used and org_key in self.organizations:
                location["organization_id"] = self.organizations[org_key]["id"]
            addresses = self.addresses.get(original, [])
            physical = any(a["address_type"] == "physical" for a in addresses)
            if physical or "latitude" in location:
                location["location_type"] = "physical"
            elif addresses:
                location["location_type"] = "postal"
            else:
                location["location_type"] = "virtual"
            location["addresses"] = addresses
            location["phones"] = self.phones.get(("location", original), [])
            location["schedules"] = (
                self.schedules[("location", original)].rows
                if ("location", original) in self.schedules
                else []
            )
            location["languages"] = self.languages.get(("location", original), [])
            notes = self.accessibility.get(original)
            if notes:
                text = "Accessibility: " + "; ".join(notes)
                location["description"] = (
                    f"{location['description']}\n\n{text}" if location.get("description") else text
                )
        for original, org in self.organizations.items():
            org["phones"] = self.phones.get(("organization", original), [])

    # -- one service

    def service(self, original: str, number: int, row: Row) -> Obj | None:
        """The compiled service; None when ``skip`` and its core (name, status) is broken."""
        sid = stable_id("services", original)
        out: Obj = {"id": sid, "name": row.get("name", "")}
        broken = False
        if not out["name"]:
            self.error("services", number, "name", "is empty", original, action="skipped")
            broken = True
        for column, target in (
            ("alternate_name", "alternate_name"),
            ("description", "description"),
            ("application_process", "application_process"),
            ("interpretation_services", "interpretation_services"),
            ("fees", "fees_description"),
            ("wait_time", "wait_time"),
            ("accreditations", "accreditations"),
            ("licenses", "licenses"),
        ):
            self.optional(out, target, row.get(column))
        own = ("service", original)
        self.checked(out, "url", row.get("url"), web_address, "services", number, original, own)
        self.checked(
            out, "email", row.get("email"), email_address, "services", number, original, own
        )
        status = (row.get("status") or "active").strip().lower().replace("_", " ")
        if status not in ("active", "inactive", "defunct", "temporarily closed"):
            self.error(
                "services",
                number,
                "status",
                f"{row.get('status')!r} is not active, inactive, defunct or temporarily closed",
                original,
                action="skipped",
            )
            broken = True
        if broken and self.skip:
            return None
        out["status"] = status
        organization = self.organizations.get(row.get("organization_id", ""))
        if organization is None:
            given = row.get("organization_id", "")
            message = "is empty" if not given else f"names {given!r}, which organizations.csv lacks"
            self.error(
                "services",
                number,
                "organization_id",
                message + "; the service is kept under a placeholder organization",
                original,
                action="placeholder",
                owner=own,
            )
            organization = placeholder_organization(given)
        out["organization_id"] = organization["id"]
        out["organization"] = organization

        sals = []
        service_hours = self.schedules.get(("service", original))
        effective: list[_Schedules | None] = []  # the hours in force at each place
        for key in self.sals_of.get(original, []):
            sal = dict(self.sals[key])
            location_key = sal.pop("location_key")
            location = self.locations[location_key]
            sal.update(service_id=sid, location_id=location["id"], location=location)
            sal["phones"] = self.phones.get(("sal", key), [])
            own_hours = self.schedules.get(("sal", key))
            sal["schedules"] = own_hours.rows if own_hours else []
            sals.append(sal)
            effective.append(
                own_hours or self.schedules.get(("location", location_key)) or service_hours
            )
        out["service_at_locations"] = sals
        out["phones"] = self.phones.get(("service", original), [])
        out["schedules"] = service_hours.rows if service_hours else []
        out["service_areas"] = self.areas.get(original, [])
        out["languages"] = self.languages.get(("service", original), [])

        eligibility = self.eligibility.get(original, [])
        if eligibility:
            out["eligibility_description"] = "; ".join(eligibility)
            found = [ages(text) for text in eligibility]
            found = [a for a in found if a != (None, None)]
            if len(found) == 1:
                low, high = found[0]
                if low is not None:
                    out["minimum_age"] = low
                if high is not None:
                    out["maximum_age"] = high
        payments = self.payments.get(original, [])
        if payments:
            text = "Payment accepted: " + "; ".join(payments)
            out["fees_description"] = (
                f"{out['fees_description']}\n{text}" if out.get("fees_description") else text
            )

        out["attributes"] = self.attributes(
            sid, original, eligibility, payments, effective or [service_hours]
        )
        self.flag(sid, original, row, out)
        return out

    def flag(self, sid: str, original: str, row: Row, out: Obj) -> None:
        """Keep the problems that touch this service (its own rows, its organization, its
        places), and say so when it was left without readable hours."""
        owners: list[Owner] = [
            ("service", original),
            ("organization", row.get("organization_id", "")),
        ]
        for key in self.sals_of.get(original, []):
            owners += [("sal", key), ("location", self.sals[key]["location_key"])]
        found = [issue for owner in owners for issue in self.notes.get(owner, ())]
        if any(owner in self.hours_dropped for owner in owners):
            hours = out["schedules"] or any(
                sal["schedules"] or sal["location"].get("schedules")
                for sal in out["service_at_locations"]
            )
            message = (
                "some opening-hours rows could not be read and were dropped; check the hours"
                if hours
                else "no opening-hours row could be read: hours unknown"
            )
            found.append(
                ImportIssue(original, -1, "hours", message, "warning", "row-dropped",
                            self.file("regular_schedules"))
            )  # fmt: skip
        if found:
            self.flags[sid] = found

    def attributes(
        self,
        sid: str,
        original: str,
        eligibility: list[str],
        payments: list[str],
        schedule_sets: list[_Schedules | None],
    ) -> list[Obj]:
        """The service's PMHC attributes (each taxonomy code once, first link type kept), then
        one ``category`` attribute per 211 taxonomy term it carries."""
        out: list[Obj] = []
        seen: set[tuple[str, str]] = set()
        wanted = self.wanted_attributes(original, eligibility, payments, schedule_sets)
        for taxonomy, code, link_type in wanted:
            if (taxonomy, code) in seen:
                continue
            seen.add((taxonomy, code))
            found_term = self.vocab.term(taxonomy, code)
            out.append(
                pmhc_attribute(
                    stable_id("attributes", f"{original}:{taxonomy}:{code}"),
                    sid,
                    found_term,
                    link_type,
                )
            )
        for term, key, detail in self.service_terms.get(original, []):
            attribute: Obj = {
                "id": self.ids.make(f"services_taxonomy:{key}"),
                "link_id": sid,
                "link_entity": "service",
                "link_type": "category",
                "taxonomy_term_id": self.terms[term]["id"],
                "taxonomy_term": self.terms[term],
            }
            if detail:
                attribute["value"] = detail
            out.append(attribute)
        return out

    def wanted_attributes(
        self,
        original: str,
        eligibility: list[str],
        payments: list[str],
        schedule_sets: list[_Schedules | None],
    ) -> list[tuple[str, str, str]]:
        """(taxonomy, code, link type) for each PMHC term the 211 data implies, in order:
        service types from the mapped 211 terms, populations, payments, then open-24-7."""
        wanted: list[tuple[str, str, str]] = []  # (taxonomy, code, link type)
        for term, _key, _detail in self.service_terms.get(original, []):
            if self.mapping:
                code, name = self.term_codes[term]
                types = self.mapping.types_for(code) or self.mapping.types_for(name)
                wanted.extend((SERVICE_TYPE, t, "service_type") for t in types)
        for text in eligibility:
            population = _POPULATIONS.get(_phrase(text))
            if population:
                wanted.append((POPULATION, population, "eligibility"))
        for text in payments:
            for part in re.split(r"\s*[,;/]\s*", text):
                payment = _PAYMENTS.get(_phrase(part))
                if payment:
                    wanted.append((PAYMENT, payment, "payment"))
        # open-24-7 only when the hours in force everywhere the service is offered say so
        if schedule_sets and all(
            s is not None and covers_whole_week(s.windows) for s in schedule_sets
        ):
            wanted.append((ATTRIBUTE, "open-24-7", "diversion"))
        return wanted

    # -- small helpers

    @staticmethod
    def optional(obj: Obj, key: str, value: str | None) -> None:
        if value:
            obj[key] = value

    def checked(
        self,
        obj: Obj,
        key: str,
        value: str | None,
        parse: Any,
        table: str,
        number: int,
        original: str,
        owner: Owner | None = None,
    ) -> None:
        if not value:
            return
        try:
            parsed = parse(value)
        except ValueError as exc:
            self.error(table, number, key, str(exc), original, action="field-dropped", owner=owner)
            return
        if parsed is not None:
            obj[key] = parsed


_LANGUAGES = {
    "en": "English", "es": "Spanish", "zh": "Chinese", "vi": "Vietnamese", "ko": "Korean",
    "tl": "Tagalog", "ru": "Russian", "ar": "Arabic", "fr": "French", "de": "German",
    "ht": "Haitian Creole", "pt": "Portuguese", "it": "Italian", "pl": "Polish", "ja": "Japanese",
    "hi": "Hindi", "fa": "Persian", "ur": "Urdu", "so": "Somali", "am": "Amharic",
    "hmn": "Hmong", "km": "Khmer", "lo": "Lao", "nv": "Navajo", "uk": "Ukrainian",
    "sw": "Swahili", "ne": "Nepali", "my": "Burmese", "bn": "Bengali", "pa": "Punjabi",
}  # fmt: skip
_LANGUAGE_NAMES = {name.lower(): code for code, name in _LANGUAGES.items()} | {
    "mandarin": "zh", "cantonese": "zh", "farsi": "fa", "creole": "ht", "filipino": "tl",
    "spa": "es", "eng": "en", "asl": "", "american sign language": "",
}  # fmt: skip


def language(text: str) -> tuple[str, str]:
    """(name, ISO 639 code) for a language written as a name or a code; unknown names keep
    their text and get no code."""
    value = text.strip()
    lower = value.lower()
    if lower in _LANGUAGES:
        return _LANGUAGES[lower], lower
    if lower in _LANGUAGE_NAMES:
        code = _LANGUAGE_NAMES[lower]
        return (value if not code or lower in ("mandarin", "cantonese") else _LANGUAGES[code]), code
    return value, ""


def placeholder_organization(given: str) -> Obj:
    """The organization a service is kept under when its ``organization_id`` names no row:
    one per missing id (the same id on every import), named so that it stands out."""
    label = given or "(no id)"
    return {
        "id": stable_id("organizations", given),
        "name": f"[Missing organization {label}]"[:500],
        "description": (
            f"Placeholder made by an import: organizations.csv has no row with id {label!r}. "
            "Give the services their real organization."
        ),
        "phones": [],
    }


def read_hsds1_package(
    path: Path, *, taxonomy_map: Path | None = None, log: ProblemLog | None = None
) -> list[Obj]:
    """Compiled HSDS 3.1 services from an HSDS 1.x folder or zip; ``ReadFailed`` lists every
    problem (in the package and in the ``taxonomy_map`` CSV).

    With ``log`` (``--on-error skip``) a problem in a row drops only what it spoils and is
    added to ``log`` with its action, and the services it touches are flagged; problems with
    a whole file (missing, unreadable, too big, a required column missing) still fail."""
    issues = Issues()
    mapping = None
    if taxonomy_map is not None:
        try:
            mapping = read_taxonomy_map(Path(taxonomy_map))
        except ReadFailed as exc:
            issues.extend(exc.issues)
    tables = read_package(Path(path), issues)
    if issues:
        raise ReadFailed(issues.items)
    builder = _Builder(tables, mapping, issues, skip=log is not None)
    services = builder.build()
    if issues and log is None:
        raise ReadFailed(issues.items)
    if log is not None:
        log.issues.extend(issues.items)
        log.skipped += len({(i.file, i.row) for i in issues.items if i.action == "skipped"})
        for sid, found in builder.flags.items():
            for issue in found:
                log.flag(sid, issue)
    return services


def looks_like_hsds1(sample: FileSample) -> bool:
    """A zip without ``datapackage.json`` holding a services and an organizations table
    (plural names, or HSDS 1.0's singular ones)."""
    members = sample.members
    if members is None or "datapackage.json" in members:
        return False
    return bool(members & {"services.csv", "service.csv"}) and bool(
        members & {"organizations.csv", "organization.csv"}
    )
