"""Which alert and which status are in force at a given moment (pure: no Flask, no database).

A service's ``alert`` (HSDS) may carry an expiry, ``alert_expires_at``: a provider's alert
("No beds for women until 6 a.m.") always has one and disappears by itself when it passes; an
alert a coordinator imported or typed has none and stays until removed. A provider's temporary
closure (``closed_until``) makes the service count as ``temporarily closed`` until that moment,
whatever its stored status, and lapses by itself too.

Every page and answer that shows an alert (the officer's result card, the handout, the
directory listing) asks :func:`current_alert`, so they agree at every moment.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

#: Longest provider alert, in characters: it is read at a glance on a phone.
MAX_ALERT_LENGTH = 200
TEMPORARILY_CLOSED = "temporarily closed"


def _check_aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")


def current_alert(text: str | None, expires_at: datetime | None, now: datetime) -> str | None:
    """The alert to show at ``now``, or ``None``: no alert, a blank one, or one that expired.

    An alert is shown up to (not at) ``expires_at``; ``None`` there means it does not expire.
    """
    _check_aware(now)
    if text is None or not text.strip():
        return None
    if expires_at is not None and now >= expires_at:
        return None
    return text.strip()


def service_alert(service: Any, now: datetime) -> str | None:
    """:func:`current_alert` of an object with ``alert`` and ``alert_expires_at`` (a Service)."""
    return current_alert(
        getattr(service, "alert", None), getattr(service, "alert_expires_at", None), now
    )


def effective_status(status: str, closed_until: datetime | None, now: datetime) -> str:
    """The status the lookup judges by: ``temporarily closed`` while a closure is in force."""
    _check_aware(now)
    if closed_until is not None and now < closed_until:
        return TEMPORARILY_CLOSED
    return status
