"""Directory pages (placeholder until the pages land)."""

from flask import Blueprint

bp = Blueprint("directory", __name__)


@bp.get("/")
def index() -> str:
    return "PMHC Directory"
