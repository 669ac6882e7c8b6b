"""Offset suffixes, the HSDS timezone field, and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pmhc_directory.hours import OpenState, ScheduleRule, evaluate, open_intervals, standard_offset

DENVER = ZoneInfo("America/Denver")
LONDON = ZoneInfo("Europe/London")
KOLKATA = ZoneInfo("Asia/Kolkata")
WINTER = date(2026, 1, 14)  # a Wednesday in MST
SUMMER = date(2026, 7, 15)  # a Wednesday in MDT
SPRING_FORWARD = date(2026, 3, 8)  # US DST starts at 02:00
FALL_BACK = date(2026, 11, 1)  # US DST ends at 02:00


def wall(zone: ZoneInfo, day: date, hour: int, minute: int = 0, fold: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, fold=fold, tzinfo=zone)


def every_day(opens: str, closes: str, **extra: object) -> list[ScheduleRule]:
    return [ScheduleRule(freq="WEEKLY", opens_at=opens, closes_at=closes, **extra)]


def test_pinned_dates_have_the_offsets_we_think() -> None:
    assert wall(DENVER, WINTER, 12).utcoffset() == timedelta(hours=-7)
    assert wall(DENVER, SUMMER, 12).utcoffset() == timedelta(hours=-6)
    assert wall(DENVER, SPRING_FORWARD - timedelta(1), 12).utcoffset() == timedelta(hours=-7)
    assert wall(DENVER, SPRING_FORWARD, 12).utcoffset() == timedelta(hours=-6)
    assert wall(DENVER, FALL_BACK, 1, 30, fold=0).utcoffset() == timedelta(hours=-6)
    assert wall(DENVER, FALL_BACK, 1, 30, fold=1).utcoffset() == timedelta(hours=-7)
    assert wall(LONDON, SUMMER, 12).utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize("day", [WINTER, SUMMER])
def test_standard_offset_ignores_daylight_saving(day: date) -> None:
    assert standard_offset(DENVER, day) == timedelta(hours=-7)
    assert standard_offset(LONDON, day) == timedelta(0)


class TestOffsetSuffix:
    @pytest.mark.parametrize("day", [WINTER, SUMMER])
    def test_suffix_equal_to_standard_offset_is_plain_local_time(self, day: date) -> None:
        rules = every_day("08:00-07:00", "17:00-07:00")
        assert evaluate(rules, wall(DENVER, day, 7, 59), DENVER).opens_next == wall(DENVER, day, 8)
        assert evaluate(rules, wall(DENVER, day, 16, 59), DENVER).closes_at == wall(DENVER, day, 17)

    @pytest.mark.parametrize("day", [WINTER, SUMMER])
    def test_other_suffix_shifts_by_the_difference_of_standard_offsets(self, day: date) -> None:
        rules = every_day("08:00-05:00", "17:00-05:00")  # written in Eastern time
        state = evaluate(rules, wall(DENVER, day, 5), DENVER)
        assert state.opens_next == wall(DENVER, day, 6)
        assert evaluate(rules, wall(DENVER, day, 14), DENVER).closes_at == wall(DENVER, day, 15)

    def test_z_is_a_zone_whose_standard_offset_is_utc(self) -> None:
        rules = every_day("08:00Z", "17:00Z")
        # In London that is plain local time, summer time included.
        assert evaluate(rules, wall(LONDON, SUMMER, 7), LONDON).opens_next == wall(
            LONDON, SUMMER, 8
        )
        # In Denver it is 7 hours earlier on the wall clock: 01:00 to 10:00.
        assert evaluate(rules, wall(DENVER, WINTER, 0), DENVER).opens_next == wall(
            DENVER, WINTER, 1
        )
        assert evaluate(rules, wall(DENVER, SUMMER, 9), DENVER).closes_at == wall(
            DENVER, SUMMER, 10
        )

    def test_half_hour_offset(self) -> None:
        rules = every_day("08:00+05:30", "17:00+05:30")
        assert evaluate(rules, wall(KOLKATA, WINTER, 7), KOLKATA).opens_next == wall(
            KOLKATA, WINTER, 8
        )
        state = evaluate(rules, datetime(2026, 1, 14, 2, 0, tzinfo=UTC), UTC)
        assert state.opens_next == datetime(2026, 1, 14, 2, 30, tzinfo=UTC)

    def test_shift_can_move_a_window_to_the_previous_evening(self) -> None:
        # Monday 01:00-03:00 Eastern standard time is Sunday 23:00 to Monday 01:00 in Denver.
        rules = [ScheduleRule(byday="MO", opens_at="01:00-05:00", closes_at="03:00-05:00")]
        sunday = date(2026, 1, 11)
        assert sunday.weekday() == 6
        intervals = open_intervals(
            rules, wall(DENVER, sunday, 0), wall(DENVER, sunday, 0) + timedelta(days=2), DENVER
        )
        assert intervals == [(wall(DENVER, sunday, 23), wall(DENVER, sunday + timedelta(1), 1))]

    def test_timezone_field_acts_like_a_suffix(self) -> None:
        with_field = [
            ScheduleRule.from_mapping({"opens_at": "08:00", "closes_at": "17:00", "timezone": -5})
        ]
        with_suffix = every_day("08:00-05:00", "17:00-05:00")
        start = wall(DENVER, SUMMER, 0)
        end = start + timedelta(days=3)
        assert open_intervals(with_field, start, end, DENVER) == open_intervals(
            with_suffix, start, end, DENVER
        )


class TestDaylightSaving:
    def test_overnight_window_over_spring_forward_is_an_hour_shorter(self) -> None:
        rules = [ScheduleRule(byday="SA", opens_at="22:00", closes_at="06:00")]
        saturday = SPRING_FORWARD - timedelta(1)
        (interval,) = open_intervals(
            rules, wall(DENVER, saturday, 0), wall(DENVER, SPRING_FORWARD, 12), DENVER
        )
        assert interval == (wall(DENVER, saturday, 22), wall(DENVER, SPRING_FORWARD, 6))
        assert interval[1].astimezone(UTC) - interval[0].astimezone(UTC) == timedelta(hours=7)

    def test_window_in_the_spring_gap_is_read_with_the_old_offset(self) -> None:
        # 02:30 does not exist on 2026-03-08; fold=0 reads it as MST, i.e. 03:30 MDT.
        rules = [ScheduleRule(byday="SU", opens_at="02:30", closes_at="04:00")]
        assert evaluate(rules, wall(DENVER, SPRING_FORWARD, 3, 15), DENVER).opens_next == wall(
            DENVER, SPRING_FORWARD, 3, 30
        )

    def test_window_entirely_in_the_gap_never_opens(self) -> None:
        rules = [ScheduleRule(byday="SU", opens_at="02:00", closes_at="03:00")]
        start = wall(DENVER, SPRING_FORWARD, 0)
        assert open_intervals(rules, start, start + timedelta(days=1), DENVER) == []

    def test_overnight_window_over_fall_back_is_an_hour_longer(self) -> None:
        rules = [ScheduleRule(byday="SA", opens_at="22:00", closes_at="06:00")]
        saturday = FALL_BACK - timedelta(1)
        state = evaluate(rules, wall(DENVER, saturday, 23), DENVER)
        assert state.closes_at == wall(DENVER, FALL_BACK, 6)
        assert state.closes_at.astimezone(UTC) - wall(DENVER, saturday, 22).astimezone(
            UTC
        ) == timedelta(hours=9)
        for fold in (0, 1):  # both 01:30s are inside the window
            assert evaluate(rules, wall(DENVER, FALL_BACK, 1, 30, fold), DENVER).open_now is True

    def test_repeated_hour_means_its_first_occurrence(self) -> None:
        rules = [ScheduleRule(byday="SU", opens_at="01:00", closes_at="01:30")]
        first = evaluate(rules, wall(DENVER, FALL_BACK, 1, 15, fold=0), DENVER)
        assert first.open_now is True
        assert first.closes_at is not None
        assert first.closes_at.astimezone(UTC) == wall(DENVER, FALL_BACK, 1, 30).astimezone(UTC)
        assert evaluate(rules, wall(DENVER, FALL_BACK, 1, 15, fold=1), DENVER).open_now is False

    @pytest.mark.parametrize("day", [SPRING_FORWARD, FALL_BACK])
    def test_24_7_rules_stay_24_7_across_the_change(self, day: date) -> None:
        rules = every_day("00:00", "23:59")
        for hour in (0, 1, 3, 12, 23):
            at = wall(DENVER, day, hour) - timedelta(days=3)
            assert evaluate(rules, at, DENVER) == OpenState(True, True, None, None)
        start = wall(DENVER, day, 0) - timedelta(days=1)
        end = wall(DENVER, day, 0) + timedelta(days=2)
        assert open_intervals(rules, start, end, DENVER) == [(start, end)]

    def test_day_length_follows_the_change(self) -> None:
        rules = every_day("00:00", "23:59")
        closure = ScheduleRule(valid_from=FALL_BACK + timedelta(1))
        (interval,) = open_intervals(
            [*rules, closure],
            wall(DENVER, FALL_BACK, 0),
            wall(DENVER, FALL_BACK, 0) + timedelta(days=3),
            DENVER,
        )
        length = interval[1].astimezone(UTC) - interval[0].astimezone(UTC)
        assert length == timedelta(hours=25)
