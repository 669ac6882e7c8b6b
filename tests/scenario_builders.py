"""Richer builders for the officer-lookup scenarios: every fact as a real model row.

``build_service`` writes what the lookup reads from the database, the way an HSDS import would
(docs/hsds-conventions.md): service-type and diversion attributes, population attributes
(``eligibility`` / ``audience``), payment attributes, ``Language`` rows and
``interpretation_services``, ``ServiceCapacity`` with its ``Unit``, ``ServiceArea`` with its
GeoJSON text and bounds, ``Schedule`` rows on the service, the location or the
service-at-location, and an ``Address``. Builders flush, never commit.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from pmhc_directory.models import (
    Address,
    Attribute,
    Language,
    Location,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceCapacity,
    TaxonomyTerm,
    Unit,
)
from pmhc_directory.taxonomy import PAYMENT, POPULATION, vocabulary
from tests.factories import make_organization, make_service

# Where the person is in every scenario: downtown Albuquerque, NM (ZIP 87102 is close by).
ORIGIN_LAT = 35.08
ORIGIN_LON = -106.65

EVERY_DAY = "MO,TU,WE,TH,FR,SA,SU"
# docs/hsds-conventions.md: 24/7 is the open-24-7 attribute plus 00:00-23:59 every day.
ROUND_THE_CLOCK: tuple[dict[str, Any], ...] = (
    {"freq": "WEEKLY", "byday": EVERY_DAY, "opens_at": "00:00", "closes_at": "23:59"},
)
SCHEDULE_OWNERS = ("service", "location", "service_at_location")

_KM_PER_DEGREE_LAT = 110.95


def offset(north_km: float = 0.0, east_km: float = 0.0) -> tuple[float, float]:
    """(lat, lon) about ``north_km`` north and ``east_km`` east of the scenario origin."""
    lat = ORIGIN_LAT + north_km / _KM_PER_DEGREE_LAT
    lon = ORIGIN_LON + east_km / (_KM_PER_DEGREE_LAT * math.cos(math.radians(ORIGIN_LAT)))
    return lat, lon


def square(center_lat: float, center_lon: float, half_degrees: float) -> dict[str, Any]:
    """A GeoJSON Polygon: a square of ``2 * half_degrees`` around a point."""
    lo_lon, hi_lon = center_lon - half_degrees, center_lon + half_degrees
    lo_lat, hi_lat = center_lat - half_degrees, center_lat + half_degrees
    ring = [
        [lo_lon, lo_lat],
        [hi_lon, lo_lat],
        [hi_lon, hi_lat],
        [lo_lon, hi_lat],
        [lo_lon, lo_lat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def term(session: Session, taxonomy: str, code: str) -> TaxonomyTerm:
    """The reference-data row of a PMHC taxonomy term (its id comes from the vocabulary)."""
    found = session.get(TaxonomyTerm, vocabulary().id_for_code(taxonomy, code))
    assert found is not None, f"reference term {taxonomy}/{code} missing: was init-db run?"
    return found


def add_attribute(session: Session, service: Service, taxonomy: str, code: str, link_type: str):
    service.attributes.append(
        Attribute(
            link_id=service.id,
            link_entity="service",
            link_type=link_type,
            taxonomy_term=term(session, taxonomy, code),
            position=len(service.attributes),
        )
    )


def unit_named(session: Session, name: str) -> Unit:
    """The PMHC capacity unit of this name (``bed``, ``chair``, ``slot``, ``team``)."""
    unit = session.scalar(select(Unit).where(Unit.name == name, Unit.scheme == "PMHC"))
    if unit is None:
        unit = Unit(name=name, scheme="PMHC")
        session.add(unit)
        session.flush()
    return unit


def _schedule(fields: Mapping[str, Any]) -> Schedule:
    values = dict(fields)
    for name in ("valid_from", "valid_to", "dtstart", "until"):
        if isinstance(values.get(name), str):
            values[name] = date.fromisoformat(values[name])
    values.setdefault("freq", "WEEKLY")
    return Schedule(**values)


def build_service(
    session: Session,
    name: str,
    *,
    types: Sequence[str] = ("crisis-receiving",),
    attributes: Sequence[str] = (),
    lat: float | None = None,
    lon: float | None = None,
    schedules: Iterable[Mapping[str, Any]] | None = None,
    schedules_on: str = "service",
    minimum_age: int | None = None,
    maximum_age: int | None = None,
    eligibility: Sequence[str] = (),
    audience: Sequence[str] = (),
    payments: Sequence[str] = (),
    languages: Sequence[str] = (),
    interpretation: str | None = None,
    capacity: Mapping[str, Any] | None = None,
    service_area: Mapping[str, Any] | None = None,
    status: str = "active",
    address: str | None = None,
    postal_code: str | None = None,
    assured_date: date | None = None,
    phone: str | None = None,
) -> Service:
    """One service with real rows for every fact given (see the module docstring).

    A location (and its service-at-location) is made when ``lat``/``lon`` are given; without
    one the service is a line or a team that goes to the person. ``schedules`` are HSDS
    schedule fields (``freq`` defaults to ``WEEKLY``, dates may be ISO strings); ``None``
    writes no schedule at all (hours unknown). ``capacity`` is
    ``dict(available=, maximum=, unit=, updated=)`` with an aware ``updated``.
    """
    if schedules_on not in SCHEDULE_OWNERS:
        raise ValueError(f"schedules_on must be one of {SCHEDULE_OWNERS}")
    if (lat is None) != (lon is None):
        raise ValueError("give both lat and lon, or neither")
    if schedules_on != "service" and lat is None:
        raise ValueError(f"schedules_on={schedules_on!r} needs a location (lat/lon)")

    service = make_service(
        session,
        name=name,
        types=tuple(types),
        attributes=tuple(attributes),
        organization=make_organization(session, name=f"{name} (organization)"),
        status=status,
        minimum_age=minimum_age,
        maximum_age=maximum_age,
        interpretation_services=interpretation,
        assured_date=assured_date,
    )
    for code in eligibility:
        add_attribute(session, service, POPULATION, code, "eligibility")
    for code in audience:
        add_attribute(session, service, POPULATION, code, "audience")
    for code in payments:
        add_attribute(session, service, PAYMENT, code, "payment")
    for position, code in enumerate(languages):
        service.languages.append(Language(code=code, name=code, position=position))

    site: ServiceAtLocation | None = None
    location: Location | None = None
    if lat is not None and lon is not None:
        location = Location(location_type="physical", name=name, latitude=lat, longitude=lon)
        site = ServiceAtLocation(service=service, location=location)
        session.add_all([location, site])
        if address is not None or postal_code is not None:
            location.addresses.append(
                Address(
                    address_1=address or "1 Scenario Way",
                    city="Albuquerque",
                    state_province="NM",
                    postal_code=postal_code or "87102",
                    country="US",
                )
            )

    for position, fields in enumerate(schedules or ()):
        row = _schedule(fields)
        row.position = position
        if schedules_on == "service":
            service.schedules.append(row)
        elif schedules_on == "location":
            assert location is not None
            location.schedules.append(row)
        else:
            assert site is not None
            site.schedules.append(row)

    if capacity is not None:
        updated = capacity["updated"]
        assert isinstance(updated, datetime) and updated.tzinfo is not None
        service.capacities.append(
            ServiceCapacity(
                unit=unit_named(session, capacity.get("unit", "bed")),
                available=capacity["available"],
                maximum=capacity.get("maximum"),
                updated=updated,
            )
        )

    if service_area is not None:
        min_lon, min_lat, max_lon, max_lat = shape(service_area).bounds
        service.service_areas.append(
            ServiceArea(
                name=f"{name} area",
                extent=json.dumps(service_area),
                extent_type="geojson",
                min_lon=min_lon,
                min_lat=min_lat,
                max_lon=max_lon,
                max_lat=max_lat,
            )
        )

    if phone is not None:
        service.phones.append(Phone(number=phone, type="voice"))

    session.flush()
    return service


def open_place(
    session: Session,
    name: str,
    *,
    types: Sequence[str] = ("crisis-receiving",),
    attributes: Sequence[str] = (),
    north_km: float = 2.0,
    east_km: float = 0.0,
    **fields: Any,
) -> Service:
    """A place you drive to, open 24/7 (attribute and rows), a few km from the origin."""
    lat, lon = offset(north_km, east_km)
    return build_service(
        session,
        name,
        types=types,
        attributes=("open-24-7", *attributes),
        lat=lat,
        lon=lon,
        schedules=fields.pop("schedules", ROUND_THE_CLOCK),
        **fields,
    )
