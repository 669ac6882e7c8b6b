"""Properties that must hold for any schedule, zone and instant (hypothesis)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmhc_directory.hours import (
    ScheduleRule,
    day_hours,
    evaluate,
    evaluate_in,
    has_known_hours,
    is_open_at,
    open_intervals,
)

ZONES = [
    ZoneInfo(name)
    for name in (
        "America/Denver",
        "America/New_York",
        "Europe/London",
        "Australia/Lord_Howe",  # 30-minute DST
        "Asia/Kolkata",
        "Pacific/Chatham",
        "America/Sao_Paulo",
        "UTC",
    )
]
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
HORIZON = timedelta(days=14)
WEEK = timedelta(days=7)
# Arithmetic is done in UTC: in a zone, datetime arithmetic is wall-clock and can land in a gap.
TICK = timedelta(microseconds=1)

zones = st.sampled_from(ZONES)
instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 6, 30), timezones=zones
)
clock = st.builds(
    lambda hour, minute: f"{hour:02d}:{minute:02d}",
    st.integers(0, 23),
    st.sampled_from([0, 15, 30, 45, 59]),
)
closing_clock = clock | st.sampled_from(["23:59", "23:59:59", "24:00", "00:00"])
suffixes = st.sampled_from(["", "", "", "Z", "-05:00", "-07:00", "+05:30", "+01:00"])
weekly_days = st.lists(st.sampled_from(DAY_CODES), unique=True, max_size=7).map(
    lambda codes: ",".join(codes) or None
)
dates = st.dates(date(2025, 12, 1), date(2027, 7, 31))


@st.composite
def date_range(draw: st.DrawFn) -> tuple[date, date]:
    first = draw(dates)
    return first, first + timedelta(days=draw(st.integers(0, 40)))


@st.composite
def weekly_rules(draw: st.DrawFn, with_suffix: bool = True) -> ScheduleRule:
    suffix = draw(suffixes) if with_suffix else ""
    return ScheduleRule(
        freq=draw(st.sampled_from(["WEEKLY", None])),
        byday=draw(weekly_days),
        opens_at=draw(clock) + suffix,
        closes_at=draw(closing_clock) + suffix,
    )


@st.composite
def any_rules(draw: st.DrawFn) -> ScheduleRule:
    kind = draw(st.sampled_from(["weekly", "weekly", "monthly", "seasonal", "closure", "from"]))
    if kind == "weekly":
        return draw(weekly_rules())
    opens, closes = draw(clock), draw(closing_clock)
    if kind == "monthly":
        byday = draw(st.sampled_from(["2MO", "-1FR", "1MO,3MO", "TU", None]))
        bymonthday = None if byday else draw(st.sampled_from(["1", "1,15,-1", "-1", "31"]))
        return ScheduleRule(
            freq="MONTHLY", byday=byday, bymonthday=bymonthday, opens_at=opens, closes_at=closes
        )
    if kind == "from":
        return ScheduleRule(
            byday=draw(weekly_days), opens_at=opens, closes_at=closes, valid_from=draw(dates)
        )
    first, last = draw(date_range())
    if kind == "closure":
        return ScheduleRule(valid_from=first, valid_to=last)
    return ScheduleRule(
        byday=draw(weekly_days), opens_at=opens, closes_at=closes, valid_from=first, valid_to=last
    )


rule_lists = st.lists(any_rules(), max_size=6)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def assert_aware_in(moment: datetime | None, zone: ZoneInfo) -> None:
    if moment is not None:
        assert moment.tzinfo is zone
        assert moment.utcoffset() is not None


@settings(deadline=None)
@given(rules=st.lists(weekly_rules(), max_size=4), at=instants, zone=zones)
def test_a_service_flagged_24_7_is_open_at_every_instant(
    rules: list[ScheduleRule], at: datetime, zone: ZoneInfo
) -> None:
    state = evaluate(rules, at, zone, always_open=True)
    assert state.open_now is True and state.always_open is True
    assert state.closes_at is None and state.opens_next is None
    assert is_open_at(rules, at, zone, always_open=True) is True


@settings(deadline=None)
@given(at=instants, zone=zones, closes=st.sampled_from(["23:59", "23:59:59", "24:00", "00:00"]))
def test_midnight_to_midnight_every_day_is_24_7(at: datetime, zone: ZoneInfo, closes: str) -> None:
    rules = [ScheduleRule(freq="WEEKLY", opens_at="00:00", closes_at=closes)]
    state = evaluate(rules, at, zone)
    assert (state.open_now, state.always_open, state.closes_at) == (True, True, None)


@settings(deadline=None)
@given(rule=weekly_rules(), at=instants, zone=zones)
def test_a_window_contains_its_start_and_not_its_end(
    rule: ScheduleRule, at: datetime, zone: ZoneInfo
) -> None:
    start, end = at, at + timedelta(days=8)
    for opens, closes in open_intervals([rule], start, end, zone):
        assert utc(opens) < utc(closes)
        if utc(opens) > utc(start):
            assert is_open_at([rule], opens, zone) is True
            assert is_open_at([rule], utc(opens) - TICK, zone) is False
        if utc(closes) < utc(end):
            assert is_open_at([rule], closes, zone) is False
            assert is_open_at([rule], utc(closes) - TICK, zone) is True


@settings(deadline=None)
@given(rules=rule_lists, at=instants, zone=zones, flag=st.booleans())
def test_evaluate_agrees_with_open_intervals(
    rules: list[ScheduleRule], at: datetime, zone: ZoneInfo, flag: bool
) -> None:
    state = evaluate(rules, at, zone, always_open=flag)
    around = open_intervals(
        rules, at - timedelta(days=2), at + HORIZON + WEEK, zone, always_open=flag
    )
    holding = [(s, e) for s, e in around if utc(s) <= utc(at) < utc(e)]
    assert len(holding) <= 1

    assert state.open_now is is_open_at(rules, at, zone, always_open=flag)
    if not has_known_hours(rules, always_open=flag):
        assert state.open_now is not True
        assert not holding
        assert state.closes_at is None and state.opens_next is None
        return
    assert state.open_now is bool(holding)
    if holding:
        ((_, end),) = holding
        assert state.opens_next is None
        if state.always_open:
            assert state.closes_at is None
            assert utc(end) - utc(at) >= WEEK
        else:
            assert state.closes_at is not None and utc(state.closes_at) == utc(end)
            assert utc(end) - utc(at) < WEEK
    else:
        assert state.closes_at is None and not state.always_open
        later = [s for s, _ in around if utc(at) < utc(s) <= utc(at) + HORIZON]
        expected = min(later, key=utc) if later else None
        if expected is None:
            assert state.opens_next is None
        else:
            assert state.opens_next is not None and utc(state.opens_next) == utc(expected)


@settings(deadline=None)
@given(rules=rule_lists, at=instants, zone=zones, flag=st.booleans())
def test_closes_after_and_opens_after_at_and_everything_is_aware(
    rules: list[ScheduleRule], at: datetime, zone: ZoneInfo, flag: bool
) -> None:
    state = evaluate(rules, at, zone, always_open=flag)
    assert_aware_in(state.closes_at, zone)
    assert_aware_in(state.opens_next, zone)
    if state.open_now and state.closes_at is not None:
        assert utc(state.closes_at) > utc(at)
    if state.open_now is False and state.opens_next is not None:
        assert utc(at) < utc(state.opens_next) <= utc(at) + HORIZON
    if state.always_open:
        assert state.open_now is True
    for opens, closes in open_intervals(rules, at, at + WEEK, zone, always_open=flag):
        assert_aware_in(opens, zone)
        assert_aware_in(closes, zone)


@settings(deadline=None)
@given(rules=rule_lists, at=instants, zone=zones)
def test_intervals_are_sorted_disjoint_and_inside_the_range(
    rules: list[ScheduleRule], at: datetime, zone: ZoneInfo
) -> None:
    end = at + timedelta(days=3)
    intervals = [(utc(s), utc(e)) for s, e in open_intervals(rules, at, end, zone)]
    for (_, e1), (s2, _) in zip(intervals, intervals[1:], strict=False):
        assert e1 < s2  # touching intervals would have been merged
    for s, e in intervals:
        assert utc(at) <= s < e <= utc(end)


FIXED_ZONES = [ZoneInfo("UTC"), ZoneInfo("Asia/Kolkata"), ZoneInfo("Asia/Tokyo")]


def oracle_is_open(
    rules: list[ScheduleRule], closures: list[tuple[date, date]], at: datetime
) -> bool:
    """Brute force for plain weekly rules in a zone without DST, written independently."""
    wall = at.replace(tzinfo=None)
    if any(first <= wall.date() <= last for first, last in closures):
        return False
    for rule in rules:
        assert rule.opens_at is not None and rule.closes_at is not None
        hour, minute = (int(part) for part in rule.opens_at.split(":")[:2])
        opens = timedelta(hours=hour, minutes=minute)
        hour, minute = (int(part) for part in rule.closes_at.split(":")[:2])
        closes = timedelta(hours=hour, minutes=minute)
        if rule.closes_at.startswith(("23:59", "24:00")):
            closes = timedelta(days=1)
        if closes <= opens:
            closes += timedelta(days=1)
        days = [DAY_CODES.index(code) for code in rule.byday.split(",")] if rule.byday else range(7)
        for back in (0, 1):
            day = wall.date() - timedelta(days=back)
            midnight = datetime.combine(day, time())
            if day.weekday() in days and midnight + opens <= wall < midnight + closes:
                return True
    return False


@settings(deadline=None)
@given(
    rules=st.lists(weekly_rules(with_suffix=False), min_size=1, max_size=4),
    closures=st.lists(date_range(), max_size=2),
    at=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 6, 30)),
    zone=st.sampled_from(FIXED_ZONES),
)
def test_open_now_matches_a_brute_force_oracle(
    rules: list[ScheduleRule], closures: list[tuple[date, date]], at: datetime, zone: ZoneInfo
) -> None:
    at = at.replace(tzinfo=zone)
    closure_rules = [ScheduleRule(valid_from=first, valid_to=last) for first, last in closures]
    state = evaluate([*rules, *closure_rules], at, zone)
    assert state.open_now is oracle_is_open(rules, closures, at)


@settings(deadline=None, max_examples=300)
@given(
    rules=rule_lists,
    at=instants,
    zone=zones,
    always_open=st.booleans(),
    horizon_days=st.sampled_from([0, 1, 3, 14]),
    later=st.lists(st.integers(0, 24 * 60 * 60 * 1_000_000), max_size=4),
)
def test_a_dates_precomputed_hours_evaluate_every_instant_of_it_as_evaluate_does(
    rules: list[ScheduleRule],
    at: datetime,
    zone: ZoneInfo,
    always_open: bool,
    horizon_days: int,
    later: list[int],
) -> None:
    day = at.astimezone(zone).date()
    hours = day_hours(rules, day, zone, always_open=always_open, horizon_days=horizon_days)
    if hours is None:
        assert not has_known_hours(rules, always_open=always_open)
        return
    # The instant drawn and others on the same date (one DayHours serves a whole date).
    moments = [utc(at)] + [utc(at) + timedelta(microseconds=m) for m in later]
    for moment in moments:
        if moment.astimezone(zone).date() != day:
            continue
        expected = evaluate(rules, moment, zone, always_open=always_open, horizon_days=horizon_days)
        assert evaluate_in(hours, moment.astimezone(zone)) == expected
        assert evaluate_in(hours, moment) == expected  # any zone for the instant


def test_precomputed_hours_refuse_an_instant_of_another_date() -> None:
    zone = ZoneInfo("America/Denver")
    rules = [ScheduleRule(byday="MO,TU,WE,TH,FR", opens_at="09:00", closes_at="17:00")]
    hours = day_hours(rules, date(2026, 3, 8), zone)  # the spring-forward date
    assert hours is not None
    last = datetime(2026, 3, 8, 23, 59, 59, 999999, tzinfo=zone)
    assert evaluate_in(hours, last) == evaluate(rules, last, zone)
    with pytest.raises(ValueError, match="is not on 2026-03-08"):
        evaluate_in(hours, last + TICK)
    with pytest.raises(ValueError, match="is not on 2026-03-08"):
        evaluate_in(hours, datetime(2026, 3, 7, 23, 59, tzinfo=zone))
    with pytest.raises(ValueError, match="horizon_days"):
        day_hours(rules, date(2026, 3, 8), zone, horizon_days=-1)


@pytest.mark.parametrize(
    ("zone_name", "opening", "at", "horizon_days", "found"),
    [
        # evaluate looks for the next opening in [at, at + max(horizon, 7 days)) and keeps it
        # when it is at most the horizon away: one exactly 14 days away is not found...
        ("America/Phoenix", datetime(2026, 7, 20, 9), datetime(2026, 7, 6, 9), 14, False),
        # ...one exactly 3 days away is, with a horizon of 3 days.
        ("America/Phoenix", datetime(2026, 7, 20, 9), datetime(2026, 7, 17, 9), 3, True),
        # The last minutes of a 25-hour date (Denver falls back on 2026-11-01) reach 14 days
        # past that date's end: an opening 13 days 23 h 45 min away is found.
        ("America/Denver", datetime(2026, 11, 15, 23, 30), datetime(2026, 11, 1, 23, 45), 14, True),
    ],
)
def test_openings_at_the_edge_of_the_horizon_from_precomputed_hours_too(
    zone_name: str, opening: datetime, at: datetime, horizon_days: int, found: bool
) -> None:
    zone = ZoneInfo(zone_name)
    opening, at = opening.replace(tzinfo=zone), at.replace(tzinfo=zone)
    rules = [
        ScheduleRule(
            opens_at=opening.strftime("%H:%M"),
            closes_at="23:59",
            valid_from=opening.date(),
            valid_to=opening.date(),
        )
    ]
    state = evaluate(rules, at, zone, horizon_days=horizon_days)
    assert (state.opens_next == opening) is found and (state.opens_next is None) is not found
    hours = day_hours(rules, at.date(), zone, horizon_days=horizon_days)
    assert hours is not None and evaluate_in(hours, at) == state
