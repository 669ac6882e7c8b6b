"""Coordinators' edits of organizations, services and locations (no Flask, no commit).

Every use case takes the version the form was built on and checks it first
(``audit.check_version``): a stale form raises ``VersionConflictError`` before anything is
changed, and a concurrent write that slips in between the check and the flush is caught by the
``version_id_col`` of the model and raised the same way. Each changed field gets a
``ChangeRecord``. Facts that live in other tables but belong to a service (schedules,
attributes, languages, capacity, areas) are recorded on the service, under field names such as
``schedules``, ``service_types``, ``payment``, ``languages``, ``capacity`` or ``service_areas``,
and the service row is touched (``updated_at``) so its ``version`` goes up with them.

Invalid input raises ``EditError`` holding every problem found, keyed by the form's field name
(``windows-2-opens_at`` for a row of a list), so the page can show each message beside its field.
The caller commits once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import wraps
from typing import Any, TypeVar

from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..db import normalize_uuid
from ..geo.shapes import (
    ShapeError,
    bounds_of,
    polygonal_shape,
    simplified_area,
    to_geojson_text,
)
from ..hours import ScheduleError, ScheduleRule
from ..models import (
    LOCATION_TYPES,
    SERVICE_STATUSES,
    Address,
    AnalysisArea,
    Attribute,
    CapacityReport,
    Language,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceCapacity,
    TaxonomyTerm,
    Unit,
)
from ..taxonomy import ATTRIBUTE, PAYMENT, POPULATION, SERVICE_TYPE, vocabulary
from ..validators import email_address, phone_number, web_url
from .audit import VersionConflictError, check_version, record_change, record_field_changes
from .provider_alerts import service_alert

# What each attribute link type draws its terms from (docs/hsds-conventions.md).
LINK_TAXONOMIES = {
    "service_type": SERVICE_TYPE,
    "diversion": ATTRIBUTE,
    "payment": PAYMENT,
    "eligibility": POPULATION,
    "audience": POPULATION,
}
OPEN_24_7 = "open-24-7"
GENDER_CODES = ("women", "men")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
CAPACITY_UNITS = ("bed", "chair", "slot", "team")
CAPACITY_SCHEME = "PMHC"
PHONE_TYPES = ("voice", "text", "cell", "fax", "textphone", "video", "pager")
# Names of the languages coordinators meet most; other ISO 639 codes are kept as given.
LANGUAGE_NAMES = {
    "en": "English",
    "es": "Spanish",
    "nv": "Navajo",
    "vi": "Vietnamese",
    "zh": "Chinese",
    "ar": "Arabic",
    "fr": "French",
    "de": "German",
    "ko": "Korean",
    "ru": "Russian",
    "tl": "Tagalog",
    "pt": "Portuguese",
    "so": "Somali",
    "ht": "Haitian Creole",
    "fa": "Persian",
    "uk": "Ukrainian",
    "sw": "Swahili",
    "hi": "Hindi",
    "ja": "Japanese",
    "ase": "American Sign Language",
}
_LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")
T = TypeVar("T")
_ALWAYS_OPEN = {"opens_at": "00:00", "closes_at": "23:59"}


class EditError(ValueError):
    """Input that cannot be saved; ``errors`` maps a form field name to its messages."""

    def __init__(
        self,
        field: str | None = None,
        message: str | None = None,
        *,
        errors: Mapping[str, list[str]] | None = None,
    ) -> None:
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in (errors or {}).items()}
        if field is not None and message is not None:
            self.errors.setdefault(field, []).append(message)
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


class _Problems:
    """Collects messages, then raises them together."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def raise_any(self) -> None:
        if self.errors:
            raise EditError(errors=self.errors)


class NotFoundError(LookupError):
    """No such organization, service or location."""


# Small helpers ---------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _get(session: Session, model: type, obj_id: str) -> Any:
    try:
        key = normalize_uuid(obj_id)
    except ValueError:
        raise NotFoundError(obj_id) from None
    obj = session.get(model, key)
    if obj is None:
        raise NotFoundError(obj_id)
    return obj


def get_service(session: Session, service_id: str) -> Service:
    return _get(session, Service, service_id)


def get_organization(session: Session, organization_id: str) -> Organization:
    return _get(session, Organization, organization_id)


def organization_choices(session: Session) -> list[tuple[str, str]]:
    """Every organization as (id, name), by name (for the new-service form)."""
    rows = session.execute(select(Organization.id, Organization.name).order_by(Organization.name))
    return [(str(oid), name) for oid, name in rows]


def area_choices(session: Session) -> list[tuple[str, str | None]]:
    """Every analysis area as (id, name), by id (for the service-areas form)."""
    rows = session.execute(select(AnalysisArea.id, AnalysisArea.name).order_by(AnalysisArea.id))
    return [(str(aid), name) for aid, name in rows]


def get_location(session: Session, location_id: str) -> Location:
    return _get(session, Location, location_id)


def _flush(session: Session, resource_type: str, obj: Any, expected: int) -> None:
    """Flush; a row changed by someone else since the check becomes a VersionConflictError."""
    obj_id = obj.id
    try:
        session.flush()
    except StaleDataError:
        raise VersionConflictError(resource_type, obj_id, expected, -1) from None


def _single_flush(func: Callable[..., T]) -> Callable[..., T]:
    """Run a use case with autoflush off, so its explicit flush is the only UPDATE of the row
    (one version step per save, and a stale row is detected there)."""

    @wraps(func)
    def wrapper(session: Session, *args: Any, **kwargs: Any) -> T:
        with session.no_autoflush:
            return func(session, *args, **kwargs)

    return wrapper


def _touch(service: Service, when: datetime) -> None:
    # Assigning a column makes the ORM UPDATE the row, which bumps version_id_col.
    service.updated_at = when


def _check_length(problems: _Problems, data: Mapping[str, Any], name: str, limit: int) -> None:
    value = _text(data, name)
    if value is not None and len(value) > limit:
        problems.add(name, f"Use at most {limit} characters.")


def _check_url(problems: _Problems, value: str | None, name: str) -> None:
    if value is None:
        return
    try:
        web_url(value)
    except ValueError:
        problems.add(name, "Enter a full web address starting with https:// or http://.")


def _check_email(problems: _Problems, value: str | None, name: str) -> None:
    if value is None:
        return
    try:
        email_address(value)
    except ValueError:
        problems.add(name, "Enter an email address like intake@example.org.")


def _whole_number(problems: _Problems, value: Any, name: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        problems.add(name, "Enter a whole number, like 18.")
        return None
    if number < 0:
        problems.add(name, "Enter 0 or more.")
        return None
    return number


# Attributes ------------------------------------------------------------------------------------


def attribute_codes(service: Service, link_type: str) -> list[str]:
    """Codes of the PMHC terms linked with ``link_type``, in the service's order."""
    taxonomy = LINK_TAXONOMIES[link_type]
    return [
        a.taxonomy_term.code
        for a in service.attributes
        if a.link_type == link_type
        and a.taxonomy_term.taxonomy == taxonomy
        and a.taxonomy_term.code
    ]


def _set_attributes(
    session: Session, service: Service, link_type: str, codes: Sequence[str]
) -> None:
    """Make the PMHC attributes of ``link_type`` exactly ``codes`` (kept rows keep their ids).

    Attributes of external taxonomies under the same link type are left alone.
    """
    taxonomy = LINK_TAXONOMIES[link_type]
    wanted = list(dict.fromkeys(codes))
    kept: dict[str, Attribute] = {}
    for attribute in list(service.attributes):
        term = attribute.taxonomy_term
        if attribute.link_type != link_type or term.taxonomy != taxonomy:
            continue
        if term.code in wanted and term.code not in kept:
            kept[term.code] = attribute
        else:
            service.attributes.remove(attribute)
    vocab = vocabulary()
    for code in wanted:
        if code in kept:
            continue
        found = session.get(TaxonomyTerm, vocab.id_for_code(taxonomy, code))
        if found is None:  # reference data not loaded: a setup error, not user input
            raise RuntimeError(f"taxonomy term {taxonomy}/{code} is missing; run init-db")
        service.attributes.append(
            Attribute(
                link_id=service.id,
                link_entity="service",
                link_type=link_type,
                taxonomy_term=found,
            )
        )
    # Service types keep the order given (the first is primary); renumber every attribute.
    if link_type == "service_type":
        order = {code: i for i, code in enumerate(wanted)}
        types = [a for a in service.attributes if a.link_type == link_type]
        others = [a for a in service.attributes if a.link_type != link_type]
        types.sort(key=lambda a: order.get(a.taxonomy_term.code or "", len(order)))
        service.attributes[:] = types + others
    for position, attribute in enumerate(service.attributes):
        attribute.position = position


def _checked_codes(
    problems: _Problems, data: Mapping[str, Any], name: str, taxonomy: str
) -> list[str]:
    codes = [str(c).strip() for c in (data.get(name) or []) if str(c).strip()]
    vocab = vocabulary()
    unknown = [c for c in codes if vocab.find(taxonomy, c) is None]
    if unknown:
        problems.add(name, f"Not in the vocabulary: {', '.join(unknown)}.")
    return [c for c in dict.fromkeys(codes) if c not in unknown]


def ordered_types(existing: Sequence[str], chosen: Iterable[str]) -> list[str]:
    """Chosen service types, those already on the service first in their order (keeps the
    primary type primary when checkboxes are re-submitted in vocabulary order)."""
    chosen = list(dict.fromkeys(chosen))
    return [c for c in existing if c in chosen] + [c for c in chosen if c not in existing]


# Languages -------------------------------------------------------------------------------------


def parse_language_codes(text: str | Iterable[str] | None) -> tuple[list[str], list[str]]:
    """ISO 639 codes from ``"en, es"`` (or a list); returns (codes, bad entries)."""
    if text is None:
        return [], []
    items = re.split(r"[,\s;]+", text) if isinstance(text, str) else list(text)
    codes: list[str] = []
    bad: list[str] = []
    for item in items:
        code = str(item).strip().lower()
        if not code:
            continue
        if _LANGUAGE_RE.match(code):
            if code not in codes:
                codes.append(code)
        else:
            bad.append(str(item).strip())
    return codes, bad


def language_codes(service: Service) -> list[str]:
    return [lang.code or (lang.name or "") for lang in service.languages]


def _set_languages(service: Service, codes: Sequence[str]) -> None:
    existing = {lang.code: lang for lang in service.languages if lang.code}
    rows = []
    for position, code in enumerate(codes):
        row = existing.pop(code, None) or Language(
            code=code, name=LANGUAGE_NAMES.get(code, code.upper())
        )
        row.position = position
        rows.append(row)
    # Rows without a code (free-text names from imports) are kept after the coded ones.
    rows += [lang for lang in service.languages if not lang.code]
    service.languages[:] = rows


# Services --------------------------------------------------------------------------------------

SERVICE_TEXT_FIELDS = {
    "name": 500,
    "alternate_name": 500,
    "description": 20000,
    "alert": 5000,
    "url": 2000,
    "email": 320,
    "interpretation_services": 5000,
    "eligibility_description": 5000,
}


def service_snapshot(service: Service) -> dict[str, Any]:
    """Every field the service form edits, in the form the change log stores."""
    eligibility = attribute_codes(service, "eligibility")
    genders = [c for c in eligibility if c in GENDER_CODES]
    return {
        "name": service.name,
        "alternate_name": service.alternate_name,
        "description": service.description,
        "status": service.status,
        # The alert in force (a provider's alert that has expired is no alert).
        "alert": service_alert(service, _now()),
        "url": service.url,
        "email": service.email,
        "interpretation_services": service.interpretation_services,
        "eligibility_description": service.eligibility_description,
        "minimum_age": service.minimum_age,
        "maximum_age": service.maximum_age,
        "service_types": attribute_codes(service, "service_type"),
        "diversion": attribute_codes(service, "diversion"),
        "payment": attribute_codes(service, "payment"),
        "eligibility": [c for c in eligibility if c not in GENDER_CODES],
        "gender": genders[0] if len(set(genders)) == 1 else "",
        "audience": attribute_codes(service, "audience"),
        "languages": language_codes(service),
    }


@dataclass
class _ServiceInput:
    scalars: dict[str, Any] = field(default_factory=dict)
    service_types: list[str] = field(default_factory=list)
    diversion: list[str] = field(default_factory=list)
    payment: list[str] = field(default_factory=list)
    eligibility: list[str] = field(default_factory=list)
    gender: str = ""
    audience: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)


def _read_service_input(data: Mapping[str, Any], existing_types: Sequence[str]) -> _ServiceInput:
    problems = _Problems()
    result = _ServiceInput()
    for name, limit in SERVICE_TEXT_FIELDS.items():
        _check_length(problems, data, name, limit)
        result.scalars[name] = _text(data, name)
    if result.scalars["name"] is None:
        problems.add("name", "Enter the service's name.")
    _check_url(problems, result.scalars["url"], "url")
    _check_email(problems, result.scalars["email"], "email")
    status = _text(data, "status") or ""
    if status not in SERVICE_STATUSES:
        problems.add("status", f"Choose one of: {', '.join(SERVICE_STATUSES)}.")
    result.scalars["status"] = status
    low = _whole_number(problems, data.get("minimum_age"), "minimum_age")
    high = _whole_number(problems, data.get("maximum_age"), "maximum_age")
    for name, value in (("minimum_age", low), ("maximum_age", high)):
        if value is not None and value > 120:
            problems.add(name, "Enter an age of 120 or less.")
    if low is not None and high is not None and low > high:
        problems.add("maximum_age", "The maximum age must be at least the minimum age.")
    result.scalars["minimum_age"] = low
    result.scalars["maximum_age"] = high

    types = _checked_codes(problems, data, "service_types", SERVICE_TYPE)
    if not types and "service_types" not in problems.errors:
        problems.add("service_types", "Choose at least one service type.")
    result.service_types = ordered_types(existing_types, types)
    # Open 24/7 goes with the schedule: only the hours editor sets it.
    diversion = _checked_codes(problems, data, "diversion", ATTRIBUTE)
    result.diversion = [c for c in diversion if c != OPEN_24_7]
    if "voluntary-only" in result.diversion and "accepts-involuntary" in result.diversion:
        problems.add(
            "diversion",
            "\u201cVoluntary only\u201d and \u201cAccepts involuntary holds\u201d "
            "contradict each other; choose one.",
        )
    result.payment = _checked_codes(problems, data, "payment", PAYMENT)
    result.eligibility = _checked_codes(problems, data, "eligibility", POPULATION)
    if any(c in GENDER_CODES for c in result.eligibility):
        problems.add("eligibility", "Use the gender choice for women-only or men-only services.")
    result.audience = _checked_codes(problems, data, "audience", POPULATION)
    gender = _text(data, "gender") or ""
    if gender not in ("", *GENDER_CODES):
        problems.add("gender", "Choose women only, men only, or no restriction.")
    result.gender = gender
    languages = data.get("languages")
    codes, bad = parse_language_codes(languages)
    if bad:
        problems.add(
            "languages",
            f"Not language codes: {', '.join(bad)}. Use ISO 639 codes such as en, es, nv.",
        )
    result.languages = codes
    problems.raise_any()
    return result


@_single_flush
def update_service(
    session: Session,
    service_id: str,
    data: Mapping[str, Any],
    expected_version: int | str | None,
    user: str,
    *,
    now: datetime | None = None,
) -> list[str]:
    """Save the service form; returns the names of the fields that changed.

    ``data`` holds the keys of ``service_snapshot`` (``languages`` as a code list or a comma
    separated string; ``gender`` ``women``, ``men`` or empty).
    """
    service = get_service(session, service_id)
    check_version("service", service, expected_version)
    before = service_snapshot(service)
    values = _read_service_input(data, before["service_types"])
    when = now or _now()
    for name, value in values.scalars.items():
        if getattr(service, name) != value:
            setattr(service, name, value)
            if name == "alert":
                service.alert_expires_at = None  # a coordinator's alert stays until removed
    # The 24/7 attribute belongs to the hours editor and is kept as it is.
    diversion = values.diversion + [c for c in before["diversion"] if c == OPEN_24_7]
    _set_attributes(session, service, "service_type", values.service_types)
    _set_attributes(session, service, "diversion", diversion)
    _set_attributes(session, service, "payment", values.payment)
    eligibility = values.eligibility + ([values.gender] if values.gender else [])
    _set_attributes(session, service, "eligibility", eligibility)
    _set_attributes(session, service, "audience", values.audience)
    _set_languages(service, values.languages)
    after = service_snapshot(service)
    changed = record_field_changes(
        session,
        resource_type="service",
        resource_id=service.id,
        user=user,
        before=before,
        after=after,
        when=when,
    )
    if changed:
        _touch(service, when)
        _flush(session, "service", service, int(expected_version))  # type: ignore[arg-type]
    return changed


@_single_flush
def create_service(
    session: Session, data: Mapping[str, Any], user: str, *, now: datetime | None = None
) -> Service:
    """A new service of an existing organization with a name, a status and its types."""
    problems = _Problems()
    organization = None
    organization_id = _text(data, "organization_id")
    if organization_id is None:
        problems.add("organization_id", "Choose the organization that runs the service.")
    else:
        try:
            organization = get_organization(session, organization_id)
        except NotFoundError:
            problems.add("organization_id", "That organization is not in the directory.")
    name = _text(data, "name")
    if name is None:
        problems.add("name", "Enter the service's name.")
    elif len(name) > 500:
        problems.add("name", "Use at most 500 characters.")
    status = _text(data, "status") or "active"
    if status not in SERVICE_STATUSES:
        problems.add("status", f"Choose one of: {', '.join(SERVICE_STATUSES)}.")
    types = _checked_codes(problems, data, "service_types", SERVICE_TYPE)
    if not types and "service_types" not in problems.errors:
        problems.add("service_types", "Choose at least one service type.")
    problems.raise_any()
    when = now or _now()
    service = Service(organization=organization, name=name, status=status)
    session.add(service)
    session.flush()
    _set_attributes(session, service, "service_type", types)
    for name_, value in (("name", name), ("status", status), ("service_types", types)):
        record_change(
            session,
            resource_type="service",
            resource_id=service.id,
            action="create",
            user=user,
            field=name_,
            new=value,
            when=when,
        )
    session.flush()
    return service


# Schedules -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HoursInput:
    """What the hours editor sends: windows (``byday`` list, ``opens_at``, ``closes_at``,
    optional ``valid_from`` / ``valid_to`` ISO dates, ``description``), closures
    (``valid_from``, optional ``valid_to``, ``description``) and the 24/7 switch."""

    windows: Sequence[Mapping[str, Any]] = ()
    closures: Sequence[Mapping[str, Any]] = ()
    always_open: bool = False


def _date_value(problems: _Problems, value: Any, name: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        problems.add(name, "Enter a date like 2026-06-01.")
        return None


def _blank(row: Mapping[str, Any], keys: Iterable[str]) -> bool:
    for key in keys:
        value = row.get(key)
        if isinstance(value, list | tuple | set):
            if value:
                return False
        elif value is not None and str(value).strip():
            return False
    return True


def _schedule_rows(hours: HoursInput) -> list[dict[str, Any]]:
    """Validated schedule rows (dicts of Schedule columns) in display order, or EditError."""
    problems = _Problems()
    rows: list[dict[str, Any]] = []
    window_keys = ("days", "opens_at", "closes_at", "valid_from", "valid_to", "description")
    any_window = False
    for index, window in enumerate(hours.windows):
        if _blank(window, window_keys):
            continue
        any_window = True
        rows.append(_window_row(problems, window, f"windows-{index}-"))
    if hours.always_open:
        if any_window:
            problems.add(
                "always_open",
                "Open 24/7 replaces the weekly windows: clear the windows below, "
                "or untick Open 24/7.",
            )
        rows = [{"freq": "WEEKLY", "byday": ",".join(WEEKDAYS), **_ALWAYS_OPEN}]
    for index, closure in enumerate(hours.closures):
        if _blank(closure, ("valid_from", "valid_to", "description")):
            continue
        rows.append(_closure_row(problems, closure, f"closures-{index}-"))
    problems.raise_any()
    return rows


def _window_row(problems: _Problems, window: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """The weekly schedule row of one window of the form; its problems under ``prefix``."""
    days = [str(d).strip().upper() for d in window.get("days") or []]
    bad_days = [d for d in days if d not in WEEKDAYS]
    if bad_days:
        problems.add(prefix + "days", f"Unknown day codes: {', '.join(bad_days)}.")
    if not days:
        problems.add(prefix + "days", "Tick at least one day.")
    opens = _text(window, "opens_at")
    closes = _text(window, "closes_at")
    if opens is None:
        problems.add(prefix + "opens_at", "Enter the opening time, like 08:00.")
    if closes is None:
        problems.add(prefix + "closes_at", "Enter the closing time, like 17:00.")
    start = _date_value(problems, window.get("valid_from"), prefix + "valid_from")
    end = _date_value(problems, window.get("valid_to"), prefix + "valid_to")
    row = {
        "freq": "WEEKLY",
        "byday": ",".join(d for d in WEEKDAYS if d in days),
        "opens_at": opens,
        "closes_at": closes,
        "valid_from": start,
        "valid_to": end,
        "description": _text(window, "description"),
    }
    if not any(k.startswith(prefix) for k in problems.errors):
        _check_rule(problems, row, prefix)
    return row


def _closure_row(problems: _Problems, closure: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """The closure row of one closure of the form; its problems under ``prefix``."""
    start = _date_value(problems, closure.get("valid_from"), prefix + "valid_from")
    end = _date_value(problems, closure.get("valid_to"), prefix + "valid_to")
    if start is None and prefix + "valid_from" not in problems.errors:
        problems.add(prefix + "valid_from", "Enter the first day of the closure.")
    row = {
        "valid_from": start,
        "valid_to": end or start,
        "description": _text(closure, "description") or "Closed",
    }
    if not any(k.startswith(prefix) for k in problems.errors):
        _check_rule(problems, row, prefix)
    return row


def _check_rule(problems: _Problems, row: Mapping[str, Any], prefix: str) -> None:
    """Refuse a row the hours engine cannot read, naming the field it complains about."""
    try:
        ScheduleRule.from_mapping(row)
    except ScheduleError as exc:
        name = {"byday": "days", "freq": "days"}.get(exc.field, exc.field)
        message = exc.message
        if name == "valid_to" and "before" in message:
            message = "The last day must be on or after the first day."
        elif name in ("opens_at", "closes_at"):
            message = f"Enter a time like 08:00 or 22:30 (24-hour clock). {message}"
        problems.add(prefix + name, message)


def preview_hours(hours: HoursInput) -> list[str]:
    """The hours as the directory will describe them (``hours.describe``), or EditError."""
    from ..hours import describe

    rows = _schedule_rows(hours)
    return list(describe([ScheduleRule.from_mapping(r) for r in rows]))


def _schedule_text(schedule: Mapping[str, Any] | Schedule) -> str:
    get = schedule.get if isinstance(schedule, Mapping) else lambda k: getattr(schedule, k)
    parts = [
        get("byday") or get("bymonthday") or "",
        f"{get('opens_at') or ''}-{get('closes_at') or ''}",
    ]
    if get("valid_from") or get("valid_to"):
        start, end = get("valid_from"), get("valid_to")
        parts.append(f"{start.isoformat() if start else ''}..{end.isoformat() if end else ''}")
    if get("description"):
        parts.append(str(get("description")))
    return " ".join(p for p in parts if p and p != "-")


def schedules_summary(schedules: Iterable[Mapping[str, Any] | Schedule]) -> list[str]:
    """One compact line per schedule row, as the change log stores them."""
    return [_schedule_text(s) for s in schedules]


def is_always_open_row(schedule: Schedule) -> bool:
    days = {d.strip().upper() for d in (schedule.byday or "").split(",") if d.strip()}
    return (
        (schedule.opens_at or "")[:5] == "00:00"
        and (schedule.closes_at or "")[:5] in ("23:59", "24:00")
        and (not days or days == set(WEEKDAYS))
        and schedule.valid_from is None
        and schedule.valid_to is None
        and not schedule.bymonthday
    )


def is_editable_schedule(schedule: Schedule) -> bool:
    """Rows the editor shows as fields; others (monthly, every other week, notes...) are kept
    unchanged and listed beside the editor."""
    has_times = bool(schedule.opens_at and schedule.closes_at)
    has_dates = bool(schedule.valid_from or schedule.valid_to)
    days = [d.strip().upper() for d in (schedule.byday or "").split(",") if d.strip()]
    return (
        (schedule.freq in (None, "", "WEEKLY"))
        and not schedule.bymonthday
        and not schedule.byweekno
        and not schedule.byyearday
        and (schedule.interval in (None, 1))
        and schedule.dtstart is None
        and schedule.until is None
        and schedule.count is None
        and schedule.timezone is None
        and not schedule.notes
        and not schedule.schedule_link
        and not schedule.attending_type
        and all(d in WEEKDAYS for d in days)
        and (has_times or has_dates)
    )


@_single_flush
def replace_schedules(
    session: Session,
    service_id: str,
    hours: HoursInput,
    expected_version: int | str | None,
    user: str,
    *,
    now: datetime | None = None,
) -> list[str]:
    """Replace the service's own schedules (and its 24/7 attribute); returns changed fields.

    Rows the editor cannot show (``is_editable_schedule`` false: monthly rules, every other
    week, notes...) are kept unchanged after the new ones.
    """
    service = get_service(session, service_id)
    check_version("service", service, expected_version)
    rows = _schedule_rows(hours)
    kept = [s for s in service.schedules if not is_editable_schedule(s)]
    when = now or _now()
    diversion = attribute_codes(service, "diversion")
    before = {
        "schedules": schedules_summary(service.schedules),
        "open_24_7": OPEN_24_7 in diversion,
    }
    after = {
        "schedules": schedules_summary([*rows, *kept]),
        "open_24_7": hours.always_open,
    }
    if before == after:
        return []
    new_rows = [Schedule(**row) for row in rows]
    service.schedules[:] = [*new_rows, *kept]
    for position, schedule in enumerate(service.schedules):
        schedule.position = position
    if hours.always_open and OPEN_24_7 not in diversion:
        _set_attributes(session, service, "diversion", [*diversion, OPEN_24_7])
    elif not hours.always_open and OPEN_24_7 in diversion:
        _set_attributes(session, service, "diversion", [c for c in diversion if c != OPEN_24_7])
    changed = record_field_changes(
        session,
        resource_type="service",
        resource_id=service.id,
        user=user,
        before=before,
        after=after,
        when=when,
    )
    _touch(service, when)
    _flush(session, "service", service, int(expected_version))  # type: ignore[arg-type]
    return changed


# Phones (shared by organizations and locations) -------------------------------------------------


def _phone_rows(problems: _Problems, phones: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for index, phone in enumerate(phones):
        if phone.get("remove") or _blank(phone, ("number", "extension", "description")):
            continue
        prefix = f"phones-{index}-"
        number = _text(phone, "number")
        if number is None:
            problems.add(prefix + "number", "Enter the number, or tick Remove.")
        else:
            try:
                phone_number(number)
            except ValueError:
                problems.add(prefix + "number", "Enter a phone number like 505-555-0100.")
        kind = _text(phone, "type") or "voice"
        if kind not in PHONE_TYPES:
            problems.add(prefix + "type", f"Choose one of: {', '.join(PHONE_TYPES)}.")
        extension = _text(phone, "extension")
        if extension is not None and len(extension) > 20:
            problems.add(prefix + "extension", "Use at most 20 characters.")
        rows.append(
            {
                "number": number,
                "extension": extension,
                "type": kind,
                "description": _text(phone, "description"),
            }
        )
    return rows


def phones_summary(phones: Iterable[Phone | Mapping[str, Any]]) -> list[str]:
    lines = []
    for p in phones:
        get = p.get if isinstance(p, Mapping) else lambda k, p=p: getattr(p, k)
        text = get("number") or ""
        if get("extension"):
            text += f" ext. {get('extension')}"
        text += f" ({get('type') or 'voice'})"
        if get("description"):
            text += f" {get('description')}"
        lines.append(text)
    return lines


def _set_phones(owner_phones: list[Phone], rows: Sequence[Mapping[str, Any]]) -> list[Phone]:
    """New list for ``owner_phones``, reusing rows with the same number so ids stay stable."""
    existing = list(owner_phones)
    result = []
    for position, row in enumerate(rows):
        match = next((p for p in existing if p.number == row["number"]), None)
        if match is not None:
            existing.remove(match)
        else:
            match = Phone(number=row["number"])
        match.extension = row["extension"]
        match.type = row["type"]
        match.description = row["description"]
        match.position = position
        result.append(match)
    return result


# Organizations ---------------------------------------------------------------------------------


def organization_snapshot(organization: Organization) -> dict[str, Any]:
    return {
        "name": organization.name,
        "alternate_name": organization.alternate_name,
        "description": organization.description or None,
        "email": organization.email,
        "website": organization.website,
        "phones": phones_summary(organization.phones),
    }


@_single_flush
def update_organization(
    session: Session,
    organization_id: str,
    data: Mapping[str, Any],
    expected_version: int | str | None,
    user: str,
    *,
    now: datetime | None = None,
) -> list[str]:
    """Save the organization form (``phones``: list of number/extension/type/description/remove)."""
    organization = get_organization(session, organization_id)
    check_version("organization", organization, expected_version)
    problems = _Problems()
    limits = {
        "name": 500,
        "alternate_name": 500,
        "description": 20000,
        "email": 320,
        "website": 2000,
    }
    values = {}
    for name, limit in limits.items():
        _check_length(problems, data, name, limit)
        values[name] = _text(data, name)
    if values["name"] is None:
        problems.add("name", "Enter the organization's name.")
    _check_url(problems, values["website"], "website")
    _check_email(problems, values["email"], "email")
    phones = _phone_rows(problems, data.get("phones") or [])
    problems.raise_any()
    before = organization_snapshot(organization)
    when = now or _now()
    for name, value in values.items():
        value = value or "" if name == "description" else value
        if getattr(organization, name) != value:
            setattr(organization, name, value)
    organization.phones[:] = _set_phones(organization.phones, phones)
    after = organization_snapshot(organization)
    changed = record_field_changes(
        session,
        resource_type="organization",
        resource_id=organization.id,
        user=user,
        before=before,
        after=after,
        when=when,
    )
    if changed:
        organization.updated_at = when
        _flush(session, "organization", organization, int(expected_version))  # type: ignore[arg-type]
    return changed


# Locations -------------------------------------------------------------------------------------

ADDRESS_FIELDS = {
    "address_1": 500,
    "address_2": 500,
    "city": 200,
    "state_province": 100,
    "postal_code": 20,
    "country": 2,
}


def _address_snapshot(address: Address | None) -> dict[str, Any]:
    if address is None:
        return {}
    return {k: getattr(address, k) for k in ADDRESS_FIELDS}


def location_snapshot(location: Location) -> dict[str, Any]:
    return {
        "name": location.name,
        "alternate_name": location.alternate_name,
        "location_type": location.location_type,
        "description": location.description,
        "transportation": location.transportation,
        "latitude": location.latitude,
        "longitude": location.longitude,
        "address": _address_snapshot(location.addresses[0] if location.addresses else None),
        "phones": phones_summary(location.phones),
    }


def _coordinate(problems: _Problems, value: Any, name: str, limit: float) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        problems.add(name, "Enter a number in decimal degrees, like 35.0844.")
        return None
    if number != number or not -limit <= number <= limit:
        problems.add(name, f"Enter a number from -{limit:g} to {limit:g}.")
        return None
    return number


@_single_flush
def update_location(
    session: Session,
    location_id: str,
    data: Mapping[str, Any],
    expected_version: int | str | None,
    user: str,
    *,
    now: datetime | None = None,
) -> list[str]:
    """Save the location form: names, type, first address, coordinates and phones."""
    location = get_location(session, location_id)
    check_version("location", location, expected_version)
    problems = _Problems()
    values = _location_values(problems, data)
    address = _address_values(problems, data)
    phones = _phone_rows(problems, data.get("phones") or [])
    problems.raise_any()

    before = location_snapshot(location)
    when = now or _now()
    for name, value in values.items():
        if getattr(location, name) != value:
            setattr(location, name, value)
    _save_address(location, address, values["location_type"])
    location.phones[:] = _set_phones(location.phones, phones)
    after = location_snapshot(location)
    changed = record_field_changes(
        session,
        resource_type="location",
        resource_id=location.id,
        user=user,
        before=before,
        after=after,
        when=when,
    )
    if changed:
        location.updated_at = when
        _flush(session, "location", location, int(expected_version))  # type: ignore[arg-type]
    return changed


def _location_values(problems: _Problems, data: Mapping[str, Any]) -> dict[str, Any]:
    """The location form's own columns (names, type, coordinates), checked into ``problems``."""
    values: dict[str, Any] = {}
    for name, limit in (
        ("name", 500),
        ("alternate_name", 500),
        ("description", 20000),
        ("transportation", 5000),
    ):
        _check_length(problems, data, name, limit)
        values[name] = _text(data, name)
    location_type = _text(data, "location_type") or "physical"
    if location_type not in LOCATION_TYPES:
        problems.add("location_type", f"Choose one of: {', '.join(LOCATION_TYPES)}.")
    values["location_type"] = location_type
    latitude = _coordinate(problems, data.get("latitude"), "latitude", 90)
    longitude = _coordinate(problems, data.get("longitude"), "longitude", 180)
    if (latitude is None) != (longitude is None) and not problems.errors.keys() & {
        "latitude",
        "longitude",
    }:
        missing = "latitude" if latitude is None else "longitude"
        problems.add(missing, "Give both latitude and longitude, or neither.")
    values["latitude"], values["longitude"] = latitude, longitude
    return values


def _address_values(problems: _Problems, data: Mapping[str, Any]) -> dict[str, Any]:
    """The form's first address (all None when cleared), checked into ``problems``: a partly
    filled address needs street, city, state and ZIP; the country defaults to US."""
    address: dict[str, Any] = {}
    for name, limit in ADDRESS_FIELDS.items():
        _check_length(problems, data, name, limit)
        address[name] = _text(data, name)
    if address["country"]:
        address["country"] = address["country"].upper()
    if any(address.values()):
        labels = {
            "address_1": "the street address",
            "city": "the city",
            "state_province": "the state",
            "postal_code": "the ZIP code",
        }
        for name, label in labels.items():
            if address[name] is None:
                problems.add(name, f"Enter {label}, or clear the whole address.")
        address["country"] = address["country"] or "US"
        if len(address["country"]) != 2 or not address["country"].isalpha():
            problems.add("country", "Use a two-letter country code, like US.")
    return address


def _save_address(location: Location, address: dict[str, Any], location_type: str) -> None:
    """Writes ``address`` onto the location's first address: added when it had none, removed
    when the form cleared it, otherwise changed field by field."""
    current = location.addresses[0] if location.addresses else None
    if any(address.values()):
        if current is None:
            current = Address(
                address_type="physical" if location_type != "postal" else "postal", **address
            )
            location.addresses.insert(0, current)
        else:
            for name, value in address.items():
                if getattr(current, name) != value:
                    setattr(current, name, value)
    elif current is not None:
        location.addresses.remove(current)


# Capacity --------------------------------------------------------------------------------------


def capacity_snapshot(service: Service) -> list[dict[str, Any]]:
    return [
        {"unit": c.unit.name, "available": c.available, "maximum": c.maximum}
        for c in service.capacities
    ]


def _unit(session: Session, name: str) -> Unit:
    unit = session.scalars(
        select(Unit).where(Unit.name == name, Unit.scheme == CAPACITY_SCHEME).order_by(Unit.id)
    ).first()
    if unit is None:
        unit = Unit(name=name, scheme=CAPACITY_SCHEME, identifier=name)
        session.add(unit)
        session.flush()
    return unit


@_single_flush
def set_capacity(
    session: Session,
    service_id: str,
    data: Mapping[str, Any],
    expected_version: int | str | None,
    user: str,
    *,
    now: datetime | None = None,
) -> list[str]:
    """Set available / maximum of one unit (``unit``, ``available``, ``maximum``,
    ``description``), stamped ``updated`` now, and append a ``CapacityReport``."""
    service = get_service(session, service_id)
    check_version("service", service, expected_version)
    problems = _Problems()
    unit_name = _text(data, "unit") or ""
    if unit_name not in CAPACITY_UNITS:
        problems.add("unit", f"Choose one of: {', '.join(CAPACITY_UNITS)}.")
    available = _whole_number(problems, data.get("available"), "available")
    if available is None and "available" not in problems.errors:
        problems.add("available", "Enter how many are available now (0 or more).")
    maximum = _whole_number(problems, data.get("maximum"), "maximum")
    if available is not None and maximum is not None and available > maximum:
        problems.add("available", "Available cannot be more than the maximum.")
    description = _text(data, "description")
    problems.raise_any()
    if available is None:  # reported as a problem above
        raise ValueError("available is required")
    when = now or _now()
    before = capacity_snapshot(service)
    unit = _unit(session, unit_name)
    row = next((c for c in service.capacities if c.unit_id == unit.id), None)
    if row is None:
        row = ServiceCapacity(unit=unit, available=available, updated=when)
        service.capacities.append(row)
    row.available = available
    row.maximum = maximum
    row.description = description
    row.updated = when
    session.add(
        CapacityReport(
            service_id=service.id,
            unit_id=unit.id,
            available=available,
            maximum=maximum,
            updated=when,
            source=f"user:{user}",
        )
    )
    after = capacity_snapshot(service)
    # A report of unchanged figures is still a fresh report: always recorded.
    record_change(
        session,
        resource_type="service",
        resource_id=service.id,
        action="update",
        user=user,
        field="capacity",
        old=before,
        new=after,
        when=when,
    )
    _touch(service, when)
    _flush(session, "service", service, int(expected_version))  # type: ignore[arg-type]
    return ["capacity"]


# Service areas ---------------------------------------------------------------------------------


# Largest service area file taken in (bytes); a shape is then simplified (geo.shapes).
MAX_AREA_FILE_BYTES = 2_000_000


def geometry_from_geojson(text: str | bytes) -> BaseGeometry:
    """A polygonal shape from GeoJSON text: a Polygon, MultiPolygon, Feature or
    FeatureCollection (all features are merged). Raises ``ShapeError`` saying why not."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ShapeError("the file is not UTF-8 text; save it as GeoJSON") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ShapeError(f"not valid GeoJSON text ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise ShapeError("expected a GeoJSON object")
    kind = data.get("type")
    if kind == "Feature":
        geometries = [data.get("geometry")]
    elif kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list) or not features:
            raise ShapeError("the FeatureCollection has no features")
        geometries = [f.get("geometry") if isinstance(f, dict) else None for f in features]
    else:
        geometries = [data]
    shapes = []
    for number, geometry in enumerate(geometries, start=1):
        if geometry is None:
            raise ShapeError(f"feature {number} has no geometry")
        try:
            shapes.append(polygonal_shape(geometry))
        except ShapeError as exc:
            prefix = f"feature {number}: " if len(geometries) > 1 else ""
            raise ShapeError(f"{prefix}{exc}") from None
    return shapes[0] if len(shapes) == 1 else _union(shapes)


def _union(shapes: Sequence[BaseGeometry]) -> BaseGeometry:
    merged = unary_union(list(shapes))
    return polygonal_shape(json.loads(to_geojson_text(merged)))


def areas_snapshot(service: Service) -> list[dict[str, Any]]:
    return [
        {
            "name": a.name,
            "bounds": [
                round(v, 5) if v is not None else None
                for v in (a.min_lon, a.min_lat, a.max_lon, a.max_lat)
            ],
            "size": len(a.extent or ""),
        }
        for a in service.service_areas
    ]


@_single_flush
def set_service_areas(
    session: Session,
    service_id: str,
    expected_version: int | str | None,
    user: str,
    *,
    geojson: str | bytes | None = None,
    area_ids: Sequence[str] = (),
    name: str | None = None,
    clear: bool = False,
    now: datetime | None = None,
) -> list[str]:
    """Replace the service's areas by one area: an uploaded GeoJSON shape, or the union of the
    chosen analysis areas; ``clear`` removes them (the service then has no area limit)."""
    service = get_service(session, service_id)
    check_version("service", service, expected_version)
    problems = _Problems()
    has_file = bool(geojson and (geojson.strip() if isinstance(geojson, str) else geojson.strip()))
    ids = [i for i in dict.fromkeys(area_ids) if i]
    geometry: BaseGeometry | None = None
    label = (name or "").strip() or None
    if label is not None and len(label) > 500:
        problems.add("name", "Use at most 500 characters.")
    if clear:
        if has_file or ids:
            problems.add("clear", "Either remove the area or give a new one, not both.")
    elif has_file and ids:
        problems.add("geojson", "Upload a file or tick analysis areas, not both.")
    elif has_file and len(geojson) > MAX_AREA_FILE_BYTES:  # type: ignore[arg-type]
        problems.add(
            "geojson",
            f"This file is {len(geojson) / 1e6:.1f} MB; a service area file may be at most "  # type: ignore[arg-type]
            f"{MAX_AREA_FILE_BYTES / 1e6:.0f} MB. Simplify the shape first (for example with "
            "mapshaper).",
        )
    elif has_file:
        geometry = _uploaded_area(problems, geojson)  # type: ignore[arg-type]
        label = label or "Uploaded service area"
    elif ids:
        geometry, label = _chosen_areas(session, problems, ids, label)
    else:
        problems.add("geojson", "Upload a GeoJSON file or tick at least one analysis area.")
    problems.raise_any()
    when = now or _now()
    before = areas_snapshot(service)
    if geometry is None:
        service.service_areas[:] = []
    else:
        bounds = bounds_of(geometry)
        service.service_areas[:] = [
            ServiceArea(
                name=label,
                extent=to_geojson_text(geometry),
                extent_type="geojson",
                min_lon=bounds.min_lon,
                min_lat=bounds.min_lat,
                max_lon=bounds.max_lon,
                max_lat=bounds.max_lat,
            )
        ]
    after = areas_snapshot(service)
    changed = record_field_changes(
        session,
        resource_type="service",
        resource_id=service.id,
        user=user,
        before={"service_areas": before},
        after={"service_areas": after},
        when=when,
    )
    # Same bounds and size can still be a different shape: always touch on a real write.
    if not changed and geometry is not None:
        record_change(
            session,
            resource_type="service",
            resource_id=service.id,
            action="update",
            user=user,
            field="service_areas",
            old=before,
            new=after,
            when=when,
        )
        changed = ["service_areas"]
    if changed:
        _touch(service, when)
        _flush(session, "service", service, int(expected_version))  # type: ignore[arg-type]
    return changed


def _uploaded_area(problems: _Problems, geojson: str | bytes) -> BaseGeometry | None:
    """The uploaded GeoJSON's shape, simplified; None (a problem) when it cannot be used."""
    try:
        return simplified_area(geometry_from_geojson(geojson))
    except ShapeError as exc:
        problems.add("geojson", f"This file cannot be used: {exc}.")
        return None


def _chosen_areas(
    session: Session, problems: _Problems, ids: list[str], label: str | None
) -> tuple[BaseGeometry | None, str | None]:
    """The union of the chosen analysis areas and the label (the given one, else one naming
    the areas); no shape (a problem) when an id is unknown or the areas cannot be combined."""
    areas = list(session.scalars(select(AnalysisArea).where(AnalysisArea.id.in_(ids))))
    missing = sorted(set(ids) - {a.id for a in areas})
    if missing:
        problems.add("areas", f"Unknown analysis areas: {', '.join(missing)}.")
        return None, label
    geometry: BaseGeometry | None = None
    try:
        geometry = _union([polygonal_shape(a.geometry) for a in areas])
    except ShapeError as exc:
        problems.add("areas", f"These areas cannot be combined: {exc}.")
    return geometry, label or _areas_label(areas)


def _areas_label(areas: Sequence[AnalysisArea]) -> str:
    names = [a.name or a.id for a in sorted(areas, key=lambda a: a.id)]
    if len(names) <= 3:
        return ", ".join(names)
    return f"{', '.join(names[:3])} and {len(names) - 3} more areas"


# The area map (server-rendered SVG) -------------------------------------------------------------

MAP_WIDTH = 600


@dataclass(frozen=True)
class MapShape:
    id: str
    label: str
    path: str
    chosen: bool = False


@dataclass(frozen=True)
class AreaMap:
    """SVG paths in a ``0 0 width height`` box: analysis areas and the service's own areas."""

    width: int
    height: int
    areas: list[MapShape]
    service_areas: list[MapShape]

    @property
    def empty(self) -> bool:
        return not self.areas and not self.service_areas


def _rings(geom: BaseGeometry) -> list[list[tuple[float, float]]]:
    polygons = list(getattr(geom, "geoms", [geom]))
    rings = []
    for polygon in polygons:
        if polygon.geom_type != "Polygon":
            continue
        rings.append(list(polygon.exterior.coords))
        rings.extend(list(r.coords) for r in polygon.interiors)
    return rings


def area_map(session: Session, service: Service, chosen_ids: Iterable[str] = ()) -> AreaMap:
    """Analysis areas drawn light, the service's areas highlighted; an equirectangular
    projection scaled by the cosine of the middle latitude (good enough for a county)."""
    import math

    chosen = set(chosen_ids)
    shapes: list[tuple[str, str, BaseGeometry, bool]] = []
    for area in session.scalars(select(AnalysisArea).order_by(AnalysisArea.id)):
        try:
            shapes.append((area.id, area.name or area.id, polygonal_shape(area.geometry), False))
        except ShapeError:
            continue
    for served in service.service_areas:
        if served.extent_type not in (None, "geojson") or not served.extent:
            continue
        try:
            shapes.append(
                (served.id, served.name or "Service area", polygonal_shape(served.extent), True)
            )
        except ShapeError:
            continue
    if not shapes:
        return AreaMap(MAP_WIDTH, 0, [], [])
    bounds = [s[2].bounds for s in shapes]
    min_lon = min(b[0] for b in bounds)
    min_lat = min(b[1] for b in bounds)
    max_lon = max(b[2] for b in bounds)
    max_lat = max(b[3] for b in bounds)
    x_scale = math.cos(math.radians((min_lat + max_lat) / 2))
    span_x = max((max_lon - min_lon) * x_scale, 1e-9)
    span_y = max(max_lat - min_lat, 1e-9)
    margin = 8
    scale = (MAP_WIDTH - 2 * margin) / max(span_x, span_y * 0.5)
    scale = min(scale, (MAP_WIDTH - 2 * margin) / span_x)
    height = int(span_y * scale) + 2 * margin

    def path(geom: BaseGeometry) -> str:
        parts = []
        for ring in _rings(geom):
            points = [
                f"{margin + (lon - min_lon) * x_scale * scale:.1f} "
                f"{margin + (max_lat - lat) * scale:.1f}"
                for lon, lat in ring
            ]
            parts.append("M" + " L".join(points) + " Z")
        return " ".join(parts)

    areas = [MapShape(i, label, path(g), i in chosen) for i, label, g, own in shapes if not own]
    own = [MapShape(i, label, path(g), True) for i, label, g, is_own in shapes if is_own]
    return AreaMap(MAP_WIDTH, height, areas, own)
