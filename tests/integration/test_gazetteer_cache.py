"""The lookup's gazetteer: loaded only for typed places, reloaded only when its data changed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import OperationalError

from pmhc_directory.models import Address, Place
from pmhc_directory.services.lookup import build_geocoder, places
from tests.factories import make_location, make_service

TODAY = datetime(2026, 11, 28, tzinfo=UTC).date()


def _geocoder(session):
    config = {"DATABASE_URL": f"gazetteer-cache-{id(session)}", "GEOCODER": ""}
    geocoder = build_geocoder(session, config, TODAY)
    return geocoder, places.gazetteer_cache(config)


def _site(session, address_1: str, lat: float, lon: float) -> None:
    service = make_service(session, name=f"Site at {address_1}", types=("crisis-receiving",))
    location = make_location(session, service, latitude=lat, longitude=lon)
    session.add(
        Address(
            location=location,
            address_1=address_1,
            city="Cedar Bluff",
            state_province="NM",
            postal_code="87102",
            country="US",
        )
    )
    session.flush()


def test_coordinates_and_zip_codes_never_load_it(session):
    geocoder, cache = _geocoder(session)
    assert geocoder.geocode("35.08, -106.65") is not None
    assert geocoder.geocode("87102") is not None
    assert cache.loads == 0


def test_loaded_once_and_again_only_after_a_change(session):
    _site(session, "100 Sample Street", 35.11, -106.61)
    geocoder, cache = _geocoder(session)
    assert geocoder.geocode("100 Sample St, Cedar Bluff").lat == pytest.approx(35.11)
    assert geocoder.geocode("100 Sample Street").lat == pytest.approx(35.11)
    assert cache.loads == 1

    # An edit of the inventory (it enters the change sequence): the new address is found.
    _site(session, "7 Juniper Road", 35.2, -106.7)
    found = geocoder.geocode("7 Juniper Rd, Cedar Bluff")
    assert found is not None and found.lat == pytest.approx(35.2)
    assert cache.loads == 2

    # A new place of the jurisdiction's gazetteer.
    session.add(
        Place(name="Mesa Lookout", name_key="mesa lookout", latitude=35.3, longitude=-106.8)
    )
    session.flush()
    assert geocoder.geocode("Mesa Lookout").lat == pytest.approx(35.3)
    assert cache.loads == 3
    # Addresses seen before are not normalised again, and still found.
    assert "100 Sample Street" in cache.address_keys
    assert geocoder.geocode("100 Sample St").lat == pytest.approx(35.11)
    assert cache.loads == 3


def test_a_database_failure_is_not_taken_for_a_place_not_found(session, monkeypatch):
    geocoder, _cache = _geocoder(session)

    def down(_session):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(places, "_gazetteer_fingerprint", down)
    with pytest.raises(OperationalError):
        geocoder.geocode("Mesa Lookout")
