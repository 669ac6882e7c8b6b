"""The printable week chart's axis is fitted to the data (a narrow band does not read flat)."""

from __future__ import annotations

import pytest

from pmhc_directory.services.planning_report import _week_chart, _worst_lines, week_axis


@pytest.mark.parametrize(
    ("values", "widest"),
    [([0.937, 0.955, 0.94], 0.05), ([0.2, 0.9], 1.0), ([0.5, 0.5], 0.02), ([0.0, 0.003], 0.02)],
)
def test_axis_holds_the_values_and_little_more(values, widest):
    bottom, top, step = week_axis(values)
    assert 0.0 <= bottom <= min(values) and max(values) <= top <= 1.0
    assert top - bottom <= widest
    assert round((top - bottom) / step) <= 6


def test_chart_labels_the_fitted_axis_and_the_worst_hours_are_listed():
    week = {
        "all_three": [0.937 + 0.018 * (h % 24) / 23 for h in range(168)],
        "worst": {
            "all_three": {
                "hour": 26,
                "local_time": "2026-11-24T02:00",
                "share": 0.937,
                "people_without": 6300,
            }
        },
    }
    svg = _week_chart(week)
    assert ">93.5%</text>" in svg and ">95.5%</text>" in svg and ">0%</text>" not in svg
    table = _worst_lines(week)
    assert "Tuesday 02:00 (2026-11-24)" in table and "6,300" in table
