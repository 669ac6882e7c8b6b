"""What a provider account changes directly: capacity, temporary closures and alerts.

A provider acts only for its own organization: :func:`provider_service` answers
:class:`NotTheirsError` for any other service (the view turns it into 404, so a provider learns
nothing about other organizations' services, not even whether an id exists).

Capacity goes through ``services.capacity.report_capacity``, the very code the token capacity
API uses, so a figure set here counts in ``/api/v1/match`` on the next request, enters the
capacity history and is audited, with ``user:<email>`` as its source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from ..db import normalize_uuid
from ..errors import InputError
from ..models import Attribute, Organization, Service, ServiceCapacity, User
from .audit import record_change
from .capacity import CapacityInputError, check_unit, is_stale, report_capacity
from .provider_alerts import MAX_ALERT_LENGTH, current_alert

#: Longest temporary closure or alert a provider can set (a longer one is a change of hours,
#: which is proposed to a coordinator instead).
MAX_CLOSURE_DAYS = 14
MAX_ALERT_DAYS = 7
#: What the one-tap buttons do.
ACTIONS = ("minus", "plus", "full", "set")


class NotTheirsError(LookupError):
    """The service does not exist or belongs to another organization."""


class ProviderInputError(InputError):
    """Refused input; ``field`` names it and ``message`` says what to do."""


def source_of(user: User) -> str:
    """The capacity history's and change log's name for a provider's account."""
    return f"user:{user.email}"


def provider_services(session: Session, user: User) -> list[Service]:
    """The services of the user's organization, by name (none without an organization)."""
    if user.organization_id is None:
        return []
    return list(
        session.scalars(
            select(Service)
            .where(Service.organization_id == user.organization_id, Service.is_national.is_(False))
            .options(selectinload(Service.capacities).selectinload(ServiceCapacity.unit))
            .order_by(Service.name, Service.id)
        )
    )


def provider_organization(session: Session, user: User) -> Organization | None:
    return session.get(Organization, user.organization_id) if user.organization_id else None


def provider_service(
    session: Session, user: User, service_id: str, *, for_update: bool = False
) -> Service:
    """The service if it belongs to the user's organization.

    :raises NotTheirsError: not an id, no such service, or another organization's.
    """
    try:
        key = normalize_uuid(service_id)
    except ValueError:
        raise NotTheirsError(service_id) from None
    query = select(Service).where(Service.id == key)
    if for_update:
        query = query.with_for_update()
    service = session.scalar(query)
    if (
        service is None
        or user.organization_id is None
        or service.organization_id != user.organization_id
        or service.is_national
    ):
        raise NotTheirsError(service_id)
    return service


#: Continuum elements whose services have places or teams to count (beds, chairs, slots,
#: teams); phone lines, treatment and the rest are not asked for a figure.
COUNTED_CONTINUA = frozenset({"place", "respond"})


def counts_places(service: Service) -> bool:
    """Whether the service is of a type that has places or teams to report (a crisis
    receiving or stabilization unit, a mobile team...)."""
    from ..taxonomy import vocabulary
    from .editing import attribute_codes

    vocab = vocabulary()
    for code in attribute_codes(service, "service_type"):
        try:
            if vocab.continuum_of(code) in COUNTED_CONTINUA:
                return True
        except KeyError:
            continue
    return False


@dataclass(frozen=True)
class Figure:
    """A service's current figure for one unit, as the provider page shows it."""

    unit: str
    available: int
    maximum: int | None
    updated: datetime
    stale: bool


def current_figures(service: Service, now: datetime, fresh_hours: float) -> list[Figure]:
    """The newest figure per unit name, staleness judged like the lookup does."""
    newest: dict[str, ServiceCapacity] = {}
    for row in service.capacities:
        name = (row.unit.name or "").strip().lower()
        if name not in newest or row.updated > newest[name].updated:
            newest[name] = row
    return [
        Figure(
            unit=name,
            available=row.available,
            maximum=row.maximum,
            updated=row.updated,
            stale=is_stale(row, now, fresh_hours),
        )
        for name, row in sorted(newest.items())
    ]


def update_capacity(
    session: Session,
    user: User,
    service: Service,
    unit: str,
    action: str,
    now: datetime,
    value: int | str | None = None,
) -> ServiceCapacity:
    """Apply a one-tap update: ``minus`` / ``plus`` (``value`` places, 1 if None), ``full``
    (0 free) or ``set`` (``value`` free). The maximum last reported is kept.

    ``plus`` and ``minus`` start from the current figure even when it is stale (the provider
    sees its age on the page); with no figure yet, ``plus`` starts from 0.

    :raises ProviderInputError: unknown action, a value that is not a whole number, or a
        ``minus`` below zero.
    :raises CapacityInputError: as ``report_capacity`` (unknown unit, over the maximum...).
    """
    name = check_unit(unit)
    if action not in ACTIONS:
        raise ProviderInputError("action", f"Unknown update {action!r}.")
    current = next((f for f in current_figures(service, now, 0) if f.unit == name), None)
    base = current.available if current else 0
    if action == "full":
        count = 0
    else:
        amount = _whole(value if value not in (None, "") else (1 if action != "set" else None))
        if action == "set":
            count = amount
        elif action == "plus":
            count = base + amount
        else:
            if current is None:
                raise ProviderInputError("value", "No figure reported yet: use Set to N.")
            count = base - amount
            if count < 0:
                raise ProviderInputError(
                    "value", f"Only {base} free now; it cannot go below 0 (use Full)."
                )
    return report_capacity(session, service, name, count, None, source_of(user), now)


def _whole(value: int | str | None) -> int:
    if isinstance(value, bool):
        raise ProviderInputError("value", "Enter a whole number such as 3.")
    if isinstance(value, int):
        number = value
    else:
        text = (value or "").strip()
        if not text.lstrip("+").isdigit():
            raise ProviderInputError("value", "Enter a whole number such as 3.")
        number = int(text)
    if number < 0:
        raise ProviderInputError("value", "Enter a number of 0 or more.")
    return number


def close_until(
    session: Session, user: User, service: Service, until: datetime, now: datetime
) -> None:
    """Close the service until ``until`` (aware): the lookup excludes it until then and it
    reopens by itself. Audited (field ``closed_until``).

    :raises ProviderInputError: not in the future, or more than :data:`MAX_CLOSURE_DAYS` ahead.
    """
    if until.tzinfo is None:
        raise ValueError("until must be an aware datetime")
    if until <= now:
        raise ProviderInputError("until", "Choose a time in the future.")
    if until - now > timedelta(days=MAX_CLOSURE_DAYS):
        raise ProviderInputError(
            "until",
            f"A temporary closure lasts at most {MAX_CLOSURE_DAYS} days; for longer, "
            "propose new hours.",
        )
    _set(session, user, service, "closed_until", until, now)


def reopen(session: Session, user: User, service: Service, now: datetime) -> None:
    """End a temporary closure now."""
    _set(session, user, service, "closed_until", None, now)


def set_alert(
    session: Session, user: User, service: Service, text: str, expires_at: datetime, now: datetime
) -> None:
    """Show ``text`` first on the officer's card and the handout until ``expires_at``.

    :raises ProviderInputError: empty or too long text; an expiry not in the future or more
        than :data:`MAX_ALERT_DAYS` ahead.
    """
    text = " ".join((text or "").split())
    if not text:
        raise ProviderInputError("text", "Write the alert, e.g. No beds for women until 6 a.m.")
    if len(text) > MAX_ALERT_LENGTH:
        raise ProviderInputError("text", f"Keep the alert to {MAX_ALERT_LENGTH} characters.")
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be an aware datetime")
    if expires_at <= now:
        raise ProviderInputError("expires_at", "Choose when the alert ends, in the future.")
    if expires_at - now > timedelta(days=MAX_ALERT_DAYS):
        raise ProviderInputError("expires_at", f"An alert can last at most {MAX_ALERT_DAYS} days.")
    _set(session, user, service, "alert", text, now, expires_at=expires_at)


def clear_alert(session: Session, user: User, service: Service, now: datetime) -> None:
    """Remove the service's current alert (whoever set it)."""
    _set(session, user, service, "alert", None, now, expires_at=None)


def _set(
    session: Session,
    user: User,
    service: Service,
    field: str,
    value: object,
    now: datetime,
    **extra: object,
) -> None:
    old: object
    new: object
    if field == "alert":
        before = current_alert(service.alert, service.alert_expires_at, now)
        old = {"alert": before, "expires_at": _iso(service.alert_expires_at) if before else None}
        new = {"alert": value, "expires_at": _iso(extra.get("expires_at"))}
        service.alert = value  # type: ignore[assignment]
        service.alert_expires_at = extra.get("expires_at")  # type: ignore[assignment]
    else:
        old = _iso(getattr(service, field))
        new = _iso(value)
        setattr(service, field, value)
    service.updated_at = now
    record_change(
        session,
        resource_type="service",
        resource_id=service.id,
        action="update",
        user=source_of(user),
        field=field,
        old=old,
        new=new,
        when=now,
    )
    session.flush()


def _iso(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


@dataclass(frozen=True)
class StaleFacility:
    """A service with live capacity whose newest figure is older than the freshness limit."""

    service_id: str
    service: str
    organization: str
    unit: str | None
    last_reported: datetime | None
    phones: tuple[str, ...]


def stale_facilities(session: Session, now: datetime, fresh_hours: float) -> list[StaleFacility]:
    """Services that report capacity but have not reported within ``fresh_hours``: the ones to
    call. A service reports capacity when it has ever sent a figure, or when its organization
    has a live provider account or token and the service counts places
    (:func:`counts_places`). Never-reported first, then oldest first."""
    from ..models import ApiToken, Role

    reporting_orgs = set(
        session.scalars(
            select(User.organization_id).where(
                User.role == Role.PROVIDER, User.organization_id.is_not(None), User.active
            )
        )
    ) | set(session.scalars(select(ApiToken.organization_id).where(ApiToken.revoked_at.is_(None))))
    services = session.scalars(
        select(Service)
        .where(
            Service.is_national.is_(False),
            Service.status == "active",
            or_(
                Service.id.in_(select(ServiceCapacity.service_id)),
                Service.organization_id.in_(sorted(reporting_orgs)),
            ),
        )
        .options(
            selectinload(Service.capacities).selectinload(ServiceCapacity.unit),
            selectinload(Service.organization),
            selectinload(Service.phones),
            selectinload(Service.attributes).joinedload(Attribute.taxonomy_term),
        )
    )
    found = []
    for service in services:
        figures = current_figures(service, now, fresh_hours)
        if not figures and (
            service.organization_id not in reporting_orgs or not counts_places(service)
        ):
            continue
        newest = max(figures, key=lambda f: f.updated) if figures else None
        if newest is not None and not newest.stale:
            continue
        found.append(
            StaleFacility(
                service_id=service.id,
                service=service.name,
                organization=service.organization.name,
                unit=newest.unit if newest else None,
                last_reported=newest.updated if newest else None,
                phones=tuple(p.number for p in service.phones),
            )
        )
    oldest = datetime.min.replace(tzinfo=now.tzinfo)
    found.sort(key=lambda f: (f.last_reported or oldest, f.service))
    return found


__all__ = [
    "ACTIONS",
    "CapacityInputError",
    "NotTheirsError",
    "ProviderInputError",
    "clear_alert",
    "close_until",
    "current_figures",
    "provider_service",
    "provider_services",
    "reopen",
    "set_alert",
    "stale_facilities",
    "update_capacity",
]
