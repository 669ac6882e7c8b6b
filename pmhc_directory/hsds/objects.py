"""The compiled HSDS 3.1 objects the ``/hsds`` API answers with, built on :mod:`.serialize`.

- a service: ``serialize.service_to_hsds`` as it is (``compiled/service.json``);
- a service_at_location (``compiled/service_at_location.json``): the link, its location and
  the whole service nested as ``service`` (without the service's own service_at_locations);
- an organization (``compiled/organization.json``): its phones and attributes, the locations
  it owns, and the services it provides (one-to-one fields, or whole with ``full_service``);
- a taxonomy and a taxonomy term (``taxonomy.json``, ``taxonomy_term.json``).

The list forms (``compiled/*_list.json``, HSDS "one-to-one fields") are the same objects with
every array left out, at every depth (:func:`one_to_one`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..models import Organization, Service, ServiceAtLocation, Taxonomy, TaxonomyTerm
from .serialize import (
    attribute_to_hsds,
    location_to_hsds,
    organization_to_hsds,
    service_at_location_to_hsds,
    service_to_hsds,
    taxonomy_term_to_hsds,
    taxonomy_to_hsds,
)

if TYPE_CHECKING:
    from ..services.hsds_feed import OrganizationBundle


def one_to_one(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` without its arrays, at every depth: the HSDS list form of a compiled object."""
    return {
        key: one_to_one(value) if isinstance(value, dict) else value
        for key, value in obj.items()
        if not isinstance(value, list)
    }


def service_object(service: Service, full: bool = True) -> dict[str, Any]:
    """A service loaded with ``SERVICE_LOAD_OPTIONS``; ``full=False`` gives the list form."""
    out = service_to_hsds(service)
    return out if full else one_to_one(out)


def service_at_location_object(
    sal: ServiceAtLocation,
    service: Service,
    full: bool = True,
    extras: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One service at one location, with the location and the service nested.

    :param extras: profile fields added at the top (``distance_km`` for a proximity search).
    """
    out = service_at_location_to_hsds(sal)
    nested = service_to_hsds(service)
    nested.pop("service_at_locations", None)
    out["service"] = nested
    if not full:
        out = one_to_one(out)
    out.update(extras or {})
    return out


def _attributes(organization: Organization) -> list[dict[str, Any]]:
    rows = sorted(organization.attributes, key=lambda a: (a.position or 0, a.id))
    return [attribute_to_hsds(a) for a in rows]


def organization_object(
    bundle: OrganizationBundle, full: bool = True, full_service: bool = False
) -> dict[str, Any]:
    """An organization; ``full`` adds its attributes, locations and services (one-to-one
    fields each, or whole services with ``full_service``). ``full=False`` is the list form."""
    out = organization_to_hsds(bundle.organization)
    if not full:
        return one_to_one(out)
    out["attributes"] = _attributes(bundle.organization)
    out["locations"] = [location_to_hsds(location) for location in bundle.locations]
    services = []
    for service in bundle.services:
        nested = service_to_hsds(service)
        nested.pop("organization", None)  # it is the object around it
        services.append(nested if full_service else one_to_one(nested))
    out["services"] = services
    return out


def taxonomy_object(taxonomy: Taxonomy) -> dict[str, Any]:
    return taxonomy_to_hsds(taxonomy)


def taxonomy_term_object(term: TaxonomyTerm) -> dict[str, Any]:
    """A term with its taxonomy nested as ``taxonomy_detail`` (when it has one)."""
    return taxonomy_term_to_hsds(term)
