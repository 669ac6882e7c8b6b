"""evaluate / open_intervals / is_open_at on concrete weeks (America/Denver, November 2026)."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pmhc_directory.hours import (
    OpenState,
    ScheduleRule,
    evaluate,
    is_open_at,
    open_intervals,
    select_rules,
)

DENVER = ZoneInfo("America/Denver")
# Week of Monday 2026-11-23 .. Sunday 2026-11-29 (no DST change; checked below).
MON, TUE, WED, THU, FRI, SAT, SUN = (date(2026, 11, 23) + timedelta(days=n) for n in range(7))


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=DENVER)


def weekly(byday: str | None, opens: str, closes: str, **extra: object) -> ScheduleRule:
    return ScheduleRule(freq="WEEKLY", byday=byday, opens_at=opens, closes_at=closes, **extra)


def same_instant(a: datetime | None, b: datetime) -> bool:
    return a is not None and a.astimezone(UTC) == b.astimezone(UTC)


def test_pinned_week_is_monday_to_sunday_without_dst_change() -> None:
    assert [d.weekday() for d in (MON, TUE, WED, THU, FRI, SAT, SUN)] == list(range(7))
    assert date(2026, 11, 28) == SAT
    assert SAT.weekday() == calendar.SATURDAY
    offsets = {local(d, 12).utcoffset() for d in (MON, SUN)}
    assert offsets == {timedelta(hours=-7)}


WEEKDAYS_9_TO_5 = [weekly("MO,TU,WE,TH,FR", "08:00", "17:00")]


class TestWeekly:
    def test_open_during_the_window(self) -> None:
        state = evaluate(WEEKDAYS_9_TO_5, local(WED, 12), DENVER)
        assert state == OpenState(True, False, local(WED, 17), None)

    def test_window_includes_its_start_and_excludes_its_end(self) -> None:
        assert evaluate(WEEKDAYS_9_TO_5, local(WED, 8), DENVER).open_now is True
        at_close = evaluate(WEEKDAYS_9_TO_5, local(WED, 17), DENVER)
        assert at_close.open_now is False
        assert at_close.opens_next == local(THU, 8)
        assert evaluate(WEEKDAYS_9_TO_5, local(WED, 16, 59), DENVER).open_now is True

    def test_closed_before_opening_gives_todays_opening(self) -> None:
        state = evaluate(WEEKDAYS_9_TO_5, local(WED, 2), DENVER)
        assert state == OpenState(False, False, None, local(WED, 8))

    def test_opens_next_skips_the_weekend(self) -> None:
        for at in (local(FRI, 17), local(SAT, 12), local(SUN, 23, 59)):
            assert evaluate(WEEKDAYS_9_TO_5, at, DENVER).opens_next == local(MON + timedelta(7), 8)

    def test_several_windows_a_day(self) -> None:
        rules = [
            weekly("MO,TU,WE,TH,FR", "09:00", "12:00"),
            weekly("MO,TU,WE,TH,FR", "13:00", "17:00"),
        ]
        assert evaluate(rules, local(TUE, 11), DENVER).closes_at == local(TUE, 12)
        lunch = evaluate(rules, local(TUE, 12, 30), DENVER)
        assert (lunch.open_now, lunch.opens_next) == (False, local(TUE, 13))
        assert evaluate(rules, local(TUE, 16), DENVER).closes_at == local(TUE, 17)

    def test_result_is_in_the_evaluation_zone_whatever_the_zone_of_at(self) -> None:
        at = local(WED, 12).astimezone(UTC)
        state = evaluate(WEEKDAYS_9_TO_5, at, DENVER)
        assert state.closes_at is not None and state.closes_at.tzinfo is DENVER
        assert state.closes_at == local(WED, 17)


class TestOvernight:
    FRIDAY_NIGHT = [weekly("FR", "22:00", "06:00")]

    def test_friday_night_window_is_open_saturday_morning(self) -> None:
        state = evaluate(self.FRIDAY_NIGHT, local(SAT, 3), DENVER)
        assert state == OpenState(True, False, local(SAT, 6), None)

    def test_before_and_after_the_overnight_window(self) -> None:
        assert evaluate(self.FRIDAY_NIGHT, local(FRI, 21), DENVER).opens_next == local(FRI, 22)
        after = evaluate(self.FRIDAY_NIGHT, local(SAT, 6), DENVER)
        assert (after.open_now, after.opens_next) == (False, local(FRI + timedelta(7), 22))
        # Saturday night is not covered: the window belongs to Friday only.
        assert evaluate(self.FRIDAY_NIGHT, local(SAT, 23), DENVER).open_now is False
        assert evaluate(self.FRIDAY_NIGHT, local(THU + timedelta(days=2), 3), DENVER).open_now

    def test_sunday_night_wraps_into_monday(self) -> None:
        rules = [weekly("SU", "20:00", "04:00")]
        next_monday = MON + timedelta(days=7)
        state = evaluate(rules, local(next_monday, 2), DENVER)
        assert state == OpenState(True, False, local(next_monday, 4), None)
        assert open_intervals(rules, local(MON, 0), local(TUE, 0), DENVER) == [
            (local(MON, 0), local(MON, 4))
        ]

    def test_close_equal_to_open_is_a_24_hour_window(self) -> None:
        rules = [weekly("TU", "08:00", "08:00")]
        assert evaluate(rules, local(WED, 7), DENVER).closes_at == local(WED, 8)

    def test_midnight_close_written_as_0000(self) -> None:
        rules = [weekly("TU", "20:00", "00:00")]
        assert evaluate(rules, local(TUE, 23), DENVER).closes_at == local(WED, 0)


class TestAlwaysOpen:
    @pytest.mark.parametrize("at", [local(MON, 0), local(SAT, 3), local(SUN, 23, 59)])
    def test_flag_without_rules(self, at: datetime) -> None:
        assert evaluate([], at, DENVER, always_open=True) == OpenState(True, True, None, None)

    def test_flag_overrides_regular_hours(self) -> None:
        state = evaluate(WEEKDAYS_9_TO_5, local(SAT, 3), DENVER, always_open=True)
        assert state == OpenState(True, True, None, None)

    @pytest.mark.parametrize(
        "rules",
        [
            [weekly(None, "00:00", "23:59")],
            [ScheduleRule(opens_at="00:00", closes_at="23:59")],
            [weekly("MO,TU,WE,TH,FR,SA,SU", "00:00", "23:59:59")],
            [weekly("MO,TU,WE,TH,FR,SA,SU", "00:00", "24:00")],
            [weekly("MO,TU,WE,TH,FR,SA,SU", "12:00", "12:00")],
            [weekly("MO,TU,WE,TH,FR", "00:00", "23:59"), weekly("SA,SU", "00:00", "00:00")],
        ],
        ids=["weekly-no-byday", "no-freq", "2359-59", "2400", "noon-to-noon", "two-rows"],
    )
    def test_rules_covering_every_instant(self, rules: list[ScheduleRule]) -> None:
        for at in (local(MON, 0), local(WED, 23, 59), local(SUN, 12)):
            assert evaluate(rules, at, DENVER) == OpenState(True, True, None, None)
        intervals = open_intervals(rules, local(MON, 0), local(MON + timedelta(7), 0), DENVER)
        assert intervals == [(local(MON, 0), local(MON + timedelta(7), 0))]

    def test_six_days_of_24_hours_is_not_24_7(self) -> None:
        rules = [weekly("MO,TU,WE,TH,FR,SA", "00:00", "23:59")]
        state = evaluate(rules, local(THU, 12), DENVER)
        assert state == OpenState(True, False, local(SUN, 0), None)
        assert evaluate(rules, local(SUN, 12), DENVER).opens_next == local(MON + timedelta(7), 0)


class TestMerging:
    def test_touching_windows_merge_across_midnight(self) -> None:
        rules = [weekly("MO", "20:00", "23:59"), weekly("TU", "00:00", "08:00")]
        assert evaluate(rules, local(MON, 21), DENVER).closes_at == local(TUE, 8)
        assert open_intervals(rules, local(MON, 0), local(WED, 0), DENVER) == [
            (local(MON, 20), local(TUE, 8))
        ]

    def test_overlapping_windows_merge(self) -> None:
        rules = [weekly("WE", "08:00", "12:00"), weekly("WE", "11:00", "15:00")]
        assert evaluate(rules, local(WED, 9), DENVER).closes_at == local(WED, 15)

    def test_overnight_window_merges_with_next_mornings_hours(self) -> None:
        rules = [weekly("FR", "22:00", "06:00"), weekly("SA", "06:00", "14:00")]
        assert evaluate(rules, local(FRI, 23), DENVER).closes_at == local(SAT, 14)


class TestSeasonal:
    REGULAR = [weekly("MO,TU,WE,TH,FR", "08:00", "17:00"), weekly("SA", "10:00", "14:00")]
    WINTER = weekly(
        "MO,TU,WE,TH,FR",
        "10:00",
        "14:00",
        valid_from=date(2026, 12, 21),
        valid_to=date(2026, 12, 31),
    )

    def test_pinned_dates(self) -> None:
        assert date(2026, 12, 21).weekday() == calendar.MONDAY
        assert date(2026, 12, 26).weekday() == calendar.SATURDAY
        assert date(2026, 12, 31).weekday() == calendar.THURSDAY
        assert date(2027, 1, 1).weekday() == calendar.FRIDAY

    def test_seasonal_hours_replace_regular_hours_on_their_dates(self) -> None:
        rules = [*self.REGULAR, self.WINTER]
        first = date(2026, 12, 21)
        early = evaluate(rules, local(first, 9), DENVER)
        assert (early.open_now, early.opens_next) == (False, local(first, 10))
        assert evaluate(rules, local(first, 13), DENVER).closes_at == local(first, 14)
        assert evaluate(rules, local(first, 15), DENVER).open_now is False

    def test_a_date_in_season_without_seasonal_hours_is_closed(self) -> None:
        rules = [*self.REGULAR, self.WINTER]
        state = evaluate(rules, local(date(2026, 12, 26), 11), DENVER)  # a Saturday
        assert state.open_now is False

    def test_regular_hours_resume_after_the_last_date(self) -> None:
        rules = [*self.REGULAR, self.WINTER]
        last, after = date(2026, 12, 31), date(2027, 1, 1)
        assert evaluate(rules, local(last, 9), DENVER).opens_next == local(last, 10)
        assert evaluate(rules, local(after, 9), DENVER).closes_at == local(after, 17)
        assert evaluate(rules, local(date(2026, 12, 18), 9), DENVER).open_now is True
        assert evaluate(rules, local(last, 15), DENVER).opens_next == local(after, 8)

    def test_seasonal_day_keeps_the_overnight_tail_of_the_day_before(self) -> None:
        rules = [
            weekly("FR", "22:00", "06:00"),
            weekly("SA", "10:00", "14:00", valid_from=SAT, valid_to=SAT),
        ]
        assert evaluate(rules, local(SAT, 3), DENVER).closes_at == local(SAT, 6)
        assert evaluate(rules, local(SAT, 11), DENVER).closes_at == local(SAT, 14)

    def test_the_flag_replaces_regular_rules_so_their_overnight_tails_go_too(self) -> None:
        rules = [
            weekly("FR", "22:00", "06:00"),
            weekly("SA", "10:00", "14:00", valid_from=SAT, valid_to=SAT),
        ]
        state = evaluate(rules, local(SAT, 3), DENVER, always_open=True)
        assert (state.open_now, state.opens_next) == (False, local(SAT, 10))

    def test_exception_hours_replace_the_always_open_flag_on_their_dates(self) -> None:
        rules = [weekly(None, "10:00", "14:00", valid_from=SAT, valid_to=SAT)]
        assert evaluate(rules, local(SAT, 9), DENVER, always_open=True).open_now is False
        state = evaluate(rules, local(FRI, 9), DENVER, always_open=True)
        assert state == OpenState(True, False, local(SAT, 0), None)


class TestValidity:
    def test_valid_from_is_inclusive(self) -> None:
        rules = [weekly(None, "08:00", "17:00", valid_from=date(2026, 12, 1))]
        assert evaluate(rules, local(date(2026, 11, 30), 9), DENVER).open_now is False
        assert evaluate(rules, local(date(2026, 12, 1), 9), DENVER).open_now is True
        state = evaluate(rules, local(date(2026, 11, 30), 9), DENVER)
        assert state.opens_next == local(date(2026, 12, 1), 8)

    def test_valid_to_is_inclusive(self) -> None:
        rules = [weekly(None, "08:00", "17:00", valid_to=date(2026, 12, 31))]
        assert evaluate(rules, local(date(2026, 12, 31), 16), DENVER).open_now is True
        expired = evaluate(rules, local(date(2027, 1, 1), 9), DENVER)
        assert expired == OpenState(False, False, None, None)

    def test_old_and_new_hours_hand_over(self) -> None:
        rules = [
            weekly(None, "08:00", "17:00", valid_to=date(2026, 12, 31)),
            weekly(None, "09:00", "21:00", valid_from=date(2027, 1, 1)),
        ]
        assert evaluate(rules, local(date(2026, 12, 31), 20), DENVER).opens_next == local(
            date(2027, 1, 1), 9
        )
        assert evaluate(rules, local(date(2027, 1, 1), 20), DENVER).open_now is True


class TestClosures:
    CHRISTMAS = ScheduleRule(valid_from=date(2026, 12, 25), valid_to=date(2026, 12, 25))

    def test_closure_beats_the_always_open_flag(self) -> None:
        day = date(2026, 12, 25)
        state = evaluate([self.CHRISTMAS], local(day, 12), DENVER, always_open=True)
        assert state == OpenState(False, False, None, local(day + timedelta(1), 0))

    def test_closure_ahead_ends_the_24_7_answer(self) -> None:
        state = evaluate([self.CHRISTMAS], local(date(2026, 12, 24), 12), DENVER, always_open=True)
        assert state == OpenState(True, False, local(date(2026, 12, 25), 0), None)
        state = evaluate([self.CHRISTMAS], local(date(2026, 12, 10), 12), DENVER, always_open=True)
        assert state.always_open is True

    def test_closure_beats_24_7_rules(self) -> None:
        rules = [weekly(None, "00:00", "23:59"), self.CHRISTMAS]
        assert evaluate(rules, local(date(2026, 12, 25), 0), DENVER).open_now is False
        assert evaluate(rules, local(date(2026, 12, 24), 23, 59), DENVER).closes_at == local(
            date(2026, 12, 25), 0
        )

    def test_closure_cuts_the_tail_of_an_overnight_window(self) -> None:
        rules = [weekly("TH", "22:00", "06:00"), self.CHRISTMAS]  # Christmas 2026 is a Friday
        thursday = date(2026, 12, 24)
        christmas = thursday + timedelta(days=1)
        assert evaluate(rules, local(thursday, 23), DENVER).closes_at == local(christmas, 0)
        assert evaluate(rules, local(date(2026, 12, 25), 3), DENVER).open_now is False

    def test_closure_covers_several_days_inclusive(self) -> None:
        closure = ScheduleRule(valid_from=date(2026, 12, 24), valid_to=date(2026, 12, 26))
        rules = [weekly(None, "08:00", "17:00"), closure]
        for day in (date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 26)):
            assert evaluate(rules, local(day, 12), DENVER).opens_next == local(
                date(2026, 12, 27), 8
            )
        assert evaluate(rules, local(date(2026, 12, 23), 12), DENVER).open_now is True

    def test_closure_limited_to_some_weekdays(self) -> None:
        closure = ScheduleRule(
            byday="MO", valid_from=date(2026, 12, 1), valid_to=date(2026, 12, 31)
        )
        rules = [weekly(None, "08:00", "17:00"), closure]
        assert evaluate(rules, local(date(2026, 12, 7), 12), DENVER).open_now is False
        assert evaluate(rules, local(date(2026, 12, 8), 12), DENVER).open_now is True

    def test_open_ended_closure(self) -> None:
        rules = [weekly(None, "08:00", "17:00"), ScheduleRule(valid_from=date(2027, 1, 1))]
        assert evaluate(rules, local(date(2027, 3, 1), 12), DENVER) == OpenState(
            False, False, None, None
        )

    def test_closure_alone_is_closed_on_its_dates_and_unknown_otherwise(self) -> None:
        assert evaluate([self.CHRISTMAS], local(date(2026, 12, 25), 9), DENVER) == OpenState(
            False, False, None, None
        )
        assert evaluate([self.CHRISTMAS], local(date(2026, 12, 26), 9), DENVER).open_now is None


class TestMonthly:
    def test_second_monday(self) -> None:
        rules = [ScheduleRule(freq="MONTHLY", byday="2MO", opens_at="09:00", closes_at="12:00")]
        second_monday = date(2026, 11, 9)
        assert second_monday.weekday() == calendar.MONDAY and second_monday.day in range(8, 15)
        assert evaluate(rules, local(second_monday, 10), DENVER).open_now is True
        assert evaluate(rules, local(second_monday + timedelta(7), 10), DENVER).open_now is False

    def test_last_friday_and_last_day(self) -> None:
        last_friday = [ScheduleRule(byday="-1FR", opens_at="09:00", closes_at="12:00")]
        assert evaluate(last_friday, local(date(2026, 11, 27), 10), DENVER).open_now is True
        assert evaluate(last_friday, local(date(2026, 11, 20), 10), DENVER).open_now is False
        last_day = [ScheduleRule(bymonthday="-1", opens_at="09:00", closes_at="12:00")]
        assert evaluate(last_day, local(date(2026, 11, 30), 10), DENVER).open_now is True
        assert evaluate(last_day, local(date(2026, 12, 30), 10), DENVER).open_now is False

    def test_opens_next_respects_the_horizon(self) -> None:
        rules = [ScheduleRule(freq="MONTHLY", byday="2MO", opens_at="09:00", closes_at="12:00")]
        at = local(date(2026, 11, 10), 9)
        assert evaluate(rules, at, DENVER).opens_next is None
        assert evaluate(rules, at, DENVER, horizon_days=40).opens_next == local(
            date(2026, 12, 14), 9
        )
        assert date(2026, 12, 14).weekday() == calendar.MONDAY


class TestHorizon:
    def test_short_horizon_hides_a_later_opening(self) -> None:
        rules = WEEKDAYS_9_TO_5
        at = local(SAT, 7)  # next opening: Monday 08:00, 49 hours later
        assert evaluate(rules, at, DENVER, horizon_days=2).opens_next is None
        assert evaluate(rules, at, DENVER, horizon_days=3).opens_next == local(
            SUN + timedelta(1), 8
        )
        assert evaluate(rules, at, DENVER, horizon_days=0).opens_next is None

    def test_exactly_seven_days_of_cover_is_24_7(self) -> None:
        closure = ScheduleRule(valid_from=MON + timedelta(7), valid_to=MON + timedelta(7))
        state = evaluate([closure], local(MON, 0), DENVER, always_open=True)
        assert state == OpenState(True, True, None, None)
        state = evaluate([closure], local(MON, 0, 1), DENVER, always_open=True)
        assert state == OpenState(True, False, local(MON + timedelta(7), 0), None)


class TestLargeOffsetShifts:
    """A suffix may move a window by up to 28 hours; the date scan must reach that far."""

    def test_window_shifted_two_days_later(self) -> None:
        kiritimati = ZoneInfo("Pacific/Kiritimati")  # UTC+14 all year
        # Monday 23:59 at UTC-14 is Wednesday 03:59 at UTC+14; it closes 24 hours later.
        rules = [weekly("MO", "23:59-14:00", "23:58-14:00")]
        monday = date(2026, 11, 23)
        thursday = monday + timedelta(days=3)
        at = datetime.combine(thursday, datetime.min.time(), tzinfo=kiritimati) + timedelta(hours=3)
        state = evaluate(rules, at, kiritimati)
        assert state.open_now is True
        assert state.closes_at == at + timedelta(minutes=58)

    def test_window_shifted_a_day_earlier(self) -> None:
        gmt_minus_12 = ZoneInfo("Etc/GMT+12")  # POSIX sign: UTC-12
        # Thursday 00:00 at UTC+14 is Tuesday 22:00 at UTC-12.
        rules = [weekly("TH", "00:00+14:00", "01:00+14:00")]
        tuesday = date(2026, 11, 24)
        midnight = datetime.combine(tuesday, datetime.min.time(), tzinfo=gmt_minus_12)
        assert open_intervals(
            rules, midnight, midnight + timedelta(hours=23, minutes=30), gmt_minus_12
        ) == [(midnight + timedelta(hours=22), midnight + timedelta(hours=23))]


class TestIntervalWeekly:
    def test_every_other_monday_from_dtstart(self) -> None:
        rules = [weekly("MO", "09:00", "12:00", interval=2, dtstart=MON)]
        assert evaluate(rules, local(MON, 10), DENVER).open_now is True
        assert evaluate(rules, local(MON + timedelta(7), 10), DENVER).open_now is False
        assert evaluate(rules, local(MON + timedelta(14), 10), DENVER).open_now is True
        assert evaluate(rules, local(MON + timedelta(1), 10), DENVER).opens_next == local(
            MON + timedelta(14), 9
        )


class TestUnknown:
    @pytest.mark.parametrize(
        "rules", [[], [ScheduleRule(description="Call for hours")]], ids=["none", "note-only"]
    )
    def test_unknown_hours_are_never_open(self, rules: list[ScheduleRule]) -> None:
        assert evaluate(rules, local(WED, 12), DENVER) == OpenState(None, False, None, None)
        assert is_open_at(rules, local(WED, 12), DENVER) is None
        assert open_intervals(rules, local(MON, 0), local(SUN, 0), DENVER) == []


class TestArguments:
    def test_naive_datetimes_are_refused(self) -> None:
        naive = datetime(2026, 11, 25, 12)
        with pytest.raises(ValueError, match="at must be a timezone-aware"):
            evaluate(WEEKDAYS_9_TO_5, naive, DENVER)
        with pytest.raises(ValueError, match="at must be a timezone-aware"):
            is_open_at(WEEKDAYS_9_TO_5, naive, DENVER)
        with pytest.raises(ValueError, match="start must be a timezone-aware"):
            open_intervals(WEEKDAYS_9_TO_5, naive, local(WED, 12), DENVER)
        with pytest.raises(ValueError, match="end must be a timezone-aware"):
            open_intervals(WEEKDAYS_9_TO_5, local(WED, 12), naive, DENVER)

    def test_negative_horizon_is_refused(self) -> None:
        with pytest.raises(ValueError, match="horizon_days"):
            evaluate(WEEKDAYS_9_TO_5, local(WED, 12), DENVER, horizon_days=-1)

    def test_empty_range_has_no_intervals(self) -> None:
        assert open_intervals(WEEKDAYS_9_TO_5, local(WED, 12), local(WED, 12), DENVER) == []
        assert open_intervals(WEEKDAYS_9_TO_5, local(WED, 13), local(WED, 12), DENVER) == []


class TestOpenIntervals:
    def test_intervals_are_clipped_to_the_range(self) -> None:
        assert open_intervals(WEEKDAYS_9_TO_5, local(WED, 12), local(THU, 9), DENVER) == [
            (local(WED, 12), local(WED, 17)),
            (local(THU, 8), local(THU, 9)),
        ]

    def test_a_whole_week(self) -> None:
        rules = [*WEEKDAYS_9_TO_5, weekly("FR", "22:00", "06:00")]
        week = open_intervals(rules, local(MON, 0), local(MON + timedelta(7), 0), DENVER)
        expected = [(local(d, 8), local(d, 17)) for d in (MON, TUE, WED, THU, FRI)]
        expected.append((local(FRI, 22), local(SAT, 6)))
        assert week == expected
        hours = sum((e - s).total_seconds() for s, e in week) / 3600
        assert hours == 5 * 9 + 8

    def test_is_open_at_agrees_with_evaluate(self) -> None:
        rules = [*WEEKDAYS_9_TO_5, weekly("FR", "22:00", "06:00")]
        for hour in range(0, 24 * 7, 3):
            at = local(MON, 0) + timedelta(hours=hour, minutes=30)
            assert is_open_at(rules, at, DENVER) == evaluate(rules, at, DENVER).open_now


class TestSelectRules:
    SERVICE = [weekly(None, "08:00", "17:00")]
    LOCATION = [weekly(None, "09:00", "17:00")]
    SAL = [weekly(None, "10:00", "17:00")]

    def test_most_specific_owner_wins(self) -> None:
        assert select_rules(self.SERVICE, self.LOCATION, self.SAL) == self.SAL
        assert select_rules(self.SERVICE, self.LOCATION, []) == self.LOCATION
        assert select_rules(self.SERVICE, [], None) == self.SERVICE
        assert select_rules(None, None, None) == []

    def test_returns_a_new_list(self) -> None:
        chosen = select_rules(self.SERVICE, (), ())
        chosen.append(weekly(None, "01:00", "02:00"))
        assert len(self.SERVICE) == 1
