"""One problem found in imported data, named by record and field path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ImportIssue:
    """A problem with one record (or with the whole file when ``record_index`` is -1).

    ``record_index`` counts from 0 like the positions in ``field`` (``schedules[0]``); reports
    show it counted from 1 ("record 1" is the first record of the file).
    """

    record_id: str | None
    record_index: int
    field: str
    message: str

    def __str__(self) -> str:
        if self.record_index < 0:
            return f"{self.field}: {self.message}"
        ident = f" (id {self.record_id})" if self.record_id else ""
        return f"record {self.record_index + 1}{ident}: {self.field}: {self.message}"


class ReadFailed(Exception):  # noqa: N818 (pairs with services.imports.ImportFailed)
    """A file reader (``hsds.ndjson``, ``hsds.tabular``, ``hsds.legacy211``, ``hsds.samhsa``)
    found problems; ``issues`` lists every one it found, not only the first."""

    def __init__(self, issues: Sequence[ImportIssue]) -> None:
        self.issues = list(issues)
        first = str(self.issues[0]) if self.issues else "no details"
        super().__init__(f"{len(self.issues)} problem(s); first: {first}")
