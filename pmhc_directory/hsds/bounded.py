"""Bounded zip imports: a zip whose members would expand past a size is refused before any
member is read (a 465 KB zip can hold 400 MB of CSV, which took 2.9 GB of memory to read).

The limit is ``IMPORT_MAX_UNZIPPED_MB`` (docs/import-export.md); ``services.imports`` sets it
for the duration of an import with :func:`unzipped_limit`, and the readers of zipped packages
(``hsds.tabular``, ``hsds.legacy211``) call :func:`check_zip_size` right after opening. The
sizes come from the zip's central directory; ``zipfile`` never returns more bytes than a
member's recorded size (and fails on a CRC mismatch), so a lying header cannot get past it.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from .errors import ImportIssue, ReadFailed

#: Default limit on the expanded size of a zipped import, in bytes (256 MiB: a 50,000-service
#: export is well under it, and reading it stays far below a small server's memory).
DEFAULT_MAX_UNZIPPED_BYTES = 256 * 1024 * 1024

_LIMIT: ContextVar[int] = ContextVar("max_unzipped_bytes", default=DEFAULT_MAX_UNZIPPED_BYTES)


@contextmanager
def unzipped_limit(limit_bytes: int | None) -> Iterator[None]:
    """Use ``limit_bytes`` (None: the default) for zips opened in this context."""
    token = _LIMIT.set(limit_bytes if limit_bytes is not None else DEFAULT_MAX_UNZIPPED_BYTES)
    try:
        yield
    finally:
        _LIMIT.reset(token)


def check_zip_size(archive: zipfile.ZipFile, name: str, limit_bytes: int | None = None) -> None:
    """Raise ``ReadFailed`` when the members of ``archive`` would expand past the limit."""
    limit = limit_bytes if limit_bytes is not None else _LIMIT.get()
    total = sum(info.file_size for info in archive.infolist())
    if total > limit:
        message = (
            f"would expand to {_mb(total)} MB, more than the {_mb(limit)} MB an import may "
            "unpack (setting IMPORT_MAX_UNZIPPED_MB); nothing was read"
        )
        raise ReadFailed([ImportIssue(None, -1, name, message, action="refused", file=name)])


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):,.1f}".rstrip("0").rstrip(".")
