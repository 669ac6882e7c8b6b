"""Recognising typed ZIPs, coordinates, addresses and place names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pmhc_directory.geo.addresses import (
    looks_like_zip,
    normalize_address,
    parse_coordinates,
    place_key,
    trailing_zip,
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("123 North Main Street", "123 N MAIN ST"),
        ("123 n. main st.", "123 N MAIN ST"),
        ("400 Central Avenue SE", "400 CENTRAL AVE SE"),
        ("400 central ave. s.e.", "400 CENTRAL AVE SE"),
        ("5901 Zuni Road Southeast", "5901 ZUNI RD SE"),
        ("1 Civic Plaza Northwest, Suite 200", "1 CIVIC PLZ NW STE 200"),
        ("77 Sunset Boulevard, Apartment 4B", "77 SUNSET BLVD APT 4B"),
        ("77 Sunset Blvd Apt 4b", "77 SUNSET BLVD APT 4B"),
        ("12 Mesa Drive #3", "12 MESA DR # 3"),
        ("12 Mesa Dr. No. 3", "12 MESA DR # 3"),
        ("9 Oak Lane, Building 2, Floor 3, Room 301", "9 OAK LN BLDG 2 FL 3 RM 301"),
        ("2 West Court", "2 W CT"),
        ("1600 Pennsylvania Ave NW", "1600 PENNSYLVANIA AVE NW"),
        ("15 Peñasco Rd", "15 PENASCO RD"),
        ("12-34 Jackson Hwy", "12-34 JACKSON HWY"),
        ("Main St & 4th St", "MAIN ST 4TH ST"),
        ("  lots   of    space  ", "LOTS OF SPACE"),
    ],
)
def test_normalize_address(typed, expected):
    assert normalize_address(typed) == expected


def test_normalize_address_makes_spellings_meet():
    variants = [
        "123 North Main Street, Apartment 4",
        "123 N. Main St., Apt. 4",
        "123 n main st apt 4",
        "123 NORTH MAIN STREET APARTMENT 4",
    ]
    assert len({normalize_address(v) for v in variants}) == 1


@pytest.mark.parametrize("bad", ["", "   ", ",.;", None, 123])
def test_normalize_address_of_nothing_is_empty(bad):
    assert normalize_address(bad) == ""


@given(st.text())
def test_normalize_address_never_raises_and_is_idempotent(text):
    once = normalize_address(text)
    assert normalize_address(once) == once


def test_place_key_folds_case_punctuation_and_accents():
    assert place_key("  Presbyterian Hospital (Downtown) ") == "presbyterian hospital downtown"
    assert place_key("Española") == place_key("espanola") == "espanola"
    assert place_key(None) == ""  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("87102", "87102"),
        (" 87102 ", "87102"),
        ("87102-1234", "87102"),
        ("8710", None),
        ("871020", None),
        ("87102-12", None),
        ("87102 1234", None),
        ("ABCDE", None),
        ("Albuquerque 87102", None),
        ("", None),
        (None, None),
        (87102, None),
    ],
)
def test_looks_like_zip(typed, expected):
    assert looks_like_zip(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("400 Central Ave SE, Albuquerque, NM 87102", "87102"),
        ("400 Central Ave SE, Albuquerque, NM 87102-1234, USA", "87102"),
        ("87102", "87102"),
        ("12345 Main St", None),
        ("400 Central Ave SE", None),
        (None, None),
    ],
)
def test_trailing_zip(typed, expected):
    assert trailing_zip(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("35.08, -106.65", (35.08, -106.65)),
        ("35.08,-106.65", (35.08, -106.65)),
        ("35.08 -106.65", (35.08, -106.65)),
        ("(35.08, -106.65)", (35.08, -106.65)),
        ("  +35.0818 , -106.6482  ", (35.0818, -106.6482)),
        ("35, -106", (35.0, -106.0)),
        ("-90, 180", (-90.0, 180.0)),
        ("90.0, -180.0", (90.0, -180.0)),
        ("0.5, .25", (0.5, 0.25)),
    ],
)
def test_parse_coordinates(typed, expected):
    assert parse_coordinates(typed) == pytest.approx(expected)


@pytest.mark.parametrize(
    "typed",
    [
        "-106.65, 35.08",  # longitude first: latitude out of range, refused not guessed
        "90.1, 0",
        "0, 180.5",
        "35.08",
        "35 106",  # no comma, no decimals: more likely part of an address
        "123 Main St",
        "35.08, -106.65, 10",
        "nan, 0",
        "inf, 0",
        "35.08; -106.65",
        "",
        None,
    ],
)
def test_parse_coordinates_refuses(typed):
    assert parse_coordinates(typed) is None


@given(st.text())
def test_parsers_never_raise(text):
    looks_like_zip(text)
    trailing_zip(text)
    point = parse_coordinates(text)
    if point is not None:
        assert -90 <= point[0] <= 90 and -180 <= point[1] <= 180
