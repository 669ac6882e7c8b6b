"""Models -> HSDS 3.1 compiled dicts (``compiled/service.json``), for the export and the API.

One serializer for every consumer: :func:`service_to_hsds`. Fields that are None are left out,
lists are always present (empty when there is nothing), ids are strings, dates ``YYYY-MM-DD``
and date-times ISO 8601 in UTC with ``Z``. The HSDS fields an import kept without a column of
their own (``hsds_extra``, module :mod:`.extra`) are written back into each object.
``Service.is_national`` is ours, not HSDS: it is never
written. Load services with :data:`SERVICE_LOAD_OPTIONS` to avoid one query per relationship.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import selectinload

from ..models import (
    Address,
    Attribute,
    Contact,
    CostOption,
    Language,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceCapacity,
    Taxonomy,
    TaxonomyTerm,
    Unit,
    Url,
)
from .extra import add_extra

_SAL = selectinload(Service.service_at_locations)
_LOCATION = _SAL.selectinload(ServiceAtLocation.location)
_CONTACTS = selectinload(Service.contacts)
_CAPACITIES = selectinload(Service.capacities)
_ATTRIBUTES = selectinload(Service.attributes)

# Eager loading for serialising many services: a fixed number of queries per batch.
SERVICE_LOAD_OPTIONS = (
    selectinload(Service.organization).selectinload(Organization.phones),
    _SAL.selectinload(ServiceAtLocation.phones),
    _SAL.selectinload(ServiceAtLocation.schedules),
    _SAL.selectinload(ServiceAtLocation.service_areas),
    _LOCATION.selectinload(Location.addresses),
    _LOCATION.selectinload(Location.phones),
    _LOCATION.selectinload(Location.schedules),
    _LOCATION.selectinload(Location.languages),
    selectinload(Service.phones),
    selectinload(Service.schedules),
    selectinload(Service.service_areas),
    selectinload(Service.languages),
    selectinload(Service.cost_options),
    _CAPACITIES.selectinload(ServiceCapacity.unit),
    _CONTACTS.selectinload(Contact.phones),
    selectinload(Service.urls),
    _ATTRIBUTES.joinedload(Attribute.taxonomy_term).joinedload(TaxonomyTerm.taxonomy_detail),
)

_SERVICE_FIELDS = (
    "id",
    "organization_id",
    "name",
    "alternate_name",
    "description",
    "url",
    "email",
    "status",
    "interpretation_services",
    "application_process",
    "fees_description",
    "eligibility_description",
    "minimum_age",
    "maximum_age",
    "alert",
    "assured_date",
    "assurer_email",
    "program_id",
    "wait_time",
    "fees",
    "accreditations",
    "licenses",
)


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:  # only aware values are stored; never guess a zone
            raise ValueError("naive datetime in the database")
        # UTC written with Z: what Table Schema (Frictionless, datapackage-js) reads.
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def utc_text(value: datetime) -> str:
    """An aware date-time as HSDS writes it: ISO 8601 in UTC with ``Z``."""
    return str(_value(value))


def _fields(obj: Any, names: Iterable[str]) -> dict[str, Any]:
    """The named attributes that are not None, as JSON values."""
    out: dict[str, Any] = {}
    for name in names:
        value = getattr(obj, name)
        if value is not None:
            out[name] = _value(value)
    return out


def _ordered(rows: Iterable[Any]) -> list[Any]:
    """The publisher's order where it is kept (``position``), else by id: always stable."""
    return sorted(rows, key=lambda r: (getattr(r, "position", 0) or 0, r.id))


def phone_to_hsds(phone: Phone) -> dict[str, Any]:
    out = _fields(
        phone,
        (
            "id",
            "organization_id",
            "service_id",
            "location_id",
            "service_at_location_id",
            "contact_id",
            "number",
        ),
    )
    # HSDS types the extension as a number; one that is not digits cannot be written as one.
    if phone.extension is not None and phone.extension.isdigit():
        out["extension"] = int(phone.extension)
    out.update(_fields(phone, ("type", "description")))
    return add_extra(out, phone.hsds_extra)


def _phones(phones: Iterable[Phone]) -> list[dict[str, Any]]:
    return [phone_to_hsds(p) for p in _ordered(phones)]


_SCHEDULE_FIELDS = (
    "id",
    "service_id",
    "location_id",
    "service_at_location_id",
    "valid_from",
    "valid_to",
    "dtstart",
    "timezone",
    "until",
    "count",
    "wkst",
    "freq",
    "interval",
    "byday",
    "byweekno",
    "bymonthday",
    "byyearday",
    "description",
    "opens_at",
    "closes_at",
    "schedule_link",
    "attending_type",
    "notes",
)


def schedule_to_hsds(schedule: Schedule) -> dict[str, Any]:
    return add_extra(_fields(schedule, _SCHEDULE_FIELDS), schedule.hsds_extra)


def _schedules(schedules: Iterable[Schedule]) -> list[dict[str, Any]]:
    return [schedule_to_hsds(s) for s in _ordered(schedules)]


def service_area_to_hsds(area: ServiceArea) -> dict[str, Any]:
    return add_extra(
        _fields(
            area,
            (
                "id",
                "service_id",
                "service_at_location_id",
                "name",
                "description",
                "extent",
                "extent_type",
                "uri",
            ),
        ),
        area.hsds_extra,
    )


def language_to_hsds(language: Language) -> dict[str, Any]:
    return add_extra(
        _fields(language, ("id", "service_id", "location_id", "name", "code", "note")),
        language.hsds_extra,
    )


def address_to_hsds(address: Address) -> dict[str, Any]:
    return add_extra(
        _fields(
            address,
            (
                "id",
                "location_id",
                "attention",
                "address_1",
                "address_2",
                "city",
                "region",
                "state_province",
                "postal_code",
                "country",
                "address_type",
            ),
        ),
        address.hsds_extra,
    )


def organization_to_hsds(org: Organization) -> dict[str, Any]:
    out = _fields(org, ("id", "name", "alternate_name"))
    out["description"] = org.description or ""  # required by HSDS
    out.update(
        _fields(
            org,
            (
                "email",
                "website",
                "tax_status",
                "tax_id",
                "year_incorporated",
                "legal_status",
                "logo",
                "uri",
                "parent_organization_id",
            ),
        )
    )
    out["phones"] = _phones(org.phones)
    return add_extra(out, org.hsds_extra)


def location_to_hsds(location: Location) -> dict[str, Any]:
    out = _fields(
        location,
        (
            "id",
            "location_type",
            "url",
            "organization_id",
            "name",
            "alternate_name",
            "description",
            "transportation",
            "latitude",
            "longitude",
            "external_identifier",
            "external_identifier_type",
        ),
    )
    out["languages"] = [language_to_hsds(x) for x in _ordered(location.languages)]
    out["addresses"] = [address_to_hsds(a) for a in _ordered(location.addresses)]
    out["phones"] = _phones(location.phones)
    out["schedules"] = _schedules(location.schedules)
    return add_extra(out, location.hsds_extra)


def service_at_location_to_hsds(sal: ServiceAtLocation) -> dict[str, Any]:
    out = _fields(sal, ("id", "service_id", "location_id", "description"))
    out["service_areas"] = [service_area_to_hsds(a) for a in _ordered(sal.service_areas)]
    out["phones"] = _phones(sal.phones)
    out["schedules"] = _schedules(sal.schedules)
    out["location"] = location_to_hsds(sal.location)
    return add_extra(out, sal.hsds_extra)


def cost_option_to_hsds(cost: CostOption) -> dict[str, Any]:
    return add_extra(
        _fields(
            cost,
            (
                "id",
                "service_id",
                "valid_from",
                "valid_to",
                "option",
                "currency",
                "amount",
                "amount_description",
            ),
        ),
        cost.hsds_extra,
    )


def unit_to_hsds(unit: Unit) -> dict[str, Any]:
    return add_extra(_fields(unit, ("id", "name", "scheme", "identifier", "uri")), unit.hsds_extra)


def capacity_to_hsds(capacity: ServiceCapacity) -> dict[str, Any]:
    out = _fields(capacity, ("id", "service_id"))
    out["unit"] = unit_to_hsds(capacity.unit)
    out.update(_fields(capacity, ("unit_id", "available", "maximum", "description", "updated")))
    return add_extra(out, capacity.hsds_extra)


def contact_to_hsds(contact: Contact) -> dict[str, Any]:
    out = _fields(contact, ("id", "service_id", "name", "title", "department", "email"))
    out["phones"] = _phones(contact.phones)
    return add_extra(out, contact.hsds_extra)


def url_to_hsds(url: Url) -> dict[str, Any]:
    return add_extra(
        _fields(url, ("id", "label", "url", "organization_id", "service_id")), url.hsds_extra
    )


def taxonomy_to_hsds(taxonomy: Taxonomy) -> dict[str, Any]:
    out = _fields(taxonomy, ("id", "name"))
    out["description"] = taxonomy.description or ""
    out.update(_fields(taxonomy, ("uri", "version")))
    return add_extra(out, taxonomy.hsds_extra)


def taxonomy_term_to_hsds(term: TaxonomyTerm) -> dict[str, Any]:
    out = _fields(term, ("id", "code", "name"))
    out["description"] = term.description or ""
    out.update(_fields(term, ("parent_id", "taxonomy", "language", "taxonomy_id", "term_uri")))
    if term.taxonomy_detail is not None:
        out["taxonomy_detail"] = taxonomy_to_hsds(term.taxonomy_detail)
    return add_extra(out, term.hsds_extra)


def attribute_to_hsds(attribute: Attribute) -> dict[str, Any]:
    out = _fields(
        attribute,
        ("id", "link_id", "taxonomy_term_id", "link_type", "link_entity", "value", "label"),
    )
    out["taxonomy_term"] = taxonomy_term_to_hsds(attribute.taxonomy_term)
    return add_extra(out, attribute.hsds_extra)


def service_to_hsds(service: Service) -> dict[str, Any]:
    """The compiled HSDS 3.1 form of a service, valid against ``compiled/service.json``."""
    out = _fields(service, _SERVICE_FIELDS)
    expires = getattr(service, "alert_expires_at", None)
    if expires is not None and expires <= datetime.now(UTC):
        out.pop("alert", None)  # a provider's alert that has expired is no longer published
    if service.updated_at is not None:
        out["last_modified"] = _value(service.updated_at)
    out["organization"] = organization_to_hsds(service.organization)
    out["service_at_locations"] = [
        service_at_location_to_hsds(s) for s in _ordered(service.service_at_locations)
    ]
    out["phones"] = _phones(service.phones)
    out["schedules"] = _schedules(service.schedules)
    out["service_areas"] = [service_area_to_hsds(a) for a in _ordered(service.service_areas)]
    out["languages"] = [language_to_hsds(x) for x in _ordered(service.languages)]
    out["cost_options"] = [cost_option_to_hsds(c) for c in _ordered(service.cost_options)]
    out["capacities"] = [capacity_to_hsds(c) for c in _ordered(service.capacities)]
    out["contacts"] = [contact_to_hsds(c) for c in _ordered(service.contacts)]
    out["additional_urls"] = [url_to_hsds(u) for u in _ordered(service.urls)]
    out["attributes"] = [attribute_to_hsds(a) for a in _ordered(service.attributes)]
    return add_extra(out, service.hsds_extra)
