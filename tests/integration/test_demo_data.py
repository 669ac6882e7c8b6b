"""The demo looks alive (issue #22 item 7): a fictional encounter log that passes small-cell
suppression in some cells, and a fictional capacity feed kept fresh only in demo mode."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from pmhc_directory.cli import SEED_DIR
from pmhc_directory.forms_outcomes import default_months
from pmhc_directory.models import CapacityReport, Encounter, ServiceCapacity
from pmhc_directory.services import outcomes
from pmhc_directory.services.capacity import is_stale
from pmhc_directory.services.seed import (
    DEMO_CAPACITY_SOURCE,
    DEMO_RECORDER,
    demo_capacity_feed,
    load_demo,
    refresh_demo_capacity,
)
from pmhc_directory.services.site import set_setting

NOW = datetime(2026, 12, 7, 18, 30, tzinfo=UTC)
pytestmark = pytest.mark.slow


def csv_rows(name: str) -> list[dict[str, str]]:
    with (SEED_DIR / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def demo(session):
    load_demo(session, SEED_DIR, now=NOW)
    session.flush()
    return session


def test_the_encounter_log_is_loaded_once_through_the_normal_code(demo):
    rows = csv_rows("encounters.csv")
    logged = demo.scalar(select(func.count()).where(Encounter.recorded_by == DEMO_RECORDER))
    assert logged == len(rows) > 500
    # Every time is within the two years before "now", on the hour (as log_encounter keeps it).
    first, last = demo.execute(
        select(func.min(Encounter.occurred_hour), func.max(Encounter.occurred_hour))
    ).one()
    assert NOW - timedelta(days=730) <= first.replace(tzinfo=UTC) <= last.replace(tzinfo=UTC) <= NOW
    load_demo(demo, SEED_DIR, now=NOW + timedelta(days=3))
    assert demo.scalar(select(func.count(Encounter.id))) == logged


def test_the_dashboard_has_figures_and_still_suppresses_small_cells(demo):
    months = default_months(NOW.date())
    end = date(NOW.year, NOW.month, 28)
    board = outcomes.dashboard(
        demo,
        baseline=(months["baseline_start"], months["period_start"] - timedelta(days=1)),
        period=(months["period_start"], end),
        min_cell=11,
        key_configured=False,
    )
    headline = board["outcomes"]
    assert isinstance(headline["encounters"], int) and headline["encounters"] >= 300
    shown = headline["connections"]
    assert isinstance(shown["count"], int) and shown["rate"] is not None
    assert isinstance(board["comparison"]["arrests"]["baseline"]["count"], int)
    # Some months and areas are big enough to show, and some areas are not.
    assert any(isinstance(m["encounters"], int) and m["encounters"] >= 11 for m in board["months"])
    area_counts = [row["encounters"] for row in board["by_area"]]
    assert any(isinstance(c, int) and c >= 11 for c in area_counts)
    assert "<11" in area_counts


def test_fresh_demo_capacity_only_in_demo_mode(session):
    # Not demo data: the feed changes nothing.
    assert refresh_demo_capacity(session, SEED_DIR, NOW) == 0
    load_demo(session, SEED_DIR, now=NOW)
    session.flush()
    feed = demo_capacity_feed(SEED_DIR)
    meant_fresh = [f for f in feed if f.age < timedelta(hours=12)]
    assert 0 < len(meant_fresh) < len(feed)

    assert refresh_demo_capacity(session, SEED_DIR, NOW, fresh_hours=12) == len(meant_fresh)
    rows = session.scalars(select(ServiceCapacity)).all()
    fresh = [r for r in rows if not is_stale(r, NOW, 12)]
    assert len(fresh) == len(meant_fresh)
    assert len(fresh) < len(rows)  # the others still show as not reported recently
    sources = set(session.scalars(select(CapacityReport.source)))
    assert sources == {DEMO_CAPACITY_SOURCE}  # marked as demo data in the history

    # Right after, nothing has drifted; hours later the fresh ones are re-reported, still fresh.
    assert refresh_demo_capacity(session, SEED_DIR, NOW + timedelta(minutes=5)) == 0
    later = NOW + timedelta(hours=9)
    assert refresh_demo_capacity(session, SEED_DIR, later) == len(meant_fresh)
    rows = session.scalars(select(ServiceCapacity)).all()
    assert len([r for r in rows if not is_stale(r, later, 12)]) == len(meant_fresh)

    set_setting(session, "demo_data", "removed")
    assert refresh_demo_capacity(session, SEED_DIR, later + timedelta(days=1)) == 0
