"""Reading ``hsds-ndjson``: one compiled service per line, streamed, every bad line reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pmhc_directory.hsds.errors import ReadFailed
from pmhc_directory.hsds.ndjson import read_ndjson
from pmhc_directory.services.imports import ImportFailed, read_records
from tests.unit.test_hsds_parsing import full_service_dict, service_dict


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_reads_one_service_per_line_skipping_blank_lines(tmp_path):
    records = [full_service_dict(), service_dict(name="Línea de crisis")]
    path = write_lines(
        tmp_path / "feed.ndjson",
        ["", json.dumps(records[0]), "   ", json.dumps(records[1], ensure_ascii=False), ""],
    )
    read = read_ndjson(path)
    assert len(read) == 2
    assert list(read) == records


def test_reading_is_lazy(tmp_path):
    records = [service_dict(), service_dict()]
    path = write_lines(tmp_path / "feed.ndjson", [json.dumps(r) for r in records])
    iterator = iter(read_ndjson(path))
    assert next(iterator) == records[0]
    # The file may change under a lazy reader: only what is read when asked counts.
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(service_dict(name="Appended")) + "\n")
    assert [r["name"] for r in iterator] == ["Crisis Line", "Appended"]


def test_every_bad_line_is_reported_with_record_and_line_number(tmp_path):
    good = json.dumps(service_dict())
    path = write_lines(tmp_path / "feed.ndjson", [good, "", '{"id": "x",', good, "not json"])
    seen = []
    with pytest.raises(ReadFailed) as failure:
        for record in read_ndjson(path):
            seen.append(record)
    assert len(seen) == 2  # the good lines are handed on; problems come at the end
    issues = failure.value.issues
    assert [(i.record_index, i.field) for i in issues] == [(1, "line 3"), (3, "line 5")]
    assert str(issues[0]).startswith("record 2: line 3: is not valid JSON: ")
    assert "column" in issues[1].message


def test_byte_order_mark_and_non_utf8_line(tmp_path):
    path = tmp_path / "feed.ndjson"
    record = service_dict()
    path.write_bytes(
        b"\xef\xbb\xbf" + json.dumps(record).encode() + b"\n" + b'{"name": "caf\xe9"}\n'
    )
    seen = []
    with pytest.raises(ReadFailed) as failure:
        seen.extend(read_ndjson(path))
    assert seen == [record]
    [issue] = failure.value.issues
    assert (issue.record_index, issue.field) == (1, "line 2")
    assert "not UTF-8" in issue.message


@pytest.mark.parametrize("make", ["folder", "missing"])
def test_folder_or_missing_file_is_refused_by_read_records(tmp_path, make):
    path = tmp_path / "feed.ndjson"
    if make == "folder":
        path.mkdir()
    with pytest.raises(ImportFailed) as failure:
        read_records(path, "hsds-ndjson")
    [issue] = failure.value.errors
    assert issue.record_index == -1
    assert ("is a folder" if make == "folder" else "does not exist") in issue.message
