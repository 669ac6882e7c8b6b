"""The one list of HSDS 3.1 objects and fields, read by the tabular package and by the importer.

Derived from the official Open Referral files (``../shared/hsds/``, commit ``abc731c``):

* the tables, their CSV file names, their columns in order, column types, formats and
  constraints (``required``, ``unique``, ``enum``) and foreign keys are those of the official
  ``datapackage.json``;
* the two resources that file leaves incomplete (``service_capacity`` declares only
  ``service_id`` and ``unit_id``, ``unit`` no field, both with ``primaryKey: id``) are repaired
  from the JSON schemas ``service_capacity.json`` and ``unit.json``: same names, same order,
  ``updated`` typed ``datetime`` as HSDS 3.1.1 does;
* ``members`` are the arrays and nested objects of each object in the JSON schemas
  (``schema/<object>.json``), in schema order: what a compiled HSDS object may nest.

``tests/unit/test_hsds_fields.py`` checks this module against those files, so a field can
neither be missing here nor invented. The tabular export writes exactly these columns (empty
where the directory has no value), and the importer keeps every field named here: in a column
where the directory has one, else verbatim in the row's ``hsds_extra`` (see
docs/hsds-conventions.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BY_NAME",
    "TABLES",
    "HsdsField",
    "HsdsTable",
    "descriptor",
    "link_column",
    "members",
    "scalar_names",
]


@dataclass(frozen=True)
class HsdsField:
    """One scalar field: Table Schema ``type`` (string, number, date, datetime, time) and
    ``format`` (uuid, email, uri), with the official constraints."""

    name: str
    type: str = "string"
    format: str | None = None
    required: bool = False
    unique: bool = False
    enum: tuple[str, ...] | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.format:
            out["format"] = self.format
        constraints: dict[str, Any] = {"required": self.required, "unique": self.unique}
        if self.enum:
            constraints["enum"] = list(self.enum)
        out["constraints"] = constraints
        return out


@dataclass(frozen=True)
class HsdsTable:
    """One HSDS object: its table (resource) name, CSV file, scalar fields in the official
    order, foreign keys (column -> table whose ``id`` it names) and nested members
    ((key, "array" | "object", object name) in schema order)."""

    name: str
    path: str
    fields: tuple[HsdsField, ...]
    foreign_keys: dict[str, str] = field(default_factory=dict)
    members: tuple[tuple[str, str, str], ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def as_json(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "fields": [f.as_json() for f in self.fields],
            "primaryKey": "id",
        }
        if self.foreign_keys:
            schema["foreignKeys"] = [
                {"fields": name, "reference": {"resource": target, "fields": "id"}}
                for name, target in self.foreign_keys.items()
            ]
        return {
            "name": self.name,
            "path": self.path,
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": schema,
        }


F = HsdsField

#: Every HSDS 3.1 object, in the order of the official ``datapackage.json``.
TABLES: tuple[HsdsTable, ...] = (
    HsdsTable(
        "organization",
        "organizations.csv",
        (
            F("id", format="uuid", required=True, unique=True),
            F("name", required=True),
            F("alternate_name"),
            F("description", required=True),
            F("email", format="email"),
            F("website", format="uri"),
            F("tax_status"),
            F("tax_id"),
            F("year_incorporated", "number"),
            F("legal_status"),
            F("logo"),
            F("uri", format="uri"),
            F("parent_organization_id", format="uuid"),
        ),
        foreign_keys={},
        members=(
            ("additional_websites", "array", "url"),
            ("funding", "array", "funding"),
            ("contacts", "array", "contact"),
            ("phones", "array", "phone"),
            ("locations", "array", "location"),
            ("programs", "array", "program"),
            ("organization_identifiers", "array", "organization_identifier"),
            ("attributes", "array", "attribute"),
            ("metadata", "array", "metadata"),
        ),
    ),
    HsdsTable(
        "program",
        "programs.csv",
        (
            F("id", format="uuid", required=True, unique=True),
            F("organization_id", format="uuid", required=True, unique=True),
            F("name", required=True),
            F("alternate_name"),
            F("description", required=True),
        ),
        foreign_keys={"organization_id": "organization"},
        members=(("attributes", "array", "attribute"), ("metadata", "array", "metadata")),
    ),
    HsdsTable(
        "service",
        "services.csv",
        (
            F("id", format="uuid", required=True, unique=True),
            F("organization_id", format="uuid", required=True),
            F("program_id", format="uuid"),
            F("name", required=True),
            F("alternate_name"),
            F("description"),
            F("url", format="uri"),
            F("email", format="email"),
            F(
                "status",
                required=True,
                enum=("active", "inactive", "defunct", "temporarily closed"),
            ),
            F("interpretation_services"),
            F("application_process"),
            F("fees_description"),
            F("wait_time"),
            F("fees"),
            F("accreditations"),
            F("eligibility_description"),
            F("minimum_age", "number"),
            F("maximum_age", "number"),
            F("assured_date", "date"),
            F("assurer_email", format="email"),
            F("licenses"),
            F("alert"),
            F("last_modified", "datetime"),
        ),
        foreign_keys={"organization_id": "organization", "program_id": "program"},
        members=(
            ("additional_urls", "array", "url"),
            ("phones", "array", "phone"),
            ("schedules", "array", "schedule"),
            ("service_areas", "array", "service_area"),
            ("service_at_locations", "array", "service_at_location"),
            ("languages", "array", "language"),
            ("organization", "object", "organization"),
            ("funding", "array", "funding"),
            ("cost_options", "array", "cost_option"),
            ("program", "object", "program"),
            ("required_documents", "array", "required_document"),
            ("contacts", "array", "contact"),
            ("capacities", "array", "service_capacity"),
            ("attributes", "array", "attribute"),
            ("metadata", "array", "metadata"),
        ),
    ),
    HsdsTable(
        "attribute",
        "attributes.csv",
        (
            F("id", format="uuid", required=True, unique=True),
            F("link_id", format="uuid", required=True),
            F("taxonomy_term_id", format="uuid", required=True),
            F("link_type"),
            F("link_entity", required=True),
            F("value"),
            F("label"),
        ),
        foreign_keys={"taxonomy_term_id": "taxonomy_term"},
        members=(("taxonomy_term", "object", "taxonomy_term"), ("metadata", "array", "metadata")),
    ),
    HsdsTable(
        "service_at_location",
        "service_at_location.csv",
        (
            F("id", format="uuid", required=True, unique=True),
            F("service_id", format="uuid", required=True),
            F("location_id", format="uuid", required=True),
            F("description"),
        ),
        foreign_keys={"service_id": "service", "location_id": "location"},
        members=(
            ("service_areas", "array", "service_area"),
            ("contacts", "array", "contact"),
            ("phones", "array", "phone"),
            ("schedules", "array", "schedule"),
            ("location", "object", "location"),
            ("attributes", "array", "attribute"),
            ("metadata", "array", "metadata"),
        ),
    ),
    HsdsTable(
        "location",
        "locations.csv",
        (
            F("id", format="uuid", required=True, unique=True),
            F("location_type", required=True, enum=("physical", "postal", "virtual")),
            F("url", format="uri"),
            F("organization_id", format="uuid"),
            F("name"),
            F("alternate_name"),
            F("description"),
            F("transportation"),
            F("latitude", "number"),
            F("longitude", "number"),
            F("external_identifier"),
            F("external_identifier_type"),
        ),
        foreign_keys={"organization_id": "organization"},
        members=(
            ("languages", "array", "language"),
            ("addresses", "array", "address"),
            ("contacts", "array", "contact"),
            ("accessibility", "array", "accessibility"),
            ("phones", "array", "phone"),
            ("schedules", "array", "schedule"),
            ("attributes", "array", "attribute"),
            ("metadata", "array", "metadata"),
        ),
    ),
    HsdsTable(
        "phone",
        "phones.csv",
        (
            F("id", format="uuid", required=True, unique=True),
            F("location_id", format="uuid"),
            F("service_id", format="uuid"),
            F("organization_id", format="uuid"),
            F("contact_id", format="uuid"),
            F("service_at_location_id", format="uuid"),
            F("number", required=True),
            F("extension", "number"),
            F("type"),
            F("description"),
        ),
        foreign_keys={
            "contact_id": "contact",
            "location_id": "location",
            "organization_id": "organization",
            "service_id": "service",
            "service_at_location_id": "service_at_location",
        },
        members=(
            ("languages", "array", "language"),
            ("attributes", "array", "attribute"),
            ("metadata", "array", "metadata"),
        ),
    ),
    HsdsTable(
        "contact",
        "contacts.csv",
        (
            F("id", format="uuid", required=True, unique=True),
            F("organization_id", format="uuid"),
            F("service_id", format="uuid"),
            F("service_at_location_id", format="uuid"),
            F("location_id", format="uuid"),
            F("name"),
            F("title"),
            F("department"),
            F("email", format="email"),
        ),
        foreign_keys={
            "location_id": "location",
            "organization_id": "organization",
            "service_id": "service",
            "service_at_location_id": "service_at_location",
        },
        members=(
            ("phones", "array", "phone"),
            ("attributes", "array", "attribute"),
            ("metadata", "array", "metadata"),
        ),
    ),
    HsdsTable(
        "address",
        "addresses.csv",
        (
            F("id", format="uuid", required=True, unique=True),
            F("location_id", format="uuid"),
            F("attention"),
            F("address_1", required=True),
            F("address_2"),
            F("city", required=True),
            F("region"),
            F("state_province", required=True),
            F("postal_code", required=True),
            F("country", required=True),
            F("address_type", required=True, enum=("physical", "postal", "virtual")),
        ),
        foreign_keys={"location_id": "location"},
        members=(("attributes", "array", "attribute"), ("metadata", "array", "metadata")),
    ),
    HsdsTable(
        "schedule",
        "schedules.csv",
        (
            F("id", format="uuid", required=True, unique=True),
            F("service_id", format="uuid"),
            F("location_id", format="uuid"),
            F("service_at_location_id", format="uuid"),
            F("valid_from", "date"),
            F("valid_to", "date"),
            F("dtstart", "date"),
            F("timezone", "number"),
            F("until", "date"),
            F("count", "number"),
            F("wkst", enum=("MO", "TU", "WE", "TH", "FR", "SA", "SU")),
            F("freq", enum=("WEEKLY", "MONTHLY")),
            F("interval", "number"),
            F("byday"),
            F("byweekno"),
            F("bymonthday"),
            F("byyearday"),
            F("description"),
            F("opens_at", "time"),
            F("closes_at", "time"),
            F("schedule_link", format="uri"),
            F("attending_type"),
            F("notes"),
        ),
        foreign_keys={
            "location_id": "location",
            "service_id": "service",
            "service_at_location_id": "service_at_location",
        },
        members=(("attributes", "array", "attribute"), ("metadata", "array", "metadata")),
    ),
    HsdsTable(
        "funding",
        "funding.csv",
        (
            F("id", format="uuid", required=True, unique=True),
            F("organization_id", format="uuid"),
            F("service_id", format="uuid"),
            F("source"),
        ),
        foreign_keys={"organization_id": "organization", "service_id": "service"},
        members=(("attributes", "array", "attribute"), ("metadata", "array", "metadata")),
    ),
    HsdsTable(
        "service_area",
        "service_areas.csv",
        (
            F("id", format="uuid", required=True, unique=True),
            F("service_id", format="uuid"),
            F("service_at_location_id", format="uuid"),
            F("name"),
            F("description"),
            F("extent"),
            F("extent_type"),
            F("uri"),
        ),
        foreign_keys={"service_id": "service", "service_at_location_id": "service_at_location"},
        members=(("attributes", "array", "attribute"), ("metadata", "array", "metadata")),
    ),
    HsdsTable(
        "required_document",
        "required_documents.csv",
        (
            F("id", format="uuid", required=True, unique=True),
            F("service_id", format="uuid"),
            F("document"),
            F("uri", format="uri"),
        ),
        foreign_keys={"service_id": "service"},
        members=(("attributes", "array", "attribute"), ("metadata", "array", "metadata")),
    ),
    HsdsTable(
        "language",
        "languages.csv",
        (
            F("id", format="uuid", required=True, unique=True),
            F("service_id", format="uuid"),
            F("location_id", format="uuid"),
            F("phone_id", format="uuid"),
            F("name"),
            F("code"),
            F("note"),
        ),
        foreign_keys={"location_id": "location", "phone_id": "phone", "service_id": "service"},
        members=(("attributes", "array", "attribute"), ("metadata", "array", "metadata")),
    ),
    HsdsTable(
        "accessibility",
        "accessibility.csv",
        (
            F("id", format="uuid", required=True, unique=True),
            F("location_id", format="uuid"),
            F("description"),
            F("details"),
            F("url", format="uri"),
        ),
        foreign_keys={"location_id": "location"},
        members=(("attributes", "array", "attribute"), ("metadata", "array", "metadata")),
    ),
    HsdsTable(
        "taxonomy_term",
        "taxonomy_terms.csv",
        (
            F("id", format="uuid", required=True, unique=True),
            F("code", unique=True),
            F("name", required=True),
            F("description", required=True),
            F("parent_id", format="uuid"),
            F("taxonomy"),
            F("language"),
            F("taxonomy_id", format="uuid"),
            F("term_uri", format="uri"),
        ),
        foreign_keys={"taxonomy_id": "taxonomy"},
        members=(("taxonomy_detail", "object", "taxonomy"), ("metadata", "array", "metadata")),
    ),
    HsdsTable(
        "metadata",
        "metadata.csv",
        (
            F("id", format="uuid", required=True, unique=True),
            F("resource_id", format="uuid", required=True),
            F("resource_type", required=True),
            F("last_action_date", "date", required=True),
            F("last_action_type", required=True),
            F("field_name", required=True),
            F("previous_value", required=True),
            F("replacement_value", required=True),
            F("updated_by", required=True),
        ),
        foreign_keys={},
        members=(),
    ),
    HsdsTable(
        "meta_table_description",
        "meta_table_descriptions.csv",
        (
            F("id", format="uuid", required=True, unique=True),
            F("name"),
            F("language"),
            F("character_set"),
        ),
        foreign_keys={},
        members=(("attributes", "array", "attribute"), ("metadata", "array", "metadata")),
    ),
    HsdsTable(
        "cost_option",
        "cost_options.csv",
        (
            F("id", format="uuid", required=True, unique=True),
            F("service_id", format="uuid", required=True),
            F("valid_from", "date"),
            F("valid_to", "date"),
            F("option"),
            F("currency"),
            F("amount", "number"),
            F("amount_description"),
        ),
        foreign_keys={"service_id": "service"},
        members=(("attributes", "array", "attribute"), ("metadata", "array", "metadata")),
    ),
    HsdsTable(
        "organization_identifier",
        "organization_identifiers.csv",
        (
            F("id", format="uuid", required=True, unique=True),
            F("organization_id", format="uuid", required=True),
            F("identifier_scheme"),
            F("identifier_type", required=True),
            F("identifier", required=True),
        ),
        foreign_keys={"organization_id": "organization"},
        members=(("attributes", "array", "attribute"), ("metadata", "array", "metadata")),
    ),
    HsdsTable(
        "taxonomy",
        "taxonomies.csv",
        (
            F("id", format="uuid", required=True, unique=True),
            F("name", required=True),
            F("description", required=True),
            F("uri", format="uri"),
            F("version"),
        ),
        foreign_keys={},
        members=(("metadata", "array", "metadata"),),
    ),
    HsdsTable(
        "service_capacity",
        "service_capacity.csv",
        (
            F("id", format="uuid", required=True, unique=True),
            F("service_id", format="uuid", required=True),
            F("unit_id", format="uuid", required=True),
            F("available", "number", required=True),
            F("maximum", "number"),
            F("description"),
            F("updated", "datetime", required=True),
        ),
        foreign_keys={"service_id": "service", "unit_id": "unit"},
        members=(
            ("unit", "object", "unit"),
            ("attributes", "array", "attribute"),
            ("metadata", "array", "metadata"),
        ),
    ),
    HsdsTable(
        "unit",
        "units.csv",
        (
            F("id", format="uuid", required=True, unique=True),
            F("name", required=True),
            F("scheme"),
            F("identifier"),
            F("uri", format="uri"),
        ),
        foreign_keys={},
        members=(("attributes", "array", "attribute"), ("metadata", "array", "metadata")),
    ),
    HsdsTable(
        "url",
        "url.csv",
        (
            F("id", format="uuid", required=True, unique=True),
            F("label"),
            F("url", format="uri", required=True),
            F("organization_id", format="uuid"),
            F("service_id", format="uuid"),
        ),
        foreign_keys={"organization_id": "organization", "service_id": "service"},
        members=(("attributes", "array", "attribute"), ("metadata", "array", "metadata")),
    ),
)
BY_NAME: dict[str, HsdsTable] = {t.name: t for t in TABLES}


def scalar_names(obj: str) -> tuple[str, ...]:
    """The scalar fields of HSDS object ``obj`` in official order."""
    return BY_NAME[obj].names


def members(obj: str) -> dict[str, tuple[str, str]]:
    """Nested members of ``obj``: key -> ("array" | "object", object name)."""
    return {key: (kind, child) for key, kind, child in BY_NAME[obj].members}


def link_column(parent: str, key: str) -> str | None:
    """The column that ties a nested member to its parent.

    For an array member it is the child's column naming the parent (``phone.service_id``
    under a service; ``link_id`` for attributes, ``resource_id`` for metadata); for an object
    member, the parent's column naming the child (``service.organization_id``,
    ``taxonomy_term.taxonomy_id`` for ``taxonomy_detail``). None when there is none.
    """
    kind, child = members(parent)[key]
    if kind == "object":
        column = "taxonomy_id" if key == "taxonomy_detail" else f"{key}_id"
        return column if column in BY_NAME[parent].names else None
    if child == "attribute":
        return "link_id"
    if child == "metadata":
        return "resource_id"
    column = f"{parent}_id"
    return column if column in BY_NAME[child].names else None


def descriptor() -> dict[str, Any]:
    """The official HSDS 3.1 ``datapackage.json`` (fields, types, constraints, keys), with the
    ``service_capacity`` and ``unit`` resources repaired; what the tabular export writes."""
    return {
        "profile": "tabular-data-package",
        "name": "human_services_data",
        "title": "Human Services Data Specification",
        "version": "3.1",
        "homepage": "http://docs.openreferral.org",
        "license": {
            "url": "https://creativecommons.org/licenses/by-sa/4.0/",
            "type": "CC-BY-SA-4.0",
            "name": "Creative Commons Attribution-ShareAlike 4.0",
        },
        "resources": [t.as_json() for t in TABLES],
    }
