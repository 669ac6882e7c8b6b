"""``hsds-json``: a JSON array of compiled HSDS 3.1 service objects (or one such object).

The file is parsed whole (JSON has no streaming form in the standard library); the records
are then handed on one by one and each is dropped from the list once taken, so a parsed
record's raw dict can be freed while the import goes on (:class:`ReleasedRecords`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import ImportIssue, ReadFailed
from .sample import FileSample

__all__ = ["ReleasedRecords", "looks_like_json_array", "read_hsds_json"]


def _file_problem(message: str) -> ReadFailed:
    return ReadFailed([ImportIssue(None, -1, "file", message)])


class ReleasedRecords:
    """A list handed on item by item, each dropped from the list once taken; ``len()`` is
    the original length (for the progress bar)."""

    def __init__(self, items: list[Any]) -> None:
        self._items = items
        self._length = len(items)

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[Any]:
        items = self._items
        items.reverse()
        while items:
            yield items.pop()


def read_hsds_json(path: Path) -> ReleasedRecords:
    """The records of an ``hsds-json`` file; ``ReadFailed`` names what is wrong with it
    (not JSON, with line and column; not UTF-8; a folder; not an array or a service)."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = json.load(handle)
    except json.JSONDecodeError as exc:
        raise _file_problem(
            f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except UnicodeDecodeError:
        raise _file_problem("is not UTF-8 text") from None
    except IsADirectoryError:
        raise _file_problem(f"{path} is a folder; hsds-json needs a .json file") from None
    except OSError as exc:
        raise _file_problem(f"cannot be read: {exc.strerror or exc}") from None
    if isinstance(data, list):
        return ReleasedRecords(data)
    if isinstance(data, dict) and ("id" in data or "name" in data):
        return ReleasedRecords([data])
    raise _file_problem("expected a JSON array of HSDS services (or a single service object)")


def looks_like_json_array(sample: FileSample) -> bool:
    """A plain file that starts like JSON and is not NDJSON (see ``hsds.ndjson``)."""
    if sample.is_zip or sample.name.endswith((".ndjson", ".jsonl")):
        return False
    text = sample.text
    return text.startswith("[") or (text.startswith("{") and "\n{" not in text.strip())
