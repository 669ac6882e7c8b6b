"""Lookup input rules: every bad input names its field; good input is normalised."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pmhc_directory.services.lookup import LookupInputError, hour_of_week, parse_lookup_params

ZONE = ZoneInfo("America/Denver")
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def parse(**params):
    return parse_lookup_params(params, zone=ZONE, now=NOW)


def test_minimal_query_defaults_to_now_in_the_instance_zone():
    request = parse(near="87102", needs="crisis-now")
    assert request.at == NOW.astimezone(ZONE)
    assert request.at.tzinfo is not None
    assert request.needs == ("crisis-now",)
    assert request.limit == 10
    assert request.transport is False and request.intoxicated is None


def test_lists_flags_and_numbers_are_normalised():
    request = parse(
        lat="35.08",
        lon="-106.65",
        needs="crisis-now, suicide-risk,crisis-now",
        population="veterans",
        transport="true",
        intoxicated="no",
        age="34",
        language="ES-mx",
        at="2026-11-28T02:00:00",
    )
    assert request.needs == ("crisis-now", "suicide-risk")
    assert request.populations == frozenset({"veterans"})
    assert request.transport is True and request.intoxicated is False
    assert request.age == 34 and request.language == "es"
    assert request.at.isoformat() == "2026-11-28T02:00:00-07:00"
    assert request.location_source == "coordinates"


def test_a_need_and_a_flag_that_contradict_are_refused():
    # Issue #14 item 1: the "intoxicated" need says the person is intoxicated.
    with pytest.raises(LookupInputError) as info:
        parse(near="87102", needs="intoxicated", intoxicated="false")
    assert info.value.field == "intoxicated"
    assert parse(near="87102", needs="intoxicated", intoxicated="true").intoxicated is True


def test_an_at_close_to_now_is_still_now():
    assert parse(near="87102", needs="crisis-now").at_now is True
    soon = (NOW + timedelta(minutes=5)).isoformat()
    assert parse(near="87102", needs="crisis-now", at=soon).at_now is True
    later = (NOW + timedelta(hours=2)).isoformat()
    assert parse(near="87102", needs="crisis-now", at=later).at_now is False


def test_json_types_are_accepted():
    request = parse(lat=35.0, lon=-106.0, needs=["withdrawal"], involuntary=True, limit=5)
    assert request.involuntary is True and request.limit == 5


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"needs": "crisis-now"}, "near"),
        ({"lat": "35", "needs": "crisis-now"}, "lon"),
        ({"lat": "91", "lon": "0", "needs": "crisis-now"}, "lat"),
        ({"lat": "0", "lon": "181", "needs": "crisis-now"}, "lon"),
        ({"lat": "nan", "lon": "0", "needs": "crisis-now"}, "lat"),
        ({"near": "87102"}, "needs"),
        ({"near": "87102", "needs": "flying"}, "needs"),
        ({"near": "87102", "types": "spaceport"}, "types"),
        ({"near": "87102", "needs": "crisis-now", "age": "-1"}, "age"),
        ({"near": "87102", "needs": "crisis-now", "age": "3.5"}, "age"),
        ({"near": "87102", "needs": "crisis-now", "payment": "gold"}, "payment"),
        ({"near": "87102", "needs": "crisis-now", "gender": "other"}, "gender"),
        ({"near": "87102", "needs": "crisis-now", "transport": "maybe"}, "transport"),
        ({"near": "87102", "needs": "crisis-now", "at": "tomorrow"}, "at"),
        ({"near": "87102", "needs": "crisis-now", "limit": "0"}, "limit"),
        ({"near": "87102", "needs": "crisis-now", "limit": "51"}, "limit"),
        ({"near": "87102", "needs": "crisis-now", "max_minutes": "-5"}, "max_minutes"),
        ({"near": "87102", "needs": "crisis-now", "language": "1234"}, "language"),
        ({"near": "x" * 201, "needs": "crisis-now"}, "near"),
    ],
)
def test_bad_input_names_the_field(params, field):
    with pytest.raises(LookupInputError) as info:
        parse(**params)
    assert info.value.field == field
    assert info.value.message


def test_hour_of_week_counts_from_monday_midnight():
    monday = datetime(2026, 11, 23, 0, 30, tzinfo=ZONE)
    assert monday.weekday() == 0
    assert hour_of_week(monday) == 0
    assert hour_of_week(datetime(2026, 11, 29, 23, 59, tzinfo=ZONE)) == 167
    assert hour_of_week(datetime(2026, 11, 28, 2, 0, tzinfo=ZONE)) == 5 * 24 + 2


def test_a_query_string_is_read_once_with_lists_for_the_list_fields():
    from werkzeug.datastructures import MultiDict

    from pmhc_directory.services.lookup import query_params

    args = MultiDict(
        [("needs", "crisis-now"), ("needs", "housing,peer-support"), ("lat", "35.1"), ("lat", "9")]
        + [("limit", "3"), ("sort", "nearest")]
    )
    assert query_params(args) == {
        "needs": ["crisis-now", "housing,peer-support"],
        "lat": "35.1",  # one value: the first
        "limit": "3",
        "sort": "nearest",
    }
    assert query_params(args, ("needs", "limit")) == {
        "needs": ["crisis-now", "housing,peer-support"],
        "limit": "3",
    }
    request = parse_lookup_params(
        query_params(MultiDict([*args.items(multi=True), ("lon", "-106.6")])), zone=ZONE, now=NOW
    )
    assert request.needs == ("crisis-now", "housing", "peer-support") and request.lat == 35.1


def test_the_officer_form_has_one_control_per_fact():
    from pmhc_directory.services.lookup import form_params, split_codes

    typed = form_params({"near": "87102", "lat": "35.1", "lon": "-106.6", "needs": ["housing"]})
    assert "lat" not in typed and "lon" not in typed  # a typed place wins over old coordinates
    assert parse_lookup_params(typed, zone=ZONE, now=NOW).near == "87102"
    located = form_params({"near": " ", "lat": "35.1", "lon": "-106.6", "needs": ["housing"]})
    assert parse_lookup_params(located, zone=ZONE, now=NOW).lat == 35.1
    drunk = form_params({"near": "87102", "needs": ["housing"], "intoxicated": "true"})
    assert drunk["needs"] == ["housing", "intoxicated"] and "intoxicated" not in drunk
    assert split_codes(["a, b", "b,,c", None]) == ["a", "b", "c"]
