"""JSON API under /api/v1 (spec/api.md). Errors always use the JSON error shape."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, jsonify, request

from ..auth import directory_reader
from ..db import get_session
from ..errors import InputError, SearchUnavailableError
from .errors import input_error, search_unavailable

bp = Blueprint("api", __name__, url_prefix="/api/v1")


# GET /api/v1/services: full-text search (spec/api.md 4) --------------------------------------


class _InvalidParameterError(InputError):
    """A query parameter that is not a usable whole number."""


# Largest whole-number parameter (page, per_page) taken in: any page past the last is empty.
MAX_INT_ARG = 1_000_000


def _int_arg(args: Any, name: str, default: int) -> int:
    raw = args.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _InvalidParameterError(name, f"{name} must be a whole number.") from None
    if abs(value) > MAX_INT_ARG:  # beyond what the database's integers hold
        raise _InvalidParameterError(name, f"{name} must be at most {MAX_INT_ARG}.")
    return value


def _types_arg(args: Any) -> list[str]:
    """``types=a,b`` and ``types=a&types=b`` both give ``["a", "b"]``."""
    return [code for value in args.getlist("types") for code in value.split(",") if code.strip()]


@bp.get("/services")
@directory_reader
def search_services() -> Any:
    """Services matching ``q`` best first (all by name without ``q``), in the HSDS Page envelope."""
    from ..search import get_search_index
    from ..services import search as search_service

    try:
        result = search_service.search_services(
            get_session(),
            get_search_index(),
            request.args.get("q", ""),
            _types_arg(request.args),
            page=_int_arg(request.args, "page", 1),
            per_page=_int_arg(request.args, "per_page", search_service.DEFAULT_PER_PAGE),
        )
    except InputError as exc:
        return input_error(exc)
    except SearchUnavailableError:
        return search_unavailable()
    return jsonify(
        {
            "total_items": result.total_items,
            "total_pages": result.total_pages,
            "page_number": result.page_number,
            "size": len(result.items),
            "per_page": result.per_page,
            "first_page": result.first_page,
            "last_page": result.last_page,
            "empty": result.empty,
            "query": {"q": result.q, "types": result.types, "match": result.match},
            "contents": [asdict(item) for item in result.items],
        }
    )
