"""Schedule rules at their edges (issue #24: mutation survivors of ``hours/rules.py``)."""

from __future__ import annotations

from datetime import date

import pytest

from pmhc_directory.hours import ScheduleError, ScheduleRule


def test_a_two_monthly_rule_counts_months_across_the_new_year() -> None:
    rule = ScheduleRule(
        freq="MONTHLY",
        bymonthday="1",
        interval=2,
        dtstart=date(2026, 11, 1),
        opens_at="09:00",
        closes_at="12:00",
    )
    assert rule.applies_on(date(2026, 11, 1))
    assert not rule.applies_on(date(2026, 12, 1))
    assert rule.applies_on(date(2027, 1, 1))
    assert not rule.applies_on(date(2027, 2, 1))
    assert rule.applies_on(date(2028, 1, 1))  # 14 months on


@pytest.mark.parametrize("hours", [14, -14, 13.75, 0])
def test_utc_offsets_up_to_14_hours_exist(hours: float) -> None:
    rule = ScheduleRule(byday="MO", opens_at="09:00", closes_at="17:00", timezone=hours)
    assert rule.opening is not None and rule.opening.offset is not None


@pytest.mark.parametrize("hours", [14.5, -14.5, 15])
def test_utc_offsets_beyond_14_hours_are_refused(hours: float) -> None:
    with pytest.raises(ScheduleError) as info:
        ScheduleRule(byday="MO", opens_at="09:00", closes_at="17:00", timezone=hours)
    assert info.value.field == "timezone"
