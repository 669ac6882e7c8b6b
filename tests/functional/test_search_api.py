"""``GET /api/v1/services`` (spec/api.md 4): search in the HSDS Page envelope, over HTTP."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pmhc_directory.models import Role, Service
from tests.factories import make_organization, make_service
from tests.functional.test_directory_pages import log_in

URL = "/api/v1/services"
ENVELOPE = {
    "total_items",
    "total_pages",
    "page_number",
    "size",
    "first_page",
    "last_page",
    "empty",
    "contents",
}


def get(client, **params):
    response = client.get(URL, query_string=params)
    assert response.content_type == "application/json"
    return response


def names(body) -> list[str]:
    return [item["name"] for item in body["contents"]]


@pytest.fixture
def harbors(session):
    """25 services named Harbor 00 .. Harbor 24 (and nothing else called Harbor)."""
    org = make_organization(session, name="Harbor Health")
    return [make_service(session, name=f"Harbor {n:02}", organization=org) for n in range(25)]


def test_answer_is_an_hsds_page_with_the_required_item_fields(client, session):
    make_service(
        session,
        name="Eastside Sobering Center",
        types=("sobering-center",),
        description="A safe place to sober up. " * 20,
        organization=make_organization(session, name="County Behavioral Health"),
    )
    response = get(client, q="sobering")
    assert response.status_code == 200
    body = response.get_json()
    assert body.keys() >= ENVELOPE
    assert body["total_items"] == 1
    assert body["total_pages"] == 1
    assert body["page_number"] == 1
    assert body["size"] == 1
    assert body["first_page"] is True and body["last_page"] is True and body["empty"] is False
    [item] = body["contents"]
    assert item["name"] == "Eastside Sobering Center"
    assert item["organization"] == "County Behavioral Health"
    assert item["service_types"] == ["sobering-center"]
    assert item["status"] == "active"
    assert item["score"] == 1.0
    assert len(item["description"]) <= 201 and item["description"].endswith("…")
    assert {"id", "name", "organization", "service_types", "score"} <= item.keys()


def test_typos_and_other_word_forms_are_found(client, session):
    make_service(session, name="Eastside Sobering Center", types=("sobering-center",))
    assert names(get(client, q="sobring centers").get_json()) == ["Eastside Sobering Center"]


def test_types_filter_and_accepts_a_comma_list_or_repeats(client, session):
    make_service(session, name="Harbor Sobering", types=("sobering-center",))
    make_service(session, name="Harbor Mobile", types=("mobile-crisis",))
    assert names(get(client, q="harbor", types="mobile-crisis").get_json()) == ["Harbor Mobile"]
    both = get(client, q="harbor", types="mobile-crisis,sobering-center").get_json()
    assert sorted(names(both)) == ["Harbor Mobile", "Harbor Sobering"]
    repeated = client.get(f"{URL}?q=harbor&types=mobile-crisis&types=sobering-center")
    assert sorted(names(repeated.get_json())) == ["Harbor Mobile", "Harbor Sobering"]
    assert get(client, q="harbor", types="mobile-crisis").get_json()["query"]["types"] == [
        "mobile-crisis"
    ]


# Paging ---------------------------------------------------------------------------------------


def test_per_page_defaults_to_20(client, harbors):
    body = get(client, q="harbor").get_json()
    assert body["size"] == 20 and body["total_items"] == 25 and body["total_pages"] == 2
    assert body["first_page"] is True and body["last_page"] is False

    second = get(client, q="harbor", page=2).get_json()
    assert second["size"] == 5 and second["page_number"] == 2
    assert second["first_page"] is False and second["last_page"] is True
    assert not set(names(body)) & set(names(second))


def test_per_page_up_to_100(client, harbors):
    body = get(client, q="harbor", per_page=100).get_json()
    assert body["size"] == 25 and body["total_pages"] == 1


def test_a_page_beyond_the_end_is_empty(client, harbors):
    response = get(client, q="harbor", page=9)
    assert response.status_code == 200
    body = response.get_json()
    assert body["contents"] == [] and body["empty"] is True and body["size"] == 0
    assert body["total_items"] == 25 and body["page_number"] == 9
    assert body["last_page"] is True


def test_nothing_found_is_an_empty_first_page(client, session):
    body = get(client, q="zzzyzx").get_json()
    assert body["total_items"] == 0 and body["empty"] is True and body["contents"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
        ({"per_page": "0"}, "per_page"),
        ({"per_page": "101"}, "per_page"),
        ({"per_page": "1.5"}, "per_page"),
        ({"types": "not-a-type"}, "types"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_invalid_parameters_are_a_json_error_naming_the_field(client, params, field):
    response = get(client, **{"q": "harbor", **params})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["field"] == field
    assert error["code"] == "invalid" and error["message"]


# Without q ------------------------------------------------------------------------------------


def test_without_q_every_service_is_listed_by_name(client, session):
    make_service(session, name="zeta house")
    make_service(session, name="Alpha Place", status="inactive")
    make_service(session, name="Mid Point")
    total = session.scalar(select(func.count(Service.id)))
    body = get(client, per_page=100).get_json()
    assert body["total_items"] == total
    listed = names(body)
    assert listed == sorted(listed, key=str.casefold)
    assert {"zeta house", "Alpha Place", "Mid Point"} <= set(listed)
    assert {item["score"] for item in body["contents"]} == {1.0}
    assert body["query"]["match"] == "every"


def test_without_q_types_still_filter(client, session):
    make_service(session, name="Only Mobile", types=("mobile-crisis",))
    body = get(client, types="mobile-crisis", per_page=100).get_json()
    assert "Only Mobile" in names(body)
    assert all(item["service_types"] == ["mobile-crisis"] for item in body["contents"])


# Changes show up, and access ------------------------------------------------------------------


def test_changes_and_deletions_show_up_in_the_next_answer(client, session):
    service = make_service(session, name="Harbor House")
    assert names(get(client, q="harbor").get_json()) == ["Harbor House"]
    service.name = "Juniper Place"
    session.commit()
    assert names(get(client, q="harbor").get_json()) == []
    assert names(get(client, q="juniper").get_json()) == ["Juniper Place"]
    session.delete(service)
    session.commit()
    assert names(get(client, q="juniper").get_json()) == []


def test_a_private_directory_answers_401_json_to_anonymous_users(client, session, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_DIRECTORY", False)
    make_service(session, name="Harbor House")
    response = get(client, q="harbor")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "login-required"

    log_in(client, session, Role.OFFICER)
    assert names(get(client, q="harbor").get_json()) == ["Harbor House"]


# The reindex command ------------------------------------------------------------------------


def test_reindex_command_rebuilds_the_index(runner, session, connection):
    make_service(session, name="Harbor House")
    total = session.scalar(select(func.count(Service.id)))
    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 0, result.output
    assert f"Indexed {total} services" in result.output
