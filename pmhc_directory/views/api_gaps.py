"""``/api/v1/gaps/*`` (spec/api.md 6): the planners' gap analysis as GeoJSON and JSON.

Each endpoint parses its parameters and answers with its layer's computation from the
registry (``services/planning_layers.py``), the same one the page's downloads and the
``gaps report`` command use.

Readable without login while ``PUBLIC_DIRECTORY`` is on (only public facts and population
counts). Bad parameters answer 400 (unreadable body) or 422 naming the field; without analysis
areas every geography-based endpoint answers 409 ``no-geography``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from ..auth import directory_reader
from ..db import get_session
from ..services import planning
from ..services.planning_layers import LAYERS, LayerQuery
from .api import bp
from .errors import json_error


def _answer(view: Callable[..., Any]) -> Callable[..., Any]:
    """Turn planning errors into JSON errors; reads only, so the session is rolled back."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        session = get_session()
        try:
            result = view(*args, **kwargs)
        except planning.PlanningInputError as exc:
            status = _BODY_STATUS.get(exc.code, 422)
            return json_error(status, exc.code, exc.message, exc.field)
        except planning.NoGeographyError as exc:
            return json_error(409, exc.code, exc.message)
        finally:
            session.rollback()
        response = current_app.json.response(result)
        response.headers["Cache-Control"] = "no-store"
        return response

    return wrapped


_BODY_STATUS = {"invalid-json": 400, "unsupported-media-type": 415}


def _types() -> list[str] | None:
    return planning.parse_types(request.args.getlist("types") or None)


def _layer(name: str, query: LayerQuery) -> dict[str, Any]:
    return LAYERS[name].run(get_session(), current_app.config, query)


@bp.get("/gaps/coverage")
@directory_reader
@_answer
def gaps_coverage() -> Any:
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    types = _types()
    at = planning.parse_at(request.args.get("at"), zone, datetime.now(UTC))
    max_minutes = planning.parse_minutes(request.args.get("max_minutes"))
    return _layer("coverage", LayerQuery(types=types, at=at, max_minutes=max_minutes))


@bp.get("/gaps/coverage/week")
@directory_reader
@_answer
def gaps_coverage_week() -> Any:
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    types = _types()
    max_minutes = planning.parse_minutes(request.args.get("max_minutes"))
    week_of = planning.parse_at(request.args.get("at"), zone, datetime.now(UTC))
    return _layer("week", LayerQuery(types=types, at=week_of, max_minutes=max_minutes))


@bp.get("/gaps/access")
@directory_reader
@_answer
def gaps_access() -> Any:
    service_type = planning.parse_type(request.args.get("type"))
    method = planning.parse_method(request.args.get("method"))
    max_minutes = planning.parse_minutes(request.args.get("max_minutes"))
    query = LayerQuery(service_type=service_type, method=method, max_minutes=max_minutes)
    return _layer("access", query)


@bp.get("/gaps/need")
@directory_reader
@_answer
def gaps_need() -> Any:
    params = planning.need_parameters(request.args.to_dict())
    return _layer("need", LayerQuery(need=params))


@bp.route("/gaps/sites", methods=["GET", "POST"])
@directory_reader
@_answer
def gaps_sites() -> Any:
    if request.method == "POST":
        if not request.is_json:
            raise _BodyError("Send the body as application/json.", "unsupported-media-type")
        try:
            body = request.get_json(force=False, silent=False)
        except (BadRequest, UnsupportedMediaType):
            raise _BodyError("The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise _BodyError("The request body must be a JSON object.")
    else:
        body = request.args.to_dict()
    service_type = planning.parse_type(body.get("type"))
    p = planning.parse_sites(body.get("p"))
    max_minutes = planning.parse_minutes(body.get("max_minutes"))
    candidates = None
    if body.get("candidates") is not None:
        candidates = planning.parse_candidates(body.get("candidates"))
    query = LayerQuery(
        service_type=service_type, p=p, max_minutes=max_minutes, candidates=candidates
    )
    return _layer("sites", query)


class _BodyError(planning.PlanningInputError):
    """An unreadable request body (400, or 415 when it is not JSON)."""

    def __init__(self, message: str, code: str = "invalid-json") -> None:
        super().__init__(None, message, code)


@bp.get("/gaps/unmet")
@directory_reader
@_answer
def gaps_unmet() -> Any:
    since = planning.parse_since(request.args.get("since"))
    return _layer("unmet", LayerQuery(since=since))


@bp.get("/gaps/services")
@directory_reader
@_answer
def gaps_services() -> Any:
    return _layer("services", LayerQuery(types=_types()))
