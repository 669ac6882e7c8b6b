"""The edges of ``/hsds`` other validators look at (issue #16 item 4): ``Allow`` on a 405, an
empty filter is a 422 naming it, ``minimal``, the root's ``publisher``, and the limits the
profile's OpenAPI document states."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pmhc_directory.hsds.profile import (
    MAX_MINIMAL_PER_PAGE,
    MAX_PAGE,
    MAX_PER_PAGE,
    MAX_SEARCH_CHARS,
)
from pmhc_directory.models import Service
from tests.functional.test_hsds_api import demo, error_of  # noqa: F401  (fixture)

LISTS = ["services", "service_at_locations", "organizations", "taxonomies", "taxonomy_terms"]
MISSING_ID = "00000000-0000-4000-8000-000000000000"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/hsds/services"),
        ("DELETE", "/hsds/services"),
        ("PUT", f"/hsds/services/{MISSING_ID}"),
        ("POST", "/hsds/"),
        ("PATCH", "/hsds/taxonomy_terms"),
    ],
)
def test_a_405_names_the_allowed_methods(client, method, path):
    response = client.open(path, method=method)
    assert error_of(response, 405)["code"] == "method-not-allowed"
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert "GET" in allowed and method not in allowed


@pytest.mark.parametrize(
    ("endpoint", "param"),
    [
        ("services", "taxonomy_term_id"),
        ("services", "organization_id"),
        ("services", "modified_after"),
        ("services", "search"),
        ("services", "page"),
        ("services", "per_page"),
        ("services", "format"),
        ("services", "full"),
        ("services", "minimal"),
        ("service_at_locations", "postcode"),
        ("organizations", "full_service"),
        ("taxonomy_terms", "parent_id"),
        ("taxonomies", "search"),
    ],
)
@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_value_is_a_422_naming_the_field_never_no_filter(client, endpoint, param, value):
    error = error_of(client.get(f"/hsds/{endpoint}", query_string={param: value}), 422)
    assert error["field"] == param and error["code"] == "invalid"
    assert "empty" in error["message"]


def test_minimal_lists_every_service_as_id_and_last_modified_in_one_call(client, session, demo):  # noqa: F811
    total = session.scalar(select(func.count(Service.id)))
    body = client.get("/hsds/services", query_string={"minimal": "true"}).get_json()
    assert body["total_items"] == total > 20
    assert body["size"] == total and body["total_pages"] == 1 and body["last_page"] is True
    assert all(set(item) == {"id", "last_modified"} for item in body["contents"])
    assert all(item["last_modified"].endswith("Z") for item in body["contents"])
    full = client.get("/hsds/services", query_string={"format": "ndjson"})
    ids = [line.split('"id":"')[1][:36] for line in full.get_data(as_text=True).splitlines()]
    assert [item["id"] for item in body["contents"]] == ids  # the same order as the list
    stream = client.get("/hsds/services", query_string={"minimal": "true", "format": "ndjson"})
    assert len(stream.get_data(as_text=True).splitlines()) == total


def test_minimal_takes_the_filters_and_its_own_page_bound(client, session, demo):  # noqa: F811
    body = client.get("/hsds/services", query_string={"minimal": "true", "per_page": "2"})
    assert body.get_json()["size"] == 2
    too_many = {"minimal": "true", "per_page": str(MAX_MINIMAL_PER_PAGE + 1)}
    assert error_of(client.get("/hsds/services", query_string=too_many), 422)["field"] == (
        "per_page"
    )
    search = client.get("/hsds/services", query_string={"minimal": "1", "search": "mobile"})
    assert 0 < search.get_json()["total_items"] < session.scalar(select(func.count(Service.id)))


def test_the_root_names_its_publisher_from_the_settings(app, client, monkeypatch):
    default = client.get("/hsds/").get_json()["publisher"]
    assert default == {"name": "PMHC Directory", "website": "http://localhost/"}
    monkeypatch.setitem(
        app.config,
        "HSDS_PUBLISHER",
        {
            "name": "Juniper County PMHC",
            "email": "data@juniper.example.org",
            "website": "https://juniper.example.org/",
            "internal_note": "not an HSDS publisher field",
        },
    )
    assert client.get("/hsds/").get_json()["publisher"] == {
        "name": "Juniper County PMHC",
        "email": "data@juniper.example.org",
        "website": "https://juniper.example.org/",
    }


def test_the_openapi_document_states_every_limit(client):
    document = client.get("/hsds/openapi.json").get_json()
    parameters = document["components"]["parameters"]
    assert parameters["per_page"]["schema"]["maximum"] == MAX_PER_PAGE
    assert parameters["page"]["schema"]["minimum"] == 1
    assert parameters["page"]["schema"]["maximum"] == MAX_PAGE
    assert parameters["search"]["schema"]["maxLength"] == MAX_SEARCH_CHARS
    assert parameters["format"]["schema"]["enum"] == ["json", "ndjson"]
    for name, limit in (("per_page", MAX_PER_PAGE), ("page", MAX_PAGE)):
        assert str(limit) in parameters[name]["description"]
    unprocessable = document["paths"]["/services"]["get"]["responses"]["422"]["description"]
    for text in (f"per_page 1 to {MAX_PER_PAGE}", f"at most {MAX_SEARCH_CHARS}", "ndjson"):
        assert text in unprocessable
    services_params = {
        p["$ref"].rsplit("/", 1)[1] for p in document["paths"]["/services"]["get"]["parameters"]
    }
    assert "minimal" in services_params
    root = document["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert "publisher" in root["schema"]["required"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"per_page": str(MAX_PER_PAGE + 1)}, "per_page"),
        ({"page": "0"}, "page"),
        ({"page": str(MAX_PAGE + 1)}, "page"),
        ({"search": "x" * (MAX_SEARCH_CHARS + 1)}, "search"),
        ({"format": "csv"}, "format"),
    ],
)
def test_each_stated_limit_is_the_one_applied(client, params, field):
    assert error_of(client.get("/hsds/services", query_string=params), 422)["field"] == field
    at_the_limit = {
        "per_page": str(MAX_PER_PAGE),
        "page": str(MAX_PAGE) if field == "page" and params["page"] != "0" else "1",
        "search": "x" * MAX_SEARCH_CHARS,
        "format": "ndjson",
    }[field]
    assert client.get("/hsds/services", query_string={field: at_the_limit}).status_code == 200
