"""``moments.parse_at``: the one reading of ``at=`` (lookup, planning, gaps API, CLI)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pmhc_directory.moments import MAX_AT_DAYS, MomentError, parse_at

ZONE = ZoneInfo("America/Denver")
NOW = datetime(2026, 12, 7, 17, 30, tzinfo=UTC)


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_nothing_given_is_now_in_the_zone(raw):
    moment = parse_at(raw, ZONE, NOW)
    assert moment == NOW and moment.tzinfo == ZONE


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-28T02:00", "2026-11-28T02:00:00-07:00"),  # local when no offset
        ("2026-11-28 02:00", "2026-11-28T02:00:00-07:00"),  # a space for the T
        ("2026-11-28T09:00Z", "2026-11-28T02:00:00-07:00"),  # Z is UTC
        ("2026-07-04T12:00-04:00", "2026-07-04T10:00:00-06:00"),  # an offset, then the zone
        (" 2026-11-28T02:00 ", "2026-11-28T02:00:00-07:00"),
        ("2026-11-28T02:00+01:00", "2026-11-27T18:00:00-07:00"),
        # A "+" sent unencoded in a URL arrives as a space; the offset is still read.
        ("2026-11-28T02:00 01:00", "2026-11-27T18:00:00-07:00"),
        ("2026-11-28T02:00 0130", "2026-11-27T17:30:00-07:00"),
        ("2026-11-28T02:00 05", "2026-11-27T14:00:00-07:00"),
        ("2026-11-28 02:00 01:00", "2026-11-27T18:00:00-07:00"),
        ("2026-11-28T02:00:30 01:00", "2026-11-27T18:00:30-07:00"),
        ("2026-11-28T02:00:30.250 01:00", "2026-11-27T18:00:30.250000-07:00"),
    ],
)
def test_iso_text_is_read_in_the_zone(raw, expected):
    assert parse_at(raw, ZONE, NOW).isoformat() == expected


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("tuesday", "is not an ISO 8601"),
        # Only a bare offset right after the time is read as a decoded "+".
        ("2026-11-28T02:00 1:00", "is not an ISO 8601"),
        ("2026-11-28T02:00  01:00", "is not an ISO 8601"),
        ("2026-11-28T02:00 01:00 x", "is not an ISO 8601"),
        (3, "must be an ISO 8601"),
        ("0001-01-01T00:00", "within 366 days"),
        ("2028-01-01T00:00", "within 366 days"),
    ],
)
def test_bad_moments_name_the_field(raw, words):
    with pytest.raises(MomentError) as caught:
        parse_at(raw, ZONE, NOW, field="when")
    assert caught.value.field == "when"
    assert words in caught.value.message
    assert isinstance(caught.value, ValueError)


def test_the_limit_is_max_days_either_way():
    edge = (NOW + timedelta(days=MAX_AT_DAYS)).isoformat()
    assert parse_at(edge, ZONE, NOW) == NOW + timedelta(days=MAX_AT_DAYS)
    with pytest.raises(MomentError, match="within 7 days"):
        parse_at((NOW - timedelta(days=8)).isoformat(), ZONE, NOW, max_days=7)
