"""Placing listings that have no coordinates, with the configured geocoder.

A physical location without latitude/longitude never shows up in the officer lookup (there is
no distance to rank it by). This tries each one by its address text ("address_1, city, state
postal_code") with the same geocoder chain the lookup uses (ZIP centroids, the local gazetteer,
the optional online geocoder), sets the coordinates it finds and writes the change log. What it
could not place is reported with its name and address, for a person to fix by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from ..geo.geocoding import Geocoder
from ..models import Address, Location
from .audit import record_change

USER = "system:geocode-missing"
# Sources whose position is only approximately the building: worth a person's check.
APPROXIMATE_SOURCES = frozenset({"zip", "place"})

Advance = Callable[[int], None]
Progress = Callable[[str, int | None], AbstractContextManager[Advance]]


@dataclass(frozen=True)
class Placed:
    location_id: str
    name: str
    address: str
    lat: float
    lon: float
    # Which geocoder answered: "address", "zip", "place", "coordinates".
    source: str
    label: str

    @property
    def approximate(self) -> bool:
        """Placed at a ZIP centroid or a place, not at the building: worth checking."""
        return self.source in APPROXIMATE_SOURCES


@dataclass(frozen=True)
class NotPlaced:
    location_id: str
    name: str
    address: str
    reason: str


@dataclass
class GeocodeReport:
    placed: list[Placed] = field(default_factory=list)
    failed: list[NotPlaced] = field(default_factory=list)
    dry_run: bool = False

    @property
    def tried(self) -> int:
        return len(self.placed) + len(self.failed)

    def summary(self) -> str:
        verb = "Would place" if self.dry_run else "Placed"
        return (
            f"{verb} {len(self.placed)} of {self.tried} locations without coordinates; "
            f"{len(self.failed)} could not be placed."
        )


@contextmanager
def _no_progress(_label: str, _total: int | None = None) -> Iterator[Advance]:
    yield lambda _n: None


def address_text(address: Address | None) -> str:
    """``"address_1, city, state postal_code"`` (parts that are blank left out)."""
    if address is None:
        return ""
    region = " ".join(
        part.strip() for part in (address.state_province, address.postal_code) if part
    ).strip()
    parts = [address.address_1, address.city, region]
    return ", ".join(part.strip() for part in parts if part and part.strip())


def _best_address(location: Location) -> Address | None:
    physical = [a for a in location.addresses if a.address_type == "physical"]
    candidates = physical or list(location.addresses)
    return candidates[0] if candidates else None


def locations_missing_coordinates(session: Session) -> list[Location]:
    """Physical locations lacking a latitude or longitude, by name."""
    return list(
        session.scalars(
            select(Location)
            .where(
                Location.location_type == "physical",
                or_(Location.latitude.is_(None), Location.longitude.is_(None)),
            )
            .options(selectinload(Location.addresses))
            .order_by(Location.name, Location.id)
        )
    )


def geocode_missing(
    session: Session,
    geocoder: Geocoder,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> GeocodeReport:
    """Try to place every physical location without coordinates; report what was not placed.

    Sets ``latitude``/``longitude`` and writes one change-log row per field (resource type
    ``location``, user ``system:geocode-missing``) unless ``dry_run``. The caller commits.

    :param progress: a context manager factory such as ``cli.progress_bar``.
    """
    progress = progress or _no_progress
    moment = now or datetime.now(UTC)
    report = GeocodeReport(dry_run=dry_run)
    locations = locations_missing_coordinates(session)
    with progress("Geocoding", len(locations)) as advance:
        for location in locations:
            name = location.name or "(no name)"
            text = address_text(_best_address(location))
            if not text:
                report.failed.append(NotPlaced(location.id, name, "", "no address"))
                advance(1)
                continue
            result = geocoder.geocode(text)
            if result is None:
                report.failed.append(NotPlaced(location.id, name, text, "address not found"))
                advance(1)
                continue
            report.placed.append(
                Placed(location.id, name, text, result.lat, result.lon, result.source, result.label)
            )
            if not dry_run:
                for field_name, old, new in (
                    ("latitude", location.latitude, result.lat),
                    ("longitude", location.longitude, result.lon),
                ):
                    record_change(
                        session,
                        resource_type="location",
                        resource_id=location.id,
                        action="update",
                        user=USER,
                        field=field_name,
                        old=old,
                        new=new,
                        when=moment,
                    )
                location.latitude = result.lat
                location.longitude = result.lon
            advance(1)
    if not dry_run:
        session.flush()
    return report
