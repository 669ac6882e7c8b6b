"""Change-log values in words for the History page (issue #22 item 2)."""

from __future__ import annotations

import json

import pytest

from pmhc_directory.views.history_text import change_lines, days_words, schedule_words


@pytest.mark.parametrize(
    ("codes", "words"),
    [
        (["MO", "TU", "WE", "TH", "FR", "SA", "SU"], "Every day"),
        (["MO", "TU", "WE", "TH", "FR"], "Mon\u2013Fri"),
        (["FR", "MO"], "Mon, Fri"),
        (["MO", "TU", "TH", "FR", "SA"], "Mon, Tue, Thu\u2013Sat"),
        (["SA", "SU"], "Sat, Sun"),
    ],
)
def test_days_in_words(codes, words):
    assert days_words(codes) == words


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("MO,TU,WE,TH,FR,SA,SU 00:00-23:59", "Every day all day"),
        ("MO,TU,WE,TH,FR 08:00-17:30", "Mon\u2013Fri 8:00 AM\u20135:30 PM"),
        ("FR 22:00-06:00", "Fri 10:00 PM\u20136:00 AM"),
        (
            "SA 10:00-14:00 2026-06-01..2026-08-31 Summer",
            "Sat 10:00 AM\u20132:00 PM, 2026-06-01 to 2026-08-31, Summer",
        ),
        ("2026-12-25..2026-12-25 Christmas", "Closed 2026-12-25, Christmas"),
        ("2026-12-24..2026-12-26", "Closed 2026-12-24 to 2026-12-26"),
        ("505-555-0100 (voice)", "505-555-0100 (voice)"),
    ],
)
def test_schedule_rows_in_words(line, words):
    assert schedule_words(line) == words


def test_a_json_list_becomes_one_line_per_item():
    stored = json.dumps(["MO,TU,WE,TH,FR 08:00-17:00", "SA 10:00-12:00"])
    assert change_lines(stored) == [
        "Mon\u2013Fri 8:00 AM\u20135:00 PM",
        "Sat 10:00 AM\u201312:00 PM",
    ]


@pytest.mark.parametrize("value", ["Harbor Crisis Center", "[not json", "[1, 2"])
def test_other_values_are_shown_as_stored(value):
    assert change_lines(value) == [value]


def test_empty_values_have_no_lines():
    assert change_lines("") == [] and change_lines(None) == [] and change_lines("[]") == []
