"""The lookup with the current app's settings: the one place a view turns config into
collaborators (geocoder, travel model, zone) for ``services.lookup.run_lookup``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy.orm import Session

from ..services.lookup import LookupRequest, build_geocoder, run_lookup, settings_from_config


def lookup_from_app(session: Session, request: LookupRequest) -> dict[str, Any]:
    """``run_lookup`` with the current app's settings and geocoder (call inside a request)."""
    now = datetime.now(UTC)
    config = current_app.config
    geocoder = build_geocoder(session, config, now.astimezone(ZoneInfo(config["TIMEZONE"])).date())
    return run_lookup(
        session, request, geocoder=geocoder, settings=settings_from_config(config), now=now
    )
