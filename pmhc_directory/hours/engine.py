"""Schedule rules -> open intervals -> open now / closes at / opens next, in one time zone.

How a set of rules becomes time (``docs/hours.md`` says the same for coordinators):

* Each local date D of the evaluation zone gets the windows of the rules that apply on D.
  Seasonal rules (times plus both ``valid_from`` and ``valid_to``) covering D replace the other
  timed rules on D; with the ``always_open`` flag the other rules are replaced by a 00:00-24:00
  window instead.
* A window belongs to the date it opens on. When ``closes_at`` is at or before ``opens_at`` the
  window ends on the next date (Friday 22:00-06:00 is open Saturday 03:00).
* Windows are built from wall-clock times, turned into instants with zoneinfo's default
  ``fold=0`` (a time in a spring-forward gap is read with the offset before the change, so
  02:30 becomes 03:30; a time repeated in the autumn means its first occurrence), and merged
  when they overlap or touch.
* Closures (dates, no times) then remove each whole local date they apply on, from 00:00 to the
  next 00:00, including the tail of an overnight window from the day before. Closures win over
  everything, the ``always_open`` flag included.

Internally every instant is UTC: Python compares two datetimes sharing one ``tzinfo`` by wall
clock and ignores ``fold``, which would misorder instants in the repeated autumn hour.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TypeVar

from .clock import SECONDS_PER_DAY
from .rules import ScheduleRule

Interval = tuple[datetime, datetime]
T = TypeVar("T")

ALWAYS_OPEN_SPAN = timedelta(days=7)
DEFAULT_HORIZON_DAYS = 14
# Local dates examined beyond each end of a range. A window ends at most 24 h (latest close)
# + 24 h (overnight) + 28 h (offset suffix shift: +14 zone, -14 suffix) after its date's
# midnight, 3 days 4 hours; and starts at most 28 h before it. Four days covers both.
_MARGIN = timedelta(days=4)
_TINY = timedelta(microseconds=1)


@dataclass(frozen=True)
class OpenState:
    """The answer for one instant.

    ``open_now`` is ``None`` when the hours are unknown (never shown as open). ``closes_at`` is
    the end of the merged open interval holding the instant (``None`` when closed or
    ``always_open``); ``opens_next`` the start of the next open interval within the horizon
    (only when closed). Both are aware datetimes in the evaluation zone.
    """

    open_now: bool | None
    always_open: bool
    closes_at: datetime | None
    opens_next: datetime | None


UNKNOWN = OpenState(open_now=None, always_open=False, closes_at=None, opens_next=None)


def select_rules(
    service_rules: Sequence[T] | None,
    location_rules: Sequence[T] | None,
    service_at_location_rules: Sequence[T] | None,
) -> list[T]:
    """The most specific non-empty list: service_at_location, then location, then service.

    The lists are not merged: a location's schedules replace the service's entirely.
    """
    for rules in (service_at_location_rules, location_rules, service_rules):
        if rules:
            return list(rules)
    return []


def has_known_hours(rules: Iterable[ScheduleRule], *, always_open: bool = False) -> bool:
    """Whether anything says when the service is open: the flag or at least one timed rule.

    Closures and description-only rows alone leave the hours unknown.
    """
    return always_open or any(rule.has_times for rule in rules)


def open_intervals(
    rules: Sequence[ScheduleRule],
    start: datetime,
    end: datetime,
    zone: tzinfo,
    *,
    always_open: bool = False,
) -> list[Interval]:
    """Open intervals overlapping ``[start, end)``, merged, sorted and clipped to it.

    Each interval is ``(opens, closes)``, half-open, as aware datetimes in ``zone`` (normally a
    ``ZoneInfo``). Touching intervals are merged, so an interval's end is a moment the service
    is closed, unless it is ``end`` (clipped). Compare or subtract the results through
    ``.astimezone(UTC)`` or ``.timestamp()``: between datetimes of one zone Python compares and
    subtracts wall-clock times, ignoring ``fold`` and DST changes. Raises ``ValueError`` for a
    naive ``start`` or ``end``.
    """
    start_utc, end_utc = _utc(start, "start"), _utc(end, "end")
    return [
        (s.astimezone(zone), e.astimezone(zone))
        for s, e in _open_utc(rules, start_utc, end_utc, zone, always_open)
    ]


def evaluate(
    rules: Sequence[ScheduleRule],
    at: datetime,
    zone: tzinfo,
    *,
    always_open: bool = False,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> OpenState:
    """Whether the service is open at ``at`` (aware; ``ValueError`` if naive), evaluated in
    ``zone``, and until when, or when it opens next.

    ``always_open`` is the service's ``open-24-7`` attribute. The answer is ``always_open`` when
    the service is open at every instant of the 7 days from ``at``. ``opens_next`` is looked
    for up to ``horizon_days`` days after ``at``. Without the flag or a timed rule the hours are
    unknown (``open_now`` ``None``), except during a closure, which is known to be closed.
    """
    at_utc = _utc(at, "at")
    if horizon_days < 0:
        raise ValueError("horizon_days must be 0 or more")
    if not has_known_hours(rules, always_open=always_open):
        if _in_closure(rules, at_utc, zone):
            return OpenState(open_now=False, always_open=False, closes_at=None, opens_next=None)
        return UNKNOWN
    horizon = timedelta(days=horizon_days)
    intervals = _open_utc(rules, at_utc, at_utc + max(horizon, ALWAYS_OPEN_SPAN), zone, always_open)
    return _state(intervals, at_utc, horizon, zone)


@dataclass(frozen=True)
class DayHours:
    """What :func:`evaluate` needs for every instant of one local date, computed once
    (:func:`day_hours`): the merged open intervals (UTC) from the date's first instant to
    ``max(horizon, 7 days)`` past its last. Many lookups fall on one date, and a directory
    has far fewer distinct schedules than sites."""

    day: date
    zone: tzinfo
    horizon: timedelta
    intervals: tuple[Interval, ...]


def day_hours(
    rules: Sequence[ScheduleRule],
    day: date,
    zone: tzinfo,
    *,
    always_open: bool = False,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> DayHours | None:
    """The open intervals every instant of local date ``day`` in ``zone`` is evaluated on
    (:func:`evaluate_in`), or None when the hours are unknown (:func:`evaluate` is cheap then)."""
    if horizon_days < 0:
        raise ValueError("horizon_days must be 0 or more")
    if not has_known_hours(rules, always_open=always_open):
        return None
    horizon = timedelta(days=horizon_days)
    # The date's instants: from its midnight to the next date's (zoneinfo reads a midnight in
    # a gap with the offset before it: the first instant after the gap, the date's first).
    start = _local_to_utc(datetime.combine(day, time()), zone)
    stop = _local_to_utc(datetime.combine(day + timedelta(days=1), time()), zone)
    intervals = _open_utc(rules, start, stop + max(horizon, ALWAYS_OPEN_SPAN), zone, always_open)
    return DayHours(day, zone, horizon, tuple(intervals))


def evaluate_in(hours: DayHours, at: datetime) -> OpenState:
    """:func:`evaluate` at ``at`` from its local date's :class:`DayHours`, and equal to it: the
    intervals from ``at`` to ``at + max(horizon, 7 days)`` are the ones :func:`evaluate`
    computes (merged intervals are canonical, however wide the range they were merged over).
    One running past that end is not cut: only its start, or that it runs 7 days, is read.
    ``ValueError`` when ``at`` is not on that date."""
    at_utc = _utc(at, "at")
    if at_utc.astimezone(hours.zone).date() != hours.day:
        raise ValueError(f"{at.isoformat()} is not on {hours.day.isoformat()} in {hours.zone}")
    end = at_utc + max(hours.horizon, ALWAYS_OPEN_SPAN)
    intervals = hours.intervals
    first = bisect_right(intervals, at_utc, key=lambda interval: interval[1])
    cut = []
    for s, e in intervals[first:]:
        if s >= end:
            break
        cut.append((max(s, at_utc), e))
    return _state(cut, at_utc, hours.horizon, hours.zone)


def _state(
    intervals: list[Interval], at_utc: datetime, horizon: timedelta, zone: tzinfo
) -> OpenState:
    """The :class:`OpenState` at ``at_utc`` of the merged open intervals cut to ``[at_utc,
    at_utc + max(horizon, ALWAYS_OPEN_SPAN))``."""
    if intervals and intervals[0][0] <= at_utc:
        closes = intervals[0][1]
        if closes - at_utc >= ALWAYS_OPEN_SPAN:
            return OpenState(open_now=True, always_open=True, closes_at=None, opens_next=None)
        return OpenState(
            open_now=True, always_open=False, closes_at=closes.astimezone(zone), opens_next=None
        )
    opens = next((s for s, _ in intervals if s - at_utc <= horizon), None)
    return OpenState(
        open_now=False,
        always_open=False,
        closes_at=None,
        opens_next=None if opens is None else opens.astimezone(zone),
    )


def is_open_at(
    rules: Sequence[ScheduleRule], at: datetime, zone: tzinfo, *, always_open: bool = False
) -> bool | None:
    """``True`` or ``False`` at instant ``at`` (aware), ``None`` when the hours are unknown."""
    at_utc = _utc(at, "at")
    if not has_known_hours(rules, always_open=always_open):
        return False if _in_closure(rules, at_utc, zone) else None
    return bool(_open_utc(rules, at_utc, at_utc + _TINY, zone, always_open))


# The core ----------------------------------------------------------------------------------


def _open_utc(
    rules: Sequence[ScheduleRule],
    start: datetime,
    end: datetime,
    zone: tzinfo,
    always_open: bool,
) -> list[Interval]:
    """Merged open intervals in UTC, clipped to ``[start, end)``."""
    if end <= start:
        return []
    seasonal = [r for r in rules if r.is_seasonal]
    regular = [r for r in rules if r.has_times and not r.is_seasonal]
    closures = [r for r in rules if r.is_closure]
    windows: list[Interval] = []
    closed: list[Interval] = []
    for day in _local_dates(start, end, zone):
        active = [r for r in seasonal if _season_covers(r, day)]
        if not active:
            if always_open:
                windows.append(_whole_day(day, zone))
            else:
                active = regular
        windows.extend(_window(rule, day, zone) for rule in active if rule.applies_on(day))
        if any(rule.applies_on(day) for rule in closures):
            closed.append(_whole_day(day, zone))
    open_ = _subtract(_merge(windows), _merge(closed))
    clipped = ((max(s, start), min(e, end)) for s, e in open_)
    return [(s, e) for s, e in clipped if s < e]


def _season_covers(rule: ScheduleRule, day: date) -> bool:
    if rule.valid_from is None or rule.valid_to is None:
        raise ValueError("a seasonal rule needs valid_from and valid_to")
    return rule.valid_from <= day <= rule.valid_to


def _local_dates(start: datetime, end: datetime, zone: tzinfo) -> Iterable[date]:
    day = start.astimezone(zone).date() - _MARGIN
    last = end.astimezone(zone).date() + _MARGIN
    while day <= last:
        yield day
        day += timedelta(days=1)


def _window(rule: ScheduleRule, day: date, zone: tzinfo) -> Interval:
    """The rule's window opening on local ``day``, in UTC (possibly empty in a DST gap)."""
    if rule.opening is None or rule.closing is None:
        raise ValueError("a rule without opening or closing time has no window")
    opens = rule.opening.seconds + rule.opening.shift_in(zone, day)
    closes = rule.closing.seconds + rule.closing.shift_in(zone, day)
    if closes <= opens:
        closes += SECONDS_PER_DAY
    midnight = datetime.combine(day, time())
    return (
        _local_to_utc(midnight + timedelta(seconds=opens), zone),
        _local_to_utc(midnight + timedelta(seconds=closes), zone),
    )


def _whole_day(day: date, zone: tzinfo) -> Interval:
    midnight = datetime.combine(day, time())
    return (
        _local_to_utc(midnight, zone),
        _local_to_utc(midnight + timedelta(days=1), zone),
    )


def _local_to_utc(wall_clock: datetime, zone: tzinfo) -> datetime:
    return wall_clock.replace(tzinfo=zone).astimezone(UTC)


def _in_closure(rules: Iterable[ScheduleRule], at_utc: datetime, zone: tzinfo) -> bool:
    day = at_utc.astimezone(zone).date()
    return any(rule.is_closure and rule.applies_on(day) for rule in rules)


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort and join intervals that overlap or touch; empty ones are dropped."""
    merged: list[Interval] = []
    for s, e in sorted(i for i in intervals if i[0] < i[1]):
        if merged and s <= merged[-1][1]:
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def _subtract(intervals: list[Interval], holes: list[Interval]) -> list[Interval]:
    """``intervals`` minus ``holes``; both sorted and merged."""
    result: list[Interval] = []
    for s, e in intervals:
        cursor = s
        for hs, he in holes:
            if he <= cursor or hs >= e:
                continue
            if hs > cursor:
                result.append((cursor, hs))
            cursor = max(cursor, he)
            if cursor >= e:
                break
        if cursor < e:
            result.append((cursor, e))
    return result


def _utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {moment!r}")
    return moment.astimezone(UTC)
