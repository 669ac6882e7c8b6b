"""The import formats, each declared once: its name, its label, its reader, the files it
accepts, how it is recognised and what ``--on-error skip`` and ``--report`` mean for it.

``pmhc import --format`` offers :data:`FORMAT_NAMES`, the import page lists :data:`READERS`
with their labels and detects an upload's format with :func:`detect_format`, and
``services.imports.read_records`` reads a file with :func:`read_with`. Every reader turns a
file into compiled HSDS 3.1 service dicts (an iterable, possibly streamed, possibly with a
``len()`` and a ``warnings`` list) and raises ``ReadFailed`` listing every problem it found.

Adding a format: a reader module in ``hsds/`` with a ``read_...(path, ...)`` function and a
``looks_like_...(sample)`` function, one :class:`ImportFormat` line in :data:`READERS`, and
its test (docs/development.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from .errors import ProblemLog
from .json_array import looks_like_json_array, read_hsds_json
from .legacy211 import looks_like_hsds1, read_hsds1_package
from .ndjson import looks_like_ndjson, read_ndjson
from .samhsa import looks_like_samhsa, read_samhsa_csv
from .sample import FileSample, sample_of
from .tabular import looks_like_package, read_package

__all__ = [
    "FORMAT_NAMES",
    "READERS",
    "ImportFormat",
    "UnknownFormatError",
    "detect_format",
    "format_named",
    "read_with",
]

#: What ``--on-error skip`` means for a format whose reader hands every record on as it is:
#: the importer repairs each record at the smallest scope.
SKIP_IN_IMPORTER = (
    "each record is repaired by the importer at the smallest scope (a field or list item "
    "dropped, a record skipped); the report's row is the record's position"
)
#: ... and for a format whose reader handles the problems of single rows itself.
SKIP_IN_READER = (
    "the reader also handles each bad row or cell itself (value or row dropped, placeholder "
    "organization, record skipped); the report names the CSV file, row and column"
)


@dataclass(frozen=True)
class ImportFormat:
    """One import format.

    ``read(path, **options)`` is the reader; it is given ``taxonomy_map=`` only when
    ``takes_taxonomy_map`` and ``log=`` (the ``--on-error skip`` problem log) only when
    ``takes_log``. ``file_kinds`` are what it accepts (suffixes, and ``folder``). ``sniff``
    tells from a :class:`FileSample` whether an upload is in this format; the formats' sniff
    functions are meant to exclude each other, and the first in :data:`READERS` wins.
    ``on_error_skip`` says what ``--on-error skip`` does for it (``fail`` always means:
    nothing is written when anything is wrong, and ``--report`` lists every problem).
    """

    name: str
    label: str
    read: Callable[..., Iterable[dict[str, Any]]]
    file_kinds: tuple[str, ...]
    sniff: Callable[[FileSample], bool]
    on_error_skip: str = SKIP_IN_IMPORTER
    takes_taxonomy_map: bool = False
    takes_log: bool = False


READERS: tuple[ImportFormat, ...] = (
    ImportFormat(
        "hsds-json",
        "HSDS 3.1 JSON (an array of services)",
        read_hsds_json,
        file_kinds=(".json",),
        sniff=looks_like_json_array,
    ),
    ImportFormat(
        "hsds-ndjson",
        "HSDS 3.1 NDJSON (one service per line)",
        read_ndjson,
        file_kinds=(".ndjson", ".jsonl"),
        sniff=looks_like_ndjson,
    ),
    ImportFormat(
        "hsds-csv",
        "HSDS 3.1 tabular package (zip with datapackage.json)",
        read_package,
        file_kinds=(".zip", "folder"),
        sniff=looks_like_package,
        on_error_skip=SKIP_IN_READER,
        takes_log=True,
    ),
    ImportFormat(
        "hsds1-csv",
        "Legacy 211 export, HSDS 1.x (zip of CSV files)",
        read_hsds1_package,
        file_kinds=(".zip", "folder"),
        sniff=looks_like_hsds1,
        on_error_skip=SKIP_IN_READER,
        takes_taxonomy_map=True,
        takes_log=True,
    ),
    ImportFormat(
        "samhsa-csv",
        "SAMHSA treatment locator CSV",
        read_samhsa_csv,
        file_kinds=(".csv", "folder"),
        sniff=looks_like_samhsa,
        on_error_skip=SKIP_IN_READER,
        takes_taxonomy_map=True,
        takes_log=True,
    ),
)

#: The format names, in the order the CLI and the import page offer them.
FORMAT_NAMES: tuple[str, ...] = tuple(reader.name for reader in READERS)
_BY_NAME = {reader.name: reader for reader in READERS}


class UnknownFormatError(InputError):
    """No import format has this name (``field`` is ``format``)."""


def format_named(name: str) -> ImportFormat:
    """The format called ``name``; :class:`UnknownFormatError` (naming the known ones) if none."""
    try:
        return _BY_NAME[name]
    except KeyError:
        supported = ", ".join(FORMAT_NAMES)
        raise UnknownFormatError("format", f"{name!r} is not supported (use {supported})") from None


def read_with(
    fmt: ImportFormat,
    path: Path,
    *,
    taxonomy_map: Path | None = None,
    log: ProblemLog | None = None,
) -> Iterable[dict[str, Any]]:
    """The services in ``path`` read by ``fmt``'s reader, with the options it takes."""
    options: dict[str, Any] = {}
    if fmt.takes_taxonomy_map:
        options["taxonomy_map"] = taxonomy_map
    if fmt.takes_log:
        options["log"] = log
    return fmt.read(Path(path), **options)


def detect_format(path: Path, file_name: str) -> str | None:
    """The name of the import format of ``path`` (uploaded as ``file_name``), from its name
    and first bytes; None when it cannot be read or no format recognises it."""
    sample = sample_of(path, file_name)
    if sample is None:
        return None
    return next((reader.name for reader in READERS if reader.sniff(sample)), None)
