"""Capacity figures reported by providers, and their history for planners (spec/api.md 5).

A report sets the service's current figure for one unit (the ``ServiceCapacity`` row the
officer lookup reads, so the new figure is used by the very next look-up), appends a
``CapacityReport`` (occupancy over time) and writes a change-log row on the service
(field ``capacity``, by ``token:<prefix>`` or whoever reported it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import normalize_uuid
from ..errors import InputError
from ..models import CapacityReport, Service, ServiceCapacity, Unit
from .audit import record_change

UNITS = ("bed", "chair", "slot", "team")
UNIT_SCHEME = "PMHC"
# No crisis facility has more places than this; larger numbers are typing mistakes (and would
# not fit the database's integer column).
MAX_COUNT = 100_000


class CapacityInputError(InputError):
    """A capacity figure that cannot be stored; ``field`` names it, ``message`` says why."""


@dataclass(frozen=True)
class CapacityPoint:
    """One reported figure, for occupancy over time."""

    updated: datetime
    unit: str
    available: int
    maximum: int | None
    source: str

    @property
    def occupied(self) -> int | None:
        """Places in use when reported, when the maximum is known."""
        return None if self.maximum is None else max(self.maximum - self.available, 0)


def find_service(session: Session, service_id: str, *, for_update: bool = False) -> Service | None:
    """The service with this id, or ``None`` (also for text that is not an id).

    ``for_update`` locks the row (PostgreSQL) so two reports for the same service are applied
    one after the other instead of both inserting a capacity row.
    """
    try:
        key = normalize_uuid(service_id)
    except ValueError:
        return None
    query = select(Service).where(Service.id == key)
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)


def _count(value: Any, field: str) -> int:
    # bool is a subclass of int in Python, and JSON true must not mean one bed.
    if isinstance(value, bool) or not isinstance(value, int):
        raise CapacityInputError(
            field, f"{field} must be a whole number such as 3 (not {_shown(value)})."
        )
    if value < 0:
        raise CapacityInputError(field, f"{field} cannot be negative.")
    if value > MAX_COUNT:
        raise CapacityInputError(field, f"{field} must be at most {MAX_COUNT}.")
    return value


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return f"the text {value[:20]!r}"
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "null"
    if isinstance(value, float):
        return repr(value)
    return f"a {type(value).__name__}"


def check_unit(unit_name: Any) -> str:
    """The unit name normalised (``bed``, ``chair``, ``slot``, ``team``).

    :raises CapacityInputError: missing or unknown.
    """
    if not isinstance(unit_name, str) or not unit_name.strip():
        raise CapacityInputError("unit", f"unit is required: one of {', '.join(UNITS)}.")
    name = unit_name.strip().lower()
    if name not in UNITS:
        raise CapacityInputError(
            "unit", f"unit {unit_name[:20]!r} is unknown; use one of {', '.join(UNITS)}."
        )
    return name


def pmhc_unit(session: Session, name: str) -> Unit:
    """The PMHC ``Unit`` row of this name, created on first use."""
    unit = session.scalars(
        select(Unit).where(Unit.name == name, Unit.scheme == UNIT_SCHEME).order_by(Unit.id)
    ).first()
    if unit is None:
        unit = Unit(name=name, scheme=UNIT_SCHEME, identifier=name)
        session.add(unit)
        session.flush()
    return unit


def _current_row(service: Service, name: str) -> ServiceCapacity | None:
    """The service's newest figure for a unit of this name (imported units count too)."""
    rows = [c for c in service.capacities if (c.unit.name or "").strip().lower() == name]
    return max(rows, key=lambda c: c.updated) if rows else None


def _as_dict(row: ServiceCapacity | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "unit": row.unit.name,
        "available": row.available,
        "maximum": row.maximum,
        "updated": row.updated,
    }


def report_capacity(
    session: Session,
    service: Service,
    unit_name: Any,
    available: Any,
    maximum: Any,
    source: str,
    now: datetime,
) -> ServiceCapacity:
    """Store a new figure for one unit of a service; returns its current capacity row.

    ``maximum`` ``None`` means "not given": the maximum last reported for that unit is kept.
    Nothing is written when the input is refused.

    :param source: who reported it (``token:<prefix>``, ``user:<email>``), for the history
        and the change log.
    :param now: the server's time (aware); it becomes ``updated``.
    :raises CapacityInputError: unknown unit; a count that is not a whole number, is negative
        or too large; more available than the maximum.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    name = check_unit(unit_name)
    count = _count(available, "available")
    current = _current_row(service, name)
    new_maximum = _count(maximum, "maximum") if maximum is not None else None
    if maximum is None and current is not None:
        new_maximum = current.maximum
    if new_maximum is not None and count > new_maximum:
        kept = "" if maximum is not None else " (the maximum last reported; send a new one)"
        raise CapacityInputError(
            "available", f"available ({count}) is more than maximum ({new_maximum}){kept}."
        )

    before = _as_dict(current)
    if current is None:
        current = ServiceCapacity(unit=pmhc_unit(session, name))
        service.capacities.append(current)
    current.available = count
    current.maximum = new_maximum
    current.updated = now
    # The service changed: its version moves on, so an editor's form built on the figure
    # before this report gets a conflict instead of silently overwriting it.
    service.updated_at = now
    session.add(
        CapacityReport(
            service_id=service.id,
            unit_id=current.unit.id,
            available=count,
            maximum=new_maximum,
            updated=now,
            source=source[:400],
        )
    )
    record_change(
        session,
        resource_type="service",
        resource_id=service.id,
        action="update",
        user=source[:320],
        field="capacity",
        old=before,
        new=_as_dict(current),
        when=now,
    )
    session.flush()
    return current


def is_stale(row: ServiceCapacity, now: datetime, fresh_hours: float) -> bool:
    """Whether a figure is too old for the lookup to trust (``CAPACITY_FRESH_HOURS``)."""
    return now - row.updated > timedelta(hours=fresh_hours)


def capacity_history(
    session: Session,
    service_id: str,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[CapacityPoint]:
    """Every figure reported for a service (oldest first), optionally from ``since`` on.

    :raises ValueError: ``service_id`` is not an id.
    """
    query = (
        select(CapacityReport, Unit.name)
        .join(Unit, CapacityReport.unit_id == Unit.id)
        .where(CapacityReport.service_id == normalize_uuid(service_id))
    )
    if since is not None:
        query = query.where(CapacityReport.updated >= since)
    if until is not None:
        query = query.where(CapacityReport.updated < until)
    rows = session.execute(query.order_by(CapacityReport.updated, CapacityReport.id))
    return [
        CapacityPoint(
            updated=report.updated,
            unit=unit,
            available=report.available,
            maximum=report.maximum,
            source=report.source,
        )
        for report, unit in rows
    ]
