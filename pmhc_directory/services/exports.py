"""Export every service as HSDS 3.1 compiled JSON (``hsds-json``: one JSON array).

The file is written next to its destination under a temporary name and renamed into place at
the end, so a failed export (disk full, interrupted) never leaves a half-written file behind.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..hsds.serialize import SERVICE_LOAD_OPTIONS, service_to_hsds
from ..models import Service
from .imports import index_lookups

FORMATS = ("hsds-json",)
BATCH = 500

Advance = Callable[[int], None]
Progress = Callable[[str, int | None], AbstractContextManager[Advance]]


class ExportFailed(Exception):  # noqa: N818 (the name the CLI uses)
    """The export could not be written; the message says why, for the person running it."""


@contextmanager
def _no_progress(_label: str, _total: int | None = None) -> Iterator[Advance]:
    yield lambda _n: None


def export_services(session: Session) -> Iterator[dict[str, Any]]:
    """Every service in compiled HSDS form, by name then id, loaded a batch at a time."""
    ids = list(session.scalars(select(Service.id).order_by(Service.name, Service.id)))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        statement = select(Service).where(Service.id.in_(chunk)).options(*SERVICE_LOAD_OPTIONS)
        with index_lookups(session):
            by_id = {s.id: s for s in session.scalars(statement)}
        for service_id in chunk:
            service = by_id.get(service_id)
            if service is not None:  # deleted meanwhile
                yield service_to_hsds(service)


def export_file(
    session: Session, path: Path, *, fmt: str = "hsds-json", progress: Progress | None = None
) -> int:
    """Write every service to ``path`` as a JSON array; returns how many were written."""
    if fmt not in FORMATS:
        raise ExportFailed(f"Format {fmt!r} is not supported (use hsds-json).")
    path = Path(path)
    if path.is_dir():
        raise ExportFailed(f"{path} is a folder; give the name of the .json file to write.")
    folder = path.parent
    if not folder.is_dir():
        raise ExportFailed(f"The folder {folder} does not exist.")
    progress = progress or _no_progress
    total = session.scalar(select(func.count()).select_from(Service)) or 0
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise ExportFailed(_explain(exc, folder)) from exc
    temp = Path(name)
    count = 0
    try:
        with (
            os.fdopen(fd, "w", encoding="utf-8") as handle,
            progress("Exporting", total) as advance,
        ):
            handle.write("[")
            for service in export_services(session):
                handle.write("\n" if count == 0 else ",\n")
                handle.write(json.dumps(service, ensure_ascii=False))
                count += 1
                advance(1)
            handle.write("\n]\n" if count else "]\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise ExportFailed(_explain(exc, path)) from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return count


def _explain(exc: OSError, where: Path) -> str:
    if exc.errno == errno.ENOSPC:
        return f"Export failed: the disk is full ({where}). Nothing was written."
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"Export failed: {where} is not writable. Nothing was written."
    if exc.errno == errno.EISDIR:
        return f"Export failed: {where} is a folder; give a file name."
    return f"Export failed: {exc.strerror or exc} ({where}). Nothing was written."
