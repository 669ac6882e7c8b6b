"""The lookup's inputs at the ends of what they accept (issue #24): each bound accepted exactly
and refused just past it, and the words each flag takes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pmhc_directory.services.lookup import LookupInputError, parse_lookup_params

ZONE = ZoneInfo("America/Denver")
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
BASE = {"lat": "35.08", "lon": "-106.65", "types": "crisis-line"}


def parse(**params):
    return parse_lookup_params({**BASE, **params}, zone=ZONE, now=NOW)


def refused(**params) -> LookupInputError:
    with pytest.raises(LookupInputError) as info:
        parse(**params)
    return info.value


def test_max_minutes_runs_from_just_above_zero_to_600():
    assert parse(max_minutes="600").max_minutes == 600
    assert parse(max_minutes="0.5").max_minutes == 0.5
    assert refused(max_minutes="600.5").field == "max_minutes"
    assert refused(max_minutes="0").field == "max_minutes"


def test_limit_runs_from_1_to_50():
    assert parse(limit="1").limit == 1
    assert parse(limit="50").limit == 50
    assert parse().limit == 10
    assert refused(limit="51").message == "limit must be between 1 and 50."
    assert refused(limit="0").field == "limit"


def test_a_whole_number_written_with_a_point_is_whole():
    assert parse(age="130.0").age == 130
    assert refused(age="12.5").message == "age must be a whole number."


def test_at_may_be_up_to_366_days_either_way():
    ahead = (NOW + timedelta(days=366)).isoformat()
    behind = (NOW - timedelta(days=366)).isoformat()
    assert parse(at=ahead).at == NOW + timedelta(days=366)
    assert parse(at=behind).at == NOW - timedelta(days=366)
    for far in (NOW + timedelta(days=367), NOW - timedelta(days=367)):
        error = refused(at=far.isoformat())
        assert (error.field, error.message) == ("at", "at must be within 366 days of now.")


def test_at_without_an_offset_is_wall_clock_time_in_the_zone():
    assert parse(at="2026-11-28 02:00").at.isoformat() == "2026-11-28T02:00:00-07:00"
    assert parse(at="2026-11-28T09:00Z").at.isoformat() == "2026-11-28T02:00:00-07:00"


def test_near_may_be_200_characters():
    text = "x" * 200
    assert (
        parse_lookup_params({"near": text, "types": "crisis-line"}, zone=ZONE, now=NOW).near == text
    )
    with pytest.raises(LookupInputError) as info:
        parse_lookup_params({"near": text + "x", "types": "crisis-line"}, zone=ZONE, now=NOW)
    assert info.value.field == "near"


def test_coordinates_win_over_a_typed_place():
    request = parse(near="87102")
    assert request.near is None and (request.lat, request.lon) == (35.08, -106.65)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        (None, "coordinates"),
        ("geolocation", "geolocation"),
        ("map", "map"),
        ("zip", "coordinates"),
        ("address", "coordinates"),
    ],
)
def test_the_source_of_coordinates(given, kept):
    params = {} if given is None else {"location_source": given}
    assert parse(**params).location_source == kept


def test_a_typed_place_has_no_source_until_it_is_found():
    request = parse_lookup_params(
        {"near": "87102", "types": "crisis-line", "location_source": "geolocation"},
        zone=ZONE,
        now=NOW,
    )
    assert request.location_source is None
    assert refused(location_source="satellite").field == "location_source"


@pytest.mark.parametrize("word", ["true", "1", "yes", "on", "y", "TRUE", " Yes "])
def test_words_for_yes(word):
    assert parse(transport=word).transport is True
    assert parse(involuntary=word).involuntary is True


@pytest.mark.parametrize("word", ["false", "0", "no", "off", "n", "NO"])
def test_words_for_no(word):
    assert parse(intoxicated=word).intoxicated is False
    assert parse(transport=word).transport is False


def test_an_empty_flag_is_unknown_not_no():
    assert parse(intoxicated="").intoxicated is None
    assert parse().intoxicated is None
    assert parse(open_now="").require_open is None
    assert parse(open_now="yes").require_open is True


@pytest.mark.parametrize(("code", "kept"), [("nv", "nv"), ("ase", "ase"), ("es-MX", "es")])
def test_language_codes_of_two_or_three_letters(code, kept):
    assert parse(language=code).language == kept


@pytest.mark.parametrize("code", ["e", "span", "e5", "es_MX"])
def test_other_language_codes_are_refused(code):
    assert refused(language=code).field == "language"


def test_codes_are_split_trimmed_and_deduplicated_in_order():
    request = parse(types=["crisis-line, warmline", "crisis-line", " ,mobile-crisis"])
    assert request.types == ("crisis-line", "warmline", "mobile-crisis")
    assert refused(types=[3]).field == "types"


def test_an_unknown_code_names_the_known_ones():
    error = refused(population="astronauts")
    assert error.code == "unknown-code"
    assert "Unknown population code 'astronauts'" in error.message
    assert "veterans" in error.message
