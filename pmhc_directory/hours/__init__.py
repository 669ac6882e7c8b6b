"""Opening hours: HSDS 3.1 schedule rules -> open now / closes at / opens next.

Pure standard-library code (no Flask, no SQLAlchemy). Evaluate in the service's IANA zone::

    rules = [ScheduleRule.from_mapping(row) for row in schedules]
    state = evaluate(rules, now, ZoneInfo("America/Denver"), always_open=has_24_7_attribute)
    format_open_state(state, now)  # "Open, closes 5:00 PM"

Unknown hours are never open: ``open_now`` is ``None``. The coordinator-facing rules are in
``docs/hours.md``.
"""

from .clock import ClockError, ClockTime, parse_clock, standard_offset
from .describe import describe, format_open_state, format_time
from .engine import (
    ALWAYS_OPEN_SPAN,
    DEFAULT_HORIZON_DAYS,
    UNKNOWN,
    DayHours,
    OpenState,
    day_hours,
    evaluate,
    evaluate_in,
    has_known_hours,
    is_open_at,
    open_intervals,
    select_rules,
)
from .rules import DayCode, ScheduleError, ScheduleRule

__all__ = [
    "ALWAYS_OPEN_SPAN",
    "DEFAULT_HORIZON_DAYS",
    "UNKNOWN",
    "ClockError",
    "ClockTime",
    "DayCode",
    "DayHours",
    "OpenState",
    "ScheduleError",
    "ScheduleRule",
    "day_hours",
    "describe",
    "evaluate",
    "evaluate_in",
    "format_open_state",
    "format_time",
    "has_known_hours",
    "is_open_at",
    "open_intervals",
    "parse_clock",
    "select_rules",
    "standard_offset",
]
