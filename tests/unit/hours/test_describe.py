"""Words: describe() for the service page, format_time and format_open_state for officers."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from pmhc_directory.hours import (
    OpenState,
    ScheduleRule,
    describe,
    evaluate,
    format_open_state,
    format_time,
)

DENVER = ZoneInfo("America/Denver")
SAT = date(2026, 11, 28)


def weekly(byday: str | None, opens: str, closes: str, **extra: object) -> ScheduleRule:
    return ScheduleRule(freq="WEEKLY", byday=byday, opens_at=opens, closes_at=closes, **extra)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=DENVER)


def test_pinned_saturday() -> None:
    assert SAT.weekday() == 5


@pytest.mark.parametrize(
    ("clock", "text"),
    [
        (time(17, 0), "5:00 PM"),
        (time(8, 5), "8:05 AM"),
        (time(0, 0), "12:00 AM"),
        (time(12, 0), "12:00 PM"),
        (time(12, 30), "12:30 PM"),
        (time(23, 59, 59), "11:59 PM"),
    ],
)
def test_format_time(clock: time, text: str) -> None:
    assert format_time(clock) == text
    assert format_time(datetime.combine(SAT, clock, tzinfo=DENVER)) == text


class TestFormatOpenState:
    def test_unknown(self) -> None:
        assert (
            format_open_state(OpenState(None, False, None, None), local(SAT, 2)) == "Hours unknown"
        )

    def test_always_open(self) -> None:
        assert format_open_state(OpenState(True, True, None, None), local(SAT, 2)) == "Open 24/7"

    def test_closes_today(self) -> None:
        state = OpenState(True, False, local(SAT, 17), None)
        assert format_open_state(state, local(SAT, 2)) == "Open, closes 5:00 PM"

    def test_closes_tomorrow_names_the_day(self) -> None:
        state = OpenState(True, False, local(SAT + timedelta(1), 6), None)
        assert format_open_state(state, local(SAT, 23)) == "Open, closes Sun 6:00 AM"

    def test_closes_at_midnight(self) -> None:
        state = OpenState(True, False, local(SAT + timedelta(1), 0), None)
        assert format_open_state(state, local(SAT, 20)) == "Open, closes midnight"

    def test_opens_later_today(self) -> None:
        state = OpenState(False, False, None, local(SAT, 10))
        assert format_open_state(state, local(SAT, 2)) == "Closed, opens 10:00 AM"

    def test_opens_on_a_later_day(self) -> None:
        monday = SAT + timedelta(2)
        state = OpenState(False, False, None, local(monday, 8))
        assert format_open_state(state, local(SAT, 2)) == "Closed, opens Mon 8:00 AM"

    def test_opens_more_than_a_week_away_gives_the_date(self) -> None:
        state = OpenState(False, False, None, local(date(2026, 12, 14), 9))
        assert format_open_state(state, local(SAT, 2)) == "Closed, opens Mon Dec 14 9:00 AM"

    def test_closed_with_nothing_ahead(self) -> None:
        assert format_open_state(OpenState(False, False, None, None), local(SAT, 2)) == "Closed"

    def test_now_in_another_zone_is_read_in_the_zone_of_the_time(self) -> None:
        state = OpenState(True, False, local(SAT, 23), None)
        now_utc = local(SAT, 19).astimezone(ZoneInfo("UTC"))
        assert now_utc.date() == SAT + timedelta(1)  # already Sunday in UTC
        assert format_open_state(state, now_utc) == "Open, closes 11:00 PM"

    def test_end_to_end_at_2_am(self) -> None:
        rules = [weekly("FR", "22:00", "06:00"), weekly("MO,TU,WE,TH,FR", "08:00", "17:00")]
        now = local(SAT, 2)
        assert format_open_state(evaluate(rules, now, DENVER), now) == "Open, closes 6:00 AM"
        now = local(SAT, 7)
        assert format_open_state(evaluate(rules, now, DENVER), now) == "Closed, opens Mon 8:00 AM"


class TestDescribe:
    def test_weekly_hours_grouped_by_times(self) -> None:
        rules = [
            weekly("SA", "10:00", "14:00"),
            weekly("MO,TU,WE", "08:00", "17:00"),
            weekly("TH,FR", "08:00", "17:00"),
            weekly("FR", "22:00", "06:00"),
        ]
        assert describe(rules) == [
            "Mon-Fri 8:00 AM-5:00 PM",
            "Fri 10:00 PM-6:00 AM (next day)",
            "Sat 10:00 AM-2:00 PM",
        ]

    def test_day_lists(self) -> None:
        assert describe([weekly("MO,WE,FR", "09:00", "12:00")]) == [
            "Mon, Wed, Fri 9:00 AM-12:00 PM"
        ]
        assert describe([weekly("SA,SU", "09:00", "12:00")]) == ["Sat, Sun 9:00 AM-12:00 PM"]
        assert describe([weekly(None, "09:00", "12:00")]) == ["Every day 9:00 AM-12:00 PM"]

    def test_several_windows_a_day(self) -> None:
        rules = [weekly("MO", "13:00", "17:00"), weekly("MO", "09:00", "12:00")]
        assert describe(rules) == ["Mon 9:00 AM-12:00 PM", "Mon 1:00 PM-5:00 PM"]

    def test_end_of_day_and_whole_days(self) -> None:
        assert describe([weekly("MO", "20:00", "23:59")]) == ["Mon 8:00 PM-midnight"]
        assert describe([weekly("MO,TU,WE,TH,FR", "00:00", "24:00")]) == ["Mon-Fri 24 hours"]

    @pytest.mark.parametrize(
        "rules",
        [
            [weekly(None, "00:00", "23:59")],
            [weekly("MO,TU,WE,TH,FR", "00:00", "23:59"), weekly("SA,SU", "00:00", "23:59:59")],
            [weekly("MO,TU,WE,TH,FR,SA,SU", "18:00", "18:00")],
        ],
    )
    def test_continuous_week_is_open_24_7(self, rules: list[ScheduleRule]) -> None:
        assert describe(rules) == ["Open 24/7"]

    def test_gap_on_sunday_night_is_not_24_7(self) -> None:
        rules = [weekly("MO,TU,WE,TH,FR,SA", "00:00", "23:59"), weekly("SU", "00:00", "23:00")]
        assert describe(rules) == ["Mon-Sat 24 hours", "Sun 12:00 AM-11:00 PM"]

    def test_overnight_sunday_closes_monday_gap(self) -> None:
        rules = [weekly("MO,TU,WE,TH,FR,SA", "06:00", "06:00"), weekly("SU", "06:00", "06:00")]
        assert describe(rules) == ["Open 24/7"]

    def test_seasonal_and_half_bounded_hours(self) -> None:
        rules = [
            weekly("MO,TU,WE,TH,FR", "08:00", "17:00"),
            weekly(
                "MO,TU", "09:00", "12:00", valid_from=date(2026, 6, 1), valid_to=date(2026, 8, 31)
            ),
            weekly("SA", "10:00", "14:00", valid_from=date(2027, 1, 1)),
        ]
        assert describe(rules) == [
            "Mon-Fri 8:00 AM-5:00 PM",
            "2026-06-01 to 2026-08-31: Mon, Tue 9:00 AM-12:00 PM",
            "From 2027-01-01: Sat 10:00 AM-2:00 PM",
        ]

    def test_monthly_rules(self) -> None:
        assert describe(
            [ScheduleRule(freq="MONTHLY", byday="2MO", opens_at="09:00", closes_at="12:00")]
        ) == ["2nd Monday 9:00 AM-12:00 PM"]
        assert describe([ScheduleRule(byday="-1FR", opens_at="09:00", closes_at="12:00")]) == [
            "Last Friday 9:00 AM-12:00 PM"
        ]
        assert describe([ScheduleRule(byday="1MO,3MO", opens_at="09:00", closes_at="12:00")]) == [
            "1st and 3rd Monday 9:00 AM-12:00 PM"
        ]
        assert describe(
            [ScheduleRule(bymonthday="1,15,-1", opens_at="09:00", closes_at="12:00")]
        ) == ["1st, 15th and last day of the month 9:00 AM-12:00 PM"]

    def test_every_other_week(self) -> None:
        rule = weekly("MO", "09:00", "12:00", interval=2, dtstart=date(2026, 11, 2))
        assert describe([rule]) == ["Every other week from 2026-11-02: Mon 9:00 AM-12:00 PM"]

    def test_closures(self) -> None:
        rules = [
            weekly(None, "00:00", "23:59"),
            ScheduleRule(valid_from=date(2026, 12, 25), valid_to=date(2026, 12, 26)),
            ScheduleRule(valid_from=date(2026, 11, 26), valid_to=date(2026, 11, 26)),
            ScheduleRule(valid_from=date(2027, 3, 1)),
        ]
        assert describe(rules) == [
            "Open 24/7",
            "Closed 2026-11-26",
            "Closed 2026-12-25 to 2026-12-26",
            "Closed from 2027-03-01",
        ]

    def test_offset_suffix_is_shown(self) -> None:
        assert describe([weekly("MO", "08:00-05:00", "17:00-05:00")]) == [
            "Mon 8:00 AM-5:00 PM (UTC-05:00)"
        ]

    def test_notes_and_no_rules(self) -> None:
        assert describe([ScheduleRule(description="By appointment")]) == ["By appointment"]
        assert describe([]) == []
