"""What an import format's ``sniff`` function sees of a file: its name, the member names of a
zip, and the first few kilobytes as text. Built once per upload (:func:`sample_of`)."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

#: Bytes read from the start of a file that is not a zip.
HEAD_BYTES = 4096


@dataclass(frozen=True)
class FileSample:
    """``name`` is the uploaded file's name in lower case; ``members`` the lower-case base
    names inside a zip (None when the file is not a zip); ``text`` the start of a plain file
    (UTF-8, a byte-order mark and leading blanks removed; "" for a zip)."""

    name: str
    members: frozenset[str] | None
    text: str

    @property
    def is_zip(self) -> bool:
        return self.members is not None

    def header_columns(self) -> set[str]:
        """The lower-case column names of the first line, read as CSV without quoting rules."""
        header = self.text.splitlines()[0].lower() if self.text else ""
        return {column.strip().strip('"') for column in header.split(",")}


def sample_of(path: Path, file_name: str) -> FileSample | None:
    """The sample of ``path`` (uploaded as ``file_name``); None when it cannot be read."""
    name = file_name.lower()
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                members = frozenset(Path(n).name.lower() for n in archive.namelist())
            return FileSample(name, members, "")
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    except (OSError, zipfile.BadZipFile):
        return None
    return FileSample(name, None, head.decode("utf-8-sig", errors="replace").lstrip())
