"""The one way this app writes CSV: cells a spreadsheet would run as a formula are made inert.

Every CSV the app writes, from the web (history, stale capacity, outcomes, planning layers and
import reports) or the
command line (``export --format hsds-csv``, ``gaps report``, ``outcomes export``), goes through
:func:`csv_cell`: a text cell starting with ``=``, ``@``, a tab or a carriage return, or with
``+``/``-`` when it is not a plain number such as a phone number or a longitude, gets a ``'`` in
front, so Excel, LibreOffice and Google Sheets show it as text instead of running it (OWASP
"CSV injection": ``=HYPERLINK(...)``, ``=cmd|...``). Numbers, dates and plain text are written
unchanged. :func:`uncell` undoes it for this app's own readers (the HSDS tabular import), so an
export read back gives the values that were exported.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

# "+1 (505) 555-0100", "-106.65", "- 3": a sign followed by digits, spaces and number punctuation.
_PLAIN_NUMBER = re.compile(r"^[+-][\d\s().,-]*$")
_TRIGGERS = "=@\t\r"


def _is_risky(value: str) -> bool:
    return value[0] in _TRIGGERS or (value[0] in "+-" and not _PLAIN_NUMBER.match(value))


def csv_cell(value: str) -> str:
    """``value`` made safe to open in a spreadsheet (a ``'`` in front of a formula-like text)."""
    if not value:
        return value
    return "'" + value if _is_risky(value) else value


def safe_cell(value: Any) -> Any:
    """Any cell value: text through :func:`csv_cell`, None as empty, others unchanged."""
    if value is None:
        return ""
    if isinstance(value, str):
        return csv_cell(value)
    return value


def uncell(value: str) -> str:
    """The text :func:`csv_cell` was given: a ``'`` it added is taken off again."""
    if len(value) > 1 and value[0] == "'" and _is_risky(value[1:]):
        return value[1:]
    return value


class SafeWriter:
    """``csv.writer`` whose rows go through :func:`safe_cell`."""

    def __init__(self, handle: TextIO, **kwargs: Any) -> None:
        self._writer = csv.writer(handle, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter(csv.DictWriter):
    """``csv.DictWriter`` whose values go through :func:`safe_cell`."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({key: safe_cell(value) for key, value in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for row in rowdicts:
            self.writerow(row)


def writer(handle: TextIO, **kwargs: Any) -> SafeWriter:
    """A CSV writer on ``handle`` (``csv.writer``'s options) that neutralises formulas."""
    return SafeWriter(handle, **kwargs)


def dict_writer(handle: TextIO, fieldnames: Sequence[str], **kwargs: Any) -> SafeDictWriter:
    """A ``csv.DictWriter`` on ``handle`` that neutralises formulas."""
    return SafeDictWriter(handle, fieldnames=fieldnames, **kwargs)
