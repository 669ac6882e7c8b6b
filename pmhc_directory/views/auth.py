"""Login and logout (placeholder until the pages land)."""

from flask import Blueprint

bp = Blueprint("auth", __name__)


@bp.get("/login")
def login() -> str:
    return "login"
