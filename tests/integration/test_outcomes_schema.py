"""Privacy by construction (reference/domain.md 9): no column anywhere can hold a person.

Every column of every table in ``Base.metadata`` whose name looks like personal data fails the
test unless it is on the allowlist below, which holds only directory and geography columns that
describe services, organisations and places, never a person served. The encounter-store tables
may not have such a column at all, nor any coordinate.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

import pmhc_directory.models  # noqa: F401  (registers every table)
from pmhc_directory.db import Base

# Matched against each underscore-separated part of a column name (prefix match), and the
# longer ones also anywhere in the name ("dateofbirth").
PATTERNS = (
    "name",
    "first",
    "last_name",
    "dob",
    "birth",
    "address",
    "street",
    "phone",
    "case",
    "cad",
    "plate",
    "diagnos",
    "substance",
    "ssn",
    "latitude",
    "longitude",
    "lat",
    "lon",
)
ANYWHERE = ("birth", "address", "street", "phone", "diagnos", "substance", "latitude", "longitude")
COORDINATE = ("lat", "lon", "latitude", "longitude", "geometry", "geom", "point", "x", "y")
ENCOUNTER_STORE = ("encounters", "encounter_referrals", "follow_ups", "scorecard_answers")

_AREA_BOUNDS = ("centre_lat", "centre_lon", "min_lon", "min_lat", "max_lon", "max_lat")
ALLOWLIST: dict[str, str] = {
    # Analysis areas and boundaries: census geography (area name, centre, bounding box).
    **{f"analysis_areas.{c}": "census area, not a person" for c in ("name", *_AREA_BOUNDS)},
    "boundaries.name": "name of a jurisdiction boundary",
    # Audit trail of directory edits: the name of the edited field.
    "change_records.field_name": "name of an edited directory field",
    # Import runs: the name of the file a coordinator uploaded (an export of the directory's
    # own listings), shown on the import page; never a person served.
    "import_runs.file_name": "name of an uploaded directory export",
    # Public directory: organisations, services, sites and their published contact details.
    "organizations.name": "organisation name",
    "organizations.alternate_name": "organisation name",
    "services.name": "service name",
    "services.alternate_name": "service name",
    "locations.name": "service site name",
    "locations.alternate_name": "service site name",
    "locations.latitude": "service site position",
    "locations.longitude": "service site position",
    "addresses.address_1": "service site street address",
    "addresses.address_2": "service site street address",
    "addresses.address_type": "physical / postal",
    "languages.name": "language name",
    "languages.phone_id": "language spoken on a directory phone line",
    "contacts.name": "a service's published contact (staff), not a person served",
    "service_areas.name": "service area name",
    **{f"service_areas.{c}": "service area bounding box" for c in _AREA_BOUNDS[2:]},
    # Gazetteer of places (towns, landmarks) used to geocode typed text.
    "places.name": "place name",
    "places.name_key": "normalised place name",
    "places.latitude": "place position",
    "places.longitude": "place position",
    # PMHC vocabulary and capacity units.
    "taxonomies.name": "taxonomy name",
    "taxonomy_terms.name": "term name",
    "units.name": "capacity unit name",
}


def _looks_personal(column: str) -> bool:
    name = column.lower()
    parts = re.split(r"_+", name)
    if any(p in name for p in ANYWHERE):
        return True
    if "last_name" in name or "first_name" in name:
        return True
    return any(part.startswith(p) for part in parts for p in PATTERNS if "_" not in p)


def _columns():
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            yield table.name, column


def test_no_personal_column_outside_the_allowlist():
    offending = [
        f"{table}.{column.name}"
        for table, column in _columns()
        if _looks_personal(column.name) and f"{table}.{column.name}" not in ALLOWLIST
    ]
    assert offending == [], "columns that could hold a person; allowlist only if they cannot"


def test_allowlist_has_no_stale_entries():
    existing = {f"{table}.{column.name}" for table, column in _columns()}
    assert set(ALLOWLIST) <= existing


def test_encounter_store_has_no_personal_or_coordinate_column():
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    for name in ENCOUNTER_STORE:
        assert name in tables, name
        for column in tables[name].columns:
            parts = column.name.lower().split("_")
            assert not _looks_personal(column.name), f"{name}.{column.name}"
            assert not any(p in COORDINATE for p in parts), f"{name}.{column.name}"
            assert not isinstance(column.type, sa.Float | sa.Numeric), f"{name}.{column.name}"
        assert not [k for k in ALLOWLIST if k.startswith(f"{name}.")]


def test_the_pattern_catches_what_it_should():
    for column in (
        "name",
        "first_name",
        "last_name",
        "dob",
        "date_of_birth",
        "dateofbirth",
        "home_address",
        "street",
        "phone_number",
        "case_number",
        "cad_id",
        "plate",
        "diagnosis",
        "substance_use",
        "ssn",
        "lat",
        "lon",
        "latitude",
        "longitude",
    ):
        assert _looks_personal(column), column
    for column in ("population", "location_id", "occurred_hour", "person_token", "disposition"):
        assert not _looks_personal(column), column


def test_the_database_matches_the_models(session):
    """The migrated schema has no extra column in the encounter store either."""
    inspector = sa.inspect(session.connection())
    for name in ENCOUNTER_STORE:
        live = {c["name"] for c in inspector.get_columns(name)}
        modelled = {c.name for c in Base.metadata.tables[name].columns}
        assert live == modelled, name
