"""Hours in words at their edges (issue #24: mutation survivors of ``hours/describe.py``)."""

from __future__ import annotations

from datetime import date

from pmhc_directory.hours import ScheduleRule
from pmhc_directory.hours.describe import describe

EVERY_DAY = "MO,TU,WE,TH,FR,SA,SU"


def day_rule(byday: str, opens: str = "00:00", closes: str = "24:00") -> ScheduleRule:
    return ScheduleRule(freq="WEEKLY", byday=byday, opens_at=opens, closes_at=closes)


def test_a_missing_day_in_the_middle_of_the_week_is_not_24_7() -> None:
    assert describe([day_rule("MO,WE,TH,FR,SA,SU")]) == ["Mon, Wed-Sun 24 hours"]


def test_overlapping_rules_that_cover_the_week_are_24_7() -> None:
    assert describe([day_rule(EVERY_DAY), day_rule("MO", "08:00", "17:00")]) == ["Open 24/7"]


def test_every_third_week_is_not_every_other_week() -> None:
    rule = ScheduleRule(
        freq="WEEKLY",
        byday="MO",
        interval=3,
        dtstart=date(2026, 1, 5),
        opens_at="08:00",
        closes_at="17:00",
    )
    assert describe([rule]) == ["Every 3 weeks from 2026-01-05: Mon 8:00 AM-5:00 PM"]


def test_days_of_the_month_in_the_teens_take_th() -> None:
    for day, words in [(11, "11th"), (12, "12th"), (13, "13th"), (21, "21st"), (22, "22nd")]:
        rule = ScheduleRule(
            freq="MONTHLY", bymonthday=str(day), opens_at="08:00", closes_at="17:00"
        )
        assert describe([rule]) == [f"{words} day of the month 8:00 AM-5:00 PM"]
