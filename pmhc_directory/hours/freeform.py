"""Free-form opening times, days and dates as legacy (HSDS 1.x / 211) exports write them.

Pure functions, no I/O. Everything returns HSDS 3.1 values (times ``HH:MM`` on a 24-hour
clock, days as ``MO``..``SU`` codes, ``datetime.date``) or raises :class:`FreeformError`, whose
message quotes the text it could not read. Nothing is guessed silently: text that could mean
two different things is refused with a hint (see :func:`parse_hours`).

Times carry no UTC offset: they are wall-clock times of the instance time zone
(``PMHC_TIMEZONE``), exactly like the ``HH:MM`` values of our ``hsds-json``.

Closing at midnight is written ``23:59`` (the hours engine reads a closing ``23:59`` as the end
of the day, see ``hours.clock``); a window whose closing time is at or before its opening time
runs past midnight into the next day (``22:00``-``06:00``). "24 hours" is ``00:00``-``23:59``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

__all__ = [
    "ALL_DAY",
    "EVERY_DAY",
    "FreeformError",
    "Window",
    "covers_whole_week",
    "parse_bool",
    "parse_date",
    "parse_days",
    "parse_hours",
    "parse_time",
]

DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
EVERY_DAY = DAY_CODES
MIDNIGHT_CLOSE = "23:59"


class FreeformError(ValueError):
    """Text that is not a time, day, date or yes/no; the message quotes the text."""


@dataclass(frozen=True)
class Window:
    """One opening window: ``opens`` and ``closes`` as ``HH:MM`` (``closes`` ``23:59`` =
    midnight). A window whose ``closes`` is at or before ``opens`` ends the next day."""

    opens: str
    closes: str

    @property
    def overnight(self) -> bool:
        return self.closes <= self.opens

    @property
    def all_day(self) -> bool:
        return self.opens == "00:00" and self.closes == MIDNIGHT_CLOSE


ALL_DAY = Window("00:00", MIDNIGHT_CLOSE)


# ---------------------------------------------------------------------------------------------
# Times


@dataclass(frozen=True)
class _Clock:
    minutes: int  # 0..1440 (1440 only for a closing midnight)
    seconds: int = 0
    # Written without am/pm, without a leading zero, hour 1-12 ("5", "5:00", "5.30"): it might
    # be a 12-hour time whose "pm" was left out.
    bare: bool = False
    meridiem: str | None = None  # "am" / "pm" when written
    hour: int = 0  # as written (for meridiem inheritance in ranges)

    def text(self, closing: bool) -> str:
        minutes = self.minutes
        if closing and (minutes in (0, 1440) or (minutes == 1439 and self.seconds == 59)):
            return MIDNIGHT_CLOSE
        if minutes >= 1440:
            raise FreeformError("24:00 is only a closing time")
        base = f"{minutes // 60:02d}:{minutes % 60:02d}"
        return f"{base}:{self.seconds:02d}" if self.seconds else base


_WORDS = {
    "noon": 12 * 60,
    "midday": 12 * 60,
    "12 noon": 12 * 60,
    "12noon": 12 * 60,
    "midnight": 0,
    "12 midnight": 0,
    "12midnight": 0,
}
_CLOCK_RE = re.compile(
    r"^(?P<h>\d{1,2})(?:(?:[:.h](?P<m>\d{2}))(?::(?P<s>\d{2}))?)?\s*(?P<ap>am|pm|a|p)?$", re.ASCII
)
_MILITARY_RE = re.compile(r"^(?P<h>\d{1,2})(?P<m>\d{2})\s*(?P<ap>am|pm|a|p)?$", re.ASCII)


_AM_PM_RE = re.compile(r"\b([ap])\.\s?m\.?")


@lru_cache(maxsize=4096)
def _normal(text: str) -> str:
    """Lower case, a.m./p.m. as am/pm, single spaces, no surrounding punctuation."""
    value = text.lower()
    if "." in value:
        value = _AM_PM_RE.sub(r"\1m", value)
    return " ".join(value.split()).strip(" .,;")


@lru_cache(maxsize=4096)
def _clock(text: str) -> _Clock:
    value = _normal(text)
    if value in _WORDS:
        return _Clock(_WORDS[value], hour=12)
    match = _CLOCK_RE.match(value) or _MILITARY_RE.match(value)
    if match is None:
        raise FreeformError(f"{text!r} is not a time of day (such as 9:00am, 17:30 or noon)")
    hour, minute = int(match["h"]), int(match["m"] or 0)
    second = int(match.groupdict().get("s") or 0)
    meridiem = match["ap"]
    if minute > 59 or second > 59:
        raise FreeformError(f"{text!r} is not a valid time of day")
    if meridiem is not None:
        meridiem = "am" if meridiem.startswith("a") else "pm"
        if not 1 <= hour <= 12:
            raise FreeformError(f"{text!r}: with am/pm the hour must be 1 to 12")
        hour24 = hour % 12 + (12 if meridiem == "pm" else 0)
        return _Clock(hour24 * 60 + minute, second, meridiem=meridiem, hour=hour)
    if hour > 24 or (hour == 24 and (minute or second)):
        raise FreeformError(f"{text!r} is not a valid time of day")
    bare = 1 <= hour <= 12 and not match["h"].startswith("0")
    return _Clock(hour * 60 + minute, second, bare=bare, hour=hour)


@lru_cache(maxsize=4096)
def parse_time(text: str, *, closing: bool = False) -> str:
    """One time of day as ``HH:MM`` (``HH:MM:SS`` when it has non-zero seconds).

    Reads ``9:00am``, ``9am``, ``9 AM``, ``9 a.m.``, ``09:00``, ``9.30``, ``0930``, ``17:30:00``,
    ``noon``, ``midnight``, ``12:00 PM``, ``12am``. A time without am/pm is on the 24-hour
    clock. With ``closing=True`` midnight (``midnight``, ``12am``, ``00:00``, ``24:00``,
    ``23:59:59``) is ``23:59``; ``24:00`` is refused as an opening time.
    """
    return _clock(text).text(closing)


# ---------------------------------------------------------------------------------------------
# Opening hours of one day

_CLOSED = frozenset(
    {"closed", "close", "closed all day", "not open", "closed today", "no hours", "shut"}
)
_ALL_DAY_RE = re.compile(
    r"^(?:open\s*)?(?:24\s*(?:hours?|hrs?|h)(?:\s*(?:a|per)\s*day)?|24/7|24-7|24x7|all day"
    r"|24-hours?|around the clock)(?:\s*(?:a|per)\s*day)?$"
)
_RANGE_RE = re.compile(
    r"^(?P<a>.+?)\s*(?:-|–|—|\bto\b|\buntil\b|\btill\b|\btil\b|\bthru\b|\bthrough\b)\s*(?P<b>.+)$"
)
_WINDOW_SPLIT_RE = re.compile(r"\s*(?:[,;&/]|\band\b)\s*")


def _is_closed(value: str) -> bool:
    return value in _CLOSED


def _is_all_day(value: str) -> bool:
    return bool(_ALL_DAY_RE.match(value))


def _window(start: _Clock, end: _Clock, source: str) -> Window:
    # "9-5pm": an hour without am/pm takes the am/pm of the other end when that keeps the
    # window in order (1-5pm is 1pm-5pm), else the opposite one (9-5pm is 9am-5pm).
    if start.meridiem is None and start.bare and end.meridiem is not None:
        start = _with_meridiem(start, end.meridiem, end.minutes, before=True)
    elif end.meridiem is None and end.bare and start.meridiem is not None:
        end = _with_meridiem(end, start.meridiem, start.minutes, before=False)
    opens = start.text(closing=False)
    closes = end.text(closing=True)
    if opens == closes:
        if opens == "00:00" or (start.minutes == 0 and closes == MIDNIGHT_CLOSE):
            return ALL_DAY
        raise FreeformError(f"{source!r} opens and closes at the same time")
    if opens == "00:00" and closes == MIDNIGHT_CLOSE:
        return ALL_DAY
    window = Window(opens, closes)
    # A 12-hour-looking close without am/pm that would end the window overnight, after an
    # opening time that could be 12-hour too ("9:00" to "5:00"): which was meant is unknown.
    twelve_hour_start = start.meridiem is None and start.minutes < 13 * 60
    if window.overnight and closes != MIDNIGHT_CLOSE and end.bare and twelve_hour_start:
        later = end.minutes + 12 * 60
        if later > start.minutes and later < 24 * 60:
            hint = f"{later // 60:02d}:{later % 60:02d}"
            raise FreeformError(
                f"{source!r} is ambiguous: on the 24-hour clock it closes at {closes} the next "
                f"morning; write {end.hour}pm or {hint} if it closes in the evening, or "
                f"{closes} for a real overnight window"
            )
    return window


def _with_meridiem(clock: _Clock, meridiem: str, other: int, before: bool) -> _Clock:
    def make(ap: str) -> _Clock:
        hour24 = clock.hour % 12 + (12 if ap == "pm" else 0)
        return _Clock(hour24 * 60 + clock.minutes % 60, clock.seconds, meridiem=ap, hour=clock.hour)

    same = make(meridiem)
    in_order = same.minutes < other if before else same.minutes > other
    return same if in_order else make("pm" if meridiem == "am" else "am")


def _ranges(text: str) -> tuple[Window, ...]:
    value = _normal(text)
    windows = []
    for part in _WINDOW_SPLIT_RE.split(value):
        if not part:
            continue
        match = _RANGE_RE.match(part)
        if match is None:
            raise FreeformError(
                f"{text!r}: {part!r} is not a range of times (such as 9am-5pm or 09:00-17:00)"
            )
        start, end = _clock_in(match["a"], text), _clock_in(match["b"], text)
        windows.append(_window(start, end, text))
    if not windows:
        raise FreeformError(f"{text!r} has no opening times")
    return tuple(windows)


def _clock_in(part: str, whole: str) -> _Clock:
    try:
        return _clock(part)
    except FreeformError as exc:
        raise FreeformError(f"{whole!r}: {exc}") from None


@lru_cache(maxsize=4096)
def parse_hours(opens: str | None, closes: str | None = None) -> tuple[Window, ...]:
    """The opening windows of one day from an ``opens_at`` / ``closes_at`` pair of cells.

    * both cells hold a time: one window (``9am`` + ``5pm``; ``10pm`` + ``6am`` is overnight);
    * one cell holds ranges and the other is empty: ``9am-5pm``, ``9-12, 1-5pm`` (split hours,
      two windows), ``8pm to 2am``;
    * ``closed`` (either cell, the other empty or also closed): no windows, the empty tuple;
    * ``24 hours``, ``open 24 hours``, ``24/7``, ``all day``: ``00:00``-``23:59``.

    A range's start without am/pm takes the end's (``1-5pm`` is 13:00-17:00, ``9-5pm`` is
    09:00-17:00). Refused as ambiguous: a 12-hour-looking closing time without am/pm that
    would make the window run overnight (``9:00`` + ``5:00``): write ``5pm`` or ``17:00``, or
    ``05:00`` for a real overnight window.
    """
    first = _normal(opens or "")
    second = _normal(closes or "")
    source = " / ".join(v for v in ((opens or "").strip(), (closes or "").strip()) if v)
    if not first and not second:
        raise FreeformError("no opening or closing time given")
    values = [v for v in (first, second) if v]
    if all(_is_closed(v) for v in values):
        return ()
    if any(_is_closed(v) for v in values):
        raise FreeformError(f"{source!r} says both closed and open")
    if all(_is_all_day(v) for v in values):
        return (ALL_DAY,)
    if any(_is_all_day(v) for v in values):
        raise FreeformError(f"{source!r} mixes '24 hours' with a time")
    if len(values) == 1:
        only = (opens if first else closes) or ""
        if _looks_like_single_time(values[0]):
            missing = "closing" if first else "opening"
            raise FreeformError(f"{only.strip()!r} has no {missing} time")
        return _ranges(only)
    start, end = _clock_in(first, source), _clock_in(second, source)
    return (_window(start, end, source),)


def _looks_like_single_time(value: str) -> bool:
    try:
        _clock(value)
    except FreeformError:
        return False
    return True


def covers_whole_week(rules: list[tuple[tuple[str, ...], Window]]) -> bool:
    """True when (days, window) pairs open every day of the week for the whole day."""
    covered: set[str] = set()
    for days, window in rules:
        if window.all_day:
            covered.update(days)
    return covered >= set(DAY_CODES)


# ---------------------------------------------------------------------------------------------
# Days

_DAY_NAMES = {
    "mo": 0, "mon": 0, "monday": 0, "m": 0,
    "tu": 1, "tue": 1, "tues": 1, "tuesday": 1,
    "we": 2, "wed": 2, "weds": 2, "wednesday": 2, "w": 2,
    "th": 3, "thu": 3, "thur": 3, "thurs": 3, "thursday": 3,
    "fr": 4, "fri": 4, "friday": 4, "f": 4,
    "sa": 5, "sat": 5, "saturday": 5,
    "su": 6, "sun": 6, "sunday": 6,
}  # fmt: skip
_DAY_GROUPS = {
    "daily": DAY_CODES,
    "every day": DAY_CODES,
    "everyday": DAY_CODES,
    "all days": DAY_CODES,
    "all week": DAY_CODES,
    "7 days": DAY_CODES,
    "7 days a week": DAY_CODES,
    "seven days a week": DAY_CODES,
    "weekdays": DAY_CODES[:5],
    "weekday": DAY_CODES[:5],
    "weekends": DAY_CODES[5:],
    "weekend": DAY_CODES[5:],
}
_DAY_SPLIT_RE = re.compile(r"\s*(?:[,;/&+]|\band\b)\s*")
_DAY_RANGE_RE = re.compile(
    r"^(?P<a>[a-z0-9]+)\s*(?:-|–|\bto\b|\bthru\b|\bthrough\b)\s*(?P<b>[a-z0-9]+)$", re.ASCII
)


def _day(token: str, whole: str) -> int:
    token = token.strip(" .")
    if token.isascii() and token.isdigit():
        number = int(token)
        if 0 <= number <= 7:
            return 6 if number in (0, 7) else number - 1
        raise FreeformError(f"{whole!r}: day number {number} is not 1 (Monday) to 7 (Sunday)")
    index = _DAY_NAMES.get(token)
    if index is None and token.endswith("s"):
        index = _DAY_NAMES.get(token[:-1])
    if index is None:
        if token == _normal(whole):
            raise FreeformError(f"{whole!r} is not a day of the week")
        raise FreeformError(f"{whole!r}: {token!r} is not a day of the week")
    return index


@lru_cache(maxsize=4096)
def parse_days(text: str) -> tuple[str, ...]:
    """Days of the week as HSDS codes in week order (``MO``..``SU``).

    Reads numbers (``1`` = Monday ... ``7`` = Sunday, ISO 8601; ``0`` is also Sunday), names and
    abbreviations (``Monday``, ``Mon``, ``Tues``, ``Thurs``, ``Mondays``), ranges (``Mon-Fri``,
    ``M-F``, ``Monday through Friday``, ``Fri-Mon`` wraps over the weekend), lists
    (``Mon, Wed & Fri``) and ``daily`` / ``every day`` / ``weekdays`` / ``weekends``.
    """
    value = _normal(text)
    if not value:
        raise FreeformError("no day given")
    if value in _DAY_GROUPS:
        return _DAY_GROUPS[value]
    found: set[int] = set()
    for part in _DAY_SPLIT_RE.split(value):
        if not part:
            continue
        if part in _DAY_GROUPS:
            found.update(DAY_CODES.index(code) for code in _DAY_GROUPS[part])
            continue
        match = _DAY_RANGE_RE.match(part)
        if match is not None:
            first, last = _day(match["a"], text), _day(match["b"], text)
            span = (last - first) % 7
            found.update((first + i) % 7 for i in range(span + 1))
        else:
            found.add(_day(part, text))
    return tuple(DAY_CODES[i] for i in sorted(found))


# ---------------------------------------------------------------------------------------------
# Dates and flags

_ISO_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[t ].*)?$", re.ASCII)
_YMD_SLASH_RE = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$", re.ASCII)
_US_DATE_RE = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{2}|\d{4})(?: .*)?$", re.ASCII)
_MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for name in names
}  # fmt: skip
_NAMED_DATE_RE = re.compile(r"^([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})$", re.ASCII)
_NAMED_DATE_DMY_RE = re.compile(r"^(\d{1,2}) ([a-z]+)\.?,? (\d{4})$", re.ASCII)


def parse_date(text: str) -> date:
    """A date: ``2026-12-25`` (a time part is ignored), ``2026/12/25``, US ``12/25/2026`` or
    ``12/25/26`` (month first; 2-digit years are 20xx), ``Dec 25, 2026``, ``25 December 2026``."""
    value = _normal(text)
    try:
        if match := _ISO_DATE_RE.match(value) or _YMD_SLASH_RE.match(value):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _US_DATE_RE.match(value):
            year = int(match[3])
            return date(year + 2000 if year < 100 else year, int(match[1]), int(match[2]))
        if match := _NAMED_DATE_RE.match(value):
            return date(int(match[3]), _MONTHS[match[1]], int(match[2]))
        if match := _NAMED_DATE_DMY_RE.match(value):
            return date(int(match[3]), _MONTHS[match[2]], int(match[1]))
    except (KeyError, ValueError):
        pass
    raise FreeformError(f"{text!r} is not a date (such as 2026-12-25 or 12/25/2026)")


_TRUE = frozenset({"1", "true", "t", "yes", "y", "x", "closed"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "open"})


def parse_bool(text: str) -> bool:
    """Yes/no as exports write it: ``1``/``0``, ``true``/``false``, ``yes``/``no``, ``y``/``n``."""
    value = _normal(text)
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise FreeformError(f"{text!r} is not yes or no (such as true, false, 1 or 0)")
