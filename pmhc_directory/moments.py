"""Reading a moment (``at=``) from a query string, a JSON body or a command-line option.

Pure (standard library only), so the officer lookup, the planning pages, the gaps API and the
``gaps report`` command read ``at`` the same way: ISO 8601 (``2026-11-28T02:00-07:00``,
``2026-11-28 02:00``, a trailing ``Z``), local time of the jurisdiction's zone when it has no
offset, and within ``max_days`` of now (hours, seasons and capacity only mean something near
the present; a year either way covers planning questions and keeps date arithmetic far from
``datetime``'s limits).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from typing import Any

#: How far from now (either way) a moment may be, in days.
MAX_AT_DAYS = 366
#: A date and time, then a space and a bare offset (``2026-11-28T02:00 01:00``): the ``+`` of a
#: positive offset typed unencoded in a URL, which form decoding turns into a space.
_DECODED_PLUS = re.compile(
    r"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?) (\d{2}(?::?\d{2})?)"
)


class MomentError(ValueError):
    """An unreadable or out-of-range moment: ``field`` names the parameter, ``message`` says
    what to fix (the words a JSON error or a form shows)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def parse_at(
    raw: Any,
    zone: tzinfo,
    now: datetime,
    *,
    max_days: int = MAX_AT_DAYS,
    field: str = "at",
) -> datetime:
    """``raw`` as an aware datetime in ``zone``; ``now`` (in ``zone``) when ``raw`` is None or
    blank. A space before a bare offset at the end is read as the ``+`` it was in the URL
    (``at=2026-11-28T02:00+01:00`` sent unencoded arrives as ``...02:00 01:00``).

    :param now: an aware datetime; the moment must be within ``max_days`` days of it.
    :raises MomentError: ``raw`` is not text, not ISO 8601, or too far from ``now``.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return now.astimezone(zone)
    if not isinstance(raw, str):
        raise MomentError(field, f"{field} must be an ISO 8601 date and time.")
    text = raw.strip()
    decoded_plus = _DECODED_PLUS.fullmatch(text)
    if decoded_plus is not None:
        text = f"{decoded_plus[1]}+{decoded_plus[2]}"
    text = text.replace("Z", "+00:00").replace(" ", "T", 1)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise MomentError(
            field,
            f"{field} {raw[:40]!r} is not an ISO 8601 date and time (2026-11-28T02:00-07:00).",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    if moment.year in (1, 9999) or abs(moment - now) > timedelta(days=max_days):
        raise MomentError(field, f"{field} must be within {max_days} days of now.")
    return moment.astimezone(zone)
