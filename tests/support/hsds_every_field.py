"""An HSDS 3.1 service with every field of the official schema filled (issue #15 item 5).

Built from the one list of HSDS objects (:mod:`pmhc_directory.hsds.fields`), so a field the
specification has is never forgotten here: every scalar field of every object holds a value
of its type, and every array or nested object holds one item, recursively (an organization's
funding, programs, identifiers, contacts and locations; a location's accessibility; the
attributes and metadata of every object; ...).

One rule keeps the record meaningful: an owner id (``phone.service_id``) names the object the
item is nested in; the owner ids naming other parents are left out (a phone nested in a
service has no ``contact_id``), since HSDS nests each object under its one owner.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from pmhc_directory.hsds.fields import BY_NAME, link_column

SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[-106.8, 35.0], [-106.4, 35.0], [-106.4, 35.3], [-106.8, 35.3], [-106.8, 35.0]]
    ],
}

# Values that must be of one form for the directory's checks (or the specification's enums).
_SPECIAL: dict[tuple[str, str], Any] = {
    ("service", "status"): "active",
    ("service", "minimum_age"): 18,
    ("service", "maximum_age"): 64,
    ("organization", "year_incorporated"): 1998,
    ("location", "location_type"): "physical",
    ("location", "latitude"): 35.1,
    ("location", "longitude"): -106.6,
    ("address", "address_type"): "physical",
    ("address", "country"): "US",
    ("address", "state_province"): "NM",
    ("address", "postal_code"): "87102",
    ("phone", "number"): "505-555-0100",
    ("phone", "extension"): 12,
    ("phone", "type"): "voice",
    ("schedule", "freq"): "WEEKLY",
    ("schedule", "wkst"): "MO",
    ("schedule", "byday"): "MO,TU",
    ("schedule", "byweekno"): "1",  # valid HSDS the hours engine cannot evaluate
    ("schedule", "byyearday"): "10",
    ("schedule", "bymonthday"): "15",
    ("schedule", "interval"): 1,
    ("schedule", "count"): 10,
    ("schedule", "timezone"): -7,
    ("schedule", "opens_at"): "08:00",
    ("schedule", "closes_at"): "17:30",
    ("schedule", "valid_from"): "2026-01-01",
    ("schedule", "valid_to"): "2026-12-31",
    ("schedule", "dtstart"): "2026-01-05",
    ("schedule", "until"): "2026-12-28",
    ("cost_option", "valid_from"): "2026-01-01",
    ("cost_option", "valid_to"): "2026-12-31",
    ("cost_option", "amount"): 35.5,
    ("cost_option", "currency"): "USD",
    ("service_capacity", "available"): 3,
    ("service_capacity", "maximum"): 5,
    ("service_area", "extent"): json.dumps(SQUARE),
    ("service_area", "extent_type"): "geojson",
    ("language", "code"): "es",
    ("taxonomy_term", "language"): "en",
}
_BY_TYPE: dict[str, Any] = {
    "number": 7,
    "date": "2026-03-01",
    "datetime": "2026-10-28T08:10:00Z",
    "time": "09:15",
}
_BY_FORMAT = {"email": "intake@juniper.example.org", "uri": "https://juniper.example.org/x"}


def _new_id() -> str:
    return str(uuid.uuid4())


class _Builder:
    def __init__(self) -> None:
        self.count = 0
        self.organization_id = _new_id()

    def value(self, table: str, name: str, spec: Any) -> Any:
        if (table, name) in _SPECIAL:
            return _SPECIAL[(table, name)]
        if spec.format in _BY_FORMAT:
            return _BY_FORMAT[spec.format]
        if spec.type in _BY_TYPE:
            return _BY_TYPE[spec.type]
        self.count += 1
        return f"{table} {name} {self.count}"

    def build(self, table: str, parent: tuple[str, str, str] | None) -> dict[str, Any]:
        """One ``table`` object; ``parent`` is (parent table, parent id, member key)."""
        spec = BY_NAME[table]
        obj_id = self.organization_id if table == "organization" else _new_id()
        obj: dict[str, Any] = {"id": obj_id}
        owner_column = link_column(parent[0], parent[2]) if parent else None
        for field in spec.fields[1:]:
            if field.format == "uuid":
                continue  # filled below: links, not data
            obj[field.name] = self.value(table, field.name, field)
        if parent and owner_column and BY_NAME[parent[0]].members:
            kind = {k: kd for k, kd, _c in BY_NAME[parent[0]].members}[parent[2]]
            if kind == "array":
                obj[owner_column] = parent[1]
        if table == "attribute":
            obj["link_entity"] = parent[0] if parent else "service"
        if table == "metadata":
            obj["resource_type"] = parent[0] if parent else "service"
        if table == "location":
            obj["organization_id"] = self.organization_id
        if table == "organization":
            obj["parent_organization_id"] = _new_id()
        if table == "taxonomy_term":
            obj["parent_id"] = _new_id()  # a term neither in the file nor the database
        for key, kind, child in spec.members:
            if kind == "object":
                if table == "service" and key == "program":
                    continue  # the organization's program, below
                nested = self.build(child, (table, obj_id, key))
                obj[key] = nested
                column = link_column(table, key)
                if column:
                    obj[column] = nested["id"]
            else:
                obj[key] = [self.build(child, (table, obj_id, key))]
        if table == "service":
            program = obj["organization"]["programs"][0]
            obj["program"] = program
            obj["program_id"] = program["id"]
        return obj


def every_field_service() -> dict[str, Any]:
    """A compiled HSDS 3.1 service with every field of the official schema filled."""
    return _Builder().build("service", None)


def _normal(value: Any) -> Any:
    """Forms that are one value: ``08:00:00`` is ``08:00``; ``+00:00`` is ``Z``."""
    if isinstance(value, str):
        if len(value) == 8 and value[2] == ":" and value[5:] == ":00":
            return value[:5]
        if value.endswith("+00:00") and "T" in value:
            return value[:-6] + "Z"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def lost_fields(original: Any, exported: Any, path: str = "service") -> list[str]:
    """Paths of the fields of ``original`` that ``exported`` lacks or changed; arrays of
    objects are matched by ``id``."""
    if isinstance(original, dict):
        if not isinstance(exported, dict):
            return [path]
        lost = []
        for key, value in original.items():
            if value is None or value == []:
                continue
            if key not in exported:
                lost.append(f"{path}.{key}")
                continue
            lost.extend(lost_fields(value, exported[key], f"{path}.{key}"))
        return lost
    if isinstance(original, list):
        if not isinstance(exported, list):
            return [path]
        by_id = {item.get("id"): item for item in exported if isinstance(item, dict)}
        lost = []
        for i, item in enumerate(original):
            if isinstance(item, dict) and "id" in item:
                if item["id"] not in by_id:
                    lost.append(f"{path}[{i}]")
                else:
                    lost.extend(lost_fields(item, by_id[item["id"]], f"{path}[{i}]"))
            elif item not in exported:
                lost.append(f"{path}[{i}]")
        return lost
    return [] if _normal(original) == _normal(exported) else [f"{path} ({original!r})"]
