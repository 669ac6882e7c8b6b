"""The one CSV writer (issue #17 item 12): formulas made inert, plain values unchanged."""

from __future__ import annotations

import csv
import io

import pytest

from pmhc_directory import csv_safe

RISKY = [
    '=HYPERLINK("http://evil.example","x")',
    "@SUM(A1)",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\tTabbed",
    "\rReturn",
]
PLAIN = ["Crisis Center", "+1 (505) 555-0100", "-106.65", "", "2026-12-07", "a=b"]


@pytest.mark.parametrize("value", RISKY)
def test_formula_like_text_gets_a_quote_and_reads_back(value):
    assert csv_safe.csv_cell(value) == "'" + value
    assert csv_safe.uncell(csv_safe.csv_cell(value)) == value


@pytest.mark.parametrize("value", PLAIN)
def test_plain_text_and_numbers_are_unchanged(value):
    assert csv_safe.csv_cell(value) == value
    assert csv_safe.uncell(value) == value


def test_writers_neutralise_every_text_cell_and_keep_other_values():
    buffer = io.StringIO()
    writer = csv_safe.writer(buffer, lineterminator="\n")
    writer.writerows([["=1+1", 3, None, 2.5]])
    dict_buffer = io.StringIO()
    dict_writer = csv_safe.dict_writer(dict_buffer, ["a", "b"], lineterminator="\n")
    dict_writer.writeheader()
    dict_writer.writerows([{"a": "@x", "b": 7}])
    assert list(csv.reader(io.StringIO(buffer.getvalue()))) == [["'=1+1", "3", "", "2.5"]]
    assert dict_buffer.getvalue().splitlines() == ["a,b", "'@x,7"]


def test_the_gaps_report_csv_writer_neutralises_formulas(tmp_path):
    from pmhc_directory.services.planning_report import _write_csv

    path = tmp_path / "need.csv"
    _write_csv(path, "need", [{"rows": [{"service_type": "x", "label": "=HYPERLINK(1)"}]}])
    assert path.read_text().splitlines()[1] == "x,'=HYPERLINK(1),,,,,"


RISKY_TEXT = "=HYPERLINK(1)"


def _area(**props):
    return {"type": "Feature", "geometry": None, "properties": {"area_id": "A1", **props}}


LAYER_ANSWERS = {
    "coverage": {"features": [_area(name=RISKY_TEXT, covered={"x": True}, all_three=False)]},
    "gaps": {"features": [_area(name=RISKY_TEXT, continuum={"contact": True})]},
    "access": {"features": [_area(name=RISKY_TEXT, score=0.1)], "service_type": "t"},
    "unmet": {"features": [_area(name=RISKY_TEXT, unmet=1, by_need={"n": 1})]},
    "services": {"features": [{"properties": {"service_id": "s", "name": RISKY_TEXT}}]},
    "need": {"rows": [{"service_type": "t", "label": RISKY_TEXT}]},
    "week": {"week_of": "2026-11-23", "hours": 1, "by_continuum": {RISKY_TEXT: [0.5]}},
    "worst": {"worst": {RISKY_TEXT: {"hour": 3, "share": 0.5}}},
    "sites": {"type": "t", "sites": [{"area_id": RISKY_TEXT, "lat": 35.0, "lon": -106.0}]},
}


def test_every_planning_layer_csv_goes_through_the_safe_writer():
    """The one layer writer (page downloads and ``gaps report``) makes formulas inert."""
    from pmhc_directory.services.planning_layers import LAYERS, csv_text

    assert set(LAYER_ANSWERS) == set(LAYERS)  # a new layer gets an answer here
    for name, answer in LAYER_ANSWERS.items():
        cells = [c for row in csv.reader(io.StringIO(csv_text(name, [answer]))) for c in row]
        assert "'" + RISKY_TEXT in cells, name
        assert RISKY_TEXT not in cells, name


def test_the_import_report_makes_values_from_the_imported_file_inert():
    """A cell of an imported file (here a record id and a message quoting it) starting with
    '=' is exactly what a reviewer's spreadsheet must not run."""
    from pmhc_directory.hsds.errors import ImportIssue
    from pmhc_directory.services.imports import write_report

    buffer = io.StringIO()
    issue = ImportIssue("=cmd|' /C calc'!A0", 0, "name", "@SUM(A1) is not a name", file="x.csv")
    assert write_report(buffer, [issue]) == 1
    row = list(csv.DictReader(io.StringIO(buffer.getvalue())))[0]
    assert row["record_id"] == "'=cmd|' /C calc'!A0"
    assert row["problem"] == "'@SUM(A1) is not a name"
