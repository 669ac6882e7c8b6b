"""The lookup with the current app's settings: the one place a view turns config into
collaborators (geocoder, travel model, zone) for ``services.lookup.run_lookup``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..services.lookup import (
    LookupRequest,
    build_geocoder,
    record_unmet_needs,
    run_lookup,
    settings_from_config,
)

log = logging.getLogger(__name__)


def lookup_from_app(session: Session, request: LookupRequest) -> dict[str, Any]:
    """``run_lookup`` with the current app's settings and geocoder (call inside a request)."""
    now = datetime.now(UTC)
    config = current_app.config
    geocoder = build_geocoder(session, config, now.astimezone(ZoneInfo(config["TIMEZONE"])).date())
    return run_lookup(
        session, request, geocoder=geocoder, settings=settings_from_config(config), now=now
    )


def record_unmet_from_app(session: Session, request: LookupRequest, answer: dict[str, Any]) -> int:
    """Record and commit the answer's unmet needs when a signed-in user asked about now (issue
    #14 item 4, #17 item 5): anonymous lookups never write, and a lookup that records nothing
    ends its read-only transaction. A failure to record never hides the results: it is logged
    (without the search) and rolled back. Returns the rows recorded."""
    if not current_user.is_authenticated:
        session.rollback()
        return 0
    config = current_app.config
    try:
        added = record_unmet_needs(
            session,
            request,
            answer,
            user_key=str(current_user.get_id()),
            secret=str(config["SECRET_KEY"]),
            settings=settings_from_config(config),
            now=datetime.now(UTC),
        )
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        log.warning("could not record unmet needs for a lookup", exc_info=True)
        return 0
    return added
