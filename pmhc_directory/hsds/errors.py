"""One problem found in imported data, named by record and field path."""

from __future__ import annotations

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
