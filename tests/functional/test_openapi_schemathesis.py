"""Schemathesis against ``/api/v1/openapi.json``: no 5xx, and every answer is as documented.

Each documented operation gets a bounded, derandomized run (``MAX_EXAMPLES`` generated requests)
against the app in-process (WSGI), on a small inventory with analysis areas so the gap
endpoints compute real answers. Checks: no server error; the status code, content type and
body of every answer are the ones the document gives for that operation.
"""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from pmhc_directory.openapi import build_document
from pmhc_directory.services.tokens import create_token
from tests.functional.test_gaps_api import areas, inventory  # noqa: F401  (fixtures)
from tests.scenario_builders import ORIGIN_LAT, ORIGIN_LON

MAX_EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
OPERATIONS = [
    (path, method)
    for path, item in build_document()["paths"].items()
    for method in item
    if method in ("get", "post", "put", "patch", "delete")
]
CALLS: dict[str, Counter[int]] = {}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def report_request_counts(request):
    """After the module: how many requests each run sent, by answer status (terminal line)."""
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or not CALLS:
        return
    total = sum(statuses.total() for statuses in CALLS.values())
    reporter.write_line(f"schemathesis: {total} requests over {len(CALLS)} runs")
    for name, statuses in CALLS.items():
        reporter.write_line(f"  {name}: {dict(sorted(statuses.items()))}")


def test_the_document_is_served_and_valid_openapi_3_1(client):
    from openapi_spec_validator import validate

    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    validate(document)
    assert set(document["paths"]) >= {
        "/api/v1/match",
        "/api/v1/services",
        "/api/v1/services/{service_id}/capacity",
        "/api/v1/gaps/coverage",
        "/api/v1/gaps/access",
        "/api/v1/gaps/need",
        "/api/v1/gaps/sites",
    }


def test_the_document_is_public_when_the_directory_is_not(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_DIRECTORY", False)
    assert client.get("/api/v1/openapi.json").status_code == 200


def every_api_route_is_documented_or_listed(app) -> list[str]:
    documented = {path.replace("{service_id}", "<service_id>") for path, _ in OPERATIONS}
    undocumented = {"/api/v1/openapi.json"}  # the document itself
    return [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        and rule.rule not in documented
        and rule.rule not in undocumented
    ]


def test_every_api_route_is_documented(app):
    assert every_api_route_is_documented_or_listed(app) == []


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_a_nul_character_is_a_documented_400(client, session, path, method):
    """Every operation answers a NUL in a parameter with 400 and the Error shape, and says so.

    Newer schemathesis releases generate NUL characters; the API refuses them before any view
    (views/security.py), so the document must list 400 for every operation.
    """
    url = path.replace("{service_id}", "00000000-0000-0000-0000-000000000000") + "?x=a%00b"
    if method == "get":
        response = client.get(url)
    else:
        response = client.open(url, method=method.upper(), json={"x": "a"})
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "x"
    assert "400" in build_document()["paths"][path][method]["responses"]


@pytest.fixture
def api_schema(app, inventory):  # noqa: F811
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def provider_token(session, inventory):  # noqa: F811
    centre, _team = inventory
    _row, plaintext = create_token(session, centre.organization_id, "test")
    session.commit()
    return centre.id, plaintext


def run_operation(operation, strategy, headers: dict[str, str] | None = None) -> Counter[int]:
    """Status codes of the answers, counted (one per generated request)."""
    statuses: Counter[int] = Counter()

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case) -> None:
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS)

    run()
    return statuses


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_operation_conforms(api_schema, path, method):
    operation = api_schema[path][method.upper()]
    statuses = run_operation(operation, operation.as_strategy())
    CALLS[f"{method.upper()} {path}"] = statuses
    assert statuses.total() > 0


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_match_at_a_place_conforms(api_schema, method):
    """With the place fixed, most requests are valid and the 200 answer itself is checked."""
    operation = api_schema["/api/v1/match"][method]
    place = {"lat": ORIGIN_LAT, "lon": ORIGIN_LON, "needs": ["crisis-now"]}
    if method == "GET":
        strategy = operation.as_strategy(query=place)
    else:
        strategy = operation.as_strategy().map(lambda case: _with_place(case, place))
    statuses = run_operation(operation, strategy)
    CALLS[f"{method} /api/v1/match at a place"] = statuses
    assert statuses[200] > 0


def _with_place(case, place: dict[str, object]):
    if isinstance(case.body, dict):
        case.body = {**case.body, **place}
    return case


def test_capacity_with_a_valid_token_conforms(api_schema, provider_token):
    service_id, token = provider_token
    operation = api_schema["/api/v1/services/{service_id}/capacity"]["POST"]
    strategy = operation.as_strategy(path_parameters={"service_id": service_id})
    statuses = run_operation(operation, strategy, headers={"Authorization": f"Bearer {token}"})
    CALLS["POST capacity (valid token)"] = statuses
    assert statuses[200] > 0
