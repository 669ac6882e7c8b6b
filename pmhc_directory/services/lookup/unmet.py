"""Unmet need: the gaps of a lookup about now, recorded once per intent for planners."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import (
    UnmetNeed,
)
from .parameters import LookupRequest
from .places import area_of_point
from .settings import LookupSettings


def hour_of_week(moment: datetime) -> int:
    """0 for Monday 00:00-00:59 local time, up to 167 for Sunday 23:00-23:59."""
    return moment.weekday() * 24 + moment.hour


def _write_after_reading(session: Session) -> None:
    """On SQLite, end the lookup's read-only transaction before its first write.

    A SQLite transaction that has read cannot wait for another writer (WAL mode): once that
    writer commits, the reader's snapshot is stale and its write fails at once with "database
    is locked". A transaction whose first statement is the write waits up to busy_timeout
    instead. Nothing is committed early when the session holds changes of its own.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction() and not (session.new or session.dirty or session.deleted):
        session.commit()


def unmet_intent_key(secret: str, user_key: str, parts: Sequence[Any]) -> str:
    """HMAC-SHA256 (hex) of who asked and what: the same search by the same user gives the
    same key, and nothing can be read back from it without the app's secret key."""
    import hashlib
    import hmac
    import json

    message = json.dumps([user_key, *parts], sort_keys=True, default=str).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def record_unmet_needs(
    session: Session,
    request: LookupRequest,
    answer: Mapping[str, Any],
    *,
    user_key: str,
    secret: str,
    settings: LookupSettings,
    now: datetime,
) -> int:
    """Record the answer's unmet needs for planners, once per lookup intent; returns how many
    rows were added (the caller commits).

    Only a question about now (``request.at_now``) counts, and only the gaps on the person's
    facts (``cause == "facts"``): a gap only an officer's option made (drive them there, a
    maximum travel time) is not unmet need. The intent is the user, the analysis area, the
    need and the person's facts; within ``settings.unmet_intent_hours`` the same intent
    (a reload, the back button, the API call sent again) is not counted again. The caller
    decides who may record (signed-in staff only: anonymous lookups never write).
    """
    if not request.at_now:
        return 0
    gaps = [g for g in answer.get("gaps") or [] if g.get("cause", "facts") == "facts"]
    if not gaps:
        return 0
    query = answer["query"]
    area_id = area_of_point(session, query["lat"], query["lon"])
    local = request.at.astimezone(settings.zone)
    facts = [
        sorted(request.needs),
        sorted(request.types),
        request.age,
        request.gender,
        request.language,
        request.payment,
        sorted(request.populations),
        request.intoxicated,
        request.involuntary,
    ]
    since = now - timedelta(hours=settings.unmet_intent_hours)
    rows = []
    for gap in gaps:
        need = gap.get("need") or f"type:{gap.get('service_type')}"
        intent = unmet_intent_key(secret, user_key, [area_id, need, *facts])
        seen = session.scalar(
            select(UnmetNeed.id)
            .where(UnmetNeed.intent == intent, UnmetNeed.recorded_at >= since)
            .limit(1)
        )
        if seen is not None:
            continue
        rows.append(
            UnmetNeed(
                need=need,
                area_id=area_id,
                hour_of_week=hour_of_week(local),
                occurred_on=local.date(),
                intent=intent,
                recorded_at=now,
            )
        )
    if rows:
        _write_after_reading(session)
        session.add_all(rows)
        session.flush()
    return len(rows)
