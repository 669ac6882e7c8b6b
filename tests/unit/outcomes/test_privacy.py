"""outcomes.privacy: keyed tokens, small-cell suppression, hour truncation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from pmhc_directory.outcomes.privacy import (
    hour_floor,
    normalise_identifier,
    person_token,
    suppress,
)

KEY = "agency-held-key-1"
IDENTIFIER = "RMS-2026-004417"


def test_token_is_deterministic_per_key():
    assert person_token(KEY, IDENTIFIER) == person_token(KEY, IDENTIFIER)


def test_token_differs_across_keys_and_identifiers():
    assert person_token(KEY, IDENTIFIER) != person_token("another-key", IDENTIFIER)
    assert person_token(KEY, IDENTIFIER) != person_token(KEY, "RMS-2026-004418")


def test_token_is_hex_sha256_length():
    token = person_token(KEY, IDENTIFIER)
    assert len(token) == 64
    int(token, 16)


def test_normalisation_strips_casefolds_and_collapses_spaces():
    assert normalise_identifier("  Jane   DOE\t1980 ") == "jane doe 1980"
    assert person_token(KEY, "  rms-2026-004417 ") == person_token(KEY, IDENTIFIER)
    assert person_token(KEY, "Ab  12") == person_token(KEY, "ab 12")
    assert person_token(KEY, "ab12") != person_token(KEY, "ab 12")


def test_token_does_not_contain_the_identifier():
    for identifier in (IDENTIFIER, "jane doe", "1234"):
        token = person_token(KEY, identifier)
        assert identifier.lower() not in token
        assert normalise_identifier(identifier) not in token


def test_token_needs_key_and_identifier():
    with pytest.raises(ValueError):
        person_token("", IDENTIFIER)
    with pytest.raises(ValueError):
        person_token(KEY, "   ")


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, 0), (1, "<11"), (3, "<11"), (10, "<11"), (11, 11), (250, 250)],
)
def test_suppress_hides_one_to_ten_and_shows_zero(count, expected):
    assert suppress(count, 11) == expected


def test_suppress_label_follows_threshold():
    assert suppress(4, 5) == "<5"
    assert suppress(5, 5) == 5


def test_hour_floor_truncates_to_the_utc_hour():
    denver = timezone(timedelta(hours=-7))
    moment = datetime(2026, 1, 13, 2, 47, 31, 999, tzinfo=denver)
    assert hour_floor(moment) == datetime(2026, 1, 13, 9, 0, tzinfo=UTC)
    assert hour_floor(moment).tzinfo is UTC


def test_hour_floor_refuses_naive():
    with pytest.raises(ValueError):
        hour_floor(datetime(2026, 1, 13, 2, 47))
