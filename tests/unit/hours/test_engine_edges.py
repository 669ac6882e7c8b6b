"""The hours engine at its edges (issue #24: mutation survivors of ``hours/engine.py``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pmhc_directory.hours import ScheduleRule, has_known_hours, open_intervals

DENVER = ZoneInfo("America/Denver")
TUE = date(2026, 11, 24)


def local(day: date, hour: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=DENVER)


def test_no_rules_and_no_flag_mean_unknown_hours() -> None:
    closure = ScheduleRule(valid_from=TUE, valid_to=TUE)
    assert has_known_hours([]) is False
    assert has_known_hours([closure]) is False
    assert has_known_hours([], always_open=True) is True
    assert has_known_hours([ScheduleRule(byday="MO", opens_at="08:00", closes_at="17:00")])


def test_a_closure_starting_where_the_window_starts_leaves_no_empty_interval() -> None:
    every_day = ScheduleRule(
        freq="WEEKLY", byday="MO,TU,WE,TH,FR,SA,SU", opens_at="00:00", closes_at="24:00"
    )
    closed_tuesday = ScheduleRule(valid_from=TUE, valid_to=TUE)
    wednesday = TUE + timedelta(days=1)

    found = open_intervals([every_day, closed_tuesday], local(TUE), local(wednesday, 12), DENVER)

    assert [(s.astimezone(DENVER), e.astimezone(DENVER)) for s, e in found] == [
        (local(wednesday), local(wednesday, 12))
    ]
