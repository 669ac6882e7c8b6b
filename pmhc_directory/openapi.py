"""The OpenAPI 3.1 document of ``/api/v1`` (served at ``/api/v1/openapi.json``).

Written by hand from the views (``views/api*.py``) and spec/api.md, as plain data. Answers are
described with the fields the API promises (``required``) and their types; further fields may
be added (``additionalProperties`` is left open, as spec/api.md allows). The functional test
``tests/functional/test_openapi_schemathesis.py`` runs schemathesis against this document, so a
change to a view's answer that the document does not describe fails there.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from .services.capacity import UNITS
from .services.planning_layers import LAYERS

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1"

Schema = dict[str, Any]


def _nullable(schema: Schema) -> Schema:
    """``schema`` or null."""
    return {"anyOf": [schema, {"type": "null"}]}


def _obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """An object with these required properties (further properties allowed)."""
    properties = {**required, **(optional or {})}
    return {"type": "object", "required": list(required), "properties": properties}


STRING: Schema = {"type": "string"}
NUMBER: Schema = {"type": "number"}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
STRINGS: Schema = {"type": "array", "items": STRING}
NUMBERS: Schema = {"type": "array", "items": {"type": ["number", "null"]}}
DATE_TIME: Schema = {"type": "string", "format": "date-time"}
DATE: Schema = {"type": "string", "format": "date"}
ANY_OBJECT: Schema = {"type": "object"}


def _codes(taxonomy: str) -> Schema:
    """One or more codes of a PMHC taxonomy: ``needs=a&needs=b`` (``needs=a,b`` also works)."""
    from .taxonomy import vocabulary

    return {"type": "array", "items": {"type": "string", "enum": vocabulary().codes(taxonomy)}}


def _code(taxonomy: str) -> Schema:
    from .taxonomy import vocabulary

    return {"type": "string", "enum": vocabulary().codes(taxonomy)}


ERROR = _obj(
    {
        "error": {
            "type": "object",
            "required": ["code", "message", "field"],
            "properties": {
                "code": {"type": "string", "description": "A slug such as invalid, not-found."},
                "message": {"type": "string", "description": "A sentence for a person."},
                "field": {
                    "type": ["string", "null"],
                    "description": "The parameter or body field at fault, or null.",
                },
            },
        }
    }
)

CAPACITY = _obj(
    {
        "available": _nullable(INTEGER),
        "maximum": _nullable(INTEGER),
        "unit": _nullable(STRING),
        "updated": _nullable(DATE_TIME),
        "stale": BOOLEAN,
    }
)

MATCH_RESULT = _obj(
    {
        "service_id": STRING,
        "service_at_location_id": _nullable(STRING),
        "name": STRING,
        "organization": STRING,
        "service_types": STRINGS,
        "continuum": _nullable(STRING),
        "distance_km": _nullable(NUMBER),
        "travel_minutes": _nullable(NUMBER),
        "travel_source": {
            "type": ["string", "null"],
            "enum": ["road", "estimate", "unreachable", "beyond", None],
            "description": "road: over the loaded road network; estimate: a network is loaded "
            "but a point is off it; unreachable: no road route (travel_minutes null); "
            "beyond: a road route longer than the lookup's road search went, more than every "
            "travel limit (travel_minutes null); "
            "null: no road network, straight-line estimate (docs/roads.md).",
        },
        "open_now": {"type": ["boolean", "null"], "description": "null: hours unknown"},
        "closes_at": _nullable(DATE_TIME),
        "opens_next": _nullable(DATE_TIME),
        "always_open": BOOLEAN,
        "capacity": _nullable(CAPACITY),
        "attributes": STRINGS,
        "phones": STRINGS,
        "address": _nullable(STRING),
        "lat": _nullable(NUMBER),
        "lon": _nullable(NUMBER),
        "assured_date": _nullable(DATE),
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "reasons": STRINGS,
    },
    {
        "matched_type": _nullable(STRING),
        "open_status_text": STRING,
        "capacity_text": _nullable(STRING),
        "directions_url": _nullable(STRING),
        "geo_uri": _nullable(STRING),
        "alert": {**_nullable(STRING), "description": "the service's alert in force (first line)"},
        "tier": {
            "type": "integer",
            "minimum": 0,
            "description": "the need's preference tier (0 = first choice); results are ordered "
            "by tier, then score",
        },
        "eligibility": {
            **STRINGS,
            "description": "who the place is for, as short tags (18+, Women only...)",
        },
    },
)

MATCH_ANSWER = _obj(
    {
        "query": _obj(
            {
                "lat": NUMBER,
                "lon": NUMBER,
                "location_source": _nullable(STRING),
                "at": DATE_TIME,
                "needs": STRINGS,
                "types": STRINGS,
            },
            {
                "location_label": _nullable(STRING),
                "age": _nullable(INTEGER),
                "language": _nullable(STRING),
                "payment": _nullable(STRING),
                "population": STRINGS,
                "gender": _nullable(STRING),
                "transport": BOOLEAN,
                "intoxicated": _nullable(BOOLEAN),
                "involuntary": BOOLEAN,
                "max_minutes": _nullable(NUMBER),
                "limit": INTEGER,
                "open_now": _nullable(BOOLEAN),
            },
        ),
        "contact_lines": {
            "type": "array",
            "items": _obj(
                {"service_id": STRING, "name": STRING, "phones": STRINGS},
                {"always_open": BOOLEAN},
            ),
        },
        "results": {"type": "array", "items": {"$ref": "#/components/schemas/MatchResult"}},
        "excluded": {
            "type": "array",
            "items": _obj(
                {
                    "service_id": STRING,
                    "name": STRING,
                    "reasons": {
                        "type": "array",
                        "items": _obj({"code": STRING, "message": STRING}),
                    },
                },
                {"service_at_location_id": _nullable(STRING)},
            ),
        },
        "gaps": {
            "type": "array",
            "items": _obj(
                {"need": _nullable(STRING), "message": STRING},
                {
                    "service_type": _nullable(STRING),
                    "detail": {
                        **_nullable(STRING),
                        "description": "what blocked the places of these kinds that exist",
                    },
                    "cause": {
                        "enum": ["facts", "options"],
                        "description": "options: places were left out only by the officer's "
                        "options (transport, max_minutes); not recorded as unmet need",
                    },
                    "left_out": {"type": "integer", "minimum": 0},
                    "left_out_by_options": {"type": "integer", "minimum": 0},
                    "blocked": {
                        "type": "array",
                        "items": _obj({"code": STRING, "count": {"type": "integer", "minimum": 1}}),
                    },
                },
            ),
        },
    },
    {
        "more_results": {"type": "integer", "minimum": 0},
        "excluded_more": {"type": "integer", "minimum": 0},
    },
)

SEARCH_PAGE = _obj(
    {
        "total_items": {"type": "integer", "minimum": 0},
        "total_pages": {"type": "integer", "minimum": 0},
        "page_number": {"type": "integer", "minimum": 1},
        "size": {"type": "integer", "minimum": 0},
        "first_page": BOOLEAN,
        "last_page": BOOLEAN,
        "empty": BOOLEAN,
        "contents": {
            "type": "array",
            "items": _obj(
                {
                    "id": STRING,
                    "name": STRING,
                    "organization": _nullable(STRING),
                    "service_types": STRINGS,
                    "score": NUMBER,
                },
                {
                    "alternate_name": _nullable(STRING),
                    "description": _nullable(STRING),
                    "organization_id": _nullable(STRING),
                    "status": _nullable(STRING),
                },
            ),
        },
    },
    {"per_page": INTEGER, "query": ANY_OBJECT},
)

GEOMETRY = _nullable({"type": "object", "required": ["type"], "properties": {"type": STRING}})


def _feature_collection(properties: Schema, extra: dict[str, Schema] | None = None) -> Schema:
    feature = _obj({"type": {"const": "Feature"}, "geometry": GEOMETRY, "properties": properties})
    return _obj(
        {"type": {"const": "FeatureCollection"}, "features": {"type": "array", "items": feature}},
        extra,
    )


def _layer_properties(name: str) -> Schema:
    """A planning layer's feature properties, as the registry declares them
    (``services/planning_layers.py``)."""
    declared = LAYERS[name].properties
    schemas = {key: {**prop.schema, "description": prop.meaning} for key, prop in declared.items()}
    required = {key: schema for key, schema in schemas.items() if declared[key].required}
    optional = {key: schema for key, schema in schemas.items() if not declared[key].required}
    return _obj(required, optional)


def _layer_summary(name: str, shape: str = "") -> str:
    layer = LAYERS[name]
    return f"{layer.title}: {layer.holds}{f' ({shape})' if shape else ''}."


COVERAGE = _feature_collection(
    _layer_properties("coverage"),
    {
        "summary": _obj(
            {"population": NUMBER, "by_type": ANY_OBJECT},
            {"at": DATE_TIME, "types": STRINGS, "by_continuum": ANY_OBJECT},
        )
    },
)
ACCESS = _feature_collection(
    _layer_properties("access"),
    {"method": STRING, "service_type": STRING},
)
NEED = _obj(
    {
        "rows": {
            "type": "array",
            "items": _obj(
                {
                    "service_type": STRING,
                    "needed": _nullable(NUMBER),
                    "in_inventory": NUMBER,
                    "shortfall": _nullable(NUMBER),
                },
                {"label": STRING, "unit": STRING, "needed_rounded_up": _nullable(INTEGER)},
            ),
        },
        "population": NUMBER,
    },
    {"parameters": ANY_OBJECT, "ratios": ANY_OBJECT},
)
SITES = _obj(
    {
        "type": STRING,
        "p": INTEGER,
        "sites": {"type": "array", "items": ANY_OBJECT},
        "covered_before": NUMBER,
        "covered_after": NUMBER,
        "population": NUMBER,
    },
    {"optimal": BOOLEAN, "solver_status": STRING, "threshold_minutes": _nullable(NUMBER)},
)


def _param(name: str, schema: Schema, description: str, *, where: str = "query") -> Schema:
    param = {
        "name": name,
        "in": where,
        "required": where == "path",
        "description": description,
        "schema": schema,
    }
    if schema.get("type") == "array":
        param.update(style="form", explode=True)
    return param


def _json(schema: Schema | str, description: str) -> Schema:
    ref = {"$ref": f"#/components/schemas/{schema}"} if isinstance(schema, str) else schema
    return {"description": description, "content": {"application/json": {"schema": ref}}}


def _error(description: str) -> Schema:
    return _json("Error", description)


PRIVATE = _error("Login needed: the directory is not public (PMHC_PUBLIC_DIRECTORY=false).")

MATCH_FIELDS: list[tuple[str, Schema, str]] = [
    ("lat", {"type": "number", "minimum": -90, "maximum": 90}, "WGS84 latitude (with lon)."),
    ("lon", {"type": "number", "minimum": -180, "maximum": 180}, "WGS84 longitude (with lat)."),
    ("near", {"type": "string", "maxLength": 200}, "Address, ZIP, place or landmark."),
    ("needs", _codes("need"), "need codes."),
    ("types", _codes("service-type"), "service-type codes."),
    ("age", {"type": "integer", "minimum": 0, "maximum": 130}, "Age in years."),
    ("language", STRING, "ISO 639-1 code such as es."),
    ("payment", _code("payment"), "A payment code (medicaid, uninsured...)."),
    ("population", _codes("population"), "population codes the person belongs to."),
    ("gender", {"type": "string", "enum": ["woman", "man"]}, "Left out when not given."),
    ("transport", BOOLEAN, "An officer brings the person (needs law-enforcement drop-off)."),
    ("intoxicated", BOOLEAN, "Whether the person is intoxicated."),
    ("involuntary", BOOLEAN, "The person is on an emergency hold."),
    ("at", DATE_TIME, "When to evaluate hours and capacity (default now, within a year)."),
    (
        "max_minutes",
        {"type": "number", "exclusiveMinimum": 0, "maximum": 600},
        "Travel-time cap in minutes.",
    ),
    ("limit", {"type": "integer", "minimum": 1, "maximum": 50}, "Results wanted (default 10)."),
    ("open_now", BOOLEAN, "Require open now (default: for crisis services)."),
]


def _match_operation(method: str) -> Schema:
    operation: Schema = {
        "operationId": f"match{method.title()}",
        "summary": "Where can this person go now? Ranked services, exclusions and gaps.",
        "tags": ["match"],
        "responses": {
            "200": _json("MatchAnswer", "Results best first (spec/api.md 3)."),
            "400": _error("A field is missing or malformed (the error names it)."),
            "401": PRIVATE,
            "422": _error("The place in near was not found."),
            "429": _error("Too many lookups from this client or account; see Retry-After."),
        },
    }
    if method == "get":
        operation["parameters"] = [_param(n, s, d) for n, s, d in MATCH_FIELDS]
    else:
        body = {
            "type": "object",
            "properties": {
                # Code lists are JSON arrays here (a comma-separated string is accepted too).
                n: s
                for n, s, _ in MATCH_FIELDS
            },
        }
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
        operation["responses"]["415"] = _error("The body is not sent as application/json.")
    return operation


def _gaps_get(summary: str, params: list[Schema], answer: Schema | str, op_id: str) -> Schema:
    return {
        "get": {
            "operationId": op_id,
            "summary": summary,
            "tags": ["gaps"],
            "parameters": params,
            "responses": {
                "200": _json(answer, summary),
                "401": PRIVATE,
                "409": _error("No analysis areas are loaded (flask geography import)."),
                "422": _error("A parameter is invalid (the error names it)."),
            },
        }
    }


TYPE_PARAM = _param("type", _code("service-type"), "One service-type code.")
MINUTES_PARAM = _param(
    "max_minutes", {"type": "number", "exclusiveMinimum": 0}, "Travel-time threshold in minutes."
)


def build_document() -> dict[str, Any]:
    """A fresh copy of the document (callers may change it)."""
    capacity_body = {
        "type": "object",
        "required": ["unit", "available"],
        "properties": {
            "unit": {"type": "string", "enum": list(UNITS)},
            "available": {"type": "integer", "minimum": 0},
            "maximum": {"type": ["integer", "null"], "minimum": 0},
        },
    }
    paths = {
        "/api/v1/match": {"get": _match_operation("get"), "post": _match_operation("post")},
        "/api/v1/services": {
            "get": {
                "operationId": "searchServices",
                "summary": "Full-text search of services in the HSDS page envelope.",
                "tags": ["search"],
                "parameters": [
                    _param("q", {"type": "string", "maxLength": 200}, "Words to look for."),
                    _param("types", _codes("service-type"), "service-type codes."),
                    _param("page", {"type": "integer", "minimum": 1}, "Page from 1."),
                    _param(
                        "per_page",
                        {"type": "integer", "minimum": 1, "maximum": 100},
                        "Items per page (default 20).",
                    ),
                ],
                "responses": {
                    "200": _json("SearchPage", "Services best first."),
                    "401": PRIVATE,
                    "422": _error("A parameter is invalid (the error names it)."),
                    "503": _error("The search index is unavailable; try again."),
                },
            }
        },
        "/api/v1/services/{service_id}/capacity": {
            "post": {
                "operationId": "reportCapacity",
                "summary": "A provider reports free places for one of its services.",
                "tags": ["providers"],
                "security": [{"providerToken": []}],
                "parameters": [
                    _param("service_id", STRING, "The service's id.", where="path"),
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": capacity_body}},
                },
                "responses": {
                    "200": _json(
                        _obj(
                            {
                                "service_id": STRING,
                                "unit": STRING,
                                "available": INTEGER,
                                "maximum": _nullable(INTEGER),
                                "updated": DATE_TIME,
                                "stale": BOOLEAN,
                            }
                        ),
                        "The stored figure; updated is set by the server.",
                    ),
                    "400": _error("The body is not a JSON object."),
                    "401": _error("No token, or an unknown or revoked one."),
                    "403": _error("The service belongs to another provider."),
                    "404": _error("There is no service with this id."),
                    "415": _error("The body is not sent as application/json."),
                    "422": _error("A negative or non-integer count, or an unknown unit."),
                    "429": _error("Too many reports with this token; see Retry-After."),
                },
            }
        },
        "/api/v1/gaps/coverage": _gaps_get(
            _layer_summary("coverage", "GeoJSON"),
            [
                _param(
                    "types", _codes("service-type"), "service-type codes (default: crisis ones)."
                ),
                _param("at", DATE_TIME, "The moment (default now)."),
                MINUTES_PARAM,
            ],
            "Coverage",
            "gapsCoverage",
        ),
        "/api/v1/gaps/access": _gaps_get(
            _layer_summary("access", "GeoJSON"),
            [
                TYPE_PARAM,
                _param(
                    "method",
                    {"type": "string", "enum": ["2sfca", "e2sfca", "gravity"]},
                    "Method (default e2sfca).",
                ),
                MINUTES_PARAM,
            ],
            "Access",
            "gapsAccess",
        ),
        "/api/v1/gaps/need": _gaps_get(
            _layer_summary("need"),
            [],
            "Need",
            "gapsNeed",
        ),
        "/api/v1/gaps/sites": _gaps_get(
            _layer_summary("sites"),
            [
                TYPE_PARAM,
                _param("p", {"type": "integer", "minimum": 1, "maximum": 50}, "Sites to add."),
                MINUTES_PARAM,
            ],
            "Sites",
            "gapsSites",
        ),
    }
    paths["/api/v1/gaps/sites"]["post"] = {
        "operationId": "gapsSitesPost",
        "summary": "Suggested sites among candidate points sent in the body.",
        "tags": ["gaps"],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "type": _code("service-type"),
                            "p": {"type": "integer", "minimum": 1, "maximum": 50},
                            "max_minutes": {"type": "number", "exclusiveMinimum": 0},
                            "candidates": {
                                "type": "array",
                                "minItems": 1,
                                "items": _obj(
                                    {
                                        "lat": {"type": "number", "minimum": -90, "maximum": 90},
                                        "lon": {
                                            "type": "number",
                                            "minimum": -180,
                                            "maximum": 180,
                                        },
                                    },
                                    {"id": STRING},
                                ),
                            },
                        },
                    }
                }
            },
        },
        "responses": {
            **paths["/api/v1/gaps/sites"]["get"]["responses"],
            "400": _error("The body is not a JSON object."),
            "415": _error("The body is not sent as application/json."),
        },
    }
    paths["/api/v1/gaps/coverage/week"] = _gaps_get(
        f"{_layer_summary('week')} The worst hour of the week is in worst.",
        [
            _param("types", _codes("service-type"), "service-type codes."),
            _param("at", DATE_TIME, "A moment of the week to profile (default now)."),
            MINUTES_PARAM,
        ],
        _obj(
            {"hours": INTEGER, "population": NUMBER, "types": STRINGS, "all_three": NUMBERS},
            {
                "start": STRING,
                "week_of": DATE,
                "zone": STRING,
                "by_type": ANY_OBJECT,
                "worst": ANY_OBJECT,
            },
        ),
        "gapsCoverageWeek",
    )
    paths["/api/v1/gaps/unmet"] = _gaps_get(
        _layer_summary("unmet", "anonymous counts, GeoJSON"),
        [_param("since", DATE, "Count from this day (default: all).")],
        _feature_collection(
            _layer_properties("unmet"),
            {"total": INTEGER, "outside_areas": INTEGER},
        ),
        "gapsUnmet",
    )
    paths["/api/v1/gaps/services"] = _gaps_get(
        _layer_summary("services", "points, GeoJSON"),
        [_param("types", _codes("service-type"), "service-type codes.")],
        _feature_collection(_layer_properties("services")),
        "gapsServices",
    )
    for item in paths.values():
        for method, operation in item.items():
            responses = operation["responses"]
            # views/security.py refuses a NUL character in any query, form or JSON value before
            # a view runs, so every operation can answer 400.
            responses.setdefault(
                "400",
                _error("A value is malformed, e.g. it holds a NUL character (the error names it)."),
            )
            responses.setdefault(
                "503", _error("The database or search index is unavailable; try again.")
            )
            if method == "post":
                responses.setdefault("413", _error("The body is larger than the server accepts."))
    document = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "PMHC Directory API",
            "version": API_VERSION,
            "description": (
                "Crisis-service directory, officer lookup and gap analysis (spec/api.md). "
                "Reading needs no login while the directory is public; capacity reports use "
                "a provider's bearer token. Every error answer has the Error shape."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": {
                "Error": ERROR,
                "MatchResult": MATCH_RESULT,
                "MatchAnswer": MATCH_ANSWER,
                "SearchPage": SEARCH_PAGE,
                "Coverage": COVERAGE,
                "Access": ACCESS,
                "Need": NEED,
                "Sites": SITES,
            },
            "securitySchemes": {
                "providerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from `flask tokens create --organization <id>`.",
                }
            },
        },
    }
    return deepcopy(document)
