"""The one list of HSDS 3.1 fields (``hsds/fields.py``) is the official one (issues #15, #16).

Checked against the official ``datapackage.json`` and the JSON schemas in ``../shared/hsds``:
no table, column, type, format, constraint or key missing or invented, and the two repaired
resources declare exactly their JSON schema's fields.
"""

from __future__ import annotations

import json

from pmhc_directory.hsds import fields
from pmhc_directory.hsds.extra import OBJECT_OF_TABLE
from pmhc_directory.hsds.tabular import descriptor
from pmhc_directory.models import Base
from tests.conftest import require_shared

REPAIRED = ("service_capacity", "unit")
_JSON_TO_TABLE = {"number": "number", "string": "string"}


def _official() -> dict:
    return json.loads(require_shared("hsds", "datapackage.json").read_text("utf-8"))


def _schema(name: str) -> dict:
    return json.loads(require_shared("hsds", "schema", f"{name}.json").read_text("utf-8"))


def test_tables_columns_types_constraints_and_keys_are_the_official_ones():
    official = _official()["resources"]
    assert [t.name for t in fields.TABLES] == [r["name"] for r in official]
    for table, theirs in zip(fields.TABLES, official, strict=True):
        assert table.path == theirs["path"]
        if table.name in REPAIRED:
            continue
        assert [f.as_json() for f in table.fields] == [
            {
                key: value
                for key, value in field.items()
                if key in ("name", "type", "format", "constraints")
            }
            for field in theirs["schema"]["fields"]
        ], table.name
        assert table.foreign_keys == {
            key["fields"]: key["reference"]["resource"]
            for key in theirs["schema"].get("foreignKeys", [])
        }


def test_the_two_defective_resources_are_repaired_from_their_json_schemas():
    for name in REPAIRED:
        schema = _schema(name)
        scalars = {
            key: prop
            for key, prop in schema["properties"].items()
            if prop.get("type") != "array" and "$ref" not in prop
        }
        table = fields.BY_NAME[name]
        assert list(table.names) == list(scalars)  # every field, in schema order
        for field in table.fields:
            prop = scalars[field.name]
            expected = "datetime" if prop.get("format") == "date-time" else prop["type"]
            assert field.type == expected, field.name
        assert "id" in table.names  # what the primary key names


def test_members_are_the_arrays_and_objects_of_each_json_schema():
    for table in fields.TABLES:
        schema = _schema(table.name)
        expected = []
        for key, prop in schema["properties"].items():
            if prop.get("type") == "array":
                expected.append((key, "array", prop["items"]["$ref"].removesuffix(".json")))
            elif "$ref" in prop:
                expected.append((key, "object", prop["$ref"].removesuffix(".json")))
        assert list(table.members) == expected, table.name
        nested = {key for key, _kind, _child in table.members}
        scalar = [key for key in schema["properties"] if key not in nested]
        if table.name not in REPAIRED:
            assert list(table.names) == scalar, table.name


def test_every_member_is_tied_to_its_parent_by_a_declared_column():
    for table in fields.TABLES:
        for key, _kind, _child in table.members:
            assert fields.link_column(table.name, key) is not None, (table.name, key)


def test_the_package_descriptor_is_the_one_list():
    assert descriptor() == fields.descriptor()
    assert descriptor()["version"] == "3.1"


def test_every_hsds_field_of_a_stored_object_has_a_column_or_is_kept_in_hsds_extra():
    """The directory's tables: each HSDS scalar field is a column, except owner ids the
    importer sets from the nesting and ``last_modified`` (the directory's own time)."""
    for table_name, obj in OBJECT_OF_TABLE.items():
        columns = set(Base.metadata.tables[table_name].columns.keys())
        assert "hsds_extra" in columns, table_name
        missing = [n for n in fields.scalar_names(obj) if n not in columns]
        allowed = {"last_modified"}  # services.updated_at
        assert set(missing) <= allowed, (table_name, missing)
