"""The PMHC profile of HSDS 3.1 and the OpenAPI 3.1 document of ``/hsds``, as plain data.

Both are answered by ``views/hsds_api.py`` (``/hsds/profile``, ``/hsds/openapi.json``); the
caller passes the absolute URLs so the documents name this server. Object schemas are not
copied: the OpenAPI document points at the official HSDS schemas by URL
(:data:`HSDS_SCHEMA_BASE`), where validators fetch them.
"""

from __future__ import annotations

from typing import Any

from ..taxonomy import SERVICE_TYPE, vocabulary

HSDS_VERSION = "3.1"
PROFILE_VERSION = "1.0"
#: Where the official HSDS 3.1 schemas are published (the 3.1 line of openreferral/specification).
HSDS_SCHEMA_BASE = "https://raw.githubusercontent.com/openreferral/specification/3.1/schema/"
# Limits of every /hsds list, applied by services/hsds_feed.py and published here.
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
#: Highest page number accepted (a page beyond the last is answered empty, without a query).
MAX_PAGE = 1_000_000
#: Largest ``proximity`` accepted, in metres (HSDS gives proximity in metres).
MAX_PROXIMITY_METRES = 1_000_000
#: Longest ``search`` text accepted, in characters.
MAX_SEARCH_CHARS = 200
#: ``minimal=true`` answers every service in one call: its default and largest page size.
MAX_MINIMAL_PER_PAGE = 10_000
#: The limits every list applies, as the OpenAPI document and the 422 answers state them.
LIMITS_TEXT = (
    f"page 1 to {MAX_PAGE}; per_page 1 to {MAX_PER_PAGE} (default {DEFAULT_PER_PAGE}; with "
    f"minimal=true 1 to {MAX_MINIMAL_PER_PAGE}, default {MAX_MINIMAL_PER_PAGE}); search at most "
    f"{MAX_SEARCH_CHARS} characters; format json or ndjson; an empty value is refused, never "
    "read as no filter."
)

# link_type of each PMHC taxonomy's attributes (docs/hsds-conventions.md).
_LINK_TYPES = {
    "service-type": ["service_type"],
    "attribute": ["diversion"],
    "payment": ["payment"],
    "population": ["eligibility", "audience"],
    "need": [],
}


def hsds_schema(name: str) -> str:
    """URL of an official HSDS schema: ``compiled/service.json``, ``taxonomy.json``..."""
    return HSDS_SCHEMA_BASE + name


def profile_document(urls: dict[str, str]) -> dict[str, Any]:
    """What this API adds to HSDS 3.1 and how PMHC facts are written in it.

    :param urls: absolute URLs by name: ``profile``, ``openapi``, ``root``, ``taxonomy_terms``,
        ``match``, ``api_openapi``, ``capacity`` (with ``{id}`` for the service id).
    """
    vocab = vocabulary()
    taxonomies = [
        {
            "id": info.id,
            "key": info.key,
            "name": info.name,
            "description": info.description,
            "uri": info.uri,
            "version": info.version,
            "attribute_link_types": _LINK_TYPES.get(info.key, []),
            "terms": f"{urls['taxonomy_terms']}?taxonomy_id={info.id}",
        }
        for info in vocab.taxonomies.values()
    ]
    continuum = [
        {
            "code": code,
            "label": label,
            "service_types": vocab.service_types_in(code),
        }
        for code, label in vocab.continuum.items()
    ]
    return {
        "name": "PMHC Directory HSDS profile",
        "version": PROFILE_VERSION,
        "hsds_version": HSDS_VERSION,
        "uri": urls["profile"],
        "openapi_url": urls["openapi"],
        "description": (
            "HSDS 3.1 as published by a PMHC (police-mental health collaboration) crisis-service "
            "directory. Every object is valid against the official HSDS 3.1 compiled schemas; "
            "nothing is renamed or removed. PMHC facts are attributes with terms of the PMHC "
            "taxonomies, capacity uses HSDS 3.1 service_capacity, and two non-HSDS APIs "
            "(matching and capacity updates) sit beside the feed."
        ),
        "taxonomy": {
            "description": (
                "Services are classified with attributes (link_entity 'service') whose "
                "taxonomy_term has taxonomy = the PMHC taxonomy key and a stable code; term and "
                "taxonomy ids never change. Filter with taxonomy_term_id or taxonomy_id."
            ),
            "vocabulary_version": vocab.version,
            "taxonomies": taxonomies,
            "attribute_link_types": {
                "service_type": "what the service is (taxonomy service-type); first is primary",
                "diversion": "a fact that decides whether an officer can use the service now "
                "(taxonomy attribute, e.g. accepts-law-enforcement-dropoff)",
                "payment": "a payment the service accepts (taxonomy payment)",
                "eligibility": "the service serves only people of this population "
                "(taxonomy population)",
                "audience": "the service specialises in this population but turns no one away "
                "(taxonomy population)",
            },
            "continuum": {
                "description": (
                    "Each service type belongs to one element of the crisis continuum; a "
                    "service's element is that of its first service_type attribute."
                ),
                "taxonomy": SERVICE_TYPE,
                "elements": continuum,
            },
            "need_terms": (
                "Terms of the need taxonomy are never attached to services: they are the "
                "vocabulary of the match API, each mapped to service types."
            ),
        },
        "capacity": {
            "description": (
                "service.capacities[] (HSDS 3.1 service_capacity) holds the latest count "
                "reported by the provider: available, maximum, updated (date-time with "
                "offset) and a nested unit named bed, chair, slot or team with scheme PMHC."
            ),
            "update_api": {
                "method": "POST",
                "url": urls["capacity"],
                "authentication": "Bearer token issued to the provider's organization",
                "body": {"unit": "bed", "available": 3, "maximum": 16},
            },
        },
        "match_api": {
            "description": (
                "Ranked services for one person now (needs, location, age, language, payment, "
                "opening hours, capacity, police drop-off rules). Not part of HSDS."
            ),
            "url": urls["match"],
            "openapi_url": urls["api_openapi"],
        },
        "api": {
            "endpoints": [
                "/",
                "/services",
                "/services/{id}",
                "/service_at_locations",
                "/service_at_locations/{id}",
                "/organizations",
                "/organizations/{id}",
                "/taxonomies",
                "/taxonomies/{id}",
                "/taxonomy_terms",
                "/taxonomy_terms/{id}",
            ],
            "paging": (
                f"page counts from 1 (at most {MAX_PAGE}); per_page 1-{MAX_PER_PAGE} "
                f"(default {DEFAULT_PER_PAGE}); "
                "a page beyond the last is an empty page, not an error. The Page envelope also "
                "carries per_page."
            ),
            "limits": LIMITS_TEXT,
            "minimal": (
                "/services?minimal=true lists every service as {id, last_modified} only, "
                f"up to {MAX_MINIMAL_PER_PAGE} per page (the default), so a harvester can see "
                "what changed in one call."
            ),
            "format": (
                "format=ndjson streams every matching object, one per line, without envelope "
                "or paging (application/x-ndjson)."
            ),
            "full": (
                "List items are whole compiled objects by default; full=false gives the "
                "one-to-one list form (compiled/*_list.json)."
            ),
            "postcode": (
                "A US ZIP code. Without proximity: service_at_locations whose service area "
                "(the service_at_location's, else the service's) covers the ZIP's centroid, "
                "or, with no service area, whose location has an address in the ZIP."
            ),
            "proximity": (
                f"Metres from the ZIP's centroid (as HSDS says), at most "
                f"{MAX_PROXIMITY_METRES}; needs postcode. Results come nearest first and each "
                "carries distance_km (kilometres, an extension field)."
            ),
            "modified_after": (
                "ISO 8601; services (and service_at_locations by their service) whose "
                "last_modified is at or after it. Without an offset the instance's time zone "
                "is meant."
            ),
            "errors": (
                'Errors are {"error": {"code", "message", "field"}} with a 4xx status; a filter '
                "an endpoint does not take is refused (400, code unsupported-parameter)."
            ),
            "cors": "Every answer of these endpoints, errors included, carries "
            "Access-Control-Allow-Origin: *.",
        },
        "extension_fields": {
            "service_at_location.distance_km": "kilometres from the postcode centroid, with "
            "proximity only",
            "Page.per_page": "the page size asked for",
        },
        "documentation": "docs/hsds-feed.md and docs/hsds-conventions.md in the PMHC Directory",
    }


# ---------------------------------------------------------------------------------------------
# OpenAPI


def _param(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


def _error_responses(*statuses: int) -> dict[str, Any]:
    text = {
        400: "A parameter this endpoint does not take",
        401: "Login needed (the directory is not public)",
        404: "No object with this id",
        422: "A parameter value that cannot be used; error.field names it. Limits: " + LIMITS_TEXT,
    }
    return {
        str(status): {
            "description": text[status],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for status in statuses
    }


def _list_path(
    summary: str, operation_id: str, item_schema: str, params: list[str]
) -> dict[str, Any]:
    item: dict[str, Any] = {"$ref": hsds_schema(item_schema)}
    if "minimal" in params:
        item = {"anyOf": [item, {"$ref": "#/components/schemas/MinimalService"}]}
    return {
        "get": {
            "summary": summary,
            "operationId": operation_id,
            "parameters": [_param(p) for p in [*params, "page", "per_page", "format"]],
            "responses": {
                "200": {
                    "description": "One page of results (format=json), or every result as "
                    "newline-delimited JSON (format=ndjson).",
                    "content": {
                        "application/json": {
                            "schema": {
                                "allOf": [{"$ref": "#/components/schemas/Page"}],
                                "properties": {"contents": {"type": "array", "items": item}},
                            }
                        },
                        "application/x-ndjson": {"schema": item},
                    },
                },
                **_error_responses(400, 401, 422),
            },
        }
    }


def _item_path(summary: str, operation_id: str, schema: str, params: list[str]) -> dict[str, Any]:
    return {
        "parameters": [
            {
                "in": "path",
                "name": "id",
                "required": True,
                "description": "The object's id (a UUID).",
                "schema": {"type": "string"},
            }
        ],
        "get": {
            "summary": summary,
            "operationId": operation_id,
            "parameters": [_param(p) for p in params],
            "responses": {
                "200": {
                    "description": summary,
                    "content": {"application/json": {"schema": {"$ref": hsds_schema(schema)}}},
                },
                **_error_responses(401, 404, *([422] if params else [])),
            },
        },
    }


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


def _parameters() -> dict[str, Any]:
    uuid = {"type": "string", "format": "uuid"}
    boolean = {"type": "boolean"}
    return {
        "search": _query(
            "search",
            "Full-text search: services by name, description, organization, type, terms and "
            "places; organizations, taxonomies and terms by name and description. 1 to "
            f"{MAX_SEARCH_CHARS} characters (longer or empty: 422).",
            {"type": "string", "minLength": 1, "maxLength": MAX_SEARCH_CHARS},
        ),
        "page": _query(
            "page",
            f"Page number, 1 to {MAX_PAGE} (other values: 422; past the last page: empty).",
            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
        ),
        "per_page": _query(
            "per_page",
            f"Results per page, 1 to {MAX_PER_PAGE} (default {DEFAULT_PER_PAGE}; other values: "
            f"422). With minimal=true, 1 to {MAX_MINIMAL_PER_PAGE} (default "
            f"{MAX_MINIMAL_PER_PAGE}).",
            {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
        ),
        "format": _query(
            "format",
            "json (paged) or ndjson (every result, one per line, no paging); anything else: 422.",
            {"type": "string", "enum": ["json", "ndjson"], "default": "json"},
        ),
        "minimal": _query(
            "minimal",
            "true: every service as its id and last_modified only (MinimalService), "
            f"{MAX_MINIMAL_PER_PAGE} per page by default, to see what changed in one call.",
            boolean,
        ),
        "taxonomy_term_id": _query(
            "taxonomy_term_id", "Only records with an attribute of this term.", uuid
        ),
        "taxonomy_id": _query(
            "taxonomy_id", "Only records with an attribute of a term of this taxonomy.", uuid
        ),
        "organization_id": _query(
            "organization_id", "Only services this organization provides.", uuid
        ),
        "modified_after": _query(
            "modified_after",
            "Only services whose last_modified is at or after this date-time (ISO 8601).",
            {"type": "string", "format": "date-time"},
        ),
        "full": _query(
            "full",
            "true (default): whole compiled objects; false: one-to-one fields only.",
            boolean,
        ),
        "full_service": _query("full_service", "Nest whole services in the organization.", boolean),
        "postcode": _query(
            "postcode",
            "A US ZIP code; see the profile for how coverage is decided.",
            {"type": "string", "pattern": "^[0-9]{5}(-[0-9]{4})?$"},
        ),
        "proximity": _query(
            "proximity",
            "Metres from the postcode's centroid; needs postcode.",
            {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_PROXIMITY_METRES},
        ),
        "parent_id": _query("parent_id", "Only terms with this parent term.", uuid),
        "top_only": _query("top_only", "Only terms without a parent.", boolean),
    }


def openapi_document(server_url: str, profile_url: str) -> dict[str, Any]:
    """OpenAPI 3.1 description of ``/hsds`` (``server_url`` is its absolute base URL)."""
    service_filters = [
        "search",
        "taxonomy_term_id",
        "taxonomy_id",
        "organization_id",
        "modified_after",
        "full",
    ]
    publisher = {
        "type": "object",
        "description": "Who publishes this data (HSDS 3.1); setting HSDS_PUBLISHER.",
        "required": ["name"],
        "properties": {
            "name": {"type": "string"},
            "identifier": {"type": "string"},
            "email": {"type": "string", "format": "email"},
            "website": {"type": "string", "format": "uri"},
            "additional_websites": {"type": "array", "items": {"type": "object"}},
        },
    }
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "PMHC Directory HSDS API",
            "version": PROFILE_VERSION,
            "summary": "Crisis services of a police-mental health collaboration as HSDS 3.1.",
            "description": f"The HSDS {HSDS_VERSION} API with the PMHC profile ({profile_url}).",
            "license": {
                "name": "CC BY-SA 4.0 (HSDS schemas)",
                "url": "https://creativecommons.org/licenses/by-sa/4.0/",
            },
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/": {
                "get": {
                    "summary": "Information about this API and its HSDS profile.",
                    "operationId": "getAPIMetaInformation",
                    "responses": {
                        "200": {
                            "description": "HSDS version, profile and OpenAPI URLs.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": [
                                            "version",
                                            "profile",
                                            "openapi_url",
                                            "publisher",
                                        ],
                                        "properties": {
                                            "version": {"type": "string"},
                                            "profile": {"type": "string", "format": "uri"},
                                            "openapi_url": {"type": "string", "format": "uri"},
                                            "description": {"type": "string"},
                                            "publisher": publisher,
                                        },
                                    }
                                }
                            },
                        },
                        **_error_responses(401),
                    },
                }
            },
            "/profile": {
                "get": {
                    "summary": "The PMHC profile: taxonomy, capacity and matching extensions.",
                    "operationId": "getProfile",
                    "responses": {
                        "200": {
                            "description": "The profile document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
            "/services": _list_path(
                "Services, by name (best match first with search).",
                "getPaginatedListOfServices",
                "compiled/service.json",
                [*service_filters, "minimal"],
            ),
            "/services/{id}": _item_path(
                "A fully nested service.",
                "getFullyNestedServiceById",
                "compiled/service.json",
                [],
            ),
            "/service_at_locations": _list_path(
                "Services at locations (nearest first with proximity).",
                "getPaginatedListOfServiceAtLocation",
                "compiled/service_at_location.json",
                [*service_filters, "postcode", "proximity"],
            ),
            "/service_at_locations/{id}": _item_path(
                "A fully nested service_at_location.",
                "getFullyNestedServiceAtLocationById",
                "compiled/service_at_location.json",
                [],
            ),
            "/organizations": _list_path(
                "Organizations, by name.",
                "getPaginatedListOfOrganizations",
                "compiled/organization.json",
                ["search", "taxonomy_term_id", "taxonomy_id", "full", "full_service"],
            ),
            "/organizations/{id}": _item_path(
                "A fully nested organization.",
                "getFullyNestedOrganizationById",
                "compiled/organization.json",
                ["full_service"],
            ),
            "/taxonomies": _list_path(
                "Taxonomies, by name.", "getPaginatedListOfTaxonomies", "taxonomy.json", ["search"]
            ),
            "/taxonomies/{id}": _item_path("A taxonomy.", "getTaxonomyById", "taxonomy.json", []),
            "/taxonomy_terms": _list_path(
                "Taxonomy terms, by name.",
                "getPaginatedListOfTaxonomyTerms",
                "taxonomy_term.json",
                ["search", "taxonomy_id", "parent_id", "top_only"],
            ),
            "/taxonomy_terms/{id}": _item_path(
                "A taxonomy term.", "getTaxonomyTermById", "taxonomy_term.json", []
            ),
        },
        "components": {
            "parameters": _parameters(),
            "schemas": {
                "MinimalService": {
                    "type": "object",
                    "description": "A service as minimal=true lists it.",
                    "required": ["id"],
                    "additionalProperties": False,
                    "properties": {
                        "id": {"type": "string", "format": "uuid"},
                        "last_modified": {"type": "string", "format": "date-time"},
                    },
                },
                "Page": {
                    "type": "object",
                    "required": [
                        "total_items",
                        "total_pages",
                        "page_number",
                        "size",
                        "first_page",
                        "last_page",
                        "empty",
                        "contents",
                    ],
                    "properties": {
                        "total_items": {"type": "integer", "minimum": 0},
                        "total_pages": {"type": "integer", "minimum": 0},
                        "page_number": {"type": "integer", "minimum": 1},
                        "size": {"type": "integer", "minimum": 0},
                        "per_page": {"type": "integer", "minimum": 1},
                        "first_page": {"type": "boolean"},
                        "last_page": {"type": "boolean"},
                        "empty": {"type": "boolean"},
                        "contents": {"type": "array"},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message", "field"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                                "field": {"type": ["string", "null"]},
                            },
                        }
                    },
                },
            },
        },
    }
