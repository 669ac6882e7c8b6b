"""Times of day as HSDS publishes them: ``HH:MM[:SS]`` with an optional UTC offset suffix."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

SECONDS_PER_DAY = 86_400

# Hour 0-24 with one or two digits, minutes, optional seconds (a fraction is accepted and
# dropped), then an optional suffix: Z, +HH, +HHMM or +HH:MM.
_TIME_RE = re.compile(
    r"^(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.\d{1,6})?)?"
    r"(?P<off>[zZ]|[+-]\d{2}(?::?\d{2})?)?$"
)
_MAX_OFFSET = timedelta(hours=14)


class ClockError(ValueError):
    """A time-of-day string that cannot be read; the caller names the field."""


@dataclass(frozen=True)
class ClockTime:
    """A wall-clock time of day, possibly tied to a UTC offset.

    ``seconds`` counts from local midnight, 0 to 86 400 inclusive (86 400 is "end of day",
    used only for closing times). ``offset`` is the suffix as published (``None`` when the time
    is a plain wall-clock time of the evaluation zone); it names the *standard* offset of the
    zone the time was written in.
    """

    seconds: int
    offset: timedelta | None = None

    def shift_in(self, zone: tzinfo, day: date) -> int:
        """Seconds to add to this time to get the evaluation zone's wall clock on ``day``.

        Zero when there is no suffix or the suffix equals the zone's standard offset on that
        day (so ``08:00-07:00`` is 08:00 in America/Denver all year, DST or not); otherwise the
        difference ``zone standard offset - suffix offset``.
        """
        if self.offset is None:
            return 0
        return int((standard_offset(zone, day) - self.offset).total_seconds())


def standard_offset(zone: tzinfo, day: date) -> timedelta:
    """The zone's UTC offset without daylight saving, at local noon of ``day``."""
    noon = datetime.combine(day, time(12), tzinfo=zone)
    offset = noon.utcoffset() or timedelta(0)
    return offset - (noon.dst() or timedelta(0))


def parse_clock(
    text: str, *, closing: bool = False, default_offset: timedelta | None = None
) -> ClockTime:
    """Read ``HH:MM``, ``HH:MM:SS`` with an optional ``Z`` / ``+05:30`` / ``-0700`` suffix.

    With ``closing=True``, ``23:59``, ``23:59:59`` and ``24:00`` all mean end of day (86 400
    seconds), so a window closing then runs to midnight and touches the next day's windows.
    ``default_offset`` applies when the text has no suffix (the HSDS ``timezone`` field).
    Raises ``ClockError`` for anything else.
    """
    match = _TIME_RE.match(text.strip())
    if match is None:
        raise ClockError(f"{text!r} is not a time of day like 08:00 or 17:30:00-05:00")
    hours, minutes = int(match["h"]), int(match["m"])
    seconds = int(match["s"] or 0)
    if minutes > 59 or seconds > 59 or hours > 24 or (hours == 24 and (minutes or seconds)):
        raise ClockError(f"{text!r} is not a valid time of day")
    if hours == 24 and not closing:
        raise ClockError(f"{text!r}: 24:00 is only allowed as a closing time")
    total = hours * 3600 + minutes * 60 + seconds
    if closing and total >= 23 * 3600 + 59 * 60:
        total = SECONDS_PER_DAY
    offset = _parse_offset(match["off"]) if match["off"] else default_offset
    if offset is not None and abs(offset) > _MAX_OFFSET:
        raise ClockError(f"{text!r}: UTC offsets beyond 14 hours do not exist")
    return ClockTime(total, offset)


def _parse_offset(suffix: str) -> timedelta:
    if suffix in ("z", "Z"):
        return timedelta(0)
    sign = -1 if suffix[0] == "-" else 1
    digits = suffix[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if minutes > 59:
        raise ClockError(f"offset {suffix!r} has more than 59 minutes")
    return sign * timedelta(hours=hours, minutes=minutes)
