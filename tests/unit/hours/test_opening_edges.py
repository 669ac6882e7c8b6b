"""Opening times at the ends of the day, as published rules and as evaluated (issue #24 item 4).

Only a closing time may be ``24:00`` (end of day); an opening at ``23:59`` opens at 23:59, one
minute before midnight, and is never read as the end of the day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pmhc_directory.hours import ScheduleError, ScheduleRule, evaluate

DENVER = ZoneInfo("America/Denver")
SAT = date(2026, 11, 28)  # a Saturday without a DST change
SUN = SAT + timedelta(days=1)


def local(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=DENVER)


@pytest.mark.parametrize("opens_at", ["24:00", "24:00:00"])
def test_a_rule_opening_at_24_00_is_refused_naming_opens_at(opens_at: str) -> None:
    with pytest.raises(ScheduleError) as info:
        ScheduleRule.from_mapping(
            {"freq": "WEEKLY", "byday": "SA", "opens_at": opens_at, "closes_at": "24:00"}
        )
    assert info.value.field == "opens_at"


def test_a_rule_closing_at_24_00_is_read() -> None:
    rule = ScheduleRule.from_mapping(
        {"freq": "WEEKLY", "byday": "SA", "opens_at": "22:00", "closes_at": "24:00"}
    )
    assert rule.opening is not None and rule.opening.seconds == 22 * 3600
    assert rule.closing is not None and rule.closing.seconds == 86_400


def test_an_opening_at_23_59_is_one_minute_before_midnight() -> None:
    rule = ScheduleRule.from_mapping(
        {"freq": "WEEKLY", "byday": "SA", "opens_at": "23:59", "closes_at": "24:00"}
    )
    assert rule.opening is not None and rule.opening.seconds == 23 * 3600 + 59 * 60


def test_a_service_opening_at_23_59_is_closed_before_and_open_from_23_59() -> None:
    rules = [ScheduleRule(freq="WEEKLY", byday="SA", opens_at="23:59", closes_at="24:00")]

    before = evaluate(rules, local(SAT, 23, 58), DENVER)
    during = evaluate(rules, local(SAT, 23, 59, 30), DENVER)
    after = evaluate(rules, local(SUN, 0, 0, 30), DENVER)

    assert before.open_now is False
    assert before.opens_next == local(SAT, 23, 59)
    assert during.open_now is True
    assert during.closes_at == local(SUN, 0, 0)
    assert after.open_now is False


def test_an_overnight_window_opening_at_23_59_starts_then() -> None:
    rules = [
        ScheduleRule(freq="WEEKLY", byday="SA", opens_at="23:59", closes_at="24:00"),
        ScheduleRule(freq="WEEKLY", byday="SU", opens_at="00:00", closes_at="06:00"),
    ]

    assert evaluate(rules, local(SAT, 23, 0), DENVER).opens_next == local(SAT, 23, 59)
    assert evaluate(rules, local(SUN, 3, 0), DENVER).closes_at == local(SUN, 6, 0)


def test_a_count_is_followed_for_a_century() -> None:
    """The count-th date is searched 100 x 366 days ahead: a yearly rule's 101st date is found."""
    yearly = ScheduleRule(
        freq="MONTHLY",
        bymonthday="1",
        interval=12,
        count=101,
        dtstart=date(2026, 1, 1),
        opens_at="09:00",
        closes_at="10:00",
    )
    assert yearly.last_date == date(2126, 1, 1)
    beyond = ScheduleRule(
        freq="MONTHLY",
        bymonthday="1",
        interval=12,
        count=102,
        dtstart=date(2026, 1, 1),
        opens_at="09:00",
        closes_at="10:00",
    )
    assert beyond.last_date is None  # past the search: treated as open-ended
