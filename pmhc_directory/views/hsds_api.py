"""The HSDS 3.1 API under ``/hsds`` (spec/api.md 7); see docs/hsds-feed.md.

Readable without login while ``PUBLIC_DIRECTORY`` is on, else by any staff login (401 JSON).
Lists answer one HSDS ``Page`` (``format=json``) or every match as newline-delimited JSON
(``format=ndjson``). Bad parameters are 422 (400 for a filter the endpoint does not take),
unknown ids 404, always in the JSON error shape. Every answer allows any origin (CORS), as
open HSDS feeds do.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, jsonify, request, stream_with_context, url_for

from ..auth import directory_reader
from ..db import get_session, normalize_uuid
from ..errors import SearchUnavailableError
from ..hsds import objects, profile
from ..services import hsds_feed as feed
from .errors import input_error, json_error, search_unavailable

bp = Blueprint("hsds", __name__, url_prefix="/hsds")

NDJSON = "application/x-ndjson"


@bp.after_request
def _allow_any_origin(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def _index() -> Any:
    from ..search import get_search_index

    return get_search_index()


def _not_found(kind: str) -> Any:
    return json_error(404, "not-found", f"There is no {kind} with this id.")


def _id_or_none(raw: str) -> str | None:
    try:
        return normalize_uuid(raw)
    except ValueError:
        return None


def _ndjson(items: Iterable[dict[str, Any]]) -> Response:
    def lines() -> Iterator[str]:
        for item in items:
            yield json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n"

    return Response(stream_with_context(lines()), mimetype=NDJSON)


def _list(
    endpoint: str,
    page: Callable[[feed.ListParams], feed.Page[Any]],
    stream: Callable[[feed.ListParams], Iterable[Any]],
    to_json: Callable[[Any, feed.ListParams, dict[str, Any]], dict[str, Any]],
) -> Any:
    """Parse the parameters, then answer one page or the whole stream."""
    try:
        params = feed.parse_list_params(endpoint, request.args, _zone())
        if params.format == "ndjson":
            rows = stream(params)
            return _ndjson(to_json(row, params, {}) for row in rows)
        found = page(params)
    except feed.FeedInputError as exc:
        return input_error(exc)
    except SearchUnavailableError:
        return search_unavailable()
    contents = [to_json(item, params, found.extras) for item in found.items]
    return jsonify(found.envelope(contents))


# / , /profile, /openapi.json ------------------------------------------------------------------


def _profile_urls() -> dict[str, str]:
    base = request.host_url.rstrip("/")
    return {
        "profile": url_for("hsds.profile_document", _external=True),
        "openapi": url_for("hsds.openapi_document", _external=True),
        "root": url_for("hsds.root", _external=True),
        "taxonomy_terms": url_for("hsds.list_taxonomy_terms", _external=True),
        "match": url_for("api.match", _external=True),
        "api_openapi": f"{base}/api/v1/openapi.json",
        "capacity": f"{base}/api/v1/services/{{id}}/capacity",
    }


def _publisher() -> dict[str, Any]:
    """The HSDS 3.1 ``publisher`` of this feed: setting ``HSDS_PUBLISHER``, else the
    directory's name and address. Only the HSDS publisher fields are passed on."""
    configured = current_app.config.get("HSDS_PUBLISHER") or {}
    fields = ("name", "identifier", "email", "website", "additional_websites")
    publisher = {k: configured[k] for k in fields if configured.get(k) not in (None, "")}
    publisher.setdefault("name", "PMHC Directory")
    publisher.setdefault("website", request.host_url)
    return publisher


@bp.get("/")
@directory_reader
def root() -> Any:
    """HSDS ``/``: the HSDS version, the profile, the OpenAPI document and the publisher."""
    return jsonify(
        {
            "version": profile.HSDS_VERSION,
            "profile": url_for("hsds.profile_document", _external=True),
            "openapi_url": url_for("hsds.openapi_document", _external=True),
            "description": "Crisis services of a police-mental health collaboration directory.",
            "publisher": _publisher(),
        }
    )


@bp.get("/profile")
@directory_reader
def profile_document() -> Any:
    return jsonify(profile.profile_document(_profile_urls()))


@bp.get("/openapi.json")
@directory_reader
def openapi_document() -> Any:
    server = url_for("hsds.root", _external=True).rstrip("/")
    return jsonify(
        profile.openapi_document(server, url_for("hsds.profile_document", _external=True))
    )


# Services ---------------------------------------------------------------------------------------


@bp.get("/services")
@directory_reader
def list_services() -> Any:
    session = get_session()
    return _list(
        "services",
        lambda p: (feed.minimal_service_page if p.minimal else feed.service_page)(
            session, _index(), p
        ),
        lambda p: (feed.stream_minimal_services if p.minimal else feed.stream_services)(
            session, _index(), p
        ),
        lambda s, p, _extras: s if p.minimal else objects.service_object(s, full=p.full),
    )


@bp.get("/services/<service_id>")
@directory_reader
def get_service(service_id: str) -> Any:
    found = _id_or_none(service_id)
    service = feed.get_service(get_session(), found) if found else None
    if service is None:
        return _not_found("service")
    return jsonify(objects.service_object(service))


# Service at locations ---------------------------------------------------------------------------


def _sal_json(row: Any, params: feed.ListParams, extras: dict[str, Any]) -> dict[str, Any]:
    if len(row) == 3:  # from the stream: (sal, service, extras)
        sal, service, own = row
    else:
        sal, service = row
        own = extras.get(sal.id, {})
    return objects.service_at_location_object(sal, service, full=params.full, extras=own)


@bp.get("/service_at_locations")
@directory_reader
def list_service_at_locations() -> Any:
    session = get_session()
    return _list(
        "service_at_locations",
        lambda p: feed.service_at_location_page(session, _index(), p),
        lambda p: feed.stream_service_at_locations(session, _index(), p),
        _sal_json,
    )


@bp.get("/service_at_locations/<sal_id>")
@directory_reader
def get_service_at_location(sal_id: str) -> Any:
    found = _id_or_none(sal_id)
    pair = feed.get_service_at_location(get_session(), found) if found else None
    if pair is None:
        return _not_found("service_at_location")
    return jsonify(objects.service_at_location_object(*pair))


# Organizations ----------------------------------------------------------------------------------


@bp.get("/organizations")
@directory_reader
def list_organizations() -> Any:
    session = get_session()
    return _list(
        "organizations",
        lambda p: feed.organization_page(session, p),
        lambda p: feed.stream_organizations(session, p),
        lambda o, p, _extras: objects.organization_object(
            o, full=p.full, full_service=p.full_service
        ),
    )


@bp.get("/organizations/<organization_id>")
@directory_reader
def get_organization(organization_id: str) -> Any:
    try:
        params = feed.parse_list_params(
            "organizations", _only(request.args, "full_service"), _zone()
        )
    except feed.FeedInputError as exc:
        return input_error(exc)
    found = _id_or_none(organization_id)
    bundle = feed.get_organization(get_session(), found) if found else None
    if bundle is None:
        return _not_found("organization")
    return jsonify(objects.organization_object(bundle, full_service=params.full_service))


def _only(args: Any, *names: str) -> dict[str, str]:
    return {name: args[name] for name in names if name in args}


# Taxonomies and terms ---------------------------------------------------------------------------


@bp.get("/taxonomies")
@directory_reader
def list_taxonomies() -> Any:
    session = get_session()
    return _list(
        "taxonomies",
        lambda p: feed.taxonomy_page(session, p),
        lambda p: feed.stream_taxonomies(session, p),
        lambda t, _p, _extras: objects.taxonomy_object(t),
    )


@bp.get("/taxonomies/<taxonomy_id>")
@directory_reader
def get_taxonomy(taxonomy_id: str) -> Any:
    found = _id_or_none(taxonomy_id)
    taxonomy = feed.get_taxonomy(get_session(), found) if found else None
    if taxonomy is None:
        return _not_found("taxonomy")
    return jsonify(objects.taxonomy_object(taxonomy))


@bp.get("/taxonomy_terms")
@directory_reader
def list_taxonomy_terms() -> Any:
    session = get_session()
    return _list(
        "taxonomy_terms",
        lambda p: feed.taxonomy_term_page(session, p),
        lambda p: feed.stream_taxonomy_terms(session, p),
        lambda t, _p, _extras: objects.taxonomy_term_object(t),
    )


@bp.get("/taxonomy_terms/<term_id>")
@directory_reader
def get_taxonomy_term(term_id: str) -> Any:
    found = _id_or_none(term_id)
    term = feed.get_taxonomy_term(get_session(), found) if found else None
    if term is None:
        return _not_found("taxonomy term")
    return jsonify(objects.taxonomy_term_object(term))
