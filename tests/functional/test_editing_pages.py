"""The editing pages over HTTP with CSRF on: forms as a browser submits them, conflicts between
two sessions, and who may use them."""

from __future__ import annotations

import io
import json
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from pmhc_directory.db import get_database
from pmhc_directory.hours import ScheduleRule, describe
from pmhc_directory.models import (
    AnalysisArea,
    CapacityReport,
    ChangeRecord,
    Location,
    Organization,
    Role,
    Service,
)
from pmhc_directory.services import editing
from tests.factories import make_location, make_service, make_user
from tests.functional.test_auth import log_in

SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[-106.7, 35.0], [-106.6, 35.0], [-106.6, 35.1], [-106.7, 35.1], [-106.7, 35.0]]
    ],
}


class FormReader(HTMLParser):
    """The fields of the first POST form of a page, as a browser would submit them."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self.in_form = False
        self.done = False
        self.select: str | None = None
        self.select_first: str | None = None
        self.select_chosen = False
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self.done:
            return
        if (
            tag == "form"
            and (a.get("method") or "").lower() == "post"
            and "nav-form" not in (a.get("class") or "")
        ):
            self.in_form = True
        if not self.in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "file"):
                self.fields.append((name, a.get("value", "")))
        elif tag == "select":
            self.select, self.select_first, self.select_chosen = name, None, False
        elif tag == "option" and self.select:
            if self.select_first is None:
                self.select_first = a.get("value", "")
            if "selected" in a:
                self.fields.append((self.select, a.get("value", "")))
                self.select_chosen = True
        elif tag == "textarea":
            self.textarea, self.text = name, ""

    def handle_endtag(self, tag):
        if not self.in_form:
            return
        if tag == "select" and self.select:
            if not self.select_chosen and self.select_first is not None:
                self.fields.append((self.select, self.select_first))
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.fields.append((self.textarea, self.text.lstrip("\n")))
            self.textarea = None
        elif tag == "form":
            self.in_form, self.done = False, True

    def handle_data(self, data):
        if self.textarea:
            self.text += data


def form_fields(client, path: str) -> dict[str, list[str]]:
    response = client.get(path)
    assert response.status_code == 200, path
    reader = FormReader()
    reader.feed(response.get_data(as_text=True))
    fields: dict[str, list[str]] = {}
    for name, value in reader.fields:
        fields.setdefault(name, []).append(value)
    return fields


def submit(client, path: str, fields: dict[str, list[str]], **changes):
    data = dict(fields)
    for name, value in changes.items():
        name = name.replace("__", "-")
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value if isinstance(value, list) else [value]
    return client.post(path, data=data)


@pytest.fixture
def coordinator(session):
    user = make_user(session, Role.COORDINATOR, email="coord@example.org")
    session.commit()
    return user


@pytest.fixture
def service(session):
    svc = make_service(session, name="Harbor Crisis Center", attributes=("walk-in",))
    location = make_location(session, svc, name="Harbor Main")
    svc.location_id_for_tests = location.id
    session.commit()
    return svc


@pytest.fixture
def logged_in(client, coordinator):
    response = log_in(client, coordinator.email)
    assert response.status_code == 302
    return client


def reread(app, model, obj_id):
    with get_database(app).session() as check:
        obj = check.get(model, obj_id)
        check.expunge_all()
    return obj


# Service fields --------------------------------------------------------------------------------


def test_edit_service_fields(app, logged_in, service):
    path = f"/inventory/services/{service.id}/edit"
    fields = form_fields(logged_in, path)
    assert fields["version"] == ["1"]
    assert fields["service_types"] == ["crisis-receiving"]
    assert fields["diversion"] == ["walk-in"]

    response = submit(
        logged_in,
        path,
        fields,
        name="Harbor Crisis Receiving",
        alert="No beds until Monday",
        minimum_age="18",
        gender="women",
        eligibility=["veterans"],
        payment=["medicaid", "free"],
        languages="en, es",
        diversion=["walk-in", "accepts-law-enforcement-dropoff"],
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/services/{service.id}"
    page = logged_in.get(f"/services/{service.id}").get_data(as_text=True)
    assert "Saved." in page
    assert "Harbor Crisis Receiving" in page
    assert "Accepts law enforcement drop-off" in page
    assert "Women only" in page

    with get_database(app).session() as check:
        saved = check.get(Service, service.id)
        assert saved.version == 2
        snap = editing.service_snapshot(saved)
        assert snap["payment"] == ["medicaid", "free"]
        assert snap["languages"] == ["en", "es"]
        log = {
            r.field_name: r
            for r in check.scalars(
                select(ChangeRecord).where(ChangeRecord.resource_id == service.id)
            )
        }
        assert log["alert"].updated_by == "coord@example.org"
        assert log["alert"].replacement_value == "No beds until Monday"


def test_invalid_service_input_shows_messages_beside_fields_and_saves_nothing(
    app, logged_in, service
):
    path = f"/inventory/services/{service.id}/edit"
    fields = form_fields(logged_in, path)
    response = submit(
        logged_in, path, fields, name="", minimum_age="ten", service_types=None, languages="en, ?"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was saved." in html
    assert 'id="name-error"' in html and "Enter the service&#39;s name." in html
    assert 'id="minimum_age-error"' in html and "Enter a whole number" in html
    assert 'id="service_types-error"' in html and "Choose at least one service type." in html
    assert 'id="languages-error"' in html
    # The submitted values are kept in the form.
    assert 'value="ten"' in html
    assert reread(app, Service, service.id).version == 1


def test_new_service(app, logged_in, service):
    fields = form_fields(logged_in, "/inventory/services/new")
    response = submit(
        logged_in,
        "/inventory/services/new",
        fields,
        organization_id=service.organization_id,
        name="Night Respite",
        service_types=["crisis-respite"],
    )
    assert response.status_code == 302
    new_id = response.headers["Location"].split("/")[3]
    assert reread(app, Service, new_id).name == "Night Respite"

    response = submit(logged_in, "/inventory/services/new", fields, name="")
    assert response.status_code == 422
    assert "Choose the organization" in response.get_data(as_text=True)


# Hours -----------------------------------------------------------------------------------------


def test_hours_editor_overnight_seasonal_closure(app, logged_in, service):
    path = f"/inventory/services/{service.id}/hours"
    fields = form_fields(logged_in, path)
    page = logged_in.get(path).get_data(as_text=True)
    assert "runs overnight" in page
    assert 'name="windows-3-opens_at"' in page  # four blank rows without JavaScript
    response = submit(
        logged_in,
        path,
        fields,
        windows__0__days=["FR"],
        windows__0__opens_at="22:00",
        windows__0__closes_at="06:00",
        windows__1__days=["MO", "TU", "WE", "TH", "FR"],
        windows__1__opens_at="08:00",
        windows__1__closes_at="17:00",
        windows__2__days=["SA"],
        windows__2__opens_at="10:00",
        windows__2__closes_at="14:00",
        windows__2__valid_from="2026-06-01",
        windows__2__valid_to="2026-08-31",
        closures__0__valid_from="2026-12-25",
        closures__0__description="Christmas",
        action="save",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with get_database(app).session() as check:
        saved = check.get(Service, service.id)
        rules = [
            ScheduleRule.from_mapping(
                {
                    "byday": s.byday,
                    "opens_at": s.opens_at,
                    "closes_at": s.closes_at,
                    "valid_from": s.valid_from,
                    "valid_to": s.valid_to,
                }
            )
            for s in saved.schedules
        ]
        lines = describe(rules)
    detail = logged_in.get(f"/services/{service.id}").get_data(as_text=True)
    assert lines
    for line in lines:
        assert line.replace("&", "&amp;") in detail or line in detail
    assert any("Fri" in line and "10:00 PM" in line for line in lines)
    assert any("2026-06-01" in line for line in lines)
    assert any("Closed 2026-12-25" in line for line in lines)

    # The editor shows the saved rows back, plus blank ones.
    again = form_fields(logged_in, path)
    assert again["windows-0-days"] == ["FR"]
    assert again["windows-0-closes_at"] == ["06:00"]
    assert again["closures-0-valid_from"] == ["2026-12-25"]
    assert "windows-6-opens_at" in again


def test_hours_editor_24_7_switch(app, logged_in, service):
    path = f"/inventory/services/{service.id}/hours"
    response = submit(logged_in, path, form_fields(logged_in, path), always_open="y", action="save")
    assert response.status_code == 302
    detail = logged_in.get(f"/services/{service.id}").get_data(as_text=True)
    assert "Open 24/7" in detail
    saved = reread(app, Service, service.id)
    with get_database(app).session() as check:
        saved = check.get(Service, service.id)
        assert "open-24-7" in editing.attribute_codes(saved, "diversion")
        assert [(s.opens_at, s.closes_at) for s in saved.schedules] == [("00:00", "23:59")]
    fields = form_fields(logged_in, path)
    assert fields["always_open"] == ["y"]
    assert "windows-0-opens_at" in fields and fields["windows-0-opens_at"] == [""]


def test_a_bad_time_shows_a_message_beside_the_field_and_saves_nothing(app, logged_in, service):
    path = f"/inventory/services/{service.id}/hours"
    response = submit(
        logged_in,
        path,
        form_fields(logged_in, path),
        windows__1__days=["MO"],
        windows__1__opens_at="8 in the morning",
        windows__1__closes_at="17:00",
        action="save",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="windows-1-opens_at-error"' in html
    assert "is not a time of day. Enter a time like 9am" in html
    assert 'value="8 in the morning"' in html
    saved = reread(app, Service, service.id)
    assert saved.version == 1
    with get_database(app).session() as check:
        assert check.get(Service, service.id).schedules == []


def test_hours_preview_describes_without_saving(app, logged_in, service):
    path = f"/inventory/services/{service.id}/hours"
    response = submit(
        logged_in,
        path,
        form_fields(logged_in, path),
        windows__0__days=["FR"],
        windows__0__opens_at="22:00",
        windows__0__closes_at="06:00",
        action="preview",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Preview (not saved yet)" in html
    assert "Fri 10:00 PM" in html
    assert reread(app, Service, service.id).version == 1


# Two sessions ------------------------------------------------------------------------------------


def test_two_sessions_second_save_gets_the_conflict_page(app, session, service, coordinator):
    other = make_user(session, Role.COORDINATOR, email="second@example.org")
    session.commit()
    first, second = app.test_client(), app.test_client()
    assert log_in(first, coordinator.email).status_code == 302
    assert log_in(second, other.email).status_code == 302
    path = f"/inventory/services/{service.id}/edit"
    first_form = form_fields(first, path)
    second_form = form_fields(second, path)

    assert submit(first, path, first_form, alert="Closed for repairs").status_code == 302
    response = submit(second, path, second_form, alert="Beds available")
    html = response.get_data(as_text=True)

    assert response.status_code == 409
    assert "Your changes were not saved." in html
    assert "Beds available" in html  # your version
    assert "Closed for repairs" in html  # current version
    assert "coord@example.org" in html  # who changed it last
    assert f'href="/inventory/services/{service.id}/edit"' in html
    saved = reread(app, Service, service.id)
    assert saved.alert == "Closed for repairs"
    assert saved.version == 2
    with get_database(app).session() as check:
        authors = set(
            check.scalars(
                select(ChangeRecord.updated_by).where(ChangeRecord.resource_id == service.id)
            )
        )
    assert authors == {"coord@example.org"}


def test_stale_hours_form_conflicts(app, logged_in, service):
    path = f"/inventory/services/{service.id}/hours"
    fields = form_fields(logged_in, path)
    assert submit(logged_in, path, fields, always_open="y", action="save").status_code == 302
    response = submit(
        logged_in,
        path,
        fields,
        windows__0__days=["MO"],
        windows__0__opens_at="09:00",
        windows__0__closes_at="10:00",
        action="save",
    )
    assert response.status_code == 409
    assert "Mon; Opens: 09:00" in response.get_data(as_text=True)
    assert reread(app, Service, service.id).version == 2


# Organizations and locations -------------------------------------------------------------------


def test_edit_organization_and_phones(app, logged_in, service):
    path = f"/inventory/organizations/{service.organization_id}/edit"
    fields = form_fields(logged_in, path)
    response = submit(
        logged_in,
        path,
        fields,
        name="Harbor Health",
        phones__0__number="505-555-0100",
        phones__0__type="voice",
        phones__1__number="505-555-0101",
        phones__1__type="text",
    )
    assert response.status_code == 302
    with get_database(app).session() as check:
        org = check.get(Organization, service.organization_id)
        assert org.name == "Harbor Health"
        assert [(p.number, p.type) for p in org.phones] == [
            ("505-555-0100", "voice"),
            ("505-555-0101", "text"),
        ]
    # Remove one.
    fields = form_fields(logged_in, path)
    assert submit(logged_in, path, fields, phones__0__remove="y").status_code == 302
    with get_database(app).session() as check:
        org = check.get(Organization, service.organization_id)
        assert [p.number for p in org.phones] == ["505-555-0101"]
        assert org.version == 3


def test_edit_location_address_and_coordinates(app, logged_in, service):
    path = f"/inventory/locations/{service.location_id_for_tests}/edit"
    fields = form_fields(logged_in, path)
    response = submit(
        logged_in,
        path,
        fields,
        address_1="100 Main St",
        city="Mesa Ridge",
        state_province="NM",
        postal_code="87101",
        latitude="35.2",
        longitude="-106.5",
    )
    assert response.status_code == 302
    saved = reread(app, Location, service.location_id_for_tests)
    assert (saved.latitude, saved.longitude) == (35.2, -106.5)

    fields = form_fields(logged_in, path)
    response = submit(logged_in, path, fields, latitude="135", longitude="-106.5")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="latitude-error"' in html and "from -90 to 90" in html
    assert reread(app, Location, service.location_id_for_tests).latitude == 35.2


# Capacity and areas ------------------------------------------------------------------------------


def test_set_capacity_adds_a_report(app, logged_in, service):
    path = f"/inventory/services/{service.id}/capacity"
    fields = form_fields(logged_in, path)
    response = submit(logged_in, path, fields, unit="bed", available="4", maximum="16")
    assert response.status_code == 302
    detail = logged_in.get(f"/services/{service.id}").get_data(as_text=True)
    assert "4" in detail and "16" in detail
    with get_database(app).session() as check:
        reports = list(
            check.scalars(select(CapacityReport).where(CapacityReport.service_id == service.id))
        )
        assert [(r.available, r.maximum, r.source) for r in reports] == [
            (4, 16, "user:coord@example.org")
        ]
        assert check.get(Service, service.id).capacities[0].available == 4

    response = submit(logged_in, path, form_fields(logged_in, path), available="20")
    assert response.status_code == 422
    assert "Available cannot be more than the maximum." in response.get_data(as_text=True)


def test_upload_geojson_valid_and_invalid(app, logged_in, service):
    path = f"/inventory/services/{service.id}/areas"
    fields = form_fields(logged_in, path)
    data = dict(fields)
    data["name"] = "Harbor district"
    data["geojson"] = (
        io.BytesIO(json.dumps({"type": "Feature", "geometry": SQUARE}).encode()),
        "area.geojson",
    )
    response = logged_in.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    page = logged_in.get(path).get_data(as_text=True)
    assert "Harbor district" in page
    assert 'class="map-service-area"' in page
    assert "style=" not in page

    data = dict(form_fields(logged_in, path))
    data["geojson"] = (io.BytesIO(b'{"type": "Point", "coordinates": [0, 0]}'), "point.geojson")
    response = logged_in.post(path, data=data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="geojson-error"' in html and "expected a GeoJSON Polygon or MultiPolygon" in html
    with get_database(app).session() as check:
        assert [a.name for a in check.get(Service, service.id).service_areas] == ["Harbor district"]


def test_choose_analysis_areas(app, session, logged_in, service):
    for area_id, x0 in (("T1", -106.7), ("T2", -106.6)):
        geometry = json.loads(json.dumps(SQUARE))
        geometry["coordinates"] = [
            [
                [x + (x0 + 106.7) if i == 0 else x for i, x in enumerate(p)]
                for p in SQUARE["coordinates"][0]
            ]
        ]
        session.add(
            AnalysisArea(
                id=area_id,
                name=f"Tract {area_id}",
                population=1,
                geometry=json.dumps(geometry),
                centre_lat=35.05,
                centre_lon=x0 + 0.05,
                min_lon=x0,
                min_lat=35.0,
                max_lon=x0 + 0.1,
                max_lat=35.1,
            )
        )
    session.commit()
    path = f"/inventory/services/{service.id}/areas"
    fields = form_fields(logged_in, path)
    page = logged_in.get(path).get_data(as_text=True)
    assert page.count('class="map-area"') == 2
    response = submit(logged_in, path, fields, areas=["T1", "T2"])
    assert response.status_code == 302
    with get_database(app).session() as check:
        (area,) = check.get(Service, service.id).service_areas
        assert area.name == "Tract T1, Tract T2"
        assert area.min_lon == pytest.approx(-106.7) and area.max_lon == pytest.approx(-106.5)


# Access control and CSRF ----------------------------------------------------------------------

ROUTES = [
    "/inventory/services/{service}/edit",
    "/inventory/services/{service}/hours",
    "/inventory/services/new",
    "/inventory/organizations/{organization}/edit",
    "/inventory/locations/{location}/edit",
    "/inventory/services/{service}/capacity",
    "/inventory/services/{service}/areas",
]


def _path(template, service):
    return template.format(
        service=service.id,
        organization=service.organization_id,
        location=service.location_id_for_tests,
    )


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_users_are_sent_to_login(client, service, route, method):
    path = _path(route, service)
    response = getattr(client, method)(path)
    if method == "post":
        # CSRF is checked first for anonymous posts too: nothing reaches the view either way.
        assert response.status_code in (302, 400)
        client.get("/login")
        with client.session_transaction() as flask_session:
            token = flask_session.get("csrf_token")
        assert token is not None
    else:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("route", ROUTES)
def test_anonymous_post_with_a_valid_token_is_sent_to_login(client, service, route):
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post(_path(route, service), data={"csrf_token": token, "version": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", [Role.OFFICER, Role.PLANNER])
@pytest.mark.parametrize("route", ROUTES)
def test_other_roles_get_403(client, session, service, role, route):
    user = make_user(session, role)
    session.commit()
    log_in(client, user.email)
    html = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    path = _path(route, service)
    assert client.get(path).status_code == 403
    assert client.post(path, data={"csrf_token": token, "version": "1"}).status_code == 403
    assert reread(client.application, Service, service.id).version == 1


@pytest.mark.parametrize("route", ROUTES)
def test_posts_without_csrf_token_are_refused(app, logged_in, service, route):
    path = _path(route, service)
    fields = form_fields(logged_in, path)
    fields.pop("csrf_token")
    response = logged_in.post(path, data=fields)
    assert response.status_code == 400
    assert reread(app, Service, service.id).version == 1


def test_unknown_records_are_404(logged_in):
    assert logged_in.get("/inventory/services/not-a-uuid/edit").status_code == 404
    missing = "00000000-0000-4000-8000-000000000000"
    assert logged_in.get(f"/inventory/locations/{missing}/edit").status_code == 404
