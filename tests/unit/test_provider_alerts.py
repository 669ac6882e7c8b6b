"""Which alert and status are in force at a moment (services.provider_alerts, pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from pmhc_directory.services.provider_alerts import (
    TEMPORARILY_CLOSED,
    current_alert,
    effective_status,
    service_alert,
)

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def test_an_alert_without_expiry_stays():
    assert current_alert("Entrance on 2nd St", None, NOW) == "Entrance on 2nd St"


def test_an_alert_is_shown_until_its_expiry_and_not_at_it():
    expires = NOW + timedelta(hours=4)
    assert current_alert("No beds for women", expires, NOW) == "No beds for women"
    assert current_alert("No beds for women", expires, expires - timedelta(microseconds=1))
    assert current_alert("No beds for women", expires, expires) is None
    assert current_alert("No beds for women", expires, expires + timedelta(days=1)) is None


def test_expiry_compares_instants_not_wall_clocks():
    denver = timezone(timedelta(hours=-7))
    expires = datetime(2026, 12, 6, 20, 0, tzinfo=denver)  # 03:00 UTC on the 7th
    assert current_alert("x", expires, NOW) == "x"
    assert current_alert("x", expires, NOW + timedelta(hours=1)) is None


@pytest.mark.parametrize("text", [None, "", "   \n"])
def test_blank_alerts_are_no_alert(text):
    assert current_alert(text, None, NOW) is None


def test_text_is_trimmed():
    assert current_alert("  Full tonight ", None, NOW) == "Full tonight"


def test_naive_now_is_refused():
    with pytest.raises(ValueError):
        current_alert("x", None, NOW.replace(tzinfo=None))
    with pytest.raises(ValueError):
        effective_status("active", None, NOW.replace(tzinfo=None))


def test_service_alert_reads_the_fields_of_a_service_like_object():
    class Listing:
        alert = "Side door only"
        alert_expires_at = NOW + timedelta(minutes=5)

    assert service_alert(Listing(), NOW) == "Side door only"
    assert service_alert(Listing(), NOW + timedelta(minutes=5)) is None
    assert service_alert(object(), NOW) is None


def test_a_closure_holds_until_its_end_then_the_stored_status_returns():
    until = NOW + timedelta(hours=3)
    assert effective_status("active", until, NOW) == TEMPORARILY_CLOSED
    assert effective_status("active", until, until - timedelta(seconds=1)) == TEMPORARILY_CLOSED
    assert effective_status("active", until, until) == "active"
    assert effective_status("active", None, NOW) == "active"
    assert effective_status("defunct", NOW - timedelta(hours=1), NOW) == "defunct"
