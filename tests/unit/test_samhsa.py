"""Reading SAMHSA treatment-locator CSVs into compiled HSDS 3.1 services (hsds.samhsa).

The rows here are made up in the three real layouts; tests/integration/test_legacy_imports.py
reads the real files from ../shared.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from pmhc_directory.hsds.deserialize import parse_services
from pmhc_directory.hsds.errors import ReadFailed
from pmhc_directory.hsds.samhsa import DEFAULT_TYPES, NAMESPACE, read_samhsa_csv
from pmhc_directory.taxonomy import SERVICE_TYPE, vocabulary

MH = [
    "name1",
    "name2",
    "street1",
    "street2",
    "city",
    "state",
    "zip",
    "zip4",
    "county",
    "phone",
    "intake_prompt",
    "intake1",
    "intake2",
    "website",
    "latitude",
    "longitude",
    "type_facility",
]
SUD = [
    "name1",
    "name2",
    "street1",
    "street2",
    "city",
    "state",
    "zip",
    "zip4",
    "county",
    "latitude",
    "longitude",
]
OTP = ["ID", "ADDRESS", "CITY", "STATE", "POSTAL", "Latitude", "Longitude"]


def mh_row(**values: str) -> dict[str, str]:
    row = {
        "name1": "Mesa Counseling",
        "name2": "Adult Services",
        "street1": "100 Main Street",
        "street2": "Suite 2",
        "city": "Albuquerque",
        "state": "NM",
        "zip": "87102",
        "zip4": "1234",
        "county": "Bernalillo",
        "phone": "505-555-0100 x301",
        "intake_prompt": "Intakes",
        "intake1": "505-555-0101",
        "intake2": "",
        "website": "http://www.mesa.example.org",
        "latitude": "35.0844",
        "longitude": "-106.6504",
        "type_facility": "MH",
    }
    row.update(values)
    return row


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=header)
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    return path


def read(path: Path, **kwargs) -> list[dict]:
    services = read_samhsa_csv(path, **kwargs)
    assert parse_services(services).issues == []  # what the importer does next
    return services


def problems(path: Path, **kwargs) -> list[str]:
    with pytest.raises(ReadFailed) as info:
        read_samhsa_csv(path, **kwargs)
    return [str(issue) for issue in info.value.issues]


def types_of(service: dict) -> list[str]:
    return [
        a["taxonomy_term"]["code"]
        for a in service["attributes"]
        if a["link_type"] == "service_type"
    ]


def test_the_namespace_is_the_documented_one():
    assert str(NAMESPACE) == "a6a03d78-371b-4b22-8022-64dacd8afd43"


def test_default_types_are_real_pmhc_service_types():
    known = vocabulary().codes(SERVICE_TYPE)
    assert set(DEFAULT_TYPES.values()) <= set(known)


def test_mental_health_row(tmp_path):
    [service] = read(write_csv(tmp_path / "mh.csv", MH, [mh_row()]))
    assert (service["name"], service["alternate_name"], service["status"]) == (
        "Mesa Counseling",
        "Adult Services",
        "active",
    )
    assert service["url"] == "http://www.mesa.example.org"
    assert types_of(service) == ["outpatient-mental-health"]
    assert service["organization"]["name"] == "Mesa Counseling"
    [sal] = service["service_at_locations"]
    location = sal["location"]
    assert (location["latitude"], location["longitude"], location["location_type"]) == (
        35.0844,
        -106.6504,
        "physical",
    )
    [address] = location["addresses"]
    assert (
        address["address_1"],
        address["address_2"],
        address["postal_code"],
        address["region"],
        address["country"],
    ) == ("100 Main Street", "Suite 2", "87102-1234", "Bernalillo County", "US")
    phones = [(p["number"], p.get("extension"), p["description"]) for p in service["phones"]]
    assert phones == [("505-555-0100", "301", "Main line"), ("505-555-0101", None, "Intake")]


def test_substance_use_and_opioid_layouts(tmp_path):
    sud_row = {k: v for k, v in mh_row(name1="Clean Start").items() if k in SUD}
    [sud] = read(write_csv(tmp_path / "sud.csv", SUD, [sud_row]))
    assert types_of(sud) == ["outpatient-substance-use"]
    assert sud["phones"] == [] and "url" not in sud
    otp_row = {
        "ID": "Methadone Clinic of ABQ",
        "ADDRESS": "5 Oak Ave",
        "CITY": "Albuquerque",
        "STATE": "NM",
        "POSTAL": "871021234",
        "Latitude": "35.1",
        "Longitude": "-106.6",
    }
    [otp] = read(write_csv(tmp_path / "otp.csv", OTP, [otp_row]))
    assert types_of(otp) == ["opioid-treatment"]
    assert otp["name"] == "Methadone Clinic of ABQ"
    assert otp["service_at_locations"][0]["location"]["addresses"][0]["postal_code"] == "87102-1234"


def test_a_folder_reads_every_csv_in_it(tmp_path):
    write_csv(tmp_path / "b_mh.csv", MH, [mh_row()])
    write_csv(tmp_path / "a_sud.csv", SUD, [{k: v for k, v in mh_row().items() if k in SUD}])
    services = read(tmp_path)
    assert [types_of(s) for s in services] == [
        ["outpatient-substance-use"],
        ["outpatient-mental-health"],
    ]
    # the same facility name and state is one organization; the same address is one location
    assert services[0]["organization"] == services[1]["organization"]
    locations = [s["service_at_locations"][0]["location"] for s in services]
    assert locations[0] == locations[1]
    assert services[0]["id"] != services[1]["id"]


def test_ids_follow_the_identity_of_a_row_not_its_position_or_phone(tmp_path):
    rows = [mh_row(), mh_row(name1="Valley Clinic", street1="7 Elm St")]
    first = read(write_csv(tmp_path / "a.csv", MH, rows))
    moved = read(write_csv(tmp_path / "b.csv", MH, [mh_row(phone="505-555-0199"), *rows[1:]][::-1]))
    assert {s["id"] for s in first} == {s["id"] for s in moved}
    renamed = read(write_csv(tmp_path / "c.csv", MH, [mh_row(name2="Youth Services")]))
    assert renamed[0]["id"] not in {s["id"] for s in first}


def test_repeated_rows_become_separate_services(tmp_path):
    rows = [mh_row(), mh_row(), mh_row(name2="Youth Services"), mh_row()]
    services = read(write_csv(tmp_path / "mh.csv", MH, rows))
    assert len({s["id"] for s in services}) == 4  # nothing merged, nothing dropped
    again = read(write_csv(tmp_path / "mh2.csv", MH, rows))
    assert [s["id"] for s in again] == [s["id"] for s in services]
    assert len({s["service_at_locations"][0]["id"] for s in services}) == 4


def test_taxonomy_map_overrides_the_default_type(tmp_path):
    mapping = tmp_path / "map.csv"
    mapping.write_text(
        "code,pmhc_type\nMH,crisis-receiving\nMH,psychiatric-emergency\n", encoding="utf-8"
    )
    rows = [mh_row()]
    [service] = read(write_csv(tmp_path / "mh.csv", MH, rows), taxonomy_map=mapping)
    assert types_of(service) == ["crisis-receiving", "psychiatric-emergency"]
    sud = write_csv(tmp_path / "sud.csv", SUD, [{k: v for k, v in mh_row().items() if k in SUD}])
    assert types_of(read(sud, taxonomy_map=mapping)[0]) == ["outpatient-substance-use"]


def test_unknown_type_in_the_map_is_a_clear_error(tmp_path):
    mapping = tmp_path / "map.csv"
    mapping.write_text("code,pmhc_type\nMH,therapy\n", encoding="utf-8")
    found = problems(write_csv(tmp_path / "mh.csv", MH, [mh_row()]), taxonomy_map=mapping)
    assert found == [
        (
            "taxonomy map map.csv row 2, pmhc_type: 'therapy' is not a PMHC service type; "
            "the codes are the service-type terms of pmhc_directory/data/taxonomy.json"
        )
    ]


def test_placeholder_website_means_none(tmp_path):
    [service] = read(write_csv(tmp_path / "mh.csv", MH, [mh_row(website="http://")]))
    assert "url" not in service


def test_bad_rows_are_reported_by_file_row_name_and_column(tmp_path):
    rows = [
        mh_row(zip="8710A"),
        mh_row(name1="No Place", latitude="", longitude=""),
        mh_row(name1="Null Island", latitude="0", longitude="0"),
        mh_row(name1="Bad Web", website="see the phone book"),
        mh_row(name1="Odd Type", type_facility="XX"),
        mh_row(name1="", street1=""),
        mh_row(name1="Fine"),
        mh_row(name1="Bad Phone", phone="none"),
    ]
    assert problems(write_csv(tmp_path / "mh.csv", MH, rows)) == [
        "mh.csv row 2, id Mesa Counseling, zip: '8710A' is not a US ZIP code (5 digits or ZIP+4)",
        "mh.csv row 3, id No Place, latitude/longitude: are empty: the locator's rows are geocoded",
        (
            "mh.csv row 4, id Null Island, latitude/longitude: 0, 0 is not a real place "
            "(leave both blank when unknown)"
        ),
        "mh.csv row 5, id Bad Web, website: 'see the phone book' is not a web address",
        (
            "mh.csv row 6, id Odd Type, type_facility: 'XX' is not a known facility type (MH, SA, "
            "SUD, OTP); map it with --taxonomy-map"
        ),
        "mh.csv row 7, name1: is empty",
        "mh.csv row 7, street1: is empty",
        "mh.csv row 9, id Bad Phone, phone: 'none' is not a phone number",
    ]


def test_unknown_layout(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("facility,address\nX,Y\n", encoding="utf-8")
    [message] = problems(path)
    assert message.startswith("other.csv row 1: is not a SAMHSA locator layout (expected columns: ")
    assert "type_facility" in message and "postal" in message


def test_a_mapped_unknown_type_is_accepted(tmp_path):
    mapping = tmp_path / "map.csv"
    mapping.write_text("code,pmhc_type\nCRISIS,crisis-stabilization\n", encoding="utf-8")
    [service] = read(
        write_csv(tmp_path / "mh.csv", MH, [mh_row(type_facility="CRISIS")]), taxonomy_map=mapping
    )
    assert types_of(service) == ["crisis-stabilization"]
