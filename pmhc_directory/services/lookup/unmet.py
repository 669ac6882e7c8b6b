"""Unmet need: the gaps of a lookup about now, recorded once per intent for planners."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import (
    UnmetNeed,
)
from .answer import GapAnswer, LookupAnswer
from .parameters import LookupRequest
from .places import area_of_point
from .settings import LookupSettings


def hour_of_week(moment: datetime) -> int:
    """0 for Monday 00:00-00:59 local time, up to 167 for Sunday 23:00-23:59."""
    return moment.weekday() * 24 + moment.hour


def unmet_intent_key(secret: str, user_key: str, parts: Sequence[Any]) -> str:
    """HMAC-SHA256 (hex) of who asked and what: the same search by the same user gives the
    same key, and nothing can be read back from it without the app's secret key."""
    import hashlib
    import hmac
    import json

    message = json.dumps([user_key, *parts], sort_keys=True, default=str).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def unmet_gaps(request: LookupRequest, answer: LookupAnswer) -> list[GapAnswer]:
    """The gaps of an answer that are unmet need: only for a question about now
    (``request.at_now``), and only the gaps on the person's facts (``cause == "facts"``): a gap
    only an officer's option made (drive them there, a maximum travel time) is not unmet
    need. Reads nothing."""
    if not request.at_now:
        return []
    return [g for g in answer.gaps if g.cause == "facts"]


def _person_facts(request: LookupRequest) -> list[Any]:
    """The person's facts that make a lookup intent (not the place, not the officer's
    options)."""
    return [
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


def unmet_rows(
    session: Session,
    request: LookupRequest,
    answer: LookupAnswer,
    *,
    user_key: str,
    secret: str,
    settings: LookupSettings,
    now: datetime,
) -> list[UnmetNeed]:
    """The unmet-need rows a lookup adds, once per lookup intent (reads; adds nothing).

    The intent is the user, the analysis area, the need and the person's facts; within
    ``settings.unmet_intent_hours`` the same intent (a reload, the back button, the API call
    sent again) is not counted again. Only the area and the hour are kept, never the point.
    """
    gaps = unmet_gaps(request, answer)
    if not gaps:
        return []
    area_id = area_of_point(session, answer.query.lat, answer.query.lon)
    local = request.at.astimezone(settings.zone)
    facts = _person_facts(request)
    since = now - timedelta(hours=settings.unmet_intent_hours)
    rows = []
    for gap in gaps:
        need = gap.need or f"type:{gap.service_type}"
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
    return rows


def record_unmet_needs(
    session: Session,
    request: LookupRequest,
    answer: LookupAnswer,
    *,
    user_key: str,
    secret: str,
    settings: LookupSettings,
    now: datetime,
) -> int:
    """Add the answer's unmet needs for planners (:func:`unmet_rows`) and flush; returns how
    many rows were added. The caller commits, and decides who may record (signed-in staff
    only: anonymous lookups never write)."""
    rows = unmet_rows(
        session, request, answer, user_key=user_key, secret=secret, settings=settings, now=now
    )
    if rows:
        session.add_all(rows)
        session.flush()
    return len(rows)
