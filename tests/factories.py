"""Builders that add real rows with sensible defaults; they flush, never commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from pmhc_directory.models import (
    Attribute,
    Location,
    Organization,
    Role,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
    User,
)
from pmhc_directory.services.accounts import create_user
from pmhc_directory.taxonomy import vocabulary

TEST_PASSWORD = "correct horse battery staple"


def make_organization(session: Session, **fields: Any) -> Organization:
    fields.setdefault("name", "Test Organization")
    fields.setdefault("description", "An organization made by a test.")
    org = Organization(**fields)
    session.add(org)
    session.flush()
    return org


def make_service(
    session: Session,
    *,
    types: tuple[str, ...] = ("crisis-receiving",),
    attributes: tuple[str, ...] = (),
    organization: Organization | None = None,
    **fields: Any,
) -> Service:
    """A service with PMHC service-type and diversion attributes given by code."""
    organization = organization or make_organization(session)
    fields.setdefault("name", "Test Service")
    fields.setdefault("status", "active")
    service = Service(organization=organization, **fields)
    session.add(service)
    session.flush()
    vocab = vocabulary()
    for position, (taxonomy, code, link_type) in enumerate(
        [("service-type", c, "service_type") for c in types]
        + [("attribute", c, "diversion") for c in attributes]
    ):
        term = session.get(TaxonomyTerm, vocab.id_for_code(taxonomy, code))
        assert term is not None, "reference data missing: was init-db run for the test DB?"
        service.attributes.append(
            Attribute(
                link_id=service.id,
                link_entity="service",
                link_type=link_type,
                taxonomy_term=term,
                position=position,
            )
        )
    session.flush()
    return service


def make_location(session: Session, service: Service | None = None, **fields: Any) -> Location:
    fields.setdefault("location_type", "physical")
    fields.setdefault("name", "Test Location")
    fields.setdefault("latitude", 35.0844)
    fields.setdefault("longitude", -106.6504)
    location = Location(**fields)
    session.add(location)
    session.flush()
    if service is not None:
        session.add(ServiceAtLocation(service=service, location=location))
        session.flush()
    return location


def make_user(
    session: Session, role: Role | str = Role.COORDINATOR, email: str | None = None
) -> User:
    email = email or f"{Role(role).value}@example.org"
    return create_user(session, email, role, TEST_PASSWORD)
