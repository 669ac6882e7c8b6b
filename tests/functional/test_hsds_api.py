"""The HSDS 3.1 API at ``/hsds`` (spec/api.md 7), over HTTP.

Every 200 body is checked against the official HSDS schemas in ``../shared`` with format
checking: services, service_at_locations and organizations against ``compiled/*.json``,
taxonomies and terms against their modular schemas, list answers against the ``Page`` object
of the official ``openapi.json`` (with the fields 3.1.1 makes required).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import func, select

from pmhc_directory.cli import SEED_DIR
from pmhc_directory.geo.distance import distance_km
from pmhc_directory.hsds.profile import HSDS_SCHEMA_BASE
from pmhc_directory.models import (
    Address,
    Attribute,
    Organization,
    Role,
    Service,
    ServiceArea,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from pmhc_directory.services.imports import import_file
from pmhc_directory.taxonomy import vocabulary
from tests.conftest import require_shared
from tests.factories import make_location, make_organization, make_service
from tests.functional.test_directory_pages import log_in
from tests.support.hsds_schema import SCHEMA_DIR, compiled_validator

VOCAB = vocabulary()
MOBILE = VOCAB.id_for_code("service-type", "mobile-crisis")
SOBERING = VOCAB.id_for_code("service-type", "sobering-center")
PAYMENT_TAXONOMY = VOCAB.taxonomies["payment"].id
SERVICE_TYPE_TAXONOMY = VOCAB.taxonomies["service-type"].id
PAGE_FIELDS = ["total_items", "total_pages", "page_number", "size", "first_page", "last_page"]
MISSING_ID = "00000000-0000-4000-8000-000000000000"
# A square around Albuquerque's ZIP 87102 (lon/lat), and one far away.
NEAR_87102 = [[-106.70, 35.05], [-106.60, 35.05], [-106.60, 35.12], [-106.70, 35.12]]
FAR_AWAY = [[-100.0, 40.0], [-99.0, 40.0], [-99.0, 41.0], [-100.0, 41.0]]

LISTS = {
    "services": "service",
    "service_at_locations": "service_at_location",
    "organizations": "organization",
    "taxonomies": "taxonomy",
    "taxonomy_terms": "taxonomy_term",
}


# Validators -----------------------------------------------------------------------------------


@cache
def _modular(name: str) -> Draft202012Validator:
    resources = [
        (p.name, Resource.from_contents(json.loads(p.read_text()), DRAFT202012))
        for p in sorted(SCHEMA_DIR.glob("*.json"))
        if p.name != "openapi.json"
    ]
    schema = json.loads((SCHEMA_DIR / f"{name}.json").read_text())
    return Draft202012Validator(
        schema,
        registry=Registry().with_resources(resources),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def validator(kind: str) -> Draft202012Validator:
    """The HSDS validator for one object of ``kind`` (service, taxonomy...)."""
    require_shared("hsds", "schema")
    if kind in ("taxonomy", "taxonomy_term"):
        return _modular(kind)
    return compiled_validator(kind)


@cache
def page_validator() -> Draft202012Validator:
    openapi = json.loads(require_shared("hsds", "schema", "openapi.json").read_text())
    schema = dict(openapi["components"]["schemas"]["Page"])
    schema["required"] = [*PAGE_FIELDS, "empty", "contents"]
    schema["properties"] = {**schema["properties"], "contents": {"type": "array"}}
    return Draft202012Validator(schema)


def check_object(kind: str, obj: dict[str, Any]) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator(kind).iter_errors(obj)]
    assert not errors, errors[:5]


def get_page(client, endpoint: str, **params) -> dict[str, Any]:
    """GET a list, check the status, the Page envelope and every item's schema."""
    response = client.get(f"/hsds/{endpoint}", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    page_validator().validate(body)
    assert body["size"] == len(body["contents"])
    assert body["empty"] is (not body["contents"])
    for item in body["contents"]:
        check_object(LISTS[endpoint], item)
    return body


def get_one(client, endpoint: str, object_id: str, **params) -> dict[str, Any]:
    response = client.get(f"/hsds/{endpoint}/{object_id}", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    check_object(LISTS[endpoint], body)
    return body


def ids(body: dict[str, Any]) -> list[str]:
    return [item["id"] for item in body["contents"]]


def all_ids(client, endpoint: str, **params) -> list[str]:
    """Every id of a list, walking its pages."""
    found: list[str] = []
    page = 1
    while True:
        body = get_page(client, endpoint, page=page, per_page=100, **params)
        found += ids(body)
        if body["last_page"]:
            return found
        page += 1


def error_of(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/json"
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["message"]
    return body["error"]


# Data -----------------------------------------------------------------------------------------


@pytest.fixture
def demo(session):
    """The demo jurisdiction's services (plus the national lines every database has)."""
    import_file(session, SEED_DIR / "services.json", fmt="hsds-json")
    session.commit()


def service_ids_with_term(session, term_id: str) -> set[str]:
    return set(
        session.scalars(
            select(Attribute.link_id).where(
                Attribute.link_entity == "service", Attribute.taxonomy_term_id == term_id
            )
        )
    )


def sal_count(session) -> int:
    return session.scalar(select(func.count(ServiceAtLocation.id)))


# / , profile, OpenAPI -------------------------------------------------------------------------


def test_root_names_the_version_profile_and_openapi_document(client):
    response = client.get("/hsds/")
    assert response.status_code == 200
    body = response.get_json()
    assert body["version"] == "3.1"
    for key in ("profile", "openapi_url"):
        assert body[key].startswith("http://localhost/hsds/")
        assert client.get(body[key]).status_code == 200


def test_profile_describes_taxonomy_capacity_and_match_extensions(client):
    body = client.get("/hsds/profile").get_json()
    assert body["hsds_version"] == "3.1"
    listed = {t["id"]: t for t in body["taxonomy"]["taxonomies"]}
    assert set(listed) == {t.id for t in VOCAB.taxonomies.values()}
    service_types = listed[SERVICE_TYPE_TAXONOMY]
    assert service_types["attribute_link_types"] == ["service_type"]
    elements = {e["code"]: e["service_types"] for e in body["taxonomy"]["continuum"]["elements"]}
    assert set(elements) == set(VOCAB.continuum)
    assert "mobile-crisis" in elements[VOCAB.continuum_of("mobile-crisis")]
    assert body["capacity"]["update_api"]["url"].endswith("/api/v1/services/{id}/capacity")
    assert body["match_api"]["url"] == "http://localhost/api/v1/match"
    # The terms link of a taxonomy is a working /hsds query.
    terms = get_page(client, "taxonomy_terms", **_query_of(service_types["terms"]), per_page=100)
    assert terms["total_items"] == len(VOCAB.codes("service-type"))


def _query_of(url: str) -> dict[str, str]:
    from urllib.parse import parse_qsl, urlsplit

    return dict(parse_qsl(urlsplit(url).query))


def test_openapi_document_is_valid_openapi_3_1_and_lists_every_endpoint(client, tmp_path):
    from openapi_spec_validator import validate

    document = client.get("/hsds/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "http://localhost/hsds"}]
    paths = set(document["paths"])
    for endpoint in LISTS:
        assert {f"/{endpoint}", f"/{endpoint}/{{id}}"} <= paths
    text = json.dumps(document)
    # Every official schema it points at exists in HSDS 3.1 ...
    named = set(re.findall(re.escape(HSDS_SCHEMA_BASE) + r'([\w/]+\.json)"', text))
    assert "compiled/service.json" in named and "taxonomy_term.json" in named
    schema_dir = require_shared("hsds", "schema")
    assert all((schema_dir / name).is_file() for name in named)
    # ... and the document is valid OpenAPI 3.1, checked offline: the official URLs are mapped
    # onto small stand-ins (resolving the real compiled schemas takes the validator a minute).
    for name in named:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text('{"type": "object"}')
    validate(json.loads(text.replace(HSDS_SCHEMA_BASE, tmp_path.as_uri() + "/")))


# Services --------------------------------------------------------------------------------------


def test_services_list_every_service_once_in_a_stable_order(client, session, demo):
    total = session.scalar(select(func.count(Service.id)))
    first = get_page(client, "services", per_page=7)
    assert first["total_items"] == total
    assert first["total_pages"] == -(-total // 7)
    assert first["page_number"] == 1 and first["first_page"] and not first["last_page"]
    walked: list[str] = []
    for page in range(1, first["total_pages"] + 1):
        walked += ids(get_page(client, "services", per_page=7, page=page))
    assert len(walked) == total == len(set(walked))
    assert walked == all_ids(client, "services")


def test_one_service_is_the_fully_nested_service(client, session, demo):
    listed = get_page(client, "services", per_page=100)["contents"]
    nested = next(s for s in listed if s["service_at_locations"])
    assert get_one(client, "services", nested["id"]) == nested
    assert nested["organization"]["id"] == nested["organization_id"]
    assert nested["service_at_locations"][0]["location"]["addresses"]


@pytest.mark.parametrize("endpoint", ["services", "service_at_locations", "organizations"])
def test_full_false_gives_the_one_to_one_list_form(client, demo, endpoint):
    body = get_page(client, endpoint, full="false", per_page=5)
    assert body["size"] == 5
    list_form = compiled_validator(f"{LISTS[endpoint]}_list")
    for item in body["contents"]:
        list_form.validate(item)
        assert not [key for key, value in item.items() if isinstance(value, list)]
        nested = item.get("organization") or item.get("service") or {}
        assert not [key for key, value in nested.items() if isinstance(value, list)]
    assert ids(body) == ids(get_page(client, endpoint, per_page=5))


def test_taxonomy_term_id_filters_services(client, session, demo):
    expected = service_ids_with_term(session, MOBILE)
    assert expected
    found = all_ids(client, "services", taxonomy_term_id=MOBILE)
    assert set(found) == expected
    for item in get_page(client, "services", taxonomy_term_id=MOBILE, per_page=100)["contents"]:
        assert MOBILE in {a["taxonomy_term_id"] for a in item["attributes"]}


def test_taxonomy_id_filters_services_by_any_term_of_the_taxonomy(client, session, demo):
    expected = set(
        session.scalars(
            select(Attribute.link_id)
            .join(TaxonomyTerm, TaxonomyTerm.id == Attribute.taxonomy_term_id)
            .where(Attribute.link_entity == "service", TaxonomyTerm.taxonomy_id == PAYMENT_TAXONOMY)
        )
    )
    total = session.scalar(select(func.count(Service.id)))
    assert 0 < len(expected) < total
    assert set(all_ids(client, "services", taxonomy_id=PAYMENT_TAXONOMY)) == expected


def test_organization_id_filters_services(client, session):
    org = make_organization(session, name="Harbor Health")
    mine = {make_service(session, name=f"Harbor {n}", organization=org).id for n in range(3)}
    make_service(session, name="Someone else's")
    session.commit()
    assert set(all_ids(client, "services", organization_id=org.id)) == mine


def test_modified_after_keeps_services_changed_at_or_after_it(client, session):
    old = make_service(session, name="Old listing")
    new = make_service(session, name="New listing")
    session.flush()
    moment = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    old.updated_at = moment - timedelta(seconds=1)
    new.updated_at = moment
    session.commit()
    assert all_ids(client, "services", modified_after="2030-01-01T12:00:00Z") == [new.id]
    # The same instant with an offset, sent unencoded (a "+" arrives as a space).
    assert all_ids(client, "services", modified_after="2030-01-01T05:00:00-07:00") == [new.id]
    url = "/hsds/services?modified_after=2030-01-01T13:00:00+01:00"
    assert ids(client.get(url).get_json()) == [new.id]
    # Without an offset the instance's zone (America/Denver, UTC-7 in January) is meant.
    assert all_ids(client, "services", modified_after="2030-01-01T05:00:01") == []
    both = set(all_ids(client, "services", modified_after="2030-01-01"))
    assert both == {old.id, new.id}
    body = get_one(client, "services", new.id)
    assert datetime.fromisoformat(body["last_modified"]) == moment


def test_search_finds_services_best_first(client, session, demo):
    body = get_page(client, "services", search="sobering")
    assert body["total_items"] >= 1
    assert "sobering" in body["contents"][0]["name"].lower()
    assert get_page(client, "services", search="zzzyzx")["empty"] is True


def test_filters_combine_with_and(client, session):
    org = make_organization(session, name="Harbor Health")
    other = make_organization(session, name="Juniper Care")
    target = make_service(
        session, name="Harbor Mobile Team", types=("mobile-crisis",), organization=org
    )
    make_service(session, name="Harbor Sobering", types=("sobering-center",), organization=org)
    make_service(session, name="Juniper Mobile Team", types=("mobile-crisis",), organization=other)
    make_service(session, name="Harbor Outreach", types=("mobile-crisis",), organization=other)
    session.commit()
    assert set(all_ids(client, "services", search="harbor")) >= {target.id}
    assert all_ids(
        client, "services", search="harbor", taxonomy_term_id=MOBILE, organization_id=org.id
    ) == [target.id]
    assert all_ids(client, "services", taxonomy_term_id=MOBILE, organization_id=org.id) == [
        target.id
    ]
    assert all_ids(client, "services", taxonomy_term_id=SOBERING, organization_id=other.id) == []
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert all_ids(client, "services", organization_id=org.id, modified_after=later) == []


# Paging and formats ----------------------------------------------------------------------------


def test_a_page_beyond_the_last_is_an_empty_page(client, session, demo):
    total = session.scalar(select(func.count(Service.id)))
    body = get_page(client, "services", page=999, per_page=10)
    assert body["contents"] == [] and body["empty"] is True and body["size"] == 0
    assert body["total_items"] == total and body["page_number"] == 999
    assert body["last_page"] is True and body["first_page"] is False


def test_per_page_is_bounded_to_100(client, session, demo):
    body = get_page(client, "services", per_page=100)
    assert body["size"] == min(100, session.scalar(select(func.count(Service.id))))
    assert error_of(client.get("/hsds/services?per_page=101"), 422)["field"] == "per_page"


def test_default_page_size_is_20(client, demo):
    body = get_page(client, "services")
    assert body["size"] == 20 and body["per_page"] == 20


def test_ndjson_streams_every_object_without_envelope(client, session, demo):
    response = client.get("/hsds/services", query_string={"format": "ndjson", "per_page": 2})
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    lines = response.get_data(as_text=True).splitlines()
    assert len(lines) == session.scalar(select(func.count(Service.id)))
    objects = [json.loads(line) for line in lines]
    for obj in objects:
        check_object("service", obj)
    assert [o["id"] for o in objects] == all_ids(client, "services")


@pytest.mark.parametrize("endpoint", list(LISTS))
def test_ndjson_matches_the_pages_of_every_list(client, demo, endpoint):
    response = client.get(f"/hsds/{endpoint}?format=ndjson")
    assert response.mimetype == "application/x-ndjson"
    objects = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    for obj in objects:
        check_object(LISTS[endpoint], obj)
    assert [o["id"] for o in objects] == all_ids(client, endpoint)


def test_ndjson_applies_the_filters(client, session, demo):
    response = client.get(f"/hsds/services?format=ndjson&taxonomy_term_id={MOBILE}")
    found = {json.loads(line)["id"] for line in response.get_data(as_text=True).splitlines()}
    assert found == service_ids_with_term(session, MOBILE)


# Service at locations --------------------------------------------------------------------------


def test_service_at_locations_list_and_item(client, session, demo):
    body = get_page(client, "service_at_locations", per_page=100)
    assert body["total_items"] == sal_count(session)
    first = body["contents"][0]
    assert first["service"]["id"] == first["service_id"]
    assert first["location"]["id"] == first["location_id"]
    assert get_one(client, "service_at_locations", first["id"]) == first
    walked = all_ids(client, "service_at_locations")
    assert len(walked) == len(set(walked)) == sal_count(session)


def test_service_at_locations_take_the_service_filters(client, session, demo):
    expected = set(
        session.scalars(
            select(ServiceAtLocation.id).where(
                ServiceAtLocation.service_id.in_(service_ids_with_term(session, MOBILE))
            )
        )
    )
    assert set(all_ids(client, "service_at_locations", taxonomy_term_id=MOBILE)) == expected
    found = get_page(client, "service_at_locations", search="sobering")["contents"]
    assert found and "sobering" in found[0]["service"]["name"].lower()


def test_proximity_keeps_locations_within_metres_of_the_postcode_nearest_first(client, demo):
    from pmhc_directory.geo.geocoding import ZipCentroids

    centre = ZipCentroids().lookup("87110")
    body = get_page(client, "service_at_locations", postcode="87110", proximity=3000, per_page=100)
    assert body["total_items"] > 0
    distances = [item["distance_km"] for item in body["contents"]]
    assert distances == sorted(distances) and max(distances) <= 3.0
    for item in body["contents"]:
        location = item["location"]
        km = distance_km(centre.lat, centre.lon, location["latitude"], location["longitude"])
        assert item["distance_km"] == pytest.approx(km, abs=0.001)
    # Everything within 3 km, and nothing else: compare with every located item.
    everything = get_page(client, "service_at_locations", per_page=100)["contents"]
    near = {
        i["id"]
        for i in everything
        if "latitude" in i["location"]
        and distance_km(
            centre.lat, centre.lon, i["location"]["latitude"], i["location"]["longitude"]
        )
        <= 3.0
    }
    assert set(ids(body)) == near
    wider = get_page(client, "service_at_locations", postcode="87110", proximity=10000)
    assert wider["total_items"] > body["total_items"]


def test_postcode_alone_uses_service_areas_then_addresses(client, session):
    org = make_organization(session, name="Coverage Test Org")
    covering = make_service(session, name="Covers 87102", organization=org)
    covering.service_areas.append(
        ServiceArea(
            extent=json.dumps({"type": "Polygon", "coordinates": [[*NEAR_87102, NEAR_87102[0]]]}),
            extent_type="geojson",
            min_lon=-106.70,
            min_lat=35.05,
            max_lon=-106.60,
            max_lat=35.12,
        )
    )
    elsewhere = make_service(session, name="Covers Kansas", organization=org)
    elsewhere.service_areas.append(
        ServiceArea(
            extent=json.dumps({"type": "Polygon", "coordinates": [[*FAR_AWAY, FAR_AWAY[0]]]}),
            extent_type="geojson",
            min_lon=-100.0,
            min_lat=40.0,
            max_lon=-99.0,
            max_lat=41.0,
        )
    )
    addressed = make_service(session, name="Sits in 87102", organization=org)
    other_zip = make_service(session, name="Sits in 87110", organization=org)
    for service, zip_code in (
        (covering, "87199"),
        (elsewhere, "87102"),
        (addressed, "87102"),
        (other_zip, "87110"),
    ):
        location = make_location(session, service)
        location.addresses.append(
            Address(
                address_1="1 Main St",
                city="Albuquerque",
                state_province="NM",
                postal_code=zip_code,
                country="US",
            )
        )
    session.commit()
    found = get_page(client, "service_at_locations", postcode="87102", organization_id=org.id)
    # The service area decides where there is one (even against the address); else the address.
    assert {item["service"]["name"] for item in found["contents"]} == {
        "Covers 87102",
        "Sits in 87102",
    }
    plus4 = get_page(client, "service_at_locations", postcode="87102-1234", organization_id=org.id)
    assert ids(plus4) == ids(found)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"proximity": "5000"}, "proximity"),
        ({"postcode": "87110", "proximity": "-1"}, "proximity"),
        ({"postcode": "87110", "proximity": "near"}, "proximity"),
        ({"postcode": "87110", "proximity": "nan"}, "proximity"),
        ({"postcode": "87110", "proximity": "1e9"}, "proximity"),
        ({"postcode": "SW1A 1AA"}, "postcode"),
        ({"postcode": "00000"}, "postcode"),
    ],
)
def test_bad_postcode_or_proximity_is_a_422_naming_it(client, params, field):
    error = error_of(client.get("/hsds/service_at_locations", query_string=params), 422)
    assert error["field"] == field and error["code"] == "invalid"


# Organizations ---------------------------------------------------------------------------------


def test_organizations_list_and_item_with_their_services(client, session, demo):
    body = get_page(client, "organizations", per_page=100)
    assert body["total_items"] == session.scalar(select(func.count(Organization.id)))
    org = next(o for o in body["contents"] if o["services"])
    expected = set(session.scalars(select(Service.id).where(Service.organization_id == org["id"])))
    assert {s["id"] for s in org["services"]} == expected
    assert get_one(client, "organizations", org["id"]) == org
    full = get_one(client, "organizations", org["id"], full_service="true")
    assert {s["id"] for s in full["services"]} == expected
    assert all("attributes" in s for s in full["services"])
    assert not any("attributes" in s for s in org["services"])
    assert (
        error_of(client.get(f"/hsds/organizations/{org['id']}?full_service=maybe"), 422)["field"]
        == "full_service"
    )


def test_organizations_filter_by_search_and_taxonomy(client, session):
    harbor = make_organization(session, name="Harbor Health")
    make_service(session, name="Harbor Mobile", types=("mobile-crisis",), organization=harbor)
    juniper = make_organization(session, name="Juniper Care")
    make_service(session, name="Juniper Sobering", types=("sobering-center",), organization=juniper)
    session.commit()
    assert ids(get_page(client, "organizations", search="harbor health")) == [harbor.id]
    assert ids(get_page(client, "organizations", search="sobering")) == [juniper.id]
    mobile = set(all_ids(client, "organizations", taxonomy_term_id=MOBILE))
    assert harbor.id in mobile and juniper.id not in mobile
    both = all_ids(client, "organizations", taxonomy_id=SERVICE_TYPE_TAXONOMY, search="juniper")
    assert both == [juniper.id]


# Taxonomies ------------------------------------------------------------------------------------


def test_taxonomies_and_terms(client, session):
    body = get_page(client, "taxonomies")
    assert body["total_items"] == session.scalar(select(func.count(Taxonomy.id)))
    assert {t["id"] for t in body["contents"]} >= {t.id for t in VOCAB.taxonomies.values()}
    assert get_one(client, "taxonomies", PAYMENT_TAXONOMY)["name"] == "PMHC payment accepted"
    assert ids(get_page(client, "taxonomies", search="payment")) == [PAYMENT_TAXONOMY]

    payment = set(all_ids(client, "taxonomy_terms", taxonomy_id=PAYMENT_TAXONOMY))
    assert payment == {VOCAB.id_for_code("payment", c) for c in VOCAB.codes("payment")}
    term = get_one(client, "taxonomy_terms", MOBILE)
    assert term["code"] == "mobile-crisis"
    assert term["taxonomy_detail"]["id"] == SERVICE_TYPE_TAXONOMY
    assert MOBILE in ids(get_page(client, "taxonomy_terms", search="mobile crisis"))
    total = session.scalar(select(func.count(TaxonomyTerm.id)))
    assert get_page(client, "taxonomy_terms", top_only="true")["total_items"] == session.scalar(
        select(func.count(TaxonomyTerm.id)).where(TaxonomyTerm.parent_id.is_(None))
    )
    assert get_page(client, "taxonomy_terms")["total_items"] == total
    assert get_page(client, "taxonomy_terms", parent_id=MOBILE)["empty"] is True


# Errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", list(LISTS))
@pytest.mark.parametrize("object_id", [MISSING_ID, "not-a-uuid", "1"])
def test_unknown_ids_are_404_json(client, endpoint, object_id):
    error = error_of(client.get(f"/hsds/{endpoint}/{object_id}"), 404)
    assert error["code"] == "not-found" and error["field"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"per_page": "0"}, "per_page"),
        ({"per_page": "-3"}, "per_page"),
        ({"per_page": "101"}, "per_page"),
        ({"format": "xml"}, "format"),
        ({"full": "perhaps"}, "full"),
        ({"taxonomy_term_id": "mobile-crisis"}, "taxonomy_term_id"),
        ({"taxonomy_id": "x"}, "taxonomy_id"),
        ({"organization_id": "123"}, "organization_id"),
        ({"modified_after": "yesterday"}, "modified_after"),
        ({"modified_after": "2026-13-01"}, "modified_after"),
        ({"modified_after": "2026-10-01T25:00:00Z"}, "modified_after"),
        ({"search": "x" * 201}, "search"),
    ],
)
def test_bad_values_are_a_422_naming_the_field(client, params, field):
    error = error_of(client.get("/hsds/services", query_string=params), 422)
    assert error["field"] == field and error["code"] == "invalid"


@pytest.mark.parametrize(
    ("endpoint", "param"),
    [
        ("taxonomies", "organization_id"),
        ("taxonomy_terms", "modified_after"),
        ("services", "postcode"),
        ("organizations", "modified_after"),
        ("services", "top_only"),
    ],
)
def test_a_filter_the_endpoint_does_not_take_is_refused(client, endpoint, param):
    error = error_of(client.get(f"/hsds/{endpoint}", query_string={param: "x"}), 400)
    assert error["field"] == param and error["code"] == "unsupported-parameter"


MALFORMED = ["", " ", "%", "'; drop table services; --", "\x00", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "9" * 400, "[]", "-0"]


@pytest.mark.parametrize("endpoint", list(LISTS))
def test_no_malformed_parameter_causes_a_server_error(client, endpoint):
    names = [
        "search", "page", "per_page", "format", "taxonomy_term_id", "taxonomy_id",
        "organization_id", "modified_after", "postcode", "proximity", "full", "full_service",
        "parent_id", "top_only",
    ]  # fmt: skip
    for name in names:
        for value in MALFORMED:
            response = client.get(f"/hsds/{endpoint}", query_string={name: value})
            assert response.status_code in (200, 400, 422), (name, value)
            assert response.content_type.startswith("application/json")
            if response.status_code != 200:
                assert response.get_json()["error"]["field"] == name


def test_unknown_paths_and_methods_answer_json(client):
    assert error_of(client.get("/hsds/programs"), 404)["code"] == "not-found"
    assert error_of(client.post("/hsds/services"), 405)["code"] == "method-not-allowed"


# Access ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/hsds/", "/hsds/profile", "/hsds/openapi.json", *[f"/hsds/{e}" for e in LISTS]],
)
def test_a_private_directory_needs_a_login(client, session, app, monkeypatch, path):
    monkeypatch.setitem(app.config, "PUBLIC_DIRECTORY", False)
    response = client.get(path)
    assert error_of(response, 401)["code"] == "login-required"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    log_in(client, session, Role.OFFICER)
    assert client.get(path).status_code == 200


def test_a_private_directory_hides_single_objects_too(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_DIRECTORY", False)
    assert error_of(client.get(f"/hsds/taxonomies/{PAYMENT_TAXONOMY}"), 401)["field"] is None
