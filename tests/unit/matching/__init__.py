"""Tests of the pure matching core; shared builders for the test modules live here."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pmhc_directory.hours import UNKNOWN, OpenState
from pmhc_directory.matching import Candidate, Capacity, Fit, Query, fit_of
from pmhc_directory.taxonomy import vocabulary

DENVER = ZoneInfo("America/Denver")
# Saturday 2026-11-28, 2 a.m.: the officer's hour.
AT = datetime(2026, 11, 28, 2, 0, tzinfo=DENVER)
VOCAB = vocabulary()

ALWAYS = OpenState(open_now=True, always_open=True, closes_at=None, opens_next=None)
OPEN_TILL_5 = OpenState(
    open_now=True, always_open=False, closes_at=AT.replace(hour=17), opens_next=None
)
CLOSED_TILL_8 = OpenState(
    open_now=False, always_open=False, closes_at=None, opens_next=AT.replace(hour=8)
)
HOURS_UNKNOWN = UNKNOWN


def query(**overrides: Any) -> Query:
    fields: dict[str, Any] = {"at": AT, "needs": ("crisis-now",)}
    fields.update(overrides)
    return Query(**fields)


def candidate(**overrides: Any) -> Candidate:
    """An active 24/7 crisis receiving center 10 minutes away that takes everything."""
    fields: dict[str, Any] = {
        "service_id": "svc-1",
        "service_at_location_id": "sal-1",
        "name": "Receiving Center",
        "organization": "County",
        "service_types": ("crisis-receiving",),
        "open_state": ALWAYS,
        "travel_minutes": 10.0,
        "distance_km": 5.0,
    }
    fields.update(overrides)
    return Candidate(**fields)


def fit(q: Query, c: Candidate) -> Fit:
    found = fit_of(q, c, VOCAB)
    assert found is not None
    return found


def fresh(available: int, minutes_ago: int = 30, unit: str = "bed") -> Capacity:
    return Capacity(
        available=available,
        maximum=16,
        unit=unit,
        updated=AT - timedelta(minutes=minutes_ago),
        stale=False,
    )


def stale(available: int) -> Capacity:
    return replace(fresh(available, minutes_ago=60 * 30), stale=True)


RECENT = date(2026, 10, 1)
OLD = date(2025, 1, 10)
