"""Issue #14 item 9 through the page and the API: partial names find the place, several
matches give a "Did you mean" list that works without JavaScript, and the place names are
offered as the officer types (a datalist)."""

from __future__ import annotations

from pmhc_directory.geo.addresses import place_key
from pmhc_directory.models import Place


def add_places(session) -> None:
    for name, lat, lon in [
        ("Cedar Bluff", 35.10, -106.62),
        ("Cedar Bluff Police Headquarters", 35.0982, -106.6112),
        ("Cedar Bluff General Hospital", 35.1180, -106.6035),
        ("Juniper Valley University Hospital", 35.1045, -106.5926),
    ]:
        session.add(
            Place(name=name, name_key=place_key(name), kind="landmark", latitude=lat, longitude=lon)
        )
    session.commit()


def test_partial_name_finds_the_place_and_says_which(client, session):
    add_places(session)
    html = client.get("/?near=Cedar+Bluff+PD&needs=crisis-now").get_data(as_text=True)
    assert "Cedar Bluff Police Headquarters" in html.split('class="search-summary"')[1][:400]


def test_several_matches_give_did_you_mean_links(client, session):
    add_places(session)
    html = client.get("/?near=hospital&needs=crisis-now&transport=true").get_data(as_text=True)
    assert "Did you mean" in html
    links = [
        "/?needs=crisis-now&amp;transport=true&amp;near=Cedar+Bluff+General+Hospital",
        "/?needs=crisis-now&amp;transport=true&amp;near=Juniper+Valley+University+Hospital",
    ]
    for link in links:
        assert f'href="{link}"' in html
    chosen = client.get(links[0].replace("&amp;", "&")).get_data(as_text=True)
    assert "Did you mean" not in chosen and "Cedar Bluff General Hospital" in chosen


def test_place_names_are_offered_as_you_type(client, session):
    add_places(session)
    html = client.get("/").get_data(as_text=True)
    assert 'list="known-places"' in html
    assert '<option value="Cedar Bluff Police Headquarters"></option>' in html


def test_the_api_names_the_choices(client, session):
    add_places(session)
    response = client.get("/api/v1/match?near=hospital&needs=crisis-now")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["field"] == "near"
    assert (
        "Did you mean: Cedar Bluff General Hospital; Juniper Valley University Hospital?"
        in (error["message"])
    )
