"""Free-form times, days, dates and flags of legacy exports (hours.freeform)."""

from __future__ import annotations

import contextlib
from datetime import date

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pmhc_directory.hours import ScheduleRule
from pmhc_directory.hours.freeform import (
    ALL_DAY,
    FreeformError,
    Window,
    covers_whole_week,
    parse_bool,
    parse_date,
    parse_days,
    parse_hours,
    parse_time,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9:00am", "09:00"),
        ("9am", "09:00"),
        ("9 AM", "09:00"),
        ("9 a.m.", "09:00"),
        ("09:00", "09:00"),
        ("9.30", "09:30"),
        ("9.30pm", "21:30"),
        ("0930", "09:30"),
        ("1730", "17:30"),
        ("17:30:00", "17:30"),
        ("noon", "12:00"),
        ("12 noon", "12:00"),
        ("12:00 PM", "12:00"),
        ("12:30pm", "12:30"),
        ("12am", "00:00"),
        ("12:15 AM", "00:15"),
        ("midnight", "00:00"),
        (" 5:45 P.M. ", "17:45"),
    ],
)
def test_opening_times(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["midnight", "12am", "12:00 AM", "24:00", "00:00", "23:59:59"])
def test_midnight_as_closing_time_is_end_of_day(text):
    assert parse_time(text, closing=True) == "23:59"


@pytest.mark.parametrize("text", ["", "nine", "25:00", "9:60", "13pm", "0am", "9:00 xm", "24:30"])
def test_unreadable_times_are_refused_quoting_the_text(text):
    with pytest.raises(FreeformError) as info:
        parse_time(text)
    assert repr(text) in str(info.value)


def test_24_00_is_only_a_closing_time():
    with pytest.raises(FreeformError, match="only a closing time"):
        parse_time("24:00")


@pytest.mark.parametrize(
    ("opens", "closes", "expected"),
    [
        ("9:00am", "5:00pm", [("09:00", "17:00")]),
        ("9am-5pm", "", [("09:00", "17:00")]),
        ("", "9am - 5pm", [("09:00", "17:00")]),
        ("9:00 AM – 5:00 PM", None, [("09:00", "17:00")]),
        ("9 to 5pm", None, [("09:00", "17:00")]),
        ("1-5pm", None, [("13:00", "17:00")]),
        ("10-2pm", None, [("10:00", "14:00")]),
        ("8-2am", None, [("20:00", "02:00")]),
        ("9-12, 1-5pm", None, [("09:00", "12:00"), ("13:00", "17:00")]),
        ("8am-noon; 1pm-4:30pm", None, [("08:00", "12:00"), ("13:00", "16:30")]),
        ("noon-midnight", None, [("12:00", "23:59")]),
        ("10pm", "6am", [("22:00", "06:00")]),
        ("21:00", "07:00", [("21:00", "07:00")]),
        ("09:00", "17:00", [("09:00", "17:00")]),
        ("8:00", "05:00", [("08:00", "05:00")]),
        ("6pm", "12am", [("18:00", "23:59")]),
        ("24 hours", "", [("00:00", "23:59")]),
        ("Open 24 Hours", None, [("00:00", "23:59")]),
        ("24/7", None, [("00:00", "23:59")]),
        ("24 hrs", "24 hrs", [("00:00", "23:59")]),
        ("midnight", "midnight", [("00:00", "23:59")]),
        ("closed", "", []),
        ("Closed", "closed", []),
    ],
)
def test_hours_of_a_day(opens, closes, expected):
    windows = parse_hours(opens, closes)
    assert [(w.opens, w.closes) for w in windows] == expected


@pytest.mark.parametrize(
    ("opens", "closes", "fragment"),
    [
        ("9:00", "5:00", "ambiguous"),
        ("9-5", None, "ambiguous"),
        ("9am", "", "no closing time"),
        ("", "5pm", "no opening time"),
        ("", "", "no opening or closing time"),
        ("closed", "5pm", "both closed and open"),
        ("24 hours", "5pm", "mixes"),
        ("9am", "9am", "same time"),
        ("9am-", None, "not a range"),
        ("whenever", None, "not a range"),
        ("9am-5pm", "6pm", "not a time"),
    ],
)
def test_unreadable_hours_are_refused(opens, closes, fragment):
    with pytest.raises(FreeformError, match=fragment):
        parse_hours(opens, closes)


def test_ambiguous_closing_time_suggests_both_readings():
    with pytest.raises(FreeformError) as info:
        parse_hours("9:00", "5:00")
    message = str(info.value)
    assert "5pm or 17:00" in message and "05:00" in message


@pytest.mark.parametrize(("opens", "closes"), [("13:00", "10:00"), ("22:00", "9:00")])
def test_a_24_hour_opening_time_makes_the_closing_time_24_hour_too(opens, closes):
    [window] = parse_hours(opens, closes)
    assert window.overnight and window.closes == parse_time(closes)


def test_window_flags():
    assert Window("22:00", "06:00").overnight
    assert not Window("09:00", "17:00").overnight
    assert ALL_DAY.all_day and not ALL_DAY.overnight


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", "MO"),
        ("7", "SU"),
        ("0", "SU"),
        ("Monday", "MO"),
        ("MONDAY", "MO"),
        ("mon", "MO"),
        ("Tues", "TU"),
        ("Thurs", "TH"),
        ("Saturdays", "SA"),
        ("Mon-Fri", "MO,TU,WE,TH,FR"),
        ("M-F", "MO,TU,WE,TH,FR"),
        ("Monday through Friday", "MO,TU,WE,TH,FR"),
        ("Fri-Mon", "MO,FR,SA,SU"),
        ("Mon, Wed & Fri", "MO,WE,FR"),
        ("Tue/Thu", "TU,TH"),
        ("1-5", "MO,TU,WE,TH,FR"),
        ("daily", "MO,TU,WE,TH,FR,SA,SU"),
        ("Every day", "MO,TU,WE,TH,FR,SA,SU"),
        ("weekdays", "MO,TU,WE,TH,FR"),
        ("Weekends", "SA,SU"),
        ("weekends and Monday", "MO,SA,SU"),
    ],
)
def test_days(text, expected):
    assert ",".join(parse_days(text)) == expected


@pytest.mark.parametrize("text", ["", "8", "Funday", "T", "Mon-Funday", "-1"])
def test_unreadable_days_are_refused(text):
    with pytest.raises(FreeformError):
        parse_days(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-25", date(2026, 12, 25)),
        ("2026-12-25 00:00:00", date(2026, 12, 25)),
        ("2026-12-25T00:00:00Z", date(2026, 12, 25)),
        ("2026/12/25", date(2026, 12, 25)),
        ("12/25/2026", date(2026, 12, 25)),
        ("12/25/26", date(2026, 12, 25)),
        ("1-2-2027", date(2027, 1, 2)),
        ("Dec 25, 2026", date(2026, 12, 25)),
        ("December 25th, 2026", date(2026, 12, 25)),
        ("25 Dec 2026", date(2026, 12, 25)),
    ],
)
def test_dates(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["", "Christmas", "13/25/2026", "2026-02-30", "Foo 3, 2026"])
def test_unreadable_dates_are_refused(text):
    with pytest.raises(FreeformError, match="not a date"):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("TRUE", True), ("1", True), ("yes", True), ("Y", True), ("false", False), ("0", False)],
)
def test_flags(text, expected):
    assert parse_bool(text) is expected


def test_unreadable_flag():
    with pytest.raises(FreeformError, match="not yes or no"):
        parse_bool("maybe")


def test_whole_week_coverage():
    every_day = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
    assert covers_whole_week([(every_day, ALL_DAY)])
    assert covers_whole_week([(every_day[:5], ALL_DAY), (every_day[5:], ALL_DAY)])
    assert not covers_whole_week([(every_day[:6], ALL_DAY)])
    assert not covers_whole_week([(every_day, Window("00:00", "23:00"))])


# ---------------------------------------------------------------------------------------------
# Properties: any time written in any of the usual styles reads back as the same HH:MM


def _styles(minutes: int) -> list[str]:
    hour, minute = divmod(minutes, 60)
    h12 = hour % 12 or 12
    ap = "am" if hour < 12 else "pm"
    return [
        f"{hour:02d}:{minute:02d}",
        f"{hour:02d}:{minute:02d}:00",
        f"{hour:02d}{minute:02d}",
        f"{h12}:{minute:02d}{ap}",
        f"{h12}:{minute:02d} {ap.upper()}",
        f"{h12}.{minute:02d} {ap[0]}.m.",
    ]


times = st.integers(min_value=0, max_value=24 * 60 - 1)


@given(times, st.integers(min_value=0, max_value=5))
def test_every_style_reads_back(minutes, style):
    text = _styles(minutes)[style]
    assert parse_time(text) == f"{minutes // 60:02d}:{minutes % 60:02d}"


@given(times, times, st.integers(min_value=0, max_value=5), st.sampled_from(["-", " to ", "–"]))
def test_explicit_ranges_make_windows_the_hours_engine_accepts(start, end, style, dash):
    assume(start != end)
    # On the 24-hour clock an overnight "10:01-10:00" could also be 10:01am-10pm: refused
    # (see test_ambiguous_closing_time_suggests_both_readings), so only daytime ranges here.
    assume(style >= 3 or end > start)
    text = f"{_styles(start)[style]}{dash}{_styles(end)[style]}"
    [window] = parse_hours(text)
    expected_close = "23:59" if end == 0 else f"{end // 60:02d}:{end % 60:02d}"
    assert (window.opens, window.closes) == (f"{start // 60:02d}:{start % 60:02d}", expected_close)
    rule = ScheduleRule(freq="WEEKLY", byday="MO", opens_at=window.opens, closes_at=window.closes)
    assert rule.has_times


@settings(max_examples=300)
@given(st.text(max_size=30))
def test_arbitrary_text_never_crashes(text):
    for parse in (parse_time, parse_days, parse_date, parse_bool, parse_hours):
        with contextlib.suppress(FreeformError):
            parse(text)


@given(st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=7))
def test_day_lists_in_any_order_and_style(days):
    names = ["Monday", "Tue", "wed", "Thurs", "FRI", "Saturday", "sun"]
    text = ", ".join(names[d] for d in days)
    expected = tuple(["MO", "TU", "WE", "TH", "FR", "SA", "SU"][d] for d in sorted(set(days)))
    assert parse_days(text) == expected


def test_every_way_of_writing_midnight_is_midnight() -> None:
    from pmhc_directory.hours.freeform import parse_time

    for text in ("midnight", "12 midnight", "12midnight", "12 Midnight"):
        assert parse_time(text) == "00:00", text
        assert parse_time(text, closing=True) == "23:59", text


def test_an_empty_part_between_or_before_windows_is_passed_over() -> None:
    from pmhc_directory.hours.freeform import Window, parse_hours

    two = (Window(opens="09:00", closes="12:00"), Window(opens="13:00", closes="17:00"))
    assert parse_hours("9am-12pm,, 1pm-5pm") == two
    assert parse_hours("; 9am-12pm; 1pm-5pm") == two


def test_each_short_day_name_is_its_own_day() -> None:
    from pmhc_directory.hours.freeform import parse_days

    names = {
        "mo": "MO", "tu": "TU", "we": "WE", "th": "TH", "fr": "FR", "sa": "SA", "su": "SU",
        "sat": "SA", "sun": "SU", "thurs": "TH", "weds": "WE",
    }  # fmt: skip
    for text, day in names.items():
        assert parse_days(text) == (day,), text
