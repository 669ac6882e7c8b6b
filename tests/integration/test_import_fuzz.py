"""Importing randomly broken HSDS records (hypothesis): a clear error, and nothing written.

Each example is a file of one to three valid compiled services (tests/unit/test_hsds_parsing.py
builders) plus an already imported service sent again with a new name; one record is broken in
one way: a value of the wrong type, a required field left out, an impossible opening time, a
malformed id, a string longer than its column, or an unknown PMHC taxonomy code. The import
must raise ``ImportFailed`` naming that record and the field, and leave every table as it was.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pmhc_directory.hsds.deserialize import MAX_LENGTH
from pmhc_directory.models import Service
from pmhc_directory.services.imports import ImportFailed, import_services
from pmhc_directory.taxonomy import vocabulary
from tests.integration.test_hsds_import import table_counts
from tests.unit.test_hsds_parsing import full_service_dict, pmhc_attribute, service_dict

Record = dict[str, Any]
# (the broken record, the field path the error must name, whether its id is still valid)
Mutation = Callable[[Record], tuple[Record, str, bool]]

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

NOT_A_STRING = st.one_of(
    st.integers(),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
NOT_A_WHOLE_NUMBER = st.one_of(
    st.text(max_size=5), st.lists(st.integers(), max_size=2), st.just({"n": 1})
)
NOT_AN_ARRAY = st.one_of(st.text(max_size=5), st.integers(), st.just({"id": "x"}))
NOT_AN_OBJECT = st.one_of(st.text(max_size=5), st.integers(), st.lists(st.integers(), max_size=2))
WRONG_TYPES = {
    "name": NOT_A_STRING,
    "status": NOT_A_STRING,
    "description": NOT_A_STRING.filter(lambda v: v is not None),
    "url": NOT_A_STRING,
    "minimum_age": NOT_A_WHOLE_NUMBER,
    "maximum_age": NOT_A_WHOLE_NUMBER,
    "organization": NOT_AN_OBJECT,
    "schedules": NOT_AN_ARRAY,
    "phones": NOT_AN_ARRAY,
    "attributes": NOT_AN_ARRAY,
}
REQUIRED = ("id", "name", "status", "organization")


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


BAD_TIMES = st.one_of(
    st.builds("{:02d}:{:02d}".format, st.integers(24, 99), st.integers(0, 99)),
    st.builds("{:02d}:{:02d}".format, st.integers(0, 23), st.integers(60, 99)),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz .", min_size=1, max_size=12),
    st.sampled_from(["9am", "25:00", "12:60", "24:30", "noon", "9:00 PM"]),
)
BAD_IDS = st.one_of(
    st.text(max_size=40).filter(lambda t: not _is_uuid(t)),
    st.integers(),
)
UNKNOWN_CODES = st.from_regex(r"\A[a-z]{3,10}-[a-z]{3,10}\Z").filter(
    lambda code: vocabulary().find("service-type", code) is None
)


@st.composite
def mutations(draw: st.DrawFn) -> Mutation:
    kind = draw(
        st.sampled_from(["wrong-type", "missing", "bad-time", "bad-id", "huge", "unknown-code"])
    )
    if kind == "wrong-type":
        name = draw(st.sampled_from(sorted(WRONG_TYPES)))
        value = draw(WRONG_TYPES[name])

        def wrong_type(record: Record) -> tuple[Record, str, bool]:
            record[name] = value
            return record, f"service.{name}", True

        return wrong_type
    if kind == "missing":
        name = draw(st.sampled_from(REQUIRED))

        def missing(record: Record) -> tuple[Record, str, bool]:
            del record[name]
            return record, f"service.{name}", name != "id"

        return missing
    if kind == "bad-time":
        end = draw(st.sampled_from(["opens_at", "closes_at"]))
        value = draw(BAD_TIMES)

        def bad_time(record: Record) -> tuple[Record, str, bool]:
            record["schedules"] = [
                {"id": str(uuid.uuid4()), "freq": "WEEKLY", "byday": "MO", end: value}
            ]
            return record, f"service.schedules[0].{end}", True

        return bad_time
    if kind == "bad-id":
        where = draw(st.sampled_from(["service", "organization", "phone"]))
        value = draw(BAD_IDS)

        def bad_id(record: Record) -> tuple[Record, str, bool]:
            if where == "service":
                record["id"] = value
                return record, "service.id", False
            if where == "organization":
                record["organization"]["id"] = value
                return record, "service.organization.id", True
            record["phones"] = [{"id": value, "number": "505-555-0100"}]
            return record, "service.phones[0].id", True

        return bad_id
    if kind == "huge":
        name = draw(st.sampled_from(["name", "status", "description", "url", "email"]))
        limit = MAX_LENGTH.get(("services", name))
        if limit is None:
            name, limit = "name", MAX_LENGTH[("services", "name")]
        extra = draw(st.integers(1, 200_000))

        def huge(record: Record) -> tuple[Record, str, bool]:
            record[name] = "x" * (limit + extra)
            return record, f"service.{name}", True

        return huge
    code = draw(UNKNOWN_CODES)

    def unknown_code(record: Record) -> tuple[Record, str, bool]:
        attribute = pmhc_attribute(record["id"], "service-type", "crisis-line")
        attribute["taxonomy_term"].update(id=str(uuid.uuid4()), code=code)
        del attribute["taxonomy_term_id"]
        record["attributes"] = [attribute]
        return record, "service.attributes[0].taxonomy_term.code", True

    return unknown_code


@pytest.fixture
def existing(session) -> Record:
    record = full_service_dict()
    import_services(session, [copy.deepcopy(record)], source="before.json")
    session.commit()
    return record


@FUZZ
@given(
    builders=st.lists(st.sampled_from([service_dict, full_service_dict]), min_size=1, max_size=3),
    data=st.data(),
    mutation=mutations(),
)
def test_a_broken_record_is_named_and_nothing_is_written(
    session, existing, builders, data, mutation
):
    renamed = copy.deepcopy(existing)
    renamed["name"] = "Renamed by a file that fails"
    records = [builder() for builder in builders]
    records.insert(data.draw(st.integers(0, len(records)), label="existing at"), renamed)
    broken_at = data.draw(st.sampled_from([i for i, r in enumerate(records) if r is not renamed]))
    records[broken_at], field, id_kept = mutation(records[broken_at])
    event(field)
    before = table_counts(session)

    with pytest.raises(ImportFailed) as caught:
        import_services(session, copy.deepcopy(records), source="fuzz.json")

    issues = caught.value.errors
    assert {issue.record_index for issue in issues} == {broken_at}, caught.value.report()
    assert field in {issue.field for issue in issues}, caught.value.report()
    if id_kept:
        assert {issue.record_id for issue in issues} == {records[broken_at]["id"]}
    assert all(issue.message for issue in issues)
    assert f"record {broken_at + 1}" in caught.value.report()
    assert table_counts(session) == before
    session.expire_all()
    assert session.get(Service, existing["id"]).name == existing["name"]
