"""The ``--taxonomy-map`` CSV: external codes -> PMHC service types.

A UTF-8 CSV with a header row and two columns (others are ignored)::

    code,pmhc_type
    RP-1500.1400-500,crisis-line
    RP-1500*,mobile-crisis
    MH,crisis-receiving

``code`` is a code of the external taxonomy (an AIRS/211 code, a SAMHSA ``type_facility`` such
as ``MH``); matching ignores case and surrounding spaces. A code ending in ``*`` matches every
code that starts with what comes before it; the longest matching prefix wins, and an exact
code beats any prefix. ``pmhc_type`` is a code of the PMHC ``service-type`` taxonomy
(``pmhc_directory/data/taxonomy.json``). Several rows with the same code give a service
several types, in file order (the first is its primary type).

Pure code: reads the file and checks it against the PMHC vocabulary; every problem is reported
(``ReadFailed``) with the file, the spreadsheet row (the header is row 1) and the column.
"""

from __future__ import annotations

import csv
import difflib
import io
from dataclasses import dataclass, field
from pathlib import Path

from ..taxonomy import SERVICE_TYPE, Vocabulary, vocabulary
from .errors import ImportIssue, ReadFailed

__all__ = ["CODE_COLUMN", "TYPE_COLUMN", "TaxonomyMap", "read_taxonomy_map"]

CODE_COLUMN = "code"
TYPE_COLUMN = "pmhc_type"


@dataclass
class TaxonomyMap:
    """External code -> PMHC service-type codes (see the module docstring for matching)."""

    exact: dict[str, list[str]] = field(default_factory=dict)
    prefixes: dict[str, list[str]] = field(default_factory=dict)

    def add(self, code: str, pmhc_type: str) -> None:
        key = code.strip().casefold()
        table = self.exact
        if key.endswith("*"):
            key, table = key[:-1], self.prefixes
        types = table.setdefault(key, [])
        if pmhc_type not in types:
            types.append(pmhc_type)

    def types_for(self, code: str) -> list[str]:
        """PMHC service types for one external code ([] when the map does not mention it)."""
        key = code.strip().casefold()
        if key in self.exact:
            return self.exact[key]
        best = None
        for prefix in self.prefixes:
            if key.startswith(prefix) and (best is None or len(prefix) > len(best)):
                best = prefix
        return self.prefixes[best] if best is not None else []

    def __bool__(self) -> bool:
        return bool(self.exact or self.prefixes)


def _issue(name: str, where: str, message: str) -> ImportIssue:
    return ImportIssue(None, -1, f"{name} {where}".strip(), message)


def read_taxonomy_map(path: Path, vocab: Vocabulary | None = None) -> TaxonomyMap:
    """Read and check a mapping CSV; ``ReadFailed`` lists every problem found."""
    vocab = vocab or vocabulary()
    path = Path(path)
    name = f"taxonomy map {path.name}"
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ReadFailed([_issue(name, "", "is not UTF-8 text")]) from None
    except OSError as exc:
        raise ReadFailed([_issue(name, "", f"cannot be read: {exc.strerror or exc}")]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().casefold() for h in next(reader, [])]
    missing = [c for c in (CODE_COLUMN, TYPE_COLUMN) if c not in header]
    if missing:
        found = ", ".join(h for h in header if h) or "nothing"
        message = (
            f"needs the columns {CODE_COLUMN} and {TYPE_COLUMN} in its header row "
            f"(missing {', '.join(missing)}; found {found})"
        )
        raise ReadFailed([_issue(name, "", message)])
    code_at, type_at = header.index(CODE_COLUMN), header.index(TYPE_COLUMN)
    known = vocab.codes(SERVICE_TYPE)
    mapping = TaxonomyMap()
    issues: list[ImportIssue] = []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        code = row[code_at].strip() if code_at < len(row) else ""
        pmhc_type = row[type_at].strip() if type_at < len(row) else ""
        if not code or code == "*":
            issues.append(_issue(name, f"row {number}, {CODE_COLUMN}", "is empty"))
        if not pmhc_type:
            issues.append(_issue(name, f"row {number}, {TYPE_COLUMN}", "is empty"))
        elif pmhc_type not in known:
            close = difflib.get_close_matches(pmhc_type.casefold(), known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            message = (
                f"{pmhc_type!r} is not a PMHC service type{hint}; the codes are the "
                "service-type terms of pmhc_directory/data/taxonomy.json"
            )
            issues.append(_issue(name, f"row {number}, {TYPE_COLUMN}", message))
        if code and code != "*" and pmhc_type in known:
            mapping.add(code, pmhc_type)
    if issues:
        raise ReadFailed(issues)
    if not mapping:
        raise ReadFailed([_issue(name, "", "has no mappings (only a header row)")])
    return mapping
