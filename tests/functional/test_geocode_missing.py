"""Placing listings without coordinates: ``flask geocode-missing`` and the coordinators' button.

The test app runs offline (no ``GEOCODER``): an address ending in a real ZIP is placed at that
ZIP's centroid by the offline geocoder's ZIP fallback; a nonsense address is not placed.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from pmhc_directory.models import Address, ChangeRecord, Role
from pmhc_directory.services.geocode_missing import address_text, geocode_missing
from pmhc_directory.services.lookup import build_geocoder
from tests.factories import TEST_PASSWORD, make_location, make_user

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
BUTTON = "/inventory/geocode-missing"
# ZIP 87102 (downtown Albuquerque): its centroid lies within a few km of here.
ZIP_LAT, ZIP_LON = 35.08, -106.65


def add_address(session, location, address_1, city, state, postal_code):
    location.addresses.append(
        Address(
            address_1=address_1,
            city=city,
            state_province=state,
            postal_code=postal_code,
            country="US",
        )
    )
    session.flush()


@pytest.fixture
def listings(session):
    """One placeable location, one nonsense one, one without address, two to leave alone."""
    by_zip = make_location(session, name="Zip Only Clinic", latitude=None, longitude=None)
    add_address(session, by_zip, "4410 Unmapped Road", "Albuquerque", "NM", "87102")
    nonsense = make_location(session, name="Mystery Site", latitude=None, longitude=None)
    add_address(session, nonsense, "Qwxz Plkj", "Zzyzxville", "QQ", "ABCDE")
    bare = make_location(session, name="No Address Site", latitude=None, longitude=None)
    placed = make_location(session, name="Already Placed", latitude=35.1, longitude=-106.6)
    add_address(session, placed, "1 Placed Way", "Albuquerque", "NM", "87102")
    virtual = make_location(
        session, name="Online Only", location_type="virtual", latitude=None, longitude=None
    )
    session.commit()
    return {
        "by_zip": by_zip,
        "nonsense": nonsense,
        "bare": bare,
        "placed": placed,
        "virtual": virtual,
    }


def location_changes(session, location) -> list[ChangeRecord]:
    return list(
        session.scalars(
            select(ChangeRecord)
            .where(
                ChangeRecord.resource_type == "location",
                ChangeRecord.resource_id == location.id,
            )
            .order_by(ChangeRecord.field_name)
        )
    )


def assert_placed_near_the_zip(location):
    assert location.latitude == pytest.approx(ZIP_LAT, abs=0.1)
    assert location.longitude == pytest.approx(ZIP_LON, abs=0.1)


def assert_untouched(listings):
    for key in ("by_zip", "nonsense", "bare", "virtual"):
        assert listings[key].latitude is None and listings[key].longitude is None
    assert (listings["placed"].latitude, listings["placed"].longitude) == (35.1, -106.6)


# --------------------------------------------------------------------------- service


def test_address_text():
    address = Address(
        address_1=" 1 Main St ", city="Albuquerque", state_province="NM", postal_code="87102"
    )
    assert address_text(address) == "1 Main St, Albuquerque, NM 87102"
    assert address_text(None) == ""


def test_service_places_by_zip_and_reports_the_rest(app, session, listings):
    geocoder = build_geocoder(session, app.config, date.today())

    report = geocode_missing(session, geocoder, dry_run=False)
    session.commit()
    session.expire_all()

    assert [p.name for p in report.placed] == ["Zip Only Clinic"]
    assert report.placed[0].source == "zip" and report.placed[0].approximate
    assert [(f.name, f.reason) for f in report.failed] == [
        ("Mystery Site", "address not found"),
        ("No Address Site", "no address"),
    ]
    assert_placed_near_the_zip(listings["by_zip"])
    assert listings["nonsense"].latitude is None
    assert listings["virtual"].latitude is None
    changes = location_changes(session, listings["by_zip"])
    assert [(c.field_name, c.updated_by, c.previous_value) for c in changes] == [
        ("latitude", "system:geocode-missing", ""),
        ("longitude", "system:geocode-missing", ""),
    ]
    assert float(changes[0].replacement_value) == listings["by_zip"].latitude
    assert location_changes(session, listings["nonsense"]) == []


# --------------------------------------------------------------------------- command


def test_command_places_and_lists_what_it_could_not(runner, session, listings):
    result = runner.invoke(args=["geocode-missing"])

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "placed: Zip Only Clinic | 4410 Unmapped Road, Albuquerque, NM 87102" in out
    assert "approximate" in out
    assert "Could not place 2 location(s)" in out
    assert "not placed: Mystery Site | Qwxz Plkj, Zzyzxville, QQ ABCDE" in out
    assert "not placed: No Address Site | (no address)" in out
    assert "Placed 1 of 3 locations" in out
    session.expire_all()
    assert_placed_near_the_zip(listings["by_zip"])
    assert len(location_changes(session, listings["by_zip"])) == 2


def test_dry_run_changes_nothing(runner, session, listings):
    result = runner.invoke(args=["geocode-missing", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "Dry run, nothing written. Would place 1 of 3" in result.stdout
    assert "not placed: Mystery Site" in result.stdout
    session.expire_all()
    assert_untouched(listings)
    assert location_changes(session, listings["by_zip"]) == []


def test_command_with_nothing_to_do(runner, session):
    result = runner.invoke(args=["geocode-missing"])
    assert result.exit_code == 0, result.output
    assert "Placed 0 of 0 locations" in result.stdout


# --------------------------------------------------------------------------- button


def csrf_token(client, path: str) -> str:
    match = CSRF_RE.search(client.get(path).get_data(as_text=True))
    assert match, f"no csrf_token on {path}"
    return match.group(1)


def log_in(client, session, role: Role) -> None:
    user = make_user(session, role, email=f"{role.value}@example.org")
    session.commit()
    data = {"csrf_token": csrf_token(client, "/login"), "email": user.email}
    response = client.post("/login", data={**data, "password": TEST_PASSWORD})
    assert response.status_code == 302


def test_button_page_for_coordinators(client, session, listings):
    log_in(client, session, Role.COORDINATOR)

    page = client.get(BUTTON)

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "3 physical locations without coordinates" in html
    assert f'action="{BUTTON}"' in html
    assert CSRF_RE.search(html)
    assert_untouched(listings)


def test_button_places_and_reports(client, session, listings):
    log_in(client, session, Role.COORDINATOR)
    response = client.post(BUTTON, data={"csrf_token": csrf_token(client, BUTTON)})

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Placed 1 of 3 locations" in html
    assert "Not placed" in html
    assert "Mystery Site" in html and "Qwxz Plkj, Zzyzxville, QQ ABCDE" in html
    assert "No Address Site" in html
    assert "Zip Only Clinic" in html
    session.expire_all()
    assert_placed_near_the_zip(listings["by_zip"])


def test_button_needs_the_csrf_token(client, session, listings):
    log_in(client, session, Role.ADMIN)
    response = client.post(BUTTON, data={})
    assert response.status_code == 400
    session.expire_all()
    assert_untouched(listings)


@pytest.mark.parametrize("role", [Role.OFFICER, Role.PLANNER])
def test_button_is_403_for_other_roles(client, session, listings, role):
    log_in(client, session, role)
    assert client.get(BUTTON).status_code == 403
    # A valid CSRF token (from the home page's logout form) still does not let them in.
    response = client.post(BUTTON, data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 403
    session.expire_all()
    assert_untouched(listings)


def test_button_needs_a_login(client, session, listings):
    assert client.get(BUTTON).status_code == 302
    response = client.post(BUTTON, data={"csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    session.expire_all()
    assert_untouched(listings)
