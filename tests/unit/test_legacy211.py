"""Reading HSDS 1.x (211) tabular exports into compiled HSDS 3.1 services (hsds.legacy211),
and the --taxonomy-map CSV (hsds.taxonomy_map)."""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from pathlib import Path

import pytest

from pmhc_directory.hsds.deserialize import parse_services
from pmhc_directory.hsds.errors import ReadFailed
from pmhc_directory.hsds.legacy211 import NAMESPACE, read_hsds1_package
from pmhc_directory.hsds.taxonomy_map import read_taxonomy_map
from pmhc_directory.taxonomy import vocabulary

ORGS = {
    "organizations.csv": [["id", "name", "url"], ["1", "Juniper Health", "www.juniper.example.org"]]
}


def write_package(folder: Path, tables: dict[str, list[list[str]]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        buffer = io.StringIO(newline="")
        csv.writer(buffer).writerows(rows)
        (folder / name).write_text(buffer.getvalue(), encoding="utf-8", newline="")
    return folder


def expected_id(table: str, original: str) -> str:
    return str(uuid.uuid5(uuid.UUID("98b06d75-e996-45a7-9c5a-6a40ce894cf9"), f"{table}:{original}"))


def services_table(*rows: list[str]) -> list[list[str]]:
    return [["id", "organization_id", "name", "description", "status", "url"], *rows]


def package(tmp_path: Path, **extra: list[list[str]]) -> Path:
    tables = {
        **ORGS,
        "services.csv": services_table(["10", "1", "Crisis Line", "Answered 24/7.", "Active", ""]),
    }
    tables.update({f"{name}.csv": rows for name, rows in extra.items()})
    return write_package(tmp_path / "export", tables)


def read(path: Path, **kwargs) -> list[dict]:
    services = read_hsds1_package(path, **kwargs)
    parsed = parse_services(services)  # what the importer does next: it must accept them
    assert parsed.issues == []
    return services


def problems(path: Path, **kwargs) -> list[str]:
    with pytest.raises(ReadFailed) as info:
        read_hsds1_package(path, **kwargs)
    return [str(issue) for issue in info.value.issues]


def test_the_namespace_is_the_documented_one():
    assert str(NAMESPACE) == "98b06d75-e996-45a7-9c5a-6a40ce894cf9"


def test_minimal_package_maps_ids_with_uuid5(tmp_path):
    [service] = read(package(tmp_path))
    assert service["id"] == expected_id("services", "10")
    assert service["name"] == "Crisis Line"
    assert service["status"] == "active"
    assert service["organization"]["id"] == expected_id("organizations", "1")
    assert service["organization_id"] == service["organization"]["id"]
    assert service["organization"]["website"] == "http://www.juniper.example.org"
    assert service["service_at_locations"] == []
    assert service["attributes"] == []


def test_rereading_gives_identical_services(tmp_path):
    path = package(
        tmp_path,
        regular_schedules=[
            ["id", "service_id", "weekday", "opens_at", "closes_at"],
            ["1", "10", "Monday", "9am", "5pm"],
        ],
    )
    assert read_hsds1_package(path) == read_hsds1_package(path)


def full_package(tmp_path: Path) -> Path:
    return package(
        tmp_path,
        locations=[
            ["id", "organization_id", "name", "latitude", "longitude"],
            ["20", "1", "Westside", "35.08", "-106.65"],
            ["21", "1", "Mailroom", "", ""],
        ],
        physical_addresses=[
            [
                "id",
                "location_id",
                "address_1",
                "address_2",
                "city",
                "state_province",
                "postal_code",
                "country",
            ],
            ["30", "20", "100 Main St", "Suite 2", "Albuquerque", "NM", "87102", "USA"],
        ],
        postal_addresses=[
            ["id", "location_id", "address_1", "city", "state_province", "postal_code", "country"],
            ["31", "21", "PO Box 9", "Hartford", "CT", "6103", ""],
        ],
        services_at_location=[
            ["id", "service_id", "location_id", "description"],
            ["40", "10", "20", "Side door"],
            ["41", "10", "21", ""],
        ],
        phones=[
            [
                "id",
                "service_id",
                "location_id",
                "organization_id",
                "number",
                "extension",
                "type",
                "department",
            ],
            ["50", "10", "", "", "505-555-0100 x12", "", "Voice", ""],
            ["51", "", "20", "", "505-555-0101", "ext. 7", "TTY", "Front desk"],
            ["52", "", "", "1", "505-555-0102", "", "fax", ""],
            ["53", "10", "20", "", "505-555-0103", "", "", ""],
        ],
        regular_schedules=[
            ["id", "service_id", "location_id", "weekday", "opens_at", "closes_at"],
            ["60", "10", "", "1", "9:00am", "5:00 PM"],
            ["61", "10", "", "Tues", "9am-12pm, 1pm-5pm", ""],
            ["62", "10", "", "Friday", "10pm", "6am"],
            ["63", "10", "", "Saturday", "Closed", ""],
            ["64", "", "20", "Mon-Fri", "noon", "midnight"],
        ],
        holiday_schedules=[
            ["id", "service_id", "closed", "opens_at", "closes_at", "start_date", "end_date"],
            ["70", "10", "TRUE", "", "", "12/25/2026", "12/26/2026"],
            ["71", "10", "false", "10am", "2pm", "2026-12-24", ""],
        ],
        eligibility=[
            ["id", "service_id", "eligibility"],
            ["80", "10", "Veterans"],
            ["81", "10", "Ages 18 and over"],
        ],
        languages=[
            ["id", "service_id", "location_id", "language"],
            ["90", "10", "", "Spanish, vi"],
            ["91", "", "20", "Navajo"],
        ],
        accessibility_for_disabilities=[
            ["id", "location_id", "accessibility", "details"],
            ["95", "20", "Wheelchair ramp", "rear entrance"],
        ],
        taxonomy=[
            ["id", "name", "parent_id", "vocabulary"],
            ["RP-1500", "Crisis Intervention", "", "AIRS"],
            ["RP-1500.1400-500", "Suicide Hotlines", "RP-1500", "AIRS"],
        ],
        services_taxonomy=[
            ["id", "service_id", "taxonomy_id", "taxonomy_detail"],
            ["100", "10", "RP-1500.1400-500", ""],
            ["101", "10", "RP-1500", "Crisis*Veterans"],
        ],
    )


def test_full_package(tmp_path):
    [service] = read(full_package(tmp_path))
    sid = service["id"]
    [westside, mailroom] = service["service_at_locations"]
    assert westside["id"] == expected_id("services_at_location", "40")
    assert westside["description"] == "Side door"
    location = westside["location"]
    assert location["id"] == expected_id("locations", "20")
    assert (location["location_type"], location["latitude"], location["longitude"]) == (
        "physical",
        35.08,
        -106.65,
    )
    assert location["organization_id"] == expected_id("organizations", "1")
    [address] = location["addresses"]
    assert (
        address["address_1"],
        address["address_2"],
        address["country"],
        address["address_type"],
    ) == ("100 Main St", "Suite 2", "US", "physical")
    assert location["description"] == "Accessibility: Wheelchair ramp (rear entrance)"
    assert [
        (p["number"], p.get("extension"), p.get("type"), p.get("description"))
        for p in location["phones"]
    ] == [("505-555-0101", "7", "textphone", "Front desk")]
    assert [(s["byday"], s["opens_at"], s["closes_at"]) for s in location["schedules"]] == [
        ("MO,TU,WE,TH,FR", "12:00", "23:59")
    ]
    assert [lang["name"] for lang in location["languages"]] == ["Navajo"]
    assert mailroom["location"]["location_type"] == "postal"
    assert mailroom["location"]["addresses"][0]["postal_code"] == "06103"  # the lost zero is back
    # a phone with both service_id and location_id belongs to that service-at-location
    assert [p["number"] for p in westside["phones"]] == ["505-555-0103"]
    assert [(p["number"], p.get("extension")) for p in service["phones"]] == [
        ("505-555-0100", "12")
    ]
    assert service["organization"]["phones"][0]["number"] == "505-555-0102"

    weekly = [
        (s["byday"], s["opens_at"], s["closes_at"])
        for s in service["schedules"]
        if "valid_from" not in s
    ]
    assert weekly == [
        ("MO", "09:00", "17:00"),
        ("TU", "09:00", "12:00"),
        ("TU", "13:00", "17:00"),
        ("FR", "22:00", "06:00"),
    ]
    dated = [
        (s["valid_from"], s["valid_to"], s.get("opens_at"))
        for s in service["schedules"]
        if "valid_from" in s
    ]
    assert dated == [("2026-12-25", "2026-12-26", None), ("2026-12-24", "2026-12-24", "10:00")]

    assert service["eligibility_description"] == "Veterans; Ages 18 and over"
    assert service["minimum_age"] == 18 and "maximum_age" not in service
    assert [(lang["name"], lang["code"]) for lang in service["languages"]] == [
        ("Spanish", "es"),
        ("Vietnamese", "vi"),
    ]
    vocab = vocabulary()
    veterans = vocab.term("population", "veterans")
    attributes = service["attributes"]
    assert [(a["link_type"], a["taxonomy_term"]["code"]) for a in attributes] == [
        ("eligibility", "veterans"),
        ("category", "RP-1500.1400-500"),
        ("category", "RP-1500"),
    ]
    assert attributes[0]["taxonomy_term_id"] == veterans.id and attributes[0]["link_id"] == sid
    airs = attributes[1]["taxonomy_term"]
    assert airs["id"] == expected_id("taxonomy", "RP-1500.1400-500")
    assert (airs["name"], airs["taxonomy"], airs["taxonomy_detail"]["name"]) == (
        "Suicide Hotlines",
        "AIRS",
        "AIRS",
    )
    assert airs["parent_id"] == expected_id("taxonomy", "RP-1500")  # the parent is used too
    assert attributes[2]["value"] == "Crisis*Veterans"


def test_phones_of_contacts_are_left_out_with_the_contacts(tmp_path):
    phones = [
        ["id", "service_id", "contact_id", "number"],
        ["1", "", "7", "505-555-0999"],
        ["2", "10", "", "505-555-0100"],
    ]
    [service] = read(package(tmp_path, phones=phones))
    assert [p["number"] for p in service["phones"]] == ["505-555-0100"]


def test_zip_with_a_subfolder_reads_like_the_folder(tmp_path):
    folder = full_package(tmp_path)
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for file in folder.iterdir():
            zf.write(file, f"County211_2026/{file.name.upper()}")
    assert read(archive) == read(folder)


def test_taxonomy_map_gives_pmhc_service_types(tmp_path):
    mapping = tmp_path / "map.csv"
    mapping.write_text(
        (
            "code,pmhc_type,comment\nRP-1500*,mobile-crisis,\nrp-1500.1400-500,crisis-line,\nrp-1500.1400-500,warmline,\n"
        ),
        encoding="utf-8",
    )
    [service] = read(full_package(tmp_path), taxonomy_map=mapping)
    types = [
        a["taxonomy_term"]["code"]
        for a in service["attributes"]
        if a["link_type"] == "service_type"
    ]
    # the exact code beats the prefix; the prefix covers RP-1500 itself
    assert types == ["crisis-line", "warmline", "mobile-crisis"]


def test_open_24_7_when_every_day_is_24_hours(tmp_path):
    header = ["id", "service_id", "weekday", "opens_at", "closes_at"]
    rows = [[str(d), "10", str(d), "24 hours", ""] for d in range(1, 8)]
    [service] = read(package(tmp_path / "a", regular_schedules=[header, *rows]))
    assert "open-24-7" in [a["taxonomy_term"]["code"] for a in service["attributes"]]
    [partial] = read(package(tmp_path / "b", regular_schedules=[header, *rows[:6]]))
    assert "open-24-7" not in [a["taxonomy_term"]["code"] for a in partial["attributes"]]


def test_windows_1252_and_byte_order_mark(tmp_path):
    folder = package(tmp_path)
    (folder / "organizations.csv").write_bytes("id,name\r\n1,Café Esperanza\r\n".encode("cp1252"))
    services = (folder / "services.csv").read_bytes()
    (folder / "services.csv").write_bytes(b"\xef\xbb\xbf" + services)
    [service] = read(folder)
    assert service["organization"]["name"] == "Café Esperanza"
    assert service["name"] == "Crisis Line"


def test_hsds_1_0_file_and_column_names(tmp_path):
    folder = write_package(
        tmp_path / "v10",
        {
            "organization.csv": [["id", "name"], ["1", "Juniper Health"]],
            "service.csv": [
                ["id", "organization_id", "location_id", "name"],
                ["10", "1", "20", "Crisis Line"],
            ],
            "location.csv": [["id", "name"], ["20", "Westside"]],
            "regular_schedule.csv": [
                ["id", "service_id", "location", "weekday", "opens_at", "closes_at"],
                ["1", "10", "20", "Monday", "8am", "4pm"],
            ],
        },
    )
    [service] = read(folder)
    [sal] = service["service_at_locations"]
    assert sal["location"]["name"] == "Westside"
    assert [(s["byday"], s["opens_at"]) for s in sal["schedules"]] == [("MO", "08:00")]


def test_missing_required_file_and_columns(tmp_path):
    folder = write_package(
        tmp_path / "bad",
        {
            "services.csv": [["id", "name"], ["10", "Crisis Line"]],
            "phones.csv": [["id", "number"], ["1", "505-555-0100"]],
        },
    )
    assert problems(folder) == [
        "organizations.csv: is missing from the package",
        "services.csv row 1: lacks the required column(s) organization_id",
        (
            "phones.csv row 1: needs a column naming what each row belongs to (service_id or "
            "location_id or organization_id or service_at_location_id)"
        ),
    ]


def test_not_a_package(tmp_path):
    file = tmp_path / "services.json"
    file.write_text("[]", encoding="utf-8")
    assert problems(file) == ["services.json: is neither a folder nor a .zip of HSDS 1.x CSV files"]


def test_every_bad_row_is_reported_with_file_row_id_column_and_text(tmp_path):
    folder = package(
        tmp_path,
        services=services_table(
            ["10", "1", "Crisis Line", "", "open", "htp//bad"],
            ["10", "1", "Again", "", "", ""],
            ["11", "9", "", "", "", ""],
        ),
        locations=[["id", "latitude", "longitude"], ["20", "135", "-106"]],
        physical_addresses=[
            ["id", "location_id", "address_1", "city", "state_province", "postal_code"],
            ["30", "20", "1 Main", "Albuquerque", "NM", "87A02"],
            ["31", "99", "1 Main", "X", "NM", "87102"],
        ],
        regular_schedules=[
            ["id", "service_id", "weekday", "opens_at", "closes_at"],
            ["60", "10", "Funday", "9am", "5pm"],
            ["61", "10", "Monday", "9:00", "5:00"],
            ["62", "77", "Monday", "9am", "5pm"],
            ["63", "10", "", "9am", "5pm"],
        ],
        holiday_schedules=[
            ["id", "service_id", "closed", "start_date", "end_date"],
            ["70", "10", "maybe", "12/25/2026", ""],
            ["71", "10", "yes", "Christmas", ""],
        ],
    )
    found = problems(folder)
    expected = [
        (
            "locations.csv row 2, id 20, latitude/longitude: 135, -106 is outside latitude -90..90 "
            "/ longitude -180..180"
        ),
        (
            "physical_addresses.csv row 2, id 30, postal_code: '87A02' is not a US ZIP code (5 "
            "digits or ZIP+4)"
        ),
        (
            "physical_addresses.csv row 3, id 31, location_id: names location '99', which "
            "locations.csv lacks"
        ),
        "services.csv row 3, id 10, id: repeats the id of row 2",
        "regular_schedules.csv row 2, id 60, weekday: 'Funday' is not a day of the week",
        "regular_schedules.csv row 3, id 61, opens_at/closes_at: '9:00 / 5:00' is ambiguous",
        "regular_schedules.csv row 4, id 62, service_id: names '77', which services.csv lacks",
        "regular_schedules.csv row 5, id 63, weekday: is empty",
        "holiday_schedules.csv row 2, id 70, closed: 'maybe' is not yes or no",
        "holiday_schedules.csv row 3, id 71, start_date/end_date: 'Christmas' is not a date",
        "services.csv row 2, id 10, url: 'htp//bad' is not a web address",
        (
            "services.csv row 2, id 10, status: 'open' is not active, inactive, defunct or "
            "temporarily closed"
        ),
        "services.csv row 4, id 11, name: is empty",
        "services.csv row 4, id 11, organization_id: names '9', which organizations.csv lacks",
    ]
    assert len(found) == len(expected)
    for line, start in zip(found, expected, strict=True):
        assert line.startswith(start), (line, start)


def test_taxonomy_file_must_know_the_linked_codes(tmp_path):
    folder = package(
        tmp_path,
        taxonomy=[["id", "name"], ["RP-1500", "Crisis Intervention"]],
        services_taxonomy=[["id", "service_id", "taxonomy_id"], ["1", "10", "XX-1"]],
    )
    assert problems(folder) == [
        "services_taxonomy.csv row 2, id 1, taxonomy_id: names 'XX-1', which taxonomy.csv lacks"
    ]


def test_deprecated_taxonomy_ids_column(tmp_path):
    folder = write_package(
        tmp_path / "ids",
        {
            **ORGS,
            "services.csv": [
                ["id", "organization_id", "name", "taxonomy_ids"],
                ["10", "1", "Crisis Line", "RP-1500, RX-8450"],
            ],
        },
    )
    [service] = read(folder)
    assert [a["taxonomy_term"]["code"] for a in service["attributes"]] == ["RP-1500", "RX-8450"]


def test_codes_without_a_taxonomy_file_are_kept_as_terms_named_by_code(tmp_path):
    folder = package(
        tmp_path, services_taxonomy=[["id", "service_id", "taxonomy_id"], ["1", "10", "RP-1500"]]
    )
    [service] = read(folder)
    [attribute] = service["attributes"]
    assert (attribute["taxonomy_term"]["code"], attribute["taxonomy_term"]["name"]) == (
        "RP-1500",
        "RP-1500",
    )
    assert attribute["taxonomy_term"]["taxonomy"] == "HSDS 1.x taxonomy"


# ---------------------------------------------------------------------------------------------
# The taxonomy map


def map_file(tmp_path: Path, text: str, name: str = "map.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_taxonomy_map_matching(tmp_path):
    mapping = read_taxonomy_map(
        map_file(
            tmp_path,
            (
                "\ufeffCode , "
                "PMHC_Type\nRP-1500*,mobile-crisis\nRP-1500.1400*,crisis-line\nMH,crisis-receiving\nMH,outpatient-mental-health\n\n"
            ),
        )
    )
    assert mapping.types_for("rp-1500.1400-500") == ["crisis-line"]  # longest prefix wins
    assert mapping.types_for("RP-1500.9999") == ["mobile-crisis"]
    assert mapping.types_for(" mh ") == ["crisis-receiving", "outpatient-mental-health"]
    assert mapping.types_for("SUD") == []


def test_taxonomy_map_unknown_type_is_a_clear_error(tmp_path):
    path = map_file(tmp_path, "code,pmhc_type\nRP-1500,crisis-recieving\nRP-1600,\n,crisis-line\n")
    with pytest.raises(ReadFailed) as info:
        read_taxonomy_map(path)
    assert [str(i) for i in info.value.issues] == [
        (
            "taxonomy map map.csv row 2, pmhc_type: 'crisis-recieving' is not a PMHC service type "
            "(did you mean 'crisis-receiving'?); the codes are the service-type terms of "
            "pmhc_directory/data/taxonomy.json"
        ),
        "taxonomy map map.csv row 3, pmhc_type: is empty",
        "taxonomy map map.csv row 4, code: is empty",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "external,type\nRP,crisis-line\n",
            (
                "needs the columns code and pmhc_type in its header row (missing code, pmhc_type; "
                "found external, type)"
            ),
        ),
        ("code,pmhc_type\n", "has no mappings (only a header row)"),
        (
            "",
            (
                "needs the columns code and pmhc_type in its header row (missing code, pmhc_type; "
                "found nothing)"
            ),
        ),
    ],
)
def test_taxonomy_map_file_problems(tmp_path, text, message):
    with pytest.raises(ReadFailed) as info:
        read_taxonomy_map(map_file(tmp_path, text))
    assert [str(i) for i in info.value.issues] == [f"taxonomy map map.csv: {message}"]


def test_taxonomy_map_not_utf8(tmp_path):
    path = tmp_path / "map.csv"
    path.write_bytes(b"code,pmhc_type\n\xff\xfe,crisis-line\n")
    with pytest.raises(ReadFailed, match="is not UTF-8 text"):
        read_taxonomy_map(path)


def test_bad_taxonomy_map_is_reported_with_the_package_problems(tmp_path):
    folder = write_package(tmp_path / "bad", {"services.csv": services_table()})
    mapping = map_file(tmp_path, "code,pmhc_type\nX,nonsense\n")
    found = problems(folder, taxonomy_map=mapping)
    assert found[0].startswith(
        "taxonomy map map.csv row 2, pmhc_type: 'nonsense' is not a PMHC service type"
    )
    assert found[1] == "organizations.csv: is missing from the package"


def test_hsds_3_1_fields_of_the_1_1_export_are_kept(tmp_path):
    """Issue #15 item 5: HSDS 3.1 has a place for these, so they are not dropped."""
    orgs = [
        ["id", "name", "description", "tax_status", "tax_id", "year_incorporated", "legal_status"],
        ["1", "Juniper Health", "Runs crisis services.", "501(c)(3)", "85-1234567", "1987-05-01",
         "Nonprofit corporation"],
    ]  # fmt: skip
    services = [
        ["id", "organization_id", "name", "status", "wait_time", "accreditations", "licenses"],
        ["10", "1", "Crisis Line", "active", "Same day", "CARF", "NM BHSD 123"],
    ]
    path = write_package(tmp_path / "export", {"organizations.csv": orgs, "services.csv": services})
    [service] = read(path)
    assert {k: service["organization"][k] for k in ("tax_status", "tax_id", "legal_status")} == {
        "tax_status": "501(c)(3)",
        "tax_id": "85-1234567",
        "legal_status": "Nonprofit corporation",
    }
    assert service["organization"]["year_incorporated"] == 1987
    assert (service["wait_time"], service["accreditations"], service["licenses"]) == (
        "Same day",
        "CARF",
        "NM BHSD 123",
    )
