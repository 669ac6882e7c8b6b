"""A deterministic, synthetic, messy 211-style HSDS 1.x export for tests.

No real 211 export is available to the project, so tests use this one, built to the HSDS 1.1
tabular layout with the habits of real exports: integer ids, a byte-order mark, Windows line
ends, one file in Windows-1252, HSDS 1.0 file names next to 1.1 ones, ``www.`` web addresses,
ZIP codes that lost their leading zero, extensions inside phone numbers, weekdays as numbers
or names, times written a dozen ways (``9:00am``, ``9 AM``, ``09:00``, ``9.30``, ``noon``,
``12:00 PM``, ``midnight``, ``9am-5pm`` in one cell, ``24 hours``, ``closed``, overnight
windows), holiday closures with US dates, AIRS codes in services_taxonomy + taxonomy, and
files HSDS 3.1 has no place for (programs, contacts, metadata).

:func:`build_export` writes the files and returns a :class:`Manifest` of what it meant: the
weekly hours of each service in HSDS 3.1 form (``(byday, opens_at, closes_at)``), its AIRS
codes, closures, languages... computed from the generator's own plan, never from the reader.
"""

from __future__ import annotations

import csv
import io
import random
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# AIRS-style codes (invented names in the AIRS layout) and a parent.
TAXONOMY = [
    ("RP-1500", "Crisis Intervention", ""),
    ("RP-1500.1400-200", "Mobile Crisis Teams", "RP-1500"),
    ("RP-1500.1400-500", "Suicide Prevention Hotlines", "RP-1500"),
    ("RX-8450.8000", "Outpatient Mental Health Facilities", ""),
    ("RX-8450.1000", "Crisis Stabilization Units", ""),
    ("RX-0400.1500", "Substance Use Disorder Counseling", ""),
    ("BH-1800.8500", "Homeless Shelter", ""),
]
#: The --taxonomy-map the tests use with this export, and what it means per AIRS code.
TAXONOMY_MAP_CSV = (
    "code,pmhc_type\n"
    "RP-1500.1400-500,crisis-line\n"
    "RP-1500*,mobile-crisis\n"
    "RX-8450.8000,outpatient-mental-health\n"
    "rx-8450.1000,crisis-stabilization\n"
    "RX-0400*,outpatient-substance-use\n"
)
MAPPED_TYPES = {
    "RP-1500": ["mobile-crisis"],
    "RP-1500.1400-200": ["mobile-crisis"],
    "RP-1500.1400-500": ["crisis-line"],
    "RX-8450.8000": ["outpatient-mental-health"],
    "RX-8450.1000": ["crisis-stabilization"],
    "RX-0400.1500": ["outpatient-substance-use"],
    "BH-1800.8500": [],
}


def _fmt_time(minutes: int, style: int) -> str:
    """A time of day written one of several ways 211 exports use."""
    hour, minute = divmod(minutes, 60)
    h12 = hour % 12 or 12
    ap = "am" if hour < 12 else "pm"
    if minutes == 12 * 60 and style % 2 == 0:
        return "noon"
    styles = [
        f"{h12}:{minute:02d}{ap}",
        f"{h12}:{minute:02d} {ap.upper()}",
        f"{hour:02d}:{minute:02d}",
        f"{h12}{'' if minute == 0 else f':{minute:02d}'} {ap[0]}.m.",
        f"{hour:02d}:{minute:02d}:00",
        f"{h12}.{minute:02d}{ap}",
    ]
    return styles[style % len(styles)]


def _fmt_day(day: int, style: int) -> str:
    return (str(day + 1), DAY_NAMES[day], DAY_SHORT[day], DAY_NAMES[day].upper())[style % 4]


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass
class Manifest:
    """What the generated export means, from the generator's plan."""

    services: int = 0
    organizations: int = 0
    locations: int = 0
    hours: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    codes: dict[str, list[str]] = field(default_factory=dict)
    closures: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    always_open: set[str] = field(default_factory=set)
    languages: dict[str, list[str]] = field(default_factory=dict)
    veterans_only: set[str] = field(default_factory=set)
    minimum_age: dict[str, int] = field(default_factory=dict)
    location_of: dict[str, str] = field(default_factory=dict)
    zip_of_location: dict[str, str] = field(default_factory=dict)


class _Files:
    def __init__(self) -> None:
        self.tables: dict[str, tuple[list[str], list[list[str]]]] = {}

    def table(self, name: str, header: list[str]) -> list[list[str]]:
        rows: list[list[str]] = []
        self.tables[name] = (header, rows)
        return rows

    def render(self) -> dict[str, bytes]:
        out = {}
        for name, (header, rows) in self.tables.items():
            buffer = io.StringIO(newline="")
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerow(header)
            writer.writerows(rows)
            text = buffer.getvalue()
            if name == "organization.csv":  # HSDS 1.0 name, saved by a Windows spreadsheet
                out[name] = text.encode("cp1252")
            elif name in ("services.csv", "regular_schedules.csv"):
                out[name] = b"\xef\xbb\xbf" + text.encode("utf-8")
            else:
                out[name] = text.encode("utf-8")
        return out


def build_export(
    target: Path, services: int = 60, *, seed: int = 211, as_zip: bool = False
) -> Manifest:
    """Write a messy HSDS 1.x export with ``services`` services to ``target`` (a folder, or a
    ``.zip`` whose files sit in a sub-folder when ``as_zip``); return what it means."""
    rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
    files = _Files()
    manifest = Manifest(services=services)
    n_orgs = max(1, services // 3)
    n_locations = max(1, services // 2)
    manifest.organizations = n_orgs
    manifest.locations = n_locations

    orgs = files.table(
        "organization.csv",
        [
            "id",
            "name",
            "alternate_name",
            "description",
            "email",
            "url",
            "tax_status",
            "year_incorporated",
        ],
    )
    for i in range(1, n_orgs + 1):
        url = rng.choice([f"www.org{i}.example.org", f"https://org{i}.example.org/", ""])
        name = f"Org {i} Behavioral Health" if i % 7 else f"Café Comunitario {i}"
        orgs.append(
            [
                str(i),
                name,
                "",
                f"Nonprofit number {i}.",
                f"info@org{i}.example.org" if i % 3 else "",
                url,
                "501(c)(3)",
                "1987",
            ]
        )

    locations = files.table(
        "locations.csv",
        ["id", "organization_id", "name", "description", "transportation", "latitude", "longitude"],
    )
    addresses = files.table(
        "physical_addresses.csv",
        [
            "id",
            "location_id",
            "attention",
            "address_1",
            "address_2",
            "city",
            "state_province",
            "postal_code",
            "country",
        ],
    )
    postal = files.table(
        "postal_addresses.csv",
        ["id", "location_id", "address_1", "city", "state_province", "postal_code", "country"],
    )
    access = files.table(
        "accessibility_for_disabilities.csv", ["id", "location_id", "accessibility", "details"]
    )
    for i in range(1, n_locations + 1):
        org = (i - 1) % n_orgs + 1
        has_point = i % 5 != 0
        lat = f"{35.0 + rng.random():.6f}" if has_point else ""
        lon = f"{-106.9 + rng.random():.6f}" if has_point else ""
        locations.append(
            [str(100 + i), str(org), f"Site {i}", "", "Bus 66" if i % 4 == 0 else "", lat, lon]
        )
        zip_code = f"{rng.randint(1000, 99999):05d}"
        written = zip_code.lstrip("0") if zip_code.startswith("0") else zip_code
        country = ("US", "USA", "", "United States")[i % 4]
        addresses.append(
            [
                str(500 + i),
                str(100 + i),
                "",
                f"{100 + i} Main St",
                "Suite 2" if i % 3 == 0 else "",
                "Albuquerque",
                "NM",
                written,
                country,
            ]
        )
        manifest.zip_of_location[str(100 + i)] = zip_code
        if i % 6 == 0:
            postal.append(
                [str(900 + i), str(100 + i), f"PO Box {i}", "Albuquerque", "NM", "87101", "US"]
            )
        if i % 4 == 1:
            access.append(
                [
                    str(700 + i),
                    str(100 + i),
                    "Wheelchair accessible",
                    "Ramp at the rear" if i % 8 == 1 else "",
                ]
            )

    svc = files.table(
        "services.csv",
        [
            "id",
            "organization_id",
            "program_id",
            "name",
            "alternate_name",
            "description",
            "url",
            "email",
            "status",
            "fees",
            "wait_time",
            "application_process",
            "interpretation_services",
        ],
    )
    sal = files.table(
        "services_at_location.csv", ["id", "service_id", "location_id", "description"]
    )
    phones = files.table(
        "phones.csv",
        [
            "id",
            "location_id",
            "service_id",
            "organization_id",
            "contact_id",
            "service_at_location_id",
            "number",
            "extension",
            "type",
            "language",
            "description",
            "department",
        ],
    )
    regular = files.table(
        "regular_schedules.csv",
        [
            "id",
            "service_id",
            "location_id",
            "service_at_location_id",
            "weekday",
            "opens_at",
            "closes_at",
        ],
    )
    holiday = files.table(
        "holiday_schedules.csv",
        [
            "id",
            "service_id",
            "location_id",
            "service_at_location_id",
            "closed",
            "opens_at",
            "closes_at",
            "start_date",
            "end_date",
        ],
    )
    eligibility = files.table("eligibility.csv", ["id", "service_id", "eligibility"])
    languages = files.table("languages.csv", ["id", "service_id", "location_id", "language"])
    services_taxonomy = files.table(
        "services_taxonomy.csv", ["id", "service_id", "taxonomy_id", "taxonomy_detail"]
    )
    areas = files.table("service_area.csv", ["id", "service_id", "service_area", "description"])
    payments = files.table("payment_accepted.csv", ["id", "service_id", "payment"])
    taxonomy = files.table("taxonomy.csv", ["id", "name", "parent_id", "parent_name", "vocabulary"])
    for code, name, parent in TAXONOMY:
        parent_name = next((n for c, n, _p in TAXONOMY if c == parent), "")
        taxonomy.append([code, name, parent, parent_name, "AIRS"])
    files.table("programs.csv", ["id", "organization_id", "name"]).append(
        ["1", "1", "Ignored program"]
    )
    files.table("contacts.csv", ["id", "service_id", "name", "title"]).append(
        ["1", "1001", "Staff Person", "Director"]
    )
    phones.append(["9", "", "", "", "1", "", "505-555-0999", "", "", "", "Direct line", ""])
    files.table(
        "metadata.csv",
        [
            "id",
            "resource_id",
            "last_action_date",
            "last_action_type",
            "field_name",
            "previous_value",
            "replacement_value",
            "updated_by",
        ],
    )

    schedule_id = 1
    for i in range(1, services + 1):
        sid = str(1000 + i)
        org = (i - 1) % n_orgs + 1
        status = ("Active", "active", "", "ACTIVE")[i % 4]
        svc.append(
            [
                sid,
                str(org),
                "",
                f"Service {i}",
                "",
                f"Help number {i}.",
                f"org{org}.example.org/s{i}" if i % 2 else "",
                "",
                status,
                "Free" if i % 5 == 0 else "",
                "1 week",
                "Call first.",
                "Interpreters on request" if i % 9 == 0 else "",
            ]
        )
        location = str(100 + (i - 1) % n_locations + 1)
        sal.append([str(3000 + i), sid, location, ""])
        manifest.location_of[sid] = location
        number = f"(505) 555-{i % 10000:04d}"
        phones.append(
            [
                str(4000 + i),
                "",
                sid,
                "",
                "",
                "",
                number + (" x12" if i % 4 == 0 else ""),
                "",
                ("voice", "Voice", "fax", "TTY")[i % 4],
                "",
                "Main line",
                "",
            ]
        )
        if i % 10 == 0:
            phones.append(
                [
                    str(8000 + i),
                    location,
                    "",
                    "",
                    "",
                    "",
                    f"505.555.{i % 10000:04d}",
                    "7",
                    "",
                    "",
                    "",
                    "Front desk",
                ]
            )

        plan: list[tuple[str, str, str]] = []
        kind = i % 6
        if kind == 5:  # around the clock, written as "24 hours" seven days
            manifest.always_open.add(sid)
            for day in range(7):
                regular.append(
                    [
                        str(schedule_id),
                        sid,
                        "",
                        "",
                        _fmt_day(day, i + day),
                        ("24 hours", "Open 24 Hours", "24 hrs")[day % 3],
                        "",
                    ]
                )
                schedule_id += 1
                plan.append((DAYS[day], "00:00", "23:59"))
        elif kind == 4:  # overnight shelter hours, weekend closed (written "closed")
            for day in range(7):
                if day >= 5:
                    regular.append([str(schedule_id), sid, "", "", _fmt_day(day, i), "Closed", ""])
                else:
                    regular.append(
                        [
                            str(schedule_id),
                            sid,
                            "",
                            "",
                            _fmt_day(day, i + day),
                            _fmt_time(21 * 60, day),
                            _fmt_time(7 * 60, day + 1),
                        ]
                    )
                    plan.append((DAYS[day], "21:00", "07:00"))
                schedule_id += 1
        elif kind == 3:  # split hours in one cell, Monday to Friday in one row
            regular.append([str(schedule_id), sid, "", "", "Mon-Fri", "9-12, 1-5pm", ""])
            schedule_id += 1
            for day in range(5):
                plan += [(DAYS[day], "09:00", "12:00"), (DAYS[day], "13:00", "17:00")]
        else:  # weekday hours, random times, closing at midnight on some days
            opens = rng.choice([7 * 60, 8 * 60, 8 * 60 + 30, 9 * 60, 9 * 60 + 30, 12 * 60])
            closes = rng.choice([16 * 60, 17 * 60, 17 * 60 + 30, 20 * 60, 24 * 60])
            for day in range(5 if kind != 2 else 6):
                style = rng.randrange(6)
                if closes == 24 * 60:
                    close_text = ("midnight", "12am", "12:00 AM")[style % 3]
                else:
                    close_text = _fmt_time(closes, style + 1)
                if kind == 1 and day == 0:  # one range in the opens_at cell
                    regular.append(
                        [
                            str(schedule_id),
                            sid,
                            "",
                            "",
                            _fmt_day(day, style),
                            f"{_fmt_time(opens, 0)}-{close_text}",
                            "",
                        ]
                    )
                else:
                    regular.append(
                        [
                            str(schedule_id),
                            sid,
                            "",
                            "",
                            _fmt_day(day, style),
                            _fmt_time(opens, style),
                            close_text,
                        ]
                    )
                schedule_id += 1
                plan.append(
                    (DAYS[day], _hhmm(opens), "23:59" if closes == 24 * 60 else _hhmm(closes))
                )
        manifest.hours[sid] = sorted(plan)

        if i % 8 == 0:
            holiday.append(
                [
                    str(6000 + i),
                    sid,
                    "",
                    "",
                    ("TRUE", "1", "yes")[i % 3],
                    "",
                    "",
                    "12/25/2026",
                    "12/26/26",
                ]
            )
            manifest.closures[sid] = [("2026-12-25", "2026-12-26")]
        codes = [TAXONOMY[i % len(TAXONOMY)][0]]
        if i % 3 == 0:
            codes.append(TAXONOMY[(i + 2) % len(TAXONOMY)][0])
        codes = list(dict.fromkeys(codes))
        for j, code in enumerate(codes):
            services_taxonomy.append([str(7000 + 10 * i + j), sid, code, ""])
        manifest.codes[sid] = codes
        if i % 7 == 0:
            eligibility.append([str(9000 + i), sid, "Veterans"])
            manifest.veterans_only.add(sid)
        if i % 11 == 0:
            eligibility.append([str(9500 + i), sid, "Adults ages 18 and over"])
            manifest.minimum_age[sid] = 18
        langs = ["Spanish"] if i % 2 else ["es", "Vietnamese"]
        languages.append([str(5000 + i), sid, "", ", ".join(langs) if i % 2 == 0 else langs[0]])
        manifest.languages[sid] = ["es"] if i % 2 else ["es", "vi"]
        if i % 5 == 0:
            areas.append([str(9800 + i), sid, "Bernalillo County", ""])
            payments.append([str(9900 + i), sid, "Medicaid, Sliding scale"])

    rendered = files.render()
    if as_zip:
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in rendered.items():
                archive.writestr(f"export_2026_11/{name}", data)
    else:
        target.mkdir(parents=True, exist_ok=True)
        for name, data in rendered.items():
            (target / name).write_bytes(data)
    return manifest


def write_taxonomy_map(path: Path) -> Path:
    path.write_text(TAXONOMY_MAP_CSV, encoding="utf-8")
    return path
