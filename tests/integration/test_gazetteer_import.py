"""Places and address points: CSV import and their use by the lookup's geocoder."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pmhc_directory.models import Place
from pmhc_directory.services.geography import GeographyError, import_places_csv
from pmhc_directory.services.lookup import load_gazetteer


def write(tmp_path, text):
    path = tmp_path / "places.csv"
    path.write_text(text)
    return path


def test_address_points_are_normalised_and_found(session, tmp_path):
    path = write(
        tmp_path,
        "name,kind,lat,lon,postal_code\n"
        "120 North Main Street,address,35.1,-106.6,87102\n"
        "Juniper Point Park,landmark,35.2,-106.5,\n",
    )
    assert import_places_csv(session, path) == 2
    gazetteer = load_gazetteer(session)
    found = gazetteer.geocode("120 N Main St")
    assert found is not None and found.source == "address"
    assert (found.lat, found.lon) == pytest.approx((35.1, -106.6))
    assert gazetteer.geocode("juniper point park").source == "place"


def test_loading_address_points_keeps_places(session, tmp_path):
    import_places_csv(session, write(tmp_path, "name,kind,lat,lon\nOld Town Plaza,place,35,-106\n"))
    import_places_csv(session, write(tmp_path, "name,kind,lat,lon\n5 Elm Ave,address,35,-106\n"))
    kinds = dict(session.execute(select(Place.kind, func.count()).group_by(Place.kind)).all())
    assert kinds == {"place": 1, "address": 1}


def test_bad_rows_change_nothing_and_name_the_line(session, tmp_path):
    import_places_csv(session, write(tmp_path, "name,kind,lat,lon\nKeep Me,place,35,-106\n"))
    bad = write(tmp_path, "name,kind,lat,lon\nGood,place,35,-106\nBad,place,95,-106\n,place,1,1\n")
    with pytest.raises(GeographyError) as info:
        import_places_csv(session, bad)
    assert "line 3" in str(info.value) and "line 4" in str(info.value)
    assert session.scalars(select(Place.name)).all() == ["Keep Me"]
