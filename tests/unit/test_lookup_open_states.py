"""The lookup's open states come from each hours code's intervals for the local date, kept with
the columns across lookups (``services/lookup/screening._OpenStates``), and equal ``evaluate``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from pmhc_directory.hours import ScheduleRule, evaluate
from pmhc_directory.services.lookup import screening

DENVER, TOKYO = ZoneInfo("America/Denver"), ZoneInfo("Asia/Tokyo")

HOURS: list[tuple[tuple[ScheduleRule, ...] | None, bool]] = [
    ((ScheduleRule(byday="MO,TU,WE,TH,FR", opens_at="09:00", closes_at="17:00"),), False),
    ((ScheduleRule(byday="FR,SA", opens_at="22:00", closes_at="06:00"),), False),
    ((), True),  # the 24/7 flag alone
    # A closure and no timed rule: unknown hours, but closed on the closure's dates.
    ((ScheduleRule(valid_from=date(2026, 12, 24), valid_to=date(2026, 12, 26)),), False),
    (
        (
            ScheduleRule(byday="MO,TU,WE,TH,FR,SA,SU", opens_at="08:00", closes_at="20:00"),
            ScheduleRule(valid_from=date(2026, 12, 25), valid_to=date(2026, 12, 25)),
        ),
        False,
    ),
    ((), False),  # nothing known
    (None, False),  # unreadable hours
]

MOMENTS = [
    datetime(2026, 12, 23, 16, 59, tzinfo=UTC),
    datetime(2026, 12, 24, 15, 0, tzinfo=UTC),
    datetime(2026, 12, 25, 12, 30, tzinfo=UTC),
    datetime(2026, 12, 26, 5, 59, tzinfo=UTC),
    datetime(2026, 12, 26, 23, 0, tzinfo=UTC),
    datetime(2027, 3, 14, 9, 30, tzinfo=UTC),  # Denver's spring-forward date
]


def expected(code: int, at: datetime, zone: ZoneInfo):
    rules, always_open = HOURS[code]
    if rules is None:
        return screening._open_state(None, at, zone, always_open)
    return evaluate(list(rules), at, zone, always_open=always_open)


@pytest.mark.parametrize("memo_size", [2, 20_000])
def test_open_states_equal_evaluate_across_lookups_dates_and_zones(monkeypatch, memo_size):
    monkeypatch.setattr(screening, "_DAY_HOURS_MEMO_SIZE", memo_size)
    columns = SimpleNamespace(hours=HOURS, day_hours={})
    for _ in range(2):  # the second time from what the columns kept
        for zone in (DENVER, TOKYO):
            for at in MOMENTS:
                for minutes in (0, 1, 7 * 60):
                    moment = at + timedelta(minutes=minutes)
                    states = screening._OpenStates(columns, moment, zone)  # type: ignore[arg-type]
                    for code in range(len(HOURS)):
                        assert states(code) == expected(code, moment, zone), (code, moment, zone)
                    assert len(columns.day_hours) <= max(memo_size, 1)
    assert columns.day_hours  # the intervals are kept for the next lookup


def test_a_closure_without_hours_is_closed_on_its_dates_and_unknown_otherwise():
    columns = SimpleNamespace(hours=HOURS, day_hours={})
    closed = screening._OpenStates(columns, MOMENTS[2], DENVER)(3)  # type: ignore[arg-type]
    assert closed.open_now is False
    unknown = screening._OpenStates(columns, MOMENTS[0], DENVER)(3)  # type: ignore[arg-type]
    assert unknown.open_now is None
