"""A legacy HSDS 1.x export with every problem class of issue #15's table, for the
``--on-error`` tests: :func:`build_messy_export` writes ``tests.legacy211_builder``'s export,
then spoils chosen rows the way real 211 exports are spoilt, and returns what it did.

Problem classes (each a handful of rows, scaled to the size):

* ``eligibility.csv`` rows with an empty ``service_id`` (row dropped);
* services whose ``organization_id`` names a row missing from ``organizations.csv``
  (kept under a placeholder organization, flagged);
* ``regular_schedules.csv`` rows with no opening or closing time (row dropped; a service left
  with no readable row has hours unknown, flagged);
* ``physical_addresses.csv`` rows that are entirely empty (row dropped, flagged);
* free-text times with typos (``6:30am`` / ``6:300pm``) or a closing time alone (row dropped);
* ``phones.csv`` rows with an empty number (row dropped, flagged);
* repeated taxonomy ids (the repeat dropped);
* URLs that are not web addresses (a bare word; a host and path with backslashes) (field
  dropped, flagged);
* services with an empty name (skipped with their dependents).
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.legacy211_builder import Manifest, build_export


@dataclass
class Spoilt:
    """What was spoilt: service original ids by problem class, and the counts of rows."""

    manifest: Manifest
    empty_eligibility_rows: int = 0
    missing_org_services: list[str] = field(default_factory=list)
    missing_org_ids: list[str] = field(default_factory=list)
    no_time_schedule_rows: int = 0
    hours_unknown_services: list[str] = field(default_factory=list)
    typo_time_services: list[str] = field(default_factory=list)
    empty_address_locations: list[str] = field(default_factory=list)
    empty_phone_services: list[str] = field(default_factory=list)
    repeated_taxonomy_ids: list[str] = field(default_factory=list)
    bad_url_services: list[str] = field(default_factory=list)
    nameless_services: list[str] = field(default_factory=list)

    @property
    def skipped_services(self) -> set[str]:
        return set(self.nameless_services)

    @property
    def flagged_services(self) -> set[str]:
        """Original ids of the services that must be in the verification queue."""
        at_empty = {
            sid
            for sid, loc in self.manifest.location_of.items()
            if loc in set(self.empty_address_locations)
        }
        flagged = (
            set(self.missing_org_services)
            | set(self.hours_unknown_services)
            | set(self.typo_time_services)
            | set(self.empty_phone_services)
            | set(self.bad_url_services)
            | at_empty
        )
        return flagged - self.skipped_services


def _read(folder: Path, name: str) -> tuple[list[str], list[list[str]], bytes]:
    raw = (folder / name).read_bytes()
    bom = b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b""
    encoding = "cp1252" if name == "organization.csv" else "utf-8"
    text = raw[len(bom) :].decode(encoding)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:], bom


def _write(folder: Path, name: str, header: list[str], rows: list[list[str]], bom: bytes) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    encoding = "cp1252" if name == "organization.csv" else "utf-8"
    (folder / name).write_bytes(bom + buffer.getvalue().encode(encoding))


def build_messy_export(target: Path, services: int = 3000, *, as_zip: bool = True) -> Spoilt:
    """Write the spoilt export to ``target`` (a ``.zip`` when ``as_zip``, else a folder)."""
    folder = target.with_name(target.name + ".d") if as_zip else target
    manifest = build_export(folder, services)
    spoilt = Spoilt(manifest)
    step = max(1, services // 40)  # ~40 rows of each class at 1,600 services and up

    def edit(name: str, change) -> None:  # noqa: ANN001
        header, rows, bom = _read(folder, name)
        change(header, rows)
        _write(folder, name, header, rows, bom)

    # services: missing organizations, bad URLs, empty names
    def services_csv(header: list[str], rows: list[list[str]]) -> None:
        col = {name: i for i, name in enumerate(header)}
        for n, row in enumerate(rows):
            sid = row[col["id"]]
            if n % step == 1:
                missing = f"9{n:05d}"
                row[col["organization_id"]] = missing
                spoilt.missing_org_services.append(sid)
                spoilt.missing_org_ids.append(missing)
            elif n % step == 2:
                row[col["url"]] = ("homepage", "www.example.org\\crisis\\index.html")[n % 2]
                spoilt.bad_url_services.append(sid)
            elif n % (step * 4) == 3:
                row[col["name"]] = ""
                spoilt.nameless_services.append(sid)

    edit("services.csv", services_csv)

    # eligibility rows with no service
    def eligibility_csv(header: list[str], rows: list[list[str]]) -> None:
        for n in range(max(3, services // 100)):
            rows.append([str(20000 + n), "", "Adults"])
            spoilt.empty_eligibility_rows += 1

    edit("eligibility.csv", eligibility_csv)

    # schedules: rows with no times (every row of some services), typos in others
    def schedules_csv(header: list[str], rows: list[list[str]]) -> None:
        col = {name: i for i, name in enumerate(header)}
        by_service: dict[str, list[list[str]]] = {}
        for row in rows:
            by_service.setdefault(row[col["service_id"]], []).append(row)
        ordered = sorted(by_service, key=int)
        for n, sid in enumerate(ordered):
            if sid in spoilt.nameless_services:
                continue
            if n % step == 5:  # every row of the service without times: hours unknown
                for row in by_service[sid]:
                    row[col["opens_at"]] = ""
                    row[col["closes_at"]] = ""
                    spoilt.no_time_schedule_rows += 1
                spoilt.hours_unknown_services.append(sid)
            elif n % step == 6:
                first = by_service[sid][0]
                if first[col["closes_at"]]:
                    first[col["opens_at"]], first[col["closes_at"]] = "6:30am", "6:300pm"
                else:  # a closing time alone
                    first[col["opens_at"]], first[col["closes_at"]] = "", "5pm"
                spoilt.typo_time_services.append(sid)

    edit("regular_schedules.csv", schedules_csv)

    # entirely empty addresses
    def addresses_csv(header: list[str], rows: list[list[str]]) -> None:
        col = {name: i for i, name in enumerate(header)}
        for n, row in enumerate(rows):
            if n % step == 7:
                for name in ("address_1", "address_2", "city", "state_province", "postal_code"):
                    row[col[name]] = ""
                row[col["country"]] = ""
                spoilt.empty_address_locations.append(row[col["location_id"]])

    edit("physical_addresses.csv", addresses_csv)

    # phones with an empty number
    def phones_csv(header: list[str], rows: list[list[str]]) -> None:
        col = {name: i for i, name in enumerate(header)}
        for n, row in enumerate(rows):
            sid = row[col["service_id"]]
            if sid and n % step == 8 and sid not in spoilt.nameless_services:
                row[col["number"]] = ""
                spoilt.empty_phone_services.append(sid)

    edit("phones.csv", phones_csv)

    # repeated taxonomy ids (three, as in the issue)
    def taxonomy_csv(header: list[str], rows: list[list[str]]) -> None:
        for code, name in (("RP-1500", "Crisis (again)"), ("RX-8450.8000", "Outpatient"),
                           ("BH-1800.8500", "Shelter (again)")):  # fmt: skip
            rows.append([code, name, "", "", "AIRS"])
            spoilt.repeated_taxonomy_ids.append(code)

    edit("taxonomy.csv", taxonomy_csv)

    if as_zip:
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(folder.iterdir()):
                archive.writestr(f"export/{file.name}", file.read_bytes())
    return spoilt
