"""``/directory?q=``: the public directory's search box (issue #22 item 1), over HTTP."""

from __future__ import annotations

import re

import pytest

from tests.factories import make_organization, make_service

RESULT_NAME_RE = re.compile(r'<h3 class="result-name"><a href="[^"]+">([^<]+)</a></h3>')


def result_names(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return RESULT_NAME_RE.findall(response.get_data(as_text=True))


@pytest.fixture
def landscape(session):
    org = make_organization(session, name="Juniper Behavioral Health")
    make_service(
        session, name="Eastside Sobering Center", types=("sobering-center",), organization=org
    )
    make_service(session, name="Westside Sobering Station", types=("sobering-center",))
    make_service(session, name="Mesa Mobile Crisis Team", types=("mobile-crisis",))
    make_service(session, name="Old Sobering House", types=("sobering-center",), status="inactive")
    make_service(session, name="Quiet Recovery Café", types=("crisis-respite",))
    session.commit()


def test_a_misspelt_name_finds_the_service(client, landscape):
    names = result_names(client.get("/directory", query_string={"q": "sobring"}))
    assert sorted(names) == ["Eastside Sobering Center", "Westside Sobering Station"]


def test_best_match_comes_first(client, landscape):
    names = result_names(client.get("/directory", query_string={"q": "eastside sobering"}))
    assert names == ["Eastside Sobering Center"]


def test_search_is_combined_with_the_filters(client, landscape):
    assert (
        result_names(
            client.get("/directory", query_string={"q": "crisis team", "type": "sobering-center"})
        )
        == []
    )
    assert result_names(
        client.get("/directory", query_string={"q": "mesa", "continuum": "respond"})
    ) == ["Mesa Mobile Crisis Team"]


def test_inactive_services_are_found_only_when_asked(client, landscape):
    active = result_names(client.get("/directory", query_string={"q": "sobering"}))
    assert "Old Sobering House" not in active
    every = result_names(client.get("/directory", query_string={"q": "sobering", "inactive": "y"}))
    assert "Old Sobering House" in every
    html = client.get("/directory", query_string={"q": "sobering"}).get_data(as_text=True)
    assert "2 services, active only, best match first." in html


def test_no_match_says_so_and_keeps_the_words_in_the_box(client, landscape):
    response = client.get("/directory", query_string={"q": "zzyzx"})
    html = response.get_data(as_text=True)
    assert result_names(response) == []
    assert "No service matches &ldquo;zzyzx&rdquo;" in html
    assert 'name="q" value="zzyzx"' in html


def test_no_service_with_every_word_shows_those_with_some(client, landscape):
    response = client.get("/directory", query_string={"q": "mesa sobering"})
    html = response.get_data(as_text=True)
    assert set(result_names(response)) == {
        "Mesa Mobile Crisis Team",
        "Eastside Sobering Center",
        "Westside Sobering Station",
    }
    assert "No service has every word you typed" in html


def test_pages_keep_the_search(client, session):
    org = make_organization(session, name="Harbor Health")
    for n in range(55):
        make_service(session, name=f"Harbor {n:02}", organization=org)
    session.commit()
    first = client.get("/directory", query_string={"q": "harbor"})
    html = first.get_data(as_text=True)
    assert len(result_names(first)) == 50
    assert "/directory?q=harbor&amp;page=2" in html or "page=2&amp;q=harbor" in html
    second = client.get("/directory", query_string={"q": "harbor", "page": "2"})
    assert len(result_names(second)) == 5


def test_too_long_a_search_is_a_clear_400(client):
    response = client.get("/directory", query_string={"q": "x" * 201})
    assert response.status_code == 400
    assert "limited to 200 characters" in response.get_data(as_text=True)


def test_national_lines_show_what_they_are_not_type_not_set(client, session):
    make_service(session, name="Test National Warmline", types=(), is_national=True)
    session.commit()
    html = client.get("/directory", query_string={"q": "warmline"}).get_data(as_text=True)
    assert "National crisis line" in html
    assert "Not set" not in html
