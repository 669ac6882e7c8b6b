"""``hsds_extra``: the HSDS 3.1 fields of an object the directory has no column for.

Every field of an HSDS object (:mod:`.fields`) is either read by the importer into a column or
a child row, or kept here: verbatim JSON (sorted keys) in the row's ``hsds_extra`` column, and
written back by :mod:`.serialize`, so the JSON, NDJSON and tabular exports give back what a
file carried (an organization's ``funding`` and ``programs``, a location's ``accessibility``,
the ``metadata`` and ``attributes`` of any object, a service's ``program`` and
``required_documents``...). A key that is not an HSDS 3.1 field of the object cannot be kept:
the importer reports it as a warning naming it.
"""

from __future__ import annotations

import json
from collections.abc import Set as AbstractSet
from typing import Any

from .fields import BY_NAME

#: HSDS object stored in each directory table.
OBJECT_OF_TABLE: dict[str, str] = {
    "organizations": "organization",
    "services": "service",
    "locations": "location",
    "services_at_location": "service_at_location",
    "addresses": "address",
    "phones": "phone",
    "schedules": "schedule",
    "service_areas": "service_area",
    "languages": "language",
    "cost_options": "cost_option",
    "units": "unit",
    "service_capacities": "service_capacity",
    "contacts": "contact",
    "urls": "url",
    "attributes": "attribute",
    "taxonomies": "taxonomy",
    "taxonomy_terms": "taxonomy_term",
}

# Keys the importer reads itself (besides the table's HSDS columns): owner ids, the nested
# objects it turns into rows, and fields the directory sets itself (``last_modified`` is the
# time of the directory's last change to the service).
_READ: dict[str, frozenset[str]] = {
    "organizations": frozenset({"phones"}),
    "services": frozenset(
        {
            "organization_id",
            "organization",
            "service_at_locations",
            "phones",
            "schedules",
            "service_areas",
            "languages",
            "cost_options",
            "capacities",
            "contacts",
            "additional_urls",
            "attributes",
            "last_modified",
        }
    ),
    "locations": frozenset({"organization_id", "addresses", "phones", "schedules", "languages"}),
    "services_at_location": frozenset(
        {"service_id", "location_id", "location", "phones", "schedules", "service_areas"}
    ),
    "addresses": frozenset({"location_id"}),
    "phones": frozenset(
        {"organization_id", "service_id", "location_id", "service_at_location_id", "contact_id"}
    ),
    "schedules": frozenset({"service_id", "location_id", "service_at_location_id", "byday"}),
    "service_areas": frozenset({"service_id", "service_at_location_id"}),
    "languages": frozenset({"service_id", "location_id", "phone_id"}),
    "cost_options": frozenset({"service_id"}),
    "units": frozenset(),
    "service_capacities": frozenset({"service_id", "unit", "unit_id"}),
    "contacts": frozenset(
        {"organization_id", "service_id", "service_at_location_id", "location_id", "phones"}
    ),
    "urls": frozenset({"organization_id", "service_id"}),
    "attributes": frozenset({"link_id", "link_entity", "taxonomy_term_id", "taxonomy_term"}),
    "taxonomies": frozenset(),
    "taxonomy_terms": frozenset({"parent_id", "taxonomy_id", "taxonomy_detail"}),
}


def _official(table: str) -> frozenset[str]:
    spec = BY_NAME[OBJECT_OF_TABLE[table]]
    return frozenset(spec.names) | frozenset(key for key, _kind, _child in spec.members)


_OFFICIAL: dict[str, frozenset[str]] = {table: _official(table) for table in OBJECT_OF_TABLE}


def split_extra(
    table: str, obj: dict[str, Any], columns: AbstractSet[str]
) -> tuple[str | None, list[str]]:
    """(``hsds_extra`` text or None, keys that are not HSDS 3.1 fields of the object).

    ``columns`` are the keys the importer reads into the table's columns. Null values and
    empty arrays state nothing and are not kept.
    """
    read = _READ[table]
    official = _OFFICIAL[table]
    extra: dict[str, Any] = {}
    unknown: list[str] = []
    for key, value in obj.items():
        if key in columns or key in read or key == "id":
            continue
        if key not in official:
            unknown.append(key)
        elif value is not None and value != []:
            extra[key] = value
    if not extra:
        return None, unknown
    return json.dumps(extra, sort_keys=True, ensure_ascii=False, separators=(",", ":")), unknown


def add_extra(out: dict[str, Any], text: str | None) -> dict[str, Any]:
    """``out`` with the kept fields of ``text`` (an ``hsds_extra`` value) added; fields the
    directory writes itself win."""
    if text:
        for key, value in json.loads(text).items():
            out.setdefault(key, value)
    return out
