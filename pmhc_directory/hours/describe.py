"""Words for people: weekly hours for a service page and the open-now line an officer reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from .clock import SECONDS_PER_DAY, ClockTime
from .engine import OpenState
from .rules import DayCode, ScheduleRule

DAY_ABBREVIATIONS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_ABBREVIATIONS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEK_SECONDS = 7 * SECONDS_PER_DAY


def format_time(moment: datetime | time) -> str:
    """``5:00 PM`` style, 12-hour clock, seconds dropped, independent of the locale."""
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def format_open_state(state: OpenState, now: datetime) -> str:
    """The line an officer reads: ``Open 24/7``, ``Open, closes 5:00 PM``,
    ``Closed, opens Mon 8:00 AM``, ``Closed`` (nothing within the horizon) or ``Hours unknown``.

    A time on ``now``'s date (in the zone of the time shown) is given alone, a later one within
    six days with its weekday, and one further away with its date. Midnight at the end of
    ``now``'s date reads ``midnight``.
    """
    if state.open_now is None:
        return "Hours unknown"
    if state.always_open:
        return "Open 24/7"
    if state.open_now:
        return "Open" if state.closes_at is None else f"Open, closes {_when(state.closes_at, now)}"
    if state.opens_next is None:
        return "Closed"
    return f"Closed, opens {_when(state.opens_next, now)}"


def _when(moment: datetime, now: datetime) -> str:
    today = now.astimezone(moment.tzinfo).date()
    days_ahead = (moment.date() - today).days
    if days_ahead == 1 and moment.time() == time(0):
        return "midnight"
    if days_ahead == 0:
        return format_time(moment)
    if 0 < days_ahead < 7:
        return f"{DAY_ABBREVIATIONS[moment.weekday()]} {format_time(moment)}"
    month = MONTH_ABBREVIATIONS[moment.month - 1]
    return f"{DAY_ABBREVIATIONS[moment.weekday()]} {month} {moment.day} {format_time(moment)}"


def describe(rules: Sequence[ScheduleRule]) -> list[str]:
    """Human-readable hours for a service page, one line per window pattern.

    Lines: regular weekly hours (``Mon-Fri 8:00 AM-5:00 PM``; ``Open 24/7`` when they cover the
    whole week), then dated or less regular hours (``2026-06-01 to 2026-08-31: Mon-Fri ...``,
    ``Every other week from 2026-11-02: Mon ...``, ``2nd Monday 9:00 AM-12:00 PM``), then
    closures (``Closed 2026-12-25 to 2026-12-26``), then description-only rows. Times are shown
    as published; a time with an offset suffix shows it (``(UTC-05:00)``). An empty list means
    no hours are known.
    """
    plain: list[ScheduleRule] = []
    dated: dict[tuple[object, ...], list[ScheduleRule]] = {}
    closures: list[ScheduleRule] = []
    notes: list[str] = []
    for rule in rules:
        if rule.has_times and rule.frequency == "WEEKLY":
            if rule.interval == 1 and rule.first_date is None and rule.last_date is None:
                plain.append(rule)
            else:
                key = (rule.first_date, rule.last_date, rule.interval, rule.dtstart)
                dated.setdefault(key, []).append(rule)
        elif rule.has_times:
            dated.setdefault(("monthly", len(dated)), []).append(rule)
        elif rule.is_closure:
            closures.append(rule)
        elif rule.description:
            notes.append(rule.description)

    lines = ["Open 24/7"] if _covers_week(plain) else _weekly_lines(plain)
    for group in sorted(dated.values(), key=lambda g: g[0].first_date or date.min):
        prefix = _prefix(group[0])
        if group[0].frequency == "WEEKLY":
            lines.extend(prefix + line for line in _weekly_lines(group))
        else:
            lines.append(prefix + _capitalise(f"{_month_pattern(group[0])} {_times(group[0])}"))
    for rule in sorted(closures, key=lambda r: r.first_date or date.min):
        lines.append(_closure_line(rule))
    return lines + notes


def _weekly_lines(rules: Sequence[ScheduleRule]) -> list[str]:
    by_times: dict[tuple[ClockTime, ClockTime], set[int]] = {}
    for rule in rules:
        opening, closing = _opening_closing(rule)
        days = {d.weekday for d in rule.days} if rule.days else set(range(7))
        by_times.setdefault((opening, closing), set()).update(days)
    ordered = sorted(by_times.items(), key=lambda item: (min(item[1]), item[0][0].seconds))
    return [f"{_day_list(days)} {_window_text(*times)}" for times, days in ordered]


def _covers_week(rules: Sequence[ScheduleRule]) -> bool:
    """Whether plain weekly rules leave no gap in the week (all written in one offset)."""
    offsets = {t.offset for r in rules for t in (r.opening, r.closing) if t is not None}
    if not rules or len(offsets) != 1:
        return False
    pieces: list[tuple[int, int]] = []
    for rule in rules:
        opening, closing = _opening_closing(rule)
        opens, closes = opening.seconds, closing.seconds
        if closes <= opens:
            closes += SECONDS_PER_DAY
        for day in {d.weekday for d in rule.days} if rule.days else range(7):
            start, end = day * SECONDS_PER_DAY + opens, day * SECONDS_PER_DAY + closes
            pieces.append((start, min(end, _WEEK_SECONDS)))
            if end > _WEEK_SECONDS:  # Sunday night runs into Monday morning
                pieces.append((0, end - _WEEK_SECONDS))
    reached = 0
    for start, end in sorted(pieces):
        if start > reached:
            return False
        reached = max(reached, end)
    return reached >= _WEEK_SECONDS


def _day_list(days: set[int]) -> str:
    if len(days) == 7:
        return "Every day"
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{DAY_ABBREVIATIONS[run[0]]}-{DAY_ABBREVIATIONS[run[-1]]}")
        else:
            parts.extend(DAY_ABBREVIATIONS[d] for d in run)
    return ", ".join(parts)


def _window_text(opening: ClockTime, closing: ClockTime) -> str:
    if opening.seconds == 0 and closing.seconds == SECONDS_PER_DAY:
        text = "24 hours"
    else:
        end = "midnight" if closing.seconds == SECONDS_PER_DAY else _clock(closing.seconds)
        text = f"{_clock(opening.seconds)}-{end}"
        if closing.seconds <= opening.seconds:
            text += " (next day)"
    if opening.offset is None and closing.offset is None:
        return text
    if opening.offset == closing.offset:
        return f"{text} ({_offset(opening.offset)})"
    return f"{text} (opens {_offset(opening.offset)}, closes {_offset(closing.offset)})"


def _opening_closing(rule: ScheduleRule) -> tuple[ClockTime, ClockTime]:
    """The rule's opening and closing times; only rules with both are described by time."""
    if rule.opening is None or rule.closing is None:
        raise ValueError("a rule without opening or closing time has no window to describe")
    return rule.opening, rule.closing


def _times(rule: ScheduleRule) -> str:
    return _window_text(*_opening_closing(rule))


def _clock(seconds: int) -> str:
    return format_time(time(seconds // 3600 % 24, seconds // 60 % 60))


def _offset(offset: timedelta | None) -> str:
    if offset is None:
        return "local time"
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _prefix(rule: ScheduleRule) -> str:
    first, last = rule.first_date, rule.last_date
    unit = "week" if rule.frequency == "WEEKLY" else "month"
    parts = []
    if rule.interval == 2:
        parts.append(f"Every other {unit}")
    elif rule.interval > 2:
        parts.append(f"Every {rule.interval} {unit}s")
    if first is not None and last is not None:
        parts.append(f"{first.isoformat()} to {last.isoformat()}")
    elif first is not None:
        parts.append(f"from {first.isoformat()}")
    elif last is not None:
        parts.append(f"until {last.isoformat()}")
    return _capitalise(" ".join(parts)) + ": " if parts else ""


def _closure_line(rule: ScheduleRule) -> str:
    first, last = rule.first_date, rule.last_date
    if first is not None and first == last:
        dates = first.isoformat()
    elif first is not None and last is not None:
        dates = f"{first.isoformat()} to {last.isoformat()}"
    elif first is not None:
        dates = f"from {first.isoformat()}"
    elif last is not None:
        dates = f"until {last.isoformat()}"
    else:  # a closure without dates covers every date its days name
        dates = "always"
    if rule.frequency == "MONTHLY":
        return f"Closed {dates}: {_month_pattern(rule)}"
    if rule.days:
        return f"Closed {dates}: {_day_list({d.weekday for d in rule.days})}"
    return f"Closed {dates}"


def _month_pattern(rule: ScheduleRule) -> str:
    """Words such as ``2nd Monday``, ``last Friday`` or ``1st and last day of the month``."""
    weekdays = _weekday_pattern(rule.days)
    month_days = _join([_day_of_month(n) for n in rule.month_days])
    if weekdays and month_days:
        return f"{weekdays} on the {month_days} day of the month"
    if weekdays:
        return weekdays
    if month_days:
        return f"{month_days} day of the month"
    if rule.dtstart is None:  # rules.py refuses a MONTHLY rule without days or dtstart
        raise ValueError("a monthly rule without days needs dtstart")
    return f"{_ordinal(rule.dtstart.day)} day of the month"


def _weekday_pattern(days: Sequence[DayCode]) -> str:
    ordinals: dict[int, list[int | None]] = {}
    for code in days:
        ordinals.setdefault(code.weekday, []).append(code.ordinal)
    parts = []
    for weekday, numbers in ordinals.items():
        if None in numbers:
            parts.append(f"every {DAY_NAMES[weekday]}")
        else:
            parts.append(f"{_join([_day_of_month(n) for n in numbers])} {DAY_NAMES[weekday]}")
    return ", ".join(parts)


def _day_of_month(number: int | None) -> str:
    if number is None:
        raise ValueError("no day of the month to describe")
    if number == -1:
        return "last"
    if number < 0:
        return f"{_ordinal(-number)} to last"
    return _ordinal(number)


def _ordinal(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]
