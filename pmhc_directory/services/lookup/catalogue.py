"""The candidate catalogue: every service's static facts per site (:class:`SiteEntry`), read
with plain queries in batches (see ``docs/scale.md``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...hours import ScheduleError, ScheduleRule
from ...hours import select_rules as select_schedule_rules
from ...models import (
    Address,
    Attribute,
    Location,
    Schedule,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
)
from ...taxonomy import Vocabulary
from ..provider_alerts import effective_status
from .facts import area_shapes, facts_from_rows

log = logging.getLogger(__name__)

_CACHE_CHUNK = 2000


@dataclass(frozen=True)
class CapacityFact:
    """The latest capacity row of a service (staleness is judged per lookup)."""

    available: int | None
    maximum: int | None
    unit: str | None
    updated: datetime


@dataclass(frozen=True)
class SiteEntry:
    """The static facts of one candidate: a service at one site, or a service with none."""

    common: Mapping[str, Any]  # Candidate fields that do not depend on the lookup
    types: tuple[str, ...]
    goes_to_person: bool
    is_national: bool
    rules: tuple[ScheduleRule, ...] | None  # None: hours that cannot be read
    always_open: bool
    shapes: tuple[Any, ...]
    has_site: bool = False
    lat: float | None = None
    lon: float | None = None


def _grouped(session: Session, statement: Any, key: Any, ids: Sequence[str] | None) -> dict:
    """Rows of ``statement`` grouped by ``key`` (for ``ids`` in chunks, or every row).

    Plain Core rows on the session's connection (the caller's earlier ORM query has flushed).
    """
    found: dict[Any, list[Any]] = {}
    if ids is None:
        chunks: Iterable[Any] = [None]
    else:
        ids = sorted({i for i in ids if i is not None})
        chunks = [ids[s : s + _CACHE_CHUNK] for s in range(0, len(ids), _CACHE_CHUNK)]
    connection = session.connection()
    for chunk in chunks:
        query = statement if chunk is None else statement.where(key.in_(chunk))
        result = connection.execute(query)
        position = list(result.keys()).index(key.key)
        for row in result:
            found.setdefault(row[position], []).append(row)
    return found


# Schedule columns that are not part of a rule (ids, owners, order).
_NOT_RULE = frozenset({"id", "service_id", "location_id", "service_at_location_id", "position"})


class _RuleReader:
    """``schedule_rules`` for plain rows, reading each distinct schedule once per load."""

    def __init__(self) -> None:
        table = Schedule.__table__
        self.columns = [c for c in table.columns if c.key not in _NOT_RULE]
        self.known: dict[tuple[Any, ...], ScheduleRule | ScheduleError] = {}

    def __call__(self, rows: Sequence[Any], service_id: str) -> list[ScheduleRule] | None:
        rules = []
        for row in rows:
            mapping = row._mapping
            key = tuple(mapping[c] for c in self.columns)
            found = self.known.get(key)
            if found is None:
                try:
                    found = ScheduleRule.from_mapping({c.key: mapping[c] for c in self.columns})
                except ScheduleError as exc:
                    found = exc
                self.known[key] = found
            if isinstance(found, ScheduleError):
                log.warning(
                    "service %s has hours that cannot be read (%s)", service_id, found.field
                )
                return None
            rules.append(found)
        return rules


def _prepared(shapes: list[Any]) -> tuple[Any, ...]:
    import shapely

    for geometry in shapes:
        shapely.prepare(geometry)
    return tuple(shapes)


def _address_of(rows: Sequence[Any]) -> str | None:
    if not rows:
        return None
    a = rows[0]
    parts = [a.address_1, a.address_2, a.city, f"{a.state_province} {a.postal_code}".strip()]
    return ", ".join(p for p in parts if p)


class _Interner:
    """One shared object per distinct value (sets of codes, type tuples, hours, names): a
    state-wide directory repeats a few hundred of them across 50,000 services."""

    def __init__(self) -> None:
        self._known: dict[Any, Any] = {}

    def __call__(self, value: Any) -> Any:
        return self._known.setdefault(value, value)


#: A full load reads this many services at a time, so the rows of only one batch are in memory
#: at once (a worker's peak memory stays near what the cache keeps).
FULL_LOAD_BATCH = 2000


def load_site_entries(
    session: Session, service_ids: Sequence[str] | None, vocab: Vocabulary
) -> dict[str, list[SiteEntry]]:
    """Entries of these services (all when None).

    A dozen plain queries per 2,000 services (no ORM objects); the same facts, in the same order,
    as the relationships of ``Service`` give (see ``docs/scale.md``).
    """
    intern = _Interner()
    if service_ids is not None:
        return _load_site_entries(session, service_ids, vocab, intern)
    every = list(session.scalars(select(Service.id).order_by(Service.id)))
    entries: dict[str, list[SiteEntry]] = {}
    for start in range(0, len(every), FULL_LOAD_BATCH):
        entries.update(
            _load_site_entries(session, every[start : start + FULL_LOAD_BATCH], vocab, intern)
        )
    return entries


@dataclass
class _ServiceRows:
    """The rows of one batch of services, each grouped by the id it belongs to."""

    services: dict[Any, list[Any]]
    organizations: dict[Any, list[Any]]
    attributes: dict[Any, list[Any]]
    schedules: dict[Any, list[Any]]
    languages: dict[Any, list[Any]]
    phones: dict[Any, list[Any]]
    areas: dict[Any, list[Any]]
    links: dict[Any, list[Any]]  # service_at_location rows, by service


@dataclass
class _SiteRows:
    """The rows of the sites (service-at-location links and their locations) of a batch."""

    schedules: dict[Any, list[Any]]  # by link
    phones: dict[Any, list[Any]]  # by link
    areas: dict[Any, list[Any]]  # by link
    locations: dict[Any, list[Any]]
    addresses: dict[Any, list[Any]]  # by location
    location_schedules: dict[Any, list[Any]]
    location_phones: dict[Any, list[Any]]


def _area_columns() -> tuple[Any, ...]:
    from ...models import ServiceArea

    return (
        ServiceArea.id,
        ServiceArea.service_id,
        ServiceArea.service_at_location_id,
        ServiceArea.extent,
        ServiceArea.extent_type,
    )


def _service_rows(session: Session, service_ids: Sequence[str]) -> _ServiceRows:
    """Services and what hangs off them: organization, attributes, hours, languages, phones,
    areas and site links (one query each, in ``_CACHE_CHUNK`` chunks)."""
    from ...models import Language, Organization, Phone, ServiceArea

    services = _grouped(session, select(*_SERVICE_COLUMNS), Service.id, service_ids)
    ids = list(services)
    org_ids = [rows[0].organization_id for rows in services.values()]
    schedule = Schedule.__table__
    return _ServiceRows(
        services=services,
        organizations=_grouped(
            session, select(Organization.id, Organization.name), Organization.id, org_ids
        ),
        attributes=_grouped(
            session,
            select(Attribute.link_id, Attribute.link_type, TaxonomyTerm.taxonomy, TaxonomyTerm.code)
            .join(TaxonomyTerm, Attribute.taxonomy_term_id == TaxonomyTerm.id)
            .where(Attribute.link_entity == "service")
            .order_by(Attribute.position),
            Attribute.link_id,
            ids,
        ),
        schedules=_grouped(
            session, select(schedule).order_by(schedule.c.position), schedule.c.service_id, ids
        ),
        languages=_grouped(
            session,
            select(Language.service_id, Language.code).order_by(Language.position),
            Language.service_id,
            ids,
        ),
        phones=_grouped(
            session,
            select(Phone.service_id, Phone.number).order_by(Phone.position),
            Phone.service_id,
            ids,
        ),
        areas=_grouped(
            session,
            select(*_area_columns()).order_by(ServiceArea.id),
            ServiceArea.service_id,
            ids,
        ),
        links=_grouped(
            session,
            select(
                ServiceAtLocation.id, ServiceAtLocation.service_id, ServiceAtLocation.location_id
            ).order_by(ServiceAtLocation.id),
            ServiceAtLocation.service_id,
            ids,
        ),
    )


def _site_rows(session: Session, links: Mapping[Any, list[Any]]) -> _SiteRows:
    """The sites' own hours, phones and areas, and their locations with address, hours and
    phones."""
    from ...models import Phone, ServiceArea

    link_ids = [row.id for rows in links.values() for row in rows]
    location_ids = [row.location_id for rows in links.values() for row in rows]
    schedule = Schedule.__table__
    by_position = select(schedule).order_by(schedule.c.position)
    return _SiteRows(
        schedules=_grouped(session, by_position, schedule.c.service_at_location_id, link_ids),
        phones=_grouped(
            session,
            select(Phone.service_at_location_id, Phone.number).order_by(Phone.position),
            Phone.service_at_location_id,
            link_ids,
        ),
        areas=_grouped(
            session,
            select(*_area_columns()).order_by(ServiceArea.id),
            ServiceArea.service_at_location_id,
            link_ids,
        ),
        locations=_grouped(
            session,
            select(Location.id, Location.latitude, Location.longitude),
            Location.id,
            location_ids,
        ),
        addresses=_grouped(
            session,
            select(
                Address.location_id,
                Address.address_1,
                Address.address_2,
                Address.city,
                Address.state_province,
                Address.postal_code,
            ).order_by(Address.id),
            Address.location_id,
            location_ids,
        ),
        location_schedules=_grouped(session, by_position, schedule.c.location_id, location_ids),
        location_phones=_grouped(
            session,
            select(Phone.location_id, Phone.number).order_by(Phone.position),
            Phone.location_id,
            location_ids,
        ),
    )


_SERVICE_COLUMNS = (
    Service.id,
    Service.name,
    Service.organization_id,
    Service.status,
    Service.minimum_age,
    Service.maximum_age,
    Service.interpretation_services,
    Service.assured_date,
    Service.is_national,
    Service.closed_until,
    Service.alert,
    Service.alert_expires_at,
    Service.application_process,
)


@dataclass(frozen=True)
class _ServiceParts:
    """What every entry of one service shares."""

    common: dict[str, Any]  # the Candidate fields that do not depend on the site
    goes_to_person: bool
    rules: list[ScheduleRule] | None  # the service's own hours (None: unreadable)
    always_open: bool
    phones: tuple[str, ...]
    shapes: list[Any]


class _EntryMaker:
    """Makes the entries of one batch from its rows (``_load_site_entries``)."""

    def __init__(
        self,
        rows: _ServiceRows,
        sites: _SiteRows,
        vocab: Vocabulary,
        intern: _Interner,
        loaded_at: datetime,
    ) -> None:
        self.rows, self.sites, self.vocab, self.intern = rows, sites, vocab, intern
        self.loaded_at = loaded_at
        self.rules_of = _RuleReader()

    def entries(self, service_id: str, service: Any) -> list[SiteEntry]:
        """A service's entries: one without a site (no usable site, or a national line) and
        one per site with a location."""
        parts = self._parts(service_id, service)
        links = self.rows.links.get(service_id, [])
        sites = [link for link in links if link.location_id in self.sites.locations]
        found: list[SiteEntry] = []
        if not sites or service.is_national:
            found.append(self._without_site(parts, bool(service.is_national)))
        for link in sites if not service.is_national else ():
            found.append(self._at_site(parts, service_id, link))
        return found

    def _parts(self, service_id: str, service: Any) -> _ServiceParts:
        intern, vocab = self.intern, self.vocab
        attribute_rows = self.rows.attributes.get(service_id, [])
        facts = facts_from_rows(
            ((row.taxonomy, row.code, row.link_type) for row in attribute_rows), vocab
        )
        primary = facts.types[0] if facts.types else None
        goes_to_person = (vocab.continuum_of(primary) if primary else None) == "respond"
        organization = self.rows.organizations.get(service.organization_id)
        languages = self.rows.languages.get(service_id, [])
        status = effective_status(service.status, service.closed_until, self.loaded_at)
        common = {
            "service_id": service_id,
            "name": service.name,
            "organization": intern(organization[0].name if organization else ""),
            "service_types": intern(facts.types),
            "attributes": intern(facts.diversion),
            "status": intern(status),
            "minimum_age": service.minimum_age,
            "maximum_age": service.maximum_age,
            "eligibility_populations": intern(facts.eligibility),
            "audience_populations": intern(facts.audience),
            "payments": intern(facts.payments),
            "languages": intern(
                frozenset(row.code.split("-")[0].lower() for row in languages if row.code)
            ),
            "interpretation": bool((service.interpretation_services or "").strip()),
            "goes_to_person": goes_to_person,
            "assured_date": service.assured_date,
            "is_national": service.is_national,
            "alert": service.alert,
            "alert_expires_at": service.alert_expires_at,
            "application_process": service.application_process,
        }
        return _ServiceParts(
            common=common,
            goes_to_person=goes_to_person,
            rules=self.rules_of(self.rows.schedules.get(service_id, []), service_id),
            always_open="open-24-7" in facts.diversion,
            phones=tuple(row.number for row in self.rows.phones.get(service_id, [])),
            shapes=area_shapes(self.rows.areas.get(service_id, [])),
        )

    def _without_site(self, parts: _ServiceParts, is_national: bool) -> SiteEntry:
        return SiteEntry(
            common={
                **parts.common,
                "residency_restricted": bool(parts.shapes) and not parts.goes_to_person,
                "phones": parts.phones,
            },
            types=parts.common["service_types"],
            goes_to_person=parts.goes_to_person,
            is_national=is_national,
            rules=None if parts.rules is None else self.intern(tuple(parts.rules)),
            always_open=parts.always_open,
            shapes=_prepared(parts.shapes),
        )

    def _site_hours(
        self, parts: _ServiceParts, service_id: str, own: Sequence[Any], link_rows: Sequence[Any]
    ) -> tuple[ScheduleRule, ...] | None:
        if parts.rules is None:
            return None
        location_rules = self.rules_of(own, service_id)
        link_rules = self.rules_of(link_rows, service_id)
        if location_rules is None or link_rules is None:
            return None
        return self.intern(tuple(select_schedule_rules(parts.rules, location_rules, link_rules)))

    def _at_site(self, parts: _ServiceParts, service_id: str, link: Any) -> SiteEntry:
        sites = self.sites
        (location,) = sites.locations[link.location_id]
        own_schedules = sites.location_schedules.get(link.location_id, [])
        link_rows = sites.schedules.get(link.id, [])
        shapes = area_shapes(sites.areas.get(link.id, [])) or parts.shapes
        has_point = location.latitude is not None and location.longitude is not None
        lat = location.latitude if has_point else None
        lon = location.longitude if has_point else None
        phones = (
            [row.number for row in sites.phones.get(link.id, [])]
            + list(parts.phones)
            + [row.number for row in sites.location_phones.get(link.location_id, [])]
        )
        return SiteEntry(
            common={
                **parts.common,
                "service_at_location_id": link.id,
                "residency_restricted": bool(shapes) and not parts.goes_to_person,
                "phones": tuple(dict.fromkeys(phones)),
                "address": _address_of(sites.addresses.get(link.location_id, [])),
                "lat": lat,
                "lon": lon,
            },
            types=parts.common["service_types"],
            goes_to_person=parts.goes_to_person,
            is_national=False,
            rules=self._site_hours(parts, service_id, own_schedules, link_rows),
            # The service-wide 24/7 flag yields to hours published for this very site.
            always_open=parts.always_open and not (own_schedules or link_rows),
            shapes=_prepared(list(shapes)),
            has_site=True,
            lat=lat,
            lon=lon,
        )


def _load_site_entries(
    session: Session, service_ids: Sequence[str], vocab: Vocabulary, intern: _Interner
) -> dict[str, list[SiteEntry]]:
    """The entries of one batch: its rows read (``_service_rows``, ``_site_rows``), then each
    service's entries made from them (``_EntryMaker``)."""
    rows = _service_rows(session, service_ids)
    loaded_at = datetime.now(UTC)
    maker = _EntryMaker(rows, _site_rows(session, rows.links), vocab, intern, loaded_at)
    return {
        service_id: maker.entries(service_id, service)
        for service_id, (service,) in rows.services.items()
    }


def load_closures(
    session: Session, service_ids: Sequence[str] | None = None
) -> dict[str, datetime]:
    """When each temporarily closed service (of these, all when None) reopens by itself."""
    query = select(Service.id, Service.closed_until).where(Service.closed_until > datetime.now(UTC))
    if service_ids is not None:
        query = query.where(Service.id.in_(service_ids))
    return {row.id: row.closed_until for row in session.execute(query)}


def load_capacities(
    session: Session, service_ids: Sequence[str] | None = None
) -> dict[str, CapacityFact]:
    """The latest capacity row of these services (all when None) that report one (ties: the
    first by id)."""
    from ...models import ServiceCapacity, Unit

    statement = (
        select(
            ServiceCapacity.service_id,
            ServiceCapacity.available,
            ServiceCapacity.maximum,
            ServiceCapacity.updated,
            Unit.name.label("unit"),
        )
        .outerjoin(Unit, ServiceCapacity.unit_id == Unit.id)
        .order_by(ServiceCapacity.id)
    )
    grouped = _grouped(session, statement, ServiceCapacity.service_id, service_ids)
    # Grouping keeps each service's rows in id order, which is all the ties need.
    rows = [row for service_rows in grouped.values() for row in service_rows]
    latest: dict[str, CapacityFact] = {}
    for row in rows:
        seen = latest.get(row.service_id)
        if seen is None or row.updated > seen.updated:
            latest[row.service_id] = CapacityFact(row.available, row.maximum, row.unit, row.updated)
    return latest
