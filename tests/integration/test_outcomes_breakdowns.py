"""The outcomes dashboard's breakdowns (issue #24 item 8): the per-month, per-area and
per-service-type repeat-encounter entries say whether repeats can be measured (``available``)
and suppress small counts exactly as the totals do."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from pmhc_directory.models import AnalysisArea
from pmhc_directory.services import outcomes
from tests.factories import make_service
from tests.scenario_builders import ORIGIN_LAT, ORIGIN_LON, square

KEY = "test-agency-key"
NOW = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)
BASELINE = (date(2026, 1, 1), date(2026, 1, 31))
PERIOD = (date(2026, 2, 1), date(2026, 3, 31))
SUPPRESSED = outcomes.SUPPRESSED_NOTE.format(n=11)


def add_area(session, area_id: str, name: str, lat: float, lon: float) -> str:
    half = 0.05
    session.add(
        AnalysisArea(
            id=area_id,
            name=name,
            population=1000,
            geometry=json.dumps(square(lat, lon, half)),
            centre_lat=lat,
            centre_lon=lon,
            min_lon=lon - half,
            min_lat=lat - half,
            max_lon=lon + half,
            max_lat=lat + half,
        )
    )
    session.flush()
    return area_id


def log(session, person: str, when: datetime, area_id: str, service_id: str) -> None:
    outcomes.log_encounter(
        session,
        occurred_at=when,
        area_id=area_id,
        needs=["crisis-now"],
        referred_service_ids=[service_id],
        disposition="connected-on-scene",
        facility_id=None,
        decline_reason=None,
        use_of_force=False,
        injury=False,
        person_identifier=person,
        key=KEY,
        recorded_by="officer@example.org",
        now=NOW,
    )


@pytest.fixture
def encounters(session):
    """February, Downtown, referred to crisis receiving: 24 people, 12 of them seen twice.
    March, Uptown, referred to a mobile team: 3 people, each seen twice (a small cell)."""
    downtown = add_area(session, "area-down", "Downtown", ORIGIN_LAT, ORIGIN_LON)
    uptown = add_area(session, "area-up", "Uptown", ORIGIN_LAT + 0.2, ORIGIN_LON)
    receiving = make_service(session, name="Receiving", types=("crisis-receiving",)).id
    team = make_service(session, name="Team", types=("mobile-crisis",)).id
    for number in range(24):
        first = datetime(2026, 2, 1, 10, tzinfo=UTC) + timedelta(hours=number)
        log(session, f"person {number}", first, downtown, receiving)
        if number < 12:
            log(session, f"person {number}", first + timedelta(days=3), downtown, receiving)
    for number in range(3):
        first = datetime(2026, 3, 10, 10, tzinfo=UTC) + timedelta(hours=number)
        log(session, f"uptown person {number}", first, uptown, team)
        log(session, f"uptown person {number}", first + timedelta(days=2), uptown, team)
    session.flush()


def board(session, key_configured: bool):
    return outcomes.dashboard(
        session, baseline=BASELINE, period=PERIOD, min_cell=11, key_configured=key_configured
    )


MEASURED = {"available": True, "count": 12, "of": 24, "rate": 0.5, "note": None}
SMALL = {"available": True, "count": "<11", "of": "<11", "rate": None, "note": SUPPRESSED}


def test_each_breakdown_measures_repeats_and_suppresses_small_cells(session, encounters):
    found = board(session, key_configured=True)

    months = {m["month"]: m["repeat_encounters"] for m in found["months"]}
    assert months == {"2026-02": MEASURED, "2026-03": SMALL}
    areas = {a["area_id"]: a["repeat_encounters"] for a in found["by_area"]}
    assert areas == {"area-down": MEASURED, "area-up": SMALL}
    types = {t["service_type"]: t["repeat_encounters"] for t in found["by_service_type"]}
    assert types == {"crisis-receiving": MEASURED, "mobile-crisis": SMALL}
    # The totals: 27 people, 15 seen again within the window.
    assert found["repeat_encounters"] == {
        "available": True,
        "window_days": 30,
        "count": 15,
        "of": 27,
        "rate": pytest.approx(15 / 27),
        "note": None,
    }
    assert found["outcomes"]["repeat_encounters"]["count"] == 15


def test_without_the_key_no_breakdown_claims_to_measure_repeats(session, encounters):
    found = board(session, key_configured=False)

    unavailable = {"available": False, "reason": outcomes.NO_KEY_REASON}
    rows = found["months"] + found["by_area"] + found["by_service_type"]
    assert len(rows) == 6
    for row in rows:
        assert row["repeat_encounters"] == unavailable
    assert found["repeat_encounters"] == unavailable
    assert "repeat_people" not in found["comparison"]


def test_small_encounter_counts_are_suppressed_in_each_breakdown(session, encounters):
    found = board(session, key_configured=True)

    assert {m["month"]: m["encounters"] for m in found["months"]} == {
        "2026-02": 36,
        "2026-03": "<11",
    }
    assert {a["area_id"]: a["encounters"] for a in found["by_area"]} == {
        "area-down": 36,
        "area-up": "<11",
    }
    assert {t["service_type"]: t["encounters"] for t in found["by_service_type"]} == {
        "crisis-receiving": 36,
        "mobile-crisis": "<11",
    }
    march = next(m for m in found["months"] if m["month"] == "2026-03")
    assert march["connections"] == {"count": "<11", "of": "<11", "rate": None, "note": SUPPRESSED}


def test_a_small_numerator_over_a_large_denominator_is_suppressed(session):
    """20 people in February, 2 of them seen again: "<11" of 20, and no rate."""
    area = add_area(session, "area-one", "One", ORIGIN_LAT, ORIGIN_LON)
    receiving = make_service(session, name="Receiving", types=("crisis-receiving",)).id
    for number in range(20):
        first = datetime(2026, 2, 1, 10, tzinfo=UTC) + timedelta(hours=number)
        log(session, f"person {number}", first, area, receiving)
        if number < 2:
            log(session, f"person {number}", first + timedelta(days=1), area, receiving)

    found = board(session, key_configured=True)

    expected = {"available": True, "count": "<11", "of": 20, "rate": None, "note": SUPPRESSED}
    assert found["months"][0]["repeat_encounters"] == expected
    assert found["by_area"][0]["repeat_encounters"] == expected
    assert found["by_service_type"][0]["repeat_encounters"] == expected
