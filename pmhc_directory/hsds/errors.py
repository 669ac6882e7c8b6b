"""One problem found in imported data, named by record and field path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

#: What an import did about a problem (the ``action`` column of the report): the record and
#: its dependents left out, one row left out, one value left out, a placeholder organization
#: made, or (all-or-nothing, or a problem with the whole file) the import refused.
ACTIONS = ("skipped", "row-dropped", "field-dropped", "placeholder", "refused")


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
    # For the import report (``--report``): how bad it is, what the import did about it
    # (one of ``ACTIONS``; "" until decided) and, for rows of a CSV file, where it is.
    severity: str = "error"
    action: str = ""
    file: str = ""
    row: int | None = None
    column: str = ""

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


@dataclass
class ProblemLog:
    """Problems an import handled instead of refusing (``--on-error skip``).

    ``issues`` lists each one with its action; ``flags`` maps a service id to the problems
    a coordinator should look at, for the verification queue; ``skipped`` counts records
    left out whole.
    """

    issues: list[ImportIssue] = field(default_factory=list)
    flags: dict[str, list[str]] = field(default_factory=dict)
    skipped: int = 0

    def add(self, issue: ImportIssue, services: Sequence[str] = ()) -> None:
        """Keep ``issue`` and flag ``services`` with it (``skipped`` is counted by the
        caller: one record may have several problems)."""
        self.issues.append(issue)
        for service_id in services:
            self.flag(service_id, issue)

    def flag(self, service_id: str, issue: ImportIssue) -> None:
        text = issue_text(issue)
        notes = self.flags.setdefault(service_id, [])
        if text not in notes:
            notes.append(text)


def issue_text(issue: ImportIssue) -> str:
    """One line for a person: where, what and what the import did."""
    where = issue.column or issue.field
    if issue.file:
        where = f"{issue.file} row {issue.row}, {where}" if issue.row else f"{issue.file}, {where}"
    done = f" ({issue.action})" if issue.action else ""
    return f"{where}: {issue.message}{done}"
