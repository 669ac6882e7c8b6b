"""``GET /api/v1/openapi.json``: the OpenAPI 3.1 document of the JSON API (public, cacheable)."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Blueprint, current_app

from ..openapi import build_document

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")


@cache
def _document() -> dict[str, Any]:
    return build_document()


@bp.get("/openapi.json")
def openapi_document() -> Any:
    """The document describes the API, not the data: readable without login, always."""
    response = current_app.json.response(_document())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
