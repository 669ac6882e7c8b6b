"""Hours and contact details proposed by providers, accepted or rejected by a coordinator.

A proposal is checked when it is made (hours with the hours editor's own validation, so an
overnight window such as 20:00-08:00 is accepted and an unreadable one refused) but nothing in
it is live. Accepting it is a normal audited edit by the coordinator, with optimistic locking
on the service version the coordinator saw in the verification queue; rejecting it changes
nothing but the proposal's status.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from ..db import normalize_uuid
from ..models import Address, Phone, ProviderProposal, Service, User
from . import editing
from .audit import VersionConflictError, check_version, record_change, record_field_changes
from .directory import describe_hours
from .editing import EditError, HoursInput
from .provider_updates import source_of

#: Address fields a provider may propose (the first address of the service's first location).
ADDRESS_FIELDS = ("address_1", "city", "state_province", "postal_code")


class ProposalError(LookupError):
    """No such pending proposal (already decided, or never made)."""


def _hours_input(payload: Mapping[str, Any]) -> HoursInput:
    return HoursInput(
        windows=list(payload.get("windows") or []),
        closures=list(payload.get("closures") or []),
        always_open=bool(payload.get("always_open")),
    )


def _plain(rows: Any) -> list[dict[str, Any]]:
    """Editor rows as JSON-safe dicts (dates as ISO text, day lists kept)."""
    plain = []
    for row in rows:
        plain.append(
            {
                k: (v.isoformat() if hasattr(v, "isoformat") else v)
                for k, v in dict(row).items()
                if k != "csrf_token"
            }
        )
    return plain


def propose_hours(
    session: Session, user: User, service: Service, hours: HoursInput, now: datetime
) -> ProviderProposal:
    """Store new hours for a coordinator to accept; returns the pending proposal.

    :raises EditError: hours the editor would refuse (field names as in the hours editor).
    """
    lines = editing.preview_hours(hours)
    payload = {
        "windows": _plain(hours.windows),
        "closures": _plain(hours.closures),
        "always_open": hours.always_open,
    }
    return _add(session, user, service, "hours", payload, lines or ["No hours: not listed."], now)


def propose_details(
    session: Session, user: User, service: Service, data: Mapping[str, Any], now: datetime
) -> ProviderProposal:
    """Store a new phone number and/or address for a coordinator to accept.

    :raises EditError: nothing proposed, a phone without digits, an address without its
        street, city, state and ZIP, or a service with no location for an address.
    """
    problems: dict[str, str] = {}
    phone = " ".join(str(data.get("phone") or "").split())
    address = {k: " ".join(str(data.get(k) or "").split()) for k in ADDRESS_FIELDS}
    if phone and (len(phone) > 100 or not any(c.isdigit() for c in phone)):
        problems["phone"] = "Enter a phone number like 505-555-0100."
    if any(address.values()):
        for name in ADDRESS_FIELDS:
            if not address[name]:
                problems[name] = "Enter the whole address: street, city, state and ZIP."
        if not service.service_at_locations:
            problems["address_1"] = "This service has no location; ask your coordinator."
    elif not phone:
        problems["phone"] = "Enter a new phone number or a new address."
    if problems:
        raise EditError(errors={k: [v] for k, v in problems.items()})
    payload: dict[str, Any] = {}
    lines = []
    if phone:
        payload["phone"] = phone
        lines.append(f"Phone: {phone}")
    if any(address.values()):
        payload["address"] = address
        lines.append("Address: " + ", ".join(address[k] for k in ADDRESS_FIELDS))
    return _add(session, user, service, "details", payload, lines, now)


def _add(
    session: Session,
    user: User,
    service: Service,
    kind: str,
    payload: dict[str, Any],
    lines: list[str],
    now: datetime,
) -> ProviderProposal:
    proposal = ProviderProposal(
        service_id=service.id,
        kind=kind,
        payload=payload,
        summary="\n".join(lines),
        proposed_by=user.email,
        proposed_at=now,
        status="pending",
    )
    session.add(proposal)
    session.flush()
    record_change(
        session,
        resource_type="service",
        resource_id=service.id,
        action="update",
        user=source_of(user),
        field=f"proposal:{kind}",
        old=None,
        new={"proposal": proposal.id, "summary": lines},
        when=now,
    )
    return proposal


def pending_proposals(
    session: Session, organization_id: str | None = None
) -> list[ProviderProposal]:
    """Proposals waiting for a coordinator (of one organization when given), oldest first."""
    query = (
        select(ProviderProposal)
        .where(ProviderProposal.status == "pending")
        .options(selectinload(ProviderProposal.service))
        .order_by(ProviderProposal.proposed_at, ProviderProposal.id)
    )
    if organization_id is not None:
        query = query.join(Service).where(Service.organization_id == organization_id)
    return list(session.scalars(query))


def pending_for_service(session: Session, service_id: str) -> list[ProviderProposal]:
    """The service's proposals still waiting for a coordinator, oldest first."""
    return list(
        session.scalars(
            select(ProviderProposal)
            .where(ProviderProposal.service_id == service_id, ProviderProposal.status == "pending")
            .order_by(ProviderProposal.proposed_at, ProviderProposal.id)
        )
    )


def current_listing(service: Service, kind: str) -> list[str]:
    """What the directory says now, for the side-by-side view in the queue."""
    if kind == "hours":
        hours = describe_hours(service.schedules)
        lines = list(hours.lines) or [editing.schedules_summary([s])[0] for s in service.schedules]
        return lines or ["No hours listed."]
    lines = [f"Phone: {', '.join(p.number for p in service.phones) or 'none'}"]
    location = service.service_at_locations[0].location if service.service_at_locations else None
    address = location.addresses[0] if location and location.addresses else None
    if address is not None:
        lines.append("Address: " + ", ".join(str(getattr(address, k)) for k in ADDRESS_FIELDS))
    else:
        lines.append("Address: none")
    return lines


def _pending(session: Session, proposal_id: str) -> ProviderProposal:
    try:
        key = normalize_uuid(proposal_id)
    except ValueError:
        raise ProposalError(proposal_id) from None
    proposal = session.scalar(
        select(ProviderProposal).where(ProviderProposal.id == key).with_for_update()
    )
    if proposal is None or proposal.status != "pending":
        raise ProposalError(proposal_id)
    return proposal


def accept_proposal(
    session: Session,
    proposal_id: str,
    expected_version: int | str | None,
    coordinator: str,
    now: datetime,
) -> ProviderProposal:
    """Make the proposal live as the coordinator's edit of the service.

    :param expected_version: the service version shown beside the proposal in the queue.
    :raises ProposalError: no such pending proposal.
    :raises VersionConflictError: the service changed since the queue was loaded.
    :raises EditError: the proposal no longer fits (e.g. the location's address is gone).
    """
    proposal = _pending(session, proposal_id)
    service = proposal.service
    if proposal.kind == "hours":
        editing.replace_schedules(
            session,
            service.id,
            _hours_input(proposal.payload),
            expected_version,
            coordinator,
            now=now,
        )
    else:
        _apply_details(session, service, proposal.payload, expected_version, coordinator, now)
    proposal.status = "accepted"
    proposal.decided_by = coordinator
    proposal.decided_at = now
    session.flush()
    return proposal


def _apply_details(
    session: Session,
    service: Service,
    payload: Mapping[str, Any],
    expected_version: int | str | None,
    coordinator: str,
    now: datetime,
) -> None:
    version = check_version("service", service, expected_version)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if payload.get("phone"):
        before["phone"] = service.phones[0].number if service.phones else None
        after["phone"] = payload["phone"]
        if service.phones:
            service.phones[0].number = payload["phone"]
        else:
            service.phones.append(Phone(number=payload["phone"], type="voice", position=0))
    if payload.get("address"):
        if not service.service_at_locations:
            raise EditError("address_1", "The service no longer has a location.")
        location = service.service_at_locations[0].location
        address = location.addresses[0] if location.addresses else None
        before["address"] = (
            {k: getattr(address, k) for k in ADDRESS_FIELDS} if address is not None else None
        )
        after["address"] = dict(payload["address"])
        if address is None:
            address = Address(country="US", address_type="physical", **payload["address"])
            location.addresses.append(address)
        else:
            for name in ADDRESS_FIELDS:
                setattr(address, name, payload["address"][name])
        location.updated_at = now
    record_field_changes(
        session,
        resource_type="service",
        resource_id=service.id,
        user=coordinator,
        before=before,
        after=after,
        when=now,
    )
    service.updated_at = now
    try:
        session.flush()
    except StaleDataError:
        raise VersionConflictError("service", service.id, version, -1) from None


def reject_proposal(
    session: Session, proposal_id: str, coordinator: str, now: datetime
) -> ProviderProposal:
    """Refuse the proposal: the service is not touched.

    :raises ProposalError: no such pending proposal.
    """
    proposal = _pending(session, proposal_id)
    proposal.status = "rejected"
    proposal.decided_by = coordinator
    proposal.decided_at = now
    record_change(
        session,
        resource_type="service",
        resource_id=proposal.service_id,
        action="update",
        user=coordinator,
        field=f"proposal:{proposal.kind}",
        old={"proposal": proposal.id},
        new="rejected",
        when=now,
    )
    session.flush()
    return proposal
