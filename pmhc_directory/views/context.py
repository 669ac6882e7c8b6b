"""Values every template can use: the demo banner switch, the current user's role, the app name."""

from __future__ import annotations

from typing import Any

from flask import Flask, g

from ..db import get_session


def _demo_loaded() -> bool:
    if "demo_loaded" not in g:
        from sqlalchemy.exc import SQLAlchemyError

        from ..services.site import is_demo_loaded

        session = get_session()
        try:
            g.demo_loaded = is_demo_loaded(session)
        except SQLAlchemyError:  # a banner must never break a page (e.g. before init-db)
            session.rollback()
            g.demo_loaded = False
    return g.demo_loaded


def init_app(app: Flask) -> None:
    @app.context_processor
    def inject() -> dict[str, Any]:
        return {"app_name": "PMHC Directory", "demo_loaded": _demo_loaded}
