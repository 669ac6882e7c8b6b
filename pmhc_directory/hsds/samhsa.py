"""``samhsa-csv``: SAMHSA treatment-locator CSV downloads -> compiled HSDS 3.1 services.

Three layouts are recognised by their header row (column names ignore case):

* mental health (``MH``): name1, name2, street1, street2, city, state, zip, zip4, county, phone,
  intake_prompt, intake1, intake2, website, latitude, longitude, type_facility;
* substance use (``SUD``): name1, name2, street1, street2, city, state, zip, zip4, county,
  latitude, longitude (no type column: every row is ``SUD``);
* opioid treatment programs (``OTP``): ID (the program name), ADDRESS, CITY, STATE, POSTAL,
  Latitude, Longitude.

``path`` is one such CSV file, or a folder whose ``.csv`` files are all read (sorted by name).

Each row becomes one service with one location. PMHC service type by facility type code:
``MH`` -> ``outpatient-mental-health``, ``SA``/``SUD`` -> ``outpatient-substance-use``,
``OTP`` -> ``opioid-treatment``, unless the ``--taxonomy-map`` CSV maps the code (the
``type_facility`` value, or ``SUD`` / ``OTP`` for the layouts without one) to other types.

Ids (uuid5 in :data:`NAMESPACE`) come from what identifies a row, never from its position:

* service: layout + facility type + name1 + name2 + street1 + street2 + city + state + ZIP;
  the 2nd, 3rd... row of one file with the same identity (exact repeats, several programs
  at one site) gets ``#2``, ``#3`` appended, so every row is imported as its own service
  and nothing is merged silently;
* organization: name1 + state (one organization per facility name and state);
* location: street1 + street2 + city + state + ZIP + coordinates (rounded to 6 decimals).

Rows with a bad ZIP, missing or impossible coordinates, an empty name or street, or an
unreadable website are reported (file, spreadsheet row, name, column, text); then nothing is
imported.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..taxonomy import SERVICE_TYPE, vocabulary
from .errors import ImportIssue, ProblemLog, ReadFailed
from .legacy211 import (
    Ids,
    Issues,
    Table,
    coordinates,
    pmhc_attribute,
    read_table,
    split_phone,
    us_zip,
    uuid5,
    web_address,
)
from .sample import FileSample
from .taxonomy_map import TaxonomyMap, read_taxonomy_map

__all__ = ["DEFAULT_TYPES", "NAMESPACE", "looks_like_samhsa", "read_samhsa_csv"]

#: Namespace of the uuid5 ids of SAMHSA rows (documented; never change it).
NAMESPACE = uuid.UUID("a6a03d78-371b-4b22-8022-64dacd8afd43")

#: Facility type code -> PMHC service type, when the taxonomy map does not say otherwise.
DEFAULT_TYPES = {
    "MH": "outpatient-mental-health",
    "SA": "outpatient-substance-use",
    "SUD": "outpatient-substance-use",
    "OTP": "opioid-treatment",
}
KIND_WORDS = {
    "MH": "mental health treatment facility",
    "SA": "substance use treatment facility",
    "SUD": "substance use treatment facility",
    "OTP": "opioid treatment program",
}

Obj = dict[str, Any]


@dataclass(frozen=True)
class Layout:
    name: str
    columns: dict[str, str]  # our field -> column of the file
    fixed_type: str | None  # the type code of every row, or None (read type_facility)


_COMMON = {
    "name1": "name1",
    "name2": "name2",
    "street1": "street1",
    "street2": "street2",
    "city": "city",
    "state": "state",
    "zip": "zip",
    "zip4": "zip4",
    "county": "county",
    "latitude": "latitude",
    "longitude": "longitude",
}
LAYOUTS = (
    Layout(
        "mental health",
        {
            **_COMMON,
            "phone": "phone",
            "intake1": "intake1",
            "intake2": "intake2",
            "website": "website",
            "type": "type_facility",
        },
        None,
    ),
    Layout("substance use", _COMMON, "SUD"),
    Layout(
        "opioid treatment program",
        {
            "name1": "id",
            "street1": "address",
            "city": "city",
            "state": "state",
            "zip": "postal",
            "latitude": "latitude",
            "longitude": "longitude",
        },
        "OTP",
    ),
)
# Columns a layout needs to be recognised (the others may be blank or absent).
_REQUIRED = ("name1", "street1", "city", "state", "zip", "latitude", "longitude")


def _layout(table: Table) -> Layout | None:
    for layout in LAYOUTS:
        needed = [layout.columns[f] for f in _REQUIRED]
        if layout.fixed_type is None:
            needed.append(layout.columns["type"])
        if all(table.has(c) for c in needed):
            return layout
    return None


def _key(*parts: str) -> str:
    """Identity text: lower case, single spaces, parts joined by ``|``."""
    return "|".join(" ".join(p.casefold().split()) for p in parts)


class _Reader:
    def __init__(self, mapping: TaxonomyMap | None, issues: Issues, skip: bool = False) -> None:
        self.mapping = mapping
        self.issues = issues
        self.skip = skip
        self.flags: dict[str, list[ImportIssue]] = {}
        self.vocab = vocabulary()
        self.organizations: dict[str, Obj] = {}
        self.locations: dict[str, Obj] = {}
        self.ids = Ids(NAMESPACE)  # one per import: repeats of a row's identity get #2, #3...

    def types(self, code: str) -> list[str]:
        if self.mapping:
            mapped = self.mapping.types_for(code)
            if mapped:
                return mapped
        default = DEFAULT_TYPES.get(code.upper())
        return [default] if default else []

    def read(self, table: Table, out: list[Obj]) -> None:
        layout = _layout(table)
        if layout is None:
            wanted = "; ".join(", ".join(sorted(set(lay.columns.values()))) for lay in LAYOUTS)
            self.issues.add(
                table.name, 1, "", f"is not a SAMHSA locator layout (expected columns: {wanted})"
            )
            return
        for number, raw in table.rows:
            row = {field: raw.get(column, "") for field, column in layout.columns.items()}
            service = self.service(table.name, number, row, layout)
            if service is not None:
                out.append(service)

    def service(self, file: str, number: int, row: dict[str, str], layout: Layout) -> Obj | None:
        """The row's service, or None when it has a problem that stops it (each problem in
        ``self.issues``, in column order: type, required fields, ZIP, coordinates, website,
        phones)."""
        name = row["name1"]
        failed = False
        mark = len(self.issues.items)
        warnings: list[ImportIssue] = []

        def error(column: str, message: str) -> None:
            nonlocal failed
            failed = True
            self.issues.add(file, number, column, message, name, action="skipped")

        def drop(column: str, message: str, action: str) -> None:
            # with --on-error skip an unreadable website or phone leaves the rest of the row
            if not self.skip:
                error(column, message)
                return
            warnings.append(self.issues.add(file, number, column, message, name, action=action))

        code = layout.fixed_type or row.get("type", "")
        types = self.facility_types(code, layout, error)
        for field in ("name1", "street1", "city", "state"):
            if not row[field]:
                error(layout.columns[field], "is empty")
        try:
            postal = us_zip(row["zip"], row.get("zip4", ""))
        except ValueError as exc:
            error(layout.columns["zip"], str(exc))
            postal = row["zip"]
        try:
            point = coordinates(row["latitude"], row["longitude"])
            if point is None:
                raise ValueError("are empty: the locator's rows are geocoded")
        except ValueError as exc:
            error("latitude/longitude", str(exc))
            point = None
        website = self.website(row, layout, drop)
        phones = self.phones(row, lambda column, message: drop(column, message, "row-dropped"))
        if failed or point is None:
            self.mark_skipped(mark)
            return None
        service = self.build(row, layout, code, types, postal, point, website, phones)
        if warnings:
            self.flags[service["id"]] = warnings
        return service

    def facility_types(
        self, code: str, layout: Layout, error: Callable[[str, str], None]
    ) -> list[str]:
        """The PMHC service types of the facility type ``code`` (an error when it is empty or
        maps to none)."""
        types = self.types(code) if code else []
        if not code:
            error(layout.columns.get("type", "type_facility"), "is empty")
        elif not types:
            error(
                layout.columns.get("type", "type_facility"),
                f"{code!r} is not a known facility type (MH, SA, SUD, OTP); map it with "
                "--taxonomy-map",
            )
        return types

    def website(
        self, row: dict[str, str], layout: Layout, drop: Callable[[str, str, str], None]
    ) -> str | None:
        """The row's web address; None when it has none or (reported) one that cannot be read."""
        if row.get("website"):
            try:
                return web_address(row["website"])
            except ValueError as exc:
                drop(layout.columns["website"], str(exc), "field-dropped")
        return None

    def mark_skipped(self, mark: int) -> None:
        """With --on-error skip, every problem reported since ``mark`` (the row's) says the
        row was skipped, as an error."""
        if self.skip:
            for i, issue in enumerate(self.issues.items[mark:], start=mark):
                self.issues.items[i] = replace(issue, action="skipped", severity="error")

    def build(
        self,
        row: dict[str, str],
        layout: Layout,
        code: str,
        types: list[str],
        postal: str,
        point: tuple[float, float],
        website: str | None,
        phones: list[Obj],
    ) -> Obj:
        """The compiled HSDS service of a row that passed its checks."""
        name = row["name1"]
        identity = _key(
            layout.name,
            code,
            name,
            row.get("name2", ""),
            row["street1"],
            row.get("street2", ""),
            row["city"],
            row["state"],
            postal[:5],
        )
        sid = self.ids.make(f"service|{identity}")
        organization = self.organization(name, row["state"])
        location = self.location(row, postal, point)
        service: Obj = {
            "id": sid,
            "name": name,
            "description": (
                f"Listed in the SAMHSA treatment locator as a {KIND_WORDS.get(code.upper(), code)}."
            ),
            "status": "active",
            "organization_id": organization["id"],
            "organization": organization,
            "service_at_locations": [
                {
                    "id": uuid5(NAMESPACE, f"service_at_location|{sid}"),
                    "service_id": sid,
                    "location_id": location["id"],
                    "location": location,
                }
            ],
            "phones": [
                {"id": uuid5(NAMESPACE, f"phone|{sid}|{i}"), **phone}
                for i, phone in enumerate(phones)
            ],
            "attributes": [
                pmhc_attribute(
                    uuid5(NAMESPACE, f"attribute|{sid}|{pmhc_type}"),
                    sid,
                    self.vocab.term(SERVICE_TYPE, pmhc_type),
                    "service_type",
                )
                for pmhc_type in types
            ],
        }
        if row.get("name2"):
            service["alternate_name"] = row["name2"]
        if website:
            service["url"] = website
        return service

    def phones(self, row: dict[str, str], error: Callable[[str, str], None]) -> list[Obj]:
        phones = []
        for field, description in (
            ("phone", "Main line"),
            ("intake1", "Intake"),
            ("intake2", "Intake"),
        ):
            if not row.get(field):
                continue
            try:
                number, extension = split_phone(row[field])
            except ValueError as exc:
                error(field, str(exc))
                continue
            phone: Obj = {"number": number, "type": "voice", "description": description}
            if extension:
                phone["extension"] = extension
            phones.append(phone)
        return phones

    def organization(self, name: str, state: str) -> Obj:
        key = _key(name, state)
        found = self.organizations.get(key)
        if found is None:
            found = {
                "id": uuid5(NAMESPACE, f"organization|{key}"),
                "name": name,
                "description": "",
                "phones": [],
            }
            self.organizations[key] = found
        return found

    def location(self, row: dict[str, str], postal: str, point: tuple[float, float]) -> Obj:
        lat, lon = round(point[0], 6), round(point[1], 6)
        key = _key(
            row["street1"],
            row.get("street2", ""),
            row["city"],
            row["state"],
            postal,
            f"{lat:.6f}",
            f"{lon:.6f}",
        )
        found = self.locations.get(key)
        if found is None:
            lid = uuid5(NAMESPACE, f"location|{key}")
            address: Obj = {
                "id": uuid5(NAMESPACE, f"address|{lid}"),
                "location_id": lid,
                "address_1": row["street1"],
                "city": row["city"],
                "state_province": row["state"].upper(),
                "postal_code": postal,
                "country": "US",
                "address_type": "physical",
            }
            if row.get("street2"):
                address["address_2"] = row["street2"]
            if row.get("county"):
                address["region"] = f"{row['county']} County"
            found = {
                "id": lid,
                "location_type": "physical",
                "latitude": lat,
                "longitude": lon,
                "addresses": [address],
                "phones": [],
                "schedules": [],
                "languages": [],
            }
            self.locations[key] = found
        return found


def _files(path: Path, issues: Issues) -> list[Table]:
    if path.is_dir():
        candidates = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv")
        if not candidates:
            issues.add(path.name, None, "", "is a folder without .csv files")
    else:
        candidates = [path]
    tables = []
    for file in candidates:
        try:
            tables.append(read_table(file.name, file.read_bytes()))
        except ValueError as exc:
            issues.add(file.name, None, "", str(exc))
        except OSError as exc:
            issues.add(file.name, None, "", f"cannot be read: {exc.strerror or exc}")
    return tables


def read_samhsa_csv(
    path: Path, *, taxonomy_map: Path | None = None, log: ProblemLog | None = None
) -> list[Obj]:
    """Compiled HSDS 3.1 services from SAMHSA locator CSV file(s); ``ReadFailed`` lists every
    problem (rows and the ``taxonomy_map`` CSV).

    With ``log`` (``--on-error skip``) a row with a broken core (name, street, ZIP,
    coordinates, facility type) is skipped, an unreadable website or phone is dropped from
    its row, and each problem goes to ``log``; problems with a whole file still fail."""
    issues = Issues()
    mapping = None
    if taxonomy_map is not None:
        try:
            mapping = read_taxonomy_map(Path(taxonomy_map))
        except ReadFailed as exc:
            issues.extend(exc.issues)
    tables = _files(Path(path), issues)
    if issues:
        raise ReadFailed(issues.items)
    reader = _Reader(mapping, issues, skip=log is not None)
    services: list[Obj] = []
    for table in tables:
        reader.read(table, services)
    fatal = [issue for issue in issues.items if issue.row in (None, 1)]
    if fatal or (issues and log is None):
        raise ReadFailed(issues.items)
    if log is not None:
        log.issues.extend(issues.items)
        log.skipped += len({(i.file, i.row) for i in issues.items if i.action == "skipped"})
        for sid, found in reader.flags.items():
            for issue in found:
                log.flag(sid, issue)
    return services


def looks_like_samhsa(sample: FileSample) -> bool:
    """A plain ``.csv`` file whose header names ``name1`` (MH, SUD) or ``id`` and
    ``address`` (OTP)."""
    if sample.is_zip or not sample.name.endswith(".csv"):
        return False
    if sample.text.startswith(("[", "{")):
        return False
    columns = sample.header_columns()
    return "name1" in columns or {"id", "address"} <= columns
