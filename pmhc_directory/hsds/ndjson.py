"""``hsds-ndjson``: one compiled HSDS 3.1 service object per line (newline-delimited JSON).

The file is UTF-8; blank lines are allowed and skipped. Reading streams line by line, so a big
feed is never held in memory as a whole: only the service being handed on exists as a dict.
A line that is not JSON is reported with its record number (non-blank lines counted from 1)
and its line number; reading goes on to the end so that every bad line is reported at once
(``ReadFailed`` is raised when the iteration ends).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from .errors import ImportIssue, ReadFailed
from .sample import FileSample

__all__ = ["NdjsonRecords", "looks_like_ndjson", "read_ndjson"]


def _file_problem(message: str) -> ReadFailed:
    return ReadFailed([ImportIssue(None, -1, "file", message)])


class NdjsonRecords:
    """The services of an ``hsds-ndjson`` file, read lazily; ``len()`` counts them cheaply
    (a byte scan for non-blank lines, used for the progress bar)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._count: int | None = None

    def __len__(self) -> int:
        if self._count is None:
            count = 0
            with self._open() as handle:
                for line in handle:
                    if line.strip():
                        count += 1
            self._count = count
        return self._count

    def _open(self) -> IO[bytes]:
        try:
            return self.path.open("rb")
        except IsADirectoryError:
            raise _file_problem(
                f"{self.path} is a folder; hsds-ndjson needs a file, one service a line"
            ) from None
        except OSError as exc:
            raise _file_problem(f"cannot be read: {exc.strerror or exc}") from None

    def __iter__(self) -> Iterator[Any]:
        issues: list[ImportIssue] = []
        record = -1
        with self._open() as handle:
            for line_number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                record += 1
                where = f"line {line_number}"
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    message = f"is not UTF-8 text (byte {exc.start + 1} of the line)"
                    issues.append(ImportIssue(None, record, where, message))
                    continue
                if line_number == 1 and text.startswith("\ufeff"):
                    text = text[1:]  # a byte-order mark some editors add
                try:
                    data = json.loads(text)
                except json.JSONDecodeError as exc:
                    message = f"is not valid JSON: {exc.msg} at column {exc.colno}"
                    issues.append(ImportIssue(None, record, where, message))
                    continue
                yield data
        if issues:
            raise ReadFailed(issues)


def read_ndjson(path: Path) -> NdjsonRecords:
    """The services of an ``hsds-ndjson`` file as compiled HSDS 3.1 dicts, streamed.

    Iterating raises ``ReadFailed`` (listing every bad line) after the last line when any line
    was not UTF-8 JSON; the good records before it have been handed on by then.
    """
    path = Path(path)
    if path.is_dir():
        raise _file_problem(f"{path} is a folder; hsds-ndjson needs a file, one service a line")
    if not path.exists():
        raise _file_problem(f"{path} does not exist")
    return NdjsonRecords(path)


def looks_like_ndjson(sample: FileSample) -> bool:
    """Named ``.ndjson`` / ``.jsonl``, or a plain file whose first lines are JSON objects."""
    if sample.is_zip:
        return False
    if sample.name.endswith((".ndjson", ".jsonl")):
        return True
    return sample.text.startswith("{") and "\n{" in sample.text.strip()
