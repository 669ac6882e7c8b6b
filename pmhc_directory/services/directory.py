"""Reading the directory: the browse list, one service in full, and the national lines.

Functions take a Session and return plain dataclasses, so templates never trigger lazy loads and
the same answers can back the JSON API later. Nothing here reads the request or commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from ..db import normalize_uuid
from ..errors import InputError
from ..models import (
    Address,
    Attribute,
    Location,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceCapacity,
)
from ..taxonomy import SERVICE_TYPE, vocabulary
from .paging import PagedResult
from .provider_alerts import effective_status, service_alert

PAGE_SIZE = 50
ACTIVE = "active"
# Phone types (RFC 6350) that can be dialled, and the one that takes text messages.
_DIALLABLE = {None, "", "voice", "cell", "textphone", "video"}
_TEXT = "text"
_GENDER_CODES = {"women": "Women only", "men": "Men only"}
_DAY_NAMES = {
    "MO": "Mon",
    "TU": "Tue",
    "WE": "Wed",
    "TH": "Thu",
    "FR": "Fri",
    "SA": "Sat",
    "SU": "Sun",
}
_DAY_ORDER = tuple(_DAY_NAMES)
_ORDINALS = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th", -1: "last", -2: "second-to-last"}


class FilterError(InputError):
    """A browse filter value that is not in the vocabulary; ``field`` names the filter."""


# Small shared pieces ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PhoneInfo:
    number: str
    extension: str | None = None
    kind: str | None = None
    description: str | None = None

    @property
    def href(self) -> str | None:
        """``tel:`` (or ``sms:`` for a text line) link, or None when it cannot be dialled."""
        return phone_href(self.number, self.extension, self.kind)

    @property
    def is_text(self) -> bool:
        return self.kind == _TEXT


def phone_href(number: str, extension: str | None = None, kind: str | None = None) -> str | None:
    """RFC 3966 link for a published number: digits only, ``+`` kept, ``;ext=`` for extensions.

    Numbers with letters (vanity numbers) or of a type that cannot be called (fax, pager) get no
    link: a wrong number dialled at 2 a.m. is worse than one typed by hand.
    """
    kind = (kind or "").strip().lower()
    if kind != _TEXT and kind not in _DIALLABLE:
        return None
    text = number.strip()
    if not text or any(c.isalpha() for c in text):
        return None
    digits = "".join(c for c in text if c.isdigit())
    if not digits:
        return None
    plus = "+" if text.startswith("+") else ""
    if kind == _TEXT:
        return f"sms:{plus}{digits}"
    href = f"tel:{plus}{digits}"
    ext = "".join(c for c in (extension or "") if c.isdigit())
    return f"{href};ext={ext}" if ext else href


def _phones(rows: Iterable[Phone]) -> list[PhoneInfo]:
    return [
        PhoneInfo(number=p.number, extension=p.extension, kind=p.type, description=p.description)
        for p in rows
    ]


def safe_web_url(url: str | None) -> str | None:
    """The URL when it is http(s), else None (imported data must not inject ``javascript:``)."""
    if not url:
        return None
    url = url.strip()
    return url if url.lower().startswith(("https://", "http://")) else None


def _service_attributes(service: Service, link_type: str) -> list[Attribute]:
    return [a for a in service.attributes if a.link_type == link_type]


def _type_names(service: Service) -> tuple[str, ...]:
    return tuple(a.taxonomy_term.name for a in _service_attributes(service, "service_type"))


def _cities(service: Service) -> tuple[str, ...]:
    cities: list[str] = []
    for sal in service.service_at_locations:
        for address in sal.location.addresses:
            if address.city and address.city not in cities:
                cities.append(address.city)
    return tuple(cities)


# Browse ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BrowseFilters:
    """What the browse page asks for; empty strings and None mean "any"."""

    service_type: str | None = None
    continuum: str | None = None
    include_inactive: bool = False
    page: int = 1


@dataclass(frozen=True)
class ServiceRow:
    id: str
    name: str
    organization: str
    types: tuple[str, ...]
    status: str
    cities: tuple[str, ...]
    assured_date: date | None
    is_national: bool

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE


@dataclass(frozen=True)
class BrowsePage(PagedResult):
    rows: list[ServiceRow]
    filters: BrowseFilters
    total: int
    page_size: int = PAGE_SIZE


def service_type_choices() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """``(continuum key, continuum name, [(type code, type name), ...])`` in taxonomy order."""
    vocab = vocabulary()
    groups = []
    for key, name in vocab.continuum.items():
        types = [
            (code, vocab.term(SERVICE_TYPE, code).name) for code in vocab.service_types_in(key)
        ]
        groups.append((key, name, types))
    return groups


def continuum_choices() -> list[tuple[str, str]]:
    """``(key, name)`` of the six continuum elements (contact, respond, place, ...)."""
    return list(vocabulary().continuum.items())


def unknown_type_message(code: str) -> str:
    """What a person is told about a service type code the taxonomy does not know."""
    return (
        f"\u201c{code}\u201d is not a service type in this directory. Choose a type from the list."
    )


def _filter_conditions(filters: BrowseFilters) -> list[ColumnElement[bool]]:
    vocab = vocabulary()
    conditions: list[ColumnElement[bool]] = []
    if not filters.include_inactive:
        conditions.append(Service.status == ACTIVE)
    type_sets: list[list[str]] = []
    if filters.service_type:
        if vocab.find(SERVICE_TYPE, filters.service_type) is None:
            raise FilterError("type", unknown_type_message(filters.service_type))
        type_sets.append([filters.service_type])
    if filters.continuum:
        if filters.continuum not in vocab.continuum:
            elements = ", ".join(vocab.continuum)
            raise FilterError(
                "continuum",
                f"\u201c{filters.continuum}\u201d is not part of the crisis continuum. "
                f"Use one of: {elements}.",
            )
        type_sets.append(vocab.service_types_in(filters.continuum))
    # Each filter must hold on its own: type AND continuum, each matched by any of the types.
    for codes in type_sets:
        term_ids = [vocab.id_for_code(SERVICE_TYPE, code) for code in codes]
        conditions.append(
            exists().where(
                Attribute.link_entity == "service",
                Attribute.link_id == Service.id,
                Attribute.link_type == "service_type",
                Attribute.taxonomy_term_id.in_(term_ids),
            )
        )
    return conditions


def browse_services(session: Session, filters: BrowseFilters) -> BrowsePage:
    """One page of services matching ``filters``, ordered by name.

    :raises FilterError: an unknown service type or continuum element, or a page below 1.
    """
    if filters.page < 1:
        raise FilterError("page", "Page numbers start at 1.")
    conditions = _filter_conditions(filters)
    total = session.scalar(select(func.count(Service.id)).where(*conditions)) or 0
    stmt = (
        select(Service)
        .where(*conditions)
        .order_by(func.lower(Service.name), Service.id)
        .limit(PAGE_SIZE)
        .offset((filters.page - 1) * PAGE_SIZE)
        .options(
            joinedload(Service.organization),
            selectinload(Service.attributes),
            selectinload(Service.service_at_locations)
            .selectinload(ServiceAtLocation.location)
            .selectinload(Location.addresses),
        )
    )
    rows = [
        ServiceRow(
            id=s.id,
            name=s.name,
            organization=s.organization.name,
            types=_type_names(s),
            status=s.status,
            cities=_cities(s),
            assured_date=s.assured_date,
            is_national=s.is_national,
        )
        for s in session.scalars(stmt).unique()
    ]
    return BrowsePage(rows=rows, filters=filters, total=total)


# National lines ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NationalLine:
    id: str
    name: str
    description: str | None
    phones: list[PhoneInfo]


def list_national_lines(session: Session) -> list[NationalLine]:
    """Active national lines (988 and others) with their phones, by name."""
    stmt = (
        select(Service)
        .where(Service.is_national.is_(True), Service.status == ACTIVE)
        .order_by(func.lower(Service.name), Service.id)
        .options(selectinload(Service.phones))
    )
    return [
        NationalLine(id=s.id, name=s.name, description=s.description, phones=_phones(s.phones))
        for s in session.scalars(stmt)
    ]


# One service in full -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TypeInfo:
    code: str | None
    name: str
    continuum: str | None
    continuum_name: str | None


@dataclass(frozen=True)
class RawWindow:
    """One schedule row in words, shown when the hours engine cannot describe the schedule."""

    days: str
    times: str
    valid: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Hours:
    """``lines`` from the hours engine, else ``raw`` windows; both empty means not listed."""

    lines: list[str] = field(default_factory=list)
    raw: list[RawWindow] = field(default_factory=list)
    problem: str | None = None

    @property
    def listed(self) -> bool:
        return bool(self.lines or self.raw)


@dataclass(frozen=True)
class CapacityInfo:
    unit: str
    available: int
    maximum: int | None
    description: str | None
    updated_local: datetime
    is_stale: bool


@dataclass(frozen=True)
class LocationInfo:
    id: str
    name: str | None
    location_type: str
    address_lines: list[list[str]]
    phones: list[PhoneInfo]
    transportation: str | None
    description: str | None
    hours: Hours
    service_areas: list[str]


@dataclass(frozen=True)
class Eligibility:
    minimum_age: int | None
    maximum_age: int | None
    only_for: list[str]
    specialises_in: list[str]
    gender_restriction: str | None
    description: str | None

    @property
    def ages(self) -> str | None:
        low, high = self.minimum_age, self.maximum_age
        if low is None and high is None:
            return None
        if high is None:
            return f"Ages {low} and over"
        if low is None or low == 0:
            return f"Ages up to {high}"
        return f"Ages {low} to {high}"

    @property
    def any_restriction(self) -> bool:
        return bool(self.ages or self.only_for or self.gender_restriction or self.description)


@dataclass(frozen=True)
class ServiceDetail:
    id: str
    name: str
    alternate_name: str | None
    organization: str
    organization_url: str | None
    description: str | None
    status: str
    alert: str | None
    url: str | None
    email: str | None
    is_national: bool
    types: list[TypeInfo]
    phones: list[PhoneInfo]
    hours: Hours
    eligibility: Eligibility
    payment: list[str]
    fees_description: str | None
    application_process: str | None
    languages: list[str]
    interpretation: str | None
    diversion: list[str]
    other_attributes: list[str]
    capacities: list[CapacityInfo]
    locations: list[LocationInfo]
    service_areas: list[str]
    assured_date: date | None
    verification_overdue: bool
    reverify_days: int
    capacity_fresh_hours: float

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE


def get_service_detail(
    session: Session,
    service_id: str,
    *,
    zone: tzinfo,
    reverify_days: int,
    capacity_fresh_hours: float,
    now: datetime | None = None,
) -> ServiceDetail | None:
    """Everything the detail page shows about one service; None for a bad or unknown id.

    :param zone: the instance time zone; capacity times are given in it and "today" is its date.
    :param reverify_days: verification older than this many days is overdue (REVERIFY_DAYS).
    :param capacity_fresh_hours: capacity reports older than this are stale.
    :param now: the current instant (aware); defaults to the clock.
    """
    try:
        service_id = normalize_uuid(service_id)
    except ValueError:
        return None
    now = now or datetime.now(UTC)
    stmt = (
        select(Service)
        .where(Service.id == service_id)
        .options(
            joinedload(Service.organization),
            selectinload(Service.attributes),
            selectinload(Service.phones),
            selectinload(Service.schedules),
            selectinload(Service.service_areas),
            selectinload(Service.languages),
            selectinload(Service.capacities).joinedload(ServiceCapacity.unit),
            selectinload(Service.service_at_locations).options(
                selectinload(ServiceAtLocation.phones),
                selectinload(ServiceAtLocation.schedules),
                selectinload(ServiceAtLocation.service_areas),
                selectinload(ServiceAtLocation.location).options(
                    selectinload(Location.addresses),
                    selectinload(Location.phones),
                    selectinload(Location.schedules),
                ),
            ),
        )
    )
    service = session.scalars(stmt).unique().one_or_none()
    if service is None:
        return None
    today = now.astimezone(zone).date()
    fresh_for = timedelta(hours=capacity_fresh_hours)
    return ServiceDetail(
        id=service.id,
        name=service.name,
        alternate_name=service.alternate_name,
        organization=service.organization.name,
        organization_url=safe_web_url(service.organization.website),
        description=service.description,
        # A provider's temporary closure shows as "temporarily closed" until it ends.
        status=effective_status(service.status, service.closed_until, now),
        # The alert in force now: a provider's alert disappears when it expires.
        alert=service_alert(service, now),
        url=safe_web_url(service.url),
        email=service.email,
        is_national=service.is_national,
        types=_types(service),
        phones=_phones(service.phones),
        hours=describe_hours(service.schedules),
        eligibility=_eligibility(service),
        payment=[a.taxonomy_term.name for a in _service_attributes(service, "payment")],
        fees_description=service.fees_description,
        application_process=service.application_process,
        languages=[lang.name or (lang.code or "").upper() for lang in service.languages],
        interpretation=service.interpretation_services or None,
        diversion=[a.taxonomy_term.name for a in _service_attributes(service, "diversion")],
        other_attributes=_other_attributes(service),
        capacities=[
            CapacityInfo(
                unit=c.unit.name,
                available=c.available,
                maximum=c.maximum,
                description=c.description,
                updated_local=c.updated.astimezone(zone),
                is_stale=now - c.updated > fresh_for,
            )
            for c in service.capacities
        ],
        locations=[_location(sal) for sal in service.service_at_locations],
        service_areas=[_area_name(a) for a in service.service_areas],
        assured_date=service.assured_date,
        verification_overdue=(
            service.assured_date is None or (today - service.assured_date).days > reverify_days
        ),
        reverify_days=reverify_days,
        capacity_fresh_hours=capacity_fresh_hours,
    )


_KNOWN_LINK_TYPES = {"service_type", "diversion", "payment", "eligibility", "audience"}


def _types(service: Service) -> list[TypeInfo]:
    vocab = vocabulary()
    result = []
    for attribute in _service_attributes(service, "service_type"):
        term = attribute.taxonomy_term
        pmhc = vocab.find(SERVICE_TYPE, term.code) if term.code else None
        continuum = pmhc.continuum if pmhc else None
        result.append(
            TypeInfo(
                code=term.code,
                name=term.name,
                continuum=continuum,
                continuum_name=vocab.continuum.get(continuum) if continuum else None,
            )
        )
    return result


def _eligibility(service: Service) -> Eligibility:
    only_for: list[str] = []
    genders: list[str] = []
    for attribute in _service_attributes(service, "eligibility"):
        code = attribute.taxonomy_term.code
        if code in _GENDER_CODES:
            genders.append(code)
        else:
            only_for.append(attribute.taxonomy_term.name)
    # "Women" and "men" together restrict nothing.
    gender = _GENDER_CODES[genders[0]] if len(set(genders)) == 1 else None
    return Eligibility(
        minimum_age=service.minimum_age,
        maximum_age=service.maximum_age,
        only_for=only_for,
        specialises_in=[a.taxonomy_term.name for a in _service_attributes(service, "audience")],
        gender_restriction=gender,
        description=service.eligibility_description or None,
    )


def _other_attributes(service: Service) -> list[str]:
    return [
        a.label or a.value or a.taxonomy_term.name
        for a in service.attributes
        if a.link_type not in _KNOWN_LINK_TYPES
    ]


def _area_name(area: Any) -> str:
    return area.name or area.description or "Unnamed area"


def _address_lines(address: Address) -> list[str]:
    lines = [address.address_1]
    if address.address_2:
        lines.append(address.address_2)
    region = " ".join(p for p in (address.state_province, address.postal_code) if p)
    lines.append(", ".join(p for p in (address.city, region) if p))
    return lines


def _location(sal: ServiceAtLocation) -> LocationInfo:
    location = sal.location
    # The most specific schedules win (docs/hsds-conventions.md); service hours show separately.
    schedules = sal.schedules or location.schedules
    return LocationInfo(
        id=location.id,
        name=location.name,
        location_type=location.location_type,
        address_lines=[_address_lines(a) for a in location.addresses],
        phones=_phones([*sal.phones, *location.phones]),
        transportation=location.transportation,
        description=sal.description or location.description,
        hours=describe_hours(schedules) if schedules else Hours(),
        service_areas=[_area_name(a) for a in sal.service_areas],
    )


# Hours -----------------------------------------------------------------------------------------

_SCHEDULE_FIELDS = tuple(c.key for c in Schedule.__table__.columns)


def _hours_describer() -> Callable[[list[Any]], Any] | None:
    """``pmhc_directory.hours.describe``, or None when the hours package does not offer it."""
    try:
        from ..hours import describe
    except ImportError:
        return None
    return describe


def describe_hours(schedules: Sequence[Schedule]) -> Hours:
    """Opening hours in words: the hours engine's description when available, else raw windows."""
    if not schedules:
        return Hours()
    describe = _hours_describer()
    if describe is not None:
        try:
            from ..hours import ScheduleRule

            rules = [
                ScheduleRule.from_mapping({k: getattr(s, k) for k in _SCHEDULE_FIELDS})
                for s in schedules
            ]
            lines = _as_lines(describe(rules))
        except ValueError:
            problem = "These hours could not be checked; they are shown as published."
            return Hours(raw=[raw_window(s) for s in schedules], problem=problem)
        if lines:
            return Hours(lines=lines)
    return Hours(raw=[raw_window(s) for s in schedules])


def _as_lines(result: Any) -> list[str]:
    if result is None:
        return []
    if isinstance(result, str):
        return [line for line in result.splitlines() if line.strip()]
    return [str(line) for line in result if str(line).strip()]


def raw_window(schedule: Schedule) -> RawWindow:
    """One schedule row as published: days, times and the dates it is valid."""
    has_times = bool(schedule.opens_at and schedule.closes_at)
    if has_times:
        times = _times(schedule.opens_at or "", schedule.closes_at or "")
    elif schedule.valid_from or schedule.valid_to:
        times = "Closed"
    else:
        times = "Times not given"
    note = " ".join(p for p in (schedule.description, schedule.notes) if p) or None
    return RawWindow(days=_days(schedule), times=times, valid=_valid(schedule), note=note)


def _times(opens_at: str, closes_at: str) -> str:
    opens, closes = opens_at.strip(), closes_at.strip()
    if opens[:5] == "00:00" and closes[:5] in ("23:59", "24:00"):
        return "24 hours"
    text = f"{opens}\N{EN DASH}{closes}"
    # A window closing at or before its opening runs into the next day.
    if closes[:5] <= opens[:5]:
        text += " (next day)"
    return text


def _days(schedule: Schedule) -> str:
    codes = [c.strip().upper() for c in (schedule.byday or "").split(",") if c.strip()]
    month_days = [d.strip() for d in (schedule.bymonthday or "").split(",") if d.strip()]
    if month_days:
        return "Day " + ", ".join(month_days) + " of the month"
    if not codes:
        if not (schedule.opens_at and schedule.closes_at):
            return "Every day in the dates below"
        return "Every day"
    plain = [c for c in codes if c in _DAY_NAMES]
    if len(plain) == len(codes):
        return _day_ranges(plain)
    parts = []
    for code in codes:
        day = code[-2:]
        ordinal = code[:-2]
        try:
            number = int(ordinal) if ordinal else None
        except ValueError:
            number = None
        name = _DAY_NAMES.get(day, day)
        if number is None:
            parts.append(name)
        else:
            parts.append(f"{_ORDINALS.get(number, str(number))} {name} of the month")
    return ", ".join(parts)


def _day_ranges(codes: list[str]) -> str:
    """``MO,TU,WE,TH,FR`` -> ``Mon–Fri``; runs of three or more days are shortened."""
    indexes = sorted({_DAY_ORDER.index(c) for c in codes})
    if len(indexes) == 7:
        return "Every day"
    runs: list[list[int]] = []
    for i in indexes:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    parts = []
    for run in runs:
        names = [_DAY_NAMES[_DAY_ORDER[i]] for i in run]
        parts.append(f"{names[0]}\N{EN DASH}{names[-1]}" if len(run) >= 3 else ", ".join(names))
    return ", ".join(parts)


def _valid(schedule: Schedule) -> str | None:
    start, end = schedule.valid_from, schedule.valid_to
    if start and end:
        if start == end:
            return f"on {start.isoformat()}"
        return f"from {start.isoformat()} to {end.isoformat()}"
    if start:
        return f"from {start.isoformat()}"
    if end:
        return f"until {end.isoformat()}"
    return None
