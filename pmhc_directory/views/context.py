"""Values every template can use: the demo banner switch, the current user's role, the app name."""

from __future__ import annotations

from typing import Any

from flask import Flask, g

from ..db import get_session


def _demo_loaded() -> bool:
    if "demo_loaded" not in g:
        from ..services.site import is_demo_loaded

        try:
            g.demo_loaded = is_demo_loaded(get_session())
        except Exception:  # a banner must never break a page (e.g. before init-db)
            g.demo_loaded = False
    return g.demo_loaded


def init_app(app: Flask) -> None:
    @app.context_processor
    def inject() -> dict[str, Any]:
        return {"app_name": "PMHC Directory", "demo_loaded": _demo_loaded}
