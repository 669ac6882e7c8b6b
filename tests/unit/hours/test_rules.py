"""ScheduleRule: reading HSDS rows, refusing bad ones, and the dates a rule applies on."""

from __future__ import annotations

import calendar
import pickle
from datetime import date, datetime, time, timedelta, timezone

import pytest

from pmhc_directory.hours import ScheduleError, ScheduleRule, parse_clock
from pmhc_directory.hours.clock import SECONDS_PER_DAY, ClockError

MONDAY = date(2026, 11, 2)


def dates_in(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]


def test_pinned_dates_are_the_weekdays_we_think() -> None:
    assert MONDAY.weekday() == calendar.MONDAY
    assert date(2026, 11, 1).weekday() == calendar.SUNDAY


# Reading times ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds", "offset_minutes"),
    [
        ("08:00", 8 * 3600, None),
        ("8:00", 8 * 3600, None),
        ("08:00:30", 8 * 3600 + 30, None),
        (" 17:30 ", 17 * 3600 + 1800, None),
        ("08:00Z", 8 * 3600, 0),
        ("08:00z", 8 * 3600, 0),
        ("08:00+05:30", 8 * 3600, 330),
        ("08:00-0700", 8 * 3600, -420),
        ("08:00:00-07", 8 * 3600, -420),
    ],
)
def test_parse_clock_reads_published_forms(
    text: str, seconds: int, offset_minutes: int | None
) -> None:
    parsed = parse_clock(text)
    assert parsed.seconds == seconds
    expected = None if offset_minutes is None else timedelta(minutes=offset_minutes)
    assert parsed.offset == expected


@pytest.mark.parametrize("text", ["23:59", "23:59:59", "24:00", "24:00:00"])
def test_closing_at_end_of_day_means_midnight(text: str) -> None:
    assert parse_clock(text, closing=True).seconds == SECONDS_PER_DAY


def test_opening_at_2359_is_left_alone() -> None:
    assert parse_clock("23:59").seconds == 23 * 3600 + 59 * 60


@pytest.mark.parametrize(
    "text", ["25:00", "08:60", "08:00:61", "8am", "0800", "", "24:01", "24:00"]
)
def test_parse_clock_refuses_bad_opening_times(text: str) -> None:
    with pytest.raises(ClockError):
        parse_clock(text)


def test_parse_clock_refuses_offsets_that_do_not_exist() -> None:
    with pytest.raises(ClockError):
        parse_clock("08:00+15:00")
    with pytest.raises(ClockError):
        parse_clock("08:00+05:75")


# from_mapping ----------------------------------------------------------------------------------


def test_from_mapping_reads_an_hsds_schedule_object() -> None:
    rule = ScheduleRule.from_mapping(
        {
            "id": "4f1c",
            "service_id": "abc",
            "freq": "WEEKLY",
            "byday": "MO,TU,WE",
            "opens_at": "08:00",
            "closes_at": "17:00",
            "valid_from": "2026-01-01",
            "valid_to": date(2026, 12, 31),
            "interval": "2",
            "dtstart": "2026-01-05",
            "description": "Weekdays",
            "notes": "ignored",
        }
    )
    assert rule.byday == "MO,TU,WE"
    assert rule.valid_from == date(2026, 1, 1)
    assert rule.valid_to == date(2026, 12, 31)
    assert rule.dtstart == date(2026, 1, 5)
    assert rule.interval == 2
    assert rule.description == "Weekdays"
    assert [d.weekday for d in rule.days] == [0, 1, 2]
    assert rule.has_times and not rule.is_closure


def test_from_mapping_treats_blank_strings_as_missing() -> None:
    rule = ScheduleRule.from_mapping(
        {
            "freq": "",
            "byday": " ",
            "opens_at": "",
            "closes_at": "",
            "valid_from": "",
            "interval": "",
            "timezone": "",
        }
    )
    assert rule == ScheduleRule()
    assert not rule.has_times and not rule.is_closure


def test_from_mapping_accepts_time_datetime_and_float_values() -> None:
    rule = ScheduleRule.from_mapping(
        {
            "opens_at": time(8, 0),
            "closes_at": time(17, 0, tzinfo=timezone(timedelta(hours=-7))),
            "valid_from": datetime(2026, 1, 1, 0, 0),
            "interval": 1.0,
            "freq": "weekly",
        }
    )
    assert rule.opening is not None and rule.opening.seconds == 8 * 3600
    assert rule.closing is not None and rule.closing.offset == timedelta(hours=-7)
    assert rule.valid_from == date(2026, 1, 1)
    assert rule.frequency == "WEEKLY"


def test_from_mapping_applies_the_timezone_field_to_times_without_a_suffix() -> None:
    rule = ScheduleRule.from_mapping(
        {"opens_at": "08:00", "closes_at": "17:00+01:00", "timezone": -5}
    )
    assert rule.opening is not None and rule.opening.offset == timedelta(hours=-5)
    assert rule.closing is not None and rule.closing.offset == timedelta(hours=1)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"opens_at": "25:00", "closes_at": "17:00"}, "opens_at"),
        ({"opens_at": "8am", "closes_at": "17:00"}, "opens_at"),
        ({"opens_at": "08:00", "closes_at": "17:61"}, "closes_at"),
        ({"opens_at": "08:00", "closes_at": 1700}, "closes_at"),
        ({"opens_at": "08:00"}, "closes_at"),
        ({"closes_at": "17:00"}, "opens_at"),
        ({"byday": "MO,XX"}, "byday"),
        ({"byday": "MONDAY"}, "byday"),
        ({"freq": "MONTHLY", "byday": "6MO"}, "byday"),
        ({"freq": "MONTHLY", "byday": "0MO"}, "byday"),
        ({"freq": "WEEKLY", "byday": "2MO"}, "byday"),
        ({"freq": "MONTHLY", "bymonthday": "0"}, "bymonthday"),
        ({"freq": "MONTHLY", "bymonthday": "32"}, "bymonthday"),
        ({"freq": "MONTHLY", "bymonthday": "1,first"}, "bymonthday"),
        ({"freq": "WEEKLY", "bymonthday": "1"}, "bymonthday"),
        ({"freq": "DAILY"}, "freq"),
        ({"valid_from": "2026-13-01"}, "valid_from"),
        ({"valid_to": "next week"}, "valid_to"),
        ({"valid_from": "2026-12-02", "valid_to": "2026-12-01"}, "valid_to"),
        ({"dtstart": 20261101}, "dtstart"),
        ({"until": "2026/12/01"}, "until"),
        ({"dtstart": "2026-12-02", "until": "2026-12-01"}, "until"),
        ({"interval": 0}, "interval"),
        ({"interval": "two"}, "interval"),
        ({"interval": 1.5}, "interval"),
        ({"interval": 2, "byday": "MO"}, "dtstart"),
        ({"count": 3, "byday": "MO"}, "dtstart"),
        ({"count": 0, "dtstart": "2026-11-02"}, "count"),
        ({"freq": "MONTHLY", "opens_at": "09:00", "closes_at": "10:00"}, "dtstart"),
        ({"wkst": "XY"}, "wkst"),
        ({"timezone": "east"}, "timezone"),
        ({"timezone": 20}, "timezone"),
        ({"timezone": "nan"}, "timezone"),
        ({"byweekno": "1,2"}, "byweekno"),
        ({"byyearday": "100"}, "byyearday"),
    ],
)
def test_bad_input_raises_schedule_error_naming_the_field(data: dict, field: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        ScheduleRule.from_mapping(data)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
    assert isinstance(caught.value, ValueError)


def test_constructor_validates_too() -> None:
    with pytest.raises(ScheduleError) as caught:
        ScheduleRule(valid_from="2026-01-01")  # type: ignore[arg-type]
    assert caught.value.field == "valid_from"
    with pytest.raises(ScheduleError) as caught:
        ScheduleRule(valid_to=datetime(2026, 1, 1))
    assert caught.value.field == "valid_to"
    with pytest.raises(ScheduleError) as caught:
        ScheduleRule(interval=True)
    assert caught.value.field == "interval"


def test_schedule_error_survives_pickling() -> None:
    error = ScheduleError("byday", "bad")
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own bytes)
    assert (copy.field, copy.message, str(copy)) == ("byday", "bad", "byday: bad")


# Kinds of rows ---------------------------------------------------------------------------------


def test_kinds_of_rows() -> None:
    window = ScheduleRule(opens_at="08:00", closes_at="17:00")
    closure = ScheduleRule(valid_from=date(2026, 12, 25), valid_to=date(2026, 12, 25))
    open_ended_closure = ScheduleRule(valid_from=date(2027, 1, 1))
    seasonal = ScheduleRule(
        opens_at="08:00", closes_at="12:00", valid_from=date(2026, 6, 1), valid_to=date(2026, 8, 31)
    )
    half_bounded = ScheduleRule(opens_at="08:00", closes_at="12:00", valid_from=date(2026, 6, 1))
    note = ScheduleRule(description="Call ahead")
    assert (window.has_times, window.is_closure, window.is_seasonal) == (True, False, False)
    assert (closure.has_times, closure.is_closure, closure.is_seasonal) == (False, True, False)
    assert open_ended_closure.is_closure
    assert (seasonal.is_closure, seasonal.is_seasonal) == (False, True)
    assert not half_bounded.is_seasonal
    assert not (note.has_times or note.is_closure or note.is_seasonal)


# Which dates a rule applies on -----------------------------------------------------------------


def test_weekly_rule_applies_on_its_days_only() -> None:
    rule = ScheduleRule(freq="WEEKLY", byday="MO,WE,FR", opens_at="08:00", closes_at="17:00")
    for day in dates_in(2026):
        assert rule.applies_on(day) == (day.weekday() in (0, 2, 4)), day


@pytest.mark.parametrize("freq", ["WEEKLY", None])
def test_rule_with_times_and_no_days_applies_every_day(freq: str | None) -> None:
    rule = ScheduleRule(freq=freq, opens_at="08:00", closes_at="17:00")
    assert all(rule.applies_on(day) for day in dates_in(2026))


def test_monthly_second_monday() -> None:
    rule = ScheduleRule(freq="MONTHLY", byday="2MO", opens_at="09:00", closes_at="12:00")
    hits = [day for day in dates_in(2026) if rule.applies_on(day)]
    assert len(hits) == 12
    assert all(day.weekday() == 0 and 8 <= day.day <= 14 for day in hits)
    assert date(2026, 11, 9) in hits and date(2026, 11, 9).weekday() == 0


def test_monthly_last_friday() -> None:
    rule = ScheduleRule(freq="MONTHLY", byday="-1FR", opens_at="09:00", closes_at="12:00")
    for day in dates_in(2026):
        length = calendar.monthrange(day.year, day.month)[1]
        assert rule.applies_on(day) == (day.weekday() == 4 and day.day > length - 7), day
    assert rule.applies_on(date(2026, 11, 27))


def test_monthly_first_and_third_monday_and_fifth_weekday() -> None:
    rule = ScheduleRule(freq="MONTHLY", byday="1MO,3MO", opens_at="09:00", closes_at="12:00")
    hits = [day for day in dates_in(2026) if rule.applies_on(day)]
    assert all(day.weekday() == 0 and (day.day <= 7 or 15 <= day.day <= 21) for day in hits)
    assert len(hits) == 24
    fifth = ScheduleRule(freq="MONTHLY", byday="5MO", opens_at="09:00", closes_at="12:00")
    fifth_hits = [day for day in dates_in(2026) if fifth.applies_on(day)]
    assert fifth_hits and all(day.day >= 29 and day.weekday() == 0 for day in fifth_hits)
    assert date(2026, 11, 30) in fifth_hits


def test_monthly_every_weekday_without_ordinal() -> None:
    rule = ScheduleRule(freq="MONTHLY", byday="TU", opens_at="09:00", closes_at="12:00")
    assert all(rule.applies_on(day) == (day.weekday() == 1) for day in dates_in(2026))


def test_monthly_bymonthday_first_fifteenth_and_last() -> None:
    rule = ScheduleRule(freq="MONTHLY", bymonthday="1,15,-1", opens_at="09:00", closes_at="12:00")
    for day in dates_in(2028):  # a leap year
        last = calendar.monthrange(day.year, day.month)[1]
        assert rule.applies_on(day) == (day.day in (1, 15, last)), day
    assert rule.applies_on(date(2028, 2, 29))
    assert rule.applies_on(date(2026, 2, 28))


def test_bymonthday_31_skips_short_months() -> None:
    rule = ScheduleRule(freq="MONTHLY", bymonthday="31", opens_at="09:00", closes_at="12:00")
    hits = [day for day in dates_in(2026) if rule.applies_on(day)]
    assert [day.month for day in hits] == [1, 3, 5, 7, 8, 10, 12]


def test_monthly_byday_and_bymonthday_intersect() -> None:
    rule = ScheduleRule(
        freq="MONTHLY", byday="FR", bymonthday="13", opens_at="09:00", closes_at="12:00"
    )
    hits = [day for day in dates_in(2026) if rule.applies_on(day)]
    assert hits and all(day.day == 13 and day.weekday() == 4 for day in hits)


def test_monthly_without_days_repeats_on_dtstart_day() -> None:
    rule = ScheduleRule(
        freq="MONTHLY", dtstart=date(2026, 1, 20), opens_at="09:00", closes_at="12:00"
    )
    hits = [day for day in dates_in(2026) if rule.applies_on(day)]
    assert hits == [date(2026, month, 20) for month in range(1, 13)]


def test_freq_is_inferred_when_missing() -> None:
    assert ScheduleRule(bymonthday="1").frequency == "MONTHLY"
    assert ScheduleRule(byday="-1FR").frequency == "MONTHLY"
    assert ScheduleRule(byday="FR").frequency == "WEEKLY"


def test_weekly_interval_two_counts_weeks_from_dtstart() -> None:
    rule = ScheduleRule(
        freq="WEEKLY", byday="MO", interval=2, dtstart=MONDAY, opens_at="09:00", closes_at="12:00"
    )
    assert rule.applies_on(MONDAY)
    assert not rule.applies_on(MONDAY + timedelta(weeks=1))
    assert rule.applies_on(MONDAY + timedelta(weeks=2))
    assert rule.applies_on(MONDAY + timedelta(weeks=52))
    assert not rule.applies_on(MONDAY - timedelta(weeks=2))  # before dtstart


def test_weekly_interval_counts_the_week_holding_a_midweek_dtstart() -> None:
    wednesday = MONDAY + timedelta(days=2)
    rule = ScheduleRule(
        freq="WEEKLY",
        byday="MO,FR",
        interval=2,
        dtstart=wednesday,
        opens_at="09:00",
        closes_at="12:00",
    )
    assert not rule.applies_on(MONDAY)  # same week, but before dtstart
    assert rule.applies_on(MONDAY + timedelta(days=4))  # Friday of dtstart's week
    assert not rule.applies_on(MONDAY + timedelta(days=7))
    assert not rule.applies_on(MONDAY + timedelta(days=11))
    assert rule.applies_on(MONDAY + timedelta(days=14))


def test_wkst_decides_which_week_a_sunday_belongs_to() -> None:
    sunday = date(2026, 11, 1)
    common = {
        "freq": "WEEKLY",
        "byday": "SU,MO",
        "interval": 2,
        "dtstart": sunday,
        "opens_at": "09:00",
        "closes_at": "12:00",
    }
    sunday_weeks = ScheduleRule(**common, wkst="SU")
    monday_weeks = ScheduleRule(**common)
    following = [sunday + timedelta(days=n) for n in (0, 1, 7, 8, 14, 15)]
    assert [sunday_weeks.applies_on(d) for d in following] == [1, 1, 0, 0, 1, 1]
    assert [monday_weeks.applies_on(d) for d in following] == [1, 0, 0, 1, 1, 0]


def test_monthly_interval_counts_months_from_dtstart() -> None:
    rule = ScheduleRule(
        freq="MONTHLY",
        bymonthday="1",
        interval=3,
        dtstart=date(2026, 2, 1),
        opens_at="09:00",
        closes_at="12:00",
    )
    hits = [day for day in dates_in(2026) if rule.applies_on(day)]
    assert [day.month for day in hits] == [2, 5, 8, 11]


def test_count_limits_the_rule_to_its_first_dates() -> None:
    rule = ScheduleRule(
        freq="WEEKLY", byday="MO,WE", count=3, dtstart=MONDAY, opens_at="09:00", closes_at="12:00"
    )
    hits = [day for day in dates_in(2026) if rule.applies_on(day)]
    assert hits == [MONDAY, MONDAY + timedelta(days=2), MONDAY + timedelta(days=7)]
    assert rule.last_date == MONDAY + timedelta(days=7)


def test_validity_bounds_are_inclusive() -> None:
    rule = ScheduleRule(
        opens_at="08:00",
        closes_at="17:00",
        valid_from=date(2026, 12, 1),
        valid_to=date(2026, 12, 31),
    )
    assert not rule.applies_on(date(2026, 11, 30))
    assert rule.applies_on(date(2026, 12, 1))
    assert rule.applies_on(date(2026, 12, 31))
    assert not rule.applies_on(date(2027, 1, 1))


def test_dtstart_and_until_are_inclusive() -> None:
    rule = ScheduleRule(
        opens_at="08:00", closes_at="17:00", dtstart=date(2026, 12, 1), until=date(2026, 12, 31)
    )
    assert [rule.applies_on(date(2026, 11, 30)), rule.applies_on(date(2026, 12, 1))] == [0, 1]
    assert [rule.applies_on(date(2026, 12, 31)), rule.applies_on(date(2027, 1, 1))] == [1, 0]
    assert not rule.is_seasonal  # only valid_from + valid_to make seasonal hours
