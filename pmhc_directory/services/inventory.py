"""The coordinators' inventory: the filtered list, the verification queue, verifying, problem
reports and the change history with its CSV export.

Functions take a Session and return plain dataclasses; nothing here reads the request or
commits (the view commits once). Every write goes through ``services.audit`` so it is traceable.
"""

from __future__ import annotations

import io
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import combinations
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, not_, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased, joinedload, selectinload

from .. import csv_safe  # the one CSV writer: formulas made inert
from ..db import normalize_uuid
from ..errors import InputError
from ..geo.addresses import place_key
from ..geo.distance import distance_km
from ..models import (
    SERVICE_STATUSES,
    Attribute,
    ChangeRecord,
    ImportFlag,
    Location,
    Organization,
    ProblemReport,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
)
from ..taxonomy import ATTRIBUTE, SERVICE_TYPE, vocabulary
from .audit import history, record_change
from .directory import unknown_type_message
from .paging import PagedResult
from .problems import PROBLEM_KIND_LABELS

PAGE_SIZE = 50
#: Services shown per queue category; the rest are one click away in the filtered list.
QUEUE_LIMIT = 100
#: Locations closer than this (km) with the same normalised name are probable duplicates.
DUPLICATE_DISTANCE_KM = 0.05
#: Longest note accepted when resolving or dismissing a problem report.
MAX_NOTE = 1000
DEFUNCT = "defunct"
#: ``status`` filter value meaning every status except defunct (what the queue looks at).
CURRENT = "current"
STATUS_CHOICES = (CURRENT, *SERVICE_STATUSES)
RESPOND = "respond"
OPEN_24_7 = "open-24-7"


class InventoryError(InputError):
    """Input that cannot be used; ``field`` names the form field and ``message`` says why."""


class UnknownRecordError(LookupError):
    """No service or problem report with this id (or the id is not a UUID)."""


class ProblemClosedError(ValueError):
    """The problem report was already resolved or dismissed (perhaps by someone else)."""

    def __init__(self, report: ProblemReport) -> None:
        super().__init__(f"problem report {report.id} is already {report.status}")
        self.report = report


# Conditions, each correlated to ``Service`` so it can filter a list or be selected as a flag ---


def _type_ids(codes: Iterable[str]) -> list[str]:
    vocab = vocabulary()
    return [vocab.id_for_code(SERVICE_TYPE, code) for code in codes]


def has_type(codes: Iterable[str]) -> ColumnElement[bool]:
    return exists().where(
        Attribute.link_entity == "service",
        Attribute.link_id == Service.id,
        Attribute.link_type == "service_type",
        Attribute.taxonomy_term_id.in_(_type_ids(codes)),
    )


def is_stale(today: date, reverify_days: int) -> ColumnElement[bool]:
    """Never verified, or verified more than ``reverify_days`` days before ``today``."""
    return or_(
        Service.assured_date.is_(None),
        Service.assured_date < today - timedelta(days=reverify_days),
    )


def has_hours() -> ColumnElement[bool]:
    """A schedule at the service, service-at-location or location level, or open 24/7."""
    sal = aliased(ServiceAtLocation)
    always_open = vocabulary().id_for_code(ATTRIBUTE, OPEN_24_7)
    return or_(
        exists().where(Schedule.service_id == Service.id),
        exists().where(Schedule.service_at_location_id == sal.id, sal.service_id == Service.id),
        exists().where(Schedule.location_id == sal.location_id, sal.service_id == Service.id),
        exists().where(
            Attribute.link_entity == "service",
            Attribute.link_id == Service.id,
            Attribute.taxonomy_term_id == always_open,
        ),
    )


def lacks_coordinates() -> ColumnElement[bool]:
    """At least one physical location of the service has no latitude or longitude."""
    return exists().where(
        ServiceAtLocation.service_id == Service.id,
        Location.id == ServiceAtLocation.location_id,
        Location.location_type == "physical",
        or_(Location.latitude.is_(None), Location.longitude.is_(None)),
    )


def lacks_service_area() -> ColumnElement[bool]:
    """A service of the "someone to respond" continuum with no service area at any level."""
    sal = aliased(ServiceAtLocation)
    return and_(
        has_type(vocabulary().service_types_in(RESPOND)),
        not_(exists().where(ServiceArea.service_id == Service.id)),
        not_(
            exists().where(
                ServiceArea.service_at_location_id == sal.id, sal.service_id == Service.id
            )
        ),
    )


def has_open_problems() -> ColumnElement[bool]:
    return exists().where(ProblemReport.service_id == Service.id, ProblemReport.status == "open")


def _open_problem_count() -> ColumnElement[int]:
    return (
        select(func.count(ProblemReport.id))
        .where(ProblemReport.service_id == Service.id, ProblemReport.status == "open")
        .correlate(Service)
        .scalar_subquery()
    )


#: A column expression or a mapped attribute (``Service.name``), for the helpers below.
_Column = ColumnElement[Any] | InstrumentedAttribute[Any]


def _contains(column: _Column, text: str) -> ColumnElement[bool]:
    return func.lower(column).contains(text.lower(), autoescape=True)


# The list --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InventoryFilters:
    """What the inventory list asks for; empty strings, None and False mean "any"."""

    q: str | None = None
    service_type: str | None = None
    status: str | None = None
    organization: str | None = None
    stale: bool = False
    missing_hours: bool = False
    missing_coordinates: bool = False
    missing_area: bool = False
    open_problems: bool = False
    duplicates: bool = False
    page: int = 1


@dataclass(frozen=True)
class InventoryRow:
    id: str
    name: str
    alternate_name: str | None
    organization: str
    types: tuple[str, ...]
    status: str
    assured_date: date | None
    assurer_email: str | None
    stale: bool
    missing_hours: bool
    missing_coordinates: bool
    missing_area: bool
    open_problems: int
    is_national: bool


@dataclass(frozen=True)
class InventoryPage(PagedResult):
    rows: list[InventoryRow]
    filters: InventoryFilters
    total: int
    page_size: int = PAGE_SIZE


def _type_and_status(filters: InventoryFilters) -> list[ColumnElement[bool]]:
    """The type and status filters; ``InventoryError`` for a type or status not known."""
    conditions: list[ColumnElement[bool]] = []
    if filters.service_type:
        if vocabulary().find(SERVICE_TYPE, filters.service_type) is None:
            raise InventoryError("type", unknown_type_message(filters.service_type))
        conditions.append(has_type([filters.service_type]))
    if filters.status:
        if filters.status == CURRENT:
            conditions.append(Service.status != DEFUNCT)
        elif filters.status in SERVICE_STATUSES:
            conditions.append(Service.status == filters.status)
        else:
            raise InventoryError(
                "status",
                f"\u201c{filters.status}\u201d is not a status. "
                f"Use one of: {', '.join(STATUS_CHOICES)}.",
            )
    return conditions


def _conditions(
    session: Session, filters: InventoryFilters, today: date, reverify_days: int
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.q and filters.q.strip():
        text = filters.q.strip()
        conditions.append(
            or_(
                _contains(Service.name, text),
                _contains(Service.alternate_name, text),
                _contains(Organization.name, text),
                _contains(Organization.alternate_name, text),
            )
        )
    conditions.extend(_type_and_status(filters))
    if filters.organization and filters.organization.strip():
        text = filters.organization.strip()
        conditions.append(
            or_(_contains(Organization.name, text), _contains(Organization.alternate_name, text))
        )
    if filters.stale:
        conditions.append(is_stale(today, reverify_days))
    if filters.missing_hours:
        conditions.append(not_(has_hours()))
    if filters.missing_coordinates:
        conditions.append(lacks_coordinates())
    if filters.missing_area:
        conditions.append(lacks_service_area())
    if filters.open_problems:
        conditions.append(has_open_problems())
    if filters.duplicates:
        ids = duplicate_service_ids(session)
        conditions.append(Service.id.in_(sorted(ids)) if ids else false())
    return conditions


def list_inventory(
    session: Session,
    filters: InventoryFilters,
    *,
    today: date | None = None,
    reverify_days: int = 180,
) -> InventoryPage:
    """One page of services matching ``filters`` (every status unless one is asked), by name.

    :param today: the local date verification age is measured from (default: UTC today).
    :param reverify_days: verification older than this is stale (REVERIFY_DAYS).
    :raises InventoryError: an unknown service type or status, or a page below 1.
    """
    if filters.page < 1:
        raise InventoryError("page", "Page numbers start at 1.")
    today = today or datetime.now(UTC).date()
    conditions = _conditions(session, filters, today, reverify_days)
    base = select(Service.id).join(Service.organization).where(*conditions)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    stmt = (
        select(
            Service,
            is_stale(today, reverify_days).label("stale"),
            not_(has_hours()).label("missing_hours"),
            lacks_coordinates().label("missing_coordinates"),
            lacks_service_area().label("missing_area"),
            _open_problem_count().label("open_problems"),
        )
        .join(Service.organization)
        .where(*conditions)
        .order_by(func.lower(Service.name), Service.id)
        .limit(PAGE_SIZE)
        .offset((filters.page - 1) * PAGE_SIZE)
        .options(joinedload(Service.organization), selectinload(Service.attributes))
    )
    rows = [
        InventoryRow(
            id=s.id,
            name=s.name,
            alternate_name=s.alternate_name,
            organization=s.organization.name,
            types=_type_names(s),
            status=s.status,
            assured_date=s.assured_date,
            assurer_email=s.assurer_email,
            stale=bool(stale),
            missing_hours=bool(no_hours),
            missing_coordinates=bool(no_coords),
            missing_area=bool(no_area),
            open_problems=int(problems or 0),
            is_national=s.is_national,
        )
        for s, stale, no_hours, no_coords, no_area, problems in session.execute(stmt)
    ]
    return InventoryPage(rows=rows, filters=filters, total=total)


def _type_names(service: Service) -> tuple[str, ...]:
    return tuple(a.taxonomy_term.name for a in service.attributes if a.link_type == "service_type")


# Probable duplicates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceRef:
    id: str
    name: str
    organization: str
    status: str


@dataclass(frozen=True)
class DuplicatePair:
    """Two listings that are probably the same service.

    ``distance_m`` is how far apart their closest locations are, or None when neither listing
    has a location (same name, nothing to tell them apart).
    """

    first: ServiceRef
    second: ServiceRef
    distance_m: float | None


def _chunks(items: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# Grid cells for the 50 m comparison, in degrees; km per degree of latitude (WGS84 mean).
_CELL_DEGREES = 0.001
_KM_PER_DEGREE = 111.2
# ``place_key`` of service names seen lately: every import compares its services with all
# the others by name, and recomputing the key of each name would cost the most.
_NAME_KEYS: dict[str, str] = {}
_NAME_KEYS_MAX = 100_000
# Candidate services above which their locations are found in one pass over all links.
_SCAN_LOCATIONS_OVER = 5000

Points = dict[str, list[tuple[float, float]]]


def probable_duplicates(
    session: Session, touched: Sequence[tuple[str, str]] | None = None
) -> list[DuplicatePair]:
    """Pairs of non-defunct services with the same normalised name (``place_key``) whose
    closest locations are under 50 m apart, or which both have no location at all.

    ``touched`` ((id, name) pairs; an import passes the services it created or updated)
    keeps only the pairs with at least one of them; None: every pair (the verification
    queue). Locations without coordinates cannot be compared; they show under missing
    coordinates. Pairs come by name key, then in (organization, id) order within a name.

    One pass over the service names finds the candidates by name; only their locations are
    loaded, and points are compared through a grid of about 100 m cells, never all pairs.
    """
    touched_ids = None if touched is None else {service_id for service_id, _name in touched}
    keys = None if touched is None else {_name_key(name) for _id, name in touched} - {""}
    if keys is not None and not keys:
        return []
    groups = _name_groups(session, keys, touched_ids)
    linked, points = _located(session, [ref.id for refs in groups.values() for ref in refs])
    pairs: list[DuplicatePair] = []
    for key in sorted(groups):
        refs = sorted(groups[key], key=lambda r: (r.organization.lower(), r.id))
        order = {ref.id: i for i, ref in enumerate(refs)}
        found = {
            (first.id, second.id): DuplicatePair(first, second, None)
            for first, second in combinations([r for r in refs if r.id not in linked], 2)
            if touched_ids is None or first.id in touched_ids or second.id in touched_ids
        }
        for first, second, km in _near_pairs(refs, points, touched_ids):
            found[(first.id, second.id)] = DuplicatePair(first, second, round(km * 1000, 1))
        pairs.extend(
            found[pair] for pair in sorted(found, key=lambda p: (order[p[0]], order[p[1]]))
        )
    return pairs


def _name_key(name: str) -> str:
    name_keys = _NAME_KEYS
    key = name_keys.get(name)
    if key is None:
        if len(name_keys) > _NAME_KEYS_MAX:
            name_keys.clear()
        key = name_keys[name] = place_key(name)
    return key


def _name_groups(
    session: Session, keys: set[str] | None, touched_ids: set[str] | None
) -> dict[str, list[ServiceRef]]:
    """Non-defunct services by name key, only groups of two or more (with a touched service
    and of a key in ``keys`` when those are given)."""
    groups: dict[str, list[ServiceRef]] = defaultdict(list)
    rows = session.execute(
        select(Service.id, Service.name, Organization.name, Service.status)
        .join(Service.organization)
        .where(Service.status != DEFUNCT)
    )
    for service_id, name, organization, status in rows:
        key = _name_key(name)
        if key and (keys is None or key in keys):
            groups[key].append(ServiceRef(str(service_id), name, organization, status))
    return {
        key: refs
        for key, refs in groups.items()
        if len(refs) > 1 and (touched_ids is None or any(r.id in touched_ids for r in refs))
    }


def _located(session: Session, ids: list[str]) -> tuple[set[str], Points]:
    """Which of ``ids`` have a location at all, and the coordinates of those that have some."""
    linked: set[str] = set()
    points: Points = defaultdict(list)
    wanted = set(ids)
    query = select(ServiceAtLocation.service_id, Location.latitude, Location.longitude).join(
        Location, Location.id == ServiceAtLocation.location_id
    )
    if len(ids) > _SCAN_LOCATIONS_OVER:  # one pass over every link beats many look-ups
        queries = [query]
    else:
        queries = [query.where(ServiceAtLocation.service_id.in_(chunk)) for chunk in _chunks(ids)]
    for each in queries:
        for raw_id, lat, lon in session.execute(each):
            service_id = str(raw_id)
            if service_id not in wanted:
                continue
            linked.add(service_id)
            if lat is not None and lon is not None:
                points[service_id].append((lat, lon))
    return linked, points


def _near_pairs(
    refs: list[ServiceRef], points: Points, touched_ids: set[str] | None
) -> Iterator[tuple[ServiceRef, ServiceRef, float]]:
    """Pairs of ``refs`` (in their order) whose closest points are under the duplicate
    distance, at least one of them touched (any, when None); with that distance in km."""
    order = {ref.id: i for i, ref in enumerate(refs)}
    cells: dict[tuple[int, int], list[tuple[ServiceRef, float, float]]] = defaultdict(list)
    for ref in refs:
        for lat, lon in points.get(ref.id, ()):
            cells[_cell(lat, lon)].append((ref, lat, lon))
    best: dict[tuple[str, str], tuple[ServiceRef, ServiceRef, float]] = {}
    for ref in refs:
        if touched_ids is not None and ref.id not in touched_ids:
            continue
        for lat, lon in points.get(ref.id, ()):
            for other, km in _within(cells, ref, lat, lon):
                first, second = sorted((ref, other), key=lambda r: order[r.id])
                pair = (first.id, second.id)
                if pair not in best or km < best[pair][2]:
                    best[pair] = (first, second, km)
    yield from best.values()


def _within(
    cells: dict[tuple[int, int], list[tuple[ServiceRef, float, float]]],
    ref: ServiceRef,
    lat: float,
    lon: float,
) -> Iterator[tuple[ServiceRef, float]]:
    """The points of other services in ``cells`` under the duplicate distance of (lat, lon)."""
    lat_span = DUPLICATE_DISTANCE_KM / _KM_PER_DEGREE
    cos = max(math.cos(math.radians(lat)), 1e-6)
    lon_span = min(DUPLICATE_DISTANCE_KM / (_KM_PER_DEGREE * cos), 180.0)
    low, high = _cell(lat - lat_span, lon - lon_span), _cell(lat + lat_span, lon + lon_span)
    for row in range(low[0], high[0] + 1):
        for column in range(low[1], high[1] + 1):
            for other, lat2, lon2 in cells.get((row, column), ()):
                if other.id == ref.id:
                    continue
                km = distance_km(lat, lon, lat2, lon2)
                if km < DUPLICATE_DISTANCE_KM:
                    yield other, km


def _cell(lat: float, lon: float) -> tuple[int, int]:
    return (math.floor(lat / _CELL_DEGREES), math.floor(lon / _CELL_DEGREES))


def duplicate_service_ids(session: Session) -> set[str]:
    return {ref.id for pair in probable_duplicates(session) for ref in (pair.first, pair.second)}


# The verification queue ------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueItem:
    id: str
    name: str
    organization: str
    status: str
    assured_date: date | None


@dataclass(frozen=True)
class QueueSection:
    """The first ``QUEUE_LIMIT`` services of a category and how many there are in all."""

    items: list[QueueItem]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.items)


@dataclass(frozen=True)
class ProblemItem:
    id: str
    service_id: str
    service_name: str
    organization: str
    kind: str
    kind_label: str
    details: str
    created_at: datetime
    reported_by: str | None


@dataclass(frozen=True)
class ImportedItem:
    """A service an import kept with problems (``--on-error skip``), with those problems."""

    id: str
    name: str
    organization: str
    status: str
    source: str
    problems: list[str]


@dataclass(frozen=True)
class ImportedSection:
    items: list[ImportedItem]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.items)


@dataclass(frozen=True)
class Queue:
    today: date
    reverify_days: int
    overdue: QueueSection
    missing_hours: QueueSection
    missing_coordinates: QueueSection
    missing_area: QueueSection
    problems: list[ProblemItem]
    duplicates: list[DuplicatePair]
    imported: ImportedSection = ImportedSection([], 0)

    @property
    def empty(self) -> bool:
        sections = (
            self.overdue,
            self.missing_hours,
            self.missing_coordinates,
            self.missing_area,
            self.imported,
        )
        return not (any(s.total for s in sections) or self.problems or self.duplicates)


def _section(
    session: Session, condition: ColumnElement[bool], order: Sequence[_Column]
) -> QueueSection:
    where = (Service.status != DEFUNCT, condition)
    total = session.scalar(select(func.count(Service.id)).where(*where)) or 0
    stmt = (
        select(Service.id, Service.name, Organization.name, Service.status, Service.assured_date)
        .join(Service.organization)
        .where(*where)
        .order_by(*order, Service.id)
        .limit(QUEUE_LIMIT)
    )
    return QueueSection(
        items=[QueueItem(*row) for row in session.execute(stmt)],
        total=total,
    )


def open_problems(session: Session, *, zone: tzinfo = UTC) -> list[ProblemItem]:
    """Open problem reports, oldest first, their times in ``zone``."""
    stmt = (
        select(ProblemReport, Service.name, Organization.name)
        .join(Service, Service.id == ProblemReport.service_id)
        .join(Service.organization)
        .where(ProblemReport.status == "open")
        .order_by(ProblemReport.created_at, ProblemReport.id)
    )
    return [
        ProblemItem(
            id=report.id,
            service_id=report.service_id,
            service_name=service_name,
            organization=organization,
            kind=report.kind,
            kind_label=PROBLEM_KIND_LABELS.get(report.kind, report.kind),
            details=report.details,
            created_at=report.created_at.astimezone(zone),
            reported_by=report.reported_by,
        )
        for report, service_name, organization in session.execute(stmt)
    ]


def imported_with_problems(session: Session, limit: int = QUEUE_LIMIT) -> ImportedSection:
    """Services an import kept with problems (open ``ImportFlag``), by name; defunct left out.
    A flag is cleared when a coordinator verifies the service."""
    where = (ImportFlag.status == "open", Service.status != DEFUNCT)
    total = (
        session.scalar(
            select(func.count(ImportFlag.id))
            .join(Service, Service.id == ImportFlag.service_id)
            .where(*where)
        )
        or 0
    )
    stmt = (
        select(ImportFlag, Service.name, Organization.name, Service.status)
        .join(Service, Service.id == ImportFlag.service_id)
        .join(Service.organization)
        .where(*where)
        .order_by(func.lower(Service.name), Service.id)
        .limit(limit)
    )
    items = [
        ImportedItem(
            id=flag.service_id,
            name=name,
            organization=organization,
            status=status,
            source=flag.source.removeprefix("import:"),
            problems=[line for line in flag.problems.splitlines() if line],
        )
        for flag, name, organization, status in session.execute(stmt)
    ]
    return ImportedSection(items, total)


def verification_queue(
    session: Session, today: date, reverify_days: int, *, zone: tzinfo = UTC
) -> Queue:
    """Everything that needs a coordinator, defunct services left out.

    Overdue verification (never verified first, then the oldest), missing hours, missing
    coordinates, respond services without a service area, open problem reports (oldest first),
    probable duplicates and services an import kept with problems (with those problems).
    """
    by_name = (func.lower(Service.name),)
    return Queue(
        today=today,
        reverify_days=reverify_days,
        overdue=_section(
            session,
            is_stale(today, reverify_days),
            (Service.assured_date.is_not(None), Service.assured_date, *by_name),
        ),
        missing_hours=_section(session, not_(has_hours()), by_name),
        missing_coordinates=_section(session, lacks_coordinates(), by_name),
        missing_area=_section(session, lacks_service_area(), by_name),
        problems=open_problems(session, zone=zone),
        duplicates=probable_duplicates(session),
        imported=imported_with_problems(session),
    )


# Writes ----------------------------------------------------------------------------------------


def _service(session: Session, service_id: str) -> Service:
    try:
        service_id = normalize_uuid(service_id)
    except ValueError:
        raise UnknownRecordError(service_id) from None
    service = session.get(Service, service_id)
    if service is None:
        raise UnknownRecordError(service_id)
    return service


def verify_service(
    session: Session,
    service_id: str,
    user_email: str,
    today: date,
    *,
    assurer_email: str | None = None,
    now: datetime | None = None,
) -> Service:
    """Mark a service verified on ``today`` by ``user_email`` (HSDS assured_date / assurer).

    ``assurer_email`` is what the public feed publishes as the assurer: the team address of the
    ``ASSURER_EMAIL`` setting, or None; never the coordinator's own login, which is kept only
    in the change log (``updated_by``) for staff. Only those two fields change: not ``version``
    (a coordinator's open edit form stays valid) and not ``updated_at`` (which says when the
    content last changed). One ``verify`` change record for the date, and one for the assurer
    when it changes.

    :raises UnknownRecordError: no such service.
    """
    service = _service(session, service_id)
    old_date, old_assurer = service.assured_date, service.assurer_email
    session.execute(
        update(Service)
        .where(Service.id == service.id)
        .values(assured_date=today, assurer_email=assurer_email, updated_at=Service.updated_at)
        .execution_options(synchronize_session=False)
    )
    session.expire(service, ["assured_date", "assurer_email", "updated_at"])
    moment = now or datetime.now(UTC)
    # a person has checked it: the problems an import left are dealt with
    session.execute(
        update(ImportFlag)
        .where(ImportFlag.service_id == service.id, ImportFlag.status == "open")
        .values(status="cleared", cleared_at=moment, cleared_by=user_email)
        .execution_options(synchronize_session=False)
    )
    record_change(
        session,
        resource_type="service",
        resource_id=service.id,
        action="verify",
        user=user_email,
        field="assured_date",
        old=old_date,
        new=today,
        when=moment,
    )
    if old_assurer != assurer_email:
        record_change(
            session,
            resource_type="service",
            resource_id=service.id,
            action="verify",
            user=user_email,
            field="assurer_email",
            old=old_assurer,
            new=assurer_email,
            when=moment,
        )
    session.flush()
    return service


def resolve_problem(
    session: Session,
    report_id: str,
    user_email: str,
    note: str | None,
    dismiss: bool,
    *,
    now: datetime | None = None,
) -> ProblemReport:
    """Close an open problem report as resolved (the listing was fixed) or dismissed (it was
    right), with a note, and log it on the service as field ``problem_report``.

    Only an open report can be closed: when two coordinators act on the same report, the second
    gets ``ProblemClosedError`` instead of overwriting the first one's note.

    :raises UnknownRecordError: no such report.
    :raises InventoryError: the note is empty or too long (field ``note``).
    :raises ProblemClosedError: the report is no longer open.
    """
    try:
        report_id = normalize_uuid(report_id)
    except ValueError:
        raise UnknownRecordError(report_id) from None
    report = session.get(ProblemReport, report_id)
    if report is None:
        raise UnknownRecordError(report_id)
    text = (note or "").strip()
    if not text:
        raise InventoryError("note", "Write a note saying what you checked or changed.")
    if len(text) > MAX_NOTE:
        raise InventoryError(
            "note", f"The note is {len(text)} characters long; keep it to {MAX_NOTE} or fewer."
        )
    status = "dismissed" if dismiss else "resolved"
    moment = now or datetime.now(UTC)
    # An UPDATE's result is a CursorResult (it has the row count the typing hides).
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(ProblemReport)
        .where(ProblemReport.id == report.id, ProblemReport.status == "open")
        .values(status=status, resolved_at=moment, resolved_by=user_email, resolution_note=text)
        .execution_options(synchronize_session=False)
    )
    session.refresh(report)
    if result.rowcount != 1:
        raise ProblemClosedError(report)
    record_change(
        session,
        resource_type="service",
        resource_id=report.service_id,
        action="update",
        user=user_email,
        field="problem_report",
        old=f"open: {report.kind}" + (f" ({report.details})" if report.details else ""),
        new=f"{status}: {text}",
        when=moment,
    )
    session.flush()
    return report


# History and its export ------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryRow:
    resource_type: str
    resource_id: str
    when: datetime
    who: str
    action: str
    field: str
    old: str
    new: str
    record_name: str = ""


def _row(change: ChangeRecord, zone: tzinfo, name: str = "") -> HistoryRow:
    return HistoryRow(
        resource_type=change.resource_type,
        resource_id=change.resource_id,
        when=change.last_action_date.astimezone(zone),
        who=change.updated_by,
        action=change.last_action_type,
        field=change.field_name,
        old=change.previous_value,
        new=change.replacement_value,
        record_name=name,
    )


def service_name(session: Session, service_id: str) -> str | None:
    """The service's name, or None when there is no such service (or the id is not a UUID)."""
    try:
        return session.scalar(select(Service.name).where(Service.id == normalize_uuid(service_id)))
    except ValueError:
        return None


def history_rows(session: Session, service_id: str, *, zone: tzinfo = UTC) -> list[HistoryRow]:
    """Every change record of one service, newest first, with times in ``zone``.

    :raises UnknownRecordError: the id is not a UUID.
    """
    try:
        service_id = normalize_uuid(service_id)
    except ValueError:
        raise UnknownRecordError(service_id) from None
    name = service_name(session, service_id) or ""
    return [_row(c, zone, name) for c in history(session, "service", service_id)]


def all_history_rows(
    session: Session, *, since: datetime | None = None, zone: tzinfo = UTC
) -> Iterator[HistoryRow]:
    """Every change record (of any record type) at or after ``since``, newest first.

    Rows are read in batches, so a large export does not hold the whole log in memory.
    """
    stmt = select(ChangeRecord, Service.name).outerjoin(
        Service,
        and_(ChangeRecord.resource_type == "service", Service.id == ChangeRecord.resource_id),
    )
    if since is not None:
        stmt = stmt.where(ChangeRecord.last_action_date >= since)
    stmt = stmt.order_by(
        ChangeRecord.last_action_date.desc(), ChangeRecord.resource_id, ChangeRecord.field_name
    ).execution_options(yield_per=1000)
    for change, name in session.execute(stmt):
        yield _row(change, zone, name or "")


CSV_HEADER = (
    "changed_at",
    "changed_by",
    "action",
    "record_type",
    "record_id",
    "record_name",
    "field",
    "old_value",
    "new_value",
)


def history_csv_lines(rows: Iterable[HistoryRow]) -> Iterator[str]:
    """The CSV export line by line (header first), for streaming a large log."""
    buffer = io.StringIO()
    writer = csv_safe.writer(buffer, lineterminator="\r\n")

    def take() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_HEADER)
    yield take()
    for row in rows:
        writer.writerow(
            [
                row.when.isoformat(),
                row.who,
                row.action,
                row.resource_type,
                row.resource_id,
                row.record_name,
                row.field,
                row.old,
                row.new,
            ]
        )
        yield take()


def history_csv(rows: Iterable[HistoryRow]) -> str:
    """History rows as CSV text with a header row (times ISO 8601 with their UTC offset)."""
    return "".join(history_csv_lines(rows))
