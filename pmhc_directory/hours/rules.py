"""One HSDS 3.1 schedule row as a validated rule, and on which local dates it applies.

A rule is either an opening window (it has ``opens_at`` and ``closes_at``), a closure (dates
and no times), or a note (neither: only a ``description``, which says nothing about when the
service is open). See ``docs/hours.md`` for the rules coordinators follow.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Any

from .clock import ClockError, ClockTime, parse_clock

WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
FREQUENCIES = ("WEEKLY", "MONTHLY")

_DAY_CODE_RE = re.compile(r"^(?P<n>[+-]?\d{1,2})?(?P<code>[A-Z]{2})$")
_INT_RE = re.compile(r"^[+-]?\d+$")
# How far ahead a `count` is searched for its last occurrence (days); later ones are ignored.
_COUNT_SEARCH_DAYS = 100 * 366


class ScheduleError(ValueError):
    """A schedule field that cannot be understood; ``field`` is the HSDS field name."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def __reduce__(self) -> tuple[type[ScheduleError], tuple[str, str]]:
        return (type(self), (self.field, self.message))


@dataclass(frozen=True)
class DayCode:
    """One ``byday`` entry: ``weekday`` 0 (Monday) to 6 (Sunday), ``ordinal`` the occurrence
    in the month (1 to 5, or -1 to -5 counting from the end; ``None`` for every such weekday)."""

    weekday: int
    ordinal: int | None = None


@dataclass(frozen=True)
class ScheduleRule:
    """One opening window on each local date the rule applies to (HSDS ``schedule``).

    ``freq`` is ``WEEKLY``, ``MONTHLY`` or ``None`` (``MONTHLY`` is inferred when ``bymonthday``
    or an ordinal ``byday`` such as ``2MO`` is given, ``WEEKLY`` otherwise). A weekly rule with
    no ``byday`` applies every day. A monthly rule with both ``byday`` and ``bymonthday``
    applies on dates matching both (``FR`` + ``13`` is Friday the 13th); with neither, on
    ``dtstart``'s day of the month.

    All dates are inclusive local dates. ``interval`` > 1 needs ``dtstart``: a weekly rule then
    applies every ``interval``-th week counted from the week holding ``dtstart`` (weeks start on
    ``wkst``, Monday by default), a monthly rule every ``interval``-th month from ``dtstart``'s
    month. ``count`` limits the rule to its first ``count`` dates on or after ``dtstart``.

    ``timezone`` is the HSDS UTC offset in hours; it applies to a time published without its own
    suffix, exactly as if that suffix had been written (see ``clock.ClockTime.shift_in``).
    Constructing a rule validates it and raises ``ScheduleError`` naming the bad field.
    """

    freq: str | None = None
    byday: str | None = None
    bymonthday: str | None = None
    opens_at: str | None = None
    closes_at: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    dtstart: date | None = None
    until: date | None = None
    interval: int = 1
    description: str | None = None
    count: int | None = None
    wkst: str | None = None
    timezone: float | None = None

    def __post_init__(self) -> None:
        for name in ("valid_from", "valid_to", "dtstart", "until"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
                raise ScheduleError(name, f"expected a date, got {value!r}")
        _check_order(self.valid_from, self.valid_to, "valid_to", "valid_from")
        _check_order(self.dtstart, self.until, "until", "dtstart")
        if isinstance(self.interval, bool) or not isinstance(self.interval, int):
            raise ScheduleError("interval", f"expected a whole number, got {self.interval!r}")
        if self.interval < 1:
            raise ScheduleError("interval", "must be 1 or more")
        if self.count is not None and (
            isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1
        ):
            raise ScheduleError(
                "count", f"expected a whole number of 1 or more, got {self.count!r}"
            )

        # Parse now, so that a bad rule fails on construction. The parsed forms are cached
        # properties, outside the dataclass fields, so that equality, hashing, repr and
        # dataclasses.asdict() see only the published HSDS values.
        _ = (self._parsed, self._last_date)

    @cached_property
    def _parsed(self) -> _ParsedRule:
        return _parse_rule(self)

    @cached_property
    def _last_date(self) -> date | None:
        """The ``count``-th date the rule applies on (``None`` without a count)."""
        return None if self.count is None else self._find_last_date(self.count)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ScheduleRule:
        """Build a rule from an HSDS schedule dict (JSON object or CSV row).

        Dates may be ISO strings or ``date`` objects, times strings or ``datetime.time``; empty
        strings count as missing; unknown keys (``id``, ``notes``...) are ignored. ``byweekno``
        and ``byyearday`` are refused rather than ignored, because ignoring them would show
        the service open on days it is not. Raises ``ScheduleError`` naming the field.
        """
        for unsupported in ("byweekno", "byyearday"):
            if _text(data, unsupported) is not None:
                raise ScheduleError(unsupported, "is not supported; use byday or bymonthday")
        interval = _whole_number(data, "interval")
        return cls(
            freq=_text(data, "freq"),
            byday=_text(data, "byday"),
            bymonthday=_text(data, "bymonthday"),
            opens_at=_clock_text(data, "opens_at"),
            closes_at=_clock_text(data, "closes_at"),
            valid_from=_date(data, "valid_from"),
            valid_to=_date(data, "valid_to"),
            dtstart=_date(data, "dtstart"),
            until=_date(data, "until"),
            interval=1 if interval is None else interval,
            description=_text(data, "description"),
            count=_whole_number(data, "count"),
            wkst=_text(data, "wkst"),
            timezone=_number(data, "timezone"),
        )

    # What kind of row this is --------------------------------------------------------------

    @property
    def has_times(self) -> bool:
        """True for an opening window (both ``opens_at`` and ``closes_at`` given)."""
        return self._parsed.opening is not None

    @property
    def is_closure(self) -> bool:
        """True for a closure: no times and at least one of ``valid_from`` / ``valid_to``."""
        return not self.has_times and (self.valid_from is not None or self.valid_to is not None)

    @property
    def is_seasonal(self) -> bool:
        """True for seasonal or exception hours: times plus both ``valid_from`` and ``valid_to``.

        On the dates from ``valid_from`` to ``valid_to`` such rules replace the regular hours.
        """
        return self.has_times and self.valid_from is not None and self.valid_to is not None

    # Parsed forms -----------------------------------------------------------------------------

    @property
    def frequency(self) -> str:
        """``WEEKLY`` or ``MONTHLY``, inferred when ``freq`` is missing."""
        return self._parsed.frequency

    @property
    def days(self) -> tuple[DayCode, ...]:
        """The parsed ``byday`` entries, in the order published."""
        return self._parsed.days

    @property
    def month_days(self) -> tuple[int, ...]:
        """The parsed ``bymonthday`` entries (1..31 or -31..-1, -1 being the last day)."""
        return self._parsed.month_days

    @property
    def opening(self) -> ClockTime | None:
        """Parsed ``opens_at``."""
        return self._parsed.opening

    @property
    def closing(self) -> ClockTime | None:
        """Parsed ``closes_at`` (86 400 seconds for ``23:59``, ``23:59:59`` or ``24:00``)."""
        return self._parsed.closing

    @property
    def last_date(self) -> date | None:
        """The last date the rule can apply on (``valid_to``, ``until`` or the ``count``-th
        date, whichever is first); ``None`` when open-ended."""
        bounds = [d for d in (self.valid_to, self.until, self._last_date) if d is not None]
        return min(bounds, default=None)

    @property
    def first_date(self) -> date | None:
        """The first date the rule can apply on (later of ``valid_from`` and ``dtstart``)."""
        bounds = [d for d in (self.valid_from, self.dtstart) if d is not None]
        return max(bounds, default=None)

    # Which dates ------------------------------------------------------------------------------

    def in_force_on(self, day: date) -> bool:
        """Whether ``day`` lies inside every date bound of the rule (all bounds inclusive)."""
        if self.valid_from is not None and day < self.valid_from:
            return False
        if self.valid_to is not None and day > self.valid_to:
            return False
        if self.dtstart is not None and day < self.dtstart:
            return False
        if self.until is not None and day > self.until:
            return False
        return self._last_date is None or day <= self._last_date

    def applies_on(self, day: date) -> bool:
        """Whether the rule's window opens (or its closure holds) on local date ``day``."""
        return self.in_force_on(day) and self._matches_pattern(day)

    def _matches_pattern(self, day: date) -> bool:
        if self._parsed.frequency == "MONTHLY":
            return self._matches_month_pattern(day)
        if self.interval > 1 and self.dtstart is not None:
            weeks = (self._start_of_week(day) - self._start_of_week(self.dtstart)).days // 7
            if weeks % self.interval:
                return False
        return not self._parsed.days or any(d.weekday == day.weekday() for d in self._parsed.days)

    def _matches_month_pattern(self, day: date) -> bool:
        if self.interval > 1 and self.dtstart is not None:
            months = (day.year - self.dtstart.year) * 12 + day.month - self.dtstart.month
            if months % self.interval:
                return False
        if not self._parsed.days and not self._parsed.month_days:
            return self.dtstart is not None and day.day == self.dtstart.day
        length = calendar.monthrange(day.year, day.month)[1]
        if self._parsed.days and not any(
            _is_nth_weekday(d, day, length) for d in self._parsed.days
        ):
            return False
        return not self._parsed.month_days or any(
            day.day == (n if n > 0 else length + n + 1) for n in self._parsed.month_days
        )

    def _start_of_week(self, day: date) -> date:
        return day - timedelta(days=(day.weekday() - self._parsed.week_start) % 7)

    def _find_last_date(self, count: int) -> date | None:
        if self.dtstart is None:  # __post_init__ refuses a COUNT rule without dtstart
            raise ValueError("a rule with a count needs dtstart")
        day, seen = self.dtstart, 0
        for _ in range(_COUNT_SEARCH_DAYS):
            if self.until is not None and day > self.until:
                return None
            if self._matches_pattern(day):
                seen += 1
                if seen == count:
                    return day
            day += timedelta(days=1)
        return None


@dataclass(frozen=True)
class _ParsedRule:
    """The parsed forms of a ``ScheduleRule``'s published fields."""

    frequency: str
    days: tuple[DayCode, ...]
    month_days: tuple[int, ...]
    opening: ClockTime | None
    closing: ClockTime | None
    week_start: int


def _parse_rule(rule: ScheduleRule) -> _ParsedRule:
    """Parse and cross-check a rule's fields (``ScheduleError`` names the first bad one)."""
    days = _parse_byday(rule.byday)
    month_days = _parse_bymonthday(rule.bymonthday)
    frequency = _parse_freq(rule.freq, days, month_days)
    if frequency == "WEEKLY" and any(d.ordinal is not None for d in days):
        raise ScheduleError("byday", "ordinal days such as 2MO need freq MONTHLY")
    if frequency == "WEEKLY" and month_days:
        raise ScheduleError("bymonthday", "bymonthday needs freq MONTHLY")
    needs_start = rule.interval > 1 or rule.count is not None
    needs_start = needs_start or (frequency == "MONTHLY" and not days and not month_days)
    if needs_start and rule.dtstart is None:
        raise ScheduleError(
            "dtstart", "needed with interval > 1, count, or a MONTHLY rule without days"
        )

    default_offset = _parse_timezone(rule.timezone)
    opening = _parse_time("opens_at", rule.opens_at, False, default_offset)
    closing = _parse_time("closes_at", rule.closes_at, True, default_offset)
    if (opening is None) != (closing is None):
        missing = "closes_at" if closing is None else "opens_at"
        raise ScheduleError(missing, "opens_at and closes_at must be given together")
    return _ParsedRule(frequency, days, month_days, opening, closing, _parse_wkst(rule.wkst))


def _parse_wkst(wkst: str | None) -> int:
    """The week's first day, 0 (Monday, the default) to 6 (Sunday)."""
    if wkst is None or not wkst.strip():
        return 0
    code = wkst.strip().upper()
    if code not in WEEKDAY_CODES:
        raise ScheduleError("wkst", f"{wkst!r} is not a day code (MO..SU)")
    return WEEKDAY_CODES.index(code)


def _is_nth_weekday(code: DayCode, day: date, month_length: int) -> bool:
    if day.weekday() != code.weekday:
        return False
    if code.ordinal is None:
        return True
    if code.ordinal > 0:
        return (day.day - 1) // 7 + 1 == code.ordinal
    return (month_length - day.day) // 7 + 1 == -code.ordinal


def _check_order(first: date | None, last: date | None, name: str, other: str) -> None:
    if first is not None and last is not None and last < first:
        raise ScheduleError(name, f"{last.isoformat()} is before {other} {first.isoformat()}")


def _parse_freq(freq: str | None, days: tuple[DayCode, ...], month_days: tuple[int, ...]) -> str:
    if freq is None or not freq.strip():
        monthly = month_days or any(d.ordinal is not None for d in days)
        return "MONTHLY" if monthly else "WEEKLY"
    value = freq.strip().upper()
    if value not in FREQUENCIES:
        raise ScheduleError("freq", f"{freq!r} is not WEEKLY or MONTHLY")
    return value


def _parse_byday(byday: str | None) -> tuple[DayCode, ...]:
    if byday is None or not byday.strip():
        return ()
    codes = []
    for part in byday.split(","):
        match = _DAY_CODE_RE.match(part.strip().upper())
        if match is None or match["code"] not in WEEKDAY_CODES:
            raise ScheduleError("byday", f"{part.strip()!r} is not a day code like MO, 2MO or -1FR")
        ordinal = int(match["n"]) if match["n"] else None
        if ordinal is not None and not (1 <= abs(ordinal) <= 5):
            raise ScheduleError(
                "byday", f"{part.strip()!r}: a month has weeks 1 to 5 (or -1 to -5)"
            )
        codes.append(DayCode(WEEKDAY_CODES.index(match["code"]), ordinal))
    return tuple(codes)


def _parse_bymonthday(bymonthday: str | None) -> tuple[int, ...]:
    if bymonthday is None or not bymonthday.strip():
        return ()
    numbers = []
    for part in bymonthday.split(","):
        text = part.strip()
        if not _INT_RE.match(text) or not (1 <= abs(int(text)) <= 31):
            raise ScheduleError(
                "bymonthday", f"{text!r} is not a day of the month (1..31, -1..-31)"
            )
        numbers.append(int(text))
    return tuple(numbers)


def _parse_timezone(hours: float | None) -> timedelta | None:
    if hours is None:
        return None
    bad_type = isinstance(hours, bool) or not isinstance(hours, int | float)
    if bad_type or not math.isfinite(hours) or abs(hours) > 14:
        raise ScheduleError("timezone", f"{hours!r} is not a UTC offset in hours (-14 to 14)")
    return timedelta(minutes=round(hours * 60))


def _parse_time(
    name: str, text: str | None, closing: bool, default_offset: timedelta | None
) -> ClockTime | None:
    if text is None or not text.strip():
        return None
    try:
        return parse_clock(text, closing=closing, default_offset=default_offset)
    except ClockError as exc:
        raise ScheduleError(name, str(exc)) from exc


# Reading loosely typed input (JSON, CSV, ORM rows) -------------------------------------------


def _text(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, list | tuple):
        value = ",".join(str(item) for item in value)
    text = str(value).strip()
    return text or None


def _clock_text(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if isinstance(value, time):
        return value.isoformat()
    if value is not None and not isinstance(value, str):
        raise ScheduleError(name, f"expected a time like 08:00, got {value!r}")
    return _text(data, name)


def _date(data: Mapping[str, Any], name: str) -> date | None:
    value = data.get(name)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date) or value is None:
        return value
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ScheduleError(name, f"{value!r} is not a date like 2026-11-28")


def _whole_number(data: Mapping[str, Any], name: str) -> int | None:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_RE.match(value.strip()):
        return int(value.strip())
    raise ScheduleError(name, f"{value!r} is not a whole number")


def _number(data: Mapping[str, Any], name: str) -> float | None:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ScheduleError(name, f"{value!r} is not a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ScheduleError(name, f"{value!r} is not a number") from None
