"""JSON API under /api/v1 (spec/api.md). Errors always use the JSON error shape."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
