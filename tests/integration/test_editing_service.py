"""The editing use cases against a real database: change log, versions, refusals, no lost edits."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from pmhc_directory.db import get_database
from pmhc_directory.models import (
    AnalysisArea,
    CapacityReport,
    ChangeRecord,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
)
from pmhc_directory.services import editing
from pmhc_directory.services.audit import VersionConflictError
from pmhc_directory.services.editing import EditError, HoursInput
from tests.factories import make_location, make_organization, make_service

USER = "coordinator@example.org"

SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[-106.7, 35.0], [-106.6, 35.0], [-106.6, 35.1], [-106.7, 35.1], [-106.7, 35.0]]
    ],
}


def fresh(app) -> Session:
    """A new session: sees only what was committed (to the test's savepoint)."""
    return get_database(app).session()


def changes(session: Session, resource_id: str) -> dict[str, ChangeRecord]:
    rows = session.scalars(select(ChangeRecord).where(ChangeRecord.resource_id == resource_id))
    return {r.field_name: r for r in rows}


def service_data(service: Service, **overrides) -> dict:
    data = editing.service_snapshot(service)
    data.update(overrides)
    return data


@pytest.fixture
def service(session) -> Service:
    svc = make_service(
        session,
        name="Harbor Crisis Center",
        types=("crisis-receiving", "crisis-stabilization"),
        attributes=("walk-in", "open-24-7"),
    )
    session.commit()
    return svc


# update_service --------------------------------------------------------------------------------


def test_update_service_records_each_changed_field_and_bumps_the_version(app, session, service):
    data = service_data(
        service,
        name="Harbor Crisis Receiving Center",
        minimum_age="18",
        payment=["medicaid", "uninsured"],
        eligibility=["veterans"],
        gender="women",
        audience=["lgbtq"],
        languages="es, EN",
        diversion=["walk-in", "accepts-law-enforcement-dropoff"],
    )
    changed = editing.update_service(session, service.id, data, 1, USER)
    session.commit()

    assert set(changed) == {
        "name",
        "minimum_age",
        "payment",
        "eligibility",
        "gender",
        "audience",
        "languages",
        "diversion",
    }
    with fresh(app) as check:
        saved = check.get(Service, service.id)
        assert saved.version == 2
        assert saved.name == "Harbor Crisis Receiving Center"
        assert saved.minimum_age == 18
        snap = editing.service_snapshot(saved)
        assert snap["payment"] == ["medicaid", "uninsured"]
        assert snap["eligibility"] == ["veterans"]
        assert snap["gender"] == "women"
        assert snap["languages"] == ["es", "en"]
        assert [lang.name for lang in saved.languages] == ["Spanish", "English"]
        # The 24/7 fact belongs to the hours editor and survives a service save.
        assert set(snap["diversion"]) == {
            "walk-in",
            "open-24-7",
            "accepts-law-enforcement-dropoff",
        }
        log = changes(check, service.id)
        assert log["name"].previous_value == "Harbor Crisis Center"
        assert log["name"].replacement_value == "Harbor Crisis Receiving Center"
        assert log["name"].updated_by == USER
        assert log["payment"].previous_value == "[]"
        assert log["payment"].replacement_value == '["medicaid","uninsured"]'


def test_update_service_keeps_the_primary_type_first(app, session, service):
    data = service_data(
        service, service_types=["crisis-stabilization", "crisis-receiving", "walk-in"]
    )
    with pytest.raises(EditError) as caught:
        editing.update_service(session, service.id, data, 1, USER)
    assert "service_types" in caught.value.errors

    data["service_types"] = ["mobile-crisis", "crisis-stabilization", "crisis-receiving"]
    editing.update_service(session, service.id, data, 1, USER)
    session.commit()
    with fresh(app) as check:
        types = editing.attribute_codes(check.get(Service, service.id), "service_type")
    assert types == ["crisis-receiving", "crisis-stabilization", "mobile-crisis"]


def test_invalid_service_input_collects_every_problem_and_writes_nothing(app, session, service):
    data = service_data(
        service,
        name="  ",
        status="closed",
        minimum_age="abc",
        maximum_age="-3",
        service_types=[],
        url="javascript:alert(1)",
        email="nobody",
        languages="en, english!",
        diversion=["voluntary-only", "accepts-involuntary"],
    )
    with pytest.raises(EditError) as caught:
        editing.update_service(session, service.id, data, 1, USER)
    session.rollback()

    assert set(caught.value.errors) >= {
        "name",
        "status",
        "minimum_age",
        "maximum_age",
        "service_types",
        "url",
        "email",
        "languages",
        "diversion",
    }
    with fresh(app) as check:
        assert check.get(Service, service.id).version == 1
        assert changes(check, service.id) == {}


def test_age_range_must_be_in_order(session, service):
    with pytest.raises(EditError) as caught:
        editing.update_service(
            session, service.id, service_data(service, minimum_age="30", maximum_age="20"), 1, USER
        )
    assert list(caught.value.errors) == ["maximum_age"]


def test_stale_version_raises_and_writes_nothing(app, session, service):
    editing.update_service(session, service.id, service_data(service, name="First save"), 1, USER)
    session.commit()

    with pytest.raises(VersionConflictError) as caught:
        editing.update_service(session, service.id, service_data(service, name="Second"), 1, USER)
    session.rollback()

    assert caught.value.expected == 1
    assert caught.value.actual == 2
    with fresh(app) as check:
        saved = check.get(Service, service.id)
        assert saved.name == "First save"
        assert saved.version == 2
        assert (
            check.scalar(
                select(func.count())
                .select_from(ChangeRecord)
                .where(ChangeRecord.resource_id == service.id)
            )
            == 1
        )


def test_a_concurrent_write_between_check_and_flush_is_a_conflict(app, session, service):
    """Another writer commits after this session read version 1: the flush finds the row
    changed (version_id_col) and the save becomes a conflict that writes nothing."""
    assert service.version == 1  # loaded in this session's identity map
    session.connection().execute(
        update(Service.__table__)
        .where(Service.__table__.c.id == service.id)
        .values(name="Other writer", version=2)
    )
    session.commit()  # expire_on_commit is off: the session still holds version 1
    with pytest.raises(VersionConflictError):
        editing.update_service(session, service.id, service_data(service, name="Mine"), 1, USER)
    session.rollback()
    with fresh(app) as check:
        assert check.get(Service, service.id).name == "Other writer"
        assert changes(check, service.id) == {}


def test_missing_version_is_a_conflict(session, service):
    with pytest.raises(VersionConflictError):
        editing.update_service(session, service.id, service_data(service), "", USER)


def test_create_service(app, session):
    org = make_organization(session, name="New Org")
    session.commit()
    with pytest.raises(EditError) as caught:
        editing.create_service(session, {"organization_id": org.id, "name": ""}, USER)
    assert set(caught.value.errors) == {"name", "service_types"}

    created = editing.create_service(
        session,
        {"organization_id": org.id, "name": "Night Respite", "service_types": ["crisis-respite"]},
        USER,
    )
    session.commit()
    with fresh(app) as check:
        saved = check.get(Service, created.id)
        assert saved.organization_id == org.id
        assert editing.attribute_codes(saved, "service_type") == ["crisis-respite"]
        log = changes(check, created.id)
        assert log["name"].last_action_type == "create"


# Schedules -------------------------------------------------------------------------------------


def test_replace_schedules_overnight_seasonal_closure(app, session, service):
    hours = HoursInput(
        windows=[
            {"days": ["FR"], "opens_at": "22:00", "closes_at": "06:00"},
            {"days": ["MO", "TU"], "opens_at": "08:00", "closes_at": "17:00"},
            {
                "days": ["SA"],
                "opens_at": "10:00",
                "closes_at": "14:00",
                "valid_from": "2026-06-01",
                "valid_to": "2026-08-31",
            },
            {"days": [], "opens_at": "", "closes_at": ""},
        ],
        closures=[{"valid_from": "2026-12-25", "valid_to": "", "description": "Christmas"}],
    )
    changed = editing.replace_schedules(session, service.id, hours, 1, USER)
    session.commit()

    assert set(changed) == {"schedules", "open_24_7"}
    with fresh(app) as check:
        saved = check.get(Service, service.id)
        assert saved.version == 2
        rows = [
            (s.byday, s.opens_at, s.closes_at, s.valid_from, s.valid_to) for s in saved.schedules
        ]
        assert rows == [
            ("FR", "22:00", "06:00", None, None),
            ("MO,TU", "08:00", "17:00", None, None),
            ("SA", "10:00", "14:00", date(2026, 6, 1), date(2026, 8, 31)),
            (None, None, None, date(2026, 12, 25), date(2026, 12, 25)),
        ]
        # 24/7 was on; the switch was off in this save, so the attribute is gone.
        assert "open-24-7" not in editing.attribute_codes(saved, "diversion")
        log = changes(check, service.id)
        assert json.loads(log["schedules"].replacement_value)[0] == "FR 22:00-06:00"
        assert log["open_24_7"].previous_value == "True"


def test_always_open_sets_the_attribute_and_one_window(app, session):
    svc = make_service(session)
    session.commit()
    editing.replace_schedules(session, svc.id, HoursInput(always_open=True), 1, USER)
    session.commit()
    with fresh(app) as check:
        saved = check.get(Service, svc.id)
        assert [(s.byday, s.opens_at, s.closes_at) for s in saved.schedules] == [
            ("MO,TU,WE,TH,FR,SA,SU", "00:00", "23:59")
        ]
        assert "open-24-7" in editing.attribute_codes(saved, "diversion")
        assert editing.preview_hours(HoursInput(always_open=True)) == ["Open 24/7"]


def test_always_open_with_windows_is_refused(session, service):
    hours = HoursInput(
        windows=[{"days": ["MO"], "opens_at": "08:00", "closes_at": "17:00"}], always_open=True
    )
    with pytest.raises(EditError) as caught:
        editing.replace_schedules(session, service.id, hours, 1, USER)
    assert list(caught.value.errors) == ["always_open"]


@pytest.mark.parametrize(
    ("window", "field"),
    [
        ({"days": ["MO"], "opens_at": "25:00", "closes_at": "17:00"}, "windows-0-opens_at"),
        ({"days": ["MO"], "opens_at": "8am", "closes_at": "17:00"}, "windows-0-opens_at"),
        ({"days": ["MO"], "opens_at": "08:00", "closes_at": "17:61"}, "windows-0-closes_at"),
        ({"days": ["MO"], "opens_at": "08:00", "closes_at": ""}, "windows-0-closes_at"),
        ({"days": [], "opens_at": "08:00", "closes_at": "17:00"}, "windows-0-days"),
        (
            {
                "days": ["MO"],
                "opens_at": "08:00",
                "closes_at": "17:00",
                "valid_from": "2026-09-01",
                "valid_to": "2026-06-01",
            },
            "windows-0-valid_to",
        ),
        (
            {"days": ["MO"], "opens_at": "08:00", "closes_at": "17:00", "valid_from": "June"},
            "windows-0-valid_from",
        ),
    ],
)
def test_windows_the_engine_cannot_read_are_refused(app, session, service, window, field):
    with pytest.raises(EditError) as caught:
        editing.replace_schedules(session, service.id, HoursInput(windows=[window]), 1, USER)
    session.rollback()
    assert field in caught.value.errors
    with fresh(app) as check:
        assert check.get(Service, service.id).version == 1


def test_rows_the_editor_cannot_show_are_kept(app, session, service):
    service.schedules.append(
        Schedule(freq="MONTHLY", byday="2MO", opens_at="09:00", closes_at="12:00")
    )
    session.commit()
    hours = HoursInput(windows=[{"days": ["TU"], "opens_at": "08:00", "closes_at": "12:00"}])
    editing.replace_schedules(session, service.id, hours, 1, USER)
    session.commit()
    with fresh(app) as check:
        rows = [(s.freq, s.byday) for s in check.get(Service, service.id).schedules]
    assert rows == [("WEEKLY", "TU"), ("MONTHLY", "2MO")]


def test_stale_hours_save_writes_nothing(app, session, service):
    editing.replace_schedules(session, service.id, HoursInput(always_open=True), 1, USER)
    session.commit()
    with pytest.raises(VersionConflictError):
        editing.replace_schedules(session, service.id, HoursInput(), 1, USER)
    session.rollback()
    with fresh(app) as check:
        assert len(check.get(Service, service.id).schedules) == 1


# Organizations and locations -------------------------------------------------------------------


def test_update_organization_with_phones(app, session):
    org = make_organization(session, name="Old Name")
    org.phones.append(Phone(number="505-555-0100", type="voice"))
    session.commit()
    data = {
        "name": "New Name",
        "description": "An organization made by a test.",
        "website": "https://example.org",
        "phones": [
            {"number": "505-555-0100", "type": "voice", "remove": True},
            {"number": "505-555-0199", "type": "text", "description": "Text line"},
            {"number": "", "type": "voice"},
        ],
    }
    changed = editing.update_organization(session, org.id, data, 1, USER)
    session.commit()
    assert set(changed) == {"name", "website", "phones"}
    with fresh(app) as check:
        saved = check.get(Organization, org.id)
        assert saved.version == 2
        assert [(p.number, p.type) for p in saved.phones] == [("505-555-0199", "text")]
        assert changes(check, org.id)["name"].resource_type == "organization"

    with pytest.raises(VersionConflictError):
        editing.update_organization(session, org.id, data, 1, USER)


def test_update_organization_refuses_bad_input(session):
    org = make_organization(session)
    session.commit()
    data = {"name": "", "website": "example", "phones": [{"number": "call us", "type": "voice"}]}
    with pytest.raises(EditError) as caught:
        editing.update_organization(session, org.id, data, 1, USER)
    assert set(caught.value.errors) == {"name", "website", "phones-0-number"}


def test_update_location_address_coordinates_and_phones(app, session):
    location = make_location(session, name="Main Site")
    session.commit()
    data = {
        "name": "Main Site",
        "location_type": "physical",
        "address_1": "100 Main St",
        "city": "Mesa Ridge",
        "state_province": "NM",
        "postal_code": "87101",
        "country": "",
        "latitude": "35.1",
        "longitude": "-106.6",
        "phones": [{"number": "505-555-0123", "type": "voice"}],
    }
    changed = editing.update_location(session, location.id, data, 1, USER)
    session.commit()
    assert set(changed) == {"address", "latitude", "longitude", "phones"}
    with fresh(app) as check:
        saved = check.get(Location, location.id)
        assert saved.version == 2
        assert (saved.addresses[0].city, saved.addresses[0].country) == ("Mesa Ridge", "US")
        assert (saved.latitude, saved.longitude) == (35.1, -106.6)
        assert changes(check, location.id)["latitude"].previous_value == "35.0844"


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"latitude": "95", "longitude": "0"}, {"latitude"}),
        ({"latitude": "10", "longitude": "-200"}, {"longitude"}),
        ({"latitude": "north", "longitude": "1"}, {"latitude"}),
        ({"latitude": "10", "longitude": ""}, {"longitude"}),
        ({"address_1": "1 Main St"}, {"city", "state_province", "postal_code"}),
        ({"location_type": "boat"}, {"location_type"}),
    ],
)
def test_update_location_refuses_bad_input(session, overrides, fields):
    location = make_location(session)
    session.commit()
    data = {"name": "X", "location_type": "physical", "latitude": "35", "longitude": "-106"}
    data.update(overrides)
    with pytest.raises(EditError) as caught:
        editing.update_location(session, location.id, data, 1, USER)
    assert set(caught.value.errors) == fields


# Capacity --------------------------------------------------------------------------------------


def test_set_capacity_updates_and_appends_a_report(app, session, service):
    editing.set_capacity(
        session, service.id, {"unit": "bed", "available": "3", "maximum": "12"}, 1, USER
    )
    session.commit()
    editing.set_capacity(
        session, service.id, {"unit": "bed", "available": "2", "maximum": "12"}, 2, USER
    )
    session.commit()
    with fresh(app) as check:
        saved = check.get(Service, service.id)
        assert saved.version == 3
        assert [(c.unit.name, c.available, c.maximum) for c in saved.capacities] == [("bed", 2, 12)]
        reports = list(
            check.scalars(
                select(CapacityReport)
                .where(CapacityReport.service_id == service.id)
                .order_by(CapacityReport.available.desc())
            )
        )
        assert [(r.available, r.source) for r in reports] == [
            (3, f"user:{USER}"),
            (2, f"user:{USER}"),
        ]
        log = changes(check, service.id)["capacity"]
        assert json.loads(log.replacement_value) == [{"available": 2, "maximum": 12, "unit": "bed"}]


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"unit": "couch", "available": "1"}, {"unit"}),
        ({"unit": "bed", "available": ""}, {"available"}),
        ({"unit": "bed", "available": "-1"}, {"available"}),
        ({"unit": "bed", "available": "5", "maximum": "4"}, {"available"}),
    ],
)
def test_set_capacity_refuses_bad_input(app, session, service, data, fields):
    with pytest.raises(EditError) as caught:
        editing.set_capacity(session, service.id, data, 1, USER)
    session.rollback()
    assert set(caught.value.errors) == fields
    with fresh(app) as check:
        assert check.scalar(select(func.count()).select_from(CapacityReport)) == 0


# Service areas ---------------------------------------------------------------------------------


def _area(session, area_id: str, x0: float) -> AnalysisArea:
    geometry = {
        "type": "Polygon",
        "coordinates": [[[x0, 35.0], [x0 + 0.1, 35.0], [x0 + 0.1, 35.1], [x0, 35.1], [x0, 35.0]]],
    }
    area = AnalysisArea(
        id=area_id,
        name=f"Tract {area_id}",
        population=100,
        geometry=json.dumps(geometry),
        centre_lat=35.05,
        centre_lon=x0 + 0.05,
        min_lon=x0,
        min_lat=35.0,
        max_lon=x0 + 0.1,
        max_lat=35.1,
    )
    session.add(area)
    return area


def test_set_service_areas_from_geojson_feature_collection(app, session, service):
    text = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {}, "geometry": SQUARE}],
        }
    )
    changed = editing.set_service_areas(session, service.id, 1, USER, geojson=text, name="Downtown")
    session.commit()
    assert changed == ["service_areas"]
    with fresh(app) as check:
        saved = check.get(Service, service.id)
        assert saved.version == 2
        (area,) = saved.service_areas
        assert (area.name, area.extent_type) == ("Downtown", "geojson")
        assert (area.min_lon, area.max_lat) == (-106.7, 35.1)


def test_a_self_intersecting_polygon_is_repaired(session, service):
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    editing.set_service_areas(session, service.id, 1, USER, geojson=json.dumps(bowtie))
    assert service.service_areas[0].extent.startswith('{"type":"MultiPolygon"')


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        json.dumps({"type": "Point", "coordinates": [0, 0]}),
        json.dumps(
            {
                "type": "Polygon",
                "coordinates": [
                    [[500000, 4000000], [500100, 4000000], [500100, 4000100], [500000, 4000000]]
                ],
            }
        ),
        json.dumps({"type": "FeatureCollection", "features": []}),
    ],
)
def test_unusable_geojson_is_refused(app, session, service, text):
    with pytest.raises(EditError) as caught:
        editing.set_service_areas(session, service.id, 1, USER, geojson=text)
    session.rollback()
    assert list(caught.value.errors) == ["geojson"]
    with fresh(app) as check:
        assert check.get(Service, service.id).service_areas == []


def test_set_service_areas_from_analysis_areas_and_clear(app, session, service):
    _area(session, "T1", -106.7)
    _area(session, "T2", -106.6)
    session.commit()
    editing.set_service_areas(session, service.id, 1, USER, area_ids=["T1", "T2"])
    session.commit()
    with fresh(app) as check:
        (area,) = check.get(Service, service.id).service_areas
        assert area.name == "Tract T1, Tract T2"
        assert (area.min_lon, area.max_lon) == pytest.approx((-106.7, -106.5))
        drawn = editing.area_map(check, check.get(Service, service.id), ["T1"])
        assert len(drawn.areas) == 2 and drawn.areas[0].chosen
        assert len(drawn.service_areas) == 1

    with pytest.raises(EditError):
        editing.set_service_areas(session, service.id, 2, USER, area_ids=["nope"])
    session.rollback()
    editing.set_service_areas(session, service.id, 2, USER, clear=True)
    session.commit()
    with fresh(app) as check:
        assert check.get(Service, service.id).service_areas == []
        assert check.get(Service, service.id).version == 3
