"""The lookup with the current app's settings: the one place a view turns config into
collaborators (geocoder, travel model, zone) for ``services.lookup``."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_login import current_user
from sqlalchemy.orm import Session

from ..services.lookup import (
    LookupAnswer,
    LookupRequest,
    answer_lookup,
    build_geocoder,
    settings_from_config,
    unmet_rows,
)


def lookup_from_app(session: Session, request: LookupRequest) -> LookupAnswer:
    """``answer_lookup`` with the current app's settings and geocoder (call inside a request).
    Reads only."""
    now = datetime.now(UTC)
    config = current_app.config
    geocoder = build_geocoder(session, config, now.astimezone(ZoneInfo(config["TIMEZONE"])).date())
    return answer_lookup(
        session, request, geocoder=geocoder, settings=settings_from_config(config), now=now
    )


def record_unmet_from_app(session: Session, request: LookupRequest, answer: LookupAnswer) -> int:
    """Add the answer's unmet needs to the session when a signed-in user asked about now
    (issue #14 item 4, #17 item 5); returns the rows added. The caller commits (and
    rolls back on ``SQLAlchemyError``); anonymous lookups never write.

    On SQLite the lookup's read-only transaction is ended (rolled back: it has only read)
    before the rows are added. A SQLite transaction that has read cannot wait for another
    writer (WAL mode): once that writer commits, the reader's snapshot is stale and its write
    fails at once with "database is locked", while a transaction whose first statement is the
    write waits up to busy_timeout. Nothing is ended early when the session holds changes of
    its own.
    """
    if not current_user.is_authenticated:
        return 0
    config = current_app.config
    rows = unmet_rows(
        session,
        request,
        answer,
        user_key=str(current_user.get_id()),
        secret=str(config["SECRET_KEY"]),
        settings=settings_from_config(config),
        now=datetime.now(UTC),
    )
    if not rows:
        return 0
    if session.get_bind().dialect.name == "sqlite" and not (
        session.new or session.dirty or session.deleted
    ):
        session.rollback()  # it has only read
    session.add_all(rows)
    session.flush()
    return len(rows)
