"""Loading the fictional demo jurisdiction (``seed/demo``, made by ``seed/generate.py``).

It goes through the same code users use: HSDS 3.1 JSON for the services, GeoJSON for areas
and boundary, CSV for the gazetteer, the encounter log's ``log_encounter`` and
``record_follow_up`` for the fictional encounters, and the capacity API's ``report_capacity``
for the demo's capacity feed. Loading twice changes nothing.

Demo data is marked as such: every page shows the demo banner while it is loaded, demo
encounters are recorded by ``DEMO_RECORDER`` and demo capacity reports come from
``DEMO_CAPACITY_SOURCE`` (both shown in the change log and the encounter list).
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ..models import Encounter, Service
from .capacity import report_capacity
from .geography import import_areas_geojson, import_boundary_geojson, import_places_csv
from .imports import import_file
from .outcomes import log_encounter, record_follow_up
from .site import is_demo_loaded, mark_demo_loaded

DEMO_RECORDER = "demo-data (fictional)"
DEMO_CAPACITY_SOURCE = "demo-data (fictional capacity feed)"
# The demo county's time zone: the encounter log's hours are local times there.
DEMO_ZONE = ZoneInfo("America/Denver")
# A fresh demo figure is re-reported once it has drifted this much past its intended age.
CAPACITY_DRIFT = timedelta(hours=2)


def load_demo(
    session: Session,
    seed_dir: Path,
    progress: Callable[..., Any] | None = None,
    *,
    now: datetime | None = None,
    key: str | None = None,
) -> str:
    """Import every demo file and mark the instance as showing demo data; returns a summary.

    :param now: when the encounter log is placed (its times are days before this).
    :param key: the agency key (``PMHC_OUTCOMES_KEY``); with it the fictional people's
        identifiers become tokens, so repeat encounters are counted.
    """
    seed_dir = Path(seed_dir)
    summary = import_file(session, seed_dir / "services.json", fmt="hsds-json", progress=progress)
    areas = import_areas_geojson(
        session,
        seed_dir / "areas.geojson",
        id_field="area_id",
        population_field="population",
        centre_lat_field="centre_lat",
        centre_lon_field="centre_lon",
    )
    boundary = import_boundary_geojson(session, seed_dir / "boundary.geojson")
    places = import_places_csv(session, seed_dir / "places.csv")
    encounters = load_demo_encounters(
        session, seed_dir / "encounters.csv", now=now or datetime.now(UTC), key=key
    )
    mark_demo_loaded(session)
    return (
        f"Demo jurisdiction {boundary}: services {summary}; {areas} analysis areas; "
        f"{places} places; {encounters} fictional encounters"
    )


def load_demo_encounters(
    session: Session, path: Path, *, now: datetime, key: str | None = None, zone: tzinfo = DEMO_ZONE
) -> int:
    """Log the fictional encounters of ``path`` (once: none if demo encounters exist).

    Each row's ``days_ago`` and local ``hour`` place it before ``now``; rows go through
    ``log_encounter`` and ``record_follow_up`` exactly as the officers' and coordinators'
    forms do. Returns how many were logged.
    """
    if not path.is_file():
        return 0
    if session.scalar(select(exists().where(Encounter.recorded_by == DEMO_RECORDER))):
        return 0
    today = now.astimezone(zone).date()
    count = 0
    # One line per demo encounter would bury the command's summary.
    quiet = logging.getLogger(log_encounter.__module__)
    level = quiet.level
    quiet.setLevel(logging.WARNING)
    try:
        count = _log_rows(session, path, now=now, today=today, key=key, zone=zone)
    finally:
        quiet.setLevel(level)
    return count


def _log_rows(
    session: Session, path: Path, *, now: datetime, today: date, key: str | None, zone: tzinfo
) -> int:
    count = 0
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            day = today - timedelta(days=int(row["days_ago"]))
            occurred = datetime.combine(day, time(int(row["hour"])), zone)
            encounter = log_encounter(
                session,
                occurred_at=min(occurred, now),
                area_id=row["area_id"] or None,
                needs=row["needs"].split(),
                referred_service_ids=row["referred_service_ids"].split(),
                disposition=row["disposition"],
                facility_id=row["facility_id"] or None,
                decline_reason=row["decline_reason"] or None,
                use_of_force=row["use_of_force"] == "1",
                injury=row["injury"] == "1",
                person_identifier=row["person"] or None,
                key=key,
                recorded_by=DEMO_RECORDER,
                now=now,
            )
            follow = {"yes": True, "no": False}
            if row["connected_7_days"] or row["connected_30_days"]:
                record_follow_up(
                    session,
                    encounter.id,
                    follow.get(row["connected_7_days"]),
                    follow.get(row["connected_30_days"]),
                    DEMO_RECORDER,
                    min(day + timedelta(days=30), today),
                )
            count += 1
    return count


@dataclass(frozen=True)
class DemoCapacity:
    service_id: str
    unit: str
    available: int
    maximum: int | None
    age: timedelta  # how long before "now" the figure is meant to have been reported


def demo_capacity_feed(seed_dir: Path) -> list[DemoCapacity]:
    """The fictional capacity feed of ``seed/demo/capacity.csv`` (empty when absent)."""
    path = Path(seed_dir) / "capacity.csv"
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            DemoCapacity(
                service_id=row["service_id"],
                unit=row["unit"],
                available=int(row["available"]),
                maximum=int(row["maximum"]) if row["maximum"] else None,
                age=timedelta(minutes=int(row["minutes_ago"])),
            )
            for row in csv.DictReader(handle)
        ]


def refresh_demo_capacity(
    session: Session, seed_dir: Path, now: datetime, fresh_hours: float = 12.0
) -> int:
    """Keep the demo's fresh capacity figures fresh; returns how many were re-reported.

    Only while the demo data is loaded: on an instance with real data this does nothing.
    Figures the feed means to be fresh (younger than ``fresh_hours``, CAPACITY_FRESH_HOURS)
    are re-reported through ``report_capacity``, as a provider's report is, once they are more
    than ``CAPACITY_DRIFT`` older than the feed says, and never older than the freshness window;
    the others keep the seed's old report, so those cards show "not reported recently".
    """
    if not is_demo_loaded(session):
        return 0
    window = timedelta(hours=fresh_hours)
    refreshed = 0
    for figure in demo_capacity_feed(seed_dir):
        if figure.age >= window:
            continue
        service = session.get(Service, figure.service_id)
        if service is None:
            continue
        current = next((c for c in service.capacities if c.unit.name == figure.unit), None)
        intended = now - figure.age
        drift = min(CAPACITY_DRIFT, (window - figure.age) / 2)
        if current is not None and abs(current.updated - intended) <= drift:
            continue
        report_capacity(
            session,
            service,
            figure.unit,
            figure.available,
            figure.maximum,
            source=DEMO_CAPACITY_SOURCE,
            now=intended,
        )
        refreshed += 1
    return refreshed
