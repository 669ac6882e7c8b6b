"""Schemathesis runs the OFFICIAL HSDS 3.1 ``openapi.json`` against ``/hsds`` (issue #16).

The document is read from ``../shared/hsds/schema/openapi.json`` as Open Referral publishes
it, with two adjustments that are not changes to what it says:

* its ``$ref``s are absolute URLs into the 3.0 branch of the specification; each is mapped to
  the local file of the same name (``schema/compiled/service.json``...), so no network is used
  and the 3.1 schemas are the ones checked (upstream fixed this in HSDS 3.1.2);
* it names no server: ``/hsds`` is where this deployment serves it.

Every GET operation gets a bounded, derandomized run on the demo data: random parameters and
ids, then the real id of an object for the ``{id}`` operations. Checks: no server error, the
content type the document gives, and every 200 body valid against the document's schema. The
known defects of the official document are excluded below, each with its reason.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from functools import cache
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)
from sqlalchemy import select

from pmhc_directory.models import Organization, Service, ServiceAtLocation, Taxonomy, TaxonomyTerm
from tests.conftest import require_shared
from tests.functional.test_hsds_api import demo  # noqa: F401  (fixture)

MAX_EXAMPLES = 30
UPSTREAM_3_0 = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"

# Known defects of the official document, excluded from the checks:
#
# 1. It documents only 200 for every operation: an unknown id (404), a parameter this API
#    cannot use (422) or a filter an endpoint does not take (400) are answered in the error
#    shape of spec/api.md, which the document cannot describe. So ``status_code_conformance``
#    is not run; every answer must still not be a server error and have a documented type.
CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]
# 2. It gives GET /service_at_locations/{id} the *service* schema (compiled/service.json),
#    though the object is a service_at_location: its 200 body is not checked against it (the
#    HSDS API tests check it against compiled/service_at_location.json instead).
NO_BODY_SCHEMA = {"GET /service_at_locations/{id}"}
# 3. ``minimal=true`` is described as "just service id and modified_date", while the response
#    schema it points at requires whole list items (name, status): such answers are not checked
#    against that schema (tests/functional/test_hsds_api_edges.py checks them).
# 4. ``format=ndjson`` is this API's extension (the official ``format`` names no values); its
#    application/x-ndjson answer is in the profile's own OpenAPI document, not this one.
# (The swapped operationIds of /taxonomy_terms and /taxonomy_terms/{id} change nothing here.)

CALLS: dict[str, Counter[int]] = {}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def report_request_counts(request):
    """After the module: the requests each operation got, by answer status."""
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or not CALLS:
        return
    total = sum(statuses.total() for statuses in CALLS.values())
    reporter.write_line(f"official HSDS openapi.json: {total} requests")
    for name, statuses in CALLS.items():
        reporter.write_line(f"  {name}: {dict(sorted(statuses.items()))}")


def _local(ref: str) -> dict[str, Any]:
    path = require_shared("hsds", "schema", *ref[len(UPSTREAM_3_0) :].split("/"))
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema.pop("$id", None)
    schema.pop("$schema", None)
    return schema


def _mapped(node: Any) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(UPSTREAM_3_0):
            return _local(ref)
        return {key: _mapped(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_mapped(item) for item in node]
    return node


@cache
def official_document() -> dict[str, Any]:
    raw = json.loads(require_shared("hsds", "schema", "openapi.json").read_text("utf-8"))
    document = _mapped(raw)
    document["servers"] = [{"url": "/hsds"}]
    return document


def _get_operations() -> list[str]:
    try:
        paths = official_document()["paths"]
    except pytest.skip.Exception:
        return []
    return [path for path, item in paths.items() if "get" in item]


@pytest.fixture
def official_schema(app, demo):  # noqa: F811
    schema = schemathesis.openapi.from_dict(copy.deepcopy(official_document()))
    schema.app = app
    return schema


def _skips_schema(case: Any) -> bool:
    query = case.query or {}
    minimal = str(query.get("minimal", "")).lower() in ("true", "1", "yes")
    ndjson = str(query.get("format", "")).strip().lower() == "ndjson"
    return minimal or ndjson


def run_operation(operation: Any, strategy: Any, label: str) -> Counter[int]:
    statuses: Counter[int] = Counter()

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        response = case.call()
        statuses[response.status_code] += 1
        checks = CHECKS
        if label in NO_BODY_SCHEMA or _skips_schema(case):
            checks = [c for c in CHECKS if c is not response_schema_conformance]
        if _skips_schema(case):
            checks = [c for c in checks if c is not content_type_conformance]
        case.validate_response(response, checks=checks)

    run()
    CALLS[label] = CALLS.get(label, Counter()) + statuses
    return statuses


def test_the_official_document_is_read_offline():
    document = official_document()
    assert document["openapi"] == "3.1.0"
    assert UPSTREAM_3_0 not in json.dumps(document)


@pytest.mark.parametrize("path", _get_operations())
def test_official_get_operation_conforms(official_schema, path):
    operation = official_schema[path]["GET"]
    statuses = run_operation(operation, operation.as_strategy(), f"GET {path}")
    assert statuses.total() > 0


def _real_id(session, path: str) -> str:
    model = {
        "/services/{id}": Service,
        "/service_at_locations/{id}": ServiceAtLocation,
        "/organizations/{id}": Organization,
        "/taxonomies/{id}": Taxonomy,
        "/taxonomy_terms/{id}": TaxonomyTerm,
    }[path]
    return str(session.scalars(select(model.id).order_by(model.id).limit(1)).one())


@pytest.mark.parametrize("path", [p for p in _get_operations() if p.endswith("{id}")])
def test_official_get_by_real_id_conforms(official_schema, session, path):
    """With a real id, the 200 answers themselves are checked against the document."""
    operation = official_schema[path]["GET"]
    strategy = operation.as_strategy(path_parameters={"id": _real_id(session, path)})
    statuses = run_operation(operation, strategy, f"GET {path}")
    assert statuses[200] > 0


LIST_QUERIES = [
    {},
    {"page": "2", "per_page": "3"},
    {"full": "false"},
    {"search": "crisis"},
]


def _list_requests() -> list[tuple[str, dict[str, str]]]:
    """(list path, query) for every ordinary query the path's parameters allow."""
    found = []
    for path in _get_operations():
        declared = official_document()["paths"][path]["get"].get("parameters", [])
        names = {p.get("name") or p["$ref"].rsplit("/", 1)[1] for p in declared}
        found += [(path, q) for q in LIST_QUERIES if "page" in names and set(q) <= names]
    return found


@pytest.mark.parametrize(("path", "query"), _list_requests())
def test_official_list_answers_conform(official_schema, path, query):
    """The ordinary requests of a harvester, each a 200 checked against the document."""
    operation = official_schema[path]["GET"]
    case = operation.Case(query=query)
    response = case.call()
    CALLS[f"GET {path}"] = CALLS.get(f"GET {path}", Counter()) + Counter([response.status_code])
    assert response.status_code == 200, response.text[:300]
    checks = CHECKS
    if f"GET {path}" in NO_BODY_SCHEMA:
        checks = [c for c in CHECKS if c is not response_schema_conformance]
    case.validate_response(response, checks=checks)
